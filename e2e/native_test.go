package e2e

import (
	"encoding/json"
	"fmt"
	"os"
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

// TestNativePretty shows --pretty indents exactly as the API server itself does for curl's User-Agent: the same
// bytes as curl, for one ConfigMap (a list's resourceVersion moves between two requests).
func TestNativePretty(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "printer")
	grant(t, ns, "printer", "reader", configMapRules)
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, "pretty", map[string]string{
		"greeting": "hello", "unicode": "é ✓", "escapes": "tab\there \"quoted\" back\\slash", "empty": "",
	})) // values that test strings, escapes and non-ASCII text
	path := "/api/v1/namespaces/" + ns + "/configmaps/pretty"
	curl := peer(t, "curl")
	want := runPeer(t, curl, "-s", "--cacert", c.PKI.CAFile, "-H", "Authorization: Bearer "+p.token, c.URL+path)
	is.New(t).Equal(want.code, 0)                                           // curl succeeded
	is.New(t).True(strings.HasPrefix(string(want.stdout), "{\n  \"kind\"")) // the API server pretty-printed for curl

	is.New(t).True(!strings.HasSuffix(string(want.stdout), "\n")) // the server's indented JSON has no final newline

	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			// The compact answer ends in a newline, which --pretty keeps, as json.Indent keeps trailing space: the
			// only byte in which --pretty differs from the API server's own indentation.
			name: "--pretty indents kcurl's compact answer as the API server indents for curl",
			args: []string{"-s", "--pretty", path},
			want: string(want.stdout) + "\n",
		},
		{
			name: "--no-pretty with curl's User-Agent keeps the server's own indentation",
			args: []string{"-s", "--no-pretty", "-A", curlUserAgent(t, curl), path},
			want: string(want.stdout),
		},
		{
			name: "--pretty on the server's indented answer changes nothing",
			args: []string{"-s", "--pretty", "-A", curlUserAgent(t, curl), path},
			want: string(want.stdout),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, p.saDir.Dir, tt.args...)
			is.Equal(r.code, 0)
			is.Equal(string(r.stdout), tt.want) // byte for byte
		})
	}
	t.Run("without --pretty, off a terminal, kcurl writes the compact bytes it got", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "-s", path)
		is.Equal(r.code, 0)
		is.Equal(strings.Count(string(r.stdout), "\n"), 1) // one line
		var got, pretty any
		is.NoErr(json.Unmarshal(r.stdout, &got))
		is.NoErr(json.Unmarshal(want.stdout, &pretty))
		is.Equal(got, pretty) // the same document
	})
}

// watchLine is one watch event line, as far as the tests look.
type watchLine struct {
	Type   string `json:"type"`
	Object struct {
		Kind     string `json:"kind"`
		Code     int    `json:"code"`
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	} `json:"object"`
}

func parseWatchLine(t *testing.T, line string) watchLine {
	t.Helper()
	var ev watchLine
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("a watch line that is not one JSON event: %q: %v", line, err)
	}
	return ev
}

// TestNativeWatchReconnect lets the API server end a watch every 2 s (timeoutSeconds=2): kcurl --watch-reconnect
// resumes from the last resourceVersion, so an object created after the first ending still streams out, and none
// is sent twice; -m ends the run with 28. A watch from a compacted resourceVersion is 410, which ends it for good.
func TestNativeWatchReconnect(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)

	t.Run("resumes after the server ends the watch, each event once", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		ns := newNamespace(t)
		p := newPod(t, ns, "watcher")
		grant(t, ns, "watcher", "watcher", configMapRules)
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "before", nil)) // listed first: proves the watch is registered
		const maxTime = 8
		start := time.Now()
		k := startKcurl(t.Context(), t, p.saDir.Dir, "-sSv", "--watch-reconnect", "-m", strconv.Itoa(maxTime),
			"/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=2")
		var events []watchLine
		nextEvent := func(name string) watchLine {
			t.Helper()
			for {
				ev := parseWatchLine(t, k.next(t, 10*time.Second))
				events = append(events, ev)
				if ev.Type != "BOOKMARK" && ev.Object.Metadata.Name == name {
					return ev
				}
			}
		}
		is.Equal(nextEvent("before").Type, "ADDED") // the existing object
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "a", nil))
		a := nextEvent("a")
		is.Equal(a.Type, "ADDED") // created while the first watch runs
		ended := `* watch ended (the server ended it); reconnecting from resourceVersion "`
		waitFor(t, 10*time.Second, "kcurl says the first watch ended", func() bool { return strings.Contains(k.stderr.String(), ended) })
		// The next watch starts from a's resourceVersion (or a later bookmark's), not from the beginning.
		resumed := regexp.MustCompile(`(?m)^> GET /api/v1/namespaces/` + ns + `/configmaps\?\S*resourceVersion=(\d+)`)
		waitFor(t, 10*time.Second, "kcurl sends the resumed request", func() bool { return resumed.MatchString(k.stderr.String()) })
		rv, _ := strconv.Atoi(resumed.FindStringSubmatch(k.stderr.String())[1])
		aRV, _ := strconv.Atoi(a.Object.Metadata.ResourceVersion)
		is.True(rv >= aRV) // resumed at or after the last event seen
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "b", nil))
		is.Equal(nextEvent("b").Type, "ADDED") // an object created after the reconnect streams out too

		rest, code := k.rest(t)
		for _, line := range rest {
			events = append(events, parseWatchLine(t, line))
		}
		elapsed := time.Since(start)
		seen := map[string]int{}
		for _, ev := range events {
			is.True(ev.Type != "ERROR") // no error event
			if ev.Type != "BOOKMARK" {
				seen[ev.Type+" "+ev.Object.Metadata.Name]++
			}
		}
		is.Equal(seen, map[string]int{"ADDED before": 1, "ADDED a": 1, "ADDED b": 1}) // each event exactly once, across the reconnects
		is.Equal(code, 28)                                                            // -m ends the run: curl's timeout code
		is.True(elapsed < maxTime*time.Second+5*time.Second)                          // and in time
		is.True(strings.Count(k.stderr.String(), ended) >= 2)                         // the server ended the watch more than once
		stderr := k.stderr.String()
		lastLine := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		is.True(strings.HasPrefix(lastLine, "kcurl: (28) Operation timed out after ")) // the last line says why it stopped
	})

	t.Run("a compacted resourceVersion is 410", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		// The shared cluster's watch cache keeps its own history and serves a watch from a resourceVersion etcd has
		// compacted away (it answers with ADDED events, not 410). A cluster of its own without the watch cache sends
		// watches to etcd, which refuses a compacted revision, as a real cluster does once the cache has moved on.
		c, err := harness.Start(t.Context(), harness.Options{Binaries: suite.bins, Dir: t.TempDir(),
			ExtraAPIServerFlags: []string{"--watch-cache=false"}})
		if err != nil {
			t.Fatalf("starting a cluster without the watch cache: %v", err)
		}
		t.Cleanup(c.Stop)
		const ns = "compacted"
		is.NoErr(c.CreateNamespace(t.Context(), ns))
		is.NoErr(c.CreateServiceAccount(t.Context(), ns, "watcher"))
		is.NoErr(c.Grant(t.Context(), ns, "watcher", "watcher", configMapRules))
		token, err := c.RequestToken(t.Context(), ns, "watcher", harness.TokenOptions{})
		is.NoErr(err)
		saDir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
			harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: ns})
		is.NoErr(err)
		code, body, err := c.Do(t.Context(), "GET", "/api/v1/namespaces/"+ns+"/configmaps", "", nil)
		is.NoErr(err)
		is.Equal(code, 200)
		var list struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		is.NoErr(json.Unmarshal(body, &list))
		old := list.Metadata.ResourceVersion
		for _, name := range []string{"later-1", "later-2"} {
			is.NoErr(c.CreateConfigMap(t.Context(), ns, name, nil)) // writes after the old resourceVersion
		}
		_, err = c.CompactEtcd(t.Context())
		is.NoErr(err) // compacting etcd's history past the old resourceVersion
		watch := "/api/v1/namespaces/" + ns + "/configmaps?resourceVersion=" + old
		code, body, err = c.Do(t.Context(), "GET", watch+"&watch=1&timeoutSeconds=1", "", nil)
		is.NoErr(err)
		t.Logf("the admin's watch from resourceVersion %s: %d %s", old, code, body)

		gone := "watch: resourceVersion " + old + " is gone (410): list again, then watch from the list's resourceVersion"
		tests := []struct {
			name       string
			args       []string
			wantExit   int
			wantStderr string
		}{
			{name: "--watch-reconnect -f exits 22 and says so", args: []string{"-sSf", "--watch-reconnect", "-m", "20"}, wantExit: 22, wantStderr: "kcurl: (22) " + gone + "\n"},
			{name: "--watch-reconnect without -f warns and exits 0", args: []string{"--no-progress-meter", "--watch-reconnect", "-m", "20"}, wantStderr: "kcurl: warning: " + gone + "\n"},
			{name: "--watch -f", args: []string{"-sSf", "--watch", "-m", "20"}, wantExit: 22, wantStderr: "kcurl: (22) " + gone + "\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				is := is.New(t)
				start := time.Now()
				r := runCommand(t, kcurlCommandAt(t.Context(), t, c.Host, c.Port, saDir.Dir, append(tt.args, watch)...))
				is.Equal(r.code, tt.wantExit)               // kcurl's exit code
				is.Equal(string(r.stderr), tt.wantStderr)   // says the version is gone, and what to do
				is.True(time.Since(start) < 10*time.Second) // at once: a 410 is not retried until -m
			})
		}
	})
}

// TestNativeAllPages merges a List paged two items at a time into one List, the same items as one unpaged list.
func TestNativeAllPages(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "pager")
	grant(t, ns, "pager", "reader", configMapRules)
	names := []string{"cm-1", "cm-2", "cm-3", "cm-4", "cm-5"}
	for i, name := range names {
		is.NoErr(c.CreateConfigMap(t.Context(), ns, name, map[string]string{"n": strconv.Itoa(i)}))
	}
	list := "/api/v1/namespaces/" + ns + "/configmaps"

	r := kcurl(t, p.saDir.Dir, "-sSv", "--all-pages", list+"?limit=2")
	is.Equal(r.code, 0)
	for _, page := range []string{"* page 1: 2 items\n", "* page 2: 2 items\n", "* page 3: 1 items\n"} {
		is.True(strings.Contains(string(r.stderr), page)) // three requests of two items at most
	}
	is.Equal(strings.Count(string(r.stdout), "\n"), 1) // one document, one line
	var merged struct {
		Kind       string            `json:"kind"`
		APIVersion string            `json:"apiVersion"`
		Metadata   map[string]any    `json:"metadata"`
		Items      []json.RawMessage `json:"items"`
	}
	is.NoErr(json.Unmarshal(r.stdout, &merged)) // the merged List is one JSON document
	is.Equal(merged.Kind, "ConfigMapList")
	is.Equal(merged.APIVersion, "v1")
	_, hasContinue := merged.Metadata["continue"]
	is.True(!hasContinue) // no continue token: the list is whole
	_, hasRV := merged.Metadata["resourceVersion"]
	is.True(hasRV) // the first page's resourceVersion

	itemNames := func(items []json.RawMessage) []string {
		var out []string
		for _, it := range items {
			var cm configMap
			is.NoErr(json.Unmarshal(it, &cm))
			out = append(out, cm.Metadata.Name)
		}
		return out
	}
	is.Equal(itemNames(merged.Items), names) // the five, in order

	kubectl, kubeconfig := adminKubectl(t)
	if kubectl == "" {
		return
	}
	k := runPeer(t, kubectl, "--kubeconfig", kubeconfig, "get", "--raw", list)
	is.Equal(k.code, 0)
	var whole struct {
		Items []json.RawMessage `json:"items"`
	}
	is.NoErr(json.Unmarshal(k.stdout, &whole))
	is.Equal(itemNames(merged.Items), itemNames(whole.Items)) // the same names as kubectl get --raw of the whole list
	for i := range whole.Items {
		var got, want any
		is.NoErr(json.Unmarshal(merged.Items[i], &got))
		is.NoErr(json.Unmarshal(whole.Items[i], &want))
		is.Equal(got, want) // and the same objects, field for field
	}
}

// TestNativeTable prints the server-side Table as kubectl get does; the NAME and DATA columns must be kubectl's
// (AGE may differ by a second between the two runs).
func TestNativeTable(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "tabler")
	grant(t, ns, "tabler", "reader", configMapRules,
		harness.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings"}, Verbs: []string{"list"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}})
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "app-config", map[string]string{"a": "1", "b": "2"}))
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "empty", nil))
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "one-key-with-a-long-name", map[string]string{"k": "v"}))
	kubectl, kubeconfig := adminKubectl(t)

	lines := func(out []byte) []string { return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") }
	firstTwo := func(ls []string) [][]string {
		var out [][]string
		for _, l := range ls {
			f := strings.Fields(l)
			out = append(out, f[:2])
		}
		return out
	}

	t.Run("--table", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "-sS", "--table", "/api/v1/namespaces/"+ns+"/configmaps")
		is.Equal(r.code, 0)
		is.Equal(string(r.stderr), "")
		got := lines(r.stdout)
		is.True(regexp.MustCompile(`^NAME {3,}DATA   AGE$`).MatchString(got[0])) // kubectl's header, three spaces apart
		is.Equal(firstTwo(got), [][]string{{"NAME", "DATA"}, {"app-config", "2"}, {"empty", "0"}, {"one-key-with-a-long-name", "1"}})
		for _, l := range got[1:] {
			is.True(regexp.MustCompile(`^\S+ {3,}\d {6}\d+s$`).MatchString(l)) // aligned: DATA under DATA, AGE in seconds
		}
		if kubectl == "" {
			return
		}
		k := runPeer(t, kubectl, "--kubeconfig", kubeconfig, "get", "configmaps", "-n", ns)
		is.Equal(k.code, 0)
		want := lines(k.stdout)
		is.Equal(len(got), len(want))           // as many rows as kubectl
		is.Equal(firstTwo(got), firstTwo(want)) // NAME and DATA as kubectl prints them
		for i := range got {
			nameCol := len(regexp.MustCompile(`^\S+ +`).FindString(want[i]))
			is.Equal(got[i][:nameCol], want[i][:nameCol]) // the NAME column padded to kubectl's width
		}
	})

	t.Run("--table=wide adds the wide columns", func(t *testing.T) {
		is := is.New(t)
		path := "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings"
		narrow := kcurl(t, p.saDir.Dir, "-sS", "--table", path)
		wide := kcurl(t, p.saDir.Dir, "-sS", "--table=wide", path)
		is.Equal(narrow.code, 0)
		is.Equal(wide.code, 0)
		narrowHead, wideHead := strings.Fields(lines(narrow.stdout)[0]), strings.Fields(lines(wide.stdout)[0])
		is.Equal(narrowHead, []string{"NAME", "ROLE", "AGE"})
		is.Equal(wideHead, []string{"NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"}) // a superset of the narrow header
		row := strings.Fields(lines(wide.stdout)[1])
		is.Equal(row[0], "reader")
		is.Equal(row[1], "Role/reader")
		is.Equal(row[len(row)-1], ns+"/tabler") // the wide SERVICEACCOUNTS column
		if kubectl == "" {
			return
		}
		k := runPeer(t, kubectl, "--kubeconfig", kubeconfig, "get", "rolebindings", "-o", "wide", "-n", ns)
		is.Equal(k.code, 0)
		is.Equal(strings.Fields(lines(k.stdout)[0]), wideHead) // kubectl -o wide's header
		kRow := strings.Fields(lines(k.stdout)[1])
		is.Equal(append(row[:2:2], row[3:]...), append(kRow[:2:2], kRow[3:]...)) // the same cells but AGE
	})

	t.Run("an empty list says so on stderr, as kubectl", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "--no-progress-meter", "--table", "/api/v1/namespaces/"+ns+"/pods")
		is.Equal(r.code, 0)
		is.Equal(len(r.stdout), 0)
		is.Equal(string(r.stderr), "No resources found.\n")
	})
}

// TestNativeCompletion checks each completion script with its shell's own parser, and that the bash one completes.
func TestNativeCompletion(t *testing.T) {
	t.Parallel()
	needKcurl(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			is := is.New(t)
			path := peer(t, shell)
			r := kcurl(t, t.TempDir(), "completion", shell)
			is.Equal(r.code, 0)
			is.Equal(string(r.stderr), "")
			script := filepath.Join(t.TempDir(), "kcurl."+shell)
			is.NoErr(writeFile(script, r.stdout))
			check := runPeer(t, path, "-n", script)
			is.Equal(check.code, 0)            // the shell parses it
			is.Equal(string(check.stderr), "") // without a complaint
			if shell != "bash" {
				return
			}
			complete := func(words ...string) string {
				cmd := fmt.Sprintf(`source %q; COMP_WORDS=(%s); COMP_CWORD=%d; _kcurl; echo "${COMPREPLY[*]}"`,
					script, strings.Join(words, " "), len(words)-1)
				out := runPeer(t, path, "-c", cmd)
				is.Equal(out.code, 0)
				return strings.TrimSuffix(string(out.stdout), "\n")
			}
			is.Equal(complete("kcurl", "wh"), "whoami")                         // a subcommand
			is.Equal(complete("kcurl", "--watch"), "--watch --watch-reconnect") // flags
			is.Equal(complete("kcurl", "-s", "--all-p"), "--all-pages")         // after another flag
			registered := runPeer(t, path, "-c", fmt.Sprintf("source %q; complete -p kcurl", script))
			is.Equal(string(registered.stdout), "complete -o default -F _kcurl kcurl\n") // registered for kcurl
		})
	}
}

// TestNativeTranscripts runs the README's examples against the real API server and checks what each shows; with
// KCURL_E2E_TRANSCRIPTS=FILE it writes them there, as a person would see them, for pasting into the README. The
// service-account folder is a temporary one: its path is shown as the pod's, /var/run/secrets/kubernetes.io/serviceaccount.
func TestNativeTranscripts(t *testing.T) {
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := "demo"
	if err := c.CreateNamespace(t.Context(), ns); err != nil {
		ns = newNamespace(t) // demo exists already (-count=2): take a fresh one
	}
	p := newPod(t, ns, "demo")
	noToken, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{CACert: c.PKI.CA.CertPEM, Namespace: ns})
	is.NoErr(err)
	podDir := "/var/run/secrets/kubernetes.io/serviceaccount"
	var transcript strings.Builder
	show := func(saDir, shown string, r result, keep func(string) string) {
		out := string(r.stdout)
		if keep != nil {
			out = keep(out)
		}
		text := "$ " + shown + "\n" + out + string(r.stderr)
		if r.code != 0 {
			text += "$ echo $?\n" + strconv.Itoa(r.code) + "\n"
		}
		text = strings.ReplaceAll(text, saDir, podDir)
		transcript.WriteString(text + "\n")
		is.True(!strings.Contains(text, p.token)) // no token in what a README shows
	}
	run := func(saDir string, args ...string) result { return kcurl(t, saDir, args...) }
	head := func(n int) func(string) string {
		return func(s string) string {
			lines := strings.SplitAfter(s, "\n")
			if len(lines) <= n {
				return s
			}
			return strings.Join(lines[:n], "") + "…\n"
		}
	}

	r := run(p.saDir.Dir, "-sSf", "/api/v1/namespaces/"+ns+"/secrets")
	is.Equal(r.code, 22)
	show(p.saDir.Dir, "kcurl -sSf /api/v1/namespaces/"+ns+"/secrets", r, nil)
	r = run(noToken.Dir, "-sSf", "/api/v1/namespaces/"+ns+"/pods")
	is.Equal(r.code, 22)
	show(noToken.Dir, "kcurl -sSf /api/v1/namespaces/"+ns+"/pods        # no token mounted", r, nil)
	r = run(p.saDir.Dir, "can-i", "list", "pods")
	is.Equal(r.code, 1)
	show(p.saDir.Dir, "kcurl can-i list pods", r, nil)

	grant(t, ns, "demo", "demo",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}})
	for i, name := range []string{"app-config", "feature-flags", "nginx-conf", "ports", "settings"} {
		data := map[string]string{}
		for j := 0; j <= i%3; j++ {
			data["key-"+strconv.Itoa(j)] = "value-" + strconv.Itoa(j)
		}
		is.NoErr(c.CreateConfigMap(t.Context(), ns, name, data))
	}

	r = run(p.saDir.Dir, "can-i", "list", "pods")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl can-i list pods", r, nil)
	r = run(p.saDir.Dir, "can-i", "--all")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl can-i --all", r, nil)
	r = run(p.saDir.Dir, "whoami")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl whoami", r, nil)
	r = run(p.saDir.Dir, "--table", "/api/v1/namespaces/{namespace}/configmaps")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl --table /api/v1/namespaces/{namespace}/configmaps", r, nil)
	// Piped, stdout is no terminal: -s keeps curl's progress meter off stderr, as with curl.
	r = run(p.saDir.Dir, "-s", "--pretty", "/api/v1/namespaces/"+ns+"/configmaps/app-config")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl -s --pretty /api/v1/namespaces/"+ns+"/configmaps/app-config | head -10", r, head(10))
	r = run(p.saDir.Dir, "-sS", "--all-pages", "--pretty", "/api/v1/namespaces/"+ns+"/configmaps?limit=2")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl -sS --all-pages --pretty '/api/v1/namespaces/"+ns+"/configmaps?limit=2' | head -12", r, head(12))
	r = run(p.saDir.Dir, "-sv", "--all-pages", "-o", "/dev/null", "/api/v1/namespaces/"+ns+"/configmaps?limit=2")
	is.Equal(r.code, 0)
	var pages []string
	for _, l := range strings.SplitAfter(string(r.stderr), "\n") {
		if strings.HasPrefix(l, "* page ") {
			pages = append(pages, l)
		}
	}
	is.Equal(len(pages), 3) // 2 + 2 + 1
	show(p.saDir.Dir, "kcurl -sv --all-pages -o /dev/null '/api/v1/namespaces/"+ns+"/configmaps?limit=2' 2>&1 | grep '^\\* page'",
		result{stdout: []byte(strings.Join(pages, ""))}, nil)

	k := startKcurl(t.Context(), t, p.saDir.Dir, "-s", "--watch", "/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=3&fieldSelector=metadata.name%3Dnew-one")
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "new-one", map[string]string{"hello": "world"}))
	line := k.next(t, 10*time.Second)
	rest, code := k.rest(t)
	is.Equal(code, 0)
	is.Equal(parseWatchLine(t, line).Object.Metadata.Name, "new-one")
	show(p.saDir.Dir, "kcurl -s --watch '/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=3&fieldSelector=metadata.name%3Dnew-one'   # while an admin creates it",
		result{stdout: []byte(line + "\n" + strings.Join(rest, "\n"))}, nil)

	if file := os.Getenv("KCURL_E2E_TRANSCRIPTS"); file != "" {
		is.NoErr(os.WriteFile(file, []byte(transcript.String()), 0o644)) // writing the transcripts
	}
	t.Logf("transcripts:\n%s", transcript.String())
}
