package main

import (
	"testing"

	"github.com/matryer/is"
)

// TestParseURLKeepsThePathOnly checks that a path with a % that starts no escape is
// kept as given and sent so, and that a % anywhere else is still refused: the scheme,
// user, host and port never come from the bytes Go's parser refused.
func TestParseURLKeepsThePathOnly(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		// ok is whether the URL parses; host, target and text are then its host, its
		// request target and %{url_effective}.
		ok                 bool
		host, target, text string
	}{
		{name: "a path with %zz", raw: "http://h:1/a%zz", ok: true, host: "h:1", target: "/a%zz", text: "http://h:1/a%zz"},
		{name: "a lone % at the end", raw: "https://h/a%", ok: true, host: "h", target: "/a%", text: "https://h/a%"},
		{name: "%zz in the path and the query", raw: "http://h/a%zz?q=%zz", ok: true, host: "h", target: "/a%zz?q=%zz", text: "http://h/a%zz?q=%zz"},
		{name: "an escape beside a stray %", raw: "http://h/%41%zz", ok: true, host: "h", target: "/%41%zz", text: "http://h/%41%zz"},
		{name: "user info kept", raw: "http://u:p@h/a%zz", ok: true, host: "h", target: "/a%zz", text: "http://u:p@h/a%zz"},
		{name: "a path starting // is not read as a host on the wire", raw: "http://h//evil%zz/x", ok: true, host: "h", target: "//evil%25zz/x", text: "http://h//evil%zz/x"},
		{name: "a % in the host", raw: "http://h%zz/a"},
		{name: "a % in the port", raw: "http://h:1%zz/a"},
		{name: "a % in the user", raw: "http://u%zz@h/a"},
		{name: "a % in the host and the path", raw: "http://h%zz/a%zz"},
		{name: "a % in the fragment", raw: "http://h/a#%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			u, err := parseURL(tt.raw)
			is.Equal(err == nil, tt.ok) // whether the URL parses
			if !tt.ok {
				return
			}
			is.Equal(u.Host, tt.host)                      // the host and port, read as before
			is.Equal(onTheWire(u).RequestURI(), tt.target) // the request target
			is.Equal(onTheWire(u).Host, tt.host)           // the request goes to the same host
			is.Equal(urlText(u), tt.text)                  // %{url_effective}
		})
	}
}
