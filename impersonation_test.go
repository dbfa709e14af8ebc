package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestImpersonationForHop: the Impersonate-* headers go with a request to the API
// server that started there, and with no other.
func TestImpersonationForHop(t *testing.T) {
	api, err := discoverAPIServer("", func(k string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	imp, err := impersonation{user: "bob"}.headers()
	if err != nil {
		t.Fatal(err)
	}
	parse := func(s string) *url.URL { u, _ := url.Parse(s); return u }
	tests := []struct {
		name, origin, url string
		insecure          bool
		sent              bool
	}{
		{name: "the API server", origin: "https://10.0.0.1/api", url: "https://10.0.0.1/api", sent: true},
		{name: "the API server with -k", origin: "https://10.0.0.1/api", url: "https://10.0.0.1/api", insecure: true, sent: true},
		{name: "another host", origin: "https://example.test/", url: "https://example.test/"},
		{name: "another port of the API server's address", origin: "https://10.0.0.1:444/", url: "https://10.0.0.1:444/"},
		{name: "a redirect out of the API server", origin: "https://10.0.0.1/api", url: "https://example.test/"},
		{name: "a redirect into the API server", origin: "https://example.test/", url: "https://10.0.0.1/api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			sa := newSADir(t, []byte("a CA"), "")
			c := credentials{source: tokenSource{saDir: sa}, insecure: tt.insecure, impersonate: imp}
			conn := &connection{api: api, trust: &trustStore{opts: trustOptions{insecure: tt.insecure}, saDir: sa}, creds: c}
			hc, err := c.forHop(conn.hop(parse(tt.origin), parse(tt.url)), nil)
			is.NoErr(err)
			is.Equal(len(hc.impersonate) > 0, tt.sent)    // whether the Impersonate-* headers go
			is.Equal(hc.auth.impersonated != "", tt.sent) // and the 403 hint knows it
		})
	}
}

func TestImpersonationHeaders(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "application/json", "{}\n"), serverOptions{})
	other := newTLSServer(t, pki, replying(rec, 200, "text/plain", "other\n"), serverOptions{})
	flags := []string{"--as", "system:serviceaccount:ns:bob", "--as-group", "devs", "--as-group", "a,b", "--as-uid", "42", "--as-user-extra", "scopes=view", "--as-user-extra", "example.com/team=blue"}
	t.Run("in order, one header per group, to the API server", func(t *testing.T) {
		is := is.New(t)
		rec.reqs = nil
		r := kcurl(t, invocation{args: append(append([]string{"-sv"}, flags...), "/api/v1/pods"), env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"imp"))})
		is.Equal(r.code, 0)
		h := rec.last(t).header
		is.Equal(h.Values("Impersonate-User"), []string{"system:serviceaccount:ns:bob"})
		is.Equal(h.Values("Impersonate-Group"), []string{"devs", "a,b"}) // no comma splitting, in order
		is.Equal(h.Values("Impersonate-Uid"), []string{"42"})
		is.Equal(h.Values("Impersonate-Extra-Scopes"), []string{"view"})
		is.Equal(h.Values("Impersonate-Extra-Example.com%2fteam"), []string{"blue"})                                                                                                                                                                                      // the key percent-encoded, as client-go
		is.True(strings.Contains(r.stderr, "> impersonate-user: system:serviceaccount:ns:bob\r\n> impersonate-group: devs\r\n> impersonate-group: a,b\r\n> impersonate-uid: 42\r\n> impersonate-extra-scopes: view\r\n> impersonate-extra-example.com%2fteam: blue\r\n")) // -v shows them, as HTTP/2 sends them
	})
	t.Run("never to another host", func(t *testing.T) {
		is := is.New(t)
		rec.reqs = nil
		env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"imp"))
		env["CURL_CA_BUNDLE"] = pki.caFile
		r := kcurl(t, invocation{args: append(append([]string{"-s"}, flags...), other.URL+"/x"), env: env})
		is.Equal(r.code, 0)
		for name := range rec.last(t).header {
			is.True(!strings.HasPrefix(name, "Impersonate-")) // no Impersonate-* header left for another host
		}
	})
	t.Run("whoami takes them too", func(t *testing.T) {
		is := is.New(t)
		rec.reqs = nil
		kcurl(t, invocation{args: []string{"whoami", "--as", "bob", "--server", srv.URL}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": newSADir(t, pki.caPEM, secretPrefix+"imp")}})
		is.Equal(rec.last(t).header.Get("Impersonate-User"), "bob")
	})
}

func TestImpersonationBadFlags(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "application/json", "{}"), serverOptions{})
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "a group without --as", args: []string{"--as-group", "devs"}, stderr: "kcurl: (2) --as-group, --as-uid and --as-user-extra need --as USER\n"},
		{name: "a uid without --as", args: []string{"--as-uid", "1"}, stderr: "kcurl: (2) --as-group, --as-uid and --as-user-extra need --as USER\n"},
		{name: "an extra without '='", args: []string{"--as", "bob", "--as-user-extra", "scopes"}, stderr: "kcurl: (2) option --as-user-extra: expected KEY=VALUE, got \"scopes\"\n"},
		{name: "a line break", args: []string{"--as", "bob\r\nX-Evil: 1"}, stderr: "kcurl: (2) Impersonate-User: a CR, LF or NUL in the value is refused\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			r := kcurl(t, invocation{args: append(append([]string{"-s"}, tt.args...), "/api"), env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"imp"))})
			is.Equal(r.code, exitFailedInit)
			is.Equal(r.stderr, tt.stderr)
			is.Equal(len(rec.all()), 0) // nothing sent
		})
	}
}

// TestImpersonationForbidden: a 403 for the impersonation names the missing permission.
func TestImpersonationForbidden(t *testing.T) {
	denied := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"users \"bob\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"name":"bob","kind":"users"},"code":403}`
	uidDenied := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"uids.authentication.k8s.io \"42\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope","reason":"Forbidden","details":{"name":"42","group":"authentication.k8s.io","kind":"uids"},"code":403}`
	// What kube-apiserver 1.37 answers when neither impersonate nor the constrained verbs are granted.
	constrained := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps is forbidden: User \"system:serviceaccount:ns:minion\" cannot impersonate-on:user-info:list resource \"configmaps\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","details":{"kind":"configmaps"},"code":403}`
	pki := newPKI(t)
	for _, tt := range []struct {
		name, body string
		args       []string
		stderr     string
	}{
		{name: "the user", body: denied, args: []string{"--as", "bob"}, stderr: `kcurl: (22) 403 Forbidden: users "bob" is forbidden: User "system:serviceaccount:ns:sa" cannot impersonate resource "users" in API group "" at the cluster scope (--as needs the RBAC verb impersonate on users "bob")` + "\n"},
		{name: "the uid", body: uidDenied, args: []string{"--as", "bob", "--as-uid", "42"}, stderr: `kcurl: (22) 403 Forbidden: uids.authentication.k8s.io "42" is forbidden: User "system:serviceaccount:ns:sa" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope (--as needs the RBAC verb impersonate on uids.authentication.k8s.io "42")` + "\n"},
		{name: "constrained impersonation (1.37)", body: constrained, args: []string{"--as", "alice"}, stderr: `kcurl: (22) 403 Forbidden: configmaps is forbidden: User "system:serviceaccount:ns:minion" cannot impersonate-on:user-info:list resource "configmaps" in API group "" in the namespace "ns" (--as needs the RBAC verb impersonate on users "alice", or, constrained, impersonate:user-info on that user and impersonate-on:user-info:list on this resource)` + "\n"},
		{name: "no hint without --as", body: forbidden, stderr: `kcurl: (22) 403 Forbidden: pods "web-0" is forbidden: User "system:serviceaccount:ns:sa" cannot get resource "pods" in API group "" in the namespace "ns"` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			srv := newTLSServer(t, pki, replying(nil, http.StatusForbidden, "application/json", tt.body), serverOptions{})
			r := kcurl(t, invocation{args: append(append([]string{"-sSf"}, tt.args...), "/api/v1/pods"), env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"imp"))})
			is.Equal(r.code, exitHTTPError)
			is.Equal(r.stderr, tt.stderr)
		})
	}
}
