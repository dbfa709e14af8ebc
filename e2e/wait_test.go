package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// The tests in this file check kcurl wait (issue 14) against the real API server and against kubectl wait on the
// same objects and the same transitions: same output, same verdict, and kcurl's latency after the change beside
// kubectl's (both are watches; each is started, seen watching, then the admin makes the change).

var waitRules = []harness.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch"}},
}

// waiting is kcurl wait or kubectl wait running in the background.
type waiting struct {
	name           string
	stdout, stderr syncBuffer
	done           chan struct{}
	ended          time.Time
	code           int
	// watching reports, from the -v lines, that the watch is established.
	watching func(stderr string) bool
}

func startWaiting(t *testing.T, name string, cmd *exec.Cmd, watching func(string) bool) *waiting {
	t.Helper()
	w := &waiting{name: name, done: make(chan struct{}), watching: watching}
	cmd.Stdout, cmd.Stderr = &w.stdout, &w.stderr
	is.New(t).NoErr(cmd.Start()) // starting the waiter
	go func() {
		err := cmd.Wait()
		w.ended = time.Now()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			w.code = exit.ExitCode()
		case err != nil:
			w.code = -1
		}
		close(w.done)
	}()
	return w
}

// finish waits for the end, at most d, and logs what the waiter wrote.
func (w *waiting) finish(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(d):
		t.Fatalf("%s did not end within %s; stderr:\n%s", w.name, d, clip([]byte(redact(w.stderr.String()))))
	}
	t.Logf("%s: exit %d\nstdout: %s", w.name, w.code, w.stdout.String())
}

// kcurlWatching: kcurl -v has the answers of the GET and of the watch.
func kcurlWatching(stderr string) bool {
	i := strings.Index(stderr, "watch=1")
	return i >= 0 && strings.Contains(stderr[i:], "< HTTP/2 200")
}

// kubectlWatching: kubectl -v=6 logs the watch request with its answer, in one line.
func kubectlWatching(stderr string) bool {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "watch=true") && strings.Contains(line, "200 OK") {
			return true
		}
	}
	return false
}

// waitScenario is one object (or collection), one transition, both waiters.
type waitScenario struct {
	name        string
	setup       func(t *testing.T)
	kcurlArgs   []string
	kubectlArgs []string
	change      func(t *testing.T)
	stdout      string
}

// waitLatencies are the figures each scenario logs: time from the admin's change to each waiter's exit.
type waitLatencies struct{ kcurl, kubectl time.Duration }

// runWaitScenario starts kcurl wait and kubectl wait, waits until both watch, makes the change and compares.
func runWaitScenario(t *testing.T, p pod, kubectl, kubeconfig string, sc waitScenario) waitLatencies {
	t.Helper()
	is := is.New(t)
	sc.setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	k := startWaiting(t, "kcurl wait", kcurlCommand(ctx, t, p.saDir.Dir, append([]string{"wait", "-v", "--timeout=40s"}, sc.kcurlArgs...)...), kcurlWatching)
	waiters := []*waiting{k}
	var kc *waiting
	if kubectl != "" {
		cmd := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", p.ns, "-v=6", "wait", "--timeout=40s"}, sc.kubectlArgs...)...)
		cmd.Env = podEnv("", "", "")
		kc = startWaiting(t, "kubectl wait", cmd, kubectlWatching)
		waiters = append(waiters, kc)
	}
	for _, w := range waiters {
		waitFor(t, 20*time.Second, w.name+" watching", func() bool {
			select {
			case <-w.done:
				t.Fatalf("%s ended before the change: exit %d\n%s\n%s", w.name, w.code, w.stdout.String(), redact(w.stderr.String()))
			default:
			}
			return w.watching(w.stderr.String())
		})
	}
	time.Sleep(200 * time.Millisecond) // the watch registered on the server's side, not only answered
	changed := time.Now()
	sc.change(t)
	var lat waitLatencies
	k.finish(t, 30*time.Second)
	is.Equal(k.code, 0)                    // kcurl: condition met
	is.Equal(k.stdout.String(), sc.stdout) // kubectl's words
	lat.kcurl = k.ended.Sub(changed)
	if kc != nil {
		kc.finish(t, 30*time.Second)
		is.Equal(kc.code, 0)                    // kubectl agrees
		is.Equal(kc.stdout.String(), sc.stdout) // with the same lines
		lat.kubectl = kc.ended.Sub(changed)
	}
	t.Logf("e2e wait latency %s: kcurl %s, kubectl %s", sc.name, lat.kcurl.Round(time.Millisecond), lat.kubectl.Round(time.Millisecond))
	return lat
}

// admin sends one request as the admin and fails the test unless the answer is one of want.
func admin(t *testing.T, method, path, contentType, body string, want ...int) []byte {
	t.Helper()
	code, out, err := needCluster(t).Do(t.Context(), method, path, contentType, []byte(body))
	is.New(t).NoErr(err) // the admin's request
	for _, w := range want {
		if code == w {
			return out
		}
	}
	t.Fatalf("%s %s as the admin: %d %s", method, path, code, out)
	return nil
}

// createPod makes a Pod that no scheduler or kubelet will touch: its status is the test's to set.
func createPod(t *testing.T, ns, name, sa string, labels map[string]string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "labels": labels},
		"spec": map[string]any{"serviceAccountName": sa, "automountServiceAccountToken": false,
			"containers": []map[string]string{{"name": "c", "image": "example.invalid/none"}}},
	})
	admin(t, http.MethodPost, "/api/v1/namespaces/"+ns+"/pods", "application/json", string(b), http.StatusCreated)
}

// setReady sets a Pod's Ready condition through the status subresource, as a kubelet would.
func setReady(t *testing.T, ns, name, status string) {
	t.Helper()
	admin(t, http.MethodPatch, "/api/v1/namespaces/"+ns+"/pods/"+name+"/status", "application/merge-patch+json",
		`{"status":{"conditions":[{"type":"Ready","status":"`+status+`"}]}}`, http.StatusOK)
}

func TestWaitAgainstKubectl(t *testing.T) {
	t.Parallel()
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "waiter")
	grant(t, ns, "waiter", "waiter", waitRules...)
	kubectl, err := exec.LookPath("kubectl")
	kubeconfig := ""
	if err != nil {
		t.Logf("e2e: kubectl not found on PATH: not comparing with kubectl")
		kubectl = ""
	} else {
		kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
		is.New(t).NoErr(needCluster(t).WriteKubeconfig(kubeconfig, p.token)) // kubectl as the same ServiceAccount
	}
	deployments := "/apis/apps/v1/namespaces/" + ns + "/deployments"
	scenarios := []waitScenario{
		{
			name:        "a condition set through the status subresource",
			setup:       func(t *testing.T) { createPod(t, ns, "web-0", "waiter", nil); setReady(t, ns, "web-0", "False") },
			kcurlArgs:   []string{"--for=condition=Ready", "/api/v1/namespaces/{namespace}/pods/web-0"},
			kubectlArgs: []string{"--for=condition=Ready", "pod/web-0"},
			change:      func(t *testing.T) { setReady(t, ns, "web-0", "True") },
			stdout:      "pod/web-0 condition met\n",
		},
		{
			name: "a ConfigMap deleted",
			setup: func(t *testing.T) {
				is.New(t).NoErr(needCluster(t).CreateConfigMap(t.Context(), ns, "doomed", map[string]string{"a": "1"}))
			},
			kcurlArgs:   []string{"--for=delete", "/api/v1/namespaces/" + ns + "/configmaps/doomed"},
			kubectlArgs: []string{"--for=delete", "configmap/doomed"},
			change: func(t *testing.T) {
				admin(t, http.MethodDelete, "/api/v1/namespaces/"+ns+"/configmaps/doomed", "", "", http.StatusOK)
			},
			stdout: "configmap/doomed condition met\n",
		},
		{
			name: "a Deployment's field changed",
			setup: func(t *testing.T) {
				admin(t, http.MethodPost, deployments, "application/json", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"example.invalid/none"}]}}}}`, http.StatusCreated)
				admin(t, http.MethodPatch, deployments+"/web/status", "application/merge-patch+json", `{"status":{"replicas":2,"readyReplicas":1}}`, http.StatusOK)
			},
			kcurlArgs:   []string{"--for=jsonpath={.status.readyReplicas}=2", deployments + "/web"},
			kubectlArgs: []string{"--for=jsonpath={.status.readyReplicas}=2", "deployment/web"},
			change: func(t *testing.T) {
				admin(t, http.MethodPatch, deployments+"/web/status", "application/merge-patch+json", `{"status":{"replicas":2,"readyReplicas":2}}`, http.StatusOK)
			},
			stdout: "deployment.apps/web condition met\n",
		},
		{
			name: "a label-selected collection where one object lags",
			setup: func(t *testing.T) {
				for _, name := range []string{"lag-0", "lag-1"} {
					createPod(t, ns, name, "waiter", map[string]string{"app": "lag"})
				}
				setReady(t, ns, "lag-0", "True")
				setReady(t, ns, "lag-1", "False")
			},
			kcurlArgs:   []string{"--for=condition=Ready", "/api/v1/namespaces/" + ns + "/pods?labelSelector=app%3Dlag"},
			kubectlArgs: []string{"--for=condition=Ready", "pod", "-l", "app=lag"},
			change:      func(t *testing.T) { setReady(t, ns, "lag-1", "True") },
			stdout:      "pod/lag-0 condition met\npod/lag-1 condition met\n",
		},
	}
	var lines []string
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			lat := runWaitScenario(t, p, kubectl, kubeconfig, sc)
			lines = append(lines, fmt.Sprintf("| %s | %d ms | %d ms |", sc.name, lat.kcurl.Milliseconds(), lat.kubectl.Milliseconds()))
			if kubectl != "" && lat.kcurl > lat.kubectl+250*time.Millisecond {
				t.Errorf("kcurl took %s after the change, kubectl %s", lat.kcurl, lat.kubectl)
			}
		})
	}
	if name := os.Getenv("KCURL_E2E_WAIT_LATENCY"); name != "" {
		// Appended, so -count=N gathers N samples of each for bench/RESULTS.md.
		f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		is.New(t).NoErr(err)
		_, err = f.WriteString(strings.Join(lines, "\n") + "\n")
		is.New(t).NoErr(err)
		is.New(t).NoErr(f.Close())
	}
}

// TestWaitVerdicts: what kcurl says where the condition is not met, compared with kubectl's verdict.
func TestWaitVerdicts(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "verdicts")
	grant(t, ns, "verdicts", "verdicts", waitRules...)
	outsider := newPod(t, ns, "outsider")
	createPod(t, ns, "slow", "verdicts", nil)
	setReady(t, ns, "slow", "False")
	is := is.New(t)

	r := kcurl(t, p.saDir.Dir, "wait", "--for=condition=Ready", "--timeout=1s", "/api/v1/namespaces/"+ns+"/pods/slow")
	is.Equal(r.code, 28) // curl's timeout code, where kubectl exits 1
	is.Equal(string(r.stderr), "kcurl: (28) timed out after 1s waiting for condition=Ready: pod/slow (Ready is False)\n")

	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Ready", "--timeout=0", "/api/v1/namespaces/"+ns+"/pods/slow")
	is.Equal(r.code, 28) // --timeout 0 checks once
	is.Equal(string(r.stderr), "kcurl: (28) timed out after 0s waiting for condition=Ready: pod/slow (Ready is False)\n")

	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Ready=false", "--timeout=0", "/api/v1/namespaces/"+ns+"/pods/slow")
	is.Equal(r.code, 0) // met at the GET
	is.Equal(string(r.stdout), "pod/slow condition met\n")

	// A condition observed for an older generation is not met, as kubectl's rule says.
	deployments := "/apis/apps/v1/namespaces/" + ns + "/deployments"
	admin(t, http.MethodPost, deployments, "application/json", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"stale"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"stale"}},"template":{"metadata":{"labels":{"app":"stale"}},"spec":{"containers":[{"name":"c","image":"example.invalid/none"}]}}}}`, http.StatusCreated)
	admin(t, http.MethodPatch, deployments+"/stale/status", "application/merge-patch+json", `{"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True"}]}}`, http.StatusOK)
	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Available", "--timeout=0", deployments+"/stale")
	is.Equal(r.code, 0) // generation 1, observed
	is.Equal(string(r.stdout), "deployment.apps/stale condition met\n")
	admin(t, http.MethodPatch, deployments+"/stale", "application/merge-patch+json", `{"spec":{"replicas":2}}`, http.StatusOK)
	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Available", "--timeout=0", deployments+"/stale")
	is.Equal(r.code, 28) // generation 2, not observed yet
	is.Equal(string(r.stderr), "kcurl: (28) timed out after 0s waiting for condition=Available: deployment.apps/stale (Available is True for generation 1, not 2)\n")

	r = kcurl(t, p.saDir.Dir, "wait", "--for=condition=Ready", "/api/v1/namespaces/"+ns+"/pods/missing")
	is.Equal(r.code, 22) // 404 is the Status error for a condition
	is.Equal(string(r.stderr), `kcurl: (22) 404 NotFound: pods "missing" not found`+"\n")

	r = kcurl(t, p.saDir.Dir, "wait", "--for=delete", "/api/v1/namespaces/"+ns+"/configmaps/never")
	is.Equal(r.code, 0) // nothing to wait for
	is.Equal(string(r.stdout), "")

	r = kcurl(t, outsider.saDir.Dir, "wait", "--for=condition=Ready", "/api/v1/namespaces/"+ns+"/pods/slow")
	is.Equal(r.code, 22)
	is.Equal(string(r.stderr), `kcurl: (22) 403 Forbidden: pods "slow" is forbidden: User "system:serviceaccount:`+ns+`:outsider" cannot get resource "pods" in API group "" in the namespace "`+ns+`"`+"\n")

	// --for=create: started before the ConfigMap exists.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	k := startWaiting(t, "kcurl wait --for=create", kcurlCommand(ctx, t, p.saDir.Dir, "wait", "-v", "--for=create", "--timeout=30s", "/api/v1/namespaces/"+ns+"/configmaps/later"), kcurlWatching)
	waitFor(t, 20*time.Second, "kcurl watching", func() bool { return k.watching(k.stderr.String()) })
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "later", nil))
	k.finish(t, 30*time.Second)
	is.Equal(k.code, 0)
	is.Equal(k.stdout.String(), "configmap/later condition met\n")

	kubectl, kubeconfig := "", filepath.Join(t.TempDir(), "kubeconfig")
	if path, err := exec.LookPath("kubectl"); err == nil {
		kubectl = path
		is.NoErr(c.WriteKubeconfig(kubeconfig, p.token))
	}
	if kubectl == "" {
		return
	}
	// kubectl's verdicts on the same objects: the same success or failure (its codes are 0 and 1).
	for _, tt := range []struct {
		args   []string
		code   int
		stdout string
	}{
		{args: []string{"--for=condition=Ready", "--timeout=1s", "pod/slow"}, code: 1},
		{args: []string{"--for=condition=Ready=false", "--timeout=0", "pod/slow"}, code: 0, stdout: "pod/slow condition met\n"},
		{args: []string{"--for=condition=Ready", "pod/missing"}, code: 1},
		{args: []string{"--for=delete", "configmap/never"}, code: 0},
		{args: []string{"--for=create", "configmap/later"}, code: 0, stdout: "configmap/later condition met\n"},
		{args: []string{"--for=condition=Available", "--timeout=0", "deployment/stale"}, code: 1},
	} {
		r := runPeer(t, kubectl, append([]string{"--kubeconfig", kubeconfig, "-n", ns, "wait"}, tt.args...)...)
		is.Equal(r.code, tt.code)             // kubectl's verdict
		is.Equal(string(r.stdout), tt.stdout) // kubectl's words
	}
}

// lookKubectl finds kubectl, the reference these tests compare with.
func lookKubectl() (string, error) { return exec.LookPath("kubectl") }
