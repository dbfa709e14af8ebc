package main

// Hostile processes of this test's own, in mount namespaces of their own (and, for the
// issue's attacker, a user namespace of its own as an unprivileged uid), that plant a
// service-account folder in their root for kcurl's debug-container scan to find.

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

// nobody is the unprivileged uid and gid the hostile processes run as.
const nobody = "65534"

// hostileKind is how a hostile process is confined.
type hostileKind int

const (
	// ownUserNS is the attacker: an unprivileged uid that made a user and mount
	// namespace of its own (setpriv, then unshare -Urm).
	ownUserNS hostileKind = iota
	// sidecar is an unprivileged process in kcurl's own user namespace with a mount
	// namespace and a writable service-account path of its own, as a container of the
	// same pod whose image has one.
	sidecar
	// rootMountNS is a root process in a mount namespace of its own, as the debugged
	// container of kubectl debug --target is.
	rootMountNS
)

// needHostileProcesses skips unless this test can start unprivileged processes in
// namespaces of their own.
func needHostileProcesses(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to start unprivileged processes in namespaces of their own")
	}
	for _, tool := range []string{"unshare", "setpriv", "mkfifo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("needs " + tool)
		}
	}
	probe := exec.Command("setpriv", "--reuid="+nobody, "--regid="+nobody, "--clear-groups", "unshare", "-Urm", "true")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("user namespaces are not available to an unprivileged uid: %v %s", err, out)
	}
}

// startHostile starts a process of the given kind whose /run is a tmpfs in its own
// mount namespace (this machine's /run is never written), runs plant there with $d
// set to its service-account folder, and sleeps; it returns its PID once planted.
func startHostile(t *testing.T, kind hostileKind, plant string, env ...string) int {
	t.Helper()
	const setup = `mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p $d /run/k && chown ` + nobody + ` $d /run/k && `
	const finish = ` && touch /run/k/ready && exec sleep 120`
	var cmd *exec.Cmd
	switch kind {
	case ownUserNS:
		cmd = exec.Command("setpriv", "--reuid="+nobody, "--regid="+nobody, "--clear-groups",
			"unshare", "-Urm", "--propagation", "private", "sh", "-c", `mount -t tmpfs tmpfs /run && mkdir -p $d /run/k && `+plant+finish)
	case sidecar:
		cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
			setup+`exec setpriv --reuid=`+nobody+` --regid=`+nobody+` --clear-groups sh -c "$PLANT"`)
		env = append(env, "PLANT="+plant+finish)
	case rootMountNS:
		cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", setup+plant+finish)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append([]string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "d=/run/secrets/kubernetes.io/serviceaccount"}, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "root", "run", "k", "ready")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ready); err == nil {
			return cmd.Process.Pid
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("the hostile process never planted its folder: %s", stderr.String())
		}
	}
}

// procOf is a /proc that holds kcurl's own entry and the given processes only, so a
// scan meets this test's processes first and never another engineer's.
func procOf(t *testing.T, pids ...int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink("/proc/self", filepath.Join(dir, "self")); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := os.Symlink("/proc/"+strconv.Itoa(pid), filepath.Join(dir, strconv.Itoa(pid))); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// kcurlWithin runs kcurl as kcurl(t, inv) does, but gives up waiting after limit: a
// run that blocks (on a FIFO) is reported, not waited for. ok is false then.
func kcurlWithin(t *testing.T, limit time.Duration, inv invocation) (r result, elapsed time.Duration, ok bool) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	dns := closedPort(t)
	e := env{
		getenv: func(k string) string { return inv.env[k] },
		stdin:  strings.NewReader(inv.stdin),
		stdout: &stdout,
		stderr: &stderr,
		dialDNS: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dns)
		},
		sleep:   func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		procDir: inv.procDir,
	}
	done := make(chan int, 1)
	start := time.Now()
	go func() { done <- run(inv.args, e) }()
	select {
	case code := <-done:
		r = result{code: code, stdout: stdout.String(), stderr: stderr.String()}
		assertNoToken(t, r.stdout+r.stderr)
		return r, time.Since(start), true
	case <-time.After(limit):
		return result{}, limit, false
	}
}

// TestHostileProcessFolders are the attacks on the debug-container scan. A
// victim (root, in a mount namespace of its own) holds a root-only token; each hostile
// process plants ca.crt, namespace and a token in its own root. The scan sees only the
// hostile process, as when its PID comes first.
func TestHostileProcessFolders(t *testing.T) {
	needHostileProcesses(t)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	victim := startHostile(t, rootMountNS, `printf %s "$TOKEN" > $d/token && chmod 600 $d/token && printf %s "$CA" > $d/ca.crt`,
		"TOKEN="+secretPrefix+"victim", "CA="+string(pki.caPEM))
	throughProc := `ln -s /proc/` + strconv.Itoa(victim) + `/root/run/secrets/kubernetes.io/serviceaccount/token $d/token`
	plantCA := `printf %s "$CA" > $d/ca.crt && printf planted > $d/namespace && `
	caArg := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caArg, pki.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		kind  hostileKind
		plant string
		// fromPID asks for the hostile process by --from-pid instead of the scan.
		fromPID bool
		args    []string
		code    int
		// why is what -v says about the process the scan passed by.
		why    string
		stderr string
	}{
		// The attack: the planted CA is the only one kcurl has for the server.
		{name: "own user namespace, token through /proc, planted CA", kind: ownUserNS, plant: plantCA + throughProc, code: 60, why: "not in kcurl's user namespace"},
		{name: "own user namespace, token through /proc", kind: ownUserNS, plant: plantCA + throughProc, args: []string{"--cacert", caArg}, why: "not in kcurl's user namespace"},
		{name: "own user namespace, token through /proc, --from-pid", kind: ownUserNS, plant: plantCA + throughProc, fromPID: true, code: 26,
			stderr: "/run/secrets/kubernetes.io/serviceaccount/token: too many levels of symbolic links\n"},
		{name: "own user namespace, ca.crt through /proc, --from-pid", kind: ownUserNS, plant: `ln -s /proc/` + strconv.Itoa(victim) + `/root/run/secrets/kubernetes.io/serviceaccount/ca.crt $d/ca.crt && printf planted-token > $d/token`, fromPID: true, code: 77,
			stderr: "/run/secrets/kubernetes.io/serviceaccount/ca.crt: too many levels of symbolic links\n"},
		{name: "sidecar, token through /proc", kind: sidecar, plant: plantCA + throughProc, args: []string{"--cacert", caArg}, why: "token: too many levels of symbolic links"},
		{name: "sidecar, token through a symlink to /proc/PID/root", kind: sidecar, plant: plantCA + `ln -s /proc/` + strconv.Itoa(victim) + `/root $d/r && ln -s r/run/secrets/kubernetes.io/serviceaccount/token $d/token`, args: []string{"--cacert", caArg}, why: "token: too many levels of symbolic links"},
		{name: "sidecar, world-writable token", kind: sidecar, plant: plantCA + `printf planted-token > $d/token && chmod 666 $d/token`, args: []string{"--cacert", caArg}, why: "token: writable by others (mode 0666)"},
		{name: "root, token of another owner", kind: rootMountNS, plant: plantCA + `printf planted-token > $d/token && chown 12345 $d/token`, args: []string{"--cacert", caArg}, why: "token: owned by uid 12345, neither root nor the process's uid 0"},
		{name: "root, FIFO as token", kind: rootMountNS, plant: plantCA + `mkfifo $d/token`, args: []string{"--cacert", caArg, "-m", "2"}, why: "token: not a regular file"},
		{name: "sidecar, FIFO as token", kind: sidecar, plant: plantCA + `mkfifo $d/token`, args: []string{"--cacert", caArg, "-m", "2"}, why: "token: not a regular file"},
		{name: "own user namespace, FIFO as token, --from-pid", kind: ownUserNS, plant: plantCA + `mkfifo $d/token`, fromPID: true, args: []string{"-m", "2"}, code: 26,
			stderr: "/run/secrets/kubernetes.io/serviceaccount/token: not a regular file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			rec.reqs = nil
			pid := startHostile(t, tt.kind, tt.plant, "CA="+string(pki.caPEM))
			args := append([]string{"-sSv", "-o", "/dev/null"}, tt.args...)
			if tt.fromPID {
				args = append(args, "--from-pid", strconv.Itoa(pid))
			}
			r, elapsed, ok := kcurlWithin(t, 8*time.Second, invocation{args: append(args, "/x"), env: apiEnv(srv, t.TempDir()), procDir: procOf(t, pid)})
			t.Logf("finished %t, exit %d after %s: %s", ok, r.code, elapsed.Round(time.Millisecond), r.stderr)
			for _, req := range rec.all() {
				is.Equal(req.header.Get("Authorization"), "") // no token of any process reached the server
			}
			is.True(ok)                      // kcurl finished within 8 s
			is.True(elapsed < 3*time.Second) // and within -m 2 where given
			is.Equal(r.code, tt.code)
			if tt.code == 0 {
				is.Equal(len(rec.all()), 1) // the request went, without a token
			}
			is.True(strings.HasSuffix(r.stderr, tt.stderr)) // says why
			if tt.why != "" {
				is.True(strings.Contains(r.stderr, "; not using another process's service account (PID "+strconv.Itoa(pid)+": "+tt.why+")\n")) // -v says why
			}
		})
	}
}
