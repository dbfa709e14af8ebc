package harness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// errStatus reports an answer other than the wanted one, with its body, which is usually a Status saying why.
var errStatus = errors.New("unexpected status")

// call sends in as JSON as the admin and decodes the answer into out (when not nil), failing unless the status is
// one of want.
func (c *Cluster) call(ctx context.Context, method, path string, in, out any, want ...int) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	status, resp, err := c.Do(ctx, method, path, "application/json", body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	ok := false
	for _, w := range want {
		ok = ok || status == w
	}
	if !ok {
		return fmt.Errorf("%s %s: %w %d: %s", method, path, errStatus, status, resp)
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("%s %s: decoding %s: %w", method, path, resp, err)
		}
	}
	return nil
}

type meta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// CreateNamespace makes a namespace. Without kube-controller-manager a namespace is never fully deleted,
// so each test takes a fresh name.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodPost, "/api/v1/namespaces",
		map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": meta{Name: name}}, nil, http.StatusCreated)
}

// CreateServiceAccount makes a ServiceAccount; nothing makes the `default` one without kube-controller-manager.
func (c *Cluster) CreateServiceAccount(ctx context.Context, ns, name string) error {
	return c.call(ctx, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts",
		map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta{Name: name}}, nil, http.StatusCreated)
}

// DeleteServiceAccount deletes a ServiceAccount, which revokes every token bound to it.
func (c *Cluster) DeleteServiceAccount(ctx context.Context, ns, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/v1/namespaces/"+ns+"/serviceaccounts/"+name, nil, nil, http.StatusOK)
}

// PolicyRule is one RBAC rule.
type PolicyRule struct {
	APIGroups     []string `json:"apiGroups"`
	Resources     []string `json:"resources"`
	Verbs         []string `json:"verbs"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// CreateRole makes a namespaced Role. The aggregated view/edit/admin ClusterRoles are empty without
// kube-controller-manager, so tests grant through Roles of their own.
func (c *Cluster) CreateRole(ctx context.Context, ns, name string, rules ...PolicyRule) error {
	return c.call(ctx, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/roles",
		map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta{Name: name}, "rules": rules},
		nil, http.StatusCreated)
}

// BindRole binds Role role to ServiceAccount sa, both in ns, in a RoleBinding of the same name as the role.
func (c *Cluster) BindRole(ctx context.Context, ns, role, sa string) error {
	return c.call(ctx, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/rolebindings",
		map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
			"metadata": meta{Name: role},
			"roleRef":  map[string]string{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
			"subjects": []map[string]string{{"kind": "ServiceAccount", "name": sa, "namespace": ns}},
		}, nil, http.StatusCreated)
}

// Grant makes a Role with rules, binds it to sa and waits until the authorizer says yes to the first rule's first
// verb, so the next request does not race the RBAC cache.
func (c *Cluster) Grant(ctx context.Context, ns, sa, role string, rules ...PolicyRule) error {
	if err := c.CreateRole(ctx, ns, role, rules...); err != nil {
		return err
	}
	if err := c.BindRole(ctx, ns, role, sa); err != nil {
		return err
	}
	r := rules[0]
	group := ""
	if len(r.APIGroups) > 0 {
		group = r.APIGroups[0]
	}
	return c.WaitForAccess(ctx, ns, sa, r.Verbs[0], group, r.Resources[0])
}

// Allowed asks the authorizer, through a SubjectAccessReview, whether ServiceAccount ns/sa may do verb on resource.
func (c *Cluster) Allowed(ctx context.Context, ns, sa, verb, group, resource string) (bool, error) {
	var out struct {
		Status struct {
			Allowed bool `json:"allowed"`
		} `json:"status"`
	}
	err := c.call(ctx, http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{
			"user":   "system:serviceaccount:" + ns + ":" + sa,
			"groups": []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			"resourceAttributes": map[string]string{
				"namespace": ns, "verb": verb, "group": group, "resource": resource,
			},
		},
	}, &out, http.StatusCreated, http.StatusOK)
	return out.Status.Allowed, err
}

// WaitForAccess polls Allowed until it says yes, for up to 10 s.
func (c *Cluster) WaitForAccess(ctx context.Context, ns, sa, verb, group, resource string) error {
	return poll(ctx, 10*time.Second, func() (bool, error) { return c.Allowed(ctx, ns, sa, verb, group, resource) })
}

// TokenOptions are the optional fields of a TokenRequest.
type TokenOptions struct {
	// ExpirationSeconds is the token's lifetime; the API server's minimum is 600.
	ExpirationSeconds int64
	// Audiences defaults to the API server's own.
	Audiences []string
}

// RequestToken mints a token for ServiceAccount ns/sa through the TokenRequest API, as the kubelet does for a pod.
func (c *Cluster) RequestToken(ctx context.Context, ns, sa string, opts TokenOptions) (string, error) {
	spec := map[string]any{}
	if opts.ExpirationSeconds != 0 {
		spec["expirationSeconds"] = opts.ExpirationSeconds
	}
	if len(opts.Audiences) > 0 {
		spec["audiences"] = opts.Audiences
	}
	var out struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	err := c.call(ctx, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts/"+sa+"/token",
		map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
		&out, http.StatusCreated)
	if err == nil && out.Status.Token == "" {
		err = fmt.Errorf("TokenRequest for %s/%s returned no token", ns, sa)
	}
	return out.Status.Token, err
}

// Authenticated asks the API server, through a TokenReview, whether it accepts token now.
func (c *Cluster) Authenticated(ctx context.Context, token string) (bool, error) {
	var out struct {
		Status struct {
			Authenticated bool `json:"authenticated"`
		} `json:"status"`
	}
	err := c.call(ctx, http.MethodPost, "/apis/authentication.k8s.io/v1/tokenreviews", map[string]any{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": map[string]string{"token": token},
	}, &out, http.StatusCreated, http.StatusOK)
	return out.Status.Authenticated, err
}

// WaitForRevoked polls Authenticated until the API server refuses token, for up to 30 s: kube-apiserver caches a
// successful token authentication for 10 s (its TokenSuccessCacheTTL), so a revoked token that was just used
// stays accepted that long, on a real cluster too.
func (c *Cluster) WaitForRevoked(ctx context.Context, token string) error {
	return poll(ctx, 30*time.Second, func() (bool, error) {
		ok, err := c.Authenticated(ctx, token)
		return !ok, err
	})
}

// CreateConfigMap makes a ConfigMap with data.
func (c *Cluster) CreateConfigMap(ctx context.Context, ns, name string, data map[string]string) error {
	return c.call(ctx, http.MethodPost, "/api/v1/namespaces/"+ns+"/configmaps",
		map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta{Name: name}, "data": data},
		nil, http.StatusCreated)
}

// CompactEtcd compacts etcd's history up to its current revision the way kube-apiserver's own compactor does,
// through etcd's HTTP gateway: it records the revision under compact_rev_key, then compacts. Any continue token or
// resourceVersion older than that revision becomes too old (410 Gone). The API server's watch cache learns of the
// compaction by watching compact_rev_key and drops its older list snapshots on its next poll, within about 15 s;
// until then it may still serve an old continue token from memory. It returns the compacted revision.
func (c *Cluster) CompactEtcd(ctx context.Context) (int64, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	post := func(path string, in, out any) error {
		body, err := json.Marshal(in)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.EtcdURL+path, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("etcd %s: %s: %s", path, resp.Status, msg)
		}
		if out == nil {
			return nil
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	// The gateway speaks proto3 JSON: 64-bit integers are strings, bytes are base64.
	var status struct {
		Header struct {
			Revision string `json:"revision"`
		} `json:"header"`
	}
	if err := post("/v3/maintenance/status", map[string]any{}, &status); err != nil {
		return 0, err
	}
	rev, err := strconv.ParseInt(status.Header.Revision, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcd revision %q: %w", status.Header.Revision, err)
	}
	revText := strconv.FormatInt(rev, 10)
	if err := post("/v3/kv/put", map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte("compact_rev_key")),
		"value": base64.StdEncoding.EncodeToString([]byte(revText)),
	}, nil); err != nil {
		return 0, err
	}
	if err := post("/v3/kv/compaction", map[string]any{"revision": revText, "physical": true}, nil); err != nil {
		return 0, err
	}
	return rev, nil
}

// WriteKubeconfig writes a kubeconfig for this cluster to path: with token as a bearer token, or, when token is
// empty, with the admin client cert.
func (c *Cluster) WriteKubeconfig(path, token string) error {
	if token != "" {
		return WriteKubeconfig(path, c.URL, c.PKI.CAFile, token)
	}
	return writeKubeconfig(path, c.URL, c.PKI.CAFile, map[string]string{"client-certificate": c.PKI.AdminCertFile, "client-key": c.PKI.AdminKeyFile})
}

// WriteKubeconfig writes a kubeconfig to path for the API server at server, verified with caFile, that sends token
// as a bearer token: for kubectl against any server, a Cluster or not.
func WriteKubeconfig(path, server, caFile, token string) error {
	return writeKubeconfig(path, server, caFile, map[string]string{"token": token})
}

func writeKubeconfig(path, server, caFile string, user map[string]string) error {
	// JSON is YAML, so no YAML library is needed.
	cfg := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"clusters":        []any{map[string]any{"name": "e2e", "cluster": map[string]string{"server": server, "certificate-authority": caFile}}},
		"users":           []any{map[string]any{"name": "e2e", "user": user}},
		"contexts":        []any{map[string]any{"name": "e2e", "context": map[string]string{"cluster": "e2e", "user": "e2e"}}},
		"current-context": "e2e",
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// poll calls cond every 50 ms until it returns true, returns an error, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met within %s: %w", timeout, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
