package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// The native_*_test.go files, one a feature, check kcurl's Kubernetes-native features (issue 4) against the real
// API server: what no httptest server can show is that the API server's own answers (RBAC, reviews, Status
// messages, Tables, watch endings, continue tokens) come out as kcurl says they do. This file holds what they share.

var (
	configMapRules = harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}
)

// grant gives ServiceAccount ns/sa the rules through a Role and RoleBinding named role, and waits for the
// authorizer to agree, so the next kcurl run does not race the RBAC cache.
func grant(t *testing.T, ns, sa, role string, rules ...harness.PolicyRule) {
	t.Helper()
	is.New(t).NoErr(needCluster(t).Grant(t.Context(), ns, sa, role, rules...)) // granting the role
}

// grantAcross binds Role role of namespace ns to the ServiceAccount saNS/sa of another namespace, which the
// harness's BindRole (same namespace only) cannot, and waits until the authorizer says yes to verb on resource.
func grantAcross(t *testing.T, ns, role, saNS, sa, verb, resource string, rules ...harness.PolicyRule) {
	t.Helper()
	is := is.New(t)
	c := needCluster(t)
	ctx := t.Context()
	is.NoErr(c.CreateRole(ctx, ns, role, rules...)) // the Role in the other namespace
	binding, err := json.Marshal(map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]string{"name": role},
		"roleRef":  map[string]string{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
		"subjects": []map[string]string{{"kind": "ServiceAccount", "name": sa, "namespace": saNS}},
	})
	is.NoErr(err)
	code, body, err := c.Do(ctx, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/rolebindings", "application/json", binding)
	is.NoErr(err)
	if code != http.StatusCreated {
		t.Fatalf("creating RoleBinding %s/%s: %d %s", ns, role, code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := allowedIn(ctx, c, ns, saNS, sa, verb, resource)
		is.NoErr(err) // asking the authorizer
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:%s still may not %s %s in %s after 10 s", saNS, sa, verb, resource, ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allowedIn is a SubjectAccessReview for a ServiceAccount of saNS acting in namespace ns.
func allowedIn(ctx context.Context, c *harness.Cluster, ns, saNS, sa, verb, resource string) (bool, error) {
	review, err := json.Marshal(map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{
			"user":               "system:serviceaccount:" + saNS + ":" + sa,
			"groups":             []string{"system:serviceaccounts", "system:serviceaccounts:" + saNS, "system:authenticated"},
			"resourceAttributes": map[string]string{"namespace": ns, "verb": verb, "resource": resource},
		},
	})
	if err != nil {
		return false, err
	}
	code, body, err := c.Do(ctx, http.MethodPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews", "application/json", review)
	if err != nil {
		return false, err
	}
	if code != http.StatusCreated && code != http.StatusOK {
		return false, fmt.Errorf("SubjectAccessReview: %d %s", code, body)
	}
	var out struct {
		Status struct {
			Allowed bool `json:"allowed"`
		} `json:"status"`
	}
	return out.Status.Allowed, json.Unmarshal(body, &out)
}

// adminGet reads path as the admin and decodes it into out.
func adminGet(t *testing.T, path string, out any) {
	t.Helper()
	code, body, err := needCluster(t).Do(t.Context(), http.MethodGet, path, "", nil)
	is.New(t).NoErr(err) // GET as the admin
	if code != http.StatusOK {
		t.Fatalf("GET %s as the admin: %d %s", path, code, body)
	}
	is.New(t).NoErr(json.Unmarshal(body, out)) // the admin's answer is JSON
}

// adminKubectl finds kubectl and writes an admin kubeconfig for it; without kubectl it returns "" and says that
// kubectl's side is not compared.
func adminKubectl(t *testing.T) (kubectl, kubeconfig string) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Logf("e2e: kubectl not found on PATH: not comparing with kubectl")
		return "", ""
	}
	kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	is.New(t).NoErr(needCluster(t).WriteKubeconfig(kubeconfig, "")) // kubectl as the admin (client cert)
	return kubectl, kubeconfig
}

// jwtClaims is what the tests read from a token's payload, decoded without verifying it, as kcurl does.
type jwtClaims struct {
	Issuer     string   `json:"iss"`
	Audience   []string `json:"aud"`
	Expiry     int64    `json:"exp"`
	IssuedAt   int64    `json:"iat"`
	JTI        string   `json:"jti"`
	Kubernetes struct {
		Namespace      string `json:"namespace"`
		ServiceAccount struct {
			Name string `json:"name"`
			UID  string `json:"uid"`
		} `json:"serviceaccount"`
	} `json:"kubernetes.io"`
}

func decodeJWT(t *testing.T, token string) jwtClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatal("the token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	is.New(t).NoErr(err) // the payload is base64url
	var c jwtClaims
	is.New(t).NoErr(json.Unmarshal(payload, &c)) // the payload is JSON
	return c
}

// rfc3339 is how kcurl prints a token's times.
func rfc3339(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// runningKcurl is a kcurl started in the background whose stdout is read line by line.
type runningKcurl struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	lineCh chan string
}

// startKcurl starts kcurl with args; its stdout lines arrive on lineCh, closed at EOF.
func startKcurl(ctx context.Context, t *testing.T, saDir string, args ...string) *runningKcurl {
	t.Helper()
	cmd := kcurlCommand(ctx, t, saDir, args...)
	stdout, err := cmd.StdoutPipe()
	is.New(t).NoErr(err)
	r := &runningKcurl{cmd: cmd, stderr: &syncBuffer{}, lineCh: make(chan string, 100)}
	cmd.Stderr = r.stderr
	is.New(t).NoErr(cmd.Start()) // starting kcurl
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	go func() {
		for lines.Scan() {
			r.lineCh <- lines.Text()
		}
		close(r.lineCh)
	}()
	return r
}

// next returns the next stdout line, failing the test if none comes within d or the output ends.
func (r *runningKcurl) next(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case line, ok := <-r.lineCh:
		if !ok {
			t.Fatalf("kcurl's stdout ended early; stderr:\n%s", redact(r.stderr.String()))
		}
		return line
	case <-time.After(d):
		t.Fatalf("no line from kcurl within %s; stderr:\n%s", d, redact(r.stderr.String()))
	}
	return ""
}

// rest reads stdout to its end, then waits for kcurl and returns its exit code.
func (r *runningKcurl) rest(t *testing.T) ([]string, int) {
	t.Helper()
	var lines []string
	for line := range r.lineCh {
		lines = append(lines, line)
	}
	err := r.cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return lines, 0
	case errors.As(err, &exit):
		return lines, exit.ExitCode()
	}
	t.Fatalf("waiting for kcurl: %v", err)
	return lines, -1
}

// waitFor polls cond every 50 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// columns is an aligned table's line split into its cells: kubectl and kcurl pad columns with three spaces at
// least, and a cell such as "[get list]" or a header such as "Non-Resource URLs" holds single spaces.
func columns(line string) []string {
	return regexp.MustCompile(` {3,}`).Split(strings.TrimSpace(line), -1)
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
