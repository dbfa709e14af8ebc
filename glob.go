package main

// curl's URL globbing: {a,b,c} sets and [1-10], [01-10], [a-z], [1-10:2] ranges, each
// URL of the product fetched in turn, and #N in -o replaced by the Nth glob's value.
// A brace group without a comma is no set: {namespace} and {pod} stay kcurl's
// placeholders. -g turns globbing off; \[ and \{ are literal.

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// maxGlobURLs bounds what one globbed URL may expand to.
const maxGlobURLs = 100000

// globbedURL is one URL of a glob and the values its globs took.
type globbedURL struct {
	url    string
	values []string
}

// expandGlob expands a URL's globs, the leftmost varying slowest, as curl does.
func expandGlob(raw string) ([]globbedURL, error) {
	pieces, err := globPieces(raw)
	if err != nil {
		return nil, err
	}
	out := []globbedURL{{}}
	for _, p := range pieces {
		if p.choices == nil {
			for i := range out {
				out[i].url += p.literal
			}
			continue
		}
		if len(out)*len(p.choices) > maxGlobURLs {
			return nil, exitErrorf(exitURLMalformed, "too many URLs from the glob in %q", raw)
		}
		next := make([]globbedURL, 0, len(out)*len(p.choices))
		for _, g := range out {
			for _, c := range p.choices {
				next = append(next, globbedURL{url: g.url + c, values: append(append([]string(nil), g.values...), c)})
			}
		}
		out = next
	}
	return out, nil
}

// globPiece is literal text or a glob's choices.
type globPiece struct {
	literal string
	choices []string
}

func globPieces(s string) ([]globPiece, error) {
	var pieces []globPiece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			pieces = append(pieces, globPiece{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("[]{}", s[i+1]) >= 0:
			i++
			lit.WriteByte(s[i])
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			body := ""
			if end > 0 {
				body = s[i+1 : i+end]
			}
			if end < 0 || !strings.Contains(body, ",") {
				lit.WriteByte(c) // a placeholder, or a lone brace
				continue
			}
			flush()
			pieces = append(pieces, globPiece{choices: strings.Split(body, ",")})
			i += end
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				lit.WriteByte(c) // not a range: the URL parser has its say
				continue
			}
			body := s[i+1 : i+end]
			if body == "" {
				lit.WriteString("[]") // nothing to range over: curl sends it as it is
				i += end
				continue
			}
			if net.ParseIP(strings.Split(body, "%")[0]) != nil && strings.Contains(body, ":") {
				lit.WriteString(s[i : i+end+1]) // an IPv6 address
				i += end
				continue
			}
			choices, err := globRange(body)
			if err != nil {
				return nil, exitErrorf(exitURLMalformed, "bad range in URL position %d:\n%s\n%*s", i+1, s, i+1, "^")
			}
			flush()
			pieces = append(pieces, globPiece{choices: choices})
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return pieces, nil
}

// globRange is [a-z], [1-10] (with leading zeros kept as a width) and a :step.
func globRange(body string) ([]string, error) {
	body, stepText, hasStep := strings.Cut(body, ":")
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad step")
		}
		step = n
	}
	from, to, ok := strings.Cut(body, "-")
	if !ok || from == "" || to == "" {
		return nil, fmt.Errorf("not a range")
	}
	var out []string
	if len(from) == 1 && len(to) == 1 && !isDigit(from[0]) {
		if from[0] > to[0] {
			return nil, fmt.Errorf("backwards")
		}
		for c := int(from[0]); c <= int(to[0]); c += step {
			out = append(out, string(rune(c)))
		}
		return out, nil
	}
	lo, err1 := strconv.Atoi(from)
	hi, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil || lo < 0 || hi < lo || (hi-lo)/step >= maxGlobURLs {
		return nil, fmt.Errorf("bad numbers")
	}
	width := 0
	if len(from) > 1 && from[0] == '0' {
		width = len(from)
	}
	for n := lo; n <= hi; n += step {
		out = append(out, fmt.Sprintf("%0*d", width, n))
	}
	return out, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// globOutput replaces #N in an -o name with the Nth glob's value, as curl does.
func globOutput(name string, values []string) string {
	if len(values) == 0 || !strings.Contains(name, "#") {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '#' && i+1 < len(name) && isDigit(name[i+1]) {
			j := i + 1
			for j < len(name) && isDigit(name[j]) {
				j++
			}
			if n, _ := strconv.Atoi(name[i+1 : j]); n >= 1 && n <= len(values) {
				b.WriteString(values[n-1])
				i = j - 1
				continue
			}
		}
		b.WriteByte(name[i])
	}
	return b.String()
}
