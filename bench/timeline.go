package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// toolEmpty is the program that does nothing, the timeline's first row.
const toolEmpty = "empty Go program"

// timersFormat is the -w that prints kcurl's transfer timers, in seconds from the transfer's start as curl means them.
const timersFormat = "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_pretransfer} %{time_starttransfer} %{time_total}\n"

// timeline is where one kcurl GET's time goes on one server, from runs made for it alone, in rounds: each round
// times every process under the launcher (starting with the next one), traces the package initialisation of each
// start-up and takes kcurl's -w timers from one more GET.
type timeline struct {
	target *target
	// procs are the whole processes timed: the empty program, then each binary's --version and GET.
	procs []*timedProcess
	// inits are each traced program's package initialisation, one trace a run.
	inits map[string][][]initLine
	// transfers are kcurl's -w timers, one a run.
	transfers []transferTimes
	// errs are what failed; a failed step is not tried again.
	errs []string
}

// timedProcess is one program the timeline measures as a whole.
type timedProcess struct {
	tool, what string
	cmd        command
	samples    []sample
	err        string
}

// initLine is one line of GODEBUG=inittrace=1: a package and the clock its initialisers took, in ms.
type initLine struct {
	pkg string
	ms  float64
}

// transferTimes is one run's -w timers, in seconds.
type transferTimes struct {
	namelookup, connect, appconnect, pretransfer, starttransfer, total float64
}

func (tl *timeline) proc(tool, what string) *timedProcess {
	for _, p := range tl.procs {
		if p.tool == tool && p.what == what {
			return p
		}
	}
	return nil
}

// timeline measures where a GET's time goes against t, cfg.timelineRuns rounds.
func (b *bench) timeline(ctx context.Context, t *target) *timeline {
	var get *scenario
	for _, sc := range b.getScenarios(t, "") {
		if sc.id == "get" {
			get = sc
		}
	}
	tl := &timeline{target: t, inits: map[string][][]initLine{}}
	tl.procs = []*timedProcess{
		{tool: toolEmpty, what: "exit", cmd: command{path: b.bins.empty, env: b.baseEnv()}},
		{tool: toolKcurl, what: "--version", cmd: b.kcurl(t, "--version")},
		{tool: toolFloorLibs, what: "--version", cmd: b.floorLibs(t, "--version")},
		{tool: toolFloor, what: "--version", cmd: b.floor(t, "--version")},
	}
	traced := slices.Clone(tl.procs)
	for _, tool := range []string{toolKcurl, toolFloorLibs, toolFloor} {
		p := &timedProcess{tool: tool, what: "GET", cmd: get.runs[tool][0]}
		if err := b.verify(ctx, get, tool, p.cmd); err != nil {
			p.err = err.Error()
			tl.fail("%s GET: %v", tool, err)
		}
		tl.procs = append(tl.procs, p)
	}
	writeOut := b.kcurl(t, "-s", "-o", os.DevNull, "-w", timersFormat, t.object)
	failed := map[string]bool{}
	logf("timeline: where a GET's time goes (%s), %d rounds", t.name, b.cfg.timelineRuns)
	for run := 0; run < b.cfg.timelineRuns && ctx.Err() == nil; run++ {
		for i := range tl.procs {
			p := tl.procs[(i+run)%len(tl.procs)]
			if p.err != "" {
				continue
			}
			s, err := measure(ctx, b.bins.launcher, p.cmd, 0)
			if err != nil {
				p.err = err.Error()
				tl.fail("%s %s: %v", p.tool, p.what, err)
				continue
			}
			p.samples = append(p.samples, s)
		}
		for _, p := range traced {
			if failed[p.tool] {
				continue
			}
			lines, err := initTrace(ctx, p.cmd)
			if err != nil {
				failed[p.tool] = true
				tl.fail("%s: GODEBUG=inittrace=1: %v", p.tool, err)
				continue
			}
			tl.inits[p.tool] = append(tl.inits[p.tool], lines)
		}
		if !failed["-w"] {
			tt, err := transferTimers(ctx, writeOut)
			if err != nil {
				failed["-w"] = true
				tl.fail("kcurl -w timers: %v", err)
			} else {
				tl.transfers = append(tl.transfers, tt)
			}
		}
	}
	return tl
}

func (tl *timeline) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("timeline: %s", msg)
	tl.errs = append(tl.errs, msg)
}

// initTrace runs c once with GODEBUG=inittrace=1 and reads its package initialisation from stderr.
func initTrace(ctx context.Context, c command) ([]initLine, error) {
	c.env = append(append([]string(nil), c.env...), "GODEBUG=inittrace=1")
	stderr, err := captureTo(ctx, c, 0, io.Discard)
	if err != nil {
		return nil, err
	}
	return parseInitTrace(string(stderr))
}

// parseInitTrace picks "init PKG @T ms, C ms clock, B bytes, A allocs" lines out of stderr.
func parseInitTrace(stderr string) ([]initLine, error) {
	var lines []initLine
	for _, l := range strings.Split(stderr, "\n") {
		f := strings.Fields(l)
		if len(f) < 7 || f[0] != "init" || !strings.HasPrefix(f[2], "@") || f[5] != "ms" || f[6] != "clock," {
			continue
		}
		ms, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("inittrace line %q: %w", l, err)
		}
		lines = append(lines, initLine{pkg: f[1], ms: ms})
	}
	if len(lines) == 0 {
		return nil, errors.New("no inittrace lines on stderr")
	}
	return lines, nil
}

// transferTimers runs kcurl's GET once with -w timersFormat and reads the six timers from stdout.
func transferTimers(ctx context.Context, c command) (transferTimes, error) {
	var out strings.Builder
	var tt transferTimes
	if _, err := captureTo(ctx, c, 0, &out); err != nil {
		return tt, err
	}
	if _, err := fmt.Sscan(out.String(), &tt.namelookup, &tt.connect, &tt.appconnect, &tt.pretransfer, &tt.starttransfer, &tt.total); err != nil {
		return tt, fmt.Errorf("-w output %q: %w", out.String(), err)
	}
	return tt, nil
}

// Groups of package initialisation, in the order the report lists them.
const (
	initRuntime = "Go runtime (what the empty program initialises)"
	initStd     = "standard library"
	initKong    = "kong"
	initGoJSON  = "go-json"
	initMain    = "package main"
)

var initGroups = []string{initRuntime, initStd, initKong, initGoJSON, initMain}

// initGroupOf puts a package in its group; the runtime's packages are the ones the empty program initialises.
func initGroupOf(pkg string, runtimePkgs map[string]bool) string {
	switch {
	case runtimePkgs[pkg]:
		return initRuntime
	case pkg == "main":
		return initMain
	case strings.HasPrefix(pkg, "github.com/alecthomas/kong"):
		return initKong
	case strings.HasPrefix(pkg, "github.com/goccy/go-json"):
		return initGoJSON
	}
	return initStd
}

// runtimePackages are the packages the empty program initialises.
func (tl *timeline) runtimePackages() map[string]bool {
	pkgs := map[string]bool{}
	for _, run := range tl.inits[toolEmpty] {
		for _, l := range run {
			pkgs[l.pkg] = true
		}
	}
	return pkgs
}

// initStats are a traced program's package-initialisation clocks summed per group in each run, and summed over
// every group but the runtime's ("" is that total), each summarized over the runs.
func (tl *timeline) initStats(tool string) map[string]stats {
	runtimePkgs := tl.runtimePackages()
	per := map[string][]float64{}
	for _, run := range tl.inits[tool] {
		sums := map[string]float64{}
		for _, l := range run {
			sums[initGroupOf(l.pkg, runtimePkgs)] += l.ms
		}
		total := 0.0
		for _, g := range initGroups {
			per[g] = append(per[g], sums[g])
			if g != initRuntime {
				total += sums[g]
			}
		}
		per[""] = append(per[""], total)
	}
	out := map[string]stats{}
	for g, xs := range per {
		out[g] = summarize(xs)
	}
	return out
}

// transferPhase is one of the transfer's phases, in ms, from one run's -w timers.
type transferPhase struct {
	name, derivation string
	ms               func(transferTimes) float64
}

func secondsToMS(s float64) float64 { return s * 1000 }

var transferPhases = []transferPhase{
	{"TCP connect", "`time_connect − time_namelookup`; an IP address has no lookup (`time_namelookup` is 0), so this is from " +
		"the transfer's start and holds what kcurl does for the hop before it dials (trust and transport for the host, " +
		"headers and token)",
		func(t transferTimes) float64 { return secondsToMS(t.connect - t.namelookup) }},
	{"TLS handshake", "`time_appconnect − time_connect`",
		func(t transferTimes) float64 { return secondsToMS(t.appconnect - t.connect) }},
	{"rest of the transfer's start: name lookup, connection to request", "`time_namelookup + time_pretransfer − time_appconnect`",
		func(t transferTimes) float64 { return secondsToMS(t.namelookup + t.pretransfer - t.appconnect) }},
	{"request to first byte", "`time_starttransfer − time_pretransfer`",
		func(t transferTimes) float64 { return secondsToMS(t.starttransfer - t.pretransfer) }},
	{"body", "`time_total − time_starttransfer`",
		func(t transferTimes) float64 { return secondsToMS(t.total - t.starttransfer) }},
}

// phaseStats summarizes one phase over the runs.
func (tl *timeline) phaseStats(ms func(transferTimes) float64) stats {
	xs := make([]float64, len(tl.transfers))
	for i, t := range tl.transfers {
		xs[i] = ms(t)
	}
	return summarize(xs)
}
