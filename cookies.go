package main

// curl's cookie engine: -b NAME=VALUE sends that Cookie header; -b FILE reads cookies
// from a Netscape cookie file (or Set-Cookie: lines) and turns the engine on, so that
// cookies a response sets go with the next request of the run (a redirect, the next
// URL); -c FILE writes every cookie to FILE at the end, in the Netscape format.

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cookie is one cookie as curl keeps it.
type cookie struct {
	domain     string
	subdomains bool
	path       string
	secure     bool
	httpOnly   bool
	// expires is the Unix time it ends; 0 is a session cookie.
	expires int64
	name    string
	value   string
	created int
}

// cookieJar is the run's cookies.
type cookieJar struct {
	mu      sync.Mutex
	cookies []*cookie
	// given is -b NAME=VALUE, sent as it is after the jar's cookies.
	given   string
	created int
}

// newCookieJar reads -b's arguments: files into the jar, NAME=VALUE strings as given.
func newCookieJar(args []string, jarFile string) (*cookieJar, error) {
	if len(args) == 0 && jarFile == "" {
		return nil, nil
	}
	j := &cookieJar{}
	for _, a := range args {
		if strings.Contains(a, "=") {
			j.given = joinCookies(j.given, a)
			continue
		}
		if err := j.load(a); err != nil {
			return nil, err
		}
	}
	return j, nil
}

func joinCookies(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// load reads a cookie file; a file that does not exist is no cookies, as for curl.
func (j *cookieJar) load(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if rest, ok := strings.CutPrefix(line, "Set-Cookie:"); ok {
			for _, c := range (&http.Response{Header: http.Header{"Set-Cookie": {strings.TrimSpace(rest)}}}).Cookies() {
				j.add(&cookie{domain: c.Domain, subdomains: c.Domain != "", path: orSlash(c.Path), name: c.Name, value: c.Value})
			}
			continue
		}
		httpOnly := strings.HasPrefix(line, "#HttpOnly_")
		if httpOnly {
			line = strings.TrimPrefix(line, "#HttpOnly_")
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 7 {
			continue
		}
		exp, _ := strconv.ParseInt(f[4], 10, 64)
		j.add(&cookie{
			domain: strings.TrimPrefix(f[0], "."), subdomains: f[1] == "TRUE", path: f[2], secure: f[3] == "TRUE",
			httpOnly: httpOnly, expires: exp, name: f[5], value: f[6],
		})
	}
	return nil
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// add keeps c, replacing a cookie of the same name, domain and path.
func (j *cookieJar) add(c *cookie) {
	j.created++
	c.created = j.created
	for i, o := range j.cookies {
		if o.name == c.name && strings.EqualFold(o.domain, c.domain) && o.path == c.path {
			j.cookies[i] = c
			return
		}
	}
	j.cookies = append(j.cookies, c)
}

// store keeps the cookies a response from u sets.
func (j *cookieJar) store(u *url.URL, resp *http.Response) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, hc := range resp.Cookies() {
		c := &cookie{domain: u.Hostname(), path: defaultCookiePath(u.Path), secure: hc.Secure, httpOnly: hc.HttpOnly, name: hc.Name, value: hc.Value}
		if hc.Domain != "" {
			c.domain, c.subdomains = strings.TrimPrefix(strings.ToLower(hc.Domain), "."), true
		}
		if hc.Path != "" {
			c.path = hc.Path
		}
		switch {
		case hc.MaxAge < 0:
			c.expires = 1 // gone
		case hc.MaxAge > 0:
			c.expires = time.Now().Unix() + int64(hc.MaxAge)
		case !hc.Expires.IsZero():
			c.expires = hc.Expires.Unix()
		}
		j.add(c)
	}
}

// defaultCookiePath is RFC 6265's default path: the request path up to its last slash.
func defaultCookiePath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// header is the Cookie header for a request to u: the jar's cookies that match, in
// curl's order (longer paths, domains and names first, then the newer), then -b's
// NAME=VALUE.
func (j *cookieJar) header(u *url.URL) (headerArg, bool) {
	if j == nil {
		return headerArg{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	host, now := strings.ToLower(u.Hostname()), time.Now().Unix()
	var match []*cookie
	for _, c := range j.cookies {
		domainOK := host == c.domain || (c.subdomains && strings.HasSuffix(host, "."+c.domain))
		pathOK := strings.HasPrefix(orSlash(u.Path), c.path)
		if domainOK && pathOK && (!c.secure || u.Scheme == "https") && (c.expires == 0 || c.expires > now) {
			match = append(match, c)
		}
	}
	sort.SliceStable(match, func(a, b int) bool {
		x, y := match[a], match[b]
		switch {
		case len(x.path) != len(y.path):
			return len(x.path) > len(y.path)
		case len(x.domain) != len(y.domain):
			return len(x.domain) > len(y.domain)
		case len(x.name) != len(y.name):
			return len(x.name) > len(y.name)
		}
		return x.created > y.created
	})
	value := ""
	for _, c := range match {
		value = joinCookies(value, c.name+"="+c.value)
	}
	value = joinCookies(value, j.given)
	if value == "" {
		return headerArg{}, false
	}
	return headerArg{name: "Cookie", value: value, builtin: true}, true
}

// save writes the jar in the Netscape format curl writes, newest cookie first.
func (j *cookieJar) save(name string, stdout io.Writer) error {
	if j == nil || name == "" {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	var b strings.Builder
	b.WriteString("# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n# This file was generated by libcurl! Edit at your own risk.\n\n")
	sorted := append([]*cookie(nil), j.cookies...)
	sort.SliceStable(sorted, func(a, c int) bool { return sorted[a].created > sorted[c].created })
	now := time.Now().Unix()
	for _, c := range sorted {
		if c.expires != 0 && c.expires <= now {
			continue
		}
		domain := c.domain
		if c.subdomains {
			domain = "." + domain
		}
		if c.httpOnly {
			domain = "#HttpOnly_" + domain
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", domain, upperBool(c.subdomains), c.path, upperBool(c.secure), c.expires, c.name, c.value)
	}
	var err error
	if name == "-" {
		_, err = io.WriteString(stdout, b.String())
	} else {
		err = os.WriteFile(name, []byte(b.String()), 0o600)
	}
	if err != nil {
		return exitErrorf(exitWriteError, "Failed to save cookies in %s", name)
	}
	return nil
}

func upperBool(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}
