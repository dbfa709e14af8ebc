package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// timings are the parts of curl's messages that change from run to run.
var timings = regexp.MustCompile(`after \d+ (ms|milliseconds)`)

// words is an error line without its program prefix and timings, to compare kcurl's
// line with curl's.
func words(line string) string {
	line, _, _ = strings.Cut(line, "\n")
	line = strings.TrimPrefix(strings.TrimPrefix(line, "kcurl: "), "curl: ")
	return timings.ReplaceAllString(strings.TrimSpace(line), "after N $1")
}

// TestFaultsLikeCurl provokes each network fault against a local server and checks
// kcurl's exit code and line, then runs curl against the same server: same code,
// and the same words where kcurl claims curl's.
func TestFaultsLikeCurl(t *testing.T) {
	pki, otherPKI := newPKI(t), newPKI(t)
	expired, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	future, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}, notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)})
	ok := replying(nil, 200, "text/plain", "ok")
	https := func(s *httptest.Server) string { return s.URL + "/" }
	tests := []struct {
		name string
		url  string
		args []string
		code int
		// stderr is kcurl's exact line, with timings written "after N ms".
		stderr string
		// curlWords says curl's line has the same words.
		curlWords bool
		// stdout is what came before the fault, written as curl does.
		stdout string
	}{
		{
			name: "connection refused", url: "http://" + closedPort(t) + "/", code: 7,
			stderr: "kcurl: (7) Failed to connect to 127.0.0.1 port PORT after N ms: Couldn't connect to server", curlWords: true,
		},
		{
			name: "connect timeout", url: "http://" + hangingListener(t) + "/", args: []string{"--connect-timeout", "0.5"}, code: 28,
			// curl 7.88 words this "Failed to connect … Timeout was reached" or, when its
			// timer fires in another phase on a loaded machine, "Connection timeout after N
			// ms": only its exit code is compared.
			stderr: "kcurl: (28) Failed to connect to 127.0.0.1 port PORT after N ms: Timeout was reached",
		},
		{
			name: "stall before the headers with -m", url: "http://" + faultServer(t, stallBeforeHead) + "/", args: []string{"-m", "0.5"}, code: 28,
			stderr: "kcurl: (28) Operation timed out after N milliseconds with 0 bytes received", curlWords: true,
		},
		{
			name: "stall in the body with -m, length known", url: "http://" + faultServer(t, stallInBody) + "/", args: []string{"-m", "0.5"}, code: 28,
			stderr: "kcurl: (28) Operation timed out after N milliseconds with 5 out of 10 bytes received", curlWords: true, stdout: "hello",
		},
		{
			name: "stall in a chunked body with -m", url: "http://" + faultServer(t, stallInChunkedBody) + "/", args: []string{"-m", "0.5"}, code: 28,
			stderr: "kcurl: (28) Operation timed out after N milliseconds with 5 bytes received", curlWords: true, stdout: "hello",
		},
		{
			name: "stall in the TLS handshake with --connect-timeout", url: "https://" + faultServer(t, silent) + "/", args: []string{"--connect-timeout", "0.5"}, code: 28,
			stderr: "kcurl: (28) SSL connection timeout",
		},
		{
			name: "reset in the body", url: "http://" + faultServer(t, resetInBody) + "/", code: 56,
			stderr: "kcurl: (56) Recv failure: Connection reset by peer", curlWords: true, stdout: "partial",
		},
		{
			name: "Content-Length longer than the body", url: "http://" + faultServer(t, shortBody) + "/", code: 18,
			stderr: "kcurl: (18) transfer closed with 5 bytes remaining to read", curlWords: true, stdout: "short",
		},
		{
			name: "chunked body cut", url: "http://" + faultServer(t, chunkedBodyCut) + "/", code: 18,
			stderr: "kcurl: (18) transfer closed with outstanding read data remaining", curlWords: true, stdout: "hello",
		},
		{
			name: "empty reply", url: "http://" + faultServer(t, emptyReply) + "/", code: 52,
			stderr: "kcurl: (52) Empty reply from server", curlWords: true,
		},
		{
			name: "empty reply over TLS", url: "https://" + tlsFaultServer(t, pki, emptyReply) + "/", code: 52,
			stderr: "kcurl: (52) Empty reply from server", curlWords: true,
		},
		{
			name: "TLS handshake failure", url: https(newTLSServer(t, pki, ok, serverOptions{http1: true, configure: func(c *tls.Config) { c.MaxVersion = tls.VersionTLS11; c.MinVersion = tls.VersionTLS10 }})), code: 35,
			stderr: "kcurl: (35) TLS connect error: remote error: tls: protocol version not supported",
		},
		{
			name: "a plain HTTP port", url: "https://" + faultServer(t, plainHTTPPort) + "/", code: 35,
			stderr: "kcurl: (35) TLS connect error: the server did not answer with TLS (a plain HTTP port?)",
		},
		{
			name: "certificate expired", url: https(newTLSServer(t, pki, ok, serverOptions{cert: &expired})), code: 60,
			stderr: "kcurl: (60) SSL certificate problem: certificate has expired", curlWords: true,
		},
		{
			name: "certificate not yet valid", url: https(newTLSServer(t, pki, ok, serverOptions{cert: &future})), code: 60,
			stderr: "kcurl: (60) SSL certificate problem: certificate is not yet valid", curlWords: true,
		},
		{
			name: "certificate for another name", url: https(newTLSServer(t, pki, ok, serverOptions{names: []string{"apiserver.internal"}})), code: 60,
			stderr: "kcurl: (60) SSL: no alternative certificate subject name matches target host name '127.0.0.1'", curlWords: true,
		},
		{
			name: "certificate from an unknown CA", url: https(newTLSServer(t, otherPKI, ok, serverOptions{})), code: 60,
			stderr: "kcurl: (60) SSL certificate problem: unable to get local issuer certificate", curlWords: true,
		},
		{
			name: "-o on a full disk", url: https(newTLSServer(t, pki, ok, serverOptions{})), args: []string{"-o", "/dev/full"}, code: 23,
			stderr: "kcurl: (23) Failure writing output to destination",
		},
		{
			name: "-o on an unwritable path", url: https(newTLSServer(t, pki, ok, serverOptions{})), args: []string{"-o", "/proc/version/out"}, code: 23,
			stderr: "kcurl: (23) Failed to open the file /proc/version/out: not a directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			args := append([]string{"--cacert", pki.caFile}, tt.args...)
			args = append(args, tt.url)
			start := time.Now()
			r := kcurl(t, invocation{args: append([]string{"-sS"}, args...)})
			is.True(time.Since(start) < 5*time.Second) // no fault makes kcurl hang
			is.Equal(r.code, tt.code)                  // kcurl's exit code
			is.Equal(r.stdout, tt.stdout)              // what came before the fault
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(tt.url, "/"), "http://"), "https://"))
			want := strings.ReplaceAll(tt.stderr, "PORT", port)
			is.Equal(strings.Count(r.stderr, "\n"), 1)                                                 // one line
			is.Equal(words(r.stderr), words(want))                                                     // kcurl's words
			is.True(!strings.Contains(r.stderr, "goroutine ") && !strings.Contains(r.stderr, "panic")) // no stack trace
			c := runCurl(t, append([]string{"-sS"}, args...)...)
			is.Equal(c.code, tt.code) // curl exits with the same code
			if tt.curlWords {
				is.Equal(words(c.stderr), words(r.stderr)) // and says the same
			}
		})
	}
}

// TestHTTP2StreamFaults breaks a response in the middle over HTTP/2: a RST_STREAM (the
// handler aborts), a GOAWAY the server then honours, and a GOAWAY followed by the
// connection closing. A broken transfer leaves no -o file behind. curl 7.88 says 92
// (CURLE_HTTP2_STREAM) for the RST_STREAM; kcurl has no 92 and says 56, as issue 6 asks.
func TestHTTP2StreamFaults(t *testing.T) {
	pki := newPKI(t)
	var srv *httptest.Server
	half := strings.Repeat("a", 1000)
	mux := http.NewServeMux()
	mux.HandleFunc("/rst", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, half)
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		panic(http.ErrAbortHandler) // over HTTP/2: RST_STREAM INTERNAL_ERROR
	})
	mux.HandleFunc("/goaway", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, half)
		w.(http.Flusher).Flush()
		// Shutdown sends GOAWAY and lets the streams in flight finish.
		go srv.Config.Shutdown(context.Background())
		time.Sleep(100 * time.Millisecond)
		io.WriteString(w, half)
	})
	mux.HandleFunc("/goaway-cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2000")
		io.WriteString(w, half)
		w.(http.Flusher).Flush()
		go srv.Config.Shutdown(context.Background())
		time.Sleep(100 * time.Millisecond)
		srv.CloseClientConnections()
		time.Sleep(100 * time.Millisecond)
	})
	tests := []struct {
		name   string
		path   string
		code   int
		stderr string
		body   string
	}{
		{name: "RST_STREAM in the body", path: "/rst", code: 56, stderr: "kcurl: (56) Recv failure: stream error: stream ID 1; INTERNAL_ERROR; received from peer\n"},
		{name: "GOAWAY in the body, stream finished", path: "/goaway", body: half + half},
		{name: "GOAWAY then the connection closes", path: "/goaway-cut", code: 56, stderr: "kcurl: (56) Recv failure: http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=\"\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv = newTLSServer(t, pki, mux, serverOptions{})
			out := filepath.Join(t.TempDir(), "out")
			r := kcurl(t, invocation{args: []string{"-sS", "--http2", "--remove-on-error", "-o", out, "-w", "%{http_version}", tt.path}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"h2"))})
			is.Equal(r.code, tt.code)     // kcurl's exit code
			is.Equal(r.stderr, tt.stderr) // one line saying what broke
			is.Equal(r.stdout, "2")       // it was HTTP/2
			b, err := os.ReadFile(out)
			if tt.code != 0 {
				is.True(errors.Is(err, os.ErrNotExist)) // no half file left behind (--remove-on-error)
				return
			}
			is.NoErr(err)
			is.Equal(string(b), tt.body)
		})
	}
}

// slowWriter is a stdout that takes its time (a pause for every 512 KiB), so the body
// arrives faster than it leaves.
type slowWriter struct {
	n     atomic.Int64
	pause time.Duration
	calls int64
}

func (w *slowWriter) Write(b []byte) (int, error) {
	w.calls++
	if before := w.n.Load(); (before+int64(len(b)))>>19 != before>>19 {
		time.Sleep(w.pause)
	}
	w.n.Add(int64(len(b)))
	return len(b), nil
}

// heapWatch samples the heap in use until stop is called, which returns the most seen.
func heapWatch() (stop func() uint64) {
	var peak atomic.Uint64
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// TestLargeBodySlowReader streams a large body (64 MiB; 1 GiB with KCURL_SOAK=1) to a
// slow stdout, over HTTP/2 and HTTP/1.1: every byte arrives, and the heap stays flat
// because kcurl streams instead of buffering.
func TestLargeBodySlowReader(t *testing.T) {
	size := int64(64 << 20)
	if os.Getenv("KCURL_SOAK") != "" {
		size = 1 << 30
	}
	if testing.Short() {
		size = 16 << 20
	}
	pki := newPKI(t)
	chunk := []byte(strings.Repeat("0123456789abcdef", 2048)) // 32 KiB
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		if r.URL.Path == "/error" {
			w.WriteHeader(http.StatusInternalServerError) // an error body is searched for a Status, boundedly
		}
		for sent := int64(0); sent < size; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk[:min(int64(len(chunk)), size-sent)]); err != nil {
				return
			}
		}
	}), serverOptions{})
	for _, tt := range []struct{ name, proto, path string }{
		{"--http2", "--http2", "/big"},
		{"--http1.1", "--http1.1", "/big"},
		{"an error status", "--http2", "/error"},
	} {
		proto := tt.proto
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			w := &slowWriter{pause: 2 * time.Millisecond}
			stop := heapWatch()
			start := time.Now()
			r := kcurl(t, invocation{args: []string{"-sS", "-m", "120", proto, tt.path}, stdout: w, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"big"))})
			peak := stop()
			is.Equal(r.code, 0)
			is.Equal(r.stderr, "")
			is.Equal(w.n.Load(), size) // every byte, in order of arrival
			grew := int64(peak) - int64(base)
			t.Logf("%s: %d MiB in %v, %d writes, heap in use grew by at most %.1f MiB", proto, size>>20, time.Since(start).Round(time.Millisecond), w.calls, float64(grew)/(1<<20))
			is.True(grew < 16<<20) // the heap stays flat: the body streams through
		})
	}
}

// buildKcurl builds the static binary into a temporary directory, for the tests that
// need a real process: pipes, signals, the file system.
func buildKcurl(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no binary build")
	}
	bin := filepath.Join(t.TempDir(), "kcurl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// binaryEnv is a pod's environment for the built binary: the API server by address,
// so nothing is ever looked up, and a HOME and TMPDIR of the test's own.
func binaryEnv(t *testing.T, srv *httptest.Server, saDir string) []string {
	var env []string
	for k, v := range apiEnv(srv, saDir) {
		env = append(env, k+"="+v)
	}
	return append(env, "HOME="+t.TempDir(), "TMPDIR="+t.TempDir(), "PATH=/usr/bin:/bin")
}

// exitOf is how a finished process ended: its exit code, or the signal that killed it.
func exitOf(err error) (code int, sig syscall.Signal) {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, ws.Signal()
		}
		return ee.ExitCode(), 0
	}
	if err != nil {
		return -1, 0
	}
	return 0, 0
}

func TestBinaryFaults(t *testing.T) {
	bin := buildKcurl(t)
	pki := newPKI(t)
	big := strings.Repeat("x", 8<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	mux.HandleFunc("/watch", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < 600; i++ {
			fmt.Fprintf(w, "{\"type\":\"ADDED\",\"object\":{\"n\":%d}}\n", i)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	srv := newTLSServer(t, pki, mux, serverOptions{})
	sa := newSADir(t, pki.caPEM, secretPrefix+"binary")

	// kcurl … | head -c 10: the reader goes away after 10 bytes.
	headC := func(t *testing.T, name string, args ...string) (int, syscall.Signal, string, time.Duration) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = binaryEnv(t, srv, sa)
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = w, &stderr
		start := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		buf := make([]byte, 10)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("reading the first 10 bytes: %v", err)
		}
		r.Close()
		code, sig := exitOf(cmd.Wait())
		return code, sig, stderr.String(), time.Since(start)
	}
	t.Run("stdout closed early", func(t *testing.T) {
		is := is.New(t)
		code, sig, stderr, took := headC(t, bin, "-sS", "/big")
		is.Equal(sig, syscall.Signal(0))                                        // not killed by SIGPIPE
		is.Equal(code, 23)                                                      // curl's write error
		is.Equal(stderr, "kcurl: (23) Failure writing output to destination\n") // one line, no storm
		is.True(took < 10*time.Second)
		assertNoToken(t, stderr)
		ccode, csig, cstderr, _ := headC(t, curlPath(t), "-q", "-sS", "--cacert", pki.caFile, srv.URL+"/big")
		is.Equal(csig, syscall.Signal(0))
		is.Equal(ccode, 23)                     // curl does the same
		is.Equal(words(cstderr), words(stderr)) // in the same words
	})
	t.Run("stdout closed early, progress meter on", func(t *testing.T) {
		is := is.New(t)
		code, sig, stderr, _ := headC(t, bin, "/big")
		is.Equal(sig, syscall.Signal(0))
		is.Equal(code, 23)
		is.True(strings.HasSuffix(stderr, "\nkcurl: (23) Failure writing output to destination\n")) // the meter, then one error line
		is.Equal(strings.Count(stderr, "kcurl: "), 1)
	})
	t.Run("stderr closed early", func(t *testing.T) {
		is := is.New(t)
		r, w, err := os.Pipe()
		is.NoErr(err)
		r.Close() // nobody reads the error line
		cmd := exec.Command(bin, "-sS", "http://"+closedPort(t)+"/")
		cmd.Env = binaryEnv(t, srv, sa)
		cmd.Stderr = w
		code, sig := exitOf(cmd.Run())
		w.Close()
		is.Equal(sig, syscall.Signal(0)) // not killed by SIGPIPE
		is.Equal(code, 7)                // the transfer's own code still
	})
	t.Run("-o /dev/full", func(t *testing.T) {
		is := is.New(t)
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		cmd := exec.Command(bin, "-sS", "-o", "/dev/full", "/big")
		cmd.Env = binaryEnv(t, srv, sa)
		out, err := cmd.CombinedOutput()
		code, _ := exitOf(err)
		is.Equal(code, 23)
		is.Equal(string(out), "kcurl: (23) Failure writing output to destination\n")
	})
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run("watch ended by "+sig.String(), func(t *testing.T) {
			is := is.New(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-sS", "-N", "/watch")
			cmd.Env = binaryEnv(t, srv, sa)
			stdout, err := cmd.StdoutPipe()
			is.NoErr(err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			is.NoErr(cmd.Start())
			br := bufio.NewReader(stdout)
			var lines []string
			for len(lines) < 3 {
				l, err := br.ReadString('\n')
				is.NoErr(err) // the events arrive as they are sent
				lines = append(lines, l)
			}
			is.NoErr(cmd.Process.Signal(sig))
			start := time.Now()
			rest, _ := io.ReadAll(br)
			code, got := exitOf(cmd.Wait())
			took := time.Since(start)
			t.Logf("%v: ended in %v, exit %d, signal %v", sig, took, code, got)
			is.True(took < 2*time.Second)                             // exits promptly
			is.True(got == sig || code == 128+int(sig))               // ended by the signal, as curl is
			is.True(!strings.Contains(stderr.String(), "goroutine ")) // no stack trace
			all := strings.Join(lines, "") + string(rest)
			for i, l := range strings.SplitAfter(all, "\n") {
				if l == "" {
					continue
				}
				is.Equal(l, fmt.Sprintf("{\"type\":\"ADDED\",\"object\":{\"n\":%d}}\n", i)) // every event received was written whole, in order
			}
		})
	}
}

// TestRetryTransientSet checks which outcomes --retry tries again: curl's transient set
// (a timeout, a name that does not resolve, HTTP 408, 429, 500, 502, 503 and 504) and
// nothing else.
func TestRetryTransientSet(t *testing.T) {
	pki := newPKI(t)
	var status atomic.Int32
	var requests atomic.Int32
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/stall" {
			<-r.Context().Done()
			return
		}
		w.WriteHeader(int(status.Load()))
	}), serverOptions{})
	stallTLS := faultServer(t, func(c net.Conn) { requests.Add(1); silent(c) })
	env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"retry"))
	for _, code := range []int{408, 429, 500, 502, 503, 504, 400, 401, 403, 404, 409, 410, 501, 505, 200, 204, 304} {
		transient := code == 408 || code == 429 || code == 500 || code == 502 || code == 503 || code == 504
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			is := is.New(t)
			status.Store(int32(code))
			requests.Store(0)
			waits := 0
			r := kcurl(t, invocation{args: []string{"-s", "--retry", "2", "/x"}, env: env, sleep: func(time.Duration) { waits++ }})
			is.Equal(r.code, 0) // without -f an HTTP status is not a failure
			want := int32(1)
			if transient {
				want = 3
			}
			is.Equal(requests.Load(), want) // retried exactly when curl would
			is.Equal(waits, int(want)-1)
		})
	}
	t.Run("timeout with -m", func(t *testing.T) {
		is := is.New(t)
		requests.Store(0)
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "2", "-m", "0.3", "/stall"}, env: env})
		is.Equal(r.code, 28)
		is.Equal(requests.Load(), int32(3)) // a timeout is transient
	})
	t.Run("timeout in the TLS handshake", func(t *testing.T) {
		is := is.New(t)
		requests.Store(0)
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "1", "--connect-timeout", "0.3", "--cacert", pki.caFile, "https://" + stallTLS + "/"}, env: env})
		is.Equal(r.code, 28)
		is.Equal(requests.Load(), int32(2)) // so is --connect-timeout running out
	})
	t.Run("host name that does not resolve", func(t *testing.T) {
		is := is.New(t)
		waits := 0
		// The in-process resolver asks a closed loopback port: the lookup fails at once.
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "2", "https://kubernetes.default.svc/api"}, sleep: func(time.Duration) { waits++ }})
		is.Equal(r.code, 6)
		is.Equal(waits, 2) // curl's retrycheck counts CURLE_COULDNT_RESOLVE_HOST as transient
	})
	t.Run("proxy name that does not resolve", func(t *testing.T) {
		is := is.New(t)
		waits := 0
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "2", "-x", "http://proxy.invalid:3128", "http://127.0.0.1:1/"}, sleep: func(time.Duration) { waits++ }})
		is.Equal(r.code, 5)
		is.Equal(waits, 2) // and CURLE_COULDNT_RESOLVE_PROXY
	})
	t.Run("connection refused is not, without --retry-connrefused", func(t *testing.T) {
		is := is.New(t)
		waits := 0
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "2", "http://" + closedPort(t) + "/"}, sleep: func(time.Duration) { waits++ }})
		is.Equal(r.code, 7)
		is.Equal(waits, 0)
	})
	t.Run("empty reply is not", func(t *testing.T) {
		is := is.New(t)
		waits := 0
		empty := faultServer(t, emptyReply)
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "2", "http://" + empty + "/"}, sleep: func(time.Duration) { waits++ }})
		is.Equal(r.code, 52)
		is.Equal(waits, 0)
	})
}

// TestRetryTiming runs retries on the real clock: Retry-After in seconds and as an HTTP
// date, --retry-max-time, and a token file rotated between attempts.
func TestRetryTiming(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	var n atomic.Int32
	var retryAfter atomic.Value
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		if n.Add(1) == 1 || r.URL.Path == "/always" {
			if v, _ := retryAfter.Load().(string); v != "" {
				w.Header().Set("Retry-After", v)
			}
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "ok")
	}), serverOptions{})
	realSleep := func(d time.Duration) { time.Sleep(d) }
	t.Run("Retry-After seconds", func(t *testing.T) {
		is := is.New(t)
		n.Store(0)
		retryAfter.Store("1")
		var waited []time.Duration
		start := time.Now()
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "1", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, "")), sleep: func(d time.Duration) { waited = append(waited, d); time.Sleep(d) }})
		is.Equal(r.code, 0)
		is.Equal(r.stdout, "ok")
		is.Equal(waited, []time.Duration{time.Second}) // the server's wait, not curl's backoff
		is.True(time.Since(start) >= time.Second)
	})
	t.Run("Retry-After HTTP date", func(t *testing.T) {
		is := is.New(t)
		n.Store(0)
		retryAfter.Store(time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat))
		var waited []time.Duration
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "1", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, "")), sleep: func(d time.Duration) { waited = append(waited, d) }})
		is.Equal(r.code, 0)
		is.Equal(len(waited), 1)
		is.True(waited[0] >= time.Second && waited[0] <= 3*time.Second) // until the date (whole seconds)
	})
	t.Run("--retry-max-time stops the retries", func(t *testing.T) {
		is := is.New(t)
		retryAfter.Store("")
		n.Store(0)
		start := time.Now()
		r := kcurl(t, invocation{args: []string{"-sS", "--retry", "10", "--retry-delay", "0.3", "--retry-max-time", "0.5", "/always"}, env: apiEnv(srv, newSADir(t, pki.caPEM, "")), sleep: realSleep})
		is.Equal(r.code, 0)
		is.Equal(n.Load(), int32(3)) // at 0 s, 0.3 s and 0.6 s: curl retries while less than 0.5 s has passed, then stops
		is.True(time.Since(start) < 2*time.Second)
	})
	t.Run("the token file is read again for each attempt", func(t *testing.T) {
		is := is.New(t)
		retryAfter.Store("")
		n.Store(0)
		rec.reqs = nil
		tokenFile := writeFile(t, "token", secretPrefix+"first\n")
		r := kcurl(t, invocation{
			args: []string{"-sS", "--retry", "1", "--token-file", tokenFile, "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, "")),
			sleep: func(time.Duration) { os.WriteFile(tokenFile, []byte(secretPrefix+"second\n"), 0o600) },
		})
		is.Equal(r.code, 0)
		reqs := rec.all()
		is.Equal(len(reqs), 2)
		is.Equal(reqs[0].header.Get("Authorization"), "Bearer "+secretPrefix+"first")
		is.Equal(reqs[1].header.Get("Authorization"), "Bearer "+secretPrefix+"second") // the new token, not a cached one
	})
}

// countingWriter counts and hashes what it is given, keeping none of it.
type countingWriter struct {
	n int64
	h hash.Hash
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	w.h.Write(b)
	return len(b), nil
}

// TestPrettyDeepNesting sends a JSON body nested 8,000 levels deep (16 KB) to --pretty:
// the indented output is quadratic (64 MB, as json.Indent's), but it must stream out,
// not pile up in memory, and it must be json.Indent's bytes.
func TestPrettyDeepNesting(t *testing.T) {
	is := is.New(t)
	const depth = 8000
	body := strings.Repeat("[", depth) + strings.Repeat("]", depth)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "application/json", body), serverOptions{})
	w := &countingWriter{h: sha256.New()}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop := heapWatch()
	start := time.Now()
	r := kcurl(t, invocation{args: []string{"-sS", "--pretty", "-m", "60", "/deep"}, stdout: w, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	peak := stop()
	grew := int64(peak) - int64(base)
	t.Logf("%d bytes out in %v; heap in use grew by at most %.1f MiB", w.n, time.Since(start).Round(time.Millisecond), float64(grew)/(1<<20))
	is.Equal(r.code, 0)
	is.Equal(r.stderr, "")
	var want bytes.Buffer
	is.NoErr(stdjson.Indent(&want, []byte(body), "", "  "))
	sum := sha256.Sum256(want.Bytes())
	is.Equal(w.n, int64(want.Len())) // as long as json.Indent's
	is.Equal(w.h.Sum(nil), sum[:])   // and the same bytes
	is.True(grew < 16<<20)           // streamed: the heap did not hold the output
}
