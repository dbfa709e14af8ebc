package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
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
