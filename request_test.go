package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestRequestShape(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	api := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	plainRec := &recorder{}
	plain := httptest.NewServer(replying(plainRec, 200, "text/plain", "ok"))
	t.Cleanup(plain.Close)
	dataFile := writeFile(t, "data", "line one\r\nline two\n")
	uploadFile := writeFile(t, "upload.json", `{"kind":"ConfigMap"}`)
	tests := []struct {
		name        string
		args        []string
		stdin       string
		plain       bool
		method      string
		uri         string
		contentType string
		body        string
		header      map[string]string
	}{
		{name: "GET by default", args: []string{"/api/v1/pods"}, method: "GET", uri: "/api/v1/pods", header: map[string]string{"Accept": "*/*", "User-Agent": "kcurl/dev"}},
		{name: "-d posts JSON to the API server", args: []string{"-d", `{"a":1}`, "/api"}, method: "POST", uri: "/api", contentType: "application/json", body: `{"a":1}`},
		{name: "-d pieces joined with &", args: []string{"-d", "a=1", "--data-raw", "@b", "-d", "c=3", plain.URL + "/f"}, plain: true, method: "POST", uri: "/f", contentType: "application/x-www-form-urlencoded", body: "a=1&@b&c=3"},
		{name: "-d @file strips newlines", args: []string{"-d", "@" + dataFile, plain.URL + "/f"}, plain: true, method: "POST", uri: "/f", contentType: "application/x-www-form-urlencoded", body: "line oneline two"},
		{name: "--data-binary @file is exact", args: []string{"--data-binary", "@" + dataFile, plain.URL + "/f"}, plain: true, method: "POST", uri: "/f", contentType: "application/x-www-form-urlencoded", body: "line one\r\nline two\n"},
		{name: "-d @- reads stdin", args: []string{"-d", "@-", "/api"}, stdin: "from\nstdin", method: "POST", uri: "/api", contentType: "application/json", body: "fromstdin"},
		{name: "value starting with a dash", args: []string{"-d", "-1", "/api"}, method: "POST", uri: "/api", contentType: "application/json", body: "-1"},
		{name: "--data-urlencode forms", args: []string{"--data-urlencode", "a b", "--data-urlencode", "n=x&y", "--data-urlencode", "=é", plain.URL + "/f"}, plain: true, method: "POST", uri: "/f", contentType: "application/x-www-form-urlencoded", body: "a+b&n=x%26y&%C3%A9"},
		{name: "--json sets both headers", args: []string{"--json", `{"x":`, "--json", `1}`, plain.URL + "/j"}, plain: true, method: "POST", uri: "/j", contentType: "application/json", body: `{"x":1}`, header: map[string]string{"Accept": "application/json"}},
		{name: "-G moves data to the query", args: []string{"-G", "-d", "limit=1", "-d", "watch=0", "/api/v1/pods?x=y"}, method: "GET", uri: "/api/v1/pods?x=y&limit=1&watch=0"},
		{name: "-X PATCH defaults to merge patch", args: []string{"-X", "PATCH", "-d", `{"data":{}}`, "/api/v1/namespaces/n/configmaps/c"}, method: "PATCH", uri: "/api/v1/namespaces/n/configmaps/c", contentType: "application/merge-patch+json", body: `{"data":{}}`},
		{name: "-sSXPATCH bundled", args: []string{"-sSXPATCH", "-d", "[]", "-H", "Content-Type: application/json-patch+json", "/c"}, method: "PATCH", uri: "/c", contentType: "application/json-patch+json", body: "[]"},
		{name: "-T uploads with PUT", args: []string{"-T", uploadFile, "/api/v1/x"}, method: "PUT", uri: "/api/v1/x", contentType: "application/json", body: `{"kind":"ConfigMap"}`},
		{name: "-T to a URL ending in / appends the name", args: []string{"-T", uploadFile, plain.URL + "/dir/"}, plain: true, method: "PUT", uri: "/dir/upload.json", body: `{"kind":"ConfigMap"}`},
		{name: "--flag=value forms", args: []string{"--request=PUT", "--data=a=1", "--header=X-A: b=c", plain.URL + "/eq"}, plain: true, method: "PUT", uri: "/eq", contentType: "application/x-www-form-urlencoded", body: "a=1", header: map[string]string{"X-A": "b=c"}},
		{name: "-I sends HEAD", args: []string{"-I", "/healthz"}, method: "HEAD", uri: "/healthz"},
		{name: "headers: replace, remove, empty, commas", args: []string{"-H", "Accept: application/yaml", "-H", "User-Agent:", "-H", "X-Empty;", "-H", "X-List: a, b, c", "-A", "ignored", "/h"}, method: "GET", uri: "/h", header: map[string]string{"Accept": "application/yaml", "User-Agent": "", "X-Empty": "", "X-List": "a, b, c"}},
		{name: "-A sets the user agent", args: []string{"-A", "curl/7.88.1", "/h"}, method: "GET", uri: "/h", header: map[string]string{"User-Agent": "curl/7.88.1"}},
		{name: "--compressed asks for gzip", args: []string{"--compressed", "/h"}, method: "GET", uri: "/h", header: map[string]string{"Accept-Encoding": "deflate, gzip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), stdin: tt.stdin, env: apiEnv(api, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.stderr, "")
			is.Equal(r.code, 0)
			got := rec.last(t)
			if tt.plain {
				got = plainRec.last(t)
			}
			is.Equal(got.method, tt.method)
			is.Equal(got.uri, tt.uri)
			is.Equal(got.header.Get("Content-Type"), tt.contentType)
			is.Equal(got.body, tt.body)
			for k, v := range tt.header {
				is.Equal(got.header.Get(k), v) // header sent
			}
			if _, ok := tt.header["X-Empty"]; ok {
				is.Equal(got.header.Values("X-Empty"), []string{""}) // "Name;" sends it empty
			}
		})
	}
}

// TestRewindStdin is -T -'s body made ready for a redirect: stdin that nothing was read
// from goes as it is, a file is sought back to its start, a pipe read from is curl's 65.
func TestRewindStdin(t *testing.T) {
	file := writeFile(t, "stdin", "from stdin\n")
	tests := []struct {
		name string
		// seekable gives a file as stdin, else a pipe.
		seekable bool
		read     bool
		code     int
		// again is what the body sends after the rewind.
		again string
	}{
		{name: "a pipe not read from", read: false, code: exitOK, again: "from stdin\n"},
		{name: "a pipe read from", read: true, code: exitSendFailRewind},
		{name: "a file read from", seekable: true, read: true, code: exitOK, again: "from stdin\n"},
		{name: "a file not read from", seekable: true, read: false, code: exitOK, again: "from stdin\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var stdin io.Reader = io.MultiReader(strings.NewReader("from stdin\n"))
			if tt.seekable {
				f, err := os.Open(file)
				is.NoErr(err)
				defer f.Close()
				stdin = f
			}
			body := &requestBody{uploadFile: "-", stdin: stdin}
			if tt.read {
				rc, size, err := body.open()
				is.NoErr(err)
				is.Equal(size, int64(-1)) // stdin's length is unknown
				io.ReadAll(rc)
			}
			err := body.rewind()
			if tt.code != exitOK {
				is.Equal(exitCodeOf(err), tt.code) // curl's code
				is.Equal(err.Error(), "seek callback returned error 2")
				return
			}
			is.NoErr(err)
			rc, _, err := body.open()
			is.NoErr(err)
			b, _ := io.ReadAll(rc)
			is.Equal(string(b), tt.again) // the whole body goes again
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"-d @missing", []string{"-d", "@/nonexistent/data", "/x"}, "kcurl: (26) Failed to open/read local data from file /nonexistent/data: no such file\n"},
		{"-T missing", []string{"-T", "/nonexistent/up", "/x"}, "kcurl: (26) Failed to open/read local data from file /nonexistent/up\n"},
		{"-H @missing", []string{"-H", "@/nonexistent/h", "/x"}, "kcurl: (26) Failed to open/read local data from file /nonexistent/h: no such file\n"},
		{"-H @ an endless file is bounded", []string{"-H", "@/dev/zero", "/x"}, "kcurl: (26) Failed to open/read local data from file /dev/zero: larger than the limit\n"},
		{"-w @ an endless file is bounded", []string{"-w", "@/dev/zero", "/x"}, "kcurl: (26) Failed to open/read local data from file /dev/zero: larger than the limit\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"}})
			is.Equal(r.code, 26)
			is.Equal(r.stderr, tt.stderr)
		})
	}
}

func TestProtocols(t *testing.T) {
	pki := newPKI(t)
	h2 := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"HTTP/2 by default over TLS", nil, "2"},
		{"--http1.1", []string{"--http1.1"}, "1.1"},
		{"--http2", []string{"--http2"}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-s", "-o", "/dev/null", "-w", "%{http_version}", "/"}, tt.args...), env: apiEnv(h2, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.want)
		})
	}
}

func TestSeveralURLsReuseTheConnection(t *testing.T) {
	for _, proto := range []string{"--http1.1", "--http2"} {
		t.Run(proto, func(t *testing.T) {
			is := is.New(t)
			pki := newPKI(t)
			var conns atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }))
			srv.EnableHTTP2 = true
			cert, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}})
			srv.TLS = newTLSServer(t, pki, nil, serverOptions{cert: &cert}).TLS.Clone()
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			r := kcurl(t, invocation{args: []string{"-sS", proto, "/a", "/b", "/c"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, "/a/b/c")     // each body in order
			is.Equal(conns.Load(), int32(1)) // one connection for three URLs
		})
	}
}

func TestRedirects(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("/one", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Redirect(w, r, "/two", http.StatusFound)
	})
	mux.HandleFunc("/two", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Redirect(w, r, "/end", http.StatusSeeOther)
	})
	mux.HandleFunc("/keep", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Redirect(w, r, "/end", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) { rec.add(r); io.WriteString(w, "end") })
	srv := newTLSServer(t, pki, mux, serverOptions{})
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		method string
		body   string
	}{
		{name: "not followed without -L", args: []string{"-w", "%{http_code} %{num_redirects} %{redirect_url}", "-o", "/dev/null", "/one"}, stdout: "302 0 " + srv.URL + "/two"},
		{name: "-L follows, POST becomes GET on 302 and 303", args: []string{"-L", "-d", "x", "-w", " %{http_code} %{num_redirects} %{url_effective}", "/one"}, stdout: "end 200 2 " + srv.URL + "/end", method: "GET"},
		{name: "307 keeps method and body", args: []string{"-L", "-d", "keep", "/keep"}, stdout: "end", method: "POST", body: "keep"},
		{name: "--max-redirs", args: []string{"-L", "--max-redirs", "3", "/loop"}, code: 47},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			r := kcurl(t, invocation{args: append([]string{"-s"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, tt.stdout)
			if tt.method != "" {
				is.Equal(rec.last(t).method, tt.method)
				is.Equal(rec.last(t).body, tt.body)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	pki := newPKI(t)
	type reply struct {
		status     int
		retryAfter string
	}
	serve := func(replies ...reply) (*httptest.Server, *atomic.Int32) {
		var n atomic.Int32
		srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := int(n.Add(1)) - 1
			rp := replies[min(i, len(replies)-1)]
			if rp.retryAfter != "" {
				w.Header().Set("Retry-After", rp.retryAfter)
			}
			w.WriteHeader(rp.status)
			fmt.Fprintf(w, "attempt %d", i+1)
		}), serverOptions{})
		return srv, &n
	}
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		replies  []reply
		args     []string
		code     int
		stdout   string
		attempts int32
		waits    []time.Duration
	}{
		{name: "transient statuses retried with backoff", replies: []reply{{status: 503}, {status: 429}, {status: 502}, {status: 200}}, args: []string{"--retry", "3"}, stdout: "attempt 4", attempts: 4, waits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "Retry-After seconds", replies: []reply{{status: 503, retryAfter: "7"}, {status: 200}}, args: []string{"--retry", "1"}, stdout: "attempt 2", attempts: 2, waits: []time.Duration{7 * time.Second}},
		{name: "Retry-After HTTP date", replies: []reply{{status: 429, retryAfter: date}, {status: 200}}, args: []string{"--retry", "1"}, stdout: "attempt 2", attempts: 2},
		{name: "--retry-delay is constant", replies: []reply{{status: 500}, {status: 500}, {status: 200}}, args: []string{"--retry", "5", "--retry-delay", "0.5"}, stdout: "attempt 3", attempts: 3, waits: []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}},
		{name: "404 is not transient", replies: []reply{{status: 404}, {status: 200}}, args: []string{"--retry", "3"}, stdout: "attempt 1", attempts: 1},
		{name: "--retry-all-errors retries 404 under -f", replies: []reply{{status: 404}, {status: 200}}, args: []string{"--retry", "3", "--retry-all-errors", "-f"}, stdout: "attempt 2", attempts: 2, waits: []time.Duration{time.Second}},
		{name: "retries run out: the last answer is written", replies: []reply{{status: 503}}, args: []string{"--retry", "2"}, stdout: "attempt 3", attempts: 3, waits: []time.Duration{time.Second, 2 * time.Second}},
		{name: "--retry-max-time stops retrying", replies: []reply{{status: 503, retryAfter: "30"}}, args: []string{"--retry", "5", "--retry-max-time", "10"}, stdout: "attempt 1", attempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv, n := serve(tt.replies...)
			var waits []time.Duration
			r := kcurl(t, invocation{args: append([]string{"-sS", "/x"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, "")), sleep: func(d time.Duration) { waits = append(waits, d) }})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, tt.stdout)
			is.Equal(n.Load(), tt.attempts) // how many requests the server got
			if tt.waits != nil {
				is.Equal(waits, tt.waits)
			}
			if strings.Contains(tt.name, "HTTP date") {
				is.Equal(len(waits), 1)
				is.True(waits[0] >= 85*time.Second && waits[0] <= 91*time.Second) // waited until the date
			}
		})
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	addr := closedPort(t)
	host, port, _ := net.SplitHostPort(addr)
	env := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	for _, tt := range []struct {
		name  string
		args  []string
		waits int
	}{
		{"refused is not transient", []string{"--retry", "2"}, 0},
		{"--retry-connrefused", []string{"--retry", "2", "--retry-connrefused"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			waits := 0
			r := kcurl(t, invocation{args: append([]string{"-s", "/x"}, tt.args...), env: env, sleep: func(time.Duration) { waits++ }})
			is.Equal(r.code, 7)
			is.Equal(waits, tt.waits)
		})
	}
}

func TestCompressed(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, strings.Repeat("kcurl ", 1000))
		zw.Close()
	}), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-sS", "--compressed", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, strings.Repeat("kcurl ", 1000)) // decoded
	raw := kcurl(t, invocation{args: []string{"-sS", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	is.True(strings.HasPrefix(raw.stdout, "\x1f\x8b")) // without --compressed the bytes are as sent
}

func TestProxy(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "through"), serverOptions{})
	proxy := newConnectProxy(t)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		tunnels int32
	}{
		{name: "HTTPS_PROXY tunnels", env: map[string]string{"HTTPS_PROXY": proxy.url}, tunnels: 1},
		{name: "-x tunnels", args: []string{"-x", proxy.url}, tunnels: 1},
		{name: "NO_PROXY bypasses", env: map[string]string{"HTTPS_PROXY": proxy.url, "NO_PROXY": "example.test,127.0.0.1"}, tunnels: 0},
		{name: "--noproxy bypasses", args: []string{"-x", proxy.url, "--noproxy", "*"}, tunnels: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			proxy.tunnels.Store(0)
			env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"proxied"))
			for k, v := range tt.env {
				env[k] = v
			}
			r := kcurl(t, invocation{args: append([]string{"-sS", "/x"}, tt.args...), env: env})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, "through")
			is.Equal(proxy.tunnels.Load(), tt.tunnels)
			is.Equal(rec.last(t).header.Get("Authorization"), "Bearer "+secretPrefix+"proxied") // the API server still gets the token
			is.True(!strings.Contains(proxy.seen(), secretPrefix))                              // the proxy never sees it in clear
		})
	}
}

func TestExitCodes(t *testing.T) {
	pki, otherPKI := newPKI(t), newPKI(t)
	ok := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			w.WriteHeader(404)
		case "/slow":
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		default:
			io.WriteString(w, "ok")
		}
	}), serverOptions{})
	truncated := faultServer(t, shortBody)
	empty := faultServer(t, emptyReply)
	reset := faultServer(t, resetInBody)
	stall := faultServer(t, stallBeforeHead)
	notTLS := faultServer(t, plainHTTPPort)
	refused := closedPort(t)
	bigFile := writeFile(t, "big", strings.Repeat("x", 32<<20))
	sa := newSADir(t, pki.caPEM, "")
	wrongSA := newSADir(t, otherPKI.caPEM, "")
	env := apiEnv(ok, sa)
	envWrong := apiEnv(ok, wrongSA)
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{name: "0 success", args: []string{"/"}, code: 0},
		{name: "1 unsupported protocol", args: []string{"ftp://127.0.0.1/"}, code: 1, stderr: "kcurl: (1) Protocol \"ftp\" not supported\n"},
		{name: "2 bad option", args: []string{"--nope"}, code: 2, stderr: "kcurl: option --nope: is unknown\n" + tryMain},
		{name: "3 malformed URL", args: []string{"http://exa mple/"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL\n"},
		{name: "5 proxy does not resolve", args: []string{"-x", "http://proxy.invalid:3128", "/"}, code: 5, stderr: "kcurl: (5) Could not resolve proxy: proxy.invalid\n"},
		{name: "6 host does not resolve", args: []string{"https://nowhere.invalid/"}, code: 6},
		{name: "7 refused", args: []string{"http://" + refused + "/"}, code: 7},
		{name: "18 partial body", args: []string{"http://" + truncated + "/"}, code: 18, stderr: "kcurl: (18) transfer closed with 5 bytes remaining to read\n"},
		{name: "22 -f on 404", args: []string{"-f", "/404"}, code: 22, stderr: "kcurl: (22) The requested URL returned error: 404\n"},
		{name: "23 write error", args: []string{"-o", "/nonexistent/dir/out", "/"}, code: 23},
		{name: "26 read error", args: []string{"-d", "@/nonexistent", "/"}, code: 26},
		{name: "28 timeout in the body", args: []string{"-m", "0.3", "/slow"}, code: 28},
		{name: "28 timeout before headers", args: []string{"-m", "0.3", "http://" + stall + "/"}, code: 28},
		{name: "35 TLS to a plain port", args: []string{"https://" + notTLS + "/"}, code: 35},
		{name: "47 too many redirects", args: []string{"-L", "--max-redirs", "0", "http://" + faultServer(t, redirectLoop) + "/"}, code: 47, stderr: "kcurl: (47) Maximum (0) redirects followed\n"},
		{name: "52 empty reply", args: []string{"http://" + empty + "/"}, code: 52, stderr: "kcurl: (52) Empty reply from server\n"},
		{name: "55 send failure", args: []string{"-H", "Expect:", "--data-binary", "@" + bigFile, "http://" + faultServer(t, func(c net.Conn) {
			readRequest(c)
			c.(*net.TCPConn).SetLinger(0)
		}) + "/"}, code: 55},
		{name: "56 reset in the body", args: []string{"http://" + reset + "/"}, code: 56, stderr: "kcurl: (56) Recv failure: Connection reset by peer\n"},
		{name: "58 client certificate", args: []string{"--cert", pki.caFile, "/"}, code: 58},
		{name: "60 unknown CA", args: []string{"/"}, env: envWrong, code: 60},
		{name: "77 CA file", args: []string{"--cacert", "/nonexistent", "/"}, code: 77},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			e := env
			if tt.env != nil {
				e = tt.env
			}
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: e})
			is.Equal(r.code, tt.code) // curl's exit code
			if tt.stderr != "" {
				is.Equal(r.stderr, tt.stderr)
			}
			if tt.code != 0 && tt.code != exitFailedInit {
				is.True(strings.HasPrefix(r.stderr, "kcurl: ("+strconv.Itoa(tt.code)+") ")) // one clear line with the code
				is.Equal(strings.Count(r.stderr, "\n"), 1)
			}
		})
	}
}

func TestWatchReconnect(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("resourceVersion") {
		case "":
			io.WriteString(w, `{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}`+"\n")
			w.(http.Flusher).Flush()
			io.WriteString(w, `{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"6"}}}`+"\n")
		case "6":
			io.WriteString(w, `{"type":"ADDED","object":{"metadata":{"name":"b","resourceVersion":"7"}}}`+"\n")
			io.WriteString(w, `{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}}`+"\n")
		default:
			w.WriteHeader(http.StatusBadRequest)
		}
	}), serverOptions{})
	events := `{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}}` + "\n" +
		`{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"6"}}}` + "\n" +
		`{"type":"ADDED","object":{"metadata":{"name":"b","resourceVersion":"7"}}}` + "\n" +
		`{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}}` + "\n"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "resumes, then stops at 410", args: []string{"--no-progress-meter"}, stderr: "kcurl: warning: watch: resourceVersion 7 is gone (410): list again, then watch from the list's resourceVersion\n"},
		{name: "-f makes the 410 exit 22", args: []string{"-sSf"}, code: 22, stderr: "kcurl: (22) watch: resourceVersion 7 is gone (410): list again, then watch from the list's resourceVersion\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			dir, rotate := kubeletDir(t, pki.caPEM, secretPrefix+"first")
			r := kcurl(t, invocation{
				args:  append([]string{"--watch-reconnect", "/api/v1/namespaces/n/configmaps"}, tt.args...),
				env:   apiEnv(srv, dir),
				sleep: func(time.Duration) { rotate(secretPrefix + "second") },
			})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, events) // every event, in order, across the reconnect
			is.Equal(r.stderr, tt.stderr)
			reqs := rec.all()
			is.Equal(len(reqs), 2)
			is.Equal(reqs[0].uri, "/api/v1/namespaces/n/configmaps?allowWatchBookmarks=true&watch=1")
			is.Equal(reqs[1].uri, "/api/v1/namespaces/n/configmaps?allowWatchBookmarks=true&resourceVersion=6&watch=1") // from the bookmark's version
			is.Equal(reqs[1].header.Get("Authorization"), "Bearer "+secretPrefix+"second")                              // the token read again
		})
	}
}

func TestAllPages(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	pages := map[string]string{
		"":   `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"41","continue":"c1","remainingItemCount":3},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"n":1.50}]}`,
		"c1": `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"41","continue":"c2"},"items":[{"metadata":{"name":"c"}}]}`,
		"c2": `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"41"},"items":[{"metadata":{"name":"d"}},{"z":2,"a":1}]}`,
	}
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		page, ok := pages[r.URL.Query().Get("continue")]
		if !ok {
			w.WriteHeader(http.StatusGone)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, page)
	}), serverOptions{})
	t.Run("one merged list", func(t *testing.T) {
		is := is.New(t)
		rec.reqs = nil
		r := kcurl(t, invocation{args: []string{"-sS", "--all-pages", "/api/v1/configmaps"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
		is.Equal(r.code, 0)
		is.Equal(r.stdout, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"41"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"n":1.50},{"metadata":{"name":"c"}},{"metadata":{"name":"d"}},{"z":2,"a":1}]}`+"\n") // items as sent, in order
		reqs := rec.all()
		is.Equal(len(reqs), 3)
		is.Equal(reqs[0].uri, "/api/v1/configmaps?limit=500")
		is.Equal(reqs[2].uri, "/api/v1/configmaps?continue=c2&limit=500")
	})
	t.Run("an expired continue", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"-sS", "--all-pages", "/api/v1/configmaps?continue=old"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
		is.Equal(r.code, 22)
		is.Equal(r.stderr, "kcurl: (22) 410 Expired: The provided continue parameter is too old\n")
	})
}

func TestTable(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[{"name":"Name","type":"string","priority":0},{"name":"Ready","type":"string","priority":0},{"name":"Restarts","type":"integer","priority":0},{"name":"IP","type":"string","priority":1}],"rows":[{"cells":["web-0","1/1",0,"10.0.0.7"]},{"cells":["database-primary","0/1",12,null]}]}`)
	}), serverOptions{})
	tests := []struct {
		name string
		flag string
		want string
	}{
		{"--table", "--table", "NAME               READY   RESTARTS\nweb-0              1/1     0\ndatabase-primary   0/1     12\n"},
		{"--table=wide", "--table=wide", "NAME               READY   RESTARTS   IP\nweb-0              1/1     0          10.0.0.7\ndatabase-primary   0/1     12         <none>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{"-sS", tt.flag, "/api/v1/namespaces/n/pods"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.want) // kubectl get's layout
			is.Equal(rec.last(t).header.Get("Accept"), "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
		})
	}
}

func TestURLsBetweenFlags(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }), serverOptions{})
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		stdout string
		files  map[string]string
	}{
		{name: "flag between URLs", args: []string{"/a", "-s", "/b", "-S"}, stdout: "/a/b"},
		{name: "-o pairs with URLs in order", args: []string{"/a", "-o", dir + "/a.out", "-s", "/b", "-o", dir + "/b.out"}, files: map[string]string{"a.out": "/a", "b.out": "/b"}},
		{name: "values that look like URLs stay values", args: []string{"-s", "-d", "/not-a-url", "-X", "GET", "/c", "-H", "X-A: /b"}, stdout: "/c"},
		{name: "bundles with a value at the end", args: []string{"-sSX", "GET", "/d", "-sSXGET", "/e"}, stdout: "/d/e"},
		{name: "after -- everything is a URL, in order", args: []string{"/e", "-s", "--", "/f", "/g"}, stdout: "/e/f/g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: tt.args, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.stderr, "")
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.stdout)
			for name, want := range tt.files {
				b, err := os.ReadFile(filepath.Join(dir, name))
				is.NoErr(err)
				is.Equal(string(b), want) // each -o got its own URL
			}
		})
	}
}
