module kcurl/bench

go 1.26.0

require kcurl/e2e v0.0.0

replace kcurl/e2e => ../e2e
