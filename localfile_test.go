package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestLocalFileKinds: a file kcurl finds or is given as a token or CA must be a
// regular file and is opened without blocking; the user's own @file may be a FIFO,
// a pipe (process substitution) or a device, read as curl reads it; every read is
// bounded, and a regular file over its limit is refused before it is read.
func TestLocalFileKinds(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	dir := t.TempDir()
	fifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	saWith := func(name string) string {
		sa := newSADir(t, pki.caPEM, secretPrefix+"own")
		os.Remove(filepath.Join(sa, name))
		if err := syscall.Mkfifo(filepath.Join(sa, name), 0o600); err != nil {
			t.Fatal(err)
		}
		return sa
	}
	// A writer that waits for kcurl to open the FIFO, as a shell's does.
	fed := fifo("fed")
	go func() {
		if f, err := os.OpenFile(fed, os.O_WRONLY, 0); err == nil {
			f.WriteString("from a fifo")
			f.Close()
		}
	}()
	// A pipe, as -d @<(cmd) gives: /dev/fd/N of this very process.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w.WriteString("from a pipe")
	w.Close()
	huge := sparseFile(t, "huge", maxDataFileSize+1)
	tests := []struct {
		name   string
		args   []string
		sa     string
		stdin  string
		code   int
		body   string // what the server got, when code is 0
		stderr string
	}{
		{name: "-d @FIFO", args: []string{"-d", "@" + fed}, body: "from a fifo"},
		{name: "-d @pipe", args: []string{"-d", "@/dev/fd/" + strconv.Itoa(int(r.Fd()))}, body: "from a pipe"},
		{name: "-d @/dev/null", args: []string{"-d", "@/dev/null"}, body: ""},
		{name: "-d @directory", args: []string{"-d", "@" + dir}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + dir + ": is a directory\n"},
		{name: "-d @file over the limit", args: []string{"-d", "@" + huge}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + huge + ": larger than the limit\n"},
		{name: "-H @- over the limit", args: []string{"-H", "@-"}, stdin: strings.Repeat("X-A: b\n", maxArgFileSize/7+1), code: 26, stderr: "kcurl: (26) Failed to read data from stdin: larger than the limit\n"},
		{name: "--cacert FIFO", args: []string{"--cacert", fifo("ca")}, code: 77, stderr: "kcurl: (77) error setting certificate file: " + filepath.Join(dir, "ca") + ": not a regular file\n"},
		{name: "--token-file FIFO", args: []string{"--token-file", fifo("token")}, code: 26, stderr: "kcurl: (26) cannot read token file " + filepath.Join(dir, "token") + ": not a regular file\n"},
		{name: "service-account token FIFO", sa: saWith("token"), code: 26, stderr: "not a regular file\n"},
		{name: "service-account ca.crt FIFO", sa: saWith("ca.crt"), code: 77, stderr: "ca.crt: not a regular file\n"},
		{name: "service-account namespace FIFO", sa: saWith("namespace"), args: []string{"/api/v1/namespaces/{namespace}/pods"}, code: 3, stderr: "namespace: not a regular file)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			sa := tt.sa
			if sa == "" {
				sa = newSADir(t, pki.caPEM, secretPrefix+"own")
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			res, elapsed, ok := kcurlWithin(t, 5*time.Second, invocation{args: append([]string{"-sS", "-m", "2", "/x"}, tt.args...), env: apiEnv(srv, sa), stdin: tt.stdin})
			runtime.ReadMemStats(&after)
			t.Logf("finished %t, exit %d after %s, %.1f MiB allocated", ok, res.code, elapsed.Round(time.Millisecond), float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
			is.True(ok)                                          // kcurl finished
			is.True(elapsed < 2*time.Second)                     // within -m 2
			is.True(after.TotalAlloc-before.TotalAlloc < 24<<20) // bounded, not the file
			is.Equal(res.code, tt.code)
			is.True(strings.HasSuffix(res.stderr, tt.stderr)) // says what
			if tt.code == 0 {
				is.Equal(rec.last(t).body, tt.body)
				return
			}
			for _, req := range rec.all() {
				is.Equal(req.header.Get("Authorization"), "") // nothing went with a token
			}
		})
	}
}
