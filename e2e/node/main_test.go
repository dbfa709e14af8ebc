//go:build linux

// Package node runs kcurl in real pods: a kubelet, containerd and runc run pods from kcurl's own image (built from
// Dockerfile.scratch) against a real kube-apiserver, all in a network namespace of the test's own, so the pods find
// the API server the way they do on any cluster: KUBERNETES_SERVICE_HOST, the projected service-account volume.
package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// shortSkip is what every test here says in -short mode.
const shortSkip = "e2e/node: skipped in -short mode (needs a kubelet, containerd, kube-apiserver and etcd)"

// suite is the one node all tests share: a cold start builds three servers and four images, a warm one still takes
// a minute, so tests isolate themselves by namespace instead.
var suite struct {
	node *harness.Node
	skip string
	dir  string
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Fprintln(os.Stderr, shortSkip)
		os.Exit(m.Run())
	}
	if err := harness.NodeRequirements(); err != nil {
		// One line, then every test skips with it quietly.
		suite.skip = "e2e/node: skipped: " + err.Error()
		fmt.Fprintln(os.Stderr, suite.skip)
		os.Exit(m.Run())
	}
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "kcurl-e2e-node-")
	if err != nil {
		logf("e2e/node: %v", err)
		return 1
	}
	suite.dir = dir
	defer os.RemoveAll(dir)

	// Ctrl-C or CI's SIGTERM: the same teardown as a normal end, then exit. A kill -9 or a panic leaves the
	// containers, shims and mounts behind; the next run's StartNode cleans them first (CleanStaleNodes).
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		logf("e2e/node: %v: tearing the node down", sig)
		cancel()
		if suite.node != nil {
			suite.node.Stop(context.Background())
		}
		os.RemoveAll(dir)
		os.Exit(1)
	}()

	start := time.Now()
	bins, err := harness.BuildBinaries(ctx, logf)
	if err != nil {
		logf("e2e/node: %v", err)
		return 1
	}
	kubelet, err := harness.BuildKubelet(ctx, logf)
	if err != nil {
		logf("e2e/node: %v", err)
		return 1
	}
	imgs, err := harness.BuildImages(ctx, filepath.Join(dir, "images"), logf)
	if err != nil {
		logf("e2e/node: %v", err)
		return 1
	}
	logf("e2e/node: binaries and images ready in %s", time.Since(start).Round(10*time.Millisecond))
	nodeStart := time.Now()
	node, err := harness.StartNode(ctx, harness.NodeOptions{Binaries: bins, Kubelet: kubelet, Images: imgs.Archives, Logf: logf})
	if err != nil {
		logf("e2e/node: %v", err)
		return 1
	}
	suite.node = node
	logf("e2e/node: node Ready in %s", time.Since(nodeStart).Round(10*time.Millisecond))
	// The image archives are in containerd now.
	os.RemoveAll(filepath.Join(dir, "images"))

	code := m.Run()
	if code != 0 {
		logf("%s", node.LogTail(30))
	}
	stopStart := time.Now()
	node.Stop(context.Background())
	logf("e2e/node: node torn down in %s", time.Since(stopStart).Round(10*time.Millisecond))
	signal.Stop(signals)
	return code
}

// needNode returns the shared node, or skips the test: in -short mode, or where the machine cannot run one.
func needNode(t *testing.T) *harness.Node {
	t.Helper()
	if testing.Short() {
		t.Skip(shortSkip)
	}
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	if suite.node == nil {
		t.Fatal("e2e/node: no node: TestMain did not start one")
	}
	return suite.node
}

// serviceAccount is the ServiceAccount every test's pods run as.
const serviceAccount = "kcurl"

// newNamespace makes a namespace named after the test, prepared as kube-controller-manager would prepare it.
func newNamespace(t *testing.T) string {
	t.Helper()
	c := needNode(t).Cluster
	name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(name) > 40 {
		name = strings.Trim(name[:40], "-")
	}
	suffix := make([]byte, 3)
	rand.Read(suffix)
	name += "-" + hex.EncodeToString(suffix)
	is.New(t).NoErr(c.PrepareNamespace(t.Context(), name, serviceAccount)) // namespace, ServiceAccount, kube-root-ca.crt
	return name
}

// container is one container of a test pod.
type container struct {
	name    string
	image   string   // harness.KcurlImage unless set
	command []string // ["/kcurl"] unless set
	args    []string
	// extra fields merged into the container's spec (probes, securityContext).
	extra map[string]any
}

// podSpec is a pod bound to the node (no scheduler runs), as ServiceAccount kcurl, with images that are never
// pulled: the node has no registry to pull from.
func podSpec(name string, restart string, containers ...container) map[string]any {
	var specs []map[string]any
	for _, c := range containers {
		image, command := c.image, c.command
		if image == "" {
			image = harness.KcurlImage
		}
		if command == nil {
			command = []string{"/kcurl"}
		}
		spec := map[string]any{"name": c.name, "image": image, "imagePullPolicy": "Never", "command": command, "args": c.args}
		for k, v := range c.extra {
			spec[k] = v
		}
		specs = append(specs, spec)
	}
	return map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"nodeName":           harness.NodeName,
			"serviceAccountName": serviceAccount,
			"restartPolicy":      restart,
			// The kubelet refuses to start a container whose image would run as root.
			"securityContext":               map[string]any{"runAsNonRoot": true},
			"terminationGracePeriodSeconds": 1,
			"containers":                    specs,
		},
	}
}

// result is what one container of a finished pod did.
type result struct {
	exitCode       int
	stdout, stderr string // apart, from the kubelet's log files
	log            string // both, as kubectl logs shows them (through kube-apiserver and the kubelet)
}

// runPod creates a pod whose containers all run once (restartPolicy Never), waits until every one has exited and
// returns each one's exit code and log, by container name.
func runPod(t *testing.T, ns string, pod map[string]any) map[string]result {
	t.Helper()
	is := is.New(t)
	c := needNode(t).Cluster
	ctx := t.Context()
	name := pod["metadata"].(map[string]any)["name"].(string)
	is.NoErr(c.Create(ctx, "/api/v1/namespaces/"+ns+"/pods", pod)) // creating the pod
	want := len(pod["spec"].(map[string]any)["containers"].([]map[string]any))
	got, err := c.WaitPod(ctx, ns, name, 90*time.Second, func(p harness.Pod) bool {
		done := 0
		for _, s := range p.Status.ContainerStatuses {
			if s.State.Terminated != nil {
				done++
			}
		}
		return done == want
	})
	if err != nil {
		b, _ := json.Marshal(got.Status)
		t.Fatalf("pod %s/%s did not finish: %v\nstatus: %s", ns, name, err, b)
	}
	out := map[string]result{}
	for _, s := range got.Status.ContainerStatuses {
		log, err := c.PodLog(ctx, ns, name, s.Name)
		is.NoErr(err) // kubectl logs' path: kube-apiserver to the kubelet
		stdout, stderr, err := needNode(t).ContainerLog(ns, name, got.Metadata.UID, s.Name)
		is.NoErr(err) // the kubelet's log file
		out[s.Name] = result{exitCode: s.State.Terminated.ExitCode, stdout: stdout, stderr: stderr, log: log}
	}
	return out
}
