package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/matryer/is"
)

// reviewServer answers the three review APIs the way the API server does, and keeps
// what it was asked.
func reviewServer(t *testing.T, pki *testPKI, allowed bool) (*recorder, string) {
	t.Helper()
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /apis/authentication.k8s.io/v1/selfsubjectreviews", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		io.WriteString(w, `{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{},"status":{"userInfo":{"username":"system:serviceaccount:ns:sa","uid":"u-1","groups":["system:serviceaccounts","system:authenticated"],"extra":{"authentication.kubernetes.io/pod-name":["web-0"]}}}}`)
	})
	mux.HandleFunc("POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		io.WriteString(w, `{"kind":"SelfSubjectAccessReview","status":{"allowed":`+strconv.FormatBool(allowed)+`,"reason":"RBAC says so"}}`)
	})
	mux.HandleFunc("POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		io.WriteString(w, `{"kind":"SelfSubjectRulesReview","status":{"resourceRules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["configmaps"]},{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["web"]}],"nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/healthz","/version"]}],"incomplete":false}}`)
	})
	srv := newTLSServer(t, pki, mux, serverOptions{})
	return rec, srv.URL
}

func TestWhoami(t *testing.T) {
	pki := newPKI(t)
	_, url := reviewServer(t, pki, true)
	exp := time.Now().Add(time.Hour).Unix()
	token := fakeJWT(`{"iss":"https://kubernetes.default.svc.cluster.local","aud":["https://kubernetes.default.svc.cluster.local"],"iat":1764576000,"exp":` + strconv.FormatInt(exp, 10) + `,"kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"sa","uid":"sa-uid"},"pod":{"name":"web-0","uid":"pod-uid"},"warnafter":1764579600}}`)
	sa := newSADir(t, pki.caPEM, token)
	t.Run("text", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"whoami", "--server", url}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
		is.Equal(r.stderr, "")
		is.Equal(r.code, 0)
		for _, line := range []string{
			"API server " + url + " says:\n",
			"  username  system:serviceaccount:ns:sa\n",
			"  groups    system:serviceaccounts, system:authenticated\n",
			"  extra     authentication.kubernetes.io/pod-name=web-0\n",
			"token from " + sa + "/token (decoded locally, not verified):\n",
			"  issuer           https://kubernetes.default.svc.cluster.local\n",
			"  service account  ns/sa (uid sa-uid)\n",
			"  pod              web-0 (uid pod-uid)\n",
			"  issued           2025-12-01T08:00:00Z\n",
			"  warnafter        2025-12-01T09:00:00Z\n",
		} {
			is.True(strings.Contains(r.stdout, line)) // each line of whoami
		}
		is.True(strings.Contains(r.stdout, "  expires          "+time.Unix(exp, 0).UTC().Format(time.RFC3339)+" (in ")) // and the time left
	})
	t.Run("json", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"whoami", "--format", "json", "--server", url}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
		is.Equal(r.code, 0)
		var doc struct {
			User  userInfo `json:"user"`
			Token struct {
				Namespace string `json:"namespace"`
				ExpiresIn int64  `json:"expiresInSeconds"`
			} `json:"token"`
		}
		is.NoErr(json.Unmarshal([]byte(r.stdout), &doc))
		is.Equal(doc.User.Username, "system:serviceaccount:ns:sa")
		is.Equal(doc.Token.Namespace, "ns")
		is.True(doc.Token.ExpiresIn > 3500 && doc.Token.ExpiresIn <= 3600)
	})
	t.Run("offline: the token part still prints", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"whoami", "-sS", "--server", "https://" + closedPort(t)}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
		is.Equal(r.code, 7)                                                            // the connection's code
		is.True(strings.Contains(r.stdout, "  (unavailable: Failed to connect to "))   // says the server part is missing
		is.True(strings.Contains(r.stdout, "  service account  ns/sa (uid sa-uid)\n")) // the local part is there
		is.True(strings.HasPrefix(r.stderr, "kcurl: (7) Failed to connect to 127.0.0.1 port "))
	})
}

func TestCanI(t *testing.T) {
	pki := newPKI(t)
	sa := newSADir(t, pki.caPEM, secretPrefix+"sa")
	tests := []struct {
		name    string
		allowed bool
		args    []string
		code    int
		stdout  string
		spec    string
	}{
		{name: "yes", allowed: true, args: []string{"list", "pods"}, stdout: "yes\n", spec: `{"resourceAttributes":{"group":"","name":"","namespace":"kcurl-test","resource":"pods","subresource":"","verb":"list"}}`},
		{name: "no is exit 1", args: []string{"delete", "deployments.apps", "web"}, code: 1, stdout: "no\n", spec: `{"resourceAttributes":{"group":"apps","name":"web","namespace":"kcurl-test","resource":"deployments","subresource":"","verb":"delete"}}`},
		{name: "subresource and namespace", allowed: true, args: []string{"get", "pods/log", "--namespace", "other"}, stdout: "yes\n", spec: `{"resourceAttributes":{"group":"","name":"","namespace":"other","resource":"pods","subresource":"log","verb":"get"}}`},
		{name: "non-resource URL", allowed: true, args: []string{"get", "/healthz"}, stdout: "yes\n", spec: `{"nonResourceAttributes":{"path":"/healthz","verb":"get"}}`},
		{name: "-v gives the reason", args: []string{"-v", "get", "secrets"}, code: 1, stdout: "no - RBAC says so\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec, url := reviewServer(t, pki, tt.allowed)
			r := kcurl(t, invocation{args: append([]string{"can-i", "--server", url}, tt.args...), env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
			is.Equal(r.code, tt.code)
			is.Equal(r.stdout, tt.stdout)
			if tt.spec != "" {
				var body struct {
					Kind string          `json:"kind"`
					Spec json.RawMessage `json:"spec"`
				}
				is.NoErr(json.Unmarshal([]byte(rec.last(t).body), &body))
				is.Equal(body.Kind, "SelfSubjectAccessReview")
				is.Equal(string(body.Spec), tt.spec) // what was asked
				is.Equal(rec.last(t).header.Get("Authorization"), "Bearer "+secretPrefix+"sa")
			}
		})
	}
	t.Run("--all lists the rules", func(t *testing.T) {
		is := is.New(t)
		_, url := reviewServer(t, pki, true)
		r := kcurl(t, invocation{args: []string{"can-i", "--all", "--server", url}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
		is.Equal(r.code, 0)
		is.Equal(r.stdout, "Resources          Non-Resource URLs     Resource Names   Verbs\n"+
			"configmaps         []                    []               [get list]\n"+
			"deployments.apps   []                    [web]            [get]\n"+
			"                   [/healthz /version]   []               [get]\n")
	})
	t.Run("a failure is curl's code", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"can-i", "-sS", "get", "pods", "--server", "https://" + closedPort(t)}, env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": sa}})
		is.Equal(r.code, 7)
		is.Equal(r.stdout, "")
	})
}

func TestCompletion(t *testing.T) {
	tests := []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"complete -o default -F _kcurl kcurl\n", " --service-account-dir", " -X ", "whoami can-i wait completion"}},
		{"zsh", []string{"#compdef kcurl\n", "'--cacert[CA certificates", "'1: :(whoami can-i wait completion)'"}},
		{"fish", []string{"complete -c kcurl -l 'fail' -s 'f' -d ", "complete -c kcurl -l 'token-file' -d "}},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{"completion", tt.shell}})
			is.Equal(r.code, 0)
			for _, w := range tt.want {
				is.True(strings.Contains(r.stdout, w)) // the script names kcurl's flags and subcommands
			}
		})
	}
	t.Run("unknown shell", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"completion", "tcsh"}})
		is.Equal(r.code, 2)
	})
}

func TestAccessAttributes(t *testing.T) {
	tests := []struct {
		name                                            string
		verb, resource, resName, subresource, group, ns string
		want                                            string
	}{
		{name: "core resource", verb: "get", resource: "pods", ns: "default", want: `{"resourceAttributes":{"group":"","name":"","namespace":"default","resource":"pods","subresource":"","verb":"get"}}`},
		{name: "group from the name", verb: "list", resource: "deployments.apps", ns: "ns", want: `{"resourceAttributes":{"group":"apps","name":"","namespace":"ns","resource":"deployments","subresource":"","verb":"list"}}`},
		{name: "group with dots", verb: "list", resource: "certificates.cert-manager.io", ns: "ns", want: `{"resourceAttributes":{"group":"cert-manager.io","name":"","namespace":"ns","resource":"certificates","subresource":"","verb":"list"}}`},
		{name: "--group wins over the name", verb: "list", resource: "deployments.apps", group: "extensions", ns: "ns", want: `{"resourceAttributes":{"group":"extensions","name":"","namespace":"ns","resource":"deployments.apps","subresource":"","verb":"list"}}`},
		{name: "subresource from the name", verb: "get", resource: "pods/log", resName: "web-0", ns: "ns", want: `{"resourceAttributes":{"group":"","name":"web-0","namespace":"ns","resource":"pods","subresource":"log","verb":"get"}}`},
		{name: "--subresource", verb: "update", resource: "deployments.apps", subresource: "scale", ns: "ns", want: `{"resourceAttributes":{"group":"apps","name":"","namespace":"ns","resource":"deployments","subresource":"scale","verb":"update"}}`},
		{name: "non-resource URL", verb: "get", resource: "/healthz", ns: "ns", want: `{"nonResourceAttributes":{"path":"/healthz","verb":"get"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			b, err := json.Marshal(accessAttributes(tt.verb, tt.resource, tt.resName, tt.subresource, tt.group, tt.ns))
			is.NoErr(err)
			is.Equal(string(b), tt.want) // the SelfSubjectAccessReview spec
		})
	}
}
