package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// pod is one ServiceAccount as a pod sees it: a namespace, a token minted by the TokenRequest API, and the folder
// the kubelet would project.
type pod struct {
	ns, sa, token string
	saDir         *harness.ServiceAccountDir
}

// tokenlessDir is a service-account folder for ns with ca.crt and namespace but no token: a pod whose token is not
// mounted.
func tokenlessDir(t *testing.T, ns string) string {
	t.Helper()
	d, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{CACert: needCluster(t).PKI.CA.CertPEM, Namespace: ns})
	is.New(t).NoErr(err) // writing a service-account folder without a token
	return d.Dir
}

// newPod makes ServiceAccount sa in ns, mints a token for it and projects token, ca.crt and namespace.
func newPod(t *testing.T, ns, sa string) pod {
	t.Helper()
	is := is.New(t)
	c := needCluster(t)
	ctx := t.Context()
	is.NoErr(c.CreateServiceAccount(ctx, ns, sa)) // creating the ServiceAccount
	token, err := c.RequestToken(ctx, ns, sa, harness.TokenOptions{})
	is.NoErr(err) // minting a token through TokenRequest
	dir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: ns})
	is.NoErr(err) // writing the service-account folder
	return pod{ns: ns, sa: sa, token: token, saDir: dir}
}

// result is what one kcurl run left behind.
type result struct {
	stdout, stderr []byte
	code           int
}

// podEnv is the whole environment kcurl gets: what a pod has and nothing of this machine's, so no proxy or CA
// bundle variable of the person running the tests changes the answer.
func podEnv(host, port, saDir string) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"KUBERNETES_SERVICE_HOST=" + host,
		"KUBERNETES_SERVICE_PORT=" + port,
		"KCURL_SERVICE_ACCOUNT_DIR=" + saDir,
	}
}

// kcurlCommand prepares kcurl with args as it runs in a pod whose service-account folder is saDir, against the
// shared cluster.
func kcurlCommand(ctx context.Context, t *testing.T, saDir string, args ...string) *exec.Cmd {
	t.Helper()
	c := needCluster(t)
	return kcurlCommandAt(ctx, t, c.Host, c.Port, saDir, args...)
}

func kcurlCommandAt(ctx context.Context, t *testing.T, host, port, saDir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, needKcurl(t), args...)
	cmd.Env = podEnv(host, port, saDir)
	cmd.Dir = t.TempDir()
	return cmd
}

// runCommand runs cmd to its end, within 60 s, and returns its output and exit code.
func runCommand(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	t.Logf("%s: exit %d\nstdout: %s\nstderr: %s", redact(fmt.Sprint(cmd.Args)), r.code, clip(r.stdout), clip(r.stderr))
	return r
}

// kcurl runs kcurl with args in a pod whose service-account folder is saDir.
func kcurl(t *testing.T, saDir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	return runCommand(t, kcurlCommand(ctx, t, saDir, args...))
}

// redact hides bearer tokens: they make logs unreadable and are credentials, even short-lived ones.
func redact(s string) string {
	return regexp.MustCompile(`(Bearer |--token )\S+|eyJ[\w-]+\.[\w-]+\.[\w-]+`).ReplaceAllString(s, "${1}<token>")
}

// clip keeps logs of large bodies readable.
func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// status is the part of a metav1.Status that tests assert.
type status struct {
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

func decodeStatus(t *testing.T, body []byte) status {
	t.Helper()
	var s status
	is.New(t).NoErr(json.Unmarshal(body, &s)) // the body is a Status document
	return s
}

// syncBuffer collects a running command's stderr while the test reads its stdout.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
