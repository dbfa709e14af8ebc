//go:build linux

package node

import (
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// watcher is a container that runs until stopped: kcurl watching the namespace's ConfigMaps, as an app might.
func watcher(ns, name string, extra map[string]any) container {
	return container{name: name, args: []string{"-sN", "-o", "/dev/null", "/api/v1/namespaces/" + ns + "/configmaps?watch=1&timeoutSeconds=3600"}, extra: extra}
}

// execProbe is an exec probe run every second, failing at the first failure, so the test waits seconds, not minutes.
func execProbe(command ...string) map[string]any {
	return map[string]any{"exec": map[string]any{"command": command}, "periodSeconds": 1, "failureThreshold": 1, "timeoutSeconds": 5}
}

// TestExecProbes runs kcurl as the kubelet's exec probes, in the container's own image: a readiness probe that the
// ConfigMap the app needs exists (-fsS -m 3), a readiness probe that the pod may list Secrets (can-i), and a liveness
// probe on another ConfigMap. The pod turns Ready only once both exist, the container is restarted when the
// liveness ConfigMap goes, and the kubelet's events carry kcurl's own error line.
func TestExecProbes(t *testing.T) {
	is := is.New(t)
	c := needNode(t).Cluster
	ctx := t.Context()
	ns := newNamespace(t)
	cm := "/api/v1/namespaces/" + ns + "/configmaps/"
	is.NoErr(c.Grant(ctx, ns, serviceAccount, "configmap-reader",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}))
	is.NoErr(c.CreateConfigMap(ctx, ns, "alive", nil))

	pod := podSpec("probed", "Always",
		watcher(ns, "app", map[string]any{
			"readinessProbe": execProbe("/kcurl", "-fsS", "-m", "3", "-o", "/dev/null", cm+"app-config"),
			"livenessProbe":  execProbe("/kcurl", "-fsS", "-m", "3", "-o", "/dev/null", cm+"alive"),
		}),
		watcher(ns, "rbac", map[string]any{
			"readinessProbe": execProbe("/kcurl", "can-i", "list", "secrets"),
		}),
	)
	is.NoErr(c.Create(ctx, "/api/v1/namespaces/"+ns+"/pods", pod))
	started := time.Now()
	running := func(p harness.Pod) bool {
		a, r := p.Container("app"), p.Container("rbac")
		return a != nil && r != nil && a.State.Running != nil && r.State.Running != nil
	}
	_, err := c.WaitPod(ctx, ns, "probed", 60*time.Second, running)
	is.NoErr(err) // both containers running

	// The probes fail, so the kubelet says why in an event: kcurl's line for the 404, can-i's "no".
	events := waitEvents(t, ns, "probed", []string{
		"Readiness probe failed: kcurl: (22) 404 NotFound: configmaps \"app-config\" not found\n",
		"Readiness probe failed: no\n",
	})
	t.Logf("events before: %q", events)
	p, err := c.WaitPod(ctx, ns, "probed", 5*time.Second, func(harness.Pod) bool { return true })
	is.NoErr(err)
	is.True(!p.Ready())                          // not Ready while app-config is missing and can-i says no
	is.True(!p.Container("app").Ready)           // readiness: app-config missing
	is.True(!p.Container("rbac").Ready)          // readiness: can-i list secrets is no
	is.Equal(p.Container("app").RestartCount, 0) // liveness passes: "alive" exists

	is.NoErr(c.CreateConfigMap(ctx, ns, "app-config", map[string]string{"k": "v"}))
	_, err = c.WaitPod(ctx, ns, "probed", 20*time.Second, func(p harness.Pod) bool { return p.Container("app").Ready })
	is.NoErr(err) // app turns Ready once app-config exists
	is.NoErr(c.Grant(ctx, ns, serviceAccount, "secret-lister",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}))
	_, err = c.WaitPod(ctx, ns, "probed", 20*time.Second, harness.Pod.Ready)
	is.NoErr(err) // the pod turns Ready once the RoleBinding exists
	t.Logf("Ready %s after the pod was created", time.Since(started).Round(100*time.Millisecond))

	is.NoErr(c.Delete(ctx, cm+"alive"))
	p, err = c.WaitPod(ctx, ns, "probed", 30*time.Second, func(p harness.Pod) bool { return p.Container("app").RestartCount >= 1 })
	is.NoErr(err)                                 // the liveness probe failed and the kubelet restarted app
	is.Equal(p.Container("rbac").RestartCount, 0) // rbac has no liveness probe
	events = waitEvents(t, ns, "probed", []string{
		"Liveness probe failed: kcurl: (22) 404 NotFound: configmaps \"alive\" not found\n",
		"Container app failed liveness probe, will be restarted",
	})
	t.Logf("events after: %q", events)
}

// waitEvents waits up to 20 s until the events of pod ns/name include each of want (whole messages), and returns
// all their messages.
func waitEvents(t *testing.T, ns, name string, want []string) []string {
	t.Helper()
	c := needNode(t).Cluster
	deadline := time.Now().Add(20 * time.Second)
	for {
		events, err := c.Events(t.Context(), ns, name)
		is.New(t).NoErr(err)
		var messages []string
		seen := map[string]bool{}
		for _, e := range events {
			messages = append(messages, e.Message)
			seen[e.Message] = true
		}
		missing := 0
		for _, w := range want {
			if !seen[w] {
				missing++
			}
		}
		if missing == 0 {
			return messages
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of %s/%s lack some of %q; have:\n%s", ns, name, want, strings.Join(messages, "\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
