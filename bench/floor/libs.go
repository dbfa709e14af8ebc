//go:build libs

package main

// Built with -tags libs, the floor also links kcurl's two libraries without calling them:
// their package initialisation and size, the start-up every kcurl run pays before main.
import (
	_ "github.com/alecthomas/kong"
	_ "github.com/goccy/go-json"
)
