package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestDebugContainerToken is kubectl debug --target: kcurl runs with the service
// environment and a service-account folder without a token, while the "debugged"
// process, in a mount namespace of its own, holds a real token from TokenRequest at
// /var/run/secrets/kubernetes.io/serviceaccount in its own root only. kcurl finds it
// through /proc/PID/root and the API server accepts it.
func TestDebugContainerToken(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root for unshare -m")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare from util-linux")
	}
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := newNamespace(t)
	target := newPod(t, ns, "debugged")
	is.NoErr(c.Grant(t.Context(), ns, "debugged", "read-configmaps", harness.PolicyRule{APIGroups: []string{""}, Verbs: []string{"list"}, Resources: []string{"configmaps"}}))
	is.NoErr(c.WaitForAccess(t.Context(), ns, "debugged", "list", "", "configmaps"))

	// The token goes to a tmpfs on /run inside the new mount namespace: this machine's
	// /run and /var/run are never written.
	script := `mount -t tmpfs tmpfs /run && d=/run/secrets/kubernetes.io/serviceaccount && mkdir -p $d && ` +
		`printf %s "$TOKEN" > $d/token && printf %s "$CA" > $d/ca.crt && printf %s "$NS" > $d/namespace && exec sleep 120`
	proc := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	proc.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "TOKEN=" + target.token, "CA=" + string(c.PKI.CA.CertPEM), "NS=" + ns}
	is.NoErr(proc.Start())
	t.Cleanup(func() { proc.Process.Kill(); proc.Wait() })
	pid := strconv.Itoa(proc.Process.Pid)
	tokenFile := filepath.Join("/proc", pid, "root", "run", "secrets", "kubernetes.io", "serviceaccount", "namespace")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(tokenFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the debugged process never wrote its service account")
		}
		time.Sleep(20 * time.Millisecond)
	}

	empty := t.TempDir() // the debug container's own folder: no token, no ca.crt
	tests := []struct {
		name string
		args []string
	}{
		{name: "--from-pid", args: []string{"--from-pid", pid}},
		{name: "found by looking", args: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, empty, append([]string{"-sSv", "-o", "/dev/null", "-w", "%{http_code}", "/api/v1/namespaces/{namespace}/configmaps"}, tt.args...)...)
			is.Equal(r.code, 0)
			is.Equal(string(r.stdout), "200")                                                         // the API server took the other process's token
			is.True(strings.Contains(string(r.stderr), "using the service account of PID "+pid))      // and -v says whose
			is.True(strings.Contains(string(r.stderr), "> GET /api/v1/namespaces/"+ns+"/configmaps")) // {namespace} from its namespace file
			is.True(!strings.Contains(string(r.stderr), target.token))                                // the token is not printed
		})
	}
}
