package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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
		"> content-length: 2\r\n",
		"> content-type: application/json\r\n",
		"> \r\n",
		"< HTTP/2 201 \r\n",
		"< content-type: text/plain\r\n",
		"< \r\n",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(r.stderr[at:], w)
		if i < 0 {
			t.Fatalf("-v lines out of curl's order: missing %q after byte %d of:\n%s", w, at, r.stderr)
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
		{name: "header", format: "%header{content-type}|%header{x-multi}|%header{absent}", stdout: "application/json|a|"}, // the first of two, as curl 7.88
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
		is.Equal(v["http_code"], float64(200))         // a number, as curl
		is.Equal(v["errormsg"], nil)                   // null, as curl
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
		{name: "cut body keeps what came, as curl", path: "/cut", code: 18, exists: true, want: "partial"},
		{name: "cut body with --remove-on-error leaves no half file", path: "/cut", args: []string{"--remove-on-error"}, code: 18},
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
			is.Equal(err == nil, tt.exists) // the file exists after data came (and stays unless --remove-on-error)
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
		{name: "shown with -v, as curl", args: []string{"-v"}, meter: true},
		{name: "hidden by --no-progress-meter", args: []string{"--no-progress-meter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"/x"}, tt.args...), terminal: tt.terminal, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, "0123456789")
			header := "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
			if tt.args != nil && tt.args[0] == "-v" {
				is.True(strings.Contains(r.stderr, "\n"+header)) // after the -v lines of the request
			} else {
				is.Equal(strings.HasPrefix(r.stderr, header), tt.meter)
			}
			switch {
			case tt.meter:
				is.True(strings.Contains(r.stderr, "\r100    10  100    10    0     0 ")) // the final line: 100% of 10 bytes
				is.True(strings.HasSuffix(r.stderr, "\n"))
			default:
				is.Equal(r.stderr, "")
			}
		})
	}
}

func TestPrettyJSONMatchesIndent(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"object", `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[]}` + "\n"},
		{"nested arrays and empties", `{"a":[1,2,[],{}],"b":{"c":[{"d":null}]},"e":true,"f":-1.50e+10}`},
		{"strings with escapes and structure bytes", `{"s":"a \"quoted\" {value}, [x]: y\\","u":"\u00e9\n","k\"ey":"\\\\"}`},
		{"key order kept", `{"z":1,"a":2,"m":3}`},
		{"leading space dropped, trailing kept", "  \n {\"a\":1}\n"},
		{"scalar", `"just a string"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var want bytes.Buffer
			is.NoErr(json.Indent(&want, []byte(tt.in), "", "  "))
			for _, chunk := range []int{1, 3, 7, len(tt.in)} {
				var got bytes.Buffer
				p := newPrettyJSON(&got)
				for i := 0; i < len(tt.in); i += chunk {
					p.Write([]byte(tt.in[i:min(i+chunk, len(tt.in))]))
				}
				is.Equal(got.String(), want.String()) // byte for byte what json.Indent makes, whatever the chunking
			}
		})
	}
}

func TestPrettyWatchStream(t *testing.T) {
	is := is.New(t)
	var got bytes.Buffer
	p := newPrettyJSON(&got)
	p.Write([]byte(`{"type":"ADDED","object":{}}` + "\n"))
	is.Equal(got.String(), "{\n  \"type\": \"ADDED\",\n  \"object\": {}\n}\n") // the first event is out before the second arrives
	p.Write([]byte(`{"type":"DELETED","object":{}}` + "\n"))
	is.Equal(got.String(), "{\n  \"type\": \"ADDED\",\n  \"object\": {}\n}\n{\n  \"type\": \"DELETED\",\n  \"object\": {}\n}\n")
}

func TestPrettyChoice(t *testing.T) {
	pki := newPKI(t)
	jsonSrv := newTLSServer(t, pki, replying(nil, 200, "application/json", `{"a":[1]}`), serverOptions{})
	textSrv := newTLSServer(t, pki, replying(nil, 200, "text/plain", `{"a":[1]}`), serverOptions{})
	pretty := "{\n  \"a\": [\n    1\n  ]\n}"
	tests := []struct {
		name     string
		srv      string
		path     string
		args     []string
		terminal bool
		want     string
	}{
		{name: "pipe: as received", path: "/x", want: `{"a":[1]}`},
		{name: "terminal: pretty", path: "/x", terminal: true, want: pretty},
		{name: "terminal, --no-pretty", path: "/x", terminal: true, args: []string{"--no-pretty"}, want: `{"a":[1]}`},
		{name: "terminal, a watch stays one line", path: "/x?watch=1", terminal: true, want: `{"a":[1]}`},
		{name: "--pretty on a pipe", path: "/x", args: []string{"--pretty"}, want: pretty},
		{name: "--pretty leaves non-JSON alone", srv: "text", path: "/x", args: []string{"--pretty"}, want: `{"a":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := jsonSrv
			if tt.srv == "text" {
				srv = textSrv
			}
			r := kcurl(t, invocation{args: append([]string{"-sS", tt.path}, tt.args...), terminal: tt.terminal, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 0)
			is.Equal(r.stdout, tt.want)
		})
	}
}

func FuzzPrettyJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{}],"b":"x\"y"}`, `[]`, `"s"`, `{"k":{"n":[[],[{}]]}}` + "\n", `{"a":"\\"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got bytes.Buffer
		p := newPrettyJSON(&got)
		half := len(in) / 2
		p.Write([]byte(in[:half]))
		p.Write([]byte(in[half:]))
		if !json.Valid([]byte(in)) {
			return // anything goes for non-JSON, as long as it does not panic
		}
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(in), "", "  "); err != nil {
			t.Skip()
		}
		if got.String() != want.String() {
			t.Fatalf("pretty %q\n got %q\nwant %q", in, got.String(), want.String())
		}
	})
}

func BenchmarkPrettyJSON(b *testing.B) {
	var list bytes.Buffer
	list.WriteString(`{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[`)
	for i := 0; list.Len() < 10<<20; i++ {
		if i > 0 {
			list.WriteByte(',')
		}
		list.WriteString(`{"metadata":{"name":"cm-` + strconv.Itoa(i) + `","namespace":"default","labels":{"app":"web","tier":"front"}},"data":{"key":"value with \"quotes\" and \\ slashes","n":"12345"}}`)
	}
	list.WriteString("]}\n")
	in := list.Bytes()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	p := newPrettyJSON(io.Discard)
	for b.Loop() {
		for i := 0; i < len(in); i += copyBufferSize {
			p.Write(in[i:min(i+copyBufferSize, len(in))])
		}
	}
}

func TestProgressBar(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "0123456789"), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-#", "/x"}, terminal: true, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, "0123456789")
	is.True(strings.HasSuffix(r.stderr, "\r"+strings.Repeat("#", 72)+" 100.0%\n")) // a full bar, even to a terminal, as curl's -#
}
