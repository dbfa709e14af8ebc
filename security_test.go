package main

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestTokenGoesOnlyToTheAPIServer sends requests every way that could carry the
// service-account token somewhere else, and checks every byte the other servers got.
// The other servers hold certificates from the cluster CA itself: a valid certificate
// does not make a host the API server.
func TestTokenGoesOnlyToTheAPIServer(t *testing.T) {
	pki := newPKI(t)
	apiCert, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}})
	otherCert, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.2"}})
	apiRec, otherRec := &recorder{}, &recorder{}
	var other, otherPort, plain *httptest.Server
	var api *httptest.Server
	apiMux := http.NewServeMux()
	apiMux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		apiRec.add(r)
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusTemporaryRedirect)
	})
	apiMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { apiRec.add(r); io.WriteString(w, "api") })
	otherMux := http.NewServeMux()
	otherMux.HandleFunc("/to-api", func(w http.ResponseWriter, r *http.Request) {
		otherRec.add(r)
		http.Redirect(w, r, api.URL+"/api/v1/namespaces/default/secrets", http.StatusTemporaryRedirect)
	})
	otherMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { otherRec.add(r); io.WriteString(w, "other") })
	api, apiTap := tappedServer(t, "127.0.0.1:0", &apiCert, apiMux)
	other, otherTap := tappedServer(t, "127.0.0.2:0", &otherCert, otherMux)
	otherPort, otherPortTap := tappedServer(t, "127.0.0.1:0", &apiCert, otherMux)
	plain, plainTap := tappedServer(t, "127.0.0.2:0", nil, otherMux)
	apiHostPort := strings.TrimPrefix(api.URL, "https://")
	proxy := newConnectProxy(t)
	httpProxy, httpProxySeen := recordingHTTPProxy(t)
	sa := newSADir(t, pki.caPEM, secretPrefix+"sa")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		// apiToken is whether the API server's last request carried the token.
		apiToken bool
		// otherGot is whether a request reached one of the other servers.
		otherGot bool
		// wire is what the API server's raw bytes or a proxy must show, so the row is
		// known to have gone where it says.
		wire, proxyWire, httpProxyWire string
	}{
		{name: "a path on the API server carries it", args: []string{"/x"}, apiToken: true},
		{name: "a full URL to another host", args: []string{other.URL + "/x"}, otherGot: true},
		{name: "a full URL to another port of the API server's address", args: []string{otherPort.URL + "/x"}, otherGot: true},
		{name: "http:// to another host", args: []string{plain.URL + "/x"}, otherGot: true},
		{name: "http:// to the API server's own host and port", args: []string{"http://" + apiHostPort + "/x"}, wire: "GET /x HTTP/1.1\r\n"},
		{name: "-k without --token", args: []string{"-k", "/x"}},
		{name: "-k with --token-file", args: []string{"-k", "--token-file", filepath.Join(sa, "token"), "/x"}},
		{name: "-L from the API server to another host", args: []string{"-L", "/to?url=" + other.URL + "/landed"}, apiToken: true, otherGot: true},
		{name: "-L from the API server to another port", args: []string{"-L", "/to?url=" + otherPort.URL + "/landed"}, apiToken: true, otherGot: true},
		{name: "-L from the API server to http:// on another host", args: []string{"-L", "/to?url=" + plain.URL + "/landed"}, apiToken: true, otherGot: true},
		{name: "-L from the API server to http:// on its own host and port", args: []string{"-L", "/to?url=http://" + apiHostPort + "/landed"}, apiToken: true, wire: "GET /landed HTTP/1.1\r\n"},
		{name: "-L from another host into the API server", args: []string{"-L", "-X", "DELETE", other.URL + "/to-api"}, otherGot: true},
		{name: "HTTPS_PROXY: the proxy sees only CONNECT", env: map[string]string{"HTTPS_PROXY": proxy.url}, args: []string{"/x"}, apiToken: true, proxyWire: "CONNECT " + apiHostPort + " HTTP/1.1\r\n"},
		{name: "http_proxy and http:// to the API server's address", env: map[string]string{"http_proxy": httpProxy}, args: []string{"http://" + apiHostPort + "/x"}, httpProxyWire: "Host: " + apiHostPort + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			apiRec.reqs, otherRec.reqs = nil, nil
			for _, tap := range []*tapListener{apiTap, otherTap, otherPortTap, plainTap} {
				tap.reset()
			}
			proxy.reset()
			env := apiEnv(api, sa)
			env["CURL_CA_BUNDLE"] = pki.caFile // other hosts verify too: only the host decides
			for k, v := range tt.env {
				env[k] = v
			}
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: env})
			t.Logf("exit %d: %s", r.code, r.stderr)
			// Every byte any server or proxy read, TLS or not.
			for name, seen := range map[string]string{
				"the API server (raw)": apiTap.bytes(), "the other host": otherTap.bytes(), "the other port": otherPortTap.bytes(),
				"the plain server": plainTap.bytes(), "the CONNECT proxy": proxy.seen(), "the HTTP proxy": httpProxySeen(),
			} {
				if strings.Contains(seen, secretPrefix) {
					t.Fatalf("%s saw the token in clear:\n%q", name, seen)
				}
			}
			is.True(strings.Contains(apiTap.bytes(), tt.wire))    // the request went where the row says
			is.True(strings.Contains(proxy.seen(), tt.proxyWire)) // through the proxy, if any
			is.True(strings.Contains(httpProxySeen(), tt.httpProxyWire))
			for _, req := range otherRec.all() {
				is.Equal(req.header.Get("Authorization"), "") // no other host gets a credential
			}
			is.Equal(len(otherRec.all()) > 0, tt.otherGot)
			gotToken := false
			for _, req := range apiRec.all() {
				if strings.HasSuffix(req.uri, "/secrets") {
					is.Equal(req.header.Get("Authorization"), "") // a redirect from elsewhere does not borrow the token
				}
				gotToken = gotToken || req.header.Get("Authorization") == "Bearer "+secretPrefix+"sa"
			}
			is.Equal(gotToken, tt.apiToken) // the API server got the token exactly when it should
		})
	}
}

// TestRogueServerGetsNothing points the API server's name at another server with
// --resolve: a certificate the cluster CA did not sign, or one it signed for another
// name, fails the handshake (60) before any byte of the request leaves.
func TestRogueServerGetsNothing(t *testing.T) {
	pki, rogueCA := newPKI(t), newPKI(t)
	selfSigned, _, _ := rogueCA.issue(t, certOptions{names: []string{"apiserver.test"}})
	wrongName, _, _ := pki.issue(t, certOptions{names: []string{"rogue.test", "127.0.0.2"}})
	expired, _, _ := pki.issue(t, certOptions{names: []string{"apiserver.test"}, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-time.Hour)})
	for _, tt := range []struct {
		name   string
		cert   tls.Certificate
		stderr string
	}{
		{"a certificate from another CA", selfSigned, "kcurl: (60) SSL certificate problem: unable to get local issuer certificate\n"},
		{"the cluster CA's certificate for another name", wrongName, "kcurl: (60) SSL: no alternative certificate subject name matches target host name 'apiserver.test'\n"},
		{"the cluster CA's certificate, expired", expired, "kcurl: (60) SSL certificate problem: certificate has expired\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec := &recorder{}
			rogue, tap := tappedServer(t, "127.0.0.2:0", &tt.cert, replying(rec, 200, "text/plain", "rogue"))
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(rogue.URL, "https://"))
			sa := newSADir(t, pki.caPEM, secretPrefix+"sa")
			r := kcurl(t, invocation{
				args: []string{"-sS", "--server", "https://apiserver.test:" + port, "--resolve", "apiserver.test:" + port + ":127.0.0.2", "/api/v1/secrets"},
				env:  map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa},
			})
			is.Equal(r.code, 60)          // the handshake fails
			is.Equal(r.stderr, tt.stderr) // and says why
			is.Equal(r.stdout, "")
			is.Equal(len(rec.all()), 0) // the rogue never got a request
			raw := tap.bytes()
			is.True(len(raw) > 0)                              // it did get a ClientHello
			is.True(!strings.Contains(raw, secretPrefix))      // but no token
			is.True(!strings.Contains(raw, "/api/v1/secrets")) // nor any byte of the request
			is.True(!strings.Contains(raw, "Authorization"))
		})
	}
}

// leakyJWT is a token shaped like a projected service-account token, with the secret
// prefix in its signature so the suite-wide check sees it.
func leakyJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(claims)) + "." + secretPrefix + "signature"
}

// TestNoTokenInOutput runs kcurl in every talkative mode with a token: the kcurl
// helper fails the test if any byte of stdout or stderr holds it; each row also checks
// that the mode really said something.
func TestNoTokenInOutput(t *testing.T) {
	pki := newPKI(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden: User \"system:serviceaccount:default:x\" cannot list resource \"pods\"","reason":"Forbidden","code":403}`)
	})
	mux.HandleFunc("/unauthorized", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
	})
	srv := newTLSServer(t, pki, mux, serverOptions{})
	jwt := leakyJWT(`{"iss":"https://kubernetes.default.svc","aud":["https://kubernetes.default.svc"],"exp":1000000000,"sub":"system:serviceaccount:default:x"}`)
	tests := []struct {
		name string
		args []string
		// says is text the run must show, so the row is not silent by accident.
		says string
	}{
		{name: "-v", args: []string{"-v", "/ok"}, says: "Bearer <redacted>"},
		{name: "-v over HTTP/1.1", args: []string{"-v", "--http1.1", "/ok"}, says: "> Authorization: Bearer <redacted>\r\n"},
		{name: "-i", args: []string{"-i", "/ok"}, says: "HTTP/2 200"},
		{name: "-v -i -L", args: []string{"-v", "-i", "-L", "/redirect"}, says: "Issue another request"},
		{name: "-w %{json}", args: []string{"-w", "%{json}", "/ok"}, says: `"http_code":200`},
		{name: "-w every variable", args: []string{"-w", "%{url_effective} %{errormsg} %{method}", "/ok"}, says: "GET"},
		{name: "-f on a Status", args: []string{"-f", "/forbidden"}, says: "(22)"},
		{name: "-f on a 401 with the token's claims", args: []string{"-fv", "/unauthorized"}, says: "(22)"},
		{name: "a 401 without -f", args: []string{"/unauthorized"}, says: "Unauthorized"},
		{name: "connection refused", args: []string{"--server", "https://" + closedPort(t), "/ok"}, says: "(7)"},
		{name: "a bad option", args: []string{"--nope"}, says: "is unknown"},
		{name: "--help", args: []string{"--help"}, says: "--token"},
		{name: "--version", args: []string{"--version"}, says: "kcurl "},
		{name: "--token typed, -v", args: []string{"-v", "--token", secretPrefix + "typed", "/ok"}, says: "from --token"},
		{name: "--token typed, -k -v", args: []string{"-kv", "--token", secretPrefix + "typed", "/ok"}, says: "Bearer <redacted>"},
		{name: "--token that is not a token", args: []string{"--token", secretPrefix + "a b", "/ok"}, says: "does not hold a bearer token"},
		{name: "whoami", args: []string{"whoami", "-sS"}, says: "issuer     https://kubernetes.default.svc"},
		{name: "whoami --format json -v", args: []string{"whoami", "-sSv", "--format", "json"}, says: `"issuer":"https://kubernetes.default.svc"`},
		{name: "can-i -v", args: []string{"can-i", "-sSv", "--namespace", "default", "get", "pods"}, says: "Bearer <redacted>"},
		{name: "can-i --all -v", args: []string{"can-i", "-sSv", "--namespace", "default", "--all"}, says: "Bearer <redacted>"},
		{name: "completion bash", args: []string{"completion", "bash"}, says: "--token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			args := append([]string{"-s", "-S"}, tt.args...)
			if !strings.HasPrefix(tt.args[0], "-") && !strings.HasPrefix(tt.args[0], "/") {
				args = tt.args // a subcommand comes first
			}
			r := kcurl(t, invocation{args: args, env: apiEnv(srv, newSADir(t, pki.caPEM, jwt))})
			out := r.stdout + r.stderr
			is.True(strings.Contains(out, tt.says))                              // the mode said something
			is.True(!strings.Contains(out, jwt))                                 // not the token
			is.True(!strings.Contains(out, strings.SplitN(jwt, ".", 2)[1][:20])) // not even its claims, encoded
		})
	}
}

// TestErrorsNeverEchoCredentials gives credentials in malformed arguments: the error
// line names the argument, never the value.
func TestErrorsNeverEchoCredentials(t *testing.T) {
	secret := secretPrefix + "typo"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "an Authorization header without its colon", args: []string{"-H", "Authorization Bearer " + secret, "/x"}, code: 2, stderr: "kcurl: (2) header \"Authorization\" has no colon\n"},
		{name: "a header with CR LF after a credential", args: []string{"-H", "Authorization: Bearer " + secret + "\r\nX-Injected: 1", "/x"}, code: 2, stderr: "kcurl: (2) header \"Authorization\" holds a CR, LF or NUL: refused\n"},
		{name: "a header name with a space", args: []string{"-H", "X Token: " + secret, "/x"}, code: 2},
		{name: "--token with a space", args: []string{"--token", secret + " x", "/x"}, code: 2, stderr: "kcurl: (2) token --token does not hold a bearer token (byte 22 of 23 is not visible ASCII)\n"},
		{name: "--oauth2-bearer with a control character", args: []string{"--oauth2-bearer", secret + "\x01", "/x"}, code: 2},
		{name: "a URL with a credential and a space", args: []string{"/api?token=" + secret + " x"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"}})
			is.Equal(r.code, tt.code)
			if tt.stderr != "" {
				is.Equal(r.stderr, tt.stderr)
			}
		})
	}
}

// TestLeakCheckCanFail proves the suite-wide check works: a child test process prints a
// token on purpose, once through assertNoToken and once through a whole kcurl run, and
// must fail saying so.
func TestLeakCheckCanFail(t *testing.T) {
	if os.Getenv("KCURL_LEAK_PROBE") != "" {
		t.Skip("inside the probe")
	}
	for _, probe := range []string{"TestLeakProbeHelper", "TestLeakProbeRun"} {
		t.Run(probe, func(t *testing.T) {
			is := is.New(t)
			cmd := exec.Command(os.Args[0], "-test.run=^"+probe+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "KCURL_LEAK_PROBE=1")
			out, err := cmd.CombinedOutput()
			is.True(err != nil)                                                      // the probe failed
			is.True(strings.Contains(string(out), "a token leaked into the output")) // because of the leak
			is.True(strings.Contains(string(out), "--- FAIL: "+probe))
		})
	}
}

func TestLeakProbeHelper(t *testing.T) {
	if os.Getenv("KCURL_LEAK_PROBE") == "" {
		t.Skip("run by TestLeakCheckCanFail")
	}
	assertNoToken(t, "Authorization: Bearer "+secretPrefix+"probe")
}

func TestLeakProbeRun(t *testing.T) {
	if os.Getenv("KCURL_LEAK_PROBE") == "" {
		t.Skip("run by TestLeakCheckCanFail")
	}
	srv := httptest.NewServer(replying(nil, 200, "text/plain", "ok"))
	t.Cleanup(srv.Close)
	// -v shows a user's own header as given: here, one holding the test prefix.
	kcurl(t, invocation{args: []string{"-sv", "-H", "X-Probe: " + secretPrefix + "probe", srv.URL}})
}

// TestTokenNeverWrittenToDisk runs the binary in a fresh working directory, HOME and
// TMPDIR through every mode that writes, then reads every file there.
func TestTokenNeverWrittenToDisk(t *testing.T) {
	bin := buildKcurl(t)
	pki := newPKI(t)
	var n int
	var mu sync.Mutex
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n%2 == 1
		mu.Unlock()
		switch {
		case r.URL.Path == "/retry" && first:
			w.WriteHeader(503)
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case r.URL.Path == "/missing":
			w.WriteHeader(404)
			io.WriteString(w, `{"kind":"Status","code":404,"reason":"NotFound","message":"not found"}`)
		default:
			io.WriteString(w, `{"kind":"PodList"}`)
		}
	}), serverOptions{})
	token := secretPrefix + "disk"
	sa := newSADir(t, pki.caPEM, token)
	cwd, home, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	env := []string{"HOME=" + home, "TMPDIR=" + tmp, "PATH=/usr/bin:/bin"}
	for k, v := range apiEnv(srv, sa) {
		env = append(env, k+"="+v)
	}
	for _, args := range [][]string{
		{"-v", "-o", "out.json", "/ok"},
		{"-i", "-o", "head.txt", "/ok"},
		{"-w", "%{json}", "-o", "w.txt", "/ok"},
		{"-v", "--retry", "1", "-o", "retry.txt", "/retry"},
		{"-vL", "-o", "redirect.txt", "/redirect"},
		{"-fv", "-o", "missing.txt", "/missing"},
		{"-v", "--token-file", filepath.Join(sa, "token"), "/ok"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = cwd, env
		out, _ := cmd.CombinedOutput()
		assertNoToken(t, string(out))
	}
	is := is.New(t)
	var files []string
	for _, dir := range []string{cwd, home, tmp} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			files = append(files, strings.TrimPrefix(path, dir+"/"))
			b, err := os.ReadFile(path)
			is.NoErr(err)
			is.True(!bytes.Contains(b, []byte(token))) // no file holds the token
			return nil
		})
	}
	is.Equal(strings.Join(files, " "), "head.txt out.json redirect.txt retry.txt w.txt") // nothing but the -o files, nothing in HOME or TMPDIR
}

// sparseFile is a file of size bytes that takes no room on disk.
func sparseFile(t *testing.T, name string, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBoundedReads gives kcurl a 100 MB token file, CA file, service-account token and
// ca.crt, and /dev/zero: each fails fast, and what kcurl allocates does not grow with
// the file.
func TestBoundedReads(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	huge := sparseFile(t, "huge", 100<<20)
	saHugeToken := t.TempDir()
	os.WriteFile(filepath.Join(saHugeToken, "ca.crt"), pki.caPEM, 0o600)
	os.Link(huge, filepath.Join(saHugeToken, "token"))
	saHugeCA := t.TempDir()
	os.WriteFile(filepath.Join(saHugeCA, "token"), []byte(secretPrefix+"x"), 0o600)
	os.Link(huge, filepath.Join(saHugeCA, "ca.crt"))
	tests := []struct {
		name   string
		args   []string
		sa     string
		code   int
		stderr string
	}{
		{name: "--token-file of 100 MB", args: []string{"--token-file", huge}, code: 26, stderr: "kcurl: (26) cannot read token file " + huge + ": larger than the limit\n"},
		// A device is not a regular file: refused before a byte is read.
		{name: "--token-file /dev/zero", args: []string{"--token-file", "/dev/zero"}, code: 26, stderr: "kcurl: (26) cannot read token file /dev/zero: not a regular file\n"},
		{name: "a service-account token of 100 MB", sa: saHugeToken, code: 26, stderr: "kcurl: (26) cannot read token file " + filepath.Join(saHugeToken, "token") + ": larger than the limit\n"},
		{name: "--cacert of 100 MB", args: []string{"--cacert", huge}, code: 77, stderr: "kcurl: (77) error setting certificate file: " + huge + ": larger than the limit\n"},
		{name: "--cacert /dev/zero", args: []string{"--cacert", "/dev/zero"}, code: 77, stderr: "kcurl: (77) error setting certificate file: /dev/zero: not a regular file\n"},
		{name: "a ca.crt of 100 MB", sa: saHugeCA, code: 77, stderr: "kcurl: (77) error setting certificate file: " + filepath.Join(saHugeCA, "ca.crt") + ": larger than the limit\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			sa := tt.sa
			if sa == "" {
				sa = newSADir(t, pki.caPEM, "")
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			r := kcurl(t, invocation{args: append([]string{"-sS", "/x"}, tt.args...), env: apiEnv(srv, sa)})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%v, %.1f MiB allocated", took.Round(time.Millisecond), float64(allocated)/(1<<20))
			is.Equal(r.code, tt.code)
			is.Equal(r.stderr, tt.stderr)
			is.Equal(len(rec.all()), 0)   // nothing was sent
			is.True(took < 2*time.Second) // fails fast
			is.True(allocated < 24<<20)   // a bounded read, not the 100 MB file
		})
	}
}
