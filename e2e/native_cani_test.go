package e2e

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

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
