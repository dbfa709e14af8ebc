package main

// Benchmarks for kcurl's hot paths: the body copy, the -w formatter, header output and whole in-process requests.
// Figures live here, never in assertions: run
//
//	go test -run '^$' -bench . -benchmem
//
// and the whole-process comparison with curl and kubectl with `cd bench && go run .`.

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchToken is the service-account token the benchmark server accepts.
const benchToken = "kcurl-bench-token"

// benchChunk is the size the fake body hands out per Read: one TLS record, one HTTP/2 DATA frame.
const benchChunk = 16 << 10

// benchBody is a body of n bytes handed out at most benchChunk at a time from one fixed buffer, so the reader
// allocates nothing and the benchmark sees only kcurl's own allocations.
type benchBody struct{ left int64 }

var benchBodyBytes = make([]byte, benchChunk)

// benchWrites are the server's writes of a ?bytes=N body: 256 KiB, as an API server writes
// an encoded list, so the HTTP/2 frames are as large as the client allows.
var benchWrites = make([]byte, 256<<10)

func (r *benchBody) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), int64(benchChunk), r.left))
	copy(p[:n], benchBodyBytes)
	r.left -= int64(n)
	return n, nil
}

func (r *benchBody) Close() error { return nil }

// benchCopy drives runner.copyBody once over a body of n bytes into io.Discard, as `kcurl -s URL` does.
type benchCopy struct {
	r    *runner
	out  *output
	body benchBody
	resp *http.Response
}

func newBenchCopy(m messages) *benchCopy {
	e := env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader("")}
	out := newOutput(e, m)
	bc := &benchCopy{r: &runner{out: out}, out: out}
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1/bench", nil)
	bc.resp = &http.Response{
		StatusCode: 200, ProtoMajor: 2, Request: req,
		Header: http.Header{"Content-Type": {"application/octet-stream"}},
	}
	return bc
}

func (bc *benchCopy) run(tb testing.TB, n int64) {
	bc.body.left = n
	bc.resp.Body, bc.resp.ContentLength = &bc.body, n
	got, err := bc.r.copyBody(context.Background(), bc.out.sink(""), bc.resp, nil, nil)
	if err != nil || got != n {
		tb.Fatalf("copyBody: %d bytes, %v; want %d bytes", got, err, n)
	}
}

// BenchmarkCopyBody is the body copy alone: 16 MiB in 16 KiB reads, with -s and with the progress meter.
func BenchmarkCopyBody(b *testing.B) {
	const size = 16 << 20
	for _, tc := range []struct {
		name string
		m    messages
	}{
		{"silent", messages{silent: true}},
		{"meter", messages{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bc := newBenchCopy(tc.m)
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				bc.run(b, size)
			}
		})
	}
}

// BenchmarkCopyBodyAllocsPerChunk reports the allocations per body chunk (issue 5: none): the allocations of a
// 1024-chunk copy minus those of a 1-chunk copy, over 1023, so copyBody's fixed cost per transfer cancels out.
func BenchmarkCopyBodyAllocsPerChunk(b *testing.B) {
	const chunks = 1024
	bc := newBenchCopy(messages{silent: true})
	one := testing.AllocsPerRun(50, func() { bc.run(b, benchChunk) })
	many := testing.AllocsPerRun(50, func() { bc.run(b, chunks*benchChunk) })
	b.ReportAllocs()
	b.SetBytes(chunks * benchChunk)
	for b.Loop() {
		bc.run(b, chunks*benchChunk)
	}
	b.ReportMetric((many-one)/(chunks-1), "allocs/chunk")
	b.ReportMetric(one, "allocs/transfer")
}

// benchInfo is a finished transfer as render sees it.
func benchInfo() *transferInfo {
	return &transferInfo{
		method: "GET", urlEffective: "https://10.96.0.1:443/api/v1/namespaces/default/pods", httpCode: 200,
		httpVersion: "2", remoteIP: "10.96.0.1", remotePort: "443", contentType: "application/json",
		header:       http.Header{"Content-Type": {"application/json"}, "Audit-Id": {"5d8e2a9c-1b7f-4c3e-9a6d-2f0e8b1c4d7a"}},
		sizeDownload: 123456, sizeHeader: 312, start: time.Now(),
		namelookup: 120 * time.Microsecond, connect: 310 * time.Microsecond, appconnect: 2100 * time.Microsecond,
		pretransfer: 2200 * time.Microsecond, starttrans: 3100 * time.Microsecond, total: 3500 * time.Microsecond,
	}
}

// benchWriteOutFormats are -w formats scripts use: a status code, curl's timing line, a header, and %{json}.
var benchWriteOutFormats = []struct{ name, format string }{
	{"http_code", `%{http_code}`},
	{"timings", `dns %{time_namelookup} connect %{time_connect} tls %{time_appconnect} ttfb %{time_starttransfer} total %{time_total} size %{size_download}\n`},
	{"header", `%header{audit-id} %{content_type}\n`},
	{"json", `%{json}`},
}

// BenchmarkWriteOut is the -w formatter: parsing the format, and rendering it for one transfer.
func BenchmarkWriteOut(b *testing.B) {
	out := newOutput(env{stdout: io.Discard, stderr: io.Discard}, messages{})
	for _, tc := range benchWriteOutFormats {
		b.Run("parse/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseWriteOut(tc.format, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("render/"+tc.name, func(b *testing.B) {
			f, err := parseWriteOut(tc.format, nil)
			if err != nil {
				b.Fatal(err)
			}
			info := benchInfo()
			b.ReportAllocs()
			for b.Loop() {
				if err := f.render(info, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchResponse is a response with the headers the API server sends.
func benchResponse(major int) *http.Response {
	resp := &http.Response{
		StatusCode: 200, Status: "200 OK", ProtoMajor: major, ProtoMinor: 1,
		Header: http.Header{
			"Audit-Id":                          {"5d8e2a9c-1b7f-4c3e-9a6d-2f0e8b1c4d7a"},
			"Cache-Control":                     {"no-cache, private"},
			"Content-Type":                      {"application/json"},
			"Date":                              {"Mon, 01 Dec 2026 09:00:00 GMT"},
			"X-Kubernetes-Pf-Flowschema-Uid":    {"e7f0c1a2-3b4d-4e5f-8a9b-0c1d2e3f4a5b"},
			"X-Kubernetes-Pf-Prioritylevel-Uid": {"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"},
			"Content-Length":                    {"612"},
		},
	}
	if major == 2 {
		resp.ProtoMinor = 0
	}
	return resp
}

// BenchmarkWriteHead is -i's header output for an API server response, HTTP/2 and HTTP/1.1.
func BenchmarkWriteHead(b *testing.B) {
	for _, major := range []int{2, 1} {
		b.Run("HTTP/"+strconv.Itoa(major), func(b *testing.B) {
			resp := benchResponse(major)
			b.ReportAllocs()
			for b.Loop() {
				if err := writeHead(io.Discard, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchServer is a test TLS server (newTLSServer: HTTP/2 on) with a CA of its own, and a service-account folder
// that trusts it and holds benchToken.
type benchServer struct {
	srv   *httptest.Server
	saDir string
}

func newBenchServer(tb testing.TB, h http.Handler) *benchServer {
	tb.Helper()
	pki := newPKI(tb)
	srv := newTLSServer(tb, pki, h, serverOptions{names: []string{"127.0.0.1"}})
	return &benchServer{srv: srv, saDir: newSADir(tb, pki.caPEM, benchToken)}
}

// env is the pod's world for this server, output to w, errors collected in stderr.
func (s *benchServer) env(stdout io.Writer, stderr *strings.Builder) env {
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(s.srv.URL, "https://"))
	vars := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port, "KCURL_SERVICE_ACCOUNT_DIR": s.saDir}
	return env{
		getenv: func(k string) string { return vars[k] },
		stdin:  strings.NewReader(""),
		stdout: stdout,
		stderr: stderr,
	}
}

// run is one kcurl invocation in-process; any exit but 0 stops the benchmark.
func (s *benchServer) run(tb testing.TB, stdout io.Writer, args ...string) {
	var stderr strings.Builder
	if code := run(args, s.env(stdout, &stderr)); code != 0 {
		tb.Fatalf("kcurl %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
}

// benchObject is a ConfigMap of about 600 bytes, the size of a typical single-object GET.
var benchObject = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"bench","namespace":"bench","resourceVersion":"1000"},"data":{"value":"` + strings.Repeat("x", 480) + `"}}`

// benchAPI answers like the API server: 401 without benchToken, the object, or ?bytes=N of body.
func benchAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+benchToken {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if s := r.URL.Query().Get("bytes"); s != "" {
			n, _ := strconv.ParseInt(s, 10, 64)
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
			for n > 0 {
				c := benchWrites[:min(n, int64(len(benchWrites)))]
				if _, err := w.Write(c); err != nil {
					return
				}
				n -= int64(len(c))
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Audit-Id", "5d8e2a9c-1b7f-4c3e-9a6d-2f0e8b1c4d7a")
		io.WriteString(w, benchObject)
	})
}

// BenchmarkGET is one whole authenticated GET in-process: parse, discovery, trust, token, a new connection with
// its TLS handshake (each run builds its own transport, as each process does), the body and -w. It is the
// process's work minus the Go runtime's start-up and the binary's page faults.
func BenchmarkGET(b *testing.B) {
	s := newBenchServer(b, benchAPI())
	path := "/api/v1/namespaces/bench/configmaps/bench"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"plain", []string{"-s", path}},
		{"include+write-out", []string{"-s", "-i", "-w", "%{http_code}", path}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.run(b, io.Discard, tc.args...)
			}
		})
	}
}

// BenchmarkGETSequential is 100 GETs in one invocation on one connection, as `kcurl URL URL …` does; ns/request
// is the cost of one more URL on a warm connection.
func BenchmarkGETSequential(b *testing.B) {
	s := newBenchServer(b, benchAPI())
	args := []string{"-s"}
	for range 100 {
		args = append(args, "/api/v1/namespaces/bench/configmaps/bench")
	}
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		s.run(b, io.Discard, args...)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*100), "ns/request")
}

// BenchmarkGETBody is a whole in-process download over TLS to io.Discard, HTTP/2 and HTTP/1.1. allocs/MiB is the
// difference between a 64 MiB and a 1 MiB download, per MiB: what the transport (and the in-process server, whose
// allocations count too) allocate per chunk, with the per-request cost cancelled out.
func BenchmarkGETBody(b *testing.B) {
	s := newBenchServer(b, benchAPI())
	const size = 64 << 20
	for _, tc := range []struct{ name, flag string }{{"HTTP/2", "--http2"}, {"HTTP/1.1", "--http1.1"}} {
		b.Run(tc.name, func(b *testing.B) {
			get := func(n int64) func() {
				return func() { s.run(b, io.Discard, "-s", tc.flag, "/bench?bytes="+strconv.FormatInt(n, 10)) }
			}
			small := testing.AllocsPerRun(3, get(1<<20))
			large := testing.AllocsPerRun(3, get(size))
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				get(size)()
			}
			b.ReportMetric((large-small)/63, "allocs/MiB")
		})
	}
}

// BenchmarkVersion is `kcurl --version` in-process: what every invocation pays for the command line (kong builds
// its model of the cli struct each run) before any request.
func BenchmarkVersion(b *testing.B) {
	b.ReportAllocs()
	e := env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	for b.Loop() {
		if code := run([]string{"--version"}, e); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
