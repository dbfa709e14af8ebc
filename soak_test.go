package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// settle waits, bounded, for the goroutine count to come down to at most want.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestSoak runs kcurl in-process many times against one local TLS server, one after
// another and all at once: every run succeeds, and afterwards the goroutines, file
// descriptors and heap are back where they were. KCURL_SOAK=1 runs the full 10,000
// sequential and 200 concurrent invocations; the normal run does 500 and 50.
func TestSoak(t *testing.T) {
	sequential, concurrent := 500, 50
	if os.Getenv("KCURL_SOAK") != "" {
		sequential, concurrent = 10000, 200
	}
	if testing.Short() {
		t.Skip("-short: no soak")
	}
	pki := newPKI(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/namespaces/default/pods", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"PodList","items":[]}`)
	})
	mux.HandleFunc("/watch", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "{\"type\":\"ADDED\",\"n\":%d}\n", i)
			w.(http.Flusher).Flush()
		}
	})
	srv := newTLSServer(t, pki, mux, serverOptions{})
	env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"soak"))
	runOnce := func(t *testing.T, i int) error {
		args := []string{"-sS", "/api/v1/namespaces/default/pods"}
		switch i % 4 {
		case 1:
			args = []string{"-sS", "--http1.1", "-w", "%{http_code}", "/api/v1/namespaces/default/pods"}
		case 2:
			args = []string{"-sS", "-N", "/watch"}
		case 3:
			args = []string{"-sS", "-m", "5", "--retry", "1", "/api/v1/namespaces/default/pods", "/watch"}
		}
		r := kcurl(t, invocation{args: args, env: env})
		if r.code != 0 || r.stderr != "" {
			return fmt.Errorf("run %d %q: exit %d: %s", i, args, r.code, r.stderr)
		}
		return nil
	}
	// A first run warms what is made once per process (TLS tables, the resolver).
	if err := runOnce(t, 0); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	time.Sleep(100 * time.Millisecond)
	baseGoroutines, baseFDs, baseHeap := runtime.NumGoroutine(), openFDs(t), heapInUse()
	check := func(t *testing.T, what string) {
		is := is.New(t)
		// The server never closes an idle connection itself: one kcurl left open keeps a
		// goroutine and a descriptor on both sides.
		g := settle(baseGoroutines + 2)
		fds := openFDs(t)
		heap := heapInUse()
		t.Logf("%s: goroutines %d -> %d, fds %d -> %d, heap in use %.1f -> %.1f MiB", what, baseGoroutines, g, baseFDs, fds, float64(baseHeap)/(1<<20), float64(heap)/(1<<20))
		is.True(g <= baseGoroutines+2)    // no goroutine left behind
		is.True(fds <= baseFDs+2)         // no file descriptor left open
		is.True(heap < baseHeap+(16<<20)) // the heap is flat
	}
	t.Run("sequential "+strconv.Itoa(sequential), func(t *testing.T) {
		start := time.Now()
		for i := 0; i < sequential; i++ {
			if err := runOnce(t, i); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%d runs in %v", sequential, time.Since(start).Round(time.Millisecond))
		check(t, "sequential")
	})
	t.Run("concurrent "+strconv.Itoa(concurrent), func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, concurrent)
		start := time.Now()
		for i := 0; i < concurrent; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if err := runOnce(t, i); err != nil {
					errs <- err
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		t.Logf("%d concurrent runs in %v", concurrent, time.Since(start).Round(time.Millisecond))
		check(t, "concurrent")
	})
}

// TestLongWatchWithReconnects runs one --watch-reconnect through 60 endings of three
// kinds (the server ends the watch, resets the stream in the middle of an event, drops
// the connection), then a 410: every event is on stdout once, whole and in order, each
// reconnect resumes from the last version, and nothing is left open afterwards.
func TestLongWatchWithReconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no soak")
	}
	is := is.New(t)
	pki := newPKI(t)
	const endings = 60
	event := func(rv int) string {
		return fmt.Sprintf("{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"cm\",\"resourceVersion\":\"%d\"}}}\n", rv)
	}
	var mu sync.Mutex
	connections := 0
	var srv interface{ CloseClientConnections() }
	s := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		connections++
		n := connections
		mu.Unlock()
		from, _ := strconv.Atoi(r.URL.Query().Get("resourceVersion"))
		w.Header().Set("Content-Type", "application/json")
		if n > endings {
			io.WriteString(w, `{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}}`+"\n")
			return
		}
		io.WriteString(w, event(from+1))
		w.(http.Flusher).Flush()
		next := event(from + 2)
		switch n % 3 {
		case 0: // the server ends the watch
			io.WriteString(w, next)
		case 1: // the stream is reset in the middle of an event
			io.WriteString(w, next[:20])
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
			panic(http.ErrAbortHandler)
		case 2: // the connection drops in the middle of an event
			io.WriteString(w, next[:20])
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
			srv.CloseClientConnections()
		}
	}), serverOptions{})
	srv = s
	baseGoroutines, baseFDs := runtime.NumGoroutine(), openFDs(t)
	r := kcurl(t, invocation{args: []string{"--no-progress-meter", "--watch-reconnect", "-m", "60", "/api/v1/namespaces/n/configmaps"}, env: apiEnv(s, newSADir(t, pki.caPEM, secretPrefix+"watch"))})
	is.Equal(r.code, 0)
	var want strings.Builder
	rv := 0
	for n := 1; n <= endings; n++ {
		want.WriteString(event(rv + 1))
		rv++
		if n%3 == 0 {
			want.WriteString(event(rv + 1))
			rv++
		}
	}
	want.WriteString(`{"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}}` + "\n")
	if r.stdout != want.String() {
		got, exp := strings.Split(r.stdout, "\n"), strings.Split(want.String(), "\n")
		for i := range min(len(got), len(exp)) {
			if got[i] != exp[i] {
				t.Fatalf("stdout line %d is %q, want %q (every event once, whole, in order)", i+1, got[i], exp[i])
			}
		}
		t.Fatalf("stdout has %d lines, want %d", len(got), len(exp))
	}
	is.Equal(r.stderr, "kcurl: warning: watch: resourceVersion "+strconv.Itoa(lastVersion(endings))+" is gone (410): list again, then watch from the list's resourceVersion\n")
	s.CloseClientConnections()
	g := settle(baseGoroutines + 2)
	t.Logf("%d connections; goroutines %d -> %d, fds %d -> %d", connections, baseGoroutines, g, baseFDs, openFDs(t))
	is.True(g <= baseGoroutines+2)   // no goroutine left from the reconnects
	is.True(openFDs(t) <= baseFDs+2) // nor a descriptor
}

// lastVersion is the resourceVersion of the last event TestLongWatchWithReconnects sends.
func lastVersion(endings int) int {
	rv := 0
	for n := 1; n <= endings; n++ {
		rv++
		if n%3 == 0 {
			rv++
		}
	}
	return rv
}
