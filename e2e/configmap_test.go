package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// configMap is the part of a ConfigMap the tests look at.
type configMap struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Data map[string]string `json:"data"`
}

// TestConfigMapCRUD drives a ConfigMap through every write verb and every patch type the API server accepts,
// as kcurl sends them, and checks that -f turns each kind of refusal into curl's exit code 22.
// The cases run in order, each on the state the one before left.
func TestConfigMapCRUD(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "editor")
	is.New(t).NoErr(c.Grant(t.Context(), ns, "editor", "configmap-editor", harness.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"configmaps"},
		Verbs: []string{"create", "get", "list", "update", "patch", "delete"},
	})) // granting configmaps, and nothing else

	work := t.TempDir()
	createFile := filepath.Join(work, "create.json")
	is.New(t).NoErr(os.WriteFile(createFile,
		[]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"1"}}`), 0o644)) // writing the body for -d @file
	list := "/api/v1/namespaces/" + ns + "/configmaps"
	one := list + "/settings"

	tests := []struct {
		name     string
		args     []string
		wantHTTP int               // the status kcurl reports through -w '%{http_code}'
		wantExit int               // 0, or 22 where -f is given and the status is an error
		wantData map[string]string // the ConfigMap's data in the body, when not nil
		wantWhy  string            // the Status reason in the body, when not empty
	}{
		{
			name:     "POST from a file creates",
			args:     []string{"-X", "POST", "-d", "@" + createFile, list},
			wantHTTP: 201,
			wantData: map[string]string{"a": "1"},
		},
		{
			name:     "POST again conflicts, and -f makes it exit 22",
			args:     []string{"-f", "-d", "@" + createFile, list},
			wantHTTP: 409,
			wantExit: 22,
		},
		{
			name:     "GET reads",
			args:     []string{one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "1"},
		},
		{
			name:     "PUT replaces",
			args:     []string{"-X", "PUT", "-d", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"2"}}`, one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2"},
		},
		{
			name:     "PATCH merge-patch+json",
			args:     []string{"-X", "PATCH", "-H", "Content-Type: application/merge-patch+json", "-d", `{"data":{"merge":"yes"}}`, one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2", "merge": "yes"},
		},
		{
			name:     "PATCH json-patch+json",
			args:     []string{"-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-d", `[{"op":"add","path":"/data/json","value":"yes"}]`, one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2", "merge": "yes", "json": "yes"},
		},
		{
			name:     "PATCH strategic-merge-patch+json",
			args:     []string{"-X", "PATCH", "-H", "Content-Type: application/strategic-merge-patch+json", "-d", `{"data":{"strategic":"yes"}}`, one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2", "merge": "yes", "json": "yes", "strategic": "yes"},
		},
		{
			name: "PATCH apply-patch+yaml with a fieldManager",
			args: []string{"-X", "PATCH", "-H", "Content-Type: application/apply-patch+yaml",
				"--data-binary", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  apply: \"yes\"\n", one + "?fieldManager=kcurl"},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2", "merge": "yes", "json": "yes", "strategic": "yes", "apply": "yes"},
		},
		{
			name:     "PATCH without a Content-Type is sent as a merge patch",
			args:     []string{"-X", "PATCH", "-d", `{"data":{"default":"yes"}}`, one},
			wantHTTP: 200,
			wantData: map[string]string{"a": "2", "merge": "yes", "json": "yes", "strategic": "yes", "apply": "yes", "default": "yes"},
		},
		{
			name:     "an invalid name is 422, and -f makes it exit 22",
			args:     []string{"-f", "-d", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}`, list},
			wantHTTP: 422,
			wantExit: 22,
		},
		{
			name:     "a resource not granted is 403, and -f makes it exit 22",
			args:     []string{"-f", "/api/v1/namespaces/" + ns + "/secrets"},
			wantHTTP: 403,
			wantExit: 22,
		},
		{
			name:     "--fail-with-body exits 22 and still prints the Status",
			args:     []string{"--fail-with-body", "/api/v1/namespaces/" + ns + "/secrets"},
			wantHTTP: 403,
			wantExit: 22,
			wantWhy:  "Forbidden",
		},
		{
			name:     "DELETE deletes",
			args:     []string{"-X", "DELETE", one},
			wantHTTP: 200,
		},
		{
			name:     "GET after DELETE is 404, and -f makes it exit 22",
			args:     []string{"-f", one},
			wantHTTP: 404,
			wantExit: 22,
		},
		{
			name:     "GET after DELETE without -f prints the NotFound Status",
			args:     []string{one},
			wantHTTP: 404,
			wantWhy:  "NotFound",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			body := filepath.Join(t.TempDir(), "body")
			args := append([]string{"-sS", "-o", body, "-w", "%{http_code}"}, tt.args...)
			r := kcurl(t, p.saDir.Dir, args...)
			is.Equal(r.code, tt.wantExit)                         // kcurl's exit code
			is.Equal(string(r.stdout), strconv.Itoa(tt.wantHTTP)) // the HTTP status, from -w
			got, err := os.ReadFile(body)
			if tt.wantExit == 22 && tt.wantWhy == "" {
				// curl writes no body for -f failures; an empty or absent -o file is both fine.
				is.True(err != nil || len(got) == 0) // -f prints no body
				return
			}
			is.NoErr(err) // -o wrote the body
			if tt.wantWhy != "" {
				is.Equal(decodeStatus(t, got).Reason, tt.wantWhy) // the Status reason
			}
			if tt.wantData != nil {
				var cm configMap
				is.NoErr(json.Unmarshal(got, &cm))     // the body is a ConfigMap
				is.Equal(cm.Kind, "ConfigMap")         // the kind
				is.Equal(cm.Metadata.Name, "settings") // the name
				is.Equal(cm.Data, tt.wantData)         // the data after this verb
			}
		})
	}
}
