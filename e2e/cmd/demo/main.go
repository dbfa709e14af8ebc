// Command demo shows kcurl working as it does inside a pod, against a real kube-apiserver and etcd on 127.0.0.1:
// it builds kcurl (and, the first time, the two servers), projects a service-account folder the kubelet's way, and
// runs kcurl through the walk from the Kubernetes docs (401, 403, 200) and a watch, printing each command and its
// output. It stops everything when done or on Ctrl-C.
//
//	cd e2e && go run ./cmd/demo
//
// With -node (as root, with Debian's containerd, runc, containernetworking-plugins and buildah) it shows the same
// walk from a real pod instead: a kubelet runs kcurl's own image, built from Dockerfile.scratch.
//
//	cd e2e && sudo go run ./cmd/demo -node
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"kcurl/e2e/harness"
)

func main() {
	onNode := flag.Bool("node", false, "run kcurl in real pods on a real kubelet (root; containerd, runc, CNI plugins, buildah)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if *onNode {
		err = runNode(ctx, os.Stdout)
	} else {
		err = run(ctx, os.Stdout)
	}
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		if interrupted {
			fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// ns and sa are what the pod runs as.
const (
	ns = "demo"
	sa = "demo"
)

func run(ctx context.Context, out io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	dir, err := os.MkdirTemp("", "kcurl-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bins, err := harness.BuildBinaries(ctx, logf)
	if err != nil {
		return err
	}
	kcurl, err := harness.BuildKcurl(ctx, dir)
	if err != nil {
		return err
	}
	logf("demo: starting etcd and kube-apiserver on 127.0.0.1")
	if err := os.MkdirAll(filepath.Join(dir, "cluster"), 0o755); err != nil {
		return err
	}
	c, err := harness.Start(ctx, harness.Options{Binaries: bins, Dir: filepath.Join(dir, "cluster")})
	if err != nil {
		return err
	}
	defer func() {
		logf("demo: stopping kube-apiserver, then etcd")
		c.Stop()
	}()

	d := &demo{ctx: ctx, out: out, c: c, bin: kcurl}
	if err := c.CreateNamespace(ctx, ns); err != nil {
		return err
	}
	if err := c.CreateServiceAccount(ctx, ns, sa); err != nil {
		return err
	}
	token, err := c.RequestToken(ctx, ns, sa, harness.TokenOptions{})
	if err != nil {
		return err
	}
	// What the kubelet projects into every pod, here without the token first.
	saDir, err := harness.NewServiceAccountDir(filepath.Join(dir, "serviceaccount"),
		harness.Projection{CACert: c.PKI.CA.CertPEM, Namespace: ns})
	if err != nil {
		return err
	}
	d.env = []string{
		"KUBERNETES_SERVICE_HOST=" + c.Host,
		"KUBERNETES_SERVICE_PORT=" + c.Port,
		"KCURL_SERVICE_ACCOUNT_DIR=" + saDir.Dir,
	}
	fmt.Fprintf(out, "# kube-apiserver is at %s; the pod's environment:\n", c.URL)
	for _, e := range d.env {
		fmt.Fprintf(out, "#   %s\n", e)
	}

	d.say("1. a pod without a service-account token is not authenticated: 401")
	if err := d.kcurl("-s", "-o", "/dev/null", "-w", `%{http_code}\n`, "/api"); err != nil {
		return err
	}

	d.say("2. the kubelet projects a token (TokenRequest API, ..data swap); authenticated but allowed nothing: 403")
	if err := saDir.Rotate(harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: ns}); err != nil {
		return err
	}
	if err := d.kcurl("-s", "/"); err != nil {
		return err
	}

	d.say("3. an admin binds a Role that may list pods (and watch configmaps); listing pods is now 200")
	read := []harness.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list", "watch"}},
	}
	if err := c.Grant(ctx, ns, sa, "reader", read...); err != nil {
		return err
	}
	if err := c.WaitForAccess(ctx, ns, sa, "watch", "", "configmaps"); err != nil {
		return err
	}
	if err := d.kcurl("-s", "-w", `%{http_code}\n`, "/api/v1/namespaces/"+ns+"/pods"); err != nil {
		return err
	}

	d.say("4. a watch streams events as they happen; an admin creates a ConfigMap while kcurl watches")
	return d.watch("-sN", "/api/v1/namespaces/"+ns+"/configmaps?watch=1&timeoutSeconds=5")
}

// demo runs and prints kcurl commands.
type demo struct {
	ctx context.Context
	out io.Writer
	c   *harness.Cluster
	bin string // the kcurl binary
	env []string
}

func (d *demo) say(line string) { fmt.Fprintf(d.out, "\n# %s\n", line) }

func (d *demo) command(args ...string) *exec.Cmd {
	fmt.Fprintf(d.out, "$ kcurl %s\n", shellQuote(args))
	cmd := exec.CommandContext(d.ctx, d.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, d.env...)
	cmd.Stdout = d.out
	cmd.Stderr = d.out
	return cmd
}

// kcurl runs kcurl with args and reports its exit code when it is not 0.
func (d *demo) kcurl(args ...string) error {
	err := d.command(args...).Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		fmt.Fprintf(d.out, "(exit %d)\n", exit.ExitCode())
		return d.ctx.Err()
	}
	return err
}

// watch runs kcurl on a watch URL, creates a ConfigMap once the watch is live, and prints each event as it arrives.
func (d *demo) watch(args ...string) error {
	cmd := d.command(args...)
	cmd.Stdout = nil // read line by line below, to show when each event arrives
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		// A second lets the person see the watch idle first. The event shows either way: a watch without a
		// resourceVersion begins with an ADDED event for each object that already exists.
		select {
		case <-time.After(time.Second):
		case <-d.ctx.Done():
			return
		}
		fmt.Fprintf(d.out, "# (admin: POST /api/v1/namespaces/%s/configmaps hello)\n", ns)
		if err := d.c.CreateConfigMap(d.ctx, ns, "hello", map[string]string{"greeting": "hi from the demo"}); err != nil {
			fmt.Fprintf(d.out, "# admin: %v\n", err)
		}
	}()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		fmt.Fprintf(d.out, "%s %s\n", time.Now().Format("15:04:05.000"), lines.Text())
	}
	err = cmd.Wait()
	fmt.Fprintf(d.out, "# the server ended the watch after timeoutSeconds=5 (%v)\n", exitText(err))
	return d.ctx.Err()
}

func exitText(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Sprintf("exit %d", exit.ExitCode())
	}
	if err != nil {
		return err.Error()
	}
	return "exit 0"
}

// shellQuote prints args so that they can be pasted into a shell.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}
