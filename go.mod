module kcurl

go 1.26

require (
	github.com/alecthomas/kong v1.17.0
	github.com/goccy/go-json v0.12.0
)

require github.com/matryer/is v1.4.1 // indirect
