package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NodeOptions configures StartNode.
type NodeOptions struct {
	// Binaries are kube-apiserver and etcd, as for Start.
	Binaries Binaries
	// Kubelet is the kubelet binary (BuildKubelet).
	Kubelet string
	// Images are image archives (docker-archive) to import into containerd before the kubelet starts.
	Images []string
	// Logf reports each step, which takes seconds; nil is quiet.
	Logf func(format string, args ...any)
}

// Node is a kubelet, containerd, kube-apiserver and etcd in a network namespace of the harness's own, all of whose
// state is under Dir: a one-node cluster whose pods find the API server as real pods do.
type Node struct {
	// Cluster is the API server the kubelet registers with; its URL is https://ServiceIP:443 inside the namespace.
	Cluster *Cluster
	// Name names the Node object, the network namespace, the state folder and the cgroup root alike.
	Name string
	// Dir is the state folder: every mount, socket and log of the node is under it.
	Dir string
	// Containerd is containerd's socket, for ctr.
	Containerd string

	containerd, kubelet *process
	logf                func(format string, args ...any)
}

// nodePrefix starts the name of every node; the rest is the test process's PID, so that a later run can tell a
// node whose process died (and clean it) from a live one.
const nodePrefix = "kcurl-node-"

// PodSubnet is the bridge network's range; its first address is the node's end of the bridge.
const PodSubnet = "10.244.0.0/24"

// cniDirs are where distributions put the reference CNI plugins (Debian's containernetworking-plugins: /usr/lib/cni).
var cniDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// ErrNoNode says this machine cannot run a node; the error says what is missing.
var ErrNoNode = errors.New("cannot run a node")

// NodeRequirements says what a node needs that this machine lacks, or nil.
func NodeRequirements() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (network namespaces, mounts, cgroups)", ErrNoNode)
	}
	var missing []string
	for _, cmd := range []string{"containerd", "containerd-shim-runc-v2", "runc", "ctr", "buildah", "nsenter", "ip"} {
		if _, err := exec.LookPath(cmd); err != nil {
			missing = append(missing, cmd)
		}
	}
	if cniBinDir() == "" {
		missing = append(missing, "the CNI bridge plugin")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s (apt-get install containerd runc containernetworking-plugins buildah)", ErrNoNode, strings.Join(missing, ", "))
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		return fmt.Errorf("%w: no /sys/fs/cgroup", ErrNoNode)
	}
	return nil
}

func cniBinDir() string {
	for _, dir := range cniDirs {
		if _, err := os.Stat(filepath.Join(dir, "bridge")); err == nil {
			return dir
		}
	}
	return ""
}

// StartNode cleans what a killed earlier run left, then makes the network namespace, starts etcd and kube-apiserver
// in it, then containerd, imports the images, starts the kubelet and waits for its Node to be Ready. On failure it
// tears down what it made; otherwise Stop does.
func StartNode(ctx context.Context, opts NodeOptions) (n *Node, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	CleanStaleNodes(logf)
	name := nodePrefix + strconv.Itoa(os.Getpid())
	n = &Node{Name: name, Dir: nodeDir(name), logf: logf}
	n.Containerd = filepath.Join(n.Dir, "containerd", "containerd.sock")
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, n.LogTail(40))
			n.Stop(context.Background())
		}
	}()
	start := time.Now()
	step := func(format string, args ...any) {
		logf("e2e: node: "+format+" (%s)", append(args, time.Since(start).Round(10*time.Millisecond))...)
	}
	for _, d := range []string{"cluster", "containerd", "kubelet", "pod-logs", "cni/net.d", "cni/ipam"} {
		if err := os.MkdirAll(filepath.Join(n.Dir, d), 0o755); err != nil {
			return n, err
		}
	}
	if err := saveSysctls(n.Dir); err != nil {
		return n, err
	}
	if err := makeNetNS(name); err != nil {
		return n, err
	}
	if err := makeCgroupRoot(name); err != nil {
		return n, err
	}
	step("network namespace %s with %s and %s on its loopback", name, ServiceIP, NodeIP)

	clusterDir := filepath.Join(n.Dir, "cluster")
	n.Cluster, err = Start(ctx, Options{
		Binaries: opts.Binaries,
		Dir:      clusterDir,
		NetNS:    netNSPath(name),
		ExtraAPIServerFlags: []string{
			// kubectl logs and exec go from kube-apiserver to the kubelet at the address the Node reports; the
			// default order tries the Hostname first, which nothing resolves here.
			"--kubelet-preferred-address-types=InternalIP",
			"--kubelet-client-certificate=" + filepath.Join(clusterDir, "pki", "admin.crt"),
			"--kubelet-client-key=" + filepath.Join(clusterDir, "pki", "admin.key"),
			// kubectl debug --profile=sysadmin asks for a privileged container.
			"--allow-privileged=true",
		},
	})
	if err != nil {
		return n, err
	}
	step("kube-apiserver ready at %s", n.Cluster.URL)

	if err := n.startContainerd(ctx); err != nil {
		return n, err
	}
	step("containerd ready")
	for _, archive := range opts.Images {
		if err := n.ImportImage(ctx, archive); err != nil {
			return n, err
		}
	}
	step("%d images imported", len(opts.Images))
	if err := n.startKubelet(opts.Kubelet); err != nil {
		return n, err
	}
	if err := n.waitNodeReady(ctx, 2*time.Minute); err != nil {
		return n, err
	}
	step("node %s Ready", NodeName)
	return n, nil
}

// NodeName is the name the kubelet registers its Node under.
const NodeName = "kcurl-node"

func nodeDir(name string) string   { return filepath.Join(os.TempDir(), name) }
func netNSPath(name string) string { return filepath.Join("/run/netns", name) }

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// makeNetNS makes the namespace with the Service's ClusterIP and the node's address on its loopback device: the
// kubelet refuses a 127.x node address, and nothing in the namespace has a route anywhere else.
func makeNetNS(name string) error {
	ctx := context.Background()
	if err := run(ctx, "ip", "netns", "add", name); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"addr", "add", ServiceIP + "/32", "dev", "lo"},
		{"addr", "add", NodeIP + "/32", "dev", "lo"},
	} {
		if err := run(ctx, "ip", append([]string{"-n", name}, args...)...); err != nil {
			return err
		}
	}
	return nil
}

// cgroupHierarchies are the mounted cgroup hierarchies: each v1 controller's folder and v2's, wherever mounted.
func cgroupHierarchies() []string {
	var dirs []string
	for _, m := range mounts() {
		if m.fsType == "cgroup" || m.fsType == "cgroup2" {
			dirs = append(dirs, m.point)
		}
	}
	return dirs
}

// makeCgroupRoot makes the kubelet's cgroup root in every hierarchy: pods live under /NAME/kubepods, apart from
// anything else on the machine, and teardown removes that one tree.
func makeCgroupRoot(name string) error {
	for _, h := range cgroupHierarchies() {
		dir := filepath.Join(h, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		// A new v1 cpuset has no CPUs or memory nodes, and no process can join it (or a child) until it has.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if b, err := os.ReadFile(filepath.Join(h, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// kubeletSysctls are the host settings the kubelet sets at start (setupKernelTunables); teardown puts back what
// was there, since they are the machine's, not the namespace's.
var kubeletSysctls = []string{"vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops", "kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes"}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

// saveSysctls writes the current values into dir, where a later run finds them if this one is killed.
func saveSysctls(dir string) error {
	values := map[string]string{}
	for _, name := range kubeletSysctls {
		b, err := os.ReadFile(sysctlPath(name))
		if err != nil {
			continue
		}
		values[name] = strings.TrimSpace(string(b))
	}
	b, err := json.Marshal(values)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sysctls.json"), b, 0o600)
}

// restoreSysctls puts back the values saveSysctls kept, and says which it changed.
func restoreSysctls(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "sysctls.json"))
	if err != nil {
		return nil, err
	}
	var values map[string]string
	if err := json.Unmarshal(b, &values); err != nil {
		return nil, err
	}
	var changed []string
	for name, want := range values {
		got, err := os.ReadFile(sysctlPath(name))
		if err != nil || strings.TrimSpace(string(got)) == want {
			continue
		}
		if err := os.WriteFile(sysctlPath(name), []byte(want), 0o644); err != nil {
			return changed, err
		}
		changed = append(changed, fmt.Sprintf("%s %s -> %s", name, strings.TrimSpace(string(got)), want))
	}
	sort.Strings(changed)
	return changed, nil
}

// containerdConfig is containerd 1.x's configuration (version 2), every path under the node's folder.
const containerdConfig = `version = 2
root = "{{dir}}/containerd/root"
state = "{{dir}}/containerd/state"
# Snapshotters that would look for their own devices or folders on the host.
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "{{dir}}/containerd/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{dir}}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{pause}}"
  # These machines' root lacks CAP_SYS_RESOURCE: without this runc fails with "can't get final child's PID from
  # pipe: EOF" when it lowers a container's oom_score_adj below its own.
  restrict_oom_score_adj = true
  # Pod network namespaces are mounted under the state folder, so teardown finds them there, not in /run/netns.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's state too under the node's folder, not /run/containerd/runc.
        Root = "{{dir}}/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{{cni}}"
    conf_dir = "{{dir}}/cni/net.d"
`

// cniConfig is a bridge network for pods: the node's end of the bridge is their gateway, so a pod reaches
// ServiceIP on the node's loopback; nothing routes further.
const cniConfig = `{
  "cniVersion": "1.0.0",
  "name": "kcurl-e2e",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "kcurl0",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "{{subnet}}"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "{{dir}}/cni/ipam"
      }
    }
  ]
}
`

// PauseImage is the sandbox image: the harness's own tools/pause, imported with the other images.
const PauseImage = "docker.io/kcurl-e2e/pause:1"

func (n *Node) expand(s string) string {
	return strings.NewReplacer("{{dir}}", n.Dir, "{{cni}}", cniBinDir(), "{{pause}}", PauseImage, "{{subnet}}", PodSubnet).Replace(s)
}

func (n *Node) startContainerd(ctx context.Context) error {
	config := filepath.Join(n.Dir, "containerd", "config.toml")
	if err := os.WriteFile(config, []byte(n.expand(containerdConfig)), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(n.Dir, "cni", "net.d", "10-kcurl-e2e.conflist"), []byte(n.expand(cniConfig)), 0o644); err != nil {
		return err
	}
	path, err := exec.LookPath("containerd")
	if err != nil {
		return err
	}
	n.containerd, err = startProcess(netNSPath(n.Name), path, filepath.Join(n.Dir, "containerd.log"), "--config", config)
	if err != nil {
		return err
	}
	return poll(ctx, 30*time.Second, func() (bool, error) {
		select {
		case <-n.containerd.done:
			return false, fmt.Errorf("containerd %w: %v", errExited, n.containerd.err)
		default:
		}
		return exec.CommandContext(ctx, "ctr", "--address", n.Containerd, "version").Run() == nil, nil
	})
}

// ImportImage loads a docker-archive into containerd's k8s.io namespace, where the kubelet's pods find it.
func (n *Node) ImportImage(ctx context.Context, archive string) error {
	return run(ctx, "ctr", "--address", n.Containerd, "-n", "k8s.io", "images", "import", archive)
}

func (n *Node) startKubelet(kubelet string) error {
	pki := n.Cluster.PKI
	kdir := filepath.Join(n.Dir, "kubelet")
	// The Node authorizer lets a kubelet read only what its own pods use, and knows it by this name and group.
	cert, err := pki.CA.Issue("system:node:"+NodeName, []string{"system:nodes"}, nil, nil)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		filepath.Join(kdir, "node.crt"): cert.CertPEM,
		filepath.Join(kdir, "node.key"): cert.KeyPEM,
	}
	kubeconfig := map[string]any{
		"apiVersion":      "v1",
		"kind":            "Config",
		"clusters":        []any{map[string]any{"name": "e2e", "cluster": map[string]string{"server": n.Cluster.URL, "certificate-authority": pki.CAFile}}},
		"users":           []any{map[string]any{"name": "node", "user": map[string]string{"client-certificate": filepath.Join(kdir, "node.crt"), "client-key": filepath.Join(kdir, "node.key")}}},
		"contexts":        []any{map[string]any{"name": "e2e", "context": map[string]string{"cluster": "e2e", "user": "node"}}},
		"current-context": "e2e",
	}
	config := map[string]any{
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"kind":       "KubeletConfiguration",
		"address":    NodeIP,
		"port":       10250,
		// kube-apiserver calls the kubelet with the admin cert, which this CA signed.
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": false},
			"x509":      map[string]any{"clientCAFile": pki.CAFile},
		},
		"authorization":            map[string]any{"mode": "AlwaysAllow"},
		"containerRuntimeEndpoint": "unix://" + n.Containerd,
		// The measured facts of these machines: cgroup v1 (refused unless failCgroupV1 is false), cgroupfs (no
		// systemd), and no swap check.
		"cgroupDriver":  "cgroupfs",
		"failCgroupV1":  false,
		"failSwapOn":    false,
		"cgroupRoot":    "/" + n.Name,
		"clusterDomain": "cluster.local",
		// No DNS at all: a pod's resolv.conf must not name the host's resolvers, which are outside the namespace.
		"resolvConf":         "",
		"podLogsDir":         filepath.Join(n.Dir, "pod-logs"),
		"staticPodPath":      "",
		"readOnlyPort":       0,
		"healthzBindAddress": "127.0.0.1",
		// The imported images are all there is: never collect them, never evict for a full disk.
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"evictionHard":                map[string]string{"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
		"nodeStatusUpdateFrequency":   "2s",
		"serializeImagePulls":         false,
	}
	for name, v := range map[string]any{filepath.Join(kdir, "kubeconfig"): kubeconfig, filepath.Join(kdir, "config.json"): config} {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		files[name] = b
	}
	for name, data := range files {
		if err := os.WriteFile(name, data, 0o600); err != nil {
			return err
		}
	}
	n.kubelet, err = startProcess(netNSPath(n.Name), kubelet, filepath.Join(n.Dir, "kubelet.log"),
		"--config="+filepath.Join(kdir, "config.json"),
		"--kubeconfig="+filepath.Join(kdir, "kubeconfig"),
		"--root-dir="+filepath.Join(kdir, "root"),
		"--cert-dir="+filepath.Join(kdir, "pki"),
		"--hostname-override="+NodeName,
		"--node-ip="+NodeIP,
		"--v=2",
	)
	return err
}

func (n *Node) waitNodeReady(ctx context.Context, timeout time.Duration) error {
	var last string
	err := poll(ctx, timeout, func() (bool, error) {
		select {
		case <-n.kubelet.done:
			return false, fmt.Errorf("kubelet %w: %v", errExited, n.kubelet.err)
		default:
		}
		var node struct {
			Status struct {
				Conditions []struct{ Type, Status, Message string } `json:"conditions"`
			} `json:"status"`
		}
		status, body, err := n.Cluster.Do(ctx, "GET", "/api/v1/nodes/"+NodeName, "", nil)
		if err != nil || status == http.StatusNotFound {
			return false, err // not registered yet
		}
		if err := json.Unmarshal(body, &node); err != nil {
			return false, fmt.Errorf("GET node %s: %d: %s", NodeName, status, body)
		}
		for _, c := range node.Status.Conditions {
			if c.Type == "Ready" {
				last = c.Status + ": " + c.Message
				return c.Status == "True", nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("node %s not Ready (last: %s): %w", NodeName, last, err)
	}
	return nil
}

// LogTail is the last n lines of the node's daemons' logs and of the cluster's, for failure messages.
func (n *Node) LogTail(lines int) string {
	var b strings.Builder
	for _, name := range []string{"containerd.log", "kubelet.log"} {
		data, err := os.ReadFile(filepath.Join(n.Dir, name))
		if err != nil {
			continue
		}
		l := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(l) > lines {
			l = l[len(l)-lines:]
		}
		fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", len(l), filepath.Join(n.Dir, name), strings.Join(l, "\n"))
	}
	if n.Cluster != nil {
		b.WriteString(n.Cluster.LogTail(lines))
	}
	return b.String()
}

// Stop deletes the node's pods through the API (so the kubelet stops them and their network namespaces while it
// still runs), then stops the kubelet and cleans everything else up by name: see cleanNode.
func (n *Node) Stop(ctx context.Context) {
	if n.kubelet != nil && n.Cluster != nil {
		start := time.Now()
		left, err := n.Cluster.deleteNodePods(ctx, NodeName, 45*time.Second)
		if err != nil {
			n.logf("e2e: node: deleting pods: %v (%d left)", err, left)
		} else {
			n.logf("e2e: node: pods gone (%s)", time.Since(start).Round(10*time.Millisecond))
		}
	}
	n.kubelet.stop(10 * time.Second)
	if n.Cluster != nil {
		defer n.Cluster.Stop()
	}
	n.containerd.stop(10 * time.Second)
	cleanNode(n.Name, n.logf)
}

// CleanStaleNodes cleans up after any earlier node whose test process is gone (killed, or the machine's CI
// stopped it): its processes, mounts, cgroups, network namespace, sysctls and folder.
func CleanStaleNodes(logf func(format string, args ...any)) {
	names := map[string]bool{}
	for _, pattern := range []string{filepath.Join(os.TempDir(), nodePrefix+"*"), filepath.Join("/run/netns", nodePrefix+"*")} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			names[filepath.Base(m)] = true
		}
	}
	for _, h := range cgroupHierarchies() {
		matches, _ := filepath.Glob(filepath.Join(h, nodePrefix+"*"))
		for _, m := range matches {
			names[filepath.Base(m)] = true
		}
	}
	for name := range names {
		pid, err := strconv.Atoi(strings.TrimPrefix(name, nodePrefix))
		if err != nil {
			continue
		}
		if pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			continue // a live run's node
		}
		logf("e2e: node: cleaning up %s, left by a run that ended without its teardown", name)
		cleanNode(name, logf)
	}
}

// cleanNode removes everything of the node called name, whatever state it is in: the processes in its cgroups
// (containers), containerd's shims for its socket, any process still in its network namespace, the mounts under
// its folder, its cgroups, the namespace, then puts the sysctls back and removes the folder.
func cleanNode(name string, logf func(format string, args ...any)) {
	dir := nodeDir(name)
	sock := filepath.Join(dir, "containerd", "containerd.sock")
	for range 3 {
		pids := cgroupPIDs(name)
		pids = append(pids, shimPIDs(sock)...)
		pids = append(pids, netNSPIDs(netNSPath(name))...)
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// Deepest first, so a mount under another goes before it.
	var points []string
	for _, m := range mounts() {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			points = append(points, m.point)
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	for _, p := range points {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			logf("e2e: node: unmounting %s: %v", p, err)
		}
	}
	for _, h := range cgroupHierarchies() {
		removeCgroupTree(filepath.Join(h, name), logf)
	}
	// The kubelet links each container's log into /var/log/containers whatever podLogsDir says.
	if links, err := os.ReadDir("/var/log/containers"); err == nil {
		for _, l := range links {
			path := filepath.Join("/var/log/containers", l.Name())
			if target, err := os.Readlink(path); err == nil && strings.HasPrefix(target, dir+"/") {
				os.Remove(path)
			}
		}
	}
	if _, err := os.Stat(netNSPath(name)); err == nil {
		if err := run(context.Background(), "ip", "netns", "delete", name); err != nil {
			logf("e2e: node: %v", err)
		}
	}
	if changed, err := restoreSysctls(dir); err != nil && !os.IsNotExist(err) {
		logf("e2e: node: restoring sysctls: %v", err)
	} else if len(changed) > 0 {
		logf("e2e: node: restored sysctls the kubelet changed: %s", strings.Join(changed, ", "))
	}
	if os.Getenv("KCURL_E2E_KEEP") != "" {
		logf("e2e: node: kept %s", dir)
		return
	}
	if err := os.RemoveAll(dir); err != nil {
		logf("e2e: node: removing %s: %v", dir, err)
	}
}

// cgroupPIDs are the processes in any cgroup under the node's cgroup root: its containers.
func cgroupPIDs(name string) []int {
	var pids []int
	for _, h := range cgroupHierarchies() {
		filepath.WalkDir(filepath.Join(h, name), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// shimPIDs are the containerd shims serving the containerd at sock: they outlive containerd by design.
func shimPIDs(sock string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if !strings.Contains(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for i, a := range args {
			if a == "-address" && i+1 < len(args) && args[i+1] == sock {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// netNSPIDs are the processes whose network namespace is the one at path.
func netNSPIDs(path string) []int {
	var want syscall.Stat_t
	if err := syscall.Stat(path, &want); err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name(), "ns", "net"), &st) == nil && st.Ino == want.Ino && st.Dev == want.Dev {
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeCgroupTree removes a cgroup folder and every one under it, deepest first (a cgroup folder goes only by
// rmdir, and only once empty of children and processes).
func removeCgroupTree(root string, logf func(format string, args ...any)) {
	var dirs []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		var err error
		for range 20 {
			if err = syscall.Rmdir(d); err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			time.Sleep(100 * time.Millisecond) // a killed process leaves its cgroup a moment after the signal
		}
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			logf("e2e: node: removing cgroup %s: %v", d, err)
		}
	}
}

type mountInfo struct{ point, fsType string }

// mounts reads this process's mount table (the host's: the node's daemons share it).
func mounts() []mountInfo {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mountInfo
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		// ID parent major:minor root point options [optional...] - fstype source superoptions
		fields := strings.Fields(s.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		out = append(out, mountInfo{point: unescapeMount(fields[4]), fsType: fields[sep+1]})
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ContainerLog reads, from the kubelet's own log files, what a container (its first run) wrote to stdout and to
// stderr, apart: the API's pod log mixes the two streams in arrival order. Each line of a CRI log file is
// "TIME STREAM P|F TEXT", P for a part of a line the runtime split, F for a line's end.
func (n *Node) ContainerLog(ns, pod, podUID, container string) (stdout, stderr string, err error) {
	path := filepath.Join(n.Dir, "pod-logs", ns+"_"+pod+"_"+podUID, container, "0.log")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var out, errOut strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		fields := strings.SplitN(strings.TrimSuffix(line, "\n"), " ", 4)
		if len(fields) < 3 {
			continue
		}
		text := ""
		if len(fields) == 4 {
			text = fields[3]
		}
		if fields[2] == "F" {
			text += "\n"
		}
		switch fields[1] {
		case "stdout":
			out.WriteString(text)
		case "stderr":
			errOut.WriteString(text)
		}
	}
	return out.String(), errOut.String(), nil
}
