package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// TestImpersonation: --as and --as-group with a ServiceAccount that may impersonate and one that may not, against
// the real impersonation filter and RBAC, compared with kubectl's --as.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	boss := newPod(t, ns, "boss")
	minion := newPod(t, ns, "minion")
	is := is.New(t)
	// Users and groups are cluster-scoped: impersonating them takes a ClusterRole.
	role := "impersonator-" + ns
	admin(t, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterroles", "application/json",
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"`+role+`"},"rules":[{"apiGroups":[""],"resources":["users","groups"],"verbs":["impersonate"]}]}`, http.StatusCreated)
	admin(t, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "application/json",
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"`+role+`"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"`+role+`"},"subjects":[{"kind":"ServiceAccount","name":"boss","namespace":"`+ns+`"}]}`, http.StatusCreated)
	waitFor(t, 10*time.Second, "boss may impersonate users", func() bool {
		ok, err := allowedIn(t.Context(), c, "", ns, "boss", "impersonate", "users")
		return err == nil && ok
	})

	r := kcurl(t, boss.saDir.Dir, "whoami", "--as", "alice", "--as-group", "devs", "--as-group", "qa")
	is.Equal(r.code, 0)
	is.True(strings.Contains(string(r.stdout), "  username  alice\n"))                          // the API server sees alice
	is.True(strings.Contains(string(r.stdout), "  groups    devs, qa, system:authenticated\n")) // in her groups, in order

	r = kcurl(t, boss.saDir.Dir, "-sSf", "--as", "alice", "/api/v1/namespaces/"+ns+"/configmaps")
	is.Equal(r.code, 22) // alice may not list what boss may not either
	is.Equal(string(r.stderr), `kcurl: (22) 403 Forbidden: configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "`+ns+`"`+"\n")

	r = kcurl(t, minion.saDir.Dir, "-sSf", "--as", "alice", "/api/v1/namespaces/"+ns+"/configmaps")
	is.Equal(r.code, 22) // minion may not impersonate: the line names the permission
	// kube-apiserver 1.37 has constrained impersonation: its answer names the constrained check on the resource.
	denied := `configmaps is forbidden: User "system:serviceaccount:` + ns + `:minion" cannot impersonate-on:user-info:list resource "configmaps" in API group "" in the namespace "` + ns + `"`
	is.Equal(string(r.stderr), `kcurl: (22) 403 Forbidden: `+denied+` (--as needs the RBAC verb impersonate on users "alice", or, constrained, impersonate:user-info on that user and impersonate-on:user-info:list on this resource)`+"\n")

	r = kcurl(t, minion.saDir.Dir, "whoami", "-sS", "--as", "alice")
	is.Equal(r.code, 22) // the same for whoami
	is.True(strings.Contains(string(r.stderr), "(--as needs the RBAC verb impersonate on users \"alice\""))

	r = kcurl(t, boss.saDir.Dir, "-sSf", "--as", "alice", "--as-uid", "1234", "/api/v1/namespaces/"+ns+"/configmaps")
	is.Equal(r.code, 22) // boss may impersonate users and groups, not UIDs
	is.True(strings.Contains(string(r.stderr), "(--as needs the RBAC verb impersonate on "))

	kubectl, err := lookKubectl()
	if err != nil {
		t.Logf("e2e: kubectl not found on PATH: not comparing with kubectl")
		return
	}
	bossConfig, minionConfig := filepath.Join(t.TempDir(), "boss"), filepath.Join(t.TempDir(), "minion")
	is.NoErr(c.WriteKubeconfig(bossConfig, boss.token))
	is.NoErr(c.WriteKubeconfig(minionConfig, minion.token))
	r = runPeer(t, kubectl, "--kubeconfig", bossConfig, "auth", "whoami", "--as", "alice", "--as-group", "devs", "--as-group", "qa", "-o", "json")
	is.Equal(r.code, 0)
	var review struct {
		Status struct {
			UserInfo struct {
				Username string   `json:"username"`
				Groups   []string `json:"groups"`
			} `json:"userInfo"`
		} `json:"status"`
	}
	is.NoErr(json.Unmarshal(r.stdout, &review))
	is.Equal(review.Status.UserInfo.Username, "alice")                                      // kubectl sees the same user
	is.Equal(review.Status.UserInfo.Groups, []string{"devs", "qa", "system:authenticated"}) // and the same groups
	r = runPeer(t, kubectl, "--kubeconfig", minionConfig, "get", "--raw", "/api/v1/namespaces/"+ns+"/configmaps", "--as", "alice")
	is.Equal(r.code, 1)
	// The same refusal, word for word (kubectl 1.32's get without --raw words it "Forbidden: unknown").
	is.Equal(string(r.stderr), "Error from server (Forbidden): "+denied+"\n")
}
