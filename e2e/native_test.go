package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// The tests in this file check kcurl's Kubernetes-native features (issue 4) against the real API server: what no
// httptest server can show is that the API server's own answers (RBAC, reviews, Status messages, Tables, watch
// endings, continue tokens) come out as kcurl says they do.

var (
	configMapRules = harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}
)

// TestNativePlaceholders expands {namespace} from the folder's namespace file or --namespace, and {pod} from
// POD_NAME; without either namespace source it refuses before sending anything.
func TestNativePlaceholders(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	other := newNamespace(t)
	p := newPod(t, ns, "placer")
	grant(t, ns, "placer", "reader", configMapRules,
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}})
	grantAcross(t, other, "reader", ns, "placer", "list", "configmaps", configMapRules)
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, "mine", nil))      // the pod's own namespace's ConfigMap
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), other, "theirs", nil)) // another namespace's
	noNamespace, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: p.token, CACert: c.PKI.CA.CertPEM})
	is.New(t).NoErr(err) // a folder without a namespace file
	user := "system:serviceaccount:" + ns + ":placer"

	tests := []struct {
		name       string
		saDir      string
		env        []string
		args       []string
		wantExit   int
		wantNS     string   // the namespace of the listed items
		wantItems  []string // the names listed
		wantStatus *status  // the Status printed, when not nil
		wantStderr string   // exact
	}{
		{
			name:      "{namespace} is the namespace file's",
			saDir:     p.saDir.Dir,
			args:      []string{"-sS", "/api/v1/namespaces/{namespace}/configmaps"},
			wantNS:    ns,
			wantItems: []string{"mine"},
		},
		{
			name:      "--namespace overrides the file",
			saDir:     p.saDir.Dir,
			args:      []string{"-sS", "--namespace", other, "/api/v1/namespaces/{namespace}/configmaps"},
			wantNS:    other,
			wantItems: []string{"theirs"},
		},
		{
			name:      "--namespace without a file",
			saDir:     noNamespace.Dir,
			args:      []string{"-sS", "--namespace", ns, "/api/v1/namespaces/{namespace}/configmaps"},
			wantNS:    ns,
			wantItems: []string{"mine"},
		},
		{
			name:       "neither a file nor --namespace is exit 3, nothing sent",
			saDir:      noNamespace.Dir,
			args:       []string{"-sS", "/api/v1/namespaces/{namespace}/configmaps"},
			wantExit:   3,
			wantStderr: "kcurl: (3) {namespace} needs --namespace or a namespace file (" + filepath.Join(noNamespace.Dir, "namespace") + ": no such file)\n",
		},
		{
			name:  "{pod} is POD_NAME",
			saDir: p.saDir.Dir,
			env:   []string{"POD_NAME=web-0"},
			args:  []string{"-s", "/api/v1/namespaces/{namespace}/pods/{pod}"},
			wantStatus: &status{Kind: "Status", Status: "Failure", Reason: "NotFound", Code: 404,
				Message: `pods "web-0" not found`},
		},
		{
			name:  "percent-encoded braces stay literal",
			saDir: p.saDir.Dir,
			args:  []string{"-s", "/api/v1/namespaces/%7Bnamespace%7D/configmaps"},
			wantStatus: &status{Kind: "Status", Status: "Failure", Reason: "Forbidden", Code: 403,
				Message: `configmaps is forbidden: User "` + user + `" cannot list resource "configmaps" in API group "" in the namespace "{namespace}"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			cmd := kcurlCommand(t.Context(), t, tt.saDir, tt.args...)
			cmd.Env = append(cmd.Env, tt.env...)
			r := runCommand(t, cmd)
			is.Equal(r.code, tt.wantExit) // kcurl's exit code
			switch {
			case tt.wantExit != 0:
				is.Equal(string(r.stderr), tt.wantStderr) // the one error line
				is.Equal(len(r.stdout), 0)                // nothing was sent, nothing printed
			case tt.wantStatus != nil:
				is.Equal(decodeStatus(t, r.stdout), *tt.wantStatus) // the API server's answer to the expanded path
			default:
				is.Equal(string(r.stderr), "") // a 200 says nothing on stderr
				var list struct {
					Kind  string `json:"kind"`
					Items []struct {
						Metadata struct {
							Name      string `json:"name"`
							Namespace string `json:"namespace"`
						} `json:"metadata"`
					} `json:"items"`
				}
				is.NoErr(json.Unmarshal(r.stdout, &list)) // the body is a list
				is.Equal(list.Kind, "ConfigMapList")
				var names []string
				for _, it := range list.Items {
					is.Equal(it.Metadata.Namespace, tt.wantNS) // every item is of the expanded namespace
					names = append(names, it.Metadata.Name)
				}
				is.Equal(names, tt.wantItems) // the namespace's ConfigMaps
			}
		})
	}
}

// TestNativeWhoami compares kcurl whoami, as text and as JSON, with what the API server and the token say; with the
// API server out of reach it exits 7 and still prints the token's part.
func TestNativeWhoami(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "who")
	claims := decodeJWT(t, p.token)
	var sa struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	adminGet(t, "/api/v1/namespaces/"+ns+"/serviceaccounts/who", &sa)
	user := "system:serviceaccount:" + ns + ":who"
	tokenFile := filepath.Join(p.saDir.Dir, "token")
	tokenPart := "token from " + tokenFile + " (decoded locally, not verified):\n" +
		"  issuer           " + harness.Issuer + "\n" +
		"  audiences        " + strings.Join(claims.Audience, ", ") + "\n" +
		"  service account  " + ns + "/who (uid " + sa.Metadata.UID + ")\n" +
		"  namespace        " + ns + "\n" +
		"  issued           " + rfc3339(claims.IssuedAt) + "\n" +
		"  expires          " + rfc3339(claims.Expiry) + " (in "
	closedPort, err := harness.FreePort()
	is.New(t).NoErr(err) // a loopback port nothing listens on

	t.Run("text", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "whoami")
		is.Equal(r.code, 0)            // the API server answered
		is.Equal(string(r.stderr), "") // nothing on stderr
		want := "API server " + c.URL + " says:\n" +
			"  username  " + user + "\n" +
			"  uid       " + sa.Metadata.UID + "\n" +
			"  groups    system:serviceaccounts, system:serviceaccounts:" + ns + ", system:authenticated\n" +
			"  extra     authentication.kubernetes.io/credential-id=JTI=" + claims.JTI + "\n" +
			tokenPart
		out := string(r.stdout)
		if !strings.HasPrefix(out, want) {
			t.Fatalf("whoami printed\n%s\nwant it to start with\n%s", out, want)
		}
		is.True(regexp.MustCompile(`^\d+h\d+m\d+s\)\n$|^\d+m\d+s\)\n$`).MatchString(out[len(want):])) // time left, then the end: no pod, node or warnafter for a pod-less token
	})

	t.Run("--format json", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "whoami", "--format", "json")
		is.Equal(r.code, 0)
		is.Equal(strings.Count(string(r.stdout), "\n"), 1) // one line of JSON
		var doc struct {
			APIServer string `json:"apiServer"`
			User      struct {
				Username string              `json:"username"`
				UID      string              `json:"uid"`
				Groups   []string            `json:"groups"`
				Extra    map[string][]string `json:"extra"`
			} `json:"user"`
			Token struct {
				Source         string            `json:"source"`
				Issuer         string            `json:"issuer"`
				Audiences      []string          `json:"audiences"`
				Namespace      string            `json:"namespace"`
				ServiceAccount map[string]string `json:"serviceAccount"`
				Pod            any               `json:"pod"`
				Node           any               `json:"node"`
				IssuedAt       string            `json:"issuedAt"`
				ExpiresAt      string            `json:"expiresAt"`
				ExpiresIn      int64             `json:"expiresInSeconds"`
			} `json:"token"`
		}
		is.NoErr(json.Unmarshal(r.stdout, &doc)) // --format json is JSON
		is.Equal(doc.APIServer, c.URL)
		is.Equal(doc.User.Username, user)
		is.Equal(doc.User.UID, sa.Metadata.UID)
		is.Equal(doc.User.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"})
		is.Equal(doc.User.Extra, map[string][]string{"authentication.kubernetes.io/credential-id": {"JTI=" + claims.JTI}})
		is.Equal(doc.Token.Source, tokenFile)
		is.Equal(doc.Token.Issuer, harness.Issuer)
		is.Equal(doc.Token.Audiences, claims.Audience)
		is.Equal(doc.Token.Namespace, ns)
		is.Equal(doc.Token.ServiceAccount, map[string]string{"name": "who", "uid": sa.Metadata.UID})
		is.Equal(doc.Token.Pod, nil) // not bound to a pod
		is.Equal(doc.Token.Node, nil)
		is.Equal(doc.Token.IssuedAt, rfc3339(claims.IssuedAt))
		is.Equal(doc.Token.ExpiresAt, rfc3339(claims.Expiry))
		left := claims.Expiry - time.Now().Unix()
		is.True(doc.Token.ExpiresIn >= left-5 && doc.Token.ExpiresIn <= left+1) // seconds left, as of the run
	})

	offline := []struct {
		name string
		args []string
		port string
	}{
		{name: "an unreachable --server", args: []string{"--server", "https://127.0.0.1:" + strconv.Itoa(closedPort)}, port: c.Port},
		{name: "nothing at KUBERNETES_SERVICE_PORT", port: strconv.Itoa(closedPort)},
	}
	for _, tt := range offline {
		t.Run(tt.name+" exits 7 and still decodes the token", func(t *testing.T) {
			is := is.New(t)
			cmd := kcurlCommandAt(t.Context(), t, c.Host, tt.port, p.saDir.Dir, append([]string{"whoami", "-sS"}, tt.args...)...)
			r := runCommand(t, cmd)
			is.Equal(r.code, 7) // connection refused, as curl
			refused := "Failed to connect to 127.0.0.1 port " + strconv.Itoa(closedPort)
			is.True(strings.HasPrefix(string(r.stderr), "kcurl: (7) "+refused)) // the error line
			is.Equal(strings.Count(string(r.stderr), "\n"), 1)                  // one line
			out := string(r.stdout)
			head := "API server https://127.0.0.1:" + strconv.Itoa(closedPort) + " says:\n  (unavailable: " + refused
			is.True(strings.HasPrefix(out, head))                                     // says the server is out of reach
			is.True(strings.Contains(out, "; the token below is decoded locally)\n")) // and that the rest is local
			is.True(strings.Contains(out, tokenPart))                                 // the token's part, whole
		})
	}
}

// TestNativeCanI asks kcurl can-i before and after a RoleBinding, and kubectl auth can-i (as the admin,
// impersonating the ServiceAccount) the same questions: the answers and exit codes must agree.
func TestNativeCanI(t *testing.T) {
	t.Parallel()
	needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "asker")
	kubectl, kubeconfig := adminKubectl(t)
	asKubectl := func(t *testing.T, args ...string) result {
		t.Helper()
		if kubectl == "" {
			return result{code: -1}
		}
		return runPeer(t, kubectl, append([]string{"--kubeconfig", kubeconfig, "auth", "can-i",
			"--as", "system:serviceaccount:" + ns + ":asker", "-n", ns}, args...)...)
	}

	type question struct {
		name    string
		kcurl   []string
		kubectl []string // the same question in kubectl's words; nil means kcurl's
		before  bool     // the answer before the RoleBinding
		after   bool     // and after it
	}
	questions := []question{
		{name: "list pods", kcurl: []string{"list", "pods"}, after: true},
		{name: "get pods/log", kcurl: []string{"get", "pods/log"}, kubectl: []string{"get", "pods", "--subresource", "log"}, after: true},
		{name: "get pods --subresource log", kcurl: []string{"get", "pods", "--subresource", "log"}, after: true},
		{name: "create deployments.apps", kcurl: []string{"create", "deployments.apps"}, after: true},
		{name: "create deployments --group apps", kcurl: []string{"create", "deployments", "--group", "apps"}, kubectl: []string{"create", "deployments.apps"}, after: true},
		{name: "get the one secret granted by name", kcurl: []string{"get", "secrets", "settings"}, kubectl: []string{"get", "secrets/settings"}, after: true},
		{name: "get another secret by name", kcurl: []string{"get", "secrets", "other"}, kubectl: []string{"get", "secrets/other"}},
		{name: "delete pods", kcurl: []string{"delete", "pods"}},
		{name: "list secrets", kcurl: []string{"list", "secrets"}},
		{name: "get /healthz (system:public-info-viewer)", kcurl: []string{"get", "/healthz"}, before: true, after: true},
		{name: "get /metrics", kcurl: []string{"get", "/metrics"}},
	}
	ask := func(t *testing.T, q question, want bool) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, append([]string{"can-i"}, q.kcurl...)...)
		wantOut, wantCode := map[bool]string{true: "yes\n", false: "no\n"}[want], map[bool]int{true: 0, false: 1}[want]
		is.Equal(string(r.stdout), wantOut) // kcurl's answer
		is.Equal(r.code, wantCode)          // 0 for yes, 1 for no
		is.Equal(string(r.stderr), "")      // no error line for a no
		kargs := q.kubectl
		if kargs == nil {
			kargs = q.kcurl
		}
		if k := asKubectl(t, kargs...); k.code != -1 {
			is.Equal(string(k.stdout), wantOut) // kubectl auth can-i says the same
			is.Equal(k.code, wantCode)          // with the same exit code
		}
	}
	for _, q := range questions {
		t.Run("before the RoleBinding: "+q.name, func(t *testing.T) { ask(t, q, q.before) })
	}
	grant(t, ns, "asker", "asker",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		harness.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"settings"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
	)
	for _, q := range questions {
		t.Run("after the RoleBinding: "+q.name, func(t *testing.T) { ask(t, q, q.after) })
	}

	t.Run("--all lists the rules granted", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "can-i", "--all")
		is.Equal(r.code, 0)
		is.Equal(string(r.stderr), "")
		lines := strings.Split(strings.TrimSuffix(string(r.stdout), "\n"), "\n")
		is.Equal(columns(lines[0]), []string{"Resources", "Non-Resource URLs", "Resource Names", "Verbs"}) // the header
		for _, want := range [][]string{
			{"pods", "[]", "[]", "[get list]"},
			{"pods/log", "[]", "[]", "[get]"},
			{"deployments.apps", "[]", "[]", "[create]"},
			{"secrets", "[]", "[settings]", "[get]"},
			{"configmaps", "[]", "[]", "[get list]"},
			{"[/healthz /livez /readyz /version /version/]", "[]", "[get]"}, // system:public-info-viewer
		} {
			found := slices.ContainsFunc(lines, func(l string) bool { return slices.Equal(columns(l), want) })
			if !found {
				t.Errorf("can-i --all has no line %q:\n%s", strings.Join(want, "   "), r.stdout)
			}
		}
		is.True(regexp.MustCompile(`(?m)^configmaps {3,}\[\] {3,}\[\] {3,}\[get list\]$`).Match(r.stdout)) // columns three spaces apart at least, as kubectl
		k := asKubectl(t, "--list")
		if k.code == -1 {
			return
		}
		is.Equal(k.code, 0)
		// kubectl orders rules its own way and gives each non-resource URL a row of its own; compare the sets of
		// rows, each split into its columns, with kcurl's non-resource URL lists split the same way.
		rows := func(out []byte) []string {
			var rs []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				cols := columns(l)
				if !strings.HasPrefix(l, " ") {
					rs = append(rs, strings.Join(cols, " | "))
					continue
				}
				for _, u := range strings.Fields(strings.Trim(cols[0], "[]")) {
					rs = append(rs, "["+u+"] | "+strings.Join(cols[1:], " | "))
				}
			}
			slices.Sort(rs)
			return slices.Compact(rs)
		}
		is.Equal(rows(r.stdout), rows(k.stdout)) // the same rows as kubectl auth can-i --list
	})

	t.Run("can-i with an unreachable server exits 7, not a no", func(t *testing.T) {
		is := is.New(t)
		port, err := harness.FreePort()
		is.NoErr(err)
		r := kcurl(t, p.saDir.Dir, "can-i", "-sS", "list", "pods", "--server", "https://127.0.0.1:"+strconv.Itoa(port))
		is.Equal(r.code, 7)        // curl's code, not 1
		is.Equal(len(r.stdout), 0) // no answer printed
	})
}

// TestNativeErrors checks the error lines built from the API server's Status bodies, and the 401 hints kcurl adds
// from what it knows locally.
func TestNativeErrors(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "erring")
	noToken, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{CACert: c.PKI.CA.CertPEM, Namespace: ns})
	is.New(t).NoErr(err) // a folder without a token
	expiredToken, err := c.ExpireToken(p.token, 10*time.Minute)
	is.New(t).NoErr(err) // the token, re-signed as expired ten minutes ago
	expiredDir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: expiredToken, CACert: c.PKI.CA.CertPEM, Namespace: ns})
	is.New(t).NoErr(err)
	secrets := "/api/v1/namespaces/" + ns + "/secrets"
	forbidden := `secrets is forbidden: User "system:serviceaccount:` + ns + `:erring" cannot list resource "secrets" in API group "" in the namespace "` + ns + `"`

	// The server's own message, read without -f, is what the error line must quote.
	plain := kcurl(t, p.saDir.Dir, "-s", secrets)
	serverStatus := decodeStatus(t, plain.stdout)
	is.New(t).Equal(serverStatus.Message, forbidden) // the API server's words

	tests := []struct {
		name       string
		saDir      string
		args       []string
		wantExit   int
		wantStderr string         // exact, when wantMatch is nil
		wantMatch  *regexp.Regexp // the stderr, when the line holds a time
		wantBody   bool           // the Status body on stdout
	}{
		{
			name:       "403 with -sSf quotes the Status",
			saDir:      p.saDir.Dir,
			args:       []string{"-sSf", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 403 Forbidden: " + serverStatus.Message + "\n",
		},
		{
			name:       "403 with --fail-with-body also writes the Status",
			saDir:      p.saDir.Dir,
			args:       []string{"-sS", "--fail-with-body", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 403 Forbidden: " + forbidden + "\n",
			wantBody:   true,
		},
		{
			name:       "403 with -sS and no -f writes the body and a note",
			saDir:      p.saDir.Dir,
			args:       []string{"-sS", secrets},
			wantStderr: "kcurl: 403 Forbidden: " + forbidden + "\n",
			wantBody:   true,
		},
		{
			name:     "403 with -sf says nothing",
			saDir:    p.saDir.Dir,
			args:     []string{"-sf", secrets},
			wantExit: 22,
		},
		{
			name:       "401 without a token says none was sent and why",
			saDir:      noToken.Dir,
			args:       []string{"-sSf", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 401 Unauthorized (no token sent: " + filepath.Join(noToken.Dir, "token") + " does not exist)\n",
		},
		{
			name:     "401 with an expired token says when it expired",
			saDir:    expiredDir.Dir,
			args:     []string{"-sSf", secrets},
			wantExit: 22,
			wantMatch: regexp.MustCompile(`^kcurl: \(22\) 401 Unauthorized \(the token from ` + regexp.QuoteMeta(filepath.Join(expiredDir.Dir, "token")) +
				` expired at ` + regexp.QuoteMeta(rfc3339(decodeJWT(t, expiredToken).Expiry)) + `, 10m\d+s ago\)\n$`),
		},
		{
			name:       "401 with --fail-with-body writes the Unauthorized Status",
			saDir:      noToken.Dir,
			args:       []string{"-sS", "--fail-with-body", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 401 Unauthorized (no token sent: " + filepath.Join(noToken.Dir, "token") + " does not exist)\n",
			wantBody:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, tt.saDir, tt.args...)
			is.Equal(r.code, tt.wantExit) // kcurl's exit code
			if tt.wantMatch != nil {
				is.True(tt.wantMatch.Match(r.stderr)) // the error line with its hint
			} else {
				is.Equal(string(r.stderr), tt.wantStderr) // the error line, exactly
			}
			if !tt.wantBody {
				is.Equal(len(r.stdout), 0) // -f writes no body
				return
			}
			s := decodeStatus(t, r.stdout)
			is.Equal(s.Kind, "Status")                                      // the body is the server's Status
			is.True(strings.Contains(string(r.stderr), fmt.Sprint(s.Code))) // whose code the line gives
		})
	}
}
