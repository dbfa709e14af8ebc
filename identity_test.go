package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestNameIsNotProofOfIdentity attacks the API server's identity by name: a rogue server
// on 443 that holds a certificate for one of the API server's names from a CA the
// system roots trust (a public CA, here CURL_CA_BUNDLE), reached by -L from the API
// server. The token may only go where the cluster's CA vouches for the name.
func TestNameIsNotProofOfIdentity(t *testing.T) {
	cluster, public := newPKI(t), newPKI(t)
	apiCert, _, _ := cluster.issue(t, certOptions{names: []string{"127.0.0.1"}})
	publicAPICert, _, _ := public.issue(t, certOptions{names: []string{"127.0.0.1"}})
	rogueCert, _, _ := public.issue(t, certOptions{names: []string{"kubernetes.default.svc", "kubernetes.default.svc.evil.test", "kubernetes"}})
	rogueRec := &recorder{}
	rogue, rogueTap := tappedServer(t, "127.0.0.3:443", &rogueCert, replying(rogueRec, 200, "text/plain", "rogue"))
	_ = rogue
	redirecting := func(rec *recorder) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.add(r)
			if to := r.URL.Query().Get("url"); to != "" {
				http.Redirect(w, r, to, http.StatusFound)
				return
			}
			io.WriteString(w, "api")
		})
	}
	apiRec, publicAPIRec := &recorder{}, &recorder{}
	api, apiTap := tappedServer(t, "127.0.0.1:0", &apiCert, redirecting(apiRec))
	publicAPI, publicAPITap := tappedServer(t, "127.0.0.1:0", &publicAPICert, redirecting(publicAPIRec))
	bundle := writeFile(t, "bundle.pem", string(public.caPEM)+string(cluster.caPEM))
	withCA := newSADir(t, cluster.caPEM, secretPrefix+"sa")
	withoutCA := newSADir(t, nil, secretPrefix+"sa")
	if err := os.Remove(filepath.Join(withoutCA, "ca.crt")); err != nil {
		t.Fatal(err)
	}
	resolve := func(name string) []string { return []string{"--resolve", name + ":443:127.0.0.3"} }
	tests := []struct {
		name     string
		server   string // "cluster" or "public": which CA the API server's certificate is from
		sa       string
		args     []string
		apiToken bool
		code     int
		note     string
	}{
		{name: "no ca.crt: the API server gets no token over the system roots", server: "public", sa: withoutCA, args: []string{"/x"},
			note: "* no token sent: no cluster CA verifies the API server (" + filepath.Join(withoutCA, "ca.crt") + " does not exist; give --cacert)\n"},
		{name: "no ca.crt: -L to a name in a foreign domain", server: "public", sa: withoutCA, args: append(resolve("kubernetes.default.svc.evil.test"), "-L", "/to?url=https://kubernetes.default.svc.evil.test/"),
			note: "* no token sent: no cluster CA verifies the API server"},
		{name: "no ca.crt: -L to kubernetes.default.svc", server: "public", sa: withoutCA, args: append(resolve("kubernetes.default.svc"), "-L", "/to?url=https://kubernetes.default.svc/"),
			note: "* no token sent: no cluster CA verifies the API server"},
		{name: "no ca.crt, --cacert: the token goes to the address", server: "cluster", sa: withoutCA, args: []string{"--cacert", cluster.caFile, "/x"}, apiToken: true},
		{name: "-k --token: -L to kubernetes.default.svc", server: "cluster", sa: withCA, args: append(resolve("kubernetes.default.svc"), "-k", "--token", secretPrefix+"typed", "-L", "/to?url=https://kubernetes.default.svc/"), apiToken: true,
			note: "* no token sent: kubernetes.default.svc is not the API server\n"},
		{name: "ca.crt: -L to a foreign domain is another host", server: "cluster", sa: withCA, args: append(resolve("kubernetes.default.svc.evil.test"), "-L", "/to?url=https://kubernetes.default.svc.evil.test/"), apiToken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			for _, tap := range []*tapListener{rogueTap, apiTap, publicAPITap} {
				tap.reset()
			}
			rogueRec.reqs, apiRec.reqs, publicAPIRec.reqs = nil, nil, nil
			srv, rec := api, apiRec
			if tt.server == "public" {
				srv, rec = publicAPI, publicAPIRec
			}
			env := apiEnv(srv, tt.sa)
			env["CURL_CA_BUNDLE"] = bundle // the system roots trust the public CA
			r := kcurl(t, invocation{args: append([]string{"-sSv"}, tt.args...), env: env})
			for name, seen := range map[string]string{"the rogue server": rogueTap.bytes(), "the API server (raw)": apiTap.bytes() + publicAPITap.bytes()} {
				if strings.Contains(seen, secretPrefix+"sa") && name == "the rogue server" {
					t.Fatalf("%s got the token:\n%q", name, seen)
				}
			}
			for _, req := range rogueRec.all() {
				is.Equal(req.header.Get("Authorization"), "") // the rogue server gets no credential
			}
			got := false
			for _, req := range rec.all() {
				got = got || strings.HasPrefix(req.header.Get("Authorization"), "Bearer "+secretPrefix)
			}
			is.Equal(got, tt.apiToken) // the API server got a token exactly when it should
			is.Equal(r.code, tt.code)
			is.True(strings.Contains(r.stderr, tt.note)) // -v says why no token went
		})
	}
}

// TestCredentialsStayWithTheirScheme follows a redirect from https to http on the same
// host and port: the user's own Authorization, Cookie and Proxy-Authorization must not
// go in clear (curl's rule since CVE-2022-27776).
func TestCredentialsStayWithTheirScheme(t *testing.T) {
	pki := newPKI(t)
	cert, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}})
	var srvURL string
	srv, tap := tappedServer(t, "127.0.0.1:0", &cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+strings.TrimPrefix(srvURL, "https://")+"/plain", http.StatusFound)
	}))
	srvURL = srv.URL
	for _, tt := range []struct {
		name   string
		header string
	}{
		{name: "Authorization", header: "Authorization: Basic dXNlcjpwYXNz"},
		{name: "Cookie", header: "Cookie: session=s3cr3t"},
		{name: "Proxy-Authorization", header: "Proxy-Authorization: Basic cHJveHk6cGFzcw=="},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			tap.reset()
			r := kcurl(t, invocation{args: []string{"-sS", "-L", "--cacert", pki.caFile, "-H", tt.header, srv.URL + "/start"}, env: map[string]string{}})
			raw := tap.bytes()
			is.True(strings.Contains(raw, "GET /plain HTTP/1.1\r\n"))                    // the redirect went to http:// on the same port
			is.True(!strings.Contains(raw, tt.header[strings.Index(tt.header, ":")+2:])) // and the credential did not go in clear
			t.Logf("exit %d", r.code)
		})
	}
}

// TestEachURLHasItsOwnTLS runs an http:// URL to the API server's address before a path:
// the path must still be verified with the service account's CA (a transport made for
// http:// has no TLS configuration of its own to lend).
func TestEachURLHasItsOwnTLS(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	hostPort := strings.TrimPrefix(srv.URL, "https://")
	r := kcurl(t, invocation{args: []string{"-s", "-o", "/dev/null", "http://" + hostPort + "/x", "/y"}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"tls"))})
	is.Equal(r.code, 0) // the path verified with ca.crt, not with an http transport's empty TLS setup
	last := rec.last(t)
	is.Equal(last.uri, "/y")
	is.Equal(last.header.Get("Authorization"), "Bearer "+secretPrefix+"tls")
}
