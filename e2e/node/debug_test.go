//go:build linux

package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// kubectl runs kubectl as the admin inside the node's network namespace, where kube-apiserver listens, and returns
// its stdout, stderr and exit code.
func kubectl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	node := needNode(t)
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skipf("e2e/node: kubectl not on PATH: %v", err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	is.New(t).NoErr(node.Cluster.WriteKubeconfig(kubeconfig, ""))
	cmd := exec.CommandContext(t.Context(), "nsenter", append([]string{"--net=" + node.Cluster.NetNS, "--", path, "--kubeconfig", kubeconfig}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// TestDebugContainer adds kcurl as a `kubectl debug --target` ephemeral container, with each --profile, to a pod
// whose app runs as kcurl's own uid (65532) and to one whose app runs as another (1000). An ephemeral container gets
// no service-account volume: kcurl finds the target's through /proc/PID/root, which the kernel opens to it only if
// it may ptrace the target. The table is what this node did; the README's debug section states it.
func TestDebugContainer(t *testing.T) {
	is := is.New(t)
	c := needNode(t).Cluster
	ctx := t.Context()
	ns := newNamespace(t)
	is.NoErr(c.Grant(ctx, ns, serviceAccount, "reader",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps", "pods"}, Verbs: []string{"list", "watch", "get"}}))
	targets := map[string]map[string]any{
		"same-uid":  nil,
		"other-uid": {"securityContext": map[string]any{"runAsUser": 1000, "runAsGroup": 1000}},
	}
	for name, extra := range targets {
		is.NoErr(c.Create(ctx, "/api/v1/namespaces/"+ns+"/pods", podSpec(name, "Always", watcher(ns, "app", extra))))
	}
	for name := range targets {
		_, err := c.WaitPod(ctx, ns, name, 60*time.Second, func(p harness.Pod) bool {
			a := p.Container("app")
			return a != nil && a.State.Running != nil
		})
		is.NoErr(err) // the target runs
	}
	reportProjectedFiles(t, ns)

	pods := "/api/v1/namespaces/" + ns + "/pods"
	// root.json makes the debug container root, which --profile cannot: kubectl debug --custom merges it in.
	rootJSON := filepath.Join(t.TempDir(), "root.json")
	is.NoErr(os.WriteFile(rootJSON, []byte(`{"securityContext":{"runAsUser":0,"runAsNonRoot":false}}`), 0o644))
	noCA := "kcurl: (60) SSL certificate problem: unable to get local issuer certificate\n"
	tests := []struct {
		target, profile string
		root            bool // with --custom root.json
		exitCode        int
		stdout, stderr  string
	}{
		{target: "same-uid", profile: "legacy", stdout: "200\n"},
		{target: "same-uid", profile: "general", stdout: "200\n"},
		{target: "same-uid", profile: "sysadmin", stdout: "200\n"},
		// As 65532, kcurl may not look into a uid 1000 process's root, whatever the profile adds: the added
		// capabilities are not effective for a non-root user. Without the target's ca.crt it trusts nothing.
		{target: "other-uid", profile: "legacy", exitCode: 60, stdout: "000\n", stderr: noCA},
		{target: "other-uid", profile: "general", exitCode: 60, stdout: "000\n", stderr: noCA},
		{target: "other-uid", profile: "sysadmin", exitCode: 60, stdout: "000\n", stderr: noCA},
		{target: "other-uid", profile: "general", root: true, stdout: "200\n"},
		{target: "other-uid", profile: "sysadmin", root: true, stdout: "200\n"},
	}
	for _, tt := range tests {
		name := "dbg-" + tt.profile
		args := []string{"-n", ns, "debug", tt.target, "--image=" + harness.KcurlImage, "--image-pull-policy=Never",
			"--target=app", "--profile=" + tt.profile}
		if tt.root {
			name += "-root"
			args = append(args, "--custom="+rootJSON)
		}
		t.Run(tt.target+"/"+strings.TrimPrefix(name, "dbg-"), func(t *testing.T) {
			is := is.New(t)
			_, stderr, code := kubectl(t, append(args, "-c", name, "--", "/kcurl", "-sS", "-o", "/dev/null", "-w", `%{http_code}\n`, pods)...)
			is.Equal(code, 0) // kubectl debug made the ephemeral container
			if stderr != "" {
				t.Logf("kubectl debug: %s", stderr)
			}
			p, err := c.WaitPod(ctx, ns, tt.target, 60*time.Second, func(p harness.Pod) bool {
				s := p.Container(name)
				return s != nil && s.State.Terminated != nil
			})
			is.NoErr(err) // the ephemeral container ran to its end
			stdout, stderr, err := needNode(t).ContainerLog(ns, tt.target, p.Metadata.UID, name)
			is.NoErr(err)
			t.Logf("%s, --profile=%s, root %v: exit %d\n%s%s", tt.target, tt.profile, tt.root, p.Container(name).State.Terminated.ExitCode, stdout, stderr)
			is.Equal(p.Container(name).State.Terminated.ExitCode, tt.exitCode)
			is.Equal(stdout, tt.stdout) // -w '%{http_code}'
			is.Equal(stderr, tt.stderr)
		})
	}
}

// reportProjectedFiles logs the owner, group and mode of each entry of the kubelet's projected service-account
// volume as a process in the pod sees it, through the app's /proc/PID/root from the host. Without user namespaces
// (these pods have none) every process sees the same numbers, a debug container included: issue 11's /proc scan
// checks them.
func reportProjectedFiles(t *testing.T, ns string) {
	t.Helper()
	for _, pod := range []string{"same-uid", "other-uid"} {
		pid := appPID(t, ns, pod)
		if pid == 0 {
			t.Logf("%s: app's PID not found", pod)
			continue
		}
		dir := filepath.Join("/proc", fmt.Sprint(pid), "root", "var/run/secrets/kubernetes.io/serviceaccount")
		var lines []string
		filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return nil
			}
			st := info.Sys().(*syscall.Stat_t)
			rel, _ := filepath.Rel(dir, path)
			target := ""
			if info.Mode()&os.ModeSymlink != 0 {
				target, _ = os.Readlink(path)
				target = " -> " + target
			}
			lines = append(lines, fmt.Sprintf("%s %d:%d %s%s", info.Mode(), st.Uid, st.Gid, rel, target))
			return nil
		})
		sort.Strings(lines)
		t.Logf("projected volume of %s (app as pid %d):\n%s", pod, pid, strings.Join(lines, "\n"))
	}
}

// appPID finds the host PID of the pod's app container: the process whose cgroup path holds the pod's UID.
func appPID(t *testing.T, ns, pod string) int {
	c := needNode(t).Cluster
	var p harness.Pod
	if err := c.Get(t.Context(), "/api/v1/namespaces/"+ns+"/pods/"+pod, &p); err != nil {
		return 0
	}
	uid := strings.ReplaceAll(p.Metadata.UID, "-", "_")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err != nil || !(bytes.Contains(b, []byte(p.Metadata.UID)) || bytes.Contains(b, []byte(uid))) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.HasPrefix(cmd, []byte("/kcurl\x00")) {
			var pid int
			fmt.Sscan(e.Name(), &pid)
			return pid
		}
	}
	return 0
}
