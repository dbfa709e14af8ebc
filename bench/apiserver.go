package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kcurl/e2e/harness"
)

// apiTarget is the real kube-apiserver's target and its version.
type apiTarget struct {
	*target
	version string
}

// Names the pod runs as on the real API server.
const (
	apiNamespace = "bench"
	apiAccount   = "bench"
	apiConfigMap = "bench"
)

// apiServerTarget starts etcd and kube-apiserver through the e2e harness (building them on first use), makes a
// service account allowed to get one ConfigMap, mints its token and lays out the pod's folder and a kubeconfig.
func apiServerTarget(ctx context.Context, dir, home string) (*apiTarget, func(), error) {
	bins, err := harness.BuildBinaries(ctx, logf)
	if err != nil {
		return nil, nil, err
	}
	clusterDir := filepath.Join(dir, "cluster")
	if err := os.MkdirAll(clusterDir, 0o700); err != nil {
		return nil, nil, err
	}
	start := time.Now()
	c, err := harness.Start(ctx, harness.Options{Binaries: bins, Dir: clusterDir})
	if err != nil {
		return nil, nil, err
	}
	logf("kube-apiserver ready at %s in %s", c.URL, time.Since(start).Round(10*time.Millisecond))
	fail := func(err error) (*apiTarget, func(), error) {
		c.Stop()
		return nil, nil, err
	}
	if err := c.CreateNamespace(ctx, apiNamespace); err != nil {
		return fail(err)
	}
	if err := c.CreateServiceAccount(ctx, apiNamespace, apiAccount); err != nil {
		return fail(err)
	}
	if err := c.CreateConfigMap(ctx, apiNamespace, apiConfigMap, map[string]string{"value": strings.Repeat("x", 400)}); err != nil {
		return fail(err)
	}
	rule := harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}
	if err := c.Grant(ctx, apiNamespace, apiAccount, "reader", rule); err != nil {
		return fail(err)
	}
	if err := c.WaitForAccess(ctx, apiNamespace, apiAccount, "get", "", "configmaps"); err != nil {
		return fail(err)
	}
	token, err := c.RequestToken(ctx, apiNamespace, apiAccount, harness.TokenOptions{})
	if err != nil {
		return fail(err)
	}
	sa, err := harness.NewServiceAccountDir(filepath.Join(dir, "api-sa"), harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: apiNamespace})
	if err != nil {
		return fail(err)
	}
	t := &target{
		name: "kube-apiserver", host: c.Host, port: c.Port, url: c.URL, token: token,
		caFile: c.PKI.CAFile, saDir: sa.Dir, kubeconfig: filepath.Join(dir, "api-kubeconfig"),
		object: fmt.Sprintf("/api/v1/namespaces/%s/configmaps/%s", apiNamespace, apiConfigMap),
	}
	if err := c.WriteKubeconfig(t.kubeconfig, token); err != nil {
		return fail(err)
	}
	// A kube-apiserver built from its module reports no real gitVersion; the harness names the binary after it.
	version := strings.TrimPrefix(filepath.Base(bins.KubeAPIServer), "kube-apiserver-")
	if status, body, err := c.Do(ctx, "GET", "/version", "", nil); err == nil && status == 200 {
		if v := gitVersion(body); v != "" && !strings.Contains(v, "$Format") {
			version = v
		}
	}
	return &apiTarget{target: t, version: version}, c.Stop, nil
}

// gitVersion picks "gitVersion" out of /version's answer.
func gitVersion(body []byte) string {
	s := string(body)
	i := strings.Index(s, `"gitVersion": "`)
	if i < 0 {
		return ""
	}
	s = s[i+len(`"gitVersion": "`):]
	if j := strings.IndexByte(s, '"'); j >= 0 {
		return s[:j]
	}
	return ""
}

// apiScenarios are the request-shaped scenarios against the real API server.
func (b *bench) apiScenarios(api *apiTarget) []*scenario {
	return b.getScenarios(api.target, "api-")
}
