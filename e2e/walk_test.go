package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestDocsWalk follows "Accessing the Kubernetes API from a Pod": no credential is refused as unauthenticated,
// a ServiceAccount without roles is authenticated but forbidden, and a RoleBinding opens exactly what it grants.
// The cases run in order: the binding made before the last one must not leak into the others.
func TestDocsWalk(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "walker")
	noToken := tokenlessDir(t, ns)
	user := "system:serviceaccount:" + ns + ":walker"
	pods := "/api/v1/namespaces/" + ns + "/pods"

	tests := []struct {
		name       string
		before     func(t *testing.T)
		saDir      string
		args       []string
		wantStdout string  // exact, when not empty
		wantStatus *status // the Status document kcurl printed, when not nil
	}{
		{
			name:       "no token is 401",
			saDir:      noToken,
			args:       []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "/api"},
			wantStdout: "401",
		},
		{
			name:       "no token prints the Unauthorized Status",
			saDir:      noToken,
			args:       []string{"-s", "/api"},
			wantStatus: &status{Kind: "Status", Status: "Failure", Message: "Unauthorized", Reason: "Unauthorized", Code: 401},
		},
		{
			name:  "token on / is 403 with the Status message",
			saDir: p.saDir.Dir,
			args:  []string{"-s", "/"},
			wantStatus: &status{Kind: "Status", Status: "Failure", Reason: "Forbidden", Code: 403,
				Message: fmt.Sprintf(`forbidden: User "%s" cannot get path "/"`, user)},
		},
		{
			name:  "pods before the RoleBinding is 403",
			saDir: p.saDir.Dir,
			args:  []string{"-s", pods},
			wantStatus: &status{Kind: "Status", Status: "Failure", Reason: "Forbidden", Code: 403,
				Message: fmt.Sprintf(`pods is forbidden: User "%s" cannot list resource "pods" in API group "" in the namespace "%s"`, user, ns)},
		},
		{
			name: "pods after the RoleBinding is 200",
			before: func(t *testing.T) {
				is.New(t).NoErr(c.Grant(t.Context(), ns, "walker", "pod-reader",
					harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "get"}})) // granting list pods
			},
			saDir:      p.saDir.Dir,
			args:       []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", pods},
			wantStdout: "200",
		},
		{
			name:  "pods after the RoleBinding prints the PodList",
			saDir: p.saDir.Dir,
			args:  []string{"-s", pods},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			if tt.before != nil {
				tt.before(t)
			}
			r := kcurl(t, tt.saDir, tt.args...)
			is.Equal(r.code, 0) // kcurl's exit code without -f
			switch {
			case tt.wantStdout != "":
				is.Equal(string(r.stdout), tt.wantStdout) // -w '%{http_code}' alone
			case tt.wantStatus != nil:
				is.Equal(decodeStatus(t, r.stdout), *tt.wantStatus) // the API server's Status
			default:
				var list struct {
					Kind  string            `json:"kind"`
					Items []json.RawMessage `json:"items"`
				}
				is.NoErr(json.Unmarshal(r.stdout, &list))                     // the body is one JSON document
				is.Equal(list.Kind, "PodList")                                // a list of pods
				is.Equal(len(list.Items), 0)                                  // nothing runs pods here
				is.True(bytes.Contains(r.stdout, []byte(`"kind":"PodList"`))) // kcurl's own User-Agent gets compact JSON
			}
		})
	}
}
