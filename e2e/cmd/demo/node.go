package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kcurl/e2e/harness"
)

// runNode is the demo with -node: kcurl's own image in a real pod on a real kubelet, the walk from the docs as the
// pod's containers, each container's log printed as `kubectl logs` would show it. It needs root and Debian's
// containerd, runc, containernetworking-plugins and buildah, and says so when they are missing.
func runNode(ctx context.Context, out io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	if err := harness.NodeRequirements(); err != nil {
		return fmt.Errorf("-node: %w", err)
	}
	dir, err := os.MkdirTemp("", "kcurl-demo-node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bins, err := harness.BuildBinaries(ctx, logf)
	if err != nil {
		return err
	}
	kubelet, err := harness.BuildKubelet(ctx, logf)
	if err != nil {
		return err
	}
	imgs, err := harness.BuildImages(ctx, filepath.Join(dir, "images"), logf)
	if err != nil {
		return err
	}
	node, err := harness.StartNode(ctx, harness.NodeOptions{Binaries: bins, Kubelet: kubelet, Images: imgs.Archives, Logf: logf})
	if err != nil {
		return err
	}
	defer func() {
		logf("demo: tearing the node down")
		node.Stop(context.Background())
	}()
	c := node.Cluster
	if err := c.PrepareNamespace(ctx, ns, sa); err != nil {
		return err
	}
	pods := "/api/v1/namespaces/" + ns + "/pods"
	fmt.Fprintf(out, "# a node %s runs pods from %s (Dockerfile.scratch, as uid 65532); kube-apiserver is the kubernetes Service at %s\n",
		harness.NodeName, harness.KcurlImage, c.URL)
	if err := demoPod(ctx, out, c, "before", [][]string{
		{"-sS", "-w", `%{http_code}\n`, "/"},
		{"-sS", "-w", `%{http_code}\n`, pods},
		{"whoami"},
	}); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n# an admin binds a Role that may list pods\n")
	if err := c.Grant(ctx, ns, sa, "pod-reader", harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}); err != nil {
		return err
	}
	return demoPod(ctx, out, c, "after", [][]string{{"-sS", "-o", "/dev/null", "-w", `%{http_code}\n`, pods}})
}

// demoPod runs one container per kcurl command line in pod name and prints each one's log and exit code.
func demoPod(ctx context.Context, out io.Writer, c *harness.Cluster, name string, commands [][]string) error {
	var containers []map[string]any
	for i, args := range commands {
		containers = append(containers, map[string]any{
			"name": fmt.Sprintf("kcurl-%d", i+1), "image": harness.KcurlImage, "imagePullPolicy": "Never", "args": args,
		})
	}
	pod := map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"nodeName": harness.NodeName, "serviceAccountName": sa, "restartPolicy": "Never",
			"terminationGracePeriodSeconds": 1, "containers": containers,
		},
	}
	if err := c.Create(ctx, "/api/v1/namespaces/"+ns+"/pods", pod); err != nil {
		return err
	}
	p, err := c.WaitPod(ctx, ns, name, 90*time.Second, func(p harness.Pod) bool {
		done := 0
		for _, s := range p.Status.ContainerStatuses {
			if s.State.Terminated != nil {
				done++
			}
		}
		return done == len(commands)
	})
	if err != nil {
		return fmt.Errorf("pod %s: %w", name, err)
	}
	for i, args := range commands {
		container := fmt.Sprintf("kcurl-%d", i+1)
		log, err := c.PodLog(ctx, ns, name, container)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n# pod %s, container %s\n$ kcurl %s\n%s", name, container, shellQuote(args), log)
		if !strings.HasSuffix(log, "\n") && log != "" {
			fmt.Fprintln(out)
		}
		if s := p.Container(container); s != nil && s.State.Terminated.ExitCode != 0 {
			fmt.Fprintf(out, "(exit %d)\n", s.State.Terminated.ExitCode)
		}
	}
	return nil
}
