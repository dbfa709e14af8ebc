package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestTokenSources(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "application/json", `{}`), serverOptions{})
	fileToken := writeFile(t, "token", "  "+secretPrefix+"file\n\n")
	tests := []struct {
		name string
		args []string
		sa   string
		want string
	}{
		{name: "service-account directory", sa: secretPrefix + "sa", want: "Bearer " + secretPrefix + "sa"},
		{name: "--token wins over everything", args: []string{"--token", secretPrefix + "flag", "--token-file", fileToken, "--oauth2-bearer", secretPrefix + "oauth"}, sa: secretPrefix + "sa", want: "Bearer " + secretPrefix + "flag"},
		{name: "--token-file next, trimmed", args: []string{"--token-file", fileToken, "--oauth2-bearer", secretPrefix + "oauth"}, sa: secretPrefix + "sa", want: "Bearer " + secretPrefix + "file"},
		{name: "--oauth2-bearer before the directory", args: []string{"--oauth2-bearer", secretPrefix + "oauth"}, sa: secretPrefix + "sa", want: "Bearer " + secretPrefix + "oauth"},
		{name: "no token anywhere sends none", want: ""},
		{name: "the user's Authorization header wins", args: []string{"-H", "Authorization: Basic dXNlcg=="}, sa: secretPrefix + "sa", want: "Basic dXNlcg=="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			sa := newSADir(t, pki.caPEM, tt.sa)
			r := kcurl(t, invocation{args: append([]string{"-sS", "/api"}, tt.args...), env: apiEnv(srv, sa)})
			is.Equal(r.code, 0)
			is.Equal(r.stderr, "")
			is.Equal(rec.last(t).header.Get("Authorization"), tt.want) // the credential the server got
		})
	}
}

func TestTokenOnlyToTheAPIServer(t *testing.T) {
	pki := newPKI(t)
	apiRec, otherRec := &recorder{}, &recorder{}
	api := newTLSServer(t, pki, replying(apiRec, 200, "text/plain", "api"), serverOptions{})
	// The other host is a second loopback address that records every header it gets.
	other := newTLSServer(t, pki, replying(otherRec, 200, "text/plain", "other"), serverOptions{listen: "127.0.0.2:0", names: []string{"127.0.0.2"}})
	plain := httptest.NewServer(replying(otherRec, 200, "text/plain", "plain"))
	t.Cleanup(plain.Close)
	redirectToOther := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiRec.add(r)
		http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
	}), serverOptions{})
	sa := newSADir(t, pki.caPEM, secretPrefix+"sa")
	tests := []struct {
		name string
		srv  string
		args []string
		// wantOther is whether the request reached the recording other host.
		wantOther bool
		wantToken bool
	}{
		{name: "path on the API server gets it", srv: api.URL, args: []string{"/x"}, wantToken: true},
		{name: "full URL of the API server gets it", srv: api.URL, args: []string{api.URL + "/x"}, wantToken: true},
		{name: "another host does not", srv: api.URL, args: []string{"--cacert", pki.caFile, other.URL + "/x"}, wantOther: true},
		{name: "plain http does not", srv: api.URL, args: []string{plain.URL + "/x"}, wantOther: true},
		{name: "-k without --token does not", srv: api.URL, args: []string{"-k", "/x"}},
		{name: "redirect to another host drops it", srv: redirectToOther.URL, args: []string{"-L", "--cacert", pki.caFile, "/x"}, wantOther: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			apiRec.reqs, otherRec.reqs = nil, nil
			srv := api
			if tt.srv == redirectToOther.URL {
				srv = redirectToOther
			}
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: apiEnv(srv, sa)})
			is.Equal(r.code, 0)
			for _, req := range otherRec.all() {
				is.Equal(req.header.Get("Authorization"), "") // the other host never sees a credential
			}
			is.Equal(len(otherRec.all()) > 0, tt.wantOther)
			if !tt.wantOther {
				is.Equal(apiRec.last(t).header.Get("Authorization") != "", tt.wantToken)
			}
		})
	}
}

func TestInsecureWithExplicitToken(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	r := kcurl(t, invocation{args: []string{"-skv", "--token", secretPrefix + "typed", "/x"}, env: apiEnv(srv, t.TempDir())})
	is.Equal(r.code, 0)
	is.Equal(rec.last(t).header.Get("Authorization"), "Bearer "+secretPrefix+"typed") // an explicit --token travels over -k
	is.True(strings.Contains(r.stderr, "* skipping certificate verification (-k)\n")) // -v says verification is off
}

func TestVerboseRedactsAndExplains(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	for _, tt := range []struct{ name, flag, line string }{
		{"HTTP/2", "--http2", "> authorization: Bearer <redacted>\r\n"},
		{"HTTP/1.1", "--http1.1", "> Authorization: Bearer <redacted>\r\n"},
	} {
		t.Run("token redacted over "+tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{"-sv", tt.flag, "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"sa"))})
			is.Equal(r.code, 0)
			is.True(strings.Contains(r.stderr, tt.line)) // the header is shown, redacted
		})
	}
	t.Run("no token says why", func(t *testing.T) {
		is := is.New(t)
		sa := newSADir(t, pki.caPEM, "")
		r := kcurl(t, invocation{args: []string{"-sv", "/x"}, env: apiEnv(srv, sa)})
		is.Equal(r.code, 0)
		is.True(strings.Contains(r.stderr, "* no token sent: "+filepath.Join(sa, "token")+" does not exist\n"))
	})
}

func TestTokenFileProblems(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	dir := t.TempDir()
	empty := writeFile(t, "empty", "\n")
	garbage := writeFile(t, "garbage", strings.Repeat("\x00\xff", 5<<20))
	spaced := writeFile(t, "spaced", "abc def")
	unreadable := writeFile(t, "unreadable", secretPrefix+"x")
	os.Chmod(unreadable, 0)
	tests := []struct {
		name   string
		file   string
		stderr string
	}{
		{"missing", filepath.Join(dir, "nope"), "kcurl: (26) cannot read token file " + filepath.Join(dir, "nope") + ": no such file\n"},
		{"empty", empty, "kcurl: (26) token " + empty + " is empty\n"},
		{"a directory", dir, "kcurl: (26) cannot read token file " + dir + ": is a directory\n"},
		{"10 MB of garbage", garbage, "kcurl: (26) cannot read token file " + garbage + ": larger than the limit\n"},
		{"not a bearer token", spaced, "kcurl: (26) token " + spaced + " does not hold a bearer token (byte 4 of 7 is not visible ASCII)\n"},
	}
	if os.Geteuid() != 0 {
		tests = append(tests, struct{ name, file, stderr string }{"unreadable", unreadable, "kcurl: (26) cannot read token file " + unreadable + ": permission denied\n"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			r := kcurl(t, invocation{args: []string{"-sS", "--token-file", tt.file, "/x"}, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, 26) // curl's read error
			is.Equal(r.stderr, tt.stderr)
			is.Equal(len(rec.all()), 0) // no request was sent
		})
	}
}

// kubeletDir writes the kubelet's layout: token -> ..data/token, ..data -> a
// timestamped directory, and returns a function that rotates the token atomically.
func kubeletDir(t *testing.T, caPEM []byte, token string) (string, func(string)) {
	t.Helper()
	dir := t.TempDir()
	n := 0
	write := func(tok string) {
		n++
		ts := filepath.Join(dir, "..2026_12_01_00_00_0"+string(rune('0'+n)))
		os.Mkdir(ts, 0o755)
		os.WriteFile(filepath.Join(ts, "token"), []byte(tok), 0o600)
		os.WriteFile(filepath.Join(ts, "ca.crt"), caPEM, 0o600)
		tmp := filepath.Join(dir, "..data_tmp")
		os.Remove(tmp)
		if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	write(token)
	for _, f := range []string{"token", "ca.crt"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, write
}

func TestTokenReadFreshForEachAttempt(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	rec := &recorder{}
	attempts := 0
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		attempts++
		if attempts == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}), serverOptions{})
	dir, rotate := kubeletDir(t, pki.caPEM, secretPrefix+"old")
	var waited []time.Duration
	r := kcurl(t, invocation{
		args:  []string{"-sS", "--retry", "2", "/x"},
		env:   apiEnv(srv, dir),
		sleep: func(d time.Duration) { waited = append(waited, d); rotate(secretPrefix + "new") },
	})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, "ok")
	reqs := rec.all()
	is.Equal(len(reqs), 2)
	is.Equal(reqs[0].header.Get("Authorization"), "Bearer "+secretPrefix+"old")
	is.Equal(reqs[1].header.Get("Authorization"), "Bearer "+secretPrefix+"new") // the rotated token, not a cached one
	is.Equal(waited, []time.Duration{time.Second})                              // curl's first backoff
}

// fakeJWT is a token shaped like a service-account JWT; its signature part carries the
// secret prefix, so the leak check covers it.
func fakeJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + "." + secretPrefix + "sig"
}

func TestUnauthorizedHints(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 401, "application/json", `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`), serverOptions{})
	expired := time.Now().Add(-time.Hour).Unix()
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{name: "no token", want: "kcurl: (22) 401 Unauthorized (no token sent: %DIR%/token does not exist)\n"},
		{name: "expired", token: fakeJWT(`{"aud":["https://kubernetes.default.svc"],"exp":` + strconv.FormatInt(expired, 10) + `}`), want: "kcurl: (22) 401 Unauthorized (the token from %DIR%/token expired at " + time.Unix(expired, 0).UTC().Format(time.RFC3339) + ", 1h0m0s ago)\n"},
		{name: "valid but refused", token: fakeJWT(`{"aud":"api","exp":4102444800}`), want: "kcurl: (22) 401 Unauthorized (the token from %DIR%/token was refused: is its audience (api) one the API server accepts, and do its service account and pod still exist?)\n"},
		{name: "not a JWT", token: secretPrefix + "opaque", want: "kcurl: (22) 401 Unauthorized (the token from %DIR%/token is not a JWT; is it a service-account token?)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			sa := newSADir(t, pki.caPEM, tt.token)
			r := kcurl(t, invocation{args: []string{"-sSf", "/api"}, env: apiEnv(srv, sa)})
			is.Equal(r.code, 22)
			want := strings.ReplaceAll(tt.want, "%DIR%", sa)
			if tt.name == "expired" {
				// the age is rounded to the second; allow the run to straddle one
				is.True(r.stderr == want || r.stderr == strings.Replace(want, "1h0m0s ago", "1h0m1s ago", 1))
				return
			}
			is.Equal(r.stderr, want)
		})
	}
}

func TestDecodeClaims(t *testing.T) {
	is := is.New(t)
	c := decodeClaims(fakeJWT(`{"iss":"https://kubernetes.default.svc.cluster.local","aud":"one","exp":1,"kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"sa","uid":"u1"},"pod":{"name":"p","uid":"u2"},"warnafter":5}}`))
	is.True(c != nil)
	is.Equal(c.Issuer, "https://kubernetes.default.svc.cluster.local")
	is.Equal([]string(c.Audience), []string{"one"}) // a single aud string
	is.Equal(c.Kubernetes.ServiceAccount.Name, "sa")
	is.Equal(c.Kubernetes.Pod.Name, "p")
	is.Equal(c.Kubernetes.WarnAfter, int64(5))
	is.True(decodeClaims("a.b") == nil)            // not three parts
	is.True(decodeClaims("a.!!!.c") == nil)        // not base64url
	is.True(decodeClaims(fakeJWT("[1,2]")) == nil) // not an object
}

// The 401 hint reads the claims from the sent token's middle part, which is all an authState keeps of it.
func TestJWTPayload(t *testing.T) {
	for _, tc := range []struct{ name, token, want string }{
		{name: "three parts", token: "h.p.s", want: "p"},
		{name: "two parts", token: "h.p", want: ""},
		{name: "four parts", token: "h.p.s.x", want: ""},
		{name: "empty middle", token: "h..s", want: ""},
		{name: "not a JWT", token: "kcurl-bench-token", want: ""},
		{name: "middle at the bound", token: "h." + strings.Repeat("e", maxJWTPayload) + ".s", want: strings.Repeat("e", maxJWTPayload)},
		{name: "middle over the bound", token: "h." + strings.Repeat("e", maxJWTPayload+1) + ".s", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(jwtPayload(tc.token), tc.want)
		})
	}
}

// fakeProc makes a /proc with process 7 whose root holds a token behind an absolute
// /var/run -> /run symlink, as container images have it; process 3 has none.
func fakeProc(t *testing.T, caPEM []byte, token string) (string, string) {
	t.Helper()
	proc := t.TempDir()
	root := filepath.Join(proc, "7", "root")
	sa := filepath.Join(root, "run", "secrets", "kubernetes.io", "serviceaccount")
	for _, d := range []string{sa, filepath.Join(root, "var"), filepath.Join(proc, "3", "root", "var", "run"), filepath.Join(proc, "self", "ns"), filepath.Join(proc, "7", "ns")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fakeProcess(t, proc, "7", "self")
	if err := os.Symlink("/run", filepath.Join(root, "var", "run")); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"token": token, "ca.crt": string(caPEM), "namespace": "debugged"} {
		if err := os.WriteFile(filepath.Join(sa, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return proc, sa
}

func TestTokenFromAnotherProcess(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	proc, sa := fakeProc(t, pki.caPEM, secretPrefix+"pid7")
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		token  string
		stderr string
	}{
		{name: "found by scanning, with its ca.crt", args: []string{"-v"}, token: "Bearer " + secretPrefix + "pid7", stderr: "* no token in " + empty + "; using the service account of PID 7: " + sa + "\n"},
		{name: "--from-pid picks it", args: []string{"-v", "--from-pid", "7"}, token: "Bearer " + secretPrefix + "pid7", stderr: "* using the service account of PID 7: " + sa + "\n"},
		{name: "--from-pid of a process without one", args: []string{"-sS", "--from-pid", "3"}, code: 26, stderr: "kcurl: (26) no service account for PID 3: " + filepath.Join(proc, "3", "root") + serviceAccountDir + ": no such file\n"},
		{name: "the namespace comes along", args: []string{"-v", "/api/v1/namespaces/{namespace}/pods"}, token: "Bearer " + secretPrefix + "pid7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			r := kcurl(t, invocation{args: append([]string{"/x"}, tt.args...), env: apiEnv(srv, empty), procDir: proc})
			is.Equal(r.code, tt.code)
			if tt.code == 0 {
				is.Equal(rec.last(t).header.Get("Authorization"), tt.token) // the other process's token
			}
			if tt.stderr != "" {
				is.True(strings.Contains(r.stderr, tt.stderr)) // says where it came from
			}
			if strings.Contains(tt.name, "namespace") {
				is.Equal(rec.all()[len(rec.all())-1].uri, "/api/v1/namespaces/debugged/pods")
			}
		})
	}
}

// TestTokenFromAnotherMountNamespace holds a token only in the root of a process in a
// mount namespace of its own, as the debugged container of kubectl debug --target does.
func TestTokenFromAnotherMountNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare -m")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare from util-linux")
	}
	is := is.New(t)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	// The token is written to a tmpfs on /run inside the new namespace: this machine's
	// own /run and /var/run are never touched.
	script := `mount -t tmpfs tmpfs /run && d=/run/secrets/kubernetes.io/serviceaccount && mkdir -p $d && printf %s "$TOKEN" > $d/token && printf %s "$CA" > $d/ca.crt && touch /run/ready && exec sleep 60`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "TOKEN=" + secretPrefix + "unshared", "CA=" + string(pki.caPEM)}
	is.NoErr(cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := cmd.Process.Pid
	// ready is written after the token and ca.crt: waiting for the token alone let kcurl read it empty
	ready := filepath.Join("/proc", strconv.Itoa(pid), "root", "run", "ready")
	deadline := time.Now().Add(10 * time.Second)
	for !fileExists(ready) {
		if time.Now().After(deadline) {
			t.Fatalf("the unshared process never wrote %s", ready)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err := os.Stat(filepath.Join(serviceAccountDir, "token"))
	is.True(os.IsNotExist(err)) // this machine has no token of its own, so the one found is the other process's
	r := kcurl(t, invocation{args: []string{"-sS", "--from-pid", strconv.Itoa(pid), "/x"}, env: apiEnv(srv, t.TempDir()), procDir: "/proc"})
	is.Equal(r.stderr, "")
	is.Equal(r.code, 0)
	is.Equal(rec.last(t).header.Get("Authorization"), "Bearer "+secretPrefix+"unshared") // read through /proc/PID/root, /var/run -> /run resolved inside that root
}

func TestIsAPIServer(t *testing.T) {
	api, _ := discoverAPIServer("", func(k string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}[k]
	})
	api.clusterDomain = func() string { return "cluster.local" }
	tests := []struct {
		url  string
		want bool
	}{
		{"https://10.96.0.1/api", true},
		{"https://10.96.0.1:443/api", true},
		{"https://10.96.0.1:6443/api", false},
		{"https://kubernetes/api", true},
		{"https://kubernetes.default/api", true},
		{"https://kubernetes.default.svc/api", true},
		{"https://kubernetes.default.svc.cluster.local/api", true},
		{"https://KUBERNETES.default.svc.cluster.local./api", true},
		{"https://kubernetes.default.svc:8443/api", false},
		// Only the cluster's own domain: any other is a name anyone can buy (issue 11).
		{"https://kubernetes.default.svc.example.org/api", false},
		{"https://kubernetes.default.svc.cluster.local.example.org/api", false},
		{"https://kubernetes.evil/api", false},
		{"https://evil-kubernetes.default.svc/api", false},
		{"https://10.96.0.2/api", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			is := is.New(t)
			u, _ := url.Parse(tt.url)
			is.Equal(isAPIServer(u, api), tt.want)
		})
	}
}

func TestCredentialsForHop(t *testing.T) {
	api, err := discoverAPIServer("", func(k string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	api.clusterDomain = func() string { return "cluster.local" }
	withCA, withoutCA := t.TempDir(), t.TempDir()
	for _, dir := range []string{withCA, withoutCA} {
		if err := os.WriteFile(filepath.Join(dir, "token"), []byte(secretPrefix+"hop\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(withCA, "ca.crt"), []byte("a CA"), 0o644); err != nil {
		t.Fatal(err)
	}
	parse := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	userAuth := []headerArg{{name: "Authorization", value: "Basic dTpw"}, {name: "Cookie", value: "a=b"}, {name: "Proxy-Authorization", value: "Basic eDp5"}, {name: "X-Other", value: "1"}}
	trusted := make([]headerArg, len(userAuth)) // as --location-trusted marks them
	for i, h := range userAuth {
		h.trusted = true
		trusted[i] = h
	}
	sent := "sending the bearer token from " + filepath.Join(withCA, "token")
	typed := tokenSource{token: secretPrefix + "typed"}
	tests := []struct {
		name    string
		creds   credentials
		trust   trustOptions
		noCA    bool
		origin  string
		url     string
		user    []headerArg
		token   bool
		headers []string
		note    string
	}{
		{name: "the API server by address", origin: "https://10.0.0.1/api", url: "https://10.0.0.1/api", token: true, note: sent},
		{name: "the API server by name", origin: "https://kubernetes.default.svc/api", url: "https://kubernetes.default.svc/api", token: true, note: sent},
		{name: "the API server by its full name", origin: "https://kubernetes.default.svc.cluster.local/api", url: "https://kubernetes.default.svc.cluster.local/api", token: true, note: sent},
		{name: "a name in another domain is not the API server", origin: "https://kubernetes.default.svc.example.org/api", url: "https://kubernetes.default.svc.example.org/api"},
		{name: "a name on another port is not the API server", origin: "https://kubernetes.default.svc:6443/api", url: "https://kubernetes.default.svc:6443/api"},
		{name: "a name without ca.crt is not the API server", noCA: true, origin: "https://kubernetes.default.svc/api", url: "https://kubernetes.default.svc/api"},
		{name: "a name with --cacert is the API server", noCA: true, trust: trustOptions{caFile: "/ca.pem"}, origin: "https://kubernetes/api", url: "https://kubernetes/api", token: true, note: "sending the bearer token from " + filepath.Join(withoutCA, "token")},
		{name: "a name under -k is not the API server", trust: trustOptions{insecure: true}, creds: credentials{insecure: true, source: typed}, origin: "https://kubernetes.default.svc/", url: "https://kubernetes.default.svc/", note: "no token sent: -k does not verify kubernetes.default.svc"},
		{name: "the address without ca.crt", noCA: true, origin: "https://10.0.0.1/api", url: "https://10.0.0.1/api", note: "no token sent: no cluster CA verifies the API server (" + filepath.Join(withoutCA, "ca.crt") + " does not exist; give --cacert)"},
		{name: "the address without ca.crt, with --cacert", noCA: true, trust: trustOptions{caFile: "/ca.pem"}, origin: "https://10.0.0.1/api", url: "https://10.0.0.1/api", token: true, note: "sending the bearer token from " + filepath.Join(withoutCA, "token")},
		{name: "http to the API server", origin: "http://10.0.0.1:443/api", url: "http://10.0.0.1:443/api", note: "no token sent: http:// is not TLS"},
		{name: "another host", origin: "https://example.test/", url: "https://example.test/"},
		{name: "another port", origin: "https://10.0.0.1:444/", url: "https://10.0.0.1:444/"},
		{name: "a redirect into the API server", origin: "https://example.test/", url: "https://10.0.0.1/api", note: "no token sent: the request started at example.test, not at the API server"},
		{name: "a redirect out of the API server", origin: "https://10.0.0.1/api", url: "https://example.test/"},
		{name: "a Location /a%zz on the API server keeps it", origin: "https://10.0.0.1/api", url: "/a%zz", token: true, note: sent},
		{name: "a Location with /a%zz to another port does not get it", origin: "https://10.0.0.1/api", url: "https://10.0.0.1:444/a%zz"},
		{name: "a Location with /a%zz to another host does not get it", origin: "https://10.0.0.1/api", url: "https://example.test/a%zz"},
		{name: "a Location http://other:port/a%zz does not get it", origin: "https://10.0.0.1/api", url: "http://example.test:8080/a%zz"},
		{name: "a Location http:// to the API server's port with /a%zz", origin: "https://10.0.0.1/api", url: "http://10.0.0.1:443/a%zz", note: "no token sent: http:// is not TLS"},
		{name: "a redirect from https to http on the API server", origin: "https://10.0.0.1/api", url: "http://10.0.0.1:443/api", note: "no token sent: http:// is not TLS"},
		{name: "-k", trust: trustOptions{insecure: true}, creds: credentials{insecure: true}, origin: "https://10.0.0.1/", url: "https://10.0.0.1/", note: "no token sent: -k does not verify the server (give --token to send one anyway)"},
		{name: "-k with --token to the address", trust: trustOptions{insecure: true}, creds: credentials{insecure: true, source: typed}, origin: "https://10.0.0.1/", url: "https://10.0.0.1/", token: true, note: "sending the bearer token from --token"},
		{name: "-k with --token-file", trust: trustOptions{insecure: true}, creds: credentials{insecure: true, source: tokenSource{tokenFile: filepath.Join(withCA, "token")}}, origin: "https://10.0.0.1/", url: "https://10.0.0.1/", note: "no token sent: -k does not verify the server (give --token to send one anyway)"},
		{name: "--token to the host typed", creds: credentials{source: typed}, origin: "https://metrics.test:8443/m", url: "https://metrics.test:8443/m", token: true, note: "sending the bearer token from --token"},
		{name: "--token to the host typed, -k", trust: trustOptions{insecure: true}, creds: credentials{insecure: true, source: typed}, origin: "https://metrics.test:8443/m", url: "https://metrics.test:8443/m", note: "no token sent: -k does not verify metrics.test:8443"},
		{name: "--token not across a redirect to another host", creds: credentials{source: typed}, origin: "https://metrics.test:8443/m", url: "https://other.test:8443/m", note: "no token sent: other.test:8443 is not the API server"},
		{name: "--token not across a redirect to http", creds: credentials{source: typed}, origin: "https://metrics.test/m", url: "http://metrics.test:443/m", note: "no token sent: http:// is not TLS"},
		{name: "--sa-token to the host typed", creds: credentials{saToken: true}, origin: "https://metrics.test:8443/m", url: "https://metrics.test:8443/m", token: true, note: sent},
		{name: "no --sa-token: not to the host typed", origin: "https://metrics.test:8443/m", url: "https://metrics.test:8443/m"},
		{name: "the user's Authorization wins", origin: "https://10.0.0.1/", url: "https://10.0.0.1/", user: userAuth, headers: []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Other"}, note: "no token sent: an Authorization header was given"},
		{name: "the user's credentials stay with their host", origin: "https://example.test/", url: "https://other.test/", user: userAuth, headers: []string{"X-Other"}},
		{name: "the user's credentials stay with their port", origin: "https://example.test/", url: "https://example.test:8443/", user: userAuth, headers: []string{"X-Other"}},
		{name: "the user's credentials stay with their scheme", origin: "https://example.test:8080/", url: "http://example.test:8080/", user: userAuth, headers: []string{"X-Other"}},
		{name: "the user's credentials follow to the same origin", origin: "https://example.test/a", url: "https://example.test/b", user: userAuth, headers: []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Other"}},
		{name: "--location-trusted", origin: "https://example.test/", url: "http://other.test/", user: trusted, headers: []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			sa := withCA
			if tt.noCA {
				sa = withoutCA
			}
			creds := tt.creds
			if creds.source == (tokenSource{}) {
				creds.source = tokenSource{saDir: sa}
			}
			creds.source.saDir = sa
			conn := &connection{api: api, trust: &trustStore{opts: tt.trust, saDir: sa}, creds: creds}
			origin := parse(tt.origin)
			next, err := resolveLocation(origin, tt.url) // the hop's URL, read as -L reads a Location
			is.NoErr(err)
			hc, err := creds.forHop(conn.hop(origin, next), tt.user)
			is.NoErr(err)
			is.Equal(hc.bearer != nil, tt.token) // whether the token goes
			is.Equal(hc.auth.sent, tt.token)
			if hc.bearer != nil {
				is.Equal(hc.bearer.display(), "Bearer "+redactedToken) // -v shows it redacted
				is.True(strings.HasPrefix(hc.bearer.value, "Bearer "+secretPrefix))
			}
			var names []string
			for _, h := range hc.headers {
				names = append(names, h.name)
			}
			is.Equal(strings.Join(names, ","), strings.Join(tt.headers, ",")) // the user's headers that go
			is.Equal(hc.auth.note, tt.note)                                   // the -v line
		})
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{name: "visible ASCII", token: "abc.DEF-_~+/=!", ok: true},
		{name: "the first visible byte", token: "a!b", ok: true},
		{name: "the last visible byte", token: "a~b", ok: true},
		{name: "a space", token: "a b"},
		{name: "a tab", token: "a\tb"},
		{name: "DEL", token: "a\x7fb"},
		{name: "a byte over 0x7f", token: "a\x80b"},
		{name: "UTF-8", token: "aéb"},
		{name: "empty", token: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			token := secretPrefix + tt.token
			if tt.token == "" {
				token = ""
			}
			got, _, err := checkToken(token, "--token")
			is.Equal(err == nil, tt.ok) // whether it can be a bearer token
			if tt.ok {
				is.Equal(got, token)
				return
			}
			is.Equal(exitCodeOf(err), exitReadError)
			is.True(!strings.Contains(err.Error(), secretPrefix)) // the message never holds the value
		})
	}
}

// fakeProcess gives process pid of a fake /proc the status lines of this test's own
// uid and gid, and ns/user, standing for its user namespace: the same file as that of
// sameNSAs ("self") when given, a file of its own otherwise.
func fakeProcess(t *testing.T, proc, pid, sameNSAs string) {
	t.Helper()
	status := fmt.Sprintf("Name:\tfake\nUid:\t%[1]d\t%[1]d\t%[1]d\t%[1]d\nGid:\t%[2]d\t%[2]d\t%[2]d\t%[2]d\nGroups:\t\n", os.Getuid(), os.Getgid())
	if err := os.WriteFile(filepath.Join(proc, pid, "status"), []byte(status), 0o444); err != nil {
		t.Fatal(err)
	}
	ns := filepath.Join(proc, pid, "ns", "user")
	if sameNSAs == "" {
		if err := os.WriteFile(ns, nil, 0o444); err != nil {
			t.Fatal(err)
		}
		return
	}
	self := filepath.Join(proc, sameNSAs, "ns", "user")
	if _, err := os.Stat(self); err != nil {
		if err := os.WriteFile(self, nil, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(self, ns); err != nil {
		t.Fatal(err)
	}
}
