package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
	"github.com/matryer/is"
)

func TestIncludeAndHead(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "application/json", `{"kind":"Pod"}`), serverOptions{})
	tests := []struct {
		name   string
		args   []string
		stdout string
	}{
		{"-i over HTTP/2", []string{"-i", "/x"}, "HTTP/2 200 \r\ncontent-length: 14\r\ncontent-type: application/json\r\n\r\n{\"kind\":\"Pod\"}"},
		{"-i over HTTP/1.1", []string{"-i", "--http1.1", "/x"}, "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nContent-Type: application/json\r\n\r\n{\"kind\":\"Pod\"}"},
		{"-I", []string{"-I", "--http1.1", "/x"}, "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nContent-Type: application/json\r\n\r\n"},
		{"body alone, byte for byte", []string{"/x"}, `{"kind":"Pod"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.stdout)
		})
	}
}

func TestVerboseOrder(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 201, "text/plain", "made"), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-sv", "-d", "{}", "/api"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"v"))})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, "made")
	want := []string{
		"*   Trying 127.0.0.1:",
		"* Connected to 127.0.0.1 (127.0.0.1) port ",
		"* SSL connection using TLSv1.3 / ",
		"* ALPN: server accepted h2\n",
		"* Server certificate:\n",
		"*  subjectAltName: host \"127.0.0.1\" matched cert's IP address!\n",
		"*  issuer: CN=kcurl test CA\n",
		"*  SSL certificate verify ok.\n",
		"> POST /api HTTP/2\r\n",
		"> Host: 127.0.0.1:",
		"> authorization: Bearer <redacted>\r\n",
		"> user-agent: kcurl/dev\r\n",
		"> accept: */*\r\n",
		"> content-type: application/json\r\n",
		"> content-length: 2\r\n",
		"> \r\n",
		"< HTTP/2 201 \r\n",
		"< content-type: text/plain\r\n",
		"< \r\n",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(r.stderr[at:], w)
		is.True(i >= 0) // each -v line, in curl's order
		if i < 0 {
			t.Fatalf("missing %q after byte %d of:\n%s", w, at, r.stderr)
		}
		at += i + len(w)
	}
}

func TestFail(t *testing.T) {
	pki := newPKI(t)
	status := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}`
	forbidden := "403 Forbidden: pods is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"\n"
	srv := newTLSServer(t, pki, replying(nil, 403, "application/json", status), serverOptions{})
	plain := newTLSServer(t, pki, replying(nil, 404, "text/html", "<h1>gone</h1>"), serverOptions{})
	tests := []struct {
		name   string
		srv    string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "no -f writes the body and exits 0; -S adds the Status line", args: []string{"-sS"}, stdout: status, stderr: "kcurl: " + forbidden},
		{name: "no -f, -s: the body alone", args: []string{"-s"}, stdout: status},
		{name: "-f: no body, code 22, the Status in the error line", args: []string{"-sSf"}, code: 22, stderr: "kcurl: (22) " + forbidden},
		{name: "-f -s is silent", args: []string{"-sf"}, code: 22},
		{name: "--fail-with-body writes the body too", args: []string{"-sS", "--fail-with-body"}, code: 22, stdout: status, stderr: "kcurl: (22) " + forbidden},
		{name: "-f on a body that is not a Status", srv: "plain", args: []string{"-sSf"}, code: 22, stderr: "kcurl: (22) The requested URL returned error: 404\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := srv
			if tt.srv == "plain" {
				s = plain
			}
			r := kcurl(t, invocation{args: append(tt.args, "/api/v1/namespaces/default/pods"), env: apiEnv(s, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, tt.stdout)
			is.Equal(r.stderr, tt.stderr)
		})
	}
}

func TestWriteOut(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Write([]byte(`{"ok":true}`))
	}), serverOptions{})
	formatFile := writeFile(t, "format", `%{http_code}\n`)
	tests := []struct {
		name   string
		format string
		stdout string
		stderr string
	}{
		{name: "http_code", format: "%{http_code}", stdout: "200"},
		{name: "escapes and literals", format: `[%{response_code}]\t%{method}\n100%%`, stdout: "[200]\tGET\n100%"},
		{name: "request facts", format: "%{http_version} %{num_redirects} %{content_type} %{size_download} %{size_upload} %{exitcode} %{scheme}", stdout: "2 0 application/json 11 0 0 HTTPS"},
		{name: "url_effective", format: "%{url_effective}", stdout: srv.URL + "/w?q=1"},
		{name: "remote ip and port", format: "%{remote_ip}:%{remote_port}", stdout: strings.TrimPrefix(srv.URL, "https://")},
		{name: "header", format: "%header{content-type}|%header{x-multi}|%header{absent}", stdout: "application/json|a, b|"},
		{name: "stderr switch", format: "%{http_code}%{stderr}to stderr%{stdout}!", stdout: "200!", stderr: "to stderr"},
		{name: "@file", format: "@" + formatFile, stdout: "200\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{"-s", "-o", "/dev/null", "-w", tt.format, "/w?q=1"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.stdout)
			is.Equal(r.stderr, tt.stderr)
		})
	}
	t.Run("timings are ordered", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"-s", "-o", "/dev/null", "-w", "%{json}", "/w"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
		var v map[string]any
		is.NoErr(json.Unmarshal([]byte(r.stdout), &v)) // %{json} is JSON
		is.Equal(v["http_code"], "200")
		is.Equal(v["errormsg"], "")
		order := []string{"time_connect", "time_appconnect", "time_pretransfer", "time_starttransfer", "time_total"}
		for i := 1; i < len(order); i++ {
			is.True(v[order[i-1]].(float64) <= v[order[i]].(float64)) // curl's timing order
		}
		is.True(v["time_appconnect"].(float64) > 0) // the TLS handshake was timed
	})
	t.Run("written on failure too", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"-s", "-w", "%{http_code} %{exitcode} %{errormsg}", "http://" + closedPort(t) + "/"}})
		is.Equal(r.code, 7)
		is.True(strings.HasPrefix(r.stdout, "000 7 Failed to connect to 127.0.0.1 port ")) // curl's 000 and the error
	})
}

func TestOutputFile(t *testing.T) {
	pki := newPKI(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("content")) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404); w.Write([]byte("nope")) })
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	srv := newTLSServer(t, pki, mux, serverOptions{http1: true})
	tests := []struct {
		name   string
		path   string
		args   []string
		code   int
		exists bool
		want   string
	}{
		{name: "written", path: "/ok", exists: true, want: "content"},
		{name: "empty body makes an empty file", path: "/empty", exists: true},
		{name: "-f failure leaves no file", path: "/missing", args: []string{"-f"}, code: 22},
		{name: "cut body leaves no half file", path: "/cut", code: 18},
		{name: "-i writes headers into the file", path: "/ok", args: []string{"-i"}, exists: true, want: "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Type: text/plain; charset=utf-8\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			file := filepath.Join(t.TempDir(), "out")
			r := kcurl(t, invocation{args: append([]string{"-s", "-o", file, tt.path}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, "")
			b, err := os.ReadFile(file)
			is.Equal(err == nil, tt.exists) // the file exists only after a good transfer
			if strings.HasPrefix(tt.want, "HTTP/") {
				is.True(strings.HasPrefix(string(b), tt.want))
				is.True(strings.HasSuffix(string(b), "\r\n\r\ncontent"))
			} else {
				is.Equal(string(b), tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, file string }{
		{"full disk", "/dev/full"},
		{"unwritable path", "/proc/version/nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			if _, err := os.Stat("/dev/full"); err != nil && tt.file == "/dev/full" {
				t.Skip("no /dev/full here")
			}
			r := kcurl(t, invocation{args: []string{"-sS", "-o", tt.file, "/ok"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 23) // curl's write error
			is.Equal(strings.Count(r.stderr, "\n"), 1)
		})
	}
	t.Run("stdout that fails", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"-sS", "/ok"}, stdout: errWriter{}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
		is.Equal(r.code, 23)
		is.Equal(r.stderr, "kcurl: (23) Failure writing output to destination\n") // one line, no storm
	})
}

func TestProgressMeter(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "0123456789"), serverOptions{})
	tests := []struct {
		name     string
		args     []string
		terminal bool
		meter    bool
	}{
		{name: "shown when stdout is not a terminal", meter: true},
		{name: "hidden when stdout is a terminal", terminal: true},
		{name: "hidden by -s", args: []string{"-s"}},
		{name: "hidden by --no-progress-meter", args: []string{"--no-progress-meter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"/x"}, tt.args...), terminal: tt.terminal, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, "0123456789")
			is.Equal(strings.HasPrefix(r.stderr, "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"), tt.meter)
			if tt.meter {
				is.True(strings.Contains(r.stderr, "\r100    10  100    10    0     0 ")) // the final line: 100% of 10 bytes
				is.True(strings.HasSuffix(r.stderr, "\n"))
			} else {
				is.Equal(r.stderr, "")
			}
		})
	}
}
