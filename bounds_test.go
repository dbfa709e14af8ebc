package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
)

// What a server or a file sends must not make kcurl's memory or time unbounded. Each
// test here is a hostile answer or input, with the peak heap or the time it takes.

// repeatReader is n bytes of b, repeated, without holding them.
type repeatReader struct {
	b []byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n > 0 {
		c := copy(p[k:min(len(p), k+int(min(r.n, int64(len(r.b)))))], r.b)
		k += c
		r.n -= int64(c)
	}
	return k, nil
}

func TestAllPagesGoesToTheURLGiven(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	apiRec, otherRec := &recorder{}, &recorder{}
	api := newTLSServer(t, pki, replying(apiRec, 200, "application/json", `{"kind":"List","items":[]}`), serverOptions{})
	other := newTLSServer(t, pki, replying(otherRec, 200, "application/json", `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[{"a":1}]}`), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-sS", "--all-pages", "--cacert", pki.caFile, other.URL + "/api/v1/configmaps"}, env: apiEnv(api, newSADir(t, pki.caPEM, secretPrefix+"pages"))})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[{"a":1}]}`+"\n")
	is.Equal(len(apiRec.all()), 0)                                 // the API server was not asked
	is.Equal(otherRec.last(t).uri, "/api/v1/configmaps?limit=500") // the host given was
	is.Equal(otherRec.last(t).header.Get("Authorization"), "")     // without the API server's token
}

func TestAllPagesEndsAtMaxTime(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	var requests atomic.Int64
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"kind":"List","metadata":{"continue":"c%d"},"items":[]}`, n)
	}), serverOptions{})
	start := time.Now()
	r := kcurl(t, invocation{args: []string{"-sS", "-m", "1", "--all-pages", "-o", "/dev/null", "/api/v1/pods"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"pages"))})
	took := time.Since(start)
	is.Equal(r.code, exitTimeout)                                                  // an endless continue ends at -m
	is.True(strings.HasPrefix(r.stderr, "kcurl: (28) Operation timed out after ")) // curl's words
	is.True(took < 3*time.Second)                                                  // not after the server's patience
	t.Logf("%d requests in %v", requests.Load(), took)
}

func TestAllPagesHoldsOneItem(t *testing.T) {
	items := 400_000 // about 120 MB of List in one page
	if testing.Short() {
		items = 50_000
	}
	is := is.New(t)
	pki := newPKI(t)
	item := `{"metadata":{"name":"cm","namespace":"default","resourceVersion":"1"},"data":{"k":"` + strings.Repeat("v", 220) + `"}}`
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[`)
		for i := 0; i < items; i++ {
			if i > 0 {
				io.WriteString(w, ",")
			}
			io.WriteString(w, item)
		}
		io.WriteString(w, "]}")
	}), serverOptions{})
	counted := &discardCounter{}
	stop := heapWatch()
	r := kcurl(t, invocation{args: []string{"-sS", "--all-pages", "/api/v1/configmaps"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"pages")), stdout: counted})
	peak := stop()
	is.Equal(r.code, 0)
	want := int64(len(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"9"},"items":[`) + items*len(item) + items - 1 + len("]}\n"))
	is.Equal(counted.n.Load(), want) // every item, once
	t.Logf("page of %d MB: peak heap %d MiB", want>>20, peak>>20)
	is.True(peak < 48<<20) // one item at a time, not the page
}

// discardCounter counts what is written and keeps none of it.
type discardCounter struct{ n atomic.Int64 }

func (w *discardCounter) Write(b []byte) (int, error) { w.n.Add(int64(len(b))); return len(b), nil }

func TestHugeTableIsRefused(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	var body strings.Builder
	body.WriteString(`{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[`)
	for i := 0; i < 5000; i++ {
		if i > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, `{"name":"c%d","priority":0}`, i)
	}
	body.WriteString(`],"rows":[`)
	for i := 0; i < 5000; i++ {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString(`{"cells":[]}`)
	}
	body.WriteString(`]}`)
	srv := newTLSServer(t, pki, replying(nil, 200, "application/json", body.String()), serverOptions{})
	stop := heapWatch()
	r := kcurl(t, invocation{args: []string{"-sS", "--table", "/api/v1/pods"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"table"))})
	peak := stop()
	t.Logf("a %d KB Table of 5000 x 5000 empty cells: peak heap %d MiB", body.Len()>>10, peak>>20)
	is.Equal(r.code, exitFileTooLarge) // more cells than kcurl aligns
	is.Equal(r.stderr, fmt.Sprintf("kcurl: (63) the Table has more than %d cells to print\n", maxPrintedCells))
	is.Equal(r.stdout, "")
	is.True(peak < 128<<20) // was 1.4 GB
}

func TestHugeRulesReviewIsRefused(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	names := make([]string, 2000)
	for i := range names {
		names[i] = strconv.Quote("r" + strconv.Itoa(i))
	}
	list := "[" + strings.Join(names, ",") + "]"
	answer := `{"status":{"resourceRules":[{"verbs":["get"],"apiGroups":` + list + `,"resources":` + list + `}]}}`
	srv := newTLSServer(t, pki, replying(nil, 201, "application/json", answer), serverOptions{})
	stop := heapWatch()
	r := kcurl(t, invocation{args: []string{"can-i", "-sS", "--all"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"rules"))})
	peak := stop()
	t.Logf("a %d KB rules review of 2000 x 2000: peak heap %d MiB", len(answer)>>10, peak>>20)
	is.Equal(r.code, exitFileTooLarge)
	is.Equal(r.stderr, fmt.Sprintf("kcurl: (63) the rules review has 4000000 rows, more than kcurl prints (%d)\n", maxPrintedCells/4))
	is.True(peak < 64<<20) // was over 1.5 GB
}

func TestStdinOverItsLimit(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	big := strings.Repeat("X-A: b\n", maxArgFileSize/7+1)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "-H @-", args: []string{"-H", "@-", "/x"}},
		{name: "-w @-", args: []string{"-w", "@-", "/x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, "")), stdin: big})
			is.Equal(r.code, exitReadError)                                                           // refused, not cut short
			is.Equal(r.stderr, "kcurl: (26) Failed to read data from stdin: larger than the limit\n") // in one line
			is.Equal(len(rec.all()), 0)                                                               // before anything is sent
		})
	}
}

func TestDataFileOverTheLimitIsNotRead(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	f, err := os.CreateTemp(t.TempDir(), "huge")
	is.NoErr(err)
	is.NoErr(f.Truncate(maxDataFileSize + 1)) // sparse: nothing on disk
	f.Close()
	start := time.Now()
	stop := heapWatch()
	r := kcurl(t, invocation{args: []string{"-sS", "--data-binary", "@" + f.Name(), "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	peak := stop()
	is.Equal(r.code, exitReadError)
	is.Equal(r.stderr, "kcurl: (26) Failed to open/read local data from file "+f.Name()+": larger than the limit\n")
	is.True(time.Since(start) < 2*time.Second) // refused by its size, not read
	is.True(peak < 32<<20)
}

func TestDataFromStdinTakesItsOwnSize(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 32 << 20
	}
	is := is.New(t)
	pki := newPKI(t)
	var got atomic.Int64
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}), serverOptions{})
	stop := heapWatch()
	r := kcurl(t, invocation{args: []string{"-sS", "--data-binary", "@-", "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, "")), stdinReader: &repeatReader{b: bytes.Repeat([]byte("0123456789abcdef"), 4096), n: size}})
	peak := stop()
	is.Equal(r.code, 0)
	is.Equal(got.Load(), size) // every byte sent
	t.Logf("--data-binary @- of %d MiB: peak heap %d MiB", size>>20, peak>>20)
	is.True(peak < uint64(size)+uint64(size)/4+16<<20) // its own size, not three times it
}

func TestEndlessRedirectsEnd(t *testing.T) {
	is := is.New(t)
	var hops atomic.Int64
	srv := newTLSServer(t, newPKI(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		http.Redirect(w, r, "/again"+strconv.FormatInt(hops.Load(), 10), http.StatusFound)
	}), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-sS", "-k", "-L", "--max-redirs", "-1", srv.URL + "/"}})
	is.Equal(r.code, exitTooManyRedirects) // --max-redirs -1 still ends
	is.Equal(r.stderr, "kcurl: (47) Maximum (1000) redirects followed\n")
	is.Equal(hops.Load(), int64(1001))
}

func TestWatchReconnectReportsTheWholeTime(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}}`+"\n")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond) // each watch ends soon, and is resumed
	}), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-sS", "-m", "1.5", "--watch-reconnect", "-o", "/dev/null", "/api/v1/pods"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"w"))})
	is.Equal(r.code, exitTimeout)
	var ms, n int
	_, err := fmt.Sscanf(r.stderr, "kcurl: (28) Operation timed out after %d milliseconds with %d bytes received\n", &ms, &n)
	is.NoErr(err)
	is.True(ms >= 1400 && ms < 2500) // the watch's time, not its last connection's
	is.True(n > 64)                  // and all it received
}

func TestServerTextIsEscaped(t *testing.T) {
	pki := newPKI(t)
	status := `{"kind":"Status","status":"Failure","message":"denied\n\u001b[2Jkcurl: (0) all good","reason":"Forbidden","code":403}`
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", "a\x1b[31mred")
		switch r.URL.Path {
		case "/c1":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			io.WriteString(w, `{"kind":"Status","message":"csi\u009b31m","reason":"Forbidden","code":403}`)
		case "/table":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"kind":"Table","columnDefinitions":[{"name":"Name","priority":0}],"rows":[{"cells":["a\u001b]0;title\u0007b\nc"]}]}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			io.WriteString(w, status)
		}
	}), serverOptions{})
	env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"esc"))
	for _, tt := range []struct {
		name   string
		args   []string
		stdout string
		stderr string
	}{
		{name: "a Status message", args: []string{"-fsS", "/x"}, stderr: "kcurl: (22) 403 Forbidden: denied\\n\\x1b[2Jkcurl: (0) all good\n"},
		{name: "a table cell", args: []string{"-sS", "--table", "/table"}, stdout: "NAME\na\\x1b]0;title\\ab\\nc\n"},
		{name: "a C1 control in a Status message", args: []string{"-fsS", "/c1"}, stderr: "kcurl: (22) 403 Forbidden: csi\\u009b31m\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: tt.args, env: env})
			is.Equal(r.stdout, tt.stdout)
			is.Equal(r.stderr, tt.stderr)
		})
	}
	t.Run("-v header lines", func(t *testing.T) {
		is := is.New(t)
		// Go's server refuses to send such a header: a raw one does.
		addr := faultServer(t, func(c net.Conn) {
			readRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Evil: a\x1b[31mred\r\nContent-Length: 0\r\n\r\n")
		})
		r := kcurl(t, invocation{args: []string{"-sSv", "-o", "/dev/null", "http://" + addr + "/x"}})
		if r.code == 0 {
			is.True(strings.Contains(r.stderr, "< X-Evil: a\\x1b[31mred\r\n")) // escaped on stderr
		}
		is.True(!strings.Contains(r.stderr, "\x1b")) // nothing raw reaches the terminal, whether the head is taken or refused
	})
}

func TestMalformedLocationIsAURLError(t *testing.T) {
	is := is.New(t)
	addr := faultServer(t, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 302 Found\r\nLocation: http://[::1\r\nContent-Length: 0\r\n\r\n")
	})
	r := kcurl(t, invocation{args: []string{"-sS", "-L", "http://" + addr + "/"}})
	is.Equal(r.code, exitURLMalformed) // curl's 3, not a receive error
}

// TestNoGoLogLines runs the built binary against a server that sends a body on a 204,
// which net/http (kcurl's HTTPS client) reports through Go's standard logger: nothing
// of it reaches stderr.
func TestNoGoLogLines(t *testing.T) {
	bin := buildKcurl(t)
	is := is.New(t)
	pki := newPKI(t)
	addr := tlsFaultServer(t, pki, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\nunsolicited body\r\n")
		time.Sleep(300 * time.Millisecond)
	})
	cmd := exec.Command(bin, "-s", "--http1.1", "--cacert", pki.caFile, "https://"+addr+"/", "https://"+addr+"/again")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	is.Equal(stderr.String(), "") // no "Unsolicited response received on idle HTTP channel"
}

// TestTypedTokenLeavesTheCommandLine reads /proc/PID/cmdline of the built binary while
// it waits on a slow server: a token typed with --token or --oauth2-bearer is blanked.
func TestTypedTokenLeavesTheCommandLine(t *testing.T) {
	bin := buildKcurl(t)
	pki := newPKI(t)
	release := make(chan struct{})
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}), serverOptions{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	for _, tt := range []struct {
		name string
		args []string
	}{
		{name: "--token VALUE", args: []string{"--token", secretPrefix + "typed1"}},
		{name: "--token=VALUE", args: []string{"--token=" + secretPrefix + "typed2"}},
		{name: "--oauth2-bearer VALUE", args: []string{"--oauth2-bearer", secretPrefix + "typed3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			cmd := exec.Command(bin, append(append([]string{"-sS", "-m", "5"}, tt.args...), "/x")...)
			cmd.Env = binaryEnv(t, srv, newSADir(t, pki.caPEM, ""))
			is.NoErr(cmd.Start())
			defer cmd.Process.Kill()
			var cmdline []byte
			for i := 0; i < 100; i++ {
				time.Sleep(20 * time.Millisecond)
				cmdline, _ = os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
				if bytes.Contains(cmdline, []byte("/x")) && !bytes.Contains(cmdline, []byte(secretPrefix)) {
					break
				}
			}
			is.True(bytes.Contains(cmdline, []byte("/x")))          // the command line is still there
			is.True(!bytes.Contains(cmdline, []byte(secretPrefix))) // without the token
		})
	}
}

func TestResponseHeadersOverTheLimit(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	big := strings.Repeat("x", 2<<20)
	addr := tlsFaultServer(t, pki, func(c net.Conn) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+big+"\r\nContent-Length: 2\r\n\r\nok")
	})
	r := kcurl(t, invocation{args: []string{"-sS", "--http1.1", "--cacert", pki.caFile, "https://" + addr + "/"}})
	is.True(r.code != 0)   // 2 MiB of headers is more than kcurl takes (1 MiB)
	is.Equal(r.stdout, "") // and nothing of it is written
}

func TestFailStartsAt400(t *testing.T) {
	pki := newPKI(t)
	for _, tt := range []struct {
		status, code int
	}{{399, 0}, {400, exitHTTPError}, {401, exitHTTPError}, {599, exitHTTPError}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			is := is.New(t)
			srv := newTLSServer(t, pki, replying(nil, tt.status, "text/plain", "body"), serverOptions{})
			r := kcurl(t, invocation{args: []string{"-sf", "--cacert", pki.caFile, srv.URL + "/"}})
			is.Equal(r.code, tt.code) // -f fails from 400 on, as curl
		})
	}
}

func TestOversizedAnswersAreRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: sends about 50 MB")
	}
	pki := newPKI(t)
	filler := strings.Repeat("v", 1<<20)
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/item": // one item of 17 MiB
			io.WriteString(w, `{"kind":"List","apiVersion":"v1","metadata":{},"items":[{"data":"`)
			for i := 0; i < 17; i++ {
				io.WriteString(w, filler)
			}
			io.WriteString(w, `"}]}`)
		case "/table": // a Table of 33 MiB, almost all of it one cell
			io.WriteString(w, `{"kind":"Table","columnDefinitions":[{"name":"Name","priority":0}],"rows":[{"cells":["`)
			for i := 0; i < 33; i++ {
				io.WriteString(w, filler)
			}
			io.WriteString(w, `"]}]}`)
		}
	}), serverOptions{})
	env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"big"))
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "a List item over 16 MiB", args: []string{"--all-pages", "/item"}, code: exitRecvError, stderr: "kcurl: (56) a List item is larger than 16777216 bytes\n"},
		{name: "a Table over 32 MiB", args: []string{"--table", "/table"}, code: exitFileTooLarge, stderr: "kcurl: (63) the Table is larger than 33554432 bytes: ask for fewer rows with limit= or --all-pages without --table\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			runtime.GC()
			stop := heapWatch()
			r := kcurl(t, invocation{args: append([]string{"-sS", "-o", "/dev/null"}, tt.args...), env: env})
			peak := stop()
			t.Logf("peak heap %d MiB", peak>>20)
			is.Equal(r.code, tt.code)
			is.Equal(r.stderr, tt.stderr)
			is.True(peak < 128<<20) // bounded by the limit, not by what the server sends
		})
	}
}
