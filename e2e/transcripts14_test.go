package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestKube14Transcripts runs the README's examples for kcurl wait, YAML and impersonation against the real API
// server; KCURL_E2E_TRANSCRIPTS14=FILE writes them out.
func TestKube14Transcripts(t *testing.T) {
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := "demo14"
	if err := c.CreateNamespace(t.Context(), ns); err != nil {
		ns = newNamespace(t) // it exists already (-count=2): take a fresh one
	}
	p := newPod(t, ns, "demo")
	grant(t, ns, "demo", "demo", waitRules...)
	grant(t, ns, "demo", "demo-yaml", harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update", "patch"}})
	podDir := "/var/run/secrets/kubernetes.io/serviceaccount"
	var transcript strings.Builder
	show := func(shown string, r result, keep func(string) string) {
		out := string(r.stderr) + string(r.stdout) // as 2>&1 shows them: kcurl writes its result last
		if keep != nil {
			out = keep(out)
		}
		text := "$ " + shown + "\n" + out
		if r.code != 0 {
			text += "$ echo $?\n" + strconv.Itoa(r.code) + "\n"
		}
		transcript.WriteString(strings.ReplaceAll(text, p.saDir.Dir, podDir) + "\n")
		is.True(!strings.Contains(text, p.token)) // no token in what a README shows
	}
	grep := func(prefixes ...string) func(string) string {
		return func(s string) string {
			var keep []string
			for _, l := range strings.SplitAfter(s, "\n") {
				for _, p := range prefixes {
					if strings.HasPrefix(l, p) {
						keep = append(keep, l)
						break
					}
				}
			}
			return strings.Join(keep, "")
		}
	}

	createPod(t, ns, "web-0", "demo", map[string]string{"app": "web"})
	setReady(t, ns, "web-0", "False")
	go func() {
		time.Sleep(1500 * time.Millisecond)
		code, _, _ := c.Do(context.Background(), http.MethodPatch, "/api/v1/namespaces/"+ns+"/pods/web-0/status", "application/merge-patch+json",
			[]byte(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`))
		if code != http.StatusOK {
			t.Errorf("setting web-0 Ready: %d", code)
		}
	}()
	r := kcurl(t, p.saDir.Dir, "wait", "-v", "--for=condition=Ready", "/api/v1/namespaces/{namespace}/pods/web-0")
	is.Equal(r.code, 0)
	show("kcurl wait -v --for=condition=Ready /api/v1/namespaces/{namespace}/pods/web-0 2>&1 | grep -E '^(\\* (GET|ADDED|MODIFIED|DELETED)|> GET|pod/)'", r,
		grep("* GET ", "* MODIFIED", "* ADDED", "* DELETED", "> GET", "pod/"))

	createPod(t, ns, "web-1", "demo", map[string]string{"app": "web"})
	setReady(t, ns, "web-1", "False")
	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Ready", "--timeout=2s", "/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dweb")
	is.Equal(r.code, 28)
	show("kcurl wait --for=condition=Ready --timeout=2s '/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dweb'", r, nil)

	is.NoErr(c.CreateConfigMap(t.Context(), ns, "doomed", nil))
	go func() {
		time.Sleep(time.Second)
		c.Do(context.Background(), http.MethodDelete, "/api/v1/namespaces/"+ns+"/configmaps/doomed", "", nil)
	}()
	r = kcurl(t, p.saDir.Dir, "wait", "--for=delete", "/api/v1/namespaces/{namespace}/configmaps/doomed")
	is.Equal(r.code, 0)
	show("kcurl wait --for=delete /api/v1/namespaces/{namespace}/configmaps/doomed", r, nil)

	r = kcurl(t, p.saDir.Dir, "wait", "--for=jsonpath={.status.phase}=Running", "--timeout=0", "/api/v1/namespaces/{namespace}/pods/web-0")
	is.Equal(r.code, 28)
	show("kcurl wait --for=jsonpath='{.status.phase}'=Running --timeout=0 /api/v1/namespaces/{namespace}/pods/web-0", r, nil)

	dir := t.TempDir()
	cmFile := filepath.Join(dir, "cm.yaml")
	is.NoErr(os.WriteFile(cmFile, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n"), 0o644))
	transcript.WriteString("$ cat cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n\n")
	r = kcurl(t, p.saDir.Dir, "-sS", "-o", "/dev/null", "-w", "%{http_code}\n", "--data-binary", "@"+cmFile, "/api/v1/namespaces/{namespace}/configmaps")
	is.Equal(string(r.stdout), "201\n")
	show("kcurl -sS -o /dev/null -w '%{http_code}\\n' --data-binary @cm.yaml /api/v1/namespaces/{namespace}/configmaps", r, nil)
	is.NoErr(os.WriteFile(cmFile, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: safe\n"), 0o644))
	transcript.WriteString("$ sed -i 's/fast/safe/' cm.yaml\n\n")
	r = kcurl(t, p.saDir.Dir, "-sSv", "-o", "/dev/null", "-X", "PATCH", "--data-binary", "@"+cmFile, "/api/v1/namespaces/{namespace}/configmaps/settings")
	is.Equal(r.code, 0)
	show("kcurl -sSv -o /dev/null -X PATCH --data-binary @cm.yaml /api/v1/namespaces/{namespace}/configmaps/settings 2>&1 | grep -E '^(> (PATCH|content-type)|< HTTP)'", r,
		grep("> PATCH", "> content-type", "< HTTP"))
	r = kcurl(t, p.saDir.Dir, "-sSf", "-o", "/dev/null", "-X", "PATCH", "--data-binary", "@"+cmFile, "/api/v1/namespaces/{namespace}/configmaps/settings")
	is.Equal(r.code, 22)
	show("kcurl -sSf -o /dev/null -X PATCH --data-binary @cm.yaml /api/v1/namespaces/{namespace}/configmaps/settings", r, nil)
	r = kcurl(t, p.saDir.Dir, "-sSf", "-o", "/dev/null", "-w", "%{http_code}\n", "-X", "PATCH", "--data-binary", "@"+cmFile, "/api/v1/namespaces/{namespace}/configmaps/settings?force=true")
	is.Equal(r.code, 0)
	show("kcurl -sSf -o /dev/null -w '%{http_code}\\n' -X PATCH --data-binary @cm.yaml '/api/v1/namespaces/{namespace}/configmaps/settings?force=true'", r, nil)
	r = kcurl(t, p.saDir.Dir, "-sS", "--yaml", "/api/v1/namespaces/{namespace}/configmaps/settings")
	is.Equal(r.code, 0)
	show("kcurl -sS --yaml /api/v1/namespaces/{namespace}/configmaps/settings | head -4", r, func(s string) string {
		lines := strings.SplitAfter(s, "\n")
		return strings.Join(lines[:min(4, len(lines))], "")
	})

	r = kcurl(t, p.saDir.Dir, "-sS", "--jsonpath", `{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}`, "/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dweb")
	is.Equal(r.code, 0)
	show(`kcurl -sS --jsonpath '{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}' '/api/v1/namespaces/{namespace}/pods?labelSelector=app%3Dweb'`, r, nil)
	r = kcurl(t, p.saDir.Dir, "-sS", "--jsonpath", `{.data.mode}{"\n"}`, "/api/v1/namespaces/{namespace}/configmaps/settings")
	is.Equal(r.code, 0)
	show(`kcurl -sS --jsonpath '{.data.mode}{"\n"}' /api/v1/namespaces/{namespace}/configmaps/settings`, r, nil)
	r = kcurl(t, p.saDir.Dir, "-sS", "--jsonpath", `{.data.missing}`, "--jsonpath-fail-empty", "/api/v1/namespaces/{namespace}/configmaps/settings")
	is.Equal(r.code, 22)
	show("kcurl -sS --jsonpath '{.data.missing}' --jsonpath-fail-empty /api/v1/namespaces/{namespace}/configmaps/settings      # an exec probe on a field", r, nil)

	minion := newPod(t, ns, "minion")
	role := "impersonator-" + ns
	admin(t, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterroles", "application/json",
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"`+role+`"},"rules":[{"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}]}`, http.StatusCreated)
	admin(t, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "application/json",
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"`+role+`"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"`+role+`"},"subjects":[{"kind":"ServiceAccount","name":"demo","namespace":"`+ns+`"}]}`, http.StatusCreated)
	waitFor(t, 10*time.Second, "demo may impersonate users", func() bool {
		ok, err := allowedIn(t.Context(), c, "", ns, "demo", "impersonate", "users")
		return err == nil && ok
	})
	r = kcurl(t, p.saDir.Dir, "whoami", "--as", "alice", "--as-group", "devs")
	is.Equal(r.code, 0)
	show("kcurl whoami --as alice --as-group devs | head -5", r, func(s string) string {
		lines := strings.SplitAfter(s, "\n")
		return strings.Join(lines[:min(5, len(lines))], "")
	})
	r = kcurl(t, p.saDir.Dir, "-sSf", "--as", "alice", "/api/v1/namespaces/{namespace}/configmaps")
	is.Equal(r.code, 22)
	show("kcurl -sSf --as alice /api/v1/namespaces/{namespace}/configmaps", r, nil)
	r = kcurl(t, minion.saDir.Dir, "-sSf", "--as", "alice", "/api/v1/namespaces/{namespace}/configmaps")
	is.Equal(r.code, 22)
	show("kcurl -sSf --as alice /api/v1/namespaces/{namespace}/configmaps      # a ServiceAccount that may not impersonate", r, nil)

	if path := os.Getenv("KCURL_E2E_TRANSCRIPTS14"); path != "" {
		is.NoErr(os.WriteFile(path, []byte(transcript.String()), 0o644))
	}
	t.Log("\n" + transcript.String())
}
