package e2e

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/matryer/is"
)

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
