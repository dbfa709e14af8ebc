// Command bench measures kcurl beside curl and kubectl, in the same run and alternating between them: it builds
// kcurl as it ships (static, stripped), starts a Go TLS server on 127.0.0.1 with a CA of its own (and, with
// -apiserver, a real kube-apiserver and etcd through the e2e harness), runs each scenario many times and writes
// min/median/max wall time and peak RSS, watch latency, binary sizes and the machine to a Markdown file.
//
//	cd bench && go run . -out RESULTS.md
//
// Every process gets stdout and stderr on /dev/null (or a pipe, for watch latency) and a clean environment
// (PATH, HOME in a temporary folder, the pod's variables for kcurl); no address but loopback is ever used.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"kcurl/e2e/harness"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	out          string
	reps         int
	bigReps      int
	seqReps      int
	startupReps  int
	watchEvents  int
	watchRuns    int
	timelineRuns int
	apiserver    bool
	kubectlBig   bool
	only         string
	kcurlBinary  string
	baseline     string
	keep         bool
	skipNMReport bool
	serve        time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.out, "out", "RESULTS.md", "Markdown file to write the results to (- for stdout)")
	flag.IntVar(&cfg.reps, "reps", 40, "runs of each tool for the quick scenarios")
	flag.IntVar(&cfg.bigReps, "big-reps", 3, "runs of each tool for the 1 GiB body")
	flag.IntVar(&cfg.startupReps, "startup-reps", 150, "runs of each tool for the start-up scenarios (one GET, --version, a bad option), whose ratios to the floors are issue 15's targets")
	flag.IntVar(&cfg.seqReps, "seq-reps", 10, "runs of each tool for 100 sequential requests (kubectl: 3 at most, 100 processes each)")
	flag.IntVar(&cfg.watchEvents, "watch-events", 1000, "events per watch run")
	flag.IntVar(&cfg.watchRuns, "watch-runs", 3, "watch runs per tool, alternating")
	flag.IntVar(&cfg.timelineRuns, "timeline-runs", 20, "runs of each process for where a GET's time goes (scenario id timeline)")
	flag.BoolVar(&cfg.apiserver, "apiserver", true, "also measure against a real kube-apiserver from the e2e harness (cached binaries start in seconds; a cold build takes minutes)")
	flag.BoolVar(&cfg.kubectlBig, "kubectl-big", true, "run kubectl (once) on the 1 GiB body too; kubectl holds the whole body in memory")
	flag.StringVar(&cfg.only, "only", "", "comma-separated scenario ids to run (default all)")
	flag.StringVar(&cfg.kcurlBinary, "kcurl", "", "measure this kcurl binary instead of building one")
	flag.StringVar(&cfg.baseline, "baseline", "", "also measure this kcurl binary (an earlier build) in the start-up scenarios (one GET, --version, a bad option), alternating with the others, as the row \"kcurl baseline\"")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder (binaries, CA, kubeconfig)")
	flag.BoolVar(&cfg.skipNMReport, "no-nm", false, "skip the unstripped build and the per-package symbol sizes")
	flag.DurationVar(&cfg.serve, "serve", 0, "only start the local server (and, with -apiserver, the real kube-apiserver), print the pod's environment for each and serve for this long (for profiling by hand)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if cfg.serve > 0 {
		err = serve(ctx, cfg.serve, cfg.apiserver)
	} else {
		err = run(ctx, cfg)
	}
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

func run(ctx context.Context, cfg config) error {
	started := time.Now()
	dir, err := os.MkdirTemp("", "kcurl-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		logf("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}

	bins, err := buildBinaries(ctx, cfg, root, dir)
	if err != nil {
		return err
	}
	rep := &report{cfg: cfg, started: started, bins: bins, root: root}
	rep.machine = describeMachine(ctx, bins)
	if f, err := rssFloor(ctx, bins.launcher); err == nil {
		rep.machine = append(rep.machine, fmt.Sprintf("peak-RSS floor of the measurement: %.2f MiB (`/bin/true` under the launcher; a tool's figure is exact when above it)", f))
	}
	if !cfg.skipNMReport && cfg.kcurlBinary == "" {
		if rep.symbols, err = symbolSizes(ctx, root, dir, bins.kcurl); err != nil {
			logf("per-package symbol sizes: %v", err)
		}
	}

	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	local, err := localTarget(dir, home)
	if err != nil {
		return err
	}
	defer local.close()
	b := &bench{cfg: cfg, bins: bins, home: home, pretty: supportsPretty(ctx, bins.kcurl)}
	rep.pretty = b.pretty
	rep.loadBefore = loadAverage()
	if devNullIsTerminal(ctx, b, local.target) {
		rep.findings = append(rep.findings, "kcurl treats /dev/null as a terminal: with stdout on /dev/null and no -s it draws no progress meter, "+
			"where curl does, and JSON bodies get the terminal default (--pretty). A character device is not a terminal; isatty (TCGETS) is the test")
	}

	rep.results = append(rep.results, b.runScenarios(ctx, b.localScenarios(local.target))...)
	if cfg.watchEvents > 0 && cfg.watchRuns > 0 && wanted(cfg, "watch") {
		rep.watch = b.watchLatency(ctx, local)
	}
	if cfg.timelineRuns > 0 && wanted(cfg, "timeline") {
		rep.timelines = append(rep.timelines, b.timeline(ctx, local.target))
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	if cfg.apiserver {
		api, stopAPI, err := apiServerTarget(ctx, dir, home)
		if err != nil {
			logf("kube-apiserver: %v; its rows are left out", err)
			rep.apiErr = err.Error()
		} else {
			rep.apiVersion = api.version
			rep.results = append(rep.results, b.runScenarios(ctx, b.apiScenarios(api))...)
			if cfg.timelineRuns > 0 && wanted(cfg, "timeline") {
				rep.timelines = append(rep.timelines, b.timeline(ctx, api.target))
			}
			stopAPI()
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.elapsed = time.Since(started)
	rep.loadAfter = loadAverage()
	md := rep.markdown()
	if cfg.out == "-" {
		_, err = os.Stdout.WriteString(md)
		return err
	}
	if err := os.WriteFile(cfg.out, []byte(md), 0o644); err != nil {
		return err
	}
	logf("wrote %s in %s", cfg.out, rep.elapsed.Round(time.Second))
	return nil
}

func wanted(cfg config, id string) bool {
	if cfg.only == "" {
		return true
	}
	for _, s := range strings.Split(cfg.only, ",") {
		if strings.TrimSpace(s) == id {
			return true
		}
	}
	return false
}

// binaries are the programs measured.
type binaries struct {
	kcurl, floor, floorLibs, curl, kubectl string
	// baseline is an earlier kcurl to compare with (-baseline), or "".
	baseline string
	// empty is a Go program that does nothing: exec, runtime start and exit.
	empty string
	// launcher starts every measured process; see launcher/main.go.
	launcher string
}

func buildBinaries(ctx context.Context, cfg config, root, dir string) (binaries, error) {
	var b binaries
	var err error
	if b.curl, err = exec.LookPath("curl"); err != nil {
		return b, fmt.Errorf("curl is not installed: %w", err)
	}
	if b.kubectl, err = exec.LookPath("kubectl"); err != nil {
		return b, fmt.Errorf("kubectl is not installed: %w", err)
	}
	b.kcurl, b.baseline = cfg.kcurlBinary, cfg.baseline
	if b.kcurl == "" {
		logf("building kcurl: CGO_ENABLED=0 go build %s -o %s . (in %s)", strings.Join(harness.ShipFlags, " "), filepath.Join(dir, "kcurl"), root)
		if b.kcurl, err = harness.BuildKcurl(ctx, dir, harness.ShipFlags...); err != nil {
			return b, err
		}
	}
	benchDir := filepath.Join(root, "bench")
	static := []string{"CGO_ENABLED=0"}
	b.floor = filepath.Join(dir, "floor")
	if err := harness.GoBuild(ctx, benchDir, b.floor, "./floor", static, harness.ShipFlags...); err != nil {
		return b, err
	}
	b.floorLibs = filepath.Join(dir, "floor-libs")
	if err := harness.GoBuild(ctx, benchDir, b.floorLibs, "./floor", static, append([]string{"-tags", "libs"}, harness.ShipFlags...)...); err != nil {
		return b, err
	}
	b.empty = filepath.Join(dir, "empty")
	if err := harness.GoBuild(ctx, benchDir, b.empty, "./empty", static, harness.ShipFlags...); err != nil {
		return b, err
	}
	b.launcher = filepath.Join(dir, "launcher")
	if err := harness.GoBuild(ctx, benchDir, b.launcher, "./launcher", static, harness.ShipFlags...); err != nil {
		return b, err
	}
	for _, p := range []*string{&b.kcurl, &b.baseline, &b.floor, &b.floorLibs, &b.empty} {
		if *p == "" {
			continue
		}
		if *p, err = install(*p, filepath.Join(dir, "installed")); err != nil {
			return b, err
		}
	}
	return b, nil
}

// install copies the program at src into dir with read(2) and write(2), as unpacking an image layer does, and
// returns the copy's path. The Go linker writes its output through a memory mapping, and the page cache keeps a
// file as it was written: on the machine of bench/RESULTS.md (Linux 6.18, ext4), a cp of a binary just linked ran
// 6–9% faster in wall and 3–8% in CPU than the binary itself (a GET and --version, kcurl's and the floors', 80 to 100
// alternating runs each), with the same page faults, and three copies of one binary ran within 2% of each other.
// Every Go program measured is installed this way, and synced, before its first run, so none starts ahead of
// another by how it was made.
func install(src, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(dir, filepath.Base(src))
	if _, err := os.Stat(dst); err == nil {
		dst = filepath.Join(dir, "baseline-"+filepath.Base(src)) // -baseline may share kcurl's name
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(struct{ io.Writer }{out}, in) // not copy_file_range: bytes through write(2)
	if err == nil {
		err = out.Sync() // written back, as an unpacked layer is long before a probe runs
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return dst, err
}

// serve runs the local server, and the real kube-apiserver beside it when withAPIServer, for d without measuring
// anything, printing what a shell needs to point kcurl and curl at each.
func serve(ctx context.Context, d time.Duration, withAPIServer bool) error {
	dir, err := os.MkdirTemp("", "kcurl-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local, err := localTarget(dir, dir)
	if err != nil {
		return err
	}
	defer local.close()
	t := local.target
	fmt.Printf("export KUBERNETES_SERVICE_HOST=%s KUBERNETES_SERVICE_PORT=%s KCURL_SERVICE_ACCOUNT_DIR=%s\n", t.host, t.port, t.saDir)
	fmt.Printf("# kcurl -s %s   |   curl -s --cacert %s -H 'Authorization: Bearer %s' %s%s\n", t.object, t.caFile, t.token, t.url, t.object)
	fmt.Printf("# paths: %s, %s (10 MB), %s?bytes=N; serving for %s\n", objectPath, listPath, bodyPath, d)
	if withAPIServer {
		api, stopAPI, err := apiServerTarget(ctx, dir, dir)
		if err != nil {
			return err
		}
		defer stopAPI()
		t := api.target
		fmt.Printf("# the real kube-apiserver (%s):\n", api.version)
		fmt.Printf("export KUBERNETES_SERVICE_HOST=%s KUBERNETES_SERVICE_PORT=%s KCURL_SERVICE_ACCOUNT_DIR=%s\n", t.host, t.port, t.saDir)
		fmt.Printf("# kcurl -s %s\n", t.object)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	<-ctx.Done()
	return nil
}

// rssFloor is the median peak RSS the launcher reports for /bin/true, in MiB: what a child inherits from it.
func rssFloor(ctx context.Context, launcher string) (float64, error) {
	var xs []float64
	for range 5 {
		s, err := measure(ctx, launcher, command{path: "/bin/true"}, 0)
		if err != nil {
			return 0, err
		}
		xs = append(xs, float64(s.maxRSS)/mibF)
	}
	return summarize(xs).median, nil
}

// devNullIsTerminal reports whether kcurl, with stdout on /dev/null and no -s, stays as quiet as it is on a terminal:
// curl draws its progress meter on stderr there, because /dev/null is not a tty.
func devNullIsTerminal(ctx context.Context, b *bench, t *target) bool {
	c := b.kcurl(t, t.object)
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = c.env
	cmd.Stdout = devNull
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return false
	}
	return stderr.Len() == 0
}

// loadAverage is /proc/loadavg's first three fields: other work on the machine skews every figure.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// supportsPretty reports whether this kcurl has --pretty yet; until it does, that row is marked pending.
func supportsPretty(ctx context.Context, kcurl string) bool {
	out, _ := exec.CommandContext(ctx, kcurl, "--help").Output()
	return strings.Contains(string(out), "--pretty")
}
