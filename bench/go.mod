module kcurl/bench

go 1.26.0

require (
	github.com/alecthomas/kong v1.17.0
	github.com/goccy/go-json v0.12.0
	kcurl/e2e v0.0.0
)

replace kcurl/e2e => ../e2e
