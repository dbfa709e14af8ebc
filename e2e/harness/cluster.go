// Package harness runs a real kube-apiserver and etcd on 127.0.0.1 for kcurl's end-to-end tests and demo:
// it builds or reuses the two binaries, makes the PKI, starts and always stops the servers, performs setup calls as
// an admin, mints service-account tokens through the TokenRequest API, and lays them out as the kubelet does.
package harness

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Issuer is the service-account token issuer, the one a kubeadm cluster uses.
const Issuer = "https://kubernetes.default.svc.cluster.local"

// Options configures Start.
type Options struct {
	Binaries Binaries
	// Dir holds the PKI, etcd's data and both servers' logs; it must exist.
	Dir string
	// ReadyTimeout bounds the wait for etcd's /health and then kube-apiserver's /readyz; default 60 s.
	ReadyTimeout time.Duration
	// ExtraAPIServerFlags are appended to kube-apiserver's command line.
	ExtraAPIServerFlags []string
	// NetNS, when set, is the path of a network namespace (/run/netns/NAME) to run etcd and kube-apiserver in: a
	// node's pods reach kube-apiserver at ServiceIP:443 there, as at a real cluster's kubernetes Service. The
	// harness reaches both by dialing from inside that namespace, so nothing listens on the host.
	NetNS string
}

// In a node's network namespace: the kubernetes Service's ClusterIP (the first address of
// --service-cluster-ip-range, which kube-apiserver gives that Service) and the node's own address. Both sit on the
// namespace's loopback device; no route leads out of it.
const (
	ServiceIP = "10.0.0.1"
	NodeIP    = "10.0.1.1"
)

// Cluster is a running etcd and kube-apiserver pair on loopback.
type Cluster struct {
	// Host and Port are what a pod finds in KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
	Host, Port string
	// URL is https://Host:Port.
	URL string
	// EtcdURL is etcd's client URL, for compaction through its HTTP gateway.
	EtcdURL string
	PKI     *PKI
	Dir     string
	// NetNS is Options.NetNS: empty when the servers run on the host's loopback.
	NetNS string

	admin     *http.Client
	etcd      *process
	apiserver *process
	stopOnce  sync.Once
}

// errExited says a server ended before it was ready; the usual cause is a port taken between freePorts and bind.
var errExited = errors.New("exited before it was ready")

// Start makes the PKI in opts.Dir, starts etcd, waits for it, starts kube-apiserver and waits for /readyz.
// On any failure it stops what it started and returns the tail of the servers' logs in the error. A server that
// exits early is retried on new ports, twice, since another process may have taken a port picked for it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 60 * time.Second
	}
	for attempt := 1; ; attempt++ {
		c, err := start(ctx, opts)
		if err == nil || !errors.Is(err, errExited) || attempt == 3 {
			return c, err
		}
		// A fresh etcd member needs an empty data dir.
		if err := os.RemoveAll(filepath.Join(opts.Dir, "etcd-data")); err != nil {
			return nil, err
		}
	}
}

func start(ctx context.Context, opts Options) (*Cluster, error) {
	var servingIPs []net.IP
	host, bindAddress, advertiseAddress := "127.0.0.1", "127.0.0.1", "127.0.0.1"
	var etcdPort, peerPort, apiPort int
	if opts.NetNS != "" {
		// The namespace is the test's own, so the well-known ports are free; 443 is what pods find in
		// KUBERNETES_SERVICE_PORT.
		etcdPort, peerPort, apiPort = 2379, 2380, 443
		servingIPs = []net.IP{net.ParseIP(ServiceIP), net.ParseIP(NodeIP)}
		host, bindAddress, advertiseAddress = ServiceIP, "0.0.0.0", NodeIP
	} else {
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		etcdPort, peerPort, apiPort = ports[0], ports[1], ports[2]
	}
	pki, err := NewPKI(filepath.Join(opts.Dir, "pki"), servingIPs...)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Host:    host,
		Port:    strconv.Itoa(apiPort),
		EtcdURL: "http://127.0.0.1:" + strconv.Itoa(etcdPort),
		PKI:     pki,
		Dir:     opts.Dir,
		NetNS:   opts.NetNS,
	}
	c.URL = "https://" + net.JoinHostPort(c.Host, c.Port)
	c.admin, err = c.adminClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()

	peerURL := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	c.etcd, err = startProcess(opts.NetNS, opts.Binaries.Etcd, filepath.Join(opts.Dir, "etcd.log"),
		"--name=default",
		"--data-dir="+filepath.Join(opts.Dir, "etcd-data"),
		"--listen-client-urls="+c.EtcdURL,
		"--advertise-client-urls="+c.EtcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		// Test data need not survive a crash; skipping fsync makes writes fast on slow disks.
		"--unsafe-no-fsync=true",
	)
	if err != nil {
		return nil, err
	}
	etcdHealth := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: dialIn(opts.NetNS)}}
	if err := c.waitFor(ctx, c.etcd, etcdHealth, c.EtcdURL+"/health"); err != nil {
		c.Stop()
		return nil, fmt.Errorf("etcd did not become healthy: %w\n%s", err, c.LogTail(40))
	}

	args := []string{
		"--bind-address=" + bindAddress,
		"--advertise-address=" + advertiseAddress,
		"--secure-port=" + c.Port,
		"--etcd-servers=" + c.EtcdURL,
		"--cert-dir=" + filepath.Join(opts.Dir, "apiserver-certs"),
		"--tls-cert-file=" + pki.ServingCertFile,
		"--tls-private-key-file=" + pki.ServingKeyFile,
		"--client-ca-file=" + pki.CAFile,
		// A pod without a token must see 401, as on a real cluster; anonymous auth would turn it into 403.
		"--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--service-account-key-file=" + pki.SAPubFile,
		"--service-account-signing-key-file=" + pki.SAKeyFile,
		"--service-account-issuer=" + Issuer,
		// Only a configuration value: nothing on that range is ever contacted.
		"--service-cluster-ip-range=10.0.0.0/24",
		// No Endpoints object for the kubernetes Service: nothing else needs it and it avoids a reconcile loop.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	}
	c.apiserver, err = startProcess(opts.NetNS, opts.Binaries.KubeAPIServer, filepath.Join(opts.Dir, "kube-apiserver.log"),
		append(args, opts.ExtraAPIServerFlags...)...)
	if err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.waitFor(ctx, c.apiserver, c.admin, c.URL+"/readyz"); err != nil {
		c.Stop()
		return nil, fmt.Errorf("kube-apiserver did not become ready: %w\n%s", err, c.LogTail(60))
	}
	return c, nil
}

// waitFor polls url until it answers 200, the process exits, or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, p *process, client *http.Client, url string) error {
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s %w: %v", filepath.Base(p.cmd.Path), errExited, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends kube-apiserver, then etcd: in that order, because kube-apiserver can hang on SIGTERM for over a minute
// once etcd is gone. Each gets SIGTERM and, after a bound, SIGKILL. Stop is safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.apiserver.stop(10 * time.Second)
		c.etcd.stop(10 * time.Second)
	})
}

// StopAPIServer ends only kube-apiserver, so a test can see a connection refused where it was.
func (c *Cluster) StopAPIServer() { c.apiserver.stop(10 * time.Second) }

// LogTail is the last n lines of each server's log, for failure messages.
func (c *Cluster) LogTail(n int) string {
	var b strings.Builder
	for _, name := range []string{"etcd.log", "kube-apiserver.log"} {
		data, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", len(lines), filepath.Join(c.Dir, name), strings.Join(lines, "\n"))
	}
	return b.String()
}

func (c *Cluster) adminClient() (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(c.PKI.AdminCertFile, c.PKI.AdminKeyFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.PKI.CA.Cert)
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}},
			ForceAttemptHTTP2: true,
			DialContext:       dialIn(c.NetNS),
		},
	}, nil
}

// freePorts asks the kernel for n distinct free loopback ports. They are released before the servers bind them;
// the window is small and the kernel does not hand out a just-released port again soon.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// FreePort is a loopback port nothing listens on, for a test of connection refused.
func FreePort() (int, error) {
	ports, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// process is one server program, its log file and its exit.
type process struct {
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// startProcess starts path with args, inside the network namespace netns when it is not empty: through nsenter,
// which joins it and then execs path, so the process keeps the host's mount namespace and its PID is path's own.
func startProcess(netns, path, logPath string, args ...string) (*process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	if netns != "" {
		args = append([]string{"--net=" + netns, "--", path}, args...)
		path = "nsenter"
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = log
	cmd.Stderr = log
	// Its own process group keeps a terminal's Ctrl-C from reaching it before the harness stops it in order;
	// the parent-death signal kills it if the test process dies without stopping it (a panic, a timeout).
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	p := &process{cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) stop(grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	signalGroup(p.cmd.Process, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		signalGroup(p.cmd.Process, syscall.SIGKILL)
		<-p.done
	}
}

// Do sends one request as the admin (system:masters) and returns the status and body.
func (c *Cluster) Do(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.admin.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return resp.StatusCode, buf.Bytes(), err
	}
	return resp.StatusCode, buf.Bytes(), nil
}
