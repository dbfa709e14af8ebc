package main

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"sort"
	"strings"
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
	cmd := exec.Command(curlPath(t), append([]string{"-q"}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
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
