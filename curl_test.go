package main

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// curlPath is the reference peer; tests that need it skip with a message where it is absent.
func curlPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: the differential tests need it as the reference")
	}
	return p
}

// runCurl runs the real curl with no curlrc, no proxy and no CA variables from this machine.
func runCurl(t *testing.T, args ...string) result {
	t.Helper()
	return runCurlIn(t, "", args...)
}

// runCurlIn is runCurl with stdin and, after it, KEY=value environment entries given
// as "env:KEY=value" arguments.
func runCurlIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCurlFrom(t, strings.NewReader(stdin), args...)
}

// runCurlFrom is runCurlIn with any stdin: an *os.File is curl's stdin itself, which it
// can seek in; anything else comes through a pipe.
func runCurlFrom(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(curlPath(t))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	cmd.Args = append(cmd.Args, "-q")
	for _, a := range args {
		if kv, ok := strings.CutPrefix(a, "env:"); ok {
			cmd.Env = append(cmd.Env, kv)
			continue
		}
		cmd.Args = append(cmd.Args, a)
	}
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// headSet splits -i output into its status line and its sorted, lower-cased header lines.
func headSet(out string) (string, []string, string) {
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var hs []string
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		hs = append(hs, strings.ToLower(name)+":"+strings.TrimSpace(value))
	}
	sort.Strings(hs)
	return lines[0], hs, body
}

func TestDifferentialWithCurl(t *testing.T) {
	curlPath(t)
	pki, otherPKI := newPKI(t), newPKI(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Two", "a, b")
		io.WriteString(w, `{"kind":"PodList","items":[]}`+"\n")
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		w.WriteHeader(404)
		io.WriteString(w, "not here\n")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
	})
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	h2 := newTLSServer(t, pki, mux, serverOptions{})
	h1 := newTLSServer(t, pki, mux, serverOptions{http1: true})
	wrongName := newTLSServer(t, pki, mux, serverOptions{names: []string{"elsewhere.test"}})
	truncated := faultServer(t, shortBody)
	empty := faultServer(t, emptyReply)
	plainPort := faultServer(t, plainHTTPPort)
	refused := closedPort(t)
	w := "%{http_code} %{response_code} %{http_version} %{method} %{num_redirects} %{size_download} %{content_type} %{url_effective} %{remote_ip} %{remote_port} %{exitcode}"
	tests := []struct {
		name string
		args []string
		// include compares -i output as status line, header set and body.
		include bool
		code    int
	}{
		{name: "GET over HTTP/2", args: []string{"--cacert", pki.caFile, "-w", w, h2.URL + "/ok"}},
		{name: "GET over HTTP/1.1", args: []string{"--cacert", pki.caFile, "-w", w, h1.URL + "/ok"}},
		{name: "-i over HTTP/2", args: []string{"--cacert", pki.caFile, "-i", h2.URL + "/ok"}, include: true},
		{name: "-i over HTTP/1.1", args: []string{"--cacert", pki.caFile, "-i", h1.URL + "/ok"}, include: true},
		{name: "-I", args: []string{"--cacert", pki.caFile, "-I", h1.URL + "/ok"}, include: true},
		{name: "POST form data", args: []string{"--cacert", pki.caFile, "-d", "a=1", "-d", "b=2", "-w", w, h2.URL + "/echo"}},
		{name: "--json", args: []string{"--cacert", pki.caFile, "--json", `{"a":1}`, h2.URL + "/echo"}},
		{name: "PUT with -X", args: []string{"--cacert", pki.caFile, "-X", "PUT", "--data-binary", "x", h2.URL + "/echo"}},
		{name: "404 without -f", args: []string{"--cacert", pki.caFile, "-w", w, h2.URL + "/missing"}},
		{name: "refused", args: []string{"-w", "%{http_code} %{exitcode}", "http://" + refused + "/"}, code: 7},
		{name: "timeout", args: []string{"--cacert", pki.caFile, "-m", "0.5", "-w", "%{http_code} %{exitcode}", h2.URL + "/stall"}, code: 28},
		{name: "-f on 404", args: []string{"--cacert", pki.caFile, "-f", "-w", "%{http_code} %{exitcode}", h2.URL + "/missing"}, code: 22},
		{name: "unknown CA", args: []string{"--cacert", otherPKI.caFile, "-w", "%{http_code}", h2.URL + "/ok"}, code: 60},
		{name: "wrong host name", args: []string{"--cacert", pki.caFile, "-w", "%{http_code}", wrongName.URL + "/ok"}, code: 60},
		{name: "truncated body", args: []string{"http://" + truncated + "/"}, code: 18},
		{name: "empty reply", args: []string{"-w", "%{http_code}", "http://" + empty + "/"}, code: 52},
		{name: "malformed URL", args: []string{"http://exa mple/"}, code: 3},
		{name: "missing upload file", args: []string{"-T", "/nonexistent/upload", "http://" + refused + "/"}, code: 26},
		{name: "TLS to a plain port", args: []string{"-w", "%{http_code}", "https://" + plainPort + "/"}, code: 35},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := runCurl(t, append([]string{"-s"}, tt.args...)...)
			k := kcurl(t, invocation{args: append([]string{"-s"}, tt.args...), env: map[string]string{"HOME": t.TempDir()}})
			is.Equal(c.code, tt.code) // curl's own code, so the case means what it says
			is.Equal(k.code, c.code)  // same exit code as curl
			if !tt.include {
				is.Equal(k.stdout, c.stdout) // same bytes on stdout (body and -w)
				return
			}
			cs, ch, cb := headSet(c.stdout)
			ks, kh, kb := headSet(k.stdout)
			is.Equal(ks, cs) // same status line
			is.Equal(kh, ch) // same header set
			is.Equal(kb, cb) // same body
		})
	}
}

// rawServer is a loopback HTTP/1.1 server of the test's own: it keeps every request's
// bytes as received and answers with a reply's bytes verbatim, which Go's server cannot
// send (1xx heads, trailers, odd case, bare LF, bad lengths). It answers Expect:
// 100-continue with a 100 first, and keeps a connection open after a reply with a
// length, as a server would.
type rawServer struct {
	addr string
	mu   sync.Mutex
	reqs []string
}

// newRawServer answers a request for a path with replies[path] (the path is the
// request target up to its query), and anything else with a 404.
func newRawServer(t *testing.T, replies map[string]string) *rawServer {
	t.Helper()
	s := &rawServer{}
	s.addr = faultServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			reply, ok := s.serveOne(c, br, replies)
			if !ok || !keepsOpen(reply) {
				return
			}
		}
	})
	return s
}

// keepsOpen reports whether a reply leaves the connection usable: it has a length or
// chunks, and does not say close (HTTP/1.0: says keep-alive).
func keepsOpen(reply string) bool {
	head, _, _ := strings.Cut(strings.ToLower(reply), "\r\n\r\n")
	if strings.Contains(head, "connection: close") || strings.HasPrefix(head, "http/1.0") && !strings.Contains(head, "connection: keep-alive") {
		return false
	}
	return strings.Contains(head, "content-length:") || strings.Contains(head, "transfer-encoding: chunked") || strings.Contains(head, " 204 ") || strings.Contains(head, " 304 ")
}

// serveOne reads one request from br, keeps it, and writes its reply.
func (s *rawServer) serveOne(c net.Conn, br *bufio.Reader, replies map[string]string) (string, bool) {
	var req bytes.Buffer
	length, chunked, expect := 0, false, false
	for {
		line, err := br.ReadString('\n')
		req.WriteString(line)
		if err != nil {
			return "", false
		}
		lower := strings.ToLower(line)
		switch {
		case strings.HasPrefix(lower, "content-length:"):
			length, _ = strconv.Atoi(strings.TrimSpace(line[len("content-length:"):]))
		case strings.HasPrefix(lower, "transfer-encoding:") && strings.Contains(lower, "chunked"):
			chunked = true
		case strings.HasPrefix(lower, "expect:") && strings.Contains(lower, "100-continue"):
			expect = true
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	if expect {
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n")
	}
	if chunked {
		b, _ := io.ReadAll(httputil.NewChunkedReader(br))
		req.Write(b)
		br.ReadString('\n') // the last chunk's CRLF
	} else if length > 0 {
		b := make([]byte, length)
		n, _ := io.ReadFull(br, b)
		req.Write(b[:n])
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req.String())
	s.mu.Unlock()
	target := strings.Fields(req.String() + "  ")[1]
	if i := strings.IndexAny(target, "?"); i >= 0 {
		target = target[:i]
	}
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		target = u.Path // a proxy's request names the whole URL
	}
	reply, ok := replies[target]
	if !ok {
		reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	}
	io.WriteString(c, reply)
	return reply, true
}

// take returns the requests received so far, with curl's and kcurl's User-Agent made
// one, and forgets them.
func (s *rawServer) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := s.reqs
	s.reqs = nil
	for i, r := range reqs {
		r = userAgentLine.ReplaceAllString(r, "User-Agent: UA\r\n")
		r = formBoundary.ReplaceAllString(r, "BOUNDARY") // random in both
		// A deliberate difference: kcurl asks only for the encodings it decodes.
		reqs[i] = strings.ReplaceAll(r, "Accept-Encoding: deflate, gzip, br, zstd\r\n", "Accept-Encoding: deflate, gzip\r\n")
	}
	return reqs
}

var (
	userAgentLine = regexp.MustCompile(`User-Agent: (curl/7\.88\.1|kcurl/dev)\r\n`)
	formBoundary  = regexp.MustCompile(`-{24}[0-9a-f]{16}`)
)

// sameWords makes curl's stderr comparable with kcurl's: the program's name is the one
// difference curl's own words have.
func sameWords(s string) string {
	return strings.NewReplacer("curl: ", "kcurl: ", "'curl ", "'kcurl ", "libcurl understands deflate, gzip, br, zstd", "kcurl understands deflate, gzip").Replace(s)
}

// rawReplies are the raw server's replies for TestCurlFidelity, by path.
var rawReplies = map[string]string{
	"/ok":       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n",
	"/odd":      "HTTP/1.1 200 Fine\r\nETag: \"x\"\r\nx-lower: a\r\nX-Spaced:   b  \r\nContent-Length: 3\r\n\r\nok\n",
	"/lf":       "HTTP/1.1 200 OK\nContent-Length: 3\nX-Y: z\n\nok\n",
	"/hints":    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n3\r\nok\n\r\n0\r\nX-T: done\r\n\r\n",
	"/twice":    "HTTP/1.1 200 OK\r\nX-Two: a\r\nX-Two: b\r\nContent-Length: 0\r\n\r\n",
	"/badlen":   "HTTP/1.1 200 OK\r\nContent-Length: x2\r\n\r\nok",
	"/neglen":   "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok",
	"/nothttp":  "garbage\r\n\r\n",
	"/low":      "HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok",
	"/high":     "HTTP/1.1 600 High\r\nContent-Length: 2\r\n\r\nok",
	"/nul":      "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
	"/headgz":   "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n",
	"/204gz":    "HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n",
	"/304gz":    "HTTP/1.1 304 Not Modified\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\n\r\n",
	"/rawdefl":  "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 5\r\n\r\n\xcb\xcf\xe6\x02\x00",
	"/zlibdefl": "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 11\r\n\r\nx\x9c\xcb\xcf\xe6\x02\x00\x020\x00\xe5",
	"/badsum":   "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: 11\r\n\r\nx\x9c\xcb\xcf\xe6\x02\x00\x02\xd2\x01\x08",
	"/badgz":    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nok\n",
	"/unknown":  "HTTP/1.1 200 OK\r\nContent-Encoding: foo\r\nContent-Length: 3\r\n\r\nok\n",
	"/302":      "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
	"/301":      "HTTP/1.1 301 Moved\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
	"/303":      "HTTP/1.1 303 See Other\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
	"/503":      "HTTP/1.1 503 Busy\r\nContent-Length: 5\r\n\r\nbusy\n",
	"/404":      "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\ngone\n",
	"/forbid":   "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
	"/spaceloc": "HTTP/1.1 302 Found\r\nLocation: /ok a?x=b c\r\nContent-Length: 0\r\n\r\n",
	"/te100":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + strings.Repeat("gzip,", 99) + "gzip\r\n\r\n-foo-\n",
	"/nocolon":  "HTTP/1.1 200 OK\r\nX-A: 1\r\nno colon here\r\nContent-Length: 3\r\n\r\nok\n",
	"/huge":     "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\nok\n",
	"/tohost":   "HTTP/1.1 302 Found\r\nLocation: http://b.invalid/ok\r\nContent-Length: 0\r\n\r\n",
	"/slash3":   "HTTP/1.1 302 Found\r\nLocation: http:///b.invalid/ok\r\nContent-Length: 0\r\n\r\n",
	"/slash4":   "HTTP/1.1 302 Found\r\nLocation: http:////b.invalid/ok\r\nContent-Length: 0\r\n\r\n",
	"/slash0":   "HTTP/1.1 302 Found\r\nLocation: HTTP:b.invalid/ok\r\nContent-Length: 0\r\n\r\n",
	"/badport":  "HTTP/1.1 302 Found\r\nLocation: http://b.invalid:99999/x\r\nContent-Length: 0\r\n\r\n",
	"/badport2": "HTTP/1.1 302 Found\r\nLocation: http://b.invalid:y:z/x\r\nContent-Length: 0\r\n\r\n",
	"/nohost":   "HTTP/1.1 302 Found\r\nLocation: http:///\r\nContent-Length: 0\r\n\r\n",
	"/portonly": "HTTP/1.1 302 Found\r\nLocation: http://:1/x\r\nContent-Length: 0\r\n\r\n",
	"/badv6":    "HTTP/1.1 302 Found\r\nLocation: http://[::1/x\r\nContent-Length: 0\r\n\r\n",
	"/badhost":  "HTTP/1.1 302 Found\r\nLocation: http://b invalid/x\r\nContent-Length: 0\r\n\r\n",
	"/qloc":     "HTTP/1.1 302 Found\r\nLocation: http://b.invalid?a=b\r\nContent-Length: 0\r\n\r\n",
	"/zzloc":    "HTTP/1.1 302 Found\r\nLocation: /a%zz?q=%zz\r\nContent-Length: 0\r\n\r\n",
	"/slashrel": "HTTP/1.1 302 Found\r\nLocation: ///b.invalid/ok\r\nContent-Length: 0\r\n\r\n",
	"/none":     "HTTP/1.1 200 OK\r\nContent-Encoding: none\r\nContent-Length: 3\r\n\r\nok\n",
	// A CONNECT the proxy refuses.
	"example.invalid:443": "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
}

// refusedVars are the -w variables of a transfer whose URL curl refuses.
const refusedVars = "%{url}|%{url_effective}|%{method}|%{http_code}|%{response_code}|%{http_version}|%{num_redirects}|%{num_connects}|%{redirect_url}|%{exitcode}|%{errormsg}|%{urlnum}|%{filename_effective}|%{scheme}|%{remote_ip}|%{remote_port}|%{size_download}|%{size_header}|%{content_type}|%{onerror}!\n"

// redirectVars are the -w variables a redirect changes.
const redirectVars = "%{num_redirects}|%{redirect_url}|%{url_effective}|%{http_code}|%{exitcode}|%{errormsg}\n"

// TestCurlFidelity runs curl 7.88 and kcurl side by side against the raw server and
// compares what a script sees: stdout, the exit code, stderr where curl's words are the
// point, and the requests the server received, byte for byte.
func TestCurlFidelity(t *testing.T) {
	curlPath(t)
	replies := map[string]string{"/gzlong": longHeaderGzip("uncompressed gzip data with long gzip header\n")}
	for k, v := range rawReplies {
		replies[k] = v
	}
	srv := newRawServer(t, replies)
	base := "http://" + srv.addr
	upload := writeFile(t, "upload", "abc")
	crlfFormat := writeFile(t, "format", "%{http_code}\r\n%{method}\n")
	tests := []struct {
		name string
		args []string
		// stderr compares curl's and kcurl's stderr, with the program's name made one.
		stderr bool
		env    map[string]string
	}{
		{name: "--fail-with-body with -f", args: []string{"-f", "--fail-with-body", base + "/ok"}, stderr: true},
		{name: "--noproxy '' clears no_proxy", args: []string{"--noproxy", "", "-x", srv.addr, "http://example.invalid/ok"}, env: map[string]string{"no_proxy": "example.invalid"}},
		{name: "through a proxy, a URL without a path", args: []string{"-x", srv.addr, "http://example.invalid?x=1"}},
		{name: "a Location with spaces", args: []string{"-L", base + "/spaceloc"}},
		{name: "-H 'Host;' and 'Accept;' send them empty", args: []string{"-H", "Host;", "-H", "Accept;", base + "/ok"}},
		{name: "--json with the user's Content-Type", args: []string{"--json", `{"a":1}`, "-H", "Content-Type: drinks/hot", base + "/ok"}},
		{name: "--json", args: []string{"--json", `{"a":1}`, "-H", "X-A: 1", base + "/ok"}},
		{name: "--compressed and Content-Encoding: none", args: []string{"--compressed", base + "/none"}},
		{name: "-i: a header line without a colon", args: []string{"-i", base + "/nocolon"}, stderr: true},
		{name: "a Content-Length past 2^63", args: []string{base + "/huge"}, stderr: true},
		{name: "-d -G -I", args: []string{"-d", "a=b", "-G", "-I", base + "/ok"}, stderr: true},
		{name: "too many transfer encodings", args: []string{base + "/te100"}, stderr: true},
		{name: "http:/ with one slash", args: []string{"http:/" + srv.addr + "/ok"}},
		{name: "http:/// with three slashes", args: []string{"-w", "%{url_effective}", "http:///" + srv.addr + "/ok"}},
		{name: "HTTP:/ with one slash", args: []string{"-w", "%{url_effective}", "HTTP:/" + srv.addr + "/ok"}},
		{name: "http://// with four slashes", args: []string{"http:////" + srv.addr + "/ok"}, stderr: true},
		{name: "-L to http:///host", args: []string{"-x", srv.addr, "-L", "-w", "%{url_effective}", "http://a.invalid/slash3"}},
		{name: "-L to ///host", args: []string{"-x", srv.addr, "-L", "-w", "%{url_effective}", "http://a.invalid/slashrel"}},
		{name: "-L to http:////host", args: []string{"-x", srv.addr, "-L", "-w", "%{url_effective}", "http://a.invalid/slash4"}, stderr: true},
		{name: "-L to HTTP:host", args: []string{"-x", srv.addr, "-L", "http://a.invalid/slash0"}, stderr: true},
		{name: "-w redirect_url of a Location with three slashes", args: []string{"-x", srv.addr, "-w", "%{redirect_url}", "http://a.invalid/slash3", "http://a.invalid/slashrel", "http://a.invalid/slash4", "http://a.invalid/slash0"}},
		{name: "a URL without a path, with a query", args: []string{"-w", "%{url_effective}", base + "?x=1"}},
		{name: "a Location without a path, with a query", args: []string{"-x", srv.addr, "-w", "%{redirect_url}", "http://a.invalid/qloc"}},
		{name: "-L to a Location without a path, with a query", args: []string{"-x", srv.addr, "-L", "-w", "%{url_effective}", "http://a.invalid/qloc"}},
		{name: "-L to a Location that does not parse: counted, not a redirect_url", args: []string{"-L", "-w", redirectVars, base + "/badport", base + "/badport2", base + "/nohost", base + "/portonly", base + "/badv6", base + "/badhost"}, stderr: true},
		{name: "-w redirect_url of a Location that does not parse", args: []string{"-w", redirectVars, base + "/badport", base + "/badport2", base + "/nohost", base + "/portonly", base + "/badv6", base + "/badhost"}},
		{name: "-L to a scheme --proto-redir refuses: counted, url_effective the refused URL", args: []string{"-L", "--proto-redir", "=https", "-w", redirectVars, base + "/302"}, stderr: true},
		{name: "-L --max-redirs 0: not counted, the redirect_url kept", args: []string{"-L", "--max-redirs", "0", "-w", redirectVars, base + "/302", base + "/badport"}, stderr: true},
		{name: "malformed URLs: -w for each, and the next URL still goes", args: []string{"-w", refusedVars, "http://exa mple/", base + "/ok", "http:////b.invalid/", "http://b.invalid:99999/", "/api/v1/name spaces", ""}, stderr: true},
		{name: "a malformed URL's times and sizes", args: []string{"-w", "%{time_total} %{time_connect} %{speed_download} %{size_upload} %{size_request}", "http://exa mple/"}},
		{name: "a malformed URL's -w with -d", args: []string{"-d", "x", "-w", refusedVars, "http://exa mple/"}},
		{name: "a malformed URL's -w with -X", args: []string{"-X", "PATCH", "-w", refusedVars, "http://exa mple/"}},
		{name: "a malformed URL's -w with -I", args: []string{"-I", "-w", refusedVars, "http://exa mple/"}},
		{name: "a malformed URL's -w with -T -", args: []string{"-T", "-", "-w", refusedVars, "http://exa mple/"}},
		{name: "--fail-early after a malformed URL", args: []string{"--fail-early", "-w", refusedVars, "http://exa mple/", base + "/ok"}, stderr: true},
		{name: "-T file to a malformed URL: no url_effective, and the run ends", args: []string{"-w", refusedVars, "-T", "-", base + "/ok", "-T", upload, "http://exa mple/", base + "/ok"}, stderr: true},
		{name: "-G to a malformed URL: no url_effective, and the run ends", args: []string{"-G", "-d", "a=b", "-w", refusedVars, "http://exa mple/", base + "/ok"}},
		{name: "--url-query to a malformed URL: no url_effective, and the run ends", args: []string{"--url-query", "a=b", "-w", refusedVars, "http://exa mple/", base + "/ok"}},
		{name: "url_effective keeps user:password and the fragment, and drops an empty ?", args: []string{"-w", "%{url_effective}|%{url}\n", "http://u:p@" + srv.addr + "/ok?#f", "http://:p@" + srv.addr + "/ok?#", srv.addr + "/ok#a%20b"}},
		{name: "%{url} after -G is the rewritten URL", args: []string{"-G", "-d", "a=b", "-w", "%{url_effective}|%{url}\n", srv.addr + "/ok?#f", "http:/" + srv.addr + "/ok?"}},
		{name: "%{url} after --url-query is the rewritten URL", args: []string{"--url-query", "c=d", "-w", "%{url_effective}|%{url}\n", "HTTP://u:p@" + srv.addr, base + "/a/../ok?q#f"}},
		{name: "-G data with a space fails each transfer alone, with %{url} rewritten", args: []string{"-G", "-d", "a b", "-w", refusedVars, base + "/ok?q#f", base + "/odd"}, stderr: true},
		{name: "--url-query with a space fails each transfer alone, with the method set up", args: []string{"-d", "x", "--url-query", "+a b", "-w", refusedVars, base + "/ok", base + "/odd"}, stderr: true},
		{name: "--proto refuses a URL: -w for it, and the next URL goes", args: []string{"--proto", "=https", "-w", refusedVars, base + "/ok", "https://127.0.0.1:1/x"}, stderr: true},
		{name: "--proto refuses a URL whose http:// curl guessed", args: []string{"--proto", "-http", "-d", "x", "-w", refusedVars, srv.addr + "/ok"}, stderr: true},
		{name: "%{size_upload} of a chunked -T - counts the chunk framing", args: []string{"-T", "-", "-w", "%{size_upload}", base + "/ok"}},
		{name: "%{size_upload} of -d with -H Transfer-Encoding: chunked counts the framing", args: []string{"-d", "@-", "-H", "Transfer-Encoding: chunked", "-w", "%{size_upload}", base + "/ok"}},
		{name: "-T . reads stdin as -T - does, and adds no name to a URL ending in /", args: []string{"-T", ".", "-w", "%{size_upload}|%{method}|%{url_effective}", base + "/ok", base + "/files/"}},
		{name: "a failed transfer's error line comes before its -w", args: []string{"-f", "-w", "%{stderr}W %{url} %{exitcode}\n", base + "/404", "http://127.0.0.1:1/x", base + "/ok", "http://exa mple/"}, stderr: true},
		{name: "[] in a URL", args: []string{base + "/a/[]/ok"}},
		{name: "a path with a % that starts no escape goes as given", args: []string{"-w", "%{url_effective}\n", base + "/a%zz", base + "/b%2?q=%zz%", base + "/c/../a%zz/./b", base + "/d%"}},
		{name: "through a proxy, a path with a % that starts no escape", args: []string{"-x", srv.addr, "-w", "%{url_effective}", "http://a.invalid/a%zz"}},
		{name: "-L to a Location with a % that starts no escape", args: []string{"-L", "-w", redirectVars, base + "/zzloc"}},
		{name: "-w redirect_url of a Location with a % that starts no escape", args: []string{"-w", redirectVars, base + "/zzloc"}},
		{name: "-T - with the user's Content-Length", args: []string{"-T", "-", "-H", "Transfer-Encoding:", "-H", "Content-Length: 3", base + "/ok"}},
		{name: "-T file with -H Transfer-Encoding: chunked", args: []string{"-T", upload, "-H", "Transfer-Encoding: chunked", base + "/ok"}},
		{name: "--resolve with a bad port", args: []string{"--resolve", "1234:example.com:127.0.0.1", base + "/ok"}, stderr: true},
		{name: "-H Host: stays with the URL's host", args: []string{"-x", srv.addr, "-L", "-H", "Host: custom.example", "http://a.invalid/tohost"}},
		{name: "-u does not follow a redirect to another host", args: []string{"-x", srv.addr, "-L", "-u", "user:secret", "http://a.invalid/tohost"}},
		{name: "--location-trusted: -u follows it", args: []string{"-x", srv.addr, "--location-trusted", "-u", "user:secret", "http://a.invalid/tohost"}},
		{name: "--location-trusted: -H Authorization follows it", args: []string{"-x", srv.addr, "--location-trusted", "-H", "Authorization: Bearer typed", "http://a.invalid/tohost"}},
		{name: "through an HTTP proxy", args: []string{"-x", srv.addr, "http://example.invalid/ok"}},
		{name: "-x '' turns the environment's proxy off", args: []string{"-x", "", base + "/ok"}, env: map[string]string{"http_proxy": "http://127.0.0.1:1"}},
		{name: "a refused CONNECT", args: []string{"-x", srv.addr, "https://example.invalid/ok"}, stderr: true},
		{name: "repeated headers all go, in order", args: []string{"-H", "Impersonate-Group: a", "-H", "X-B: 1", "-H", "Impersonate-Group: b", "-d", "a=1", base + "/ok"}},
		{name: "curl's header order with defaults replaced", args: []string{"-H", "X-B: 1", "-H", "Accept: x", "-H", "Host: foo", "-H", "Content-Type: y", "-H", "User-Agent: me", "-d", "a", base + "/ok"}},
		{name: "-A '' sends no User-Agent", args: []string{"-A", "", base + "/ok"}},
		{name: "-H 'User-Agent:' sends none", args: []string{"-H", "User-Agent:", "-H", "Content-Length:", "-d", "x", base + "/ok"}},
		{name: "-T: Expect: 100-continue", args: []string{"-T", upload, base + "/ok"}},
		{name: "-T -: chunked", args: []string{"-T", "-", base + "/ok"}},
		{name: "--compressed asks only for what it decodes", args: []string{"--compressed", "-H", "Accept-Encoding: gzip", base + "/ok"}},
		{name: "-i: head as received", args: []string{"-i", base + "/odd"}},
		{name: "-i: bare LF", args: []string{"-i", base + "/lf"}},
		{name: "-i: 103 and trailers", args: []string{"-i", base + "/hints"}},
		{name: "-I", args: []string{"-I", base + "/odd"}},
		{name: "bad Content-Length", args: []string{base + "/badlen"}, stderr: true},
		{name: "negative Content-Length", args: []string{base + "/neglen"}, stderr: true},
		{name: "not HTTP", args: []string{base + "/nothttp"}, stderr: true},
		{name: "status below 100", args: []string{base + "/low"}, stderr: true},
		{name: "status 600", args: []string{base + "/high"}, stderr: true},
		{name: "NUL in a header", args: []string{base + "/nul"}, stderr: true},
		{name: "-i: NUL in a header", args: []string{"-i", base + "/nul"}, stderr: true},
		{name: "-i: bad Content-Length", args: []string{"-i", base + "/badlen"}, stderr: true},
		{name: "--compressed HEAD with Content-Encoding", args: []string{"--compressed", "-I", base + "/headgz"}, stderr: true},
		{name: "--compressed 204 with Content-Encoding", args: []string{"--compressed", base + "/204gz"}, stderr: true},
		{name: "--compressed 304 with Content-Encoding", args: []string{"--compressed", base + "/304gz"}, stderr: true},
		{name: "--compressed raw deflate", args: []string{"--compressed", base + "/rawdefl"}, stderr: true},
		{name: "--compressed zlib deflate", args: []string{"--compressed", base + "/zlibdefl"}, stderr: true},
		{name: "--compressed deflate with a bad checksum", args: []string{"--compressed", base + "/badsum"}, stderr: true},
		{name: "--compressed gzip that is not", args: []string{"--compressed", base + "/badgz"}, stderr: true},
		{name: "--compressed gzip with a long header", args: []string{"--compressed", base + "/gzlong"}, stderr: true},
		{name: "--compressed unknown encoding", args: []string{"--compressed", base + "/unknown"}, stderr: true},
		{name: "-G with a space", args: []string{"-G", "-d", "a b", base + "/ok"}, stderr: true},
		{name: "-G with bytes curl sends raw", args: []string{"-G", "-d", "a=%", "-d", "é", base + "/ok"}},
		{name: "-I with -d", args: []string{"-I", "-d", "x", base + "/ok"}, stderr: true},
		{name: "-d with -T", args: []string{"-d", "x", "-T", upload, base + "/ok"}, stderr: true},
		{name: "--http2 --http1.1: the last wins", args: []string{"--http2", "--http1.1", base + "/ok"}},
		{name: "-w variables after -L", args: []string{"-L", "-w", "%{url} %{redirect_url} %{url_effective} %{method} %{num_redirects} %{http_code} %{response_code} %{num_headers} %{size_header} %{scheme} %{http_version} %{content_type} %{exitcode} %{urlnum} %{filename_effective} %{referer} %{num_connects} %{http_connect} %{ssl_verify_result} %{errormsg}", base + "/302"}},
		{name: "-w redirect_url without -L", args: []string{"-w", "%{redirect_url} %{num_redirects}", base + "/302"}},
		{name: "-w unknown and unterminated", args: []string{"-w", "a%{nope}b%{ x %header{y", base + "/ok"}, stderr: true},
		{name: "-w onerror on success", args: []string{"-w", "a%{onerror}b", base + "/ok"}},
		{name: "-w onerror on failure", args: []string{"-f", "-w", "a%{onerror}b %{errormsg}", base + "/404"}},
		{name: "-w @file drops line endings", args: []string{"-w", "@" + crlfFormat, base + "/ok"}},
		{name: "-w %header with a repeated header", args: []string{"-w", "%header{x-two}|%header{X-TWO}", base + "/twice"}},
		{name: "-w header_json", args: []string{"-w", "%{header_json}", base + "/odd"}},
		{name: "-X DELETE -L -d keeps the method, drops the body", args: []string{"-X", "DELETE", "-L", "-d", "foo", base + "/302"}},
		{name: "-w %{method} after a 302", args: []string{"-L", "-d", "x", "-w", "%{method}", base + "/302"}},
		{name: "POST becomes GET after 301", args: []string{"-L", "-d", "foo", base + "/301"}},
		{name: "POST becomes GET after 302", args: []string{"-L", "-d", "foo", base + "/302"}},
		{name: "POST becomes GET after 303", args: []string{"-L", "-d", "foo", base + "/303"}},
		{name: "--post301", args: []string{"-L", "--post301", "-d", "foo", base + "/301"}},
		{name: "--post303", args: []string{"-L", "--post303", "-d", "foo", base + "/303"}},
		{name: "several URLs: the last one's code", args: []string{"-f", base + "/404", base + "/ok"}, stderr: true},
		{name: "several URLs: a failing last", args: []string{"-f", base + "/ok", base + "/404"}, stderr: true},
		{name: "--fail-early", args: []string{"--fail-early", "-f", base + "/404", base + "/ok"}, stderr: true},
		{name: "--retry: curl's warning and an error line per attempt", args: []string{"-S", "--retry", "2", "--retry-delay", "0", "-f", base + "/503"}, stderr: true},
		{name: "--resolve with a list, a wildcard and +", args: []string{"--resolve", "+*:" + portOf(&url.URL{Host: srv.addr}) + ":127.0.0.2,127.0.0.1", "-w", "%{remote_ip}", "http://example.invalid:" + portOf(&url.URL{Host: srv.addr}) + "/ok"}},
		{name: "unknown option", args: []string{"--nope", base + "/ok"}, stderr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv.take()
			quiet := "-s"
			if tt.stderr {
				quiet = "-sS" // the error lines, as a script sees them
			}
			curlArgs := append([]string{quiet}, tt.args...)
			kenv := map[string]string{"HOME": t.TempDir()}
			for k, v := range tt.env {
				curlArgs = append(curlArgs, "env:"+k+"="+v)
				kenv[k] = v
			}
			c := runCurlIn(t, "abc", curlArgs...)
			curlReqs := srv.take()
			k := kcurl(t, invocation{args: append([]string{quiet}, tt.args...), stdin: "abc", env: kenv})
			kcurlReqs := srv.take()
			is.Equal(k.code, c.code)     // curl's exit code
			is.Equal(k.stdout, c.stdout) // curl's stdout, byte for byte
			if tt.stderr {
				is.Equal(k.stderr, sameWords(c.stderr)) // curl's words
			}
			is.Equal(kcurlReqs, curlReqs) // the server received what curl sends
		})
	}
}

// TestWriteOutJSONLikeCurl compares %{json} and the widely copied curl-format.txt with
// curl's: the same keys in the same order, the same types, and the same values where
// they do not depend on the moment (times, ports, speeds) or the program (its version).
func TestWriteOutJSONLikeCurl(t *testing.T) {
	curlPath(t)
	srv := newRawServer(t, rawReplies)
	base := "http://" + srv.addr
	curlFormat := writeFile(t, "curl-format.txt", `     time_namelookup:  %{time_namelookup}s\n        time_connect:  %{time_connect}s\n     time_appconnect:  %{time_appconnect}s\n    time_pretransfer:  %{time_pretransfer}s\n       time_redirect:  %{time_redirect}s\n  time_starttransfer:  %{time_starttransfer}s\n                     ----------\n          time_total:  %{time_total}s\n`)
	moment := regexp.MustCompile(`("(time_\w+|local_port|speed_\w+|curl_version|size_request)":)("[^"]*"|[0-9.]+)|[0-9]+\.[0-9]{6}s|after [0-9]+ ms`)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "%{json} after a redirect", args: []string{"-L", "-o", "/dev/null", "-w", "%{json}", base + "/302"}},
		{name: "%{json} on a failure", args: []string{"-o", "/dev/null", "-w", "%{json}", "http://" + closedPort(t) + "/"}},
		{name: "%{json} with -f", args: []string{"-f", "-w", "%{json}", base + "/404"}},
		{name: "%{json} for a malformed URL", args: []string{"-w", "%{json}", "http://exa mple/"}},
		{name: "curl-format.txt", args: []string{"-o", "/dev/null", "-w", "@" + curlFormat, base + "/ok"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := runCurl(t, append([]string{"-s"}, tt.args...)...)
			k := kcurl(t, invocation{args: append([]string{"-s"}, tt.args...)})
			is.Equal(k.code, c.code)
			mask := func(s string) string { return moment.ReplaceAllString(s, "${1}T") }
			is.Equal(mask(k.stdout), mask(c.stdout)) // curl's keys, types and values
			if strings.HasPrefix(tt.args[len(tt.args)-2], "%{json}") {
				var v map[string]any
				is.NoErr(json.Unmarshal([]byte(k.stdout), &v)) // valid JSON
			}
		})
	}
}

// TestOptionsLikeCurl runs the options kcurl took over from curl beside curl 7.88:
// "{dir}" in an argument is a folder of each program's own, and what each leaves in
// it (names and bytes) is compared too.
func TestOptionsLikeCurl(t *testing.T) {
	curlPath(t)
	replies := map[string]string{
		"/files/a.txt": "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: 6\r\n\r\nfile a",
		"/files/":      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nindex",
		"/range":       "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 3-5/6\r\nContent-Length: 3\r\n\r\ne a",
		"/full":        "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfile a",
		"/short":       "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nshort",
		"/cd":          "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"../report.csv\"\r\nContent-Length: 4\r\n\r\na,b\n",
		"/to-http":     "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/x\r\nContent-Length: 0\r\n\r\n",
		"/setck":       "HTTP/1.1 302 Found\r\nSet-Cookie: s=1; Path=/\r\nSet-Cookie: h=2; HttpOnly\r\nSet-Cookie: deep=3; Path=/files\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
	}
	for k, v := range rawReplies {
		replies[k] = v
	}
	srv := newRawServer(t, replies)
	base := "http://" + srv.addr
	port := portOf(&url.URL{Host: srv.addr})
	tests := []struct {
		name   string
		args   []string
		stderr bool
		stdin  string
		// before prepares each program's folder.
		before func(dir string)
	}{
		{name: "-O", args: []string{"--output-dir", "{dir}", "-O", base + "/files/a.txt"}},
		{name: "-O --create-dirs", args: []string{"--create-dirs", "--output-dir", "{dir}/x/y", "-O", base + "/files/a.txt"}},
		{name: "-O without a file name", args: []string{"--output-dir", "{dir}", "-O", base + "/files/"}, stderr: true},
		{name: "-o and -O in order", args: []string{"--output-dir", "{dir}", "-o", "one", base + "/ok", "-O", base + "/files/a.txt"}},
		{name: "--remote-name-all", args: []string{"--output-dir", "{dir}", "--remote-name-all", base + "/files/a.txt", base + "/ok"}},
		{name: "-D -", args: []string{"-D", "-", base + "/odd"}},
		{name: "-D file", args: []string{"-L", "-D", "{dir}/head", base + "/302"}},
		{name: "-u", args: []string{"-u", "user:secret", base + "/ok"}},
		{name: "-u --basic", args: []string{"--basic", "-u", "user:", base + "/ok"}},
		{name: "credentials in the URL", args: []string{"http://user:pw@" + srv.addr + "/ok"}},
		{name: "-e -r -z", args: []string{"-e", "http://from.example/", "-r", "0-3", "-z", "Tue, 01 Dec 2026 00:00:00 GMT", base + "/ok"}},
		{name: "-z with a file's time", args: []string{"-z", "-{dir}/stamp", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "stamp"), nil, 0o600)
			os.Chtimes(filepath.Join(dir, "stamp"), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
		}},
		{name: "--url", args: []string{"--url", base + "/ok"}},
		{name: "--url-query", args: []string{"--url-query", "n=c d~é/", "--url-query", "=x y", "--url-query", "+e=f", base + "/ok?x=1"}},
		{name: "--url-query with a space in a name", args: []string{"--url-query", "a b=c", base + "/ok"}, stderr: true},
		{name: "dot segments squashed", args: []string{base + "/a/./b/../../ok"}},
		{name: "--path-as-is", args: []string{"--path-as-is", base + "/a/../ok"}},
		{name: "--proto =https", args: []string{"--proto", "=https", base + "/ok"}, stderr: true},
		{name: "--proto-redir =https", args: []string{"-L", "--proto-redir", "=https", base + "/to-http"}, stderr: true},
		{name: "--max-filesize", args: []string{"--max-filesize", "2", base + "/ok"}, stderr: true},
		{name: "--connect-to", args: []string{"--connect-to", "example.invalid:80:127.0.0.1:" + port, "http://example.invalid/ok"}},
		{name: "-4", args: []string{"-4", base + "/ok"}},
		{name: "--etag-save", args: []string{"--etag-save", "{dir}/etag", base + "/files/a.txt"}},
		{name: "--etag-compare", args: []string{"--etag-compare", "{dir}/etag", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "etag"), []byte("\"v1\"\n"), 0o600)
		}},
		{name: "-C -", args: []string{"-C", "-", "-o", "{dir}/part", base + "/range"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "part"), []byte("fil"), 0o600)
		}},
		{name: "-C - on a server that does not resume", args: []string{"-C", "-", "-o", "{dir}/part", base + "/full"}, stderr: true, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "part"), []byte("fil"), 0o600)
		}},
		{name: "--limit-rate", args: []string{"--limit-rate", "100K", base + "/ok"}},
		{name: "-Z", args: []string{"-Z", "--parallel-max", "2", base + "/ok", base + "/odd"}},
		{name: "--stderr", args: []string{"-S", "--stderr", "{dir}/err", base + "/badlen"}},
		{name: "--no-fail after -f", args: []string{"-f", "--no-fail", base + "/404"}},
		{name: "-F", args: []string{"-F", "a=1", "-F", "f=@{dir}/x.txt", "-F", "g=@{dir}/x.txt;type=app/x;filename=y", "-F", "v=<{dir}/x.txt", "--form-string", "s=@lit", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "x.txt"), []byte("hello\n"), 0o600)
		}},
		{name: "-K", args: []string{"-K", "{dir}/cfg", "-H", "X-After: 1"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "cfg"), []byte("# a comment\n--header \"X-A: 1\"\nheader = \"X-B: two words\"\n  user-agent: \"agent \\\"q\\\"\"\nsilent\nurl = \""+base+"/ok\"\n"), 0o600)
		}},
		{name: "-K -", args: []string{"-K", "-"}, stdin: "url " + base + "/odd\ninclude\n"},
		{name: "--netrc-file", args: []string{"--netrc-file", "{dir}/netrc", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "netrc"), []byte("machine other.test login x password y\nmachine 127.0.0.1\n login me\n password s3cret\n"), 0o600)
		}},
		{name: "--netrc-file with the URL's user", args: []string{"--netrc-file", "{dir}/netrc", "http://b@" + srv.addr + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "netrc"), []byte("machine 127.0.0.1 login a password 1\nmachine 127.0.0.1 login b password 2\n"), 0o600)
		}},
		{name: "globbing with #N in -o", args: []string{"-w", "%{url} %{urlnum} %{url_effective}\n", "-o", "{dir}/f_#1_#2", base + "/{ok,odd}?n=[1-2]", base + "/[a-b]x[01-03:2]"}},
		{name: "-g", args: []string{"-g", base + "/x[1-2]{a,b}"}},
		{name: "a glob past the last URL's -o", args: []string{"-o", "{dir}/one", base + "/ok", base + "/{odd,lf}"}},
		{name: "--next", args: []string{"-H", "X-First: 1", "-sS", base + "/ok", "--next", "-d", "x", base + "/odd", "-:", "-I", base + "/lf"}},
		{name: "--next with a failing first operation", args: []string{"-f", base + "/404", "-:", base + "/ok"}, stderr: true},
		{name: "-o keeps what came of a cut body", args: []string{"-i", "-o", "{dir}/part", base + "/short"}, stderr: true},
		{name: "--remove-on-error", args: []string{"--remove-on-error", "-o", "{dir}/part", base + "/short"}, stderr: true},
		{name: "-J", args: []string{"--output-dir", "{dir}", "-O", "-J", base + "/cd"}},
		{name: "-T for each URL", args: []string{"-T", "{dir}/up", base + "/ok", "-T", "{dir}/up2", base + "/odd", base + "/lf"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
			os.WriteFile(filepath.Join(dir, "up2"), []byte("defg"), 0o600)
		}},
		{name: "-T with a glob, to each URL of a glob", args: []string{"-w", "%{url_effective} %{urlnum} %{http_code}\n", "-T", "{dir}/{up,up2}", base + "/{files,x}/", "-T", "{dir}/{up2,up}", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
			os.WriteFile(filepath.Join(dir, "up2"), []byte("defg"), 0o600)
		}},
		{name: "-T glob with a missing file: the run stops there", args: []string{"-w", "%{url_effective} %{exitcode}\n", "-T", "{dir}/{up,missing,up2}", base + "/files/", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
			os.WriteFile(filepath.Join(dir, "up2"), []byte("defg"), 0o600)
		}},
		{name: "-T missing after a good URL", args: []string{"-w", "%{url_effective} %{exitcode}\n", "-T", "{dir}/up", base + "/ok", "-T", "{dir}/missing", base + "/odd", base + "/lf"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
		}},
		{name: "-T to URLs without a path: the file's name appended", args: []string{"-w", "%{url} %{url_effective}\n", "-T", "{dir}/up", base, "-T", "{dir}/up", base + "?a=b", "-T", "{dir}/up", base + "?"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
		}},
		{name: "-T: the URL -w shows keeps the fragment, the scheme in lower case", args: []string{"-w", "%{url}\n", "-T", "{dir}/up", "HTTP://" + srv.addr + "/d/?x#frag"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
		}},
		{name: "-T to a URL without a scheme or a path", args: []string{"-w", "%{url} %{url_effective}\n", "-T", "{dir}/up", srv.addr}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
		}},
		{name: "-o to a malformed URL: no file, its name in -w", args: []string{"-w", refusedVars, "-o", "{dir}/out", "http://exa mple/", "-o", "{dir}/ok", base + "/ok"}, stderr: true},
		{name: "-O to a malformed URL: -w, and the run ends", args: []string{"--output-dir", "{dir}", "-w", refusedVars, "-o", "one", base + "/ok", "-O", "http://exa mple/x", base + "/ok"}, stderr: true},
		{name: "-O without a file name after a good URL: -w, and the run ends", args: []string{"--output-dir", "{dir}", "-w", refusedVars, "-o", "one", base + "/ok", "-O", base + "/files/", base + "/ok"}, stderr: true},
		{name: "-g -T: the file's name escaped in the URL", args: []string{"-g", "-T", "{dir}/{up,2} é~(!).txt", base + "/files/"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "{up,2} é~(!).txt"), []byte("abc"), 0o600)
		}},
		{name: "--http1.0", args: []string{"--http1.0", "-T", "{dir}/up", base + "/ok"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "up"), []byte("abc"), 0o600)
		}},
		{name: "--no-location after -L", args: []string{"-L", "--no-location", "-w", "%{http_code}", base + "/302"}},
		{name: "--no-include after -i", args: []string{"-i", "--no-include", base + "/ok"}},
		{name: "-b NAME=VALUE", args: []string{"-b", "a=b; c=d", base + "/ok"}},
		{name: "-b file -c file -L", args: []string{"-L", "-b", "{dir}/jar", "-c", "{dir}/out", base + "/setck", base + "/files/a.txt"}, before: func(dir string) {
			os.WriteFile(filepath.Join(dir, "jar"), []byte("127.0.0.1\tFALSE\t/\tFALSE\t0\tpre\tv\n"), 0o600)
		}},
		{name: "-c - ", args: []string{"-c", "-", base + "/setck"}},
		{name: "--expect100-timeout", args: []string{"--expect100-timeout", "0.5", "-T", "-", base + "/ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			dirs := [2]string{t.TempDir(), t.TempDir()}
			args := [2][]string{{"-s"}, {"-s"}}
			if tt.stderr {
				args = [2][]string{{"-sS"}, {"-sS"}}
			}
			for i, d := range dirs {
				if tt.before != nil {
					tt.before(d)
				}
				for _, a := range tt.args {
					args[i] = append(args[i], strings.ReplaceAll(a, "{dir}", d))
				}
			}
			srv.take()
			stdin := "abc"
			if tt.stdin != "" {
				stdin = tt.stdin
			}
			c := runCurlIn(t, stdin, args[0]...)
			curlReqs := srv.take()
			k := kcurl(t, invocation{args: args[1], stdin: stdin, env: map[string]string{"HOME": t.TempDir()}})
			kcurlReqs := srv.take()
			is.Equal(k.code, c.code) // curl's exit code
			is.Equal(strings.ReplaceAll(k.stdout, dirs[1], "{dir}"), strings.ReplaceAll(c.stdout, dirs[0], "{dir}"))
			if tt.stderr {
				is.Equal(strings.ReplaceAll(k.stderr, dirs[1], "{dir}"), sameWords(strings.ReplaceAll(c.stderr, dirs[0], "{dir}"))) // curl's words
			}
			is.Equal(kcurlReqs, curlReqs)                                                 // the server received what curl sends
			is.Equal(folderContents(t, dirs[1], false), folderContents(t, dirs[0], true)) // the same files, the same bytes
		})
	}
}

// folderContents lists a folder's files (relative names) with their bytes; curl's
// with the program's name made kcurl's.
func folderContents(t *testing.T, dir string, curls bool) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[rel] = string(b)
			if curls {
				files[rel] = sameWords(files[rel])
			}
		}
		return nil
	})
	return files
}

// TestCurlrc is ~/.curlrc, read as curl reads it unless -q comes first (curl's own
// runs above all pass -q, so this one checks the request bytes kcurl sends).
func TestCurlrc(t *testing.T) {
	srv := newRawServer(t, rawReplies)
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, ".curlrc"), []byte("-H \"X-From: rc\"\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{name: ".curlrc is read", args: []string{"-s", "http://" + srv.addr + "/ok"}, want: "X-From: rc\r\n"},
		{name: "-q first: not read", args: []string{"-q", "-s", "http://" + srv.addr + "/ok"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv.take()
			r := kcurl(t, invocation{args: tt.args, env: map[string]string{"HOME": home}})
			is.Equal(r.code, 0)
			reqs := srv.take()
			is.Equal(len(reqs), 1)
			is.Equal(strings.Contains(reqs[0], "X-From: rc\r\n"), tt.want != "") // the header from .curlrc, or not
		})
	}
}

// TestReturnsAtTheHead is curl's early return: with -f on an error, and on a redirect
// it follows, a body without a length is not waited for when the head has decided.
func TestReturnsAtTheHead(t *testing.T) {
	curlPath(t)
	hold := faultServer(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		if req.URL.Path == "/ok" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
			return
		}
		status := "404 Not Found"
		if req.URL.Path == "/moved" {
			status = "302 Found\r\nLocation: /ok"
		}
		io.WriteString(c, "HTTP/1.1 "+status+"\r\n\r\nthe body that never ends")
		time.Sleep(5 * time.Second)
	})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "-f on a 404", args: []string{"-f", "http://" + hold + "/missing"}},
		{name: "-L past a 302", args: []string{"-L", "http://" + hold + "/moved"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := runCurl(t, append([]string{"-s"}, tt.args...)...)
			start := time.Now()
			k := kcurl(t, invocation{args: append([]string{"-s"}, tt.args...)})
			is.True(time.Since(start) < 3*time.Second) // not held until the server closes
			is.Equal(k.code, c.code)
			is.Equal(k.stdout, c.stdout)
		})
	}
}

// TestTransportOptionsLikeCurl: --pinnedpubkey, --http2-prior-knowledge and
// --speed-limit beside curl 7.88.
func TestTransportOptionsLikeCurl(t *testing.T) {
	curlPath(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok\n"), serverOptions{})
	sum := sha256.Sum256(srv.Certificate().RawSubjectPublicKeyInfo)
	pin := "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
	h2c := httptest.NewUnstartedServer(replying(nil, 200, "text/plain", "ok\n"))
	h2c.Config.Protocols = new(http.Protocols)
	h2c.Config.Protocols.SetHTTP1(true)
	h2c.Config.Protocols.SetUnencryptedHTTP2(true)
	h2c.Start()
	t.Cleanup(h2c.Close)
	slow := faultServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nx") // then nothing: the same bytes for both
		time.Sleep(5 * time.Second)
	})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "--pinnedpubkey that matches", args: []string{"--cacert", pki.caFile, "--pinnedpubkey", "sha256//AAAA;" + pin, "-w", "%{http_code}", srv.URL + "/"}},
		{name: "--pinnedpubkey that does not", args: []string{"--cacert", pki.caFile, "--pinnedpubkey", "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", srv.URL + "/"}},
		{name: "--pinnedpubkey with -k", args: []string{"-k", "--pinnedpubkey", pin, srv.URL + "/"}},
		{name: "--ciphers over TLS 1.2", args: []string{"--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384", "--tls-max", "1.2", "--cacert", pki.caFile, "-w", "%{http_code}", srv.URL + "/"}},
		{name: "--ciphers with no suite known", args: []string{"--ciphers", "NOPE-CIPHER", "--cacert", pki.caFile, srv.URL + "/"}},
		{name: "--http2-prior-knowledge", args: []string{"--http2-prior-knowledge", "-w", "%{http_version}", h2c.URL + "/"}},
		{name: "--speed-limit", args: []string{"--speed-limit", "1000", "--speed-time", "1", "http://" + slow + "/"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := runCurl(t, append([]string{"-sS"}, tt.args...)...)
			k := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...)})
			is.Equal(k.code, c.code)                // curl's exit code
			is.Equal(k.stdout, c.stdout)            // and stdout
			is.Equal(k.stderr, sameWords(c.stderr)) // and words
		})
	}
}

// TestTraceFile: --trace-ascii writes the -v lines to its file (stdout here, where the
// suite's check for the token looks), with the token redacted, and --trace-time stamps them.
func TestTraceFile(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-s", "--trace-ascii", "-", "--trace-time", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"trace"))})
	is.Equal(r.code, 0)
	is.True(regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{6} > GET /x HTTP/2\r$`).MatchString(r.stdout)) // the request line, stamped
	is.True(strings.Contains(r.stdout, "> authorization: Bearer <redacted>"))                          // the token redacted
	is.Equal(r.stderr, "")                                                                             // nothing on stderr
}

// TestCAPath: --capath trusts the PEM files of a folder (curl's OpenSSL wants hashed
// names there, so this one is kcurl's alone).
func TestCAPath(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.pem"), pki.caPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a certificate"), 0o600)
	r := kcurl(t, invocation{args: []string{"-sS", "--capath", dir, srv.URL + "/"}})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, "ok")
	r = kcurl(t, invocation{args: []string{"-sS", "--capath", t.TempDir(), srv.URL + "/"}})
	is.Equal(r.code, 60) // an empty folder trusts nothing
}

// TestUserHiddenFromCmdline: -u's password is blanked where other processes of the pod
// read the command line (/proc/PID/cmdline), as curl blanks it.
func TestUserHiddenFromCmdline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	is := is.New(t)
	bin := buildLikeTheImage(t, runtime.GOARCH)
	hold := faultServer(t, func(c net.Conn) {
		readRequest(c)
		time.Sleep(3 * time.Second)
	})
	for _, args := range [][]string{
		{"-s", "-u", "me:s3cret-pw", "http://" + hold + "/"},
		{"-s", "--user=me:s3cret-pw", "http://" + hold + "/"},
	} {
		cmd := exec.Command(bin, args...)
		is.NoErr(cmd.Start())
		var cmdline []byte
		// The password is there from exec until kcurl has parsed it: wait for it to go.
		for i := 0; i < 50 && (!bytes.Contains(cmdline, []byte("http://")) || bytes.Contains(cmdline, []byte("s3cret-pw"))); i++ {
			time.Sleep(50 * time.Millisecond)
			cmdline, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid))
		}
		cmd.Process.Kill()
		cmd.Wait()
		is.True(bytes.Contains(cmdline, []byte("http://")))    // the command line was read
		is.True(!bytes.Contains(cmdline, []byte("s3cret-pw"))) // without the password
	}
}

// TestUnixSocketAndTLSVersionsLikeCurl: --unix-socket, --tlsv1.3 and --tls-max beside curl 7.88.
func TestUnixSocketAndTLSVersionsLikeCurl(t *testing.T) {
	curlPath(t)
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	unix := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		io.WriteString(w, "over the socket: "+r.Host+r.URL.Path)
	})}
	go unix.Serve(l)
	t.Cleanup(func() { unix.Close() })
	pki := newPKI(t)
	tls12 := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{tls12: true})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "--unix-socket", args: []string{"--unix-socket", sock, "http://localhost/x"}},
		{name: "--tlsv1.3 to a TLS 1.2 server", args: []string{"--tlsv1.3", "--cacert", pki.caFile, "-w", "%{http_code}", tls12.URL}},
		{name: "--tls-max 1.2", args: []string{"--tls-max", "1.2", "--cacert", pki.caFile, "-w", "%{http_code}", tls12.URL}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			c := runCurl(t, append([]string{"-s"}, tt.args...)...)
			k := kcurl(t, invocation{args: append([]string{"-s"}, tt.args...)})
			is.Equal(k.code, c.code)     // curl's exit code
			is.Equal(k.stdout, c.stdout) // and stdout
		})
	}
}

// longHeaderGzip is a reply whose gzip body carries an extra field, a name and a
// comment of hundreds of bytes each, as curl's test 224 has.
func longHeaderGzip(text string) string {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	io.WriteString(fw, text)
	fw.Close()
	var body bytes.Buffer
	body.Write([]byte{0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3})
	extra := append([]byte("AB\x58\x02"), bytes.Repeat([]byte("x"), 600)...)
	body.Write([]byte{byte(len(extra)), byte(len(extra) >> 8)})
	body.Write(extra)
	body.WriteString(strings.Repeat("n", 700) + "\x00" + strings.Repeat("c", 900) + "\x00")
	body.Write(raw.Bytes())
	binary.Write(&body, binary.LittleEndian, crc32.ChecksumIEEE([]byte(text)))
	binary.Write(&body, binary.LittleEndian, uint32(len(text)))
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", body.Len()) + body.String()
}

// TestClosedIdleConnection: a server that closes a connection its reply left open;
// the next URL goes on a new connection, as curl sends it.
func TestClosedIdleConnection(t *testing.T) {
	curlPath(t)
	is := is.New(t)
	closer := faultServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
	})
	args := []string{"-sS", "http://" + closer + "/a", "http://" + closer + "/b"}
	c := runCurl(t, args...)
	k := kcurl(t, invocation{args: args})
	is.Equal(k.code, c.code)     // curl's exit code
	is.Equal(k.stdout, c.stdout) // both bodies
	is.Equal(k.stdout, "ok\nok\n")
}

// TestExpectationFailed: a server that answers Expect: 100-continue with 417 gets the
// request again without it, and -i shows both heads, as curl does.
func TestExpectationFailed(t *testing.T) {
	curlPath(t)
	is := is.New(t)
	var mu sync.Mutex
	var seen []string
	srv := faultServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, req.Method+" expect="+req.Header.Get("Expect"))
			mu.Unlock()
			if req.Header.Get("Expect") != "" {
				io.WriteString(c, "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
				continue
			}
			b, _ := io.ReadAll(req.Body)
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
		}
	})
	upload := writeFile(t, "up", "upload me\n")
	args := []string{"-sS", "-i", "-T", upload, "http://" + srv + "/x"}
	c := runCurl(t, args...)
	mu.Lock()
	curlSeen := seen
	seen = nil
	mu.Unlock()
	k := kcurl(t, invocation{args: args})
	mu.Lock()
	defer mu.Unlock()
	is.Equal(k.code, c.code)     // curl's exit code
	is.Equal(k.stdout, c.stdout) // both heads and the body
	is.Equal(seen, curlSeen)     // with Expect, then without
}

// TestHTTP10AndRewindLikeCurl runs, beside curl 7.88, a server that answers HTTP/1.0 and
// a redirect that needs -T -'s body again: the next request to a connection or in a
// transfer that saw HTTP/1.0 asks in HTTP/1.0, where a body of unknown length cannot go
// (25); stdin from a file is sent again after a redirect, from a pipe it cannot be (65).
func TestHTTP10AndRewindLikeCurl(t *testing.T) {
	curlPath(t)
	srv := newRawServer(t, map[string]string{
		"/ok":      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n",
		"/v10":     "HTTP/1.0 200 OK\r\nContent-Length: 4\r\nConnection: Keep-Alive\r\n\r\nv10\n",
		"/moved":   "HTTP/1.1 301 Moved\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
		"/moved10": "HTTP/1.0 301 Moved\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n",
	})
	base := "http://" + srv.addr
	upload := writeFile(t, "upload", "upload me\n")
	tests := []struct {
		name string
		args []string
		// stdinFile gives both programs a file as stdin, which they can seek in; else a pipe.
		stdinFile bool
		// verbose adds -v and compares the request lines it shows instead of all of stderr.
		verbose bool
	}{
		{name: "the next URL on a connection that answered HTTP/1.0", args: []string{base + "/v10", base + "/ok", "-T", upload, base + "/dir/"}},
		{name: "-T file -L: the redirect after HTTP/1.0 in HTTP/1.0", args: []string{"-T", upload, "-L", base + "/moved10"}},
		{name: "-T - -L from a pipe: cannot rewind", args: []string{"-T", "-", "-L", "-w", "%{url_effective} %{num_redirects}", base + "/moved"}},
		{name: "-T - -L from a file: sent again", args: []string{"-T", "-", "-L", base + "/moved"}, stdinFile: true},
		{name: "-T - -L from a file after HTTP/1.0: no chunks", args: []string{"-T", "-", "-L", base + "/moved10"}, stdinFile: true},
		{name: "-v shows the HTTP/1.0 request line", args: []string{base + "/v10", base + "/ok"}, verbose: true},
		{name: "--http1.0 -T -: no chunks", args: []string{"--http1.0", "-T", "-", base + "/ok"}},
		{name: "--http1.0 -T - with the user's chunked", args: []string{"--http1.0", "-H", "Transfer-Encoding: chunked", "-T", "-", base + "/ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			stdin := func() io.Reader { return io.MultiReader(strings.NewReader("from stdin\n")) } // no Seek: a pipe
			if tt.stdinFile {
				file := writeFile(t, "stdin", "from stdin\n")
				stdin = func() io.Reader {
					f, err := os.Open(file)
					is.NoErr(err)
					t.Cleanup(func() { f.Close() })
					return f
				}
			}
			args := append([]string{"-sS"}, tt.args...)
			if tt.verbose {
				args = append(args, "-v")
			}
			srv.take()
			c := runCurlFrom(t, stdin(), args...)
			curlReqs := srv.take()
			k := kcurl(t, invocation{args: args, stdinReader: stdin()})
			kcurlReqs := srv.take()
			is.Equal(k.code, c.code)     // curl's exit code
			is.Equal(k.stdout, c.stdout) // curl's stdout
			if tt.verbose {
				is.Equal(sentLines(k.stderr), sentLines(c.stderr)) // -v shows the request as curl does
			} else {
				is.Equal(k.stderr, sameWords(c.stderr)) // curl's words
			}
			is.Equal(kcurlReqs, curlReqs) // the server received what curl sends
		})
	}
}

// sentLines are -v's "> " lines, with curl's and kcurl's User-Agent made one.
func sentLines(stderr string) []string {
	var out []string
	for _, l := range strings.SplitAfter(stderr, "\n") {
		if strings.HasPrefix(l, "> ") {
			out = append(out, userAgentLine.ReplaceAllString(l, "User-Agent: UA\r\n"))
		}
	}
	return out
}

// TestPathAsGivenOverTLSLikeCurl checks the request line net/http sends over https for
// a path with a % that starts no escape, byte for byte and beside curl's: on a
// command-line URL and on a Location -L follows.
func TestPathAsGivenOverTLSLikeCurl(t *testing.T) {
	curlPath(t)
	pki := newPKI(t)
	srv := &requestLineServer{}
	srv.addr = tlsFaultServer(t, pki, srv.serve)
	base := "https://" + srv.addr
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "a URL", args: []string{base + "/a%zz?q=%zz%"}, want: []string{"GET /a%zz?q=%zz% HTTP/1.1\r\n"}},
		{name: "-L to a Location", args: []string{"-L", base + "/zzloc"}, want: []string{"GET /zzloc HTTP/1.1\r\n", "GET /a%zz?q=%zz HTTP/1.1\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			args := append([]string{"-s", "--cacert", pki.caFile, "-w", " %{url_effective}"}, tt.args...)
			c := runCurlIn(t, "", args...)
			curlLines := srv.take()
			k := kcurl(t, invocation{args: args, env: map[string]string{"HOME": t.TempDir()}})
			kcurlLines := srv.take()
			is.Equal(curlLines, tt.want)  // curl sends the path as given
			is.Equal(kcurlLines, tt.want) // and so does kcurl, through net/http
			is.Equal(k.code, c.code)      // curl's exit code
			is.Equal(k.stdout, c.stdout)  // curl's stdout and url_effective
		})
	}
}

// requestLineServer answers each request (behind tlsFaultServer) with 200 "ok", or a
// 302 to /a%zz?q=%zz for /zzloc, and keeps the request lines as they came.
type requestLineServer struct {
	addr  string
	mu    sync.Mutex
	lines []string
}

func (s *requestLineServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		for h := ""; h != "\r\n" && h != "\n"; {
			if h, err = br.ReadString('\n'); err != nil {
				return
			}
		}
		s.mu.Lock()
		s.lines = append(s.lines, line)
		s.mu.Unlock()
		reply := "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"
		if strings.HasPrefix(line, "GET /zzloc ") {
			reply = "HTTP/1.1 302 Found\r\nLocation: /a%zz?q=%zz\r\nContent-Length: 0\r\n\r\n"
		}
		io.WriteString(c, reply)
	}
}

// take is the request lines since the last take.
func (s *requestLineServer) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.lines
	s.lines = nil
	return lines
}
