package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestRetryDecision(t *testing.T) {
	timeout := exitErrorf(exitTimeout, "timed out")
	refused := exitErrorf(exitConnect, "refused")
	tests := []struct {
		name    string
		policy  retryPolicy
		outcome outcome
		retries int
		elapsed time.Duration
		want    retryDecision
	}{
		{name: "no --retry", policy: retryPolicy{}, outcome: outcome{status: 503}},
		{name: "503, first retry after a second", policy: retryPolicy{retries: 3}, outcome: outcome{status: 503}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "backoff doubles", policy: retryPolicy{retries: 5}, outcome: outcome{status: 503}, retries: 3, want: retryDecision{again: true, wait: 8 * time.Second, why: ": HTTP error"}},
		{name: "backoff stops at ten minutes", policy: retryPolicy{retries: 50}, outcome: outcome{status: 503}, retries: 40, want: retryDecision{again: true, wait: 10 * time.Minute, why: ": HTTP error"}},
		{name: "retries used up", policy: retryPolicy{retries: 2}, outcome: outcome{status: 503}, retries: 2},
		{name: "the last retry", policy: retryPolicy{retries: 2}, outcome: outcome{status: 503}, retries: 1, want: retryDecision{again: true, wait: 2 * time.Second, why: ": HTTP error"}},
		{name: "408", policy: retryPolicy{retries: 1}, outcome: outcome{status: 408}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "429", policy: retryPolicy{retries: 1}, outcome: outcome{status: 429}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "500", policy: retryPolicy{retries: 1}, outcome: outcome{status: 500}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "502", policy: retryPolicy{retries: 1}, outcome: outcome{status: 502}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "504", policy: retryPolicy{retries: 1}, outcome: outcome{status: 504}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "501 is not transient", policy: retryPolicy{retries: 1}, outcome: outcome{status: 501}},
		{name: "404 is not transient", policy: retryPolicy{retries: 1}, outcome: outcome{status: 404}},
		{name: "200", policy: retryPolicy{retries: 1}, outcome: outcome{status: 200}},
		{name: "Retry-After wins", policy: retryPolicy{retries: 1, delay: 3 * time.Second, delaySet: true}, outcome: outcome{status: 503, retryAfter: 7 * time.Second}, want: retryDecision{again: true, wait: 7 * time.Second, why: ": HTTP error"}},
		{name: "--retry-delay", policy: retryPolicy{retries: 4, delay: 3 * time.Second, delaySet: true}, outcome: outcome{status: 503}, retries: 3, want: retryDecision{again: true, wait: 3 * time.Second, why: ": HTTP error"}},
		{name: "--retry-delay 0 (curl 7.88: not given)", policy: retryPolicy{retries: 1}, outcome: outcome{status: 503}, want: retryDecision{again: true, wait: time.Second, why: ": HTTP error"}},
		{name: "past --retry-max-time", policy: retryPolicy{retries: 5, maxTime: 10 * time.Second}, outcome: outcome{status: 503}, retries: 1, elapsed: 10 * time.Second},
		{name: "a Retry-After past --retry-max-time", policy: retryPolicy{retries: 5, maxTime: 10 * time.Second}, outcome: outcome{status: 503, retryAfter: 3 * time.Second}, elapsed: 8 * time.Second},
		{name: "within --retry-max-time", policy: retryPolicy{retries: 5, maxTime: 10 * time.Second}, outcome: outcome{status: 503}, retries: 1, elapsed: 8 * time.Second, want: retryDecision{again: true, wait: 2 * time.Second, why: ": HTTP error"}},
		{name: "timeout", policy: retryPolicy{retries: 1}, outcome: outcome{err: timeout}, want: retryDecision{again: true, wait: time.Second, why: ": timeout"}},
		{name: "host does not resolve", policy: retryPolicy{retries: 1}, outcome: outcome{err: exitErrorf(exitHostResolve, "x")}, want: retryDecision{again: true, wait: time.Second, why: ": timeout"}},
		{name: "proxy does not resolve", policy: retryPolicy{retries: 1}, outcome: outcome{err: exitErrorf(exitProxyResolve, "x")}, want: retryDecision{again: true, wait: time.Second, why: ": timeout"}},
		{name: "refused without --retry-connrefused", policy: retryPolicy{retries: 1}, outcome: outcome{err: refused}},
		{name: "refused with --retry-connrefused", policy: retryPolicy{retries: 1, connRefused: true}, outcome: outcome{err: refused}, want: retryDecision{again: true, wait: time.Second, why: ": connection refused"}},
		{name: "a certificate problem is not transient", policy: retryPolicy{retries: 1}, outcome: outcome{err: exitErrorf(exitPeerVerify, "x")}},
		{name: "--retry-all-errors retries any error", policy: retryPolicy{retries: 1, all: true}, outcome: outcome{err: exitErrorf(exitPeerVerify, "x")}, want: retryDecision{again: true, wait: time.Second, why: "(retrying all errors)"}},
		{name: "--retry-all-errors and 404 with -f", policy: retryPolicy{retries: 1, all: true, failOnHTTP: true}, outcome: outcome{status: 404}, want: retryDecision{again: true, wait: time.Second, why: "(retrying all errors)"}},
		{name: "--retry-all-errors and 404 without -f", policy: retryPolicy{retries: 1, all: true}, outcome: outcome{status: 404}},
		{name: "--retry-all-errors and 400 with -f", policy: retryPolicy{retries: 1, all: true, failOnHTTP: true}, outcome: outcome{status: 400}, want: retryDecision{again: true, wait: time.Second, why: "(retrying all errors)"}},
		{name: "--retry-all-errors and 399 with -f", policy: retryPolicy{retries: 1, all: true, failOnHTTP: true}, outcome: outcome{status: 399}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.policy.decide(tt.outcome, tt.retries, tt.elapsed), tt.want) // the retry decision
		})
	}
}

func TestRedirectPolicy(t *testing.T) {
	from, _ := url.Parse("https://api.test:6443/a/b?x=1")
	tests := []struct {
		name     string
		policy   redirectPolicy
		location string
		followed int
		want     string
		code     int
	}{
		{name: "relative path", policy: redirectPolicy{follow: true, max: 50}, location: "c", want: "https://api.test:6443/a/c"},
		{name: "absolute path", policy: redirectPolicy{follow: true, max: 50}, location: "/z", want: "https://api.test:6443/z"},
		{name: "another host", policy: redirectPolicy{follow: true, max: 50}, location: "http://other.test/", want: "http://other.test/"},
		{name: "the last one allowed", policy: redirectPolicy{follow: true, max: 2}, location: "/z", followed: 1, want: "https://api.test:6443/z"},
		{name: "--max-redirs 2 after 2", policy: redirectPolicy{follow: true, max: 2}, location: "/z", followed: 2, code: exitTooManyRedirects},
		{name: "--max-redirs 0", policy: redirectPolicy{follow: true, max: 0}, location: "/z", code: exitTooManyRedirects},
		{name: "--max-redirs -1 follows many", policy: redirectPolicy{follow: true, max: -1}, location: "/z", followed: 999, want: "https://api.test:6443/z"},
		{name: "--max-redirs -1 still ends", policy: redirectPolicy{follow: true, max: -1}, location: "/z", followed: 1000, code: exitTooManyRedirects},
		{name: "another scheme", policy: redirectPolicy{follow: true, max: 50}, location: "ftp://other.test/", want: "ftp://other.test/", code: exitUnsupportedProtocol}, // curl's 1
		{name: "--proto-redir", policy: redirectPolicy{follow: true, max: 50, protocols: protocolSet{"https": true}}, location: "http://other.test", want: "http://other.test/", code: exitUnsupportedProtocol},
		{name: "a Location that does not parse", policy: redirectPolicy{follow: true, max: 50}, location: "http://[::1", code: exitURLMalformed},
		{name: "a Location with no host", policy: redirectPolicy{follow: true, max: 50}, location: "http://:80/", code: exitURLMalformed},
		{name: "a Location with a port past 65535", policy: redirectPolicy{follow: true, max: 50}, location: "http://other.test:65536/", code: exitURLMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := tt.policy.mayFollow(tt.followed)
			var next *url.URL
			if err == nil {
				next, err = resolveLocation(from, tt.location)
			}
			if err == nil {
				err = tt.policy.allows(next)
			}
			if tt.code == 0 {
				is.NoErr(err) // the redirect is followed
			} else {
				is.Equal(exitCodeOf(err), tt.code) // the exit code of a redirect not followed
			}
			if tt.want != "" {
				is.Equal(next.String(), tt.want) // the next URL
			}
		})
	}
}

func TestLocationProblem(t *testing.T) {
	tests := []struct {
		name, location, want string
	}{
		{name: "a bracket left open", location: "http://[::1/x", want: "Bad IPv6 address"},
		{name: "a port past 65535", location: "http://h:65536/", want: "Port number was not a decimal number between 0 and 65535"},
		{name: "a port that is not a number", location: "http://h:y:z/", want: "Port number was not a decimal number between 0 and 65535"},
		{name: "a byte after the bracket", location: "http://[::1]x/", want: "Port number was not a decimal number between 0 and 65535"},
		{name: "a bad port before no host", location: "http://:99999/", want: "Port number was not a decimal number between 0 and 65535"},
		{name: "no host", location: "http://", want: "No host part in the URL"},
		{name: "only a port", location: "http://user@:1/x", want: "No host part in the URL"},
		{name: "a space in the host", location: "http://a b/", want: "Bad hostname"},
		{name: "a good host and port: the catch-all", location: "http://h:80/%zz", want: "Malformed input to a URL function"},
		{name: "a relative Location: the catch-all", location: "/a%zz", want: "Malformed input to a URL function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(locationProblem(tt.location), tt.want) // curl 7.88's words
		})
	}
}

func TestRedirectMethod(t *testing.T) {
	data := &requestBody{data: &chunkedData{}}
	upload := &requestBody{uploadFile: "f"}
	tests := []struct {
		name     string
		policy   redirectPolicy
		status   int
		method   string
		body     *requestBody
		custom   bool
		want     string
		keepBody bool
	}{
		{name: "301 after POST", status: 301, method: "POST", body: data, want: "GET"},
		{name: "302 after POST", status: 302, method: "POST", body: data, want: "GET"},
		{name: "303 after POST", status: 303, method: "POST", body: data, want: "GET"},
		{name: "303 after PUT", status: 303, method: "PUT", body: upload, want: "GET"},
		{name: "303 after HEAD", status: 303, method: "HEAD", want: "HEAD"},
		{name: "301 after an upload", status: 301, method: "PUT", body: upload, want: "PUT", keepBody: true},
		{name: "307 after POST", status: 307, method: "POST", body: data, want: "POST", keepBody: true},
		{name: "308 after POST", status: 308, method: "POST", body: data, want: "POST", keepBody: true},
		{name: "302 after -X PUT -d: the method stays, the body goes", status: 302, method: "PUT", body: data, custom: true, want: "PUT"},
		{name: "303 after -X DELETE", status: 303, method: "DELETE", custom: true, want: "DELETE"},
		{name: "301 after -X POST without data", status: 301, method: "POST", custom: true, want: "POST"},
		{name: "--post301", policy: redirectPolicy{post301: true}, status: 301, method: "POST", body: data, want: "POST", keepBody: true},
		{name: "--post302", policy: redirectPolicy{post302: true}, status: 302, method: "POST", body: data, want: "POST", keepBody: true},
		{name: "--post303", policy: redirectPolicy{post303: true}, status: 303, method: "POST", body: data, want: "POST", keepBody: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			method, b := tt.policy.method(tt.status, tt.method, tt.body, tt.custom)
			is.Equal(method, tt.want)       // the method after the redirect
			is.Equal(b != nil, tt.keepBody) // whether the body goes again
		})
	}
}

func TestWantPretty(t *testing.T) {
	tests := []struct {
		name     string
		d        deliverOptions
		json     bool
		watching bool
		want     bool
	}{
		{name: "a pipe", d: deliverOptions{}, json: true},
		{name: "a terminal", d: deliverOptions{stdoutIsTerminal: true}, json: true, want: true},
		{name: "a terminal, not JSON", d: deliverOptions{stdoutIsTerminal: true}},
		{name: "a terminal, a watch", d: deliverOptions{stdoutIsTerminal: true}, json: true, watching: true},
		{name: "a terminal, -o", d: deliverOptions{stdoutIsTerminal: true, outputGiven: true}, json: true},
		{name: "a terminal, --no-pretty", d: deliverOptions{stdoutIsTerminal: true, noPretty: true}, json: true},
		{name: "--pretty into a pipe", d: deliverOptions{pretty: true}, json: true, want: true},
		{name: "--pretty, a watch", d: deliverOptions{pretty: true}, json: true, watching: true, want: true},
		{name: "--pretty, not JSON", d: deliverOptions{pretty: true}},
		{name: "--pretty --no-pretty", d: deliverOptions{pretty: true, noPretty: true}, json: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(tt.d.wantPretty(tt.json, tt.watching), tt.want) // whether the body is indented
		})
	}
}

func TestUnclassifiedErrors(t *testing.T) {
	is := is.New(t)
	info := &transferInfo{start: time.Now()}
	is.Equal(exitCodeOf(contextError(context.DeadlineExceeded, info)), exitTimeout) // -m running out while waiting to retry is 28
	is.Equal(exitCodeOf(errors.New("unclassified")), exitInternal)                  // an error without a code is a bug, not "unsupported protocol"
}

// TestCopyBuffer is the body buffer's size: a body's own length when it says one under
// copyBufferSize and is not encoded, else copyBufferSize; one buffer for the run, grown
// when a later body needs more.
func TestCopyBuffer(t *testing.T) {
	r := &runner{}
	for _, tc := range []struct {
		name     string
		length   int64
		encoding string
		want     int
	}{
		{"a probe's body", 300, "", 512},
		{"a few KiB", 5000, "", 5001},
		{"a later, smaller body keeps the buffer", 10, "", 5001},
		{"no length", -1, "", copyBufferSize},
		{"encoded: its length is not what is read", 300, "gzip", copyBufferSize},
		{"longer than the buffer", 1 << 30, "", copyBufferSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			resp := &http.Response{ContentLength: tc.length, Header: http.Header{}}
			if tc.encoding != "" {
				resp.Header.Set("Content-Encoding", tc.encoding)
			}
			is.Equal(len(r.copyBuffer(resp)), tc.want) // the buffer's size
		})
	}
}
