package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
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
