package main

import (
	"net/url"
	"strings"
)

// A path with a % that starts no escape (/a%zz) is sent by curl 7.88 as given, where
// Go's url.Parse refuses it. kcurl keeps such a path in url.URL.RawPath, which Go
// ignores (it cannot unescape it) and so escapes as %25 everywhere but on the wire
// and in %{url_effective}. The scheme, host and port are never read from it.

// parseURL is url.Parse, except that a path with a % that starts no escape is kept as
// given. Only the path's bytes are changed for Go's parser, and the URL is refused
// unless its scheme, user and host read the same without the path.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	start, end := pathBounds(raw)
	given := raw[start:end]
	fixed := escapeStrayPercents(given)
	if fixed == given {
		return nil, err
	}
	u, err2 := url.Parse(raw[:start] + fixed + raw[end:])
	head, err3 := url.Parse(raw[:start])
	if err2 != nil || err3 != nil || head.Scheme != u.Scheme || head.Host != u.Host || head.User.String() != u.User.String() {
		return nil, err
	}
	u.RawPath = given
	return u, nil
}

// pathBounds is where raw's path starts and ends: after the authority of a URL with
// one, before its ? or #.
func pathBounds(raw string) (start, end int) {
	end = len(raw)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		end = i
	}
	if i := strings.Index(raw[:end], "//"); i >= 0 && !strings.Contains(raw[:i], "/") {
		start = i + 2
		if j := strings.IndexByte(raw[start:end], '/'); j >= 0 {
			return start + j, end
		}
		return end, end
	}
	return 0, end
}

// escapeStrayPercents writes each % that starts no %xx escape as %25.
func escapeStrayPercents(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && (i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2])) {
			b.WriteString("%25")
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// pathAsGiven is u's path as curl sends it: its RawPath when that differs from what Go
// would send only in a % that starts no escape, else Go's escaped path. A RawPath
// left behind by a change to Path no longer matches, and is ignored as Go ignores it.
func pathAsGiven(u *url.URL) string {
	escaped := u.EscapedPath()
	if u.Opaque != "" || !strings.Contains(u.RawPath, "%") {
		return escaped
	}
	fixed := escapeStrayPercents(u.RawPath)
	v := *u
	v.RawPath = fixed
	if fixed == u.RawPath || v.EscapedPath() != fixed {
		return escaped
	}
	return u.RawPath
}

// onTheWire is u as a request sends it: a copy whose RequestURI is its path as given.
// A path starting // is left to Go, as Opaque would read it as a host.
func onTheWire(u *url.URL) *url.URL {
	p := pathAsGiven(u)
	if p == u.EscapedPath() || strings.HasPrefix(p, "//") {
		return u
	}
	v := *u
	v.Opaque = p
	return &v
}

// urlText is u.String() with u's path as given, as curl writes it in %{url_effective}.
func urlText(u *url.URL) string {
	p := pathAsGiven(u)
	if p == u.EscapedPath() {
		return u.String()
	}
	v := *u
	v.Path, v.RawPath, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = "", "", "", false, "", ""
	s := v.String() + p
	if u.ForceQuery || u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		s += "#" + u.EscapedFragment()
	}
	return s
}
