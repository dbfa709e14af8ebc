package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"kcurl/e2e/harness"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// report is everything the Markdown file says.
type report struct {
	cfg        config
	started    time.Time
	elapsed    time.Duration
	root       string
	bins       binaries
	machine    []string
	symbols    *symbolReport
	results    []*result
	watch      []*watchResult
	timelines  []*timeline
	pretty     bool
	apiVersion string
	apiErr     string
	// loadBefore and loadAfter are the load average when the runs started and ended.
	loadBefore, loadAfter string
	// findings are behaviours the run noticed that skew a figure.
	findings []string
}

// describeMachine is the machine and the tools' versions.
func describeMachine(ctx context.Context, bins binaries) []string {
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	first := func(name string, args ...string) string {
		out, err := exec.CommandContext(ctx, name, args...).Output()
		if err != nil {
			return "unknown"
		}
		return firstLine(string(out))
	}
	goVersion := first("go", "version")
	return []string{
		fmt.Sprintf("%d cores (nproc), %s%s", runtime.NumCPU(), cpu, mem),
		"Linux " + kernel + ", " + runtime.GOOS + "/" + runtime.GOARCH,
		goVersion,
		"kcurl: " + first(bins.kcurl, "--version") + ", built from " + sourceRevision(ctx),
		"curl: " + first(bins.curl, "--version"),
		"kubectl: " + strings.ReplaceAll(first(bins.kubectl, "version", "--client"), "Client Version: ", ""),
	}
}

// sourceRevision is the repository's commit, and whether the working tree differs from it (kcurl is built from
// the working tree).
func sourceRevision(ctx context.Context) string {
	rev, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "an unknown revision"
	}
	out := "commit " + strings.TrimSpace(string(rev))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no", "--", "..", ":!../bench", ":!../e2e").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		out += " plus uncommitted changes to the root package"
	}
	return out
}

// symbolReport is the unstripped kcurl's symbol sizes, summed per package and per group, and the stripped
// binary's sections.
type symbolReport struct {
	unstripped int64
	// inFile counts symbols that occupy the file (text, rodata, data); bss is memory only.
	inFile, bss int64
	byPackage   map[string]*pkgSize
	byGroup     map[string]*pkgSize
	largest     []symbol
	sections    []section
}

// pkgSize is what a package's symbols occupy in the file: code, and read-only or initialised data.
type pkgSize struct{ text, data int64 }

func (p *pkgSize) total() int64 { return p.text + p.data }

type symbol struct {
	name string
	size int64
	kind string
}

type section struct {
	name string
	size int64
}

// symbolSizes builds kcurl without -s -w and sums `go tool nm -size -sort size` per package, counting only symbols
// in sections the file holds (a 32 MiB bss buffer is not in the binary), and lists the stripped binary's sections.
func symbolSizes(ctx context.Context, root, dir, stripped string) (*symbolReport, error) {
	full := filepath.Join(dir, "kcurl-unstripped")
	if err := harness.GoBuild(ctx, root, full, ".", []string{"CGO_ENABLED=0"}, "-trimpath"); err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, "go", "tool", "nm", "-size", "-sort", "size", full).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool nm: %w", err)
	}
	ef, err := elf.Open(full)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	nobits := func(addr uint64) bool {
		for _, s := range ef.Sections {
			if s.Addr != 0 && addr >= s.Addr && addr < s.Addr+s.Size {
				return s.Type == elf.SHT_NOBITS
			}
		}
		return false
	}
	rep := &symbolReport{byPackage: map[string]*pkgSize{}, byGroup: map[string]*pkgSize{}}
	add := func(m map[string]*pkgSize, k string, text bool, n int64) {
		if m[k] == nil {
			m[k] = &pkgSize{}
		}
		if text {
			m[k].text += n
		} else {
			m[k].data += n
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[2] == "U" {
			continue
		}
		addr, err1 := strconv.ParseUint(f[0], 16, 64)
		size, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || size == 0 {
			continue
		}
		if f[2] == "B" || f[2] == "b" || nobits(addr) {
			rep.bss += size
			continue
		}
		name := strings.Join(f[3:], " ")
		pkg := packageOf(name)
		text := f[2] == "T" || f[2] == "t"
		rep.inFile += size
		add(rep.byPackage, pkg, text, size)
		add(rep.byGroup, groupOf(pkg), text, size)
		if len(rep.largest) < 12 {
			rep.largest = append(rep.largest, symbol{name: name, size: size, kind: f[2]})
		}
	}
	if fi, err := os.Stat(full); err == nil {
		rep.unstripped = fi.Size()
	}
	if sf, err := elf.Open(stripped); err == nil {
		for _, s := range sf.Sections {
			if s.Type != elf.SHT_NOBITS && s.Size > 0 {
				rep.sections = append(rep.sections, section{name: s.Name, size: int64(s.Size)})
			}
		}
		sf.Close()
		sort.Slice(rep.sections, func(i, j int) bool { return rep.sections[i].size > rep.sections[j].size })
	}
	return rep, nil
}

// packageOf is the import path a symbol belongs to: "crypto/tls.(*Conn).Read" is crypto/tls, a type descriptor
// or itab is its type's package, and the linker's own tables are shown as they are named.
func packageOf(name string) string {
	switch {
	case name == "runtime.pclntab" || name == "runtime.findfunctab" || name == "runtime.noptrdata" ||
		name == "runtime.rodata" || name == "runtime.types" || name == "runtime.itablink" ||
		name == "runtime.typelink" || name == "runtime.text" || name == "runtime.data" ||
		name == "runtime.bss" || name == "runtime.noptrbss" || name == "runtime.gcdata" || name == "runtime.gcbss":
		return name + " (linker table)"
	case strings.HasPrefix(name, "go:string."):
		return "(string literals)"
	case strings.HasPrefix(name, "go:buildinfo"), strings.HasPrefix(name, "go:link"):
		return "(linker)"
	case strings.HasPrefix(name, "go:func."):
		return "(funcdata of all packages)"
	}
	s := name
	for _, p := range []string{"type:.eq.", "type:.namedata.", "type:.importpath.", "type:", "go:itab.", "go:info.", "go:cuinfo.", "go:func.", "go:"} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	s = strings.TrimLeft(s, "*[]0123456789")
	for _, p := range []string{"map[", "chan ", "func(", "struct {", "interface {", "noalg."} {
		if strings.HasPrefix(s, p) {
			if p == "noalg." {
				s = s[len(p):]
				s = strings.TrimLeft(s, "*[]0123456789")
				continue
			}
			if strings.HasPrefix(name, "type:") {
				return "(type descriptors, unnamed types)"
			}
			return "(other)"
		}
	}
	if i := strings.IndexAny(s, "[("); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "(other)"
	}
	slash := strings.LastIndexByte(s, '/')
	dot := strings.IndexByte(s[slash+1:], '.')
	if dot < 0 {
		if strings.HasPrefix(name, "type:") {
			return "(type descriptors, builtin types)"
		}
		return s
	}
	return s[:slash+1+dot]
}

// groupOf puts a package in the group a size decision is made about.
func groupOf(pkg string) string {
	switch {
	case pkg == "main":
		return "kcurl (package main)"
	case strings.HasPrefix(pkg, "github.com/alecthomas/kong"):
		return "kong"
	case strings.HasPrefix(pkg, "github.com/goccy/go-json"):
		return "go-json"
	case strings.HasPrefix(pkg, "net/http") || strings.HasPrefix(pkg, "vendor/golang.org/x/net/http") ||
		strings.HasPrefix(pkg, "vendor/golang.org/x/net/idna") || strings.HasPrefix(pkg, "mime") || pkg == "net/textproto":
		return "net/http (with http2, idna, mime, textproto)"
	case strings.HasPrefix(pkg, "crypto/") || strings.HasPrefix(pkg, "vendor/golang.org/x/crypto") || pkg == "crypto":
		return "crypto (tls, x509, ciphers)"
	case pkg == "net" || strings.HasPrefix(pkg, "net/") || strings.HasPrefix(pkg, "vendor/golang.org/x/net"):
		return "net (dialer, resolver, url)"
	case strings.HasPrefix(pkg, "runtime") || strings.HasPrefix(pkg, "internal/runtime"):
		return "runtime (code)"
	case strings.HasSuffix(pkg, "(linker table)"):
		return strings.TrimSuffix(pkg, " (linker table)") + " (tables for all packages)"
	case strings.HasPrefix(pkg, "("):
		return pkg
	case pkg == "reflect" || strings.HasPrefix(pkg, "internal/reflectlite"):
		return "reflect"
	case strings.HasPrefix(pkg, "compress/") || pkg == "hash/crc32" || pkg == "hash/adler32":
		return "compress (gzip, zlib)"
	case pkg == "regexp" || strings.HasPrefix(pkg, "regexp/"):
		return "regexp"
	case strings.HasPrefix(pkg, "encoding/"):
		return "encoding (asn1, pem, base64, hex, json)"
	case pkg == "fmt" || pkg == "strconv" || pkg == "unicode" || strings.HasPrefix(pkg, "unicode/") || pkg == "strings" || pkg == "bytes":
		return "fmt, strconv, strings, bytes, unicode"
	}
	return "other std"
}

const mibF = float64(1 << 20)

func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# kcurl benchmark results\n\n")
	w("Written by `cd bench && go run . -out RESULTS.md` (%s, %s in all). kcurl is built as it ships: "+
		"`CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'`; it and every other Go program measured (the floors, the "+
		"empty program, a baseline) is then copied with read(2) and write(2) and synced before its first run, as an "+
		"image layer is unpacked (a binary just linked ran 3–9%% slower than a copy of it here: `install` in main.go). "+
		"Every tool talks TLS 1.3 to 127.0.0.1, verifies the "+
		"server with the CA file and sends the bearer token; every process gets stdout and stderr on /dev/null and a "+
		"clean environment. Samples alternate between the tools, each round starting with the next one. Wall is "+
		"start to reaped as seen by the parent; peak RSS is the child's `ru_maxrss` from wait4, CPU its `ru_utime + "+
		"ru_stime` and minor faults its `ru_minflt`.\n\n",
		r.started.UTC().Format("2006-01-02 15:04 UTC"), r.elapsed.Round(time.Second))
	w("## Machine\n\n")
	for _, l := range r.machine {
		w("- %s\n", l)
	}
	if r.apiVersion != "" {
		w("- kube-apiserver %s with etcd, from the e2e harness, on 127.0.0.1\n", r.apiVersion)
	}
	if r.apiErr != "" {
		w("- kube-apiserver: not measured: %s\n", firstLine(r.apiErr))
	}
	w("- load average (1, 5, 15 min) %s at the start, %s at the end; on 2 cores anything above 0 is other work sharing them\n", r.loadBefore, r.loadAfter)
	w("\n")
	if len(r.findings) > 0 {
		w("## Found while measuring\n\n")
		for _, f := range r.findings {
			w("- %s.\n", f)
		}
		w("\n")
	}

	r.targetsTable(w)
	r.startupTargetsTable(w)

	w("## Wall time and peak RSS\n\n")
	w("min / **median** / max over n samples; ratios are medians over curl's and kubectl's median in the same scenario.\n\n")
	w("| scenario | server | tool | n | wall ms | × curl | × kubectl | peak RSS MiB | × curl | × kubectl |\n")
	w("| --- | --- | --- | ---: | --- | ---: | ---: | --- | ---: | ---: |\n")
	var notes []string
	for _, group := range r.groups() {
		curl, kubectl := group.by(toolCurl), group.by(toolKubectl)
		for _, res := range group.rows {
			sc := res.sc
			head := fmt.Sprintf("| %s | %s | %s |", sc.title, sc.target.name, res.tool)
			switch {
			case res.skip != "" && sc.pending != "" && res.tool == toolKcurl:
				w("%s | | **%s** | | | | | |\n", head, sc.pending)
				continue
			case res.skip != "":
				continue
			case len(res.samples) == 0:
				w("%s | 0 | failed: %s | | | | | |\n", head, mdEscape(clip(firstLine(res.err), 160)))
				continue
			}
			wall, rss := res.wallMS(), res.rssMiB()
			w("%s %d | %s | %s | %s | %s | %s | %s |\n", head, wall.n, triple(wall, 1), ratio(wall.median, curl.wallMedian()),
				ratio(wall.median, kubectl.wallMedian()), triple(rss, 1), ratio(rss.median, curl.rssMedian()), ratio(rss.median, kubectl.rssMedian()))
		}
		if n := group.sc.note; n != "" {
			notes = append(notes, fmt.Sprintf("%s: %s.", group.sc.title, n))
		}
		for _, res := range group.rows {
			if res.skip != "" && !(group.sc.pending != "" && res.tool == toolKcurl) && res.skip != "not run" {
				notes = append(notes, fmt.Sprintf("%s (%s): no %s row: %s.", group.sc.title, group.sc.target.name, res.tool, res.skip))
			}
		}
	}
	w("\n")
	for _, n := range notes {
		w("- %s\n", n)
	}
	w("\n")

	r.cpuTable(w)
	r.timelineSection(w)
	r.throughputTable(w)
	r.watchTable(w)
	r.sizeTables(w)
	r.commandsList(w)
	return b.String()
}

// scenarioGroup is one scenario's rows, in tool order.
type scenarioGroup struct {
	sc   *scenario
	rows []*result
}

func (g scenarioGroup) by(tool string) *result {
	for _, r := range g.rows {
		if r.tool == tool {
			return r
		}
	}
	return nil
}

func (r *report) groups() []scenarioGroup {
	var out []scenarioGroup
	for _, res := range r.results {
		if len(out) == 0 || out[len(out)-1].sc != res.sc {
			out = append(out, scenarioGroup{sc: res.sc})
		}
		out[len(out)-1].rows = append(out[len(out)-1].rows, res)
	}
	return out
}

func (r *report) find(id, tool string) *result {
	for _, res := range r.results {
		if res.sc.id == id && res.tool == tool {
			return res
		}
	}
	return nil
}

// statsOf summarizes one figure of each sample.
func statsOf(samples []sample, figure func(sample) float64) stats {
	xs := make([]float64, len(samples))
	for i, s := range samples {
		xs[i] = figure(s)
	}
	return summarize(xs)
}

func wallMS(s sample) float64      { return float64(s.wall) / float64(time.Millisecond) }
func rssMiB(s sample) float64      { return float64(s.maxRSS) / mibF }
func cpuMS(s sample) float64       { return float64(s.cpu) / float64(time.Millisecond) }
func minorFaults(s sample) float64 { return float64(s.minflt) }

func (res *result) wallMS() stats { return statsOf(res.samples, wallMS) }
func (res *result) rssMiB() stats { return statsOf(res.samples, rssMiB) }
func (res *result) cpuMS() stats  { return statsOf(res.samples, cpuMS) }

func (res *result) wallMedian() float64 {
	if res == nil || len(res.samples) == 0 {
		return 0
	}
	return res.wallMS().median
}

func (res *result) rssMedian() float64 {
	if res == nil || len(res.samples) == 0 {
		return 0
	}
	return res.rssMiB().median
}

func (res *result) cpuMedian() float64 {
	if res == nil || len(res.samples) == 0 {
		return 0
	}
	return res.cpuMS().median
}

func triple(s stats, digits int) string {
	return fmt.Sprintf("%.*f / **%.*f** / %.*f", digits, s.min, digits, s.median, digits, s.max)
}

func ratio(x, base float64) string {
	if x == 0 || base == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", x/base)
}

// clip shortens s to n bytes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// targetsTable checks the figures against issue 5's targets.
func (r *report) targetsTable(w func(string, ...any)) {
	type row struct{ target, measured, met string }
	var rows []row
	if k, c := r.find("get", toolKcurl), r.find("get", toolCurl); k != nil && c != nil && k.wallMedian() > 0 && c.wallMedian() > 0 {
		q := k.wallMedian() / c.wallMedian()
		rows = append(rows, row{"one authenticated GET: wall ≤ 0.55× curl", fmt.Sprintf("%.2f× (%.1f ms vs %.1f ms)", q, k.wallMedian(), c.wallMedian()), metMark(q <= 0.55)})
		rows = append(rows, row{"one authenticated GET: peak RSS ≤ curl's", fmt.Sprintf("%.1f MiB vs %.1f MiB", k.rssMedian(), c.rssMedian()), metMark(k.rssMedian() <= c.rssMedian())})
	}
	if k, c := r.find("body1g", toolKcurl), r.find("body1g", toolCurl); k != nil && c != nil && k.wallMedian() > 0 && c.wallMedian() > 0 {
		kt, ct := float64(gib)/mibF/(k.wallMedian()/1000), float64(gib)/mibF/(c.wallMedian()/1000)
		rows = append(rows, row{"1 GiB body: throughput ≥ curl's", fmt.Sprintf("%.0f MiB/s vs %.0f MiB/s", kt, ct), metMark(kt >= ct)})
		small := r.find("body10m", toolKcurl)
		flat := ""
		ok := k.rssMiB().max <= 16
		if small != nil && small.rssMedian() > 0 {
			flat = fmt.Sprintf("; %.1f MiB at 10 MiB", small.rssMedian())
			ok = ok && small.rssMiB().max <= 16 && k.rssMedian() <= small.rssMedian()+1
		}
		rows = append(rows, row{"1 GiB body: peak RSS ≤ 16 MiB, flat in body size", fmt.Sprintf("%.1f MiB (max %.1f)%s", k.rssMedian(), k.rssMiB().max, flat), metMark(ok)})
	}
	for _, wr := range r.watch {
		if wr.tool == toolKcurl && len(wr.latencies) > 0 {
			_, p99, _ := latencyStats(wr.latencies)
			rows = append(rows, row{"watch latency p99 ≤ 2 ms", fmt.Sprintf("%.3f ms", p99), metMark(p99 <= 2)})
		}
	}
	if fi, err := os.Stat(r.bins.kcurl); err == nil {
		rows = append(rows, row{"binary ≤ 10 MiB (10,485,760 bytes) stripped", fmt.Sprintf("%s bytes (%.2f MiB)", thousands(fi.Size()), float64(fi.Size())/mibF), metMark(fi.Size() <= 10<<20)})
	}
	if !r.pretty {
		rows = append(rows, row{"`--pretty`: ≥ 200 MB/s, memory flat", "pending --pretty", "–"})
	} else if k := r.find("pretty10m", toolKcurl); k != nil && k.wallMedian() > 0 {
		t := float64(k.sc.bytes) / 1e6 / (k.wallMedian() / 1000)
		rows = append(rows, row{"`--pretty`: ≥ 200 MB/s, memory flat", fmt.Sprintf("%.0f MB/s, %.1f MiB", t, k.rssMedian()), metMark(t >= 200)})
	}
	if len(rows) == 0 {
		return
	}
	w("## Issue 5's targets (Go TLS server)\n\n| target | measured (medians) | met |\n| --- | --- | --- |\n")
	for _, r := range rows {
		w("| %s | %s | %s |\n", r.target, r.measured, r.met)
	}
	w("\n")
}

// bootstrapDraws is how many times ratioInterval draws the rounds again.
const bootstrapDraws = 2000

// ratioInterval is a 95% interval of median(a)/median(b) over the figure fig: the rounds are drawn again with
// replacement, each draw keeping a round's two samples together (the tools alternate, so a round's samples saw the
// machine in the same state), and the ratio is taken over each draw. The seed is fixed: the same samples give the
// same interval.
func ratioInterval(a, b []sample, fig func(sample) float64) (lo, hi float64) {
	n := min(len(a), len(b))
	if n == 0 {
		return 0, 0
	}
	rng := rand.New(rand.NewPCG(15, 15))
	xs, ys := make([]float64, n), make([]float64, n)
	qs := make([]float64, bootstrapDraws)
	for d := range qs {
		for i := range n {
			j := rng.IntN(n)
			xs[i], ys[i] = fig(a[j]), fig(b[j])
		}
		slices.Sort(xs)
		slices.Sort(ys)
		qs[d] = quantile(xs, 0.5) / quantile(ys, 0.5)
	}
	slices.Sort(qs)
	return quantile(qs, 0.025), quantile(qs, 0.975)
}

// metMark is a target table's last column.
func metMark(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// startupTargetsTable checks the figures against issue 15's targets: kcurl's start-up at the floor, as ratios of
// medians taken in the same scenario, alternating with the floors.
func (r *report) startupTargetsTable(w func(string, ...any)) {
	type row struct{ target, measured, interval, faults, met string }
	var rows []row
	figures := []struct {
		name   string
		median func(*result) float64
		sample func(sample) float64
	}{{"wall", (*result).wallMedian, wallMS}, {"CPU", (*result).cpuMedian, cpuMS}}
	check := func(what, id, floor string, limit float64) {
		k, f := r.find(id, toolKcurl), r.find(id, floor)
		if k.wallMedian() == 0 || f.wallMedian() == 0 {
			return
		}
		if what == "" {
			what = k.sc.title + ", this build against the baseline"
		}
		kf, ff := statsOf(k.samples, minorFaults).median, statsOf(f.samples, minorFaults).median
		faults := fmt.Sprintf("%.0f vs %.0f", kf, ff)
		if ff > 0 {
			faults = fmt.Sprintf("%.2f× (%s)", kf/ff, faults)
		}
		for _, fig := range figures {
			kv, fv := fig.median(k), fig.median(f)
			if fv == 0 {
				continue
			}
			q := kv / fv
			lo, hi := ratioInterval(k.samples, f.samples, fig.sample)
			rows = append(rows, row{fmt.Sprintf("%s (%s): %s ≤ %.2f× %s", what, k.sc.target.name, fig.name, limit, floor),
				fmt.Sprintf("%.2f× (%.2f ms vs %.2f ms)", q, kv, fv), fmt.Sprintf("%.2f–%.2f×", lo, hi), faults, metMark(q <= limit)})
		}
	}
	for _, id := range []string{"get", "api-get"} {
		check("one authenticated GET", id, toolFloorLibs, 1.05)
		check("one authenticated GET", id, toolFloor, 1.15)
	}
	check("`--version`", "version", toolFloorLibs, 1.05)
	check("bad option, exit 2", "badopt", toolFloorLibs, 1.05)
	for _, id := range []string{"get", "api-get", "version", "badopt"} {
		check("", id, toolBaseline, 1.00)
	}
	if len(rows) == 0 {
		return
	}
	w("## Issue 15's targets (start-up at the floor)\n\n")
	w("kcurl's median over the floor's median in the same scenario, samples alternating between them. The Go floor is "+
		"net/http and crypto/tls alone; the Go floor + kong + go-json is the same program with kcurl's two libraries "+
		"linked in and never called. The interval is where 95%% of the same ratio falls when the rounds are drawn again "+
		"(%d draws of as many rounds, with replacement; each round keeps both tools' samples, taken one after the other): "+
		"a ratio whose interval holds the target is within this machine's noise of it; it does not hold what moves between "+
		"runs. The minor page faults (medians, the same for the wall and the CPU row) move least between runs: where a fault "+
		"costs tens of microseconds they are most of a start-up's CPU, and the CPU ratio follows theirs, moved by what a fault "+
		"costs in the run. Met is the measured ratio against the target.\n\n",
		bootstrapDraws)
	w("| target | measured (medians) | 95%% interval | minor faults | met |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		w("| %s | %s | %s | %s | %s |\n", r.target, r.measured, r.interval, r.faults, r.met)
	}
	w("\n")
}

// cpuTable is every row's CPU time and minor faults, against the two Go floors of its scenario.
func (r *report) cpuTable(w func(string, ...any)) {
	w("## CPU and page faults\n\n")
	w("CPU is the child's user plus system time, all threads (`ru_utime + ru_stime` from wait4); minor faults are its " +
		"`ru_minflt`, pages it touched that were mapped without reading the disk (the binary from the page cache, new " +
		"heap and stacks). min / **median** / max over the same samples as above; ratios are medians over the Go " +
		"floor's and over the Go floor + kong + go-json's median in the same scenario.\n\n")
	w("| scenario | server | tool | n | CPU ms | × Go floor | × Go floor + libs | minor faults (median) |\n")
	w("| --- | --- | --- | ---: | --- | ---: | ---: | ---: |\n")
	for _, group := range r.groups() {
		floor, floorLibs := group.by(toolFloor), group.by(toolFloorLibs)
		for _, res := range group.rows {
			if len(res.samples) == 0 {
				continue
			}
			cpu := res.cpuMS()
			w("| %s | %s | %s | %d | %s | %s | %s | %.0f |\n", group.sc.title, group.sc.target.name, res.tool, cpu.n, triple(cpu, 2),
				ratio(cpu.median, floor.cpuMedian()), ratio(cpu.median, floorLibs.cpuMedian()), statsOf(res.samples, minorFaults).median)
		}
	}
	w("\n")
}

// timelineRow is one phase of a GET, with its value on each server's timeline.
type timelineRow struct {
	phase, how string
	// part marks a row that splits the row above it.
	part bool
	ms   []float64
	ok   []bool
}

// timelineRows derives the phases of kcurl's GET from each timeline: the top rows add up to the GET's median wall
// by construction, the parts are medians of their own and need not add up to their row.
func (r *report) timelineRows() []*timelineRow {
	var rows []*timelineRow
	add := func(part bool, phase, how string) *timelineRow {
		row := &timelineRow{phase: phase, how: how, part: part}
		rows = append(rows, row)
		return row
	}
	wall := func(tl *timeline, tool, what string) (float64, bool) {
		p := tl.proc(tool, what)
		if p == nil || len(p.samples) == 0 {
			return 0, false
		}
		return statsOf(p.samples, wallMS).median, true
	}
	exec := add(false, "exec, Go runtime start, exit",
		"median wall of the empty program (`func main() {}`, built as kcurl is) under the launcher; it holds the runtime's own package initialisation")
	inits := add(false, "package initialisation",
		"`kcurl --version` under `GODEBUG=inittrace=1`: the `ms clock` values summed per run, the runtime's packages "+
			"(those the empty program initialises) left out as they are in the row above; median over runs")
	var groups []*timelineRow
	for _, g := range initGroups[1:] {
		groups = append(groups, add(true, "↳ "+g, "the same sums over this group's packages alone; median over runs"))
	}
	cmdline := add(false, "command line (kong parses, `--version` is printed)",
		"`kcurl --version`'s median wall − the two rows above")
	setup := add(false, "set-up: discovery, CA and token, transport",
		"the GET's median wall − `kcurl --version`'s median wall − median `time_total`: what the GET does outside its "+
			"transfer (what of discovery, CA, token and transport kcurl does inside it is in the transfer's first ↳ row), "+
			"and whatever its exit costs more than `--version`'s; below the medians' noise it comes out negative")
	transfer := add(false, "transfer (`time_total`)",
		"median of kcurl's own `time_total` (`-w`), from its start to the last byte written")
	var phases []*timelineRow
	for _, ph := range transferPhases {
		phases = append(phases, add(true, "↳ "+ph.name, ph.derivation+", median over runs"))
	}
	get := add(false, "**the GET, whole process**", "median wall of `kcurl -s PATH` under the launcher, in the same rounds; the sum of the rows above")
	put := func(row *timelineRow, v float64, ok bool) {
		row.ms, row.ok = append(row.ms, v), append(row.ok, ok)
	}
	for _, tl := range r.timelines {
		empty, okEmpty := wall(tl, toolEmpty, "exit")
		version, okVersion := wall(tl, toolKcurl, "--version")
		getWall, okGet := wall(tl, toolKcurl, "GET")
		okInit := len(tl.inits[toolKcurl]) > 0 && len(tl.inits[toolEmpty]) > 0
		is := tl.initStats(toolKcurl)
		okTransfer := len(tl.transfers) > 0
		total := tl.phaseStats(func(t transferTimes) float64 { return secondsToMS(t.total) }).median
		put(exec, empty, okEmpty)
		put(inits, is[""].median, okInit)
		for i, g := range initGroups[1:] {
			put(groups[i], is[g].median, okInit)
		}
		put(cmdline, version-empty-is[""].median, okVersion && okEmpty && okInit)
		put(setup, getWall-version-total, okGet && okVersion && okTransfer)
		put(transfer, total, okTransfer)
		for i, ph := range transferPhases {
			put(phases[i], tl.phaseStats(ph.ms).median, okTransfer)
		}
		put(get, getWall, okGet)
	}
	return rows
}

// timelineSection is where a GET's time goes, one column a server, from the timeline's own rounds.
func (r *report) timelineSection(w func(string, ...any)) {
	if len(r.timelines) == 0 {
		return
	}
	first := r.timelines[0]
	w("## Where a GET's time goes\n\n")
	w("Measured after the scenarios, in rounds of its own (%d on each server): each round times, under the launcher and "+
		"each round starting with the next one, the empty Go program, `--version` of kcurl and of both Go floors, and "+
		"the GET of each; then runs each `--version` and the empty program once more with `GODEBUG=inittrace=1` "+
		"(stderr kept), and kcurl's GET once more with `-s -o /dev/null -w '%s'` (stdout kept; these runs are not "+
		"timed). Each row below says how it is derived. Rows that are a difference of medians (command line, set-up) "+
		"are estimates, not exact: the runs are different processes, and a median of differences is not a difference "+
		"of medians. The top rows add up to the GET's median by construction; the ↳ rows split the row above them, "+
		"each a median of its own, so they need not add up to it. kcurl's timers start when its transfer does, "+
		"after the command line and discovery.\n\n",
		r.cfg.timelineRuns, strings.TrimSuffix(timersFormat, "\n")+`\n`)
	w("| phase |")
	for _, tl := range r.timelines {
		w(" kcurl ms, %s |", tl.target.name)
	}
	w(" derived from |\n| --- |%s --- |\n", strings.Repeat(" ---: |", len(r.timelines)))
	for _, row := range r.timelineRows() {
		w("| %s |", row.phase)
		for i := range row.ms {
			switch {
			case !row.ok[i]:
				w(" – |")
			case row.part:
				w(" %.2f |", row.ms[i])
			default:
				w(" **%.2f** |", row.ms[i])
			}
		}
		w(" %s |\n", row.how)
	}
	w("\n")
	for _, tl := range r.timelines {
		for _, e := range tl.errs {
			w("- %s: not measured: %s\n", tl.target.name, mdEscape(clip(firstLine(e), 200)))
		}
	}

	w("### Package initialisation\n\n`GODEBUG=inittrace=1`, the `ms clock` values summed per group in each run, median "+
		"over %d runs with the %s (the figures do not depend on the server). The trace's own writes to stderr fall "+
		"between the clocks, not in them.\n\n", len(first.inits[toolKcurl]), first.target.name)
	traced := []string{toolKcurl, toolFloorLibs, toolFloor, toolEmpty}
	w("| group |")
	for _, tool := range traced {
		w(" %s ms |", tool)
	}
	w("\n| --- |%s\n", strings.Repeat(" ---: |", len(traced)))
	initStats := map[string]map[string]stats{}
	for _, tool := range traced {
		initStats[tool] = first.initStats(tool)
	}
	for _, g := range append(slices.Clone(initGroups), "") {
		name := g
		if g == "" {
			name = "**all but the runtime**"
		}
		w("| %s |", name)
		for _, tool := range traced {
			if len(first.inits[tool]) == 0 {
				w(" – |")
				continue
			}
			w(" %.3f |", initStats[tool][g].median)
		}
		w("\n")
	}
	w("\n")

	w("### The processes of these rounds\n\nMedians over the rounds' samples, under the launcher as in the scenarios.\n\n")
	w("| process | server | n | wall ms | CPU ms | minor faults | peak RSS MiB | binary bytes |\n")
	w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, tl := range r.timelines {
		for _, p := range tl.procs {
			name := p.tool
			if p.what != "exit" {
				name += ", " + p.what
			}
			size := "–"
			if fi, err := os.Stat(p.cmd.path); err == nil {
				size = thousands(fi.Size())
			}
			if len(p.samples) == 0 {
				w("| %s | %s | 0 | failed | | | | %s |\n", name, tl.target.name, size)
				continue
			}
			w("| %s | %s | %d | %.2f | %.2f | %.0f | %.1f | %s |\n", name, tl.target.name, len(p.samples),
				statsOf(p.samples, wallMS).median, statsOf(p.samples, cpuMS).median, statsOf(p.samples, minorFaults).median,
				statsOf(p.samples, rssMiB).median, size)
		}
	}
	w("\n")
}

func (r *report) throughputTable(w func(string, ...any)) {
	var lines []string
	for _, res := range r.results {
		if res.sc.bytes == 0 || len(res.samples) == 0 {
			continue
		}
		wall := res.wallMS()
		mbs := func(ms float64) float64 { return float64(res.sc.bytes) / mibF / (ms / 1000) }
		lines = append(lines, fmt.Sprintf("| %s | %s | %d | %.0f | %.0f | %.0f | %.1f |", res.sc.title, res.tool, wall.n,
			mbs(wall.max), mbs(wall.median), mbs(wall.min), res.rssMiB().median))
	}
	if len(lines) == 0 {
		return
	}
	w("## Body throughput\n\nWhole process (start-up and handshake included); MiB/s from the slowest, median and fastest run.\n\n")
	w("| body | tool | n | MiB/s min | MiB/s median | MiB/s max | peak RSS MiB (median) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, l := range lines {
		w("%s\n", l)
	}
	w("\n")
}

func (r *report) watchTable(w func(string, ...any)) {
	if len(r.watch) == 0 {
		return
	}
	w("## Watch latency\n\nThe server writes one event carrying its timestamp and flushes; the harness reads the tool's stdout "+
		"through a pipe, notes the arrival and only then lets the server write the next event (ping-pong, so no event waits "+
		"behind another). %d runs × %d events per tool, alternating.\n\n", r.cfg.watchRuns, r.cfg.watchEvents)
	w("| tool | events | p50 ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, wr := range r.watch {
		switch {
		case wr.skip != "":
			w("| %s | – | %s | | |\n", wr.tool, wr.skip)
		case len(wr.latencies) == 0:
			w("| %s | 0 | failed: %s | | |\n", wr.tool, mdEscape(clip(firstLine(wr.err), 160)))
		default:
			p50, p99, mx := latencyStats(wr.latencies)
			w("| %s | %d | %.3f | %.3f | %.3f |\n", wr.tool, len(wr.latencies), p50, p99, mx)
		}
	}
	w("\n")
}

func (r *report) sizeTables(w func(string, ...any)) {
	w("## Binary size\n\n| binary | bytes | MiB | linking |\n| --- | ---: | ---: | --- |\n")
	size := func(p string) int64 {
		if fi, err := os.Stat(p); err == nil {
			return fi.Size()
		}
		return 0
	}
	row := func(name, path, linking string) {
		if n := size(path); n > 0 {
			w("| %s | %s | %.2f | %s |\n", name, thousands(n), float64(n)/mibF, linking)
		}
	}
	row("kcurl (`-trimpath -ldflags='-s -w'`)", r.bins.kcurl, "static")
	if r.symbols != nil && r.symbols.unstripped > 0 {
		w("| kcurl without `-s -w` | %s | %.2f | static |\n", thousands(r.symbols.unstripped), float64(r.symbols.unstripped)/mibF)
	}
	row("Go floor (net/http only, same flags)", r.bins.floor, "static")
	row("Go floor + kong + go-json (linked, not called)", r.bins.floorLibs, "static")
	row("empty Go program (`func main() {}`, same flags)", r.bins.empty, "static")
	curlLibs := dynamicLibs(r.bins.curl)
	libTotal := int64(0)
	for _, l := range curlLibs {
		libTotal += size(l)
	}
	row("curl", r.bins.curl, fmt.Sprintf("dynamic: %d shared libraries, %s bytes more (libcurl %s)", len(curlLibs), thousands(libTotal), thousands(size(libcurlOf(curlLibs)))))
	row("kubectl", r.bins.kubectl, "static")
	w("\n")
	if r.symbols == nil {
		return
	}
	s := r.symbols
	if len(s.sections) > 0 {
		w("### Sections of the stripped kcurl\n\n| section | bytes | MiB |\n| --- | ---: | ---: |\n")
		for _, sec := range s.sections {
			if sec.size >= 4096 {
				w("| `%s` | %s | %.2f |\n", sec.name, thousands(sec.size), float64(sec.size)/mibF)
			}
		}
		w("\n")
	}
	w("### kcurl's symbol sizes by package\n\n`go tool nm -size -sort size` of the same build without `-s -w`: %s bytes of "+
		"symbols in the file (%s more in bss, memory only). Not attributed to any package: the line tables "+
		"(`.gopclntab`, which grows with each package's code) and the symbol and DWARF tables that `-s -w` removes.\n\n",
		thousands(s.inFile), thousands(s.bss))
	w("| group | code bytes | data bytes | total | share |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, e := range sortedBySize(s.byGroup) {
		w("| %s | %s | %s | %s | %.1f%% |\n", e.k, thousands(e.v.text), thousands(e.v.data), thousands(e.v.total()), 100*float64(e.v.total())/float64(s.inFile))
	}
	w("\n| package (top 40) | code bytes | data bytes | total |\n| --- | ---: | ---: | ---: |\n")
	for i, e := range sortedBySize(s.byPackage) {
		if i == 40 {
			break
		}
		w("| %s | %s | %s | %s |\n", e.k, thousands(e.v.text), thousands(e.v.data), thousands(e.v.total()))
	}
	w("\n| largest symbols | type | bytes |\n| --- | --- | ---: |\n")
	for _, sym := range s.largest {
		w("| `%s` | %s | %s |\n", sym.name, sym.kind, thousands(sym.size))
	}
	w("\n")
}

func (r *report) commandsList(w func(string, ...any)) {
	w("## Commands\n\n`$SA` is the pod's service-account folder (ca.crt, token, namespace); kcurl and the Go floor get " +
		"`KUBERNETES_SERVICE_HOST`, `KUBERNETES_SERVICE_PORT` and `KCURL_SERVICE_ACCOUNT_DIR=$SA`.\n\n")
	seen := map[string]bool{}
	for _, res := range r.results {
		if res.command == "" || seen[res.command] {
			continue
		}
		seen[res.command] = true
		c := res.command
		if len(c) > 300 {
			c = c[:300] + " …"
		}
		w("- %s (%s), %s: `%s`\n", res.sc.title, res.sc.target.name, res.tool, c)
	}
	for _, wr := range r.watch {
		if wr.command != "" {
			w("- watch, %s: `%s`\n", wr.tool, wr.command)
		}
	}
}

type kv struct {
	k string
	v *pkgSize
}

func sortedBySize(m map[string]*pkgSize) []kv {
	out := make([]kv, 0, len(m))
	for k, v := range m {
		out = append(out, kv{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].v.total(), out[j].v.total()
		return a > b || (a == b && out[i].k < out[j].k)
	})
	return out
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// dynamicLibs lists the shared libraries ldd resolves for a binary.
func dynamicLibs(bin string) []string {
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return nil
	}
	var libs []string
	for _, l := range strings.Split(string(out), "\n") {
		if _, rest, ok := strings.Cut(l, "=> "); ok {
			if f := strings.Fields(rest); len(f) > 0 && strings.HasPrefix(f[0], "/") {
				if p, err := filepath.EvalSymlinks(f[0]); err == nil {
					libs = append(libs, p)
				}
			}
		}
	}
	return libs
}

func libcurlOf(libs []string) string {
	for _, l := range libs {
		if strings.Contains(filepath.Base(l), "libcurl") {
			return l
		}
	}
	return ""
}
