package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"kcurl/e2e/harness"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Tools, in the order the report lists them.
const (
	toolKcurl   = "kcurl"
	toolCurl    = "curl"
	toolKubectl = "kubectl"
	toolFloor   = "Go floor"
	// toolFloorLibs is the floor linked with kong and go-json, unused: what the libraries cost by being there.
	toolFloorLibs = "Go floor + kong + go-json"
)

// toolBaseline is an earlier kcurl build (-baseline), run beside kcurl in the start-up scenarios: a change's
// before and after, measured in the same run.
const toolBaseline = "kcurl baseline"

var toolOrder = []string{toolKcurl, toolBaseline, toolCurl, toolKubectl, toolFloor, toolFloorLibs}

// baselineScenarios are where toolBaseline runs: those start-up decides.
var baselineScenarios = map[string]bool{"get": true, "api-get": true, "version": true, "badopt": true}

// addBaseline gives the baseline kcurl's run the same arguments, environment and expected exit as kcurl's.
func (b *bench) addBaseline(sc *scenario) {
	kcurl, ok := sc.runs[toolKcurl]
	if b.bins.baseline == "" || !ok || !baselineScenarios[sc.id] {
		return
	}
	var cmds []command
	for _, c := range kcurl {
		c.path = b.bins.baseline
		cmds = append(cmds, c)
	}
	sc.runs[toolBaseline] = cmds
	if code, ok := sc.exitCodes[toolKcurl]; ok {
		sc.exitCodes[toolBaseline] = code
	}
}

// target is a server the tools talk to, and what each needs to reach it as a pod would.
type target struct {
	name       string
	host, port string
	url        string
	token      string
	caFile     string
	saDir      string
	kubeconfig string
	// object is the path of one small object the token may GET.
	object string
	// objectBody is what GET object answers, when it is known byte for byte.
	objectBody []byte
}

// localServerTarget is the local Go server and its target.
type localServerTarget struct {
	*localServer
	target *target
}

func localTarget(dir, home string) (*localServerTarget, error) {
	token := "kcurl-bench-" + strconv.FormatInt(int64(os.Getpid()), 10) + "-token"
	s, err := startLocalServer(token)
	if err != nil {
		return nil, err
	}
	t := &target{name: "Go TLS server", host: s.host, port: s.port, url: s.url, token: token, object: objectPath, objectBody: s.object}
	t.saDir = filepath.Join(dir, "local-sa")
	if _, err := harness.NewServiceAccountDir(t.saDir, harness.Projection{Token: token, CACert: s.caPEM, Namespace: "bench"}); err != nil {
		s.close()
		return nil, err
	}
	t.caFile = filepath.Join(t.saDir, "ca.crt")
	t.kubeconfig = filepath.Join(dir, "local-kubeconfig")
	if err := harness.WriteKubeconfig(t.kubeconfig, t.url, t.caFile, token); err != nil {
		s.close()
		return nil, err
	}
	return &localServerTarget{localServer: s, target: t}, nil
}

// bench runs scenarios.
type bench struct {
	cfg    config
	bins   binaries
	home   string
	pretty bool
}

// baseEnv is every process's environment: nothing from the caller's but PATH, so no proxy or curlrc applies.
func (b *bench) baseEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.home, "LC_ALL=C"}
}

// podEnv adds what a pod has: the service's address and (kcurl's test seam) the service-account folder.
func (b *bench) podEnv(t *target) []string {
	return append(b.baseEnv(),
		"KUBERNETES_SERVICE_HOST="+t.host,
		"KUBERNETES_SERVICE_PORT="+t.port,
		"KCURL_SERVICE_ACCOUNT_DIR="+t.saDir)
}

func (b *bench) kcurl(t *target, args ...string) command {
	return command{path: b.bins.kcurl, args: args, env: b.podEnv(t)}
}

func (b *bench) curl(t *target, args ...string) command {
	full := append([]string{"--cacert", t.caFile, "-H", "Authorization: Bearer " + t.token}, args...)
	return command{path: b.bins.curl, args: full, env: b.baseEnv()}
}

func (b *bench) kubectl(t *target, args ...string) command {
	return command{path: b.bins.kubectl, args: append([]string{"--kubeconfig", t.kubeconfig}, args...), env: b.baseEnv()}
}

func (b *bench) floor(t *target, paths ...string) command {
	return command{path: b.bins.floor, args: paths, env: b.podEnv(t)}
}

func (b *bench) floorLibs(t *target, paths ...string) command {
	return command{path: b.bins.floorLibs, args: paths, env: b.podEnv(t)}
}

// scenario is one row group of the table: each tool's way to do the same thing.
type scenario struct {
	id     string
	title  string
	target *target
	// reps is how many samples each tool gets; repsFor overrides it per tool.
	reps    int
	repsFor map[string]int
	// bytes is the body size, for throughput.
	bytes int64
	// runs are each tool's commands for one sample (kubectl's 100 sequential requests are 100 processes).
	runs map[string][]command
	// skip says why a tool has no row.
	skip map[string]string
	// exitCodes are the exit statuses expected of tools that should not exit 0; any other status fails the row.
	exitCodes map[string]int
	// check verifies one captured run's stdout (its first 64 KiB and its length) before timing.
	check func(tool string, head []byte, n int64) error
	note  string
	// pending marks a row that waits for a kcurl feature.
	pending string
}

func (s *scenario) repsOf(tool string) int {
	if n, ok := s.repsFor[tool]; ok {
		return n
	}
	return s.reps
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// exactBody checks a body against the bytes it must be, repeated n times.
func exactBody(want []byte, times int) func(string, []byte, int64) error {
	return func(tool string, head []byte, n int64) error {
		if n != int64(len(want)*times) {
			return fmt.Errorf("%s wrote %d bytes, want %d", tool, n, len(want)*times)
		}
		if w := bytes.Repeat(want, times); !bytes.HasPrefix(w, head) {
			return fmt.Errorf("%s wrote %.80q…, want %.80q…", tool, head, w)
		}
		return nil
	}
}

func sizeIs(want int64) func(string, []byte, int64) error {
	return func(tool string, _ []byte, n int64) error {
		if n != want {
			return fmt.Errorf("%s wrote %d bytes, want %d", tool, n, want)
		}
		return nil
	}
}

func contains(words map[string]string) func(string, []byte, int64) error {
	return func(tool string, head []byte, _ int64) error {
		if w := words[tool]; !bytes.Contains(head, []byte(w)) {
			return fmt.Errorf("%s wrote %.200q, want it to hold %q", tool, head, w)
		}
		return nil
	}
}

const (
	mib = 1 << 20
	gib = 1 << 30
)

// getScenarios are the request-shaped scenarios any target has: one GET, one GET with -i -w, 100 GETs.
func (b *bench) getScenarios(t *target, prefix string) []*scenario {
	full := t.url + t.object
	seqKubectl := make([]command, 100)
	for i := range seqKubectl {
		seqKubectl[i] = b.kubectl(t, "get", "--raw", t.object)
	}
	var exact func(int) func(string, []byte, int64) error
	if t.objectBody != nil {
		exact = func(n int) func(string, []byte, int64) error { return exactBody(t.objectBody, n) }
	} else {
		exact = func(int) func(string, []byte, int64) error {
			return func(tool string, head []byte, _ int64) error {
				// The API server indents JSON for a User-Agent starting "curl/", so only the kind is checked.
				if !bytes.Contains(head, []byte(`"ConfigMap"`)) {
					return fmt.Errorf("%s wrote %.200q, want a ConfigMap", tool, head)
				}
				return nil
			}
		}
	}
	iw := []string{"-s", "-i", "-w", "%{http_code}"}
	return []*scenario{
		{
			id: prefix + "get", title: "one authenticated GET", target: t, reps: b.cfg.startupReps,
			// kubectl is no floor: its rows need no more samples than the other scenarios'.
			repsFor: map[string]int{toolKubectl: b.cfg.reps},
			runs: map[string][]command{
				toolKcurl:   {b.kcurl(t, "-s", t.object)},
				toolCurl:    {b.curl(t, "-s", full)},
				toolKubectl: {b.kubectl(t, "get", "--raw", t.object)},
				toolFloor:   {b.floor(t, t.object)},
				// Here, in `--version` and in the bad option: where start-up is most of the time.
				toolFloorLibs: {b.floorLibs(t, t.object)},
			},
			check: exact(1),
		},
		{
			id: prefix + "get-iw", title: "the same GET with `-i -w '%{http_code}'`", target: t, reps: b.cfg.reps,
			runs: map[string][]command{
				toolKcurl: {b.kcurl(t, append(iw, t.object)...)},
				toolCurl:  {b.curl(t, append(iw, full)...)},
			},
			skip:  map[string]string{toolKubectl: "no -i or -w", toolFloor: "no flags"},
			check: func(tool string, head []byte, _ int64) error { return headAndCode(tool, head) },
		},
		{
			id: prefix + "seq100", title: "100 sequential GETs in one invocation", target: t,
			reps: b.cfg.seqReps, repsFor: map[string]int{toolKubectl: min(b.cfg.seqReps, 3)},
			runs: map[string][]command{
				toolKcurl:   {b.kcurl(t, append([]string{"-s"}, repeat(t.object, 100)...)...)},
				toolCurl:    {b.curl(t, append([]string{"-s"}, repeat(full, 100)...)...)},
				toolKubectl: seqKubectl,
				toolFloor:   {b.floor(t, repeat(t.object, 100)...)},
			},
			check: func(tool string, head []byte, n int64) error {
				if tool == toolKubectl { // the first of its 100 processes is what is checked
					return exact(1)(tool, head, n)
				}
				return exact(100)(tool, head, n)
			},
			note: "kubectl has no several-URL form: its sample is 100 invocations of `get --raw` one after the other (wall is their sum, RSS their maximum), fewer samples",
		},
	}
}

func headAndCode(tool string, head []byte) error {
	if !bytes.HasPrefix(head, []byte("HTTP/")) || !bytes.HasSuffix(head, []byte("200")) || !bytes.Contains(head, []byte("\r\n\r\n")) {
		return fmt.Errorf("%s wrote %.200q, want headers, the body and 200", tool, head)
	}
	return nil
}

// localScenarios are every scenario against the local Go server.
func (b *bench) localScenarios(t *target) []*scenario {
	list := configMapList(listSize)
	body := func(n int64) string { return bodyPath + "?bytes=" + strconv.FormatInt(n, 10) }
	bodyScenario := func(id, title string, n int64, reps int, extra ...string) *scenario {
		s := &scenario{
			id: id, title: title, target: t, reps: reps, bytes: n,
			runs: map[string][]command{
				toolKcurl: {b.kcurl(t, append(append([]string{"-s"}, extra...), body(n))...)},
				toolCurl:  {b.curl(t, append(append([]string{"-s"}, extra...), t.url+body(n))...)},
			},
			skip:  map[string]string{},
			check: sizeIs(n),
		}
		if len(extra) == 0 {
			s.runs[toolFloor] = []command{b.floor(t, body(n))}
			if n < gib || b.cfg.kubectlBig {
				s.runs[toolKubectl] = []command{b.kubectl(t, "get", "--raw", body(n))}
				s.repsFor = map[string]int{toolKubectl: min(reps, 1+int(gib/(n+1)))}
			} else {
				s.skip[toolKubectl] = "left out (-kubectl-big=false)"
			}
		} else {
			s.skip[toolKubectl], s.skip[toolFloor] = "diagnostic row", "diagnostic row"
		}
		return s
	}
	// plain is a download byte for byte: once kcurl has --pretty (on by default for a terminal), say so.
	plain := []string{"-s"}
	if b.pretty {
		plain = append(plain, "--no-pretty")
	}
	all := b.getScenarios(t, "")
	all = append(all,
		bodyScenario("body10m", "10 MiB body to /dev/null", 10*mib, b.cfg.reps/2),
		bodyScenario("body1g", "1 GiB body to /dev/null", gib, b.cfg.bigReps),
		bodyScenario("body1g-h1", "1 GiB body to /dev/null over HTTP/1.1 (`--http1.1`)", gib, b.cfg.bigReps, "--http1.1"),
		&scenario{
			id: "list10m", title: "10 MB JSON list, plain download", target: t, reps: b.cfg.reps / 2, bytes: int64(len(list)),
			runs: map[string][]command{
				toolKcurl:   {b.kcurl(t, append(plain, listPath)...)},
				toolCurl:    {b.curl(t, "-s", t.url+listPath)},
				toolKubectl: {b.kubectl(t, "get", "--raw", listPath)},
				toolFloor:   {b.floor(t, listPath)},
			},
			check: exactBody(list, 1),
		},
	)
	pretty := &scenario{
		id: "pretty10m", title: "10 MB JSON list through `--pretty`", target: t, reps: b.cfg.reps / 2, bytes: int64(len(list)),
		runs:  map[string][]command{toolKcurl: {b.kcurl(t, "-s", "--pretty", listPath)}},
		skip:  map[string]string{toolCurl: "no --pretty", toolKubectl: "no --pretty for --raw", toolFloor: "no --pretty"},
		check: prettyCheck(list),
	}
	if !b.pretty {
		pretty.runs = nil
		pretty.pending = "pending --pretty: this kcurl has no --pretty yet; the row is measured as soon as `kcurl --help` lists it"
	}
	all = append(all, pretty,
		&scenario{
			id: "version", title: "`--version` start-up", target: t, reps: b.cfg.startupReps,
			repsFor: map[string]int{toolKubectl: b.cfg.reps},
			runs: map[string][]command{
				toolKcurl:     {b.kcurl(t, "--version")},
				toolCurl:      {command{path: b.bins.curl, args: []string{"--version"}, env: b.baseEnv()}},
				toolKubectl:   {command{path: b.bins.kubectl, args: []string{"version", "--client"}, env: b.baseEnv()}},
				toolFloor:     {b.floor(t, "--version")},
				toolFloorLibs: {b.floorLibs(t, "--version")},
			},
			check: contains(map[string]string{toolKcurl: "kcurl ", toolCurl: "curl ", toolKubectl: "Client Version", toolFloor: "floor (", toolFloorLibs: "floor ("}),
			note:  "kubectl's is `version --client`",
		},
		&scenario{
			id: "badopt", title: "bad option (exit 2)", target: t, reps: b.cfg.startupReps,
			repsFor: map[string]int{toolKubectl: b.cfg.reps},
			runs: map[string][]command{
				toolKcurl:     {b.kcurl(t, "--no-such-option")},
				toolCurl:      {command{path: b.bins.curl, args: []string{"--no-such-option"}, env: b.baseEnv()}},
				toolKubectl:   {command{path: b.bins.kubectl, args: []string{"--no-such-option"}, env: b.baseEnv()}},
				toolFloor:     {b.floor(t, "--no-such-option")},
				toolFloorLibs: {b.floorLibs(t, "--no-such-option")},
			},
			// kubectl's unknown flag is cobra's error, exit 1 (every run checked, as for the others).
			exitCodes: map[string]int{toolKcurl: 2, toolCurl: 2, toolKubectl: 1, toolFloor: 2, toolFloorLibs: 2},
			check:     sizeIs(0),
			note:      "`--no-such-option`: the error goes to stderr and stdout stays empty; kubectl exits 1, the others 2, and a run that exits otherwise fails its row",
		},
	)
	return all
}

// prettyCheck accepts indented JSON that decodes to the same value as the list; only the first 64 KiB is seen, so it
// checks that output is indented and the length is plausible.
func prettyCheck(list []byte) func(string, []byte, int64) error {
	return func(tool string, head []byte, n int64) error {
		if !bytes.HasPrefix(head, []byte("{\n")) || n < int64(len(list)) {
			return fmt.Errorf("%s wrote %d bytes starting %.80q, want indented JSON at least as long as the list", tool, n, head)
		}
		return nil
	}
}

// headCounter keeps the first 64 KiB written and counts the rest.
type headCounter struct {
	head []byte
	n    int64
}

func (h *headCounter) Write(p []byte) (int, error) {
	if room := 64<<10 - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(room, len(p))]...)
	}
	h.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*headCounter)(nil)

// result is one tool's samples in one scenario.
type result struct {
	sc      *scenario
	tool    string
	samples []sample
	skip    string
	err     string
	command string
}

// runScenarios checks each tool once, then takes the samples alternating between tools, starting each round with
// the next tool, so drift and warm caches favour none of them.
func (b *bench) runScenarios(ctx context.Context, scs []*scenario) []*result {
	var out []*result
	for _, sc := range scs {
		if !wanted(b.cfg, sc.id) {
			continue
		}
		b.addBaseline(sc)
		var active []*result
		for _, tool := range toolOrder {
			r := &result{sc: sc, tool: tool}
			cmds, ok := sc.runs[tool]
			switch {
			case sc.pending != "" && tool == toolKcurl:
				r.skip = sc.pending
			case !ok:
				r.skip = sc.skip[tool]
				if r.skip == "" {
					r.skip = "not run"
				}
			default:
				r.command = redact(cmds[0].String(), sc.target)
				if len(cmds) > 1 {
					r.command = fmt.Sprintf("%d × %s", len(cmds), r.command)
				}
				if err := b.verify(ctx, sc, tool, cmds[0]); err != nil {
					r.err = err.Error()
					logf("%s: %s: %v", sc.id, tool, err)
				} else {
					active = append(active, r)
				}
			}
			out = append(out, r)
		}
		logf("%s: %s (%s)", sc.id, sc.title, sc.target.name)
		maxReps := 0
		for _, r := range active {
			maxReps = max(maxReps, sc.repsOf(r.tool))
		}
		for rep := 0; rep < maxReps && ctx.Err() == nil; rep++ {
			for i := range active {
				r := active[(i+rep)%len(active)]
				if rep >= sc.repsOf(r.tool) || r.err != "" {
					continue
				}
				s, err := measureAll(ctx, b.bins.launcher, sc.runs[r.tool], sc.exitCodes[r.tool])
				if err != nil {
					r.err = err.Error()
					logf("%s: %s: %v", sc.id, r.tool, err)
					continue
				}
				r.samples = append(r.samples, s)
			}
		}
	}
	return out
}

// measureAll is one sample made of several processes in a row, each expected to exit with status want: wall, CPU
// and minor faults are their sums, peak RSS their maximum.
func measureAll(ctx context.Context, launcher string, cmds []command, want int) (sample, error) {
	var total sample
	for _, c := range cmds {
		s, err := measure(ctx, launcher, c, want)
		if err != nil {
			return total, err
		}
		total.wall += s.wall
		total.maxRSS = max(total.maxRSS, s.maxRSS)
		total.cpu += s.cpu
		total.minflt += s.minflt
	}
	return total, nil
}

func (b *bench) verify(ctx context.Context, sc *scenario, tool string, c command) error {
	var hc headCounter
	if _, err := captureTo(ctx, c, sc.exitCodes[tool], &hc); err != nil {
		return err
	}
	if sc.check == nil {
		return nil
	}
	return sc.check(tool, hc.head, hc.n)
}

// redact puts $TOKEN and $SA for the token and the temporary paths, so the report shows commands, not secrets.
func redact(s string, t *target) string {
	s = strings.ReplaceAll(s, t.token, "$TOKEN")
	s = strings.ReplaceAll(s, t.caFile, "$SA/ca.crt")
	s = strings.ReplaceAll(s, t.kubeconfig, "$KUBECONFIG")
	if u, err := url.Parse(t.url); err == nil {
		s = strings.ReplaceAll(s, u.Host, "$HOSTPORT")
	}
	return s
}
