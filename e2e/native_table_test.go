package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

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
