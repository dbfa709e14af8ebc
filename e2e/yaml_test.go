package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestYAML: create, replace and server-side apply from YAML files, and --yaml out, against the real API server,
// which parses and writes the YAML itself.
func TestYAML(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "yamler")
	grant(t, ns, "yamler", "yamler", harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update", "patch"}})
	is := is.New(t)
	dir := t.TempDir()
	file := func(name, data string) string {
		path := filepath.Join(dir, name)
		is.NoErr(os.WriteFile(path, []byte(data), 0o644))
		return path
	}
	created := file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  labels:\n    made-by: kcurl\ndata:\n  greeting: hello\n  count: \"1\"\n")
	replaced := file("cm-v2.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  greeting: hello again\n")
	applied := file("apply.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: server-side\n")
	cms := "/api/v1/namespaces/" + ns + "/configmaps"
	get := func(name string) (cm struct {
		Data     map[string]string `json:"data"`
		Metadata struct {
			ManagedFields []struct {
				Manager   string `json:"manager"`
				Operation string `json:"operation"`
			} `json:"managedFields"`
		} `json:"metadata"`
	}) {
		adminGet(t, cms+"/"+name, &cm)
		return cm
	}

	r := kcurl(t, p.saDir.Dir, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@"+created, cms)
	is.Equal(string(r.stdout), "201") // created from YAML
	is.Equal(get("from-yaml").Data, map[string]string{"greeting": "hello", "count": "1"})

	r = kcurl(t, p.saDir.Dir, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-d", "@"+replaced, cms+"/from-yaml")
	is.Equal(string(r.stdout), "200") // replaced from YAML, -d keeping its line breaks
	is.Equal(get("from-yaml").Data, map[string]string{"greeting": "hello again"})

	r = kcurl(t, p.saDir.Dir, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "--data-binary", "@"+applied, cms+"/applied")
	is.Equal(string(r.stdout), "201") // server-side apply creates it
	cm := get("applied")
	is.Equal(cm.Data, map[string]string{"mode": "server-side"})
	is.Equal(len(cm.Metadata.ManagedFields), 1)
	is.Equal(cm.Metadata.ManagedFields[0].Manager, "kcurl") // fieldManager=kcurl
	is.Equal(cm.Metadata.ManagedFields[0].Operation, "Apply")
	applied = file("apply.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: applied twice\n")
	r = kcurl(t, p.saDir.Dir, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH", "--data-binary", "@"+applied, cms+"/applied")
	is.Equal(string(r.stdout), "200") // and applies again
	is.Equal(get("applied").Data, map[string]string{"mode": "applied twice"})

	r = kcurl(t, p.saDir.Dir, "-sS", "--yaml", cms+"/from-yaml")
	is.Equal(r.code, 0)
	var obj map[string]any
	is.True(json.Unmarshal(r.stdout, &obj) != nil) // not JSON
	kubectl, err := lookKubectl()
	if err != nil {
		t.Logf("e2e: kubectl not found on PATH: not comparing with kubectl")
		return
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	is.NoErr(c.WriteKubeconfig(kubeconfig, p.token))
	k := runPeer(t, kubectl, "--kubeconfig", kubeconfig, "-n", ns, "get", "configmap", "from-yaml", "-o", "yaml", "--show-managed-fields")
	is.Equal(k.code, 0)
	is.Equal(string(r.stdout), string(k.stdout)) // the API server's YAML is kubectl's -o yaml (managed fields shown)
}
