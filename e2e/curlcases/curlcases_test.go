// Package curlcases runs curl's own test cases (curl 7.88.1's tests/data) against kcurl and the
// machine's curl, with a runner of its own that plays curl's test HTTP server. See README.md.
package curlcases

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

var (
	srcDir = flag.String("curlcases.src", "", "read cases from this folder (curl's tests/data at curl-7_88_1) instead of testdata/, selecting them with selectCase")
	widen  = flag.Bool("curlcases.widen", false, "with -curlcases.src: also run the cases whose options kcurl lacks (checks the runner with curl; kcurl's results are only counted)")
)

// parallelism is how many cases run at once: the machine is shared, and each case is two
// client processes and a server.
const parallelism = 2

// runTimeout bounds curl's run of a case; the slowest selected case takes curl about 4 s.
const runTimeout = 20 * time.Second

// kcurlMargin is how much longer than curl kcurl may take on a case before it is stopped.
const kcurlMargin = 3 * time.Second

func TestCurlCases(t *testing.T) {
	if testing.Short() {
		t.Skip("curlcases: skipped in -short mode (runs curl 7.88.1 and kcurl on curl's own test cases)")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curlcases: skipped: no curl on PATH (the cases are checked against curl 7.88.1 first)")
	}
	if v, _ := exec.Command(curl, "--version").Output(); !bytes.HasPrefix(v, []byte("curl "+curlVersion+" ")) {
		t.Skipf("curlcases: skipped: the cases are curl %s's and %s is %q", curlVersion, curl, strings.SplitN(string(v), "\n", 2)[0])
	}
	kcurl := os.Getenv("KCURL_BIN")
	if kcurl == "" {
		ctx, cancel := context.WithTimeout(context.Background(), harness.BuildTimeout)
		defer cancel()
		kcurl, err = harness.BuildKcurl(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
	}
	cases, err := loadCases()
	if err != nil {
		t.Fatal(err)
	}

	var (
		mu                           sync.Mutex
		ran, curlPass, kcurlPass     int
		widened, widenedKcurl, slows []string
	)
	sem := make(chan struct{}, parallelism)
	start := time.Now()
	t.Cleanup(func() {
		if ran == 0 {
			return
		}
		t.Logf("selected %d, curl passes %d, kcurl passes %d (%.1f%%), in %s",
			ran, curlPass, kcurlPass, 100*float64(kcurlPass)/float64(ran), time.Since(start).Round(time.Second))
		if len(widened) > 0 {
			t.Logf("widened: %d cases beyond kcurl's options, kcurl passes %d: %s", len(widened), len(widenedKcurl), strings.Join(widenedKcurl, " "))
		}
		if len(slows) > 0 {
			t.Logf("slowest runs: %s", strings.Join(slows, " "))
		}
	})
	for _, c := range cases {
		t.Run(strconv.Itoa(c.file.num), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			is := is.New(t)
			curlRes := runCase(t, curl, c.file, false, runTimeout)
			// A kcurl that waits where curl returns would hold the run for runTimeout; curl's own
			// time plus a margin is enough to tell, and keeps the whole run short.
			kcurlRes := runCase(t, kcurl, c.file, true, curlRes.took+kcurlMargin)
			mu.Lock()
			ran++
			if curlRes.pass() {
				curlPass++
			}
			if kcurlRes.pass() {
				kcurlPass++
			}
			if !c.selected {
				widened = append(widened, strconv.Itoa(c.file.num))
				if kcurlRes.pass() {
					widenedKcurl = append(widenedKcurl, strconv.Itoa(c.file.num))
				}
			}
			if d := max(curlRes.took, kcurlRes.took); d > 2*time.Second {
				slows = append(slows, fmt.Sprintf("%d:%s", c.file.num, d.Round(100*time.Millisecond)))
			}
			mu.Unlock()

			if !curlRes.pass() {
				t.Logf("curl: %s", curlRes)
			}
			is.True(curlRes.pass()) // curl 7.88.1 fails this case, so the runner plays curl's test server wrong: see the log
			if !c.selected {
				if !kcurlRes.pass() {
					t.Logf("kcurl: %s", kcurlRes)
				}
				return
			}
			known, listed := knownFailures[c.file.num]
			switch {
			case kcurlRes.pass() && listed:
				t.Errorf("kcurl passes now, but knownFailures says %q: remove the entry", known)
			case !kcurlRes.pass() && !listed:
				t.Errorf("kcurl fails (not in knownFailures): %s", kcurlRes)
			case !kcurlRes.pass():
				t.Logf("known failure (%s): %s", known, kcurlRes)
			}
		})
	}
}

// loadedCase is a case to run; selected is false for a case only -curlcases.widen runs.
type loadedCase struct {
	file     *caseFile
	selected bool
}

var caseNameRE = regexp.MustCompile(`^test(\d+)$`)

// loadCases reads testdata/, or with -curlcases.src curl's own folder through selectCase.
func loadCases() ([]loadedCase, error) {
	dir := "testdata"
	if *srcDir != "" {
		dir = *srcDir
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []loadedCase
	for _, e := range entries {
		m := caseNameRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		num, _ := strconv.Atoi(m[1])
		c, err := loadCase(filepath.Join(dir, e.Name()), num)
		if err != nil {
			return nil, err
		}
		ok, why := selectCase(c)
		switch {
		case ok:
			cases = append(cases, loadedCase{file: c, selected: true})
		case *srcDir == "":
			return nil, fmt.Errorf("testdata/%s is not selected any more (%s): rerun TestRegenerate", e.Name(), why)
		case *widen && strings.HasPrefix(why, "option --"):
			cases = append(cases, loadedCase{file: c})
		}
	}
	slices.SortFunc(cases, func(a, b loadedCase) int { return a.file.num - b.file.num })
	if len(cases) == 0 {
		return nil, errors.New("no cases in " + dir)
	}
	return cases, nil
}

// result is what one client did with one case, and how that differs from the case's <verify>.
type result struct {
	client   string
	code     int
	diffs    []string
	took     time.Duration
	runError error
}

func (r result) pass() bool { return len(r.diffs) == 0 && r.runError == nil }

func (r result) String() string {
	if r.runError != nil {
		return r.runError.Error()
	}
	return strings.Join(r.diffs, "\n")
}

// kcurlUserAgentRE is kcurl's default User-Agent line. The cases expect curl/7.88.1 in it; kcurl
// names itself on purpose, so that one line is read as curl's before comparing, and the cases
// run with their own command lines, unchanged. A case that sets -A is compared as it is.
var kcurlUserAgentRE = regexp.MustCompile(`(?m)^User-Agent: kcurl/[^\r\n]*`)

// kcurlPrefixRE is the "kcurl: " that starts kcurl's messages where curl's say "curl: ".
var kcurlPrefixRE = regexp.MustCompile(`(?m)^kcurl: `)

// runCase runs one case with one client, as runtests.pl runs it: in a folder of its own with
// log/, --output log/curlN.out and --include added unless the case says otherwise, the case's
// <file> parts written first and <stdin> fed in, against a fresh server.
func runCase(t *testing.T, bin string, raw *caseFile, isKcurl bool, timeout time.Duration) result {
	res := result{client: filepath.Base(bin)}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "log"), 0o755); err != nil {
		return result{runError: err}
	}
	ln, err := listenCase()
	if err != nil {
		return result{runError: err}
	}
	noListen, err := freePort()
	if err != nil {
		return result{runError: err}
	}
	userName := "nobody"
	if u, err := user.Current(); err == nil {
		userName = u.Username
	}
	c := raw.preprocess(caseVars{port: ln.Addr().(*net.TCPAddr).Port, noListenPort: noListen, dir: dir, user: userName})
	srv := serve(ln, c)

	for _, sfx := range []string{"", "1", "2", "3", "4"} {
		attrs := c.attrs("client", "file"+sfx)
		if attrs["name"] == "" {
			continue
		}
		lines := c.part("client", "file"+sfx)
		if attrs["nonewline"] != "" {
			lines = chompLast(lines)
		}
		path := filepath.Join(dir, attrs["name"])
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, joinBytes(lines), 0o644); err != nil {
			srv.stop()
			return result{runError: err}
		}
	}
	args, err := caseArgs(c)
	if err != nil {
		srv.stop()
		return result{runError: err}
	}
	cmdAttrs := c.attrs("client", "command")
	option := cmdAttrs["option"]
	hasStdout := c.has("verify", "stdout")
	curlOut := fmt.Sprintf("log/curl%d.out", c.num)
	var pre []string
	if !strings.Contains(option, "no-output") && (!hasStdout || strings.Contains(option, "force-output")) {
		pre = append(pre, "--output", curlOut)
	}
	if !strings.Contains(option, "no-include") {
		pre = append(pre, "--include")
	}
	args = append(pre, args...)

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = clientEnv(dir)
	for _, l := range c.part("client", "setenv") {
		// runtests.pl: NAME=value sets, NAME= unsets, other lines are comments.
		if name, value, ok := strings.Cut(strings.TrimRight(l, "\r\n"), "="); ok && !strings.HasPrefix(name, "#") {
			cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
			if value != "" {
				cmd.Env = append(cmd.Env, name+"="+value)
			}
		}
	}
	if c.has("client", "stdin") {
		lines := c.part("client", "stdin")
		if c.attrs("client", "stdin")["nonewline"] != "" {
			lines = chompLast(lines)
		}
		// A file, as runtests.pl's <log/stdin-for-N redirection: curl seeks in it to resend.
		stdinPath := filepath.Join(dir, "log", fmt.Sprintf("stdin-for-%d", c.num))
		if err := os.WriteFile(stdinPath, joinBytes(lines), 0o644); err != nil {
			srv.stop()
			return result{runError: err}
		}
		f, err := os.Open(stdinPath)
		if err != nil {
			srv.stop()
			return result{runError: err}
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res.took = time.Since(start)
	request := srv.stop()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.runError = fmt.Errorf("%s: stopped after %s, curl takes %s (stderr %q)", res.client, timeout.Round(100*time.Millisecond), (timeout - kcurlMargin).Round(100*time.Millisecond), stderr.String())
		return res
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	case err != nil:
		res.runError = err
		return res
	}
	errText := stderr.Bytes()
	if isKcurl {
		request = kcurlUserAgentRE.ReplaceAll(request, []byte("User-Agent: curl/"+curlVersion))
		// kcurl's messages name it, as the User-Agent does; a case that checks an error line
		// (log/stderrN) is about the line's code and words.
		errText = kcurlPrefixRE.ReplaceAll(errText, []byte("curl: "))
	}
	// runtests.pl sends stdout and stderr to log/stdoutN and log/stderrN, and a few cases
	// check those as <file>s.
	os.WriteFile(filepath.Join(dir, "log", fmt.Sprintf("stdout%d", c.num)), stdout.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "log", fmt.Sprintf("stderr%d", c.num)), errText, 0o644)
	res.diffs = verify(c, dir, res.code, stdout.Bytes(), request, curlOut)
	if len(res.diffs) > 0 {
		res.diffs = append(res.diffs, fmt.Sprintf("command: %s %s\nstderr: %q", res.client, strings.Join(args, " "), stderr.String()))
	}
	return res
}

// verify compares what a client did with the case's <verify>, in runtests.pl's order and with
// its rules: stdout, the request (protocol), the data saved with --output, the <file>s, the
// exit code. stderr is not compared: kcurl's messages say kcurl, and runtests.pl's own
// --trace-ascii (which the runner leaves out) changes what curl writes there.
func verify(c *caseFile, dir string, code int, stdout, request []byte, curlOut string) []string {
	var diffs []string
	compare := func(what string, want, got []string) {
		w, g := strings.Join(want, ""), strings.Join(got, "")
		if w != g {
			diffs = append(diffs, fmt.Sprintf("%s differs (-want +got):\n%s", what, lineDiff(w, g)))
		}
	}
	if c.has("verify", "stdout") {
		ops, _ := casePerlOps(c, "stripfile")
		want := c.part("verify", "stdout")
		attrs := c.attrs("verify", "stdout")
		if attrs["nonewline"] != "" {
			want = chompLast(want)
		}
		if attrs["crlf"] != "" {
			want = guessCRLFLines(want)
		}
		compare("stdout", want, stripLines(splitLines(string(stdout)), ops, true))
	}
	if protocol := c.part("verify", "protocol"); len(protocol) > 0 {
		got := splitLines(string(request))
		want := protocol
		attrs := c.attrs("verify", "protocol")
		if attrs["nonewline"] != "" {
			want = chompLast(want)
		}
		for _, s := range c.part("verify", "strip") {
			s = strings.TrimRight(s, "\n")
			got, want = dropMatching(got, s), dropMatching(want, s)
		}
		ops, _ := casePerlOps(c, "strippart")
		got = stripLines(got, ops, false)
		if attrs["crlf"] != "" {
			for i := range want {
				want[i] = forceCRLF(want[i])
			}
		}
		compare("request", want, got)
	}
	dataAttrs := c.attrs("reply", "data")
	if dataAttrs["nocheck"] == "" {
		var want []string
		if c.has("reply", "datacheck") {
			for _, sfx := range []string{"", "1", "2", "3", "4"} {
				part := c.part("reply", "datacheck"+sfx)
				attrs := c.attrs("reply", "datacheck"+sfx)
				if attrs["nonewline"] != "" {
					part = chompLast(part)
				}
				if attrs["crlf"] != "" {
					part = guessCRLFLines(part)
				}
				want = append(want, part...)
			}
		} else {
			want = c.part("reply", "data")
			if dataAttrs["nonewline"] != "" {
				want = chompLast(want)
			}
		}
		if len(want) > 0 || dataAttrs["sendzero"] != "" {
			got, _ := os.ReadFile(filepath.Join(dir, curlOut))
			compare("output file "+curlOut, want, splitLines(string(got)))
		}
	}
	for _, sfx := range []string{"", "1", "2", "3", "4"} {
		if !c.has("verify", "file"+sfx) {
			continue
		}
		attrs := c.attrs("verify", "file"+sfx)
		want := c.part("verify", "file"+sfx)
		if attrs["crlf"] != "" {
			want = guessCRLFLines(want)
		}
		gotBytes, _ := os.ReadFile(filepath.Join(dir, attrs["name"]))
		ops, _ := casePerlOps(c, "stripfile"+sfx)
		compare("file "+attrs["name"], want, stripLines(splitLines(string(gotBytes)), ops, true))
	}
	wantCodes := "0"
	if e := strings.TrimSpace(c.text("verify", "errorcode")); e != "" {
		wantCodes = e
	}
	okCode := false
	for _, w := range regexp.MustCompile(` *, *`).Split(wantCodes, -1) {
		if n, err := strconv.Atoi(w); err == nil && n == code {
			okCode = true
		}
	}
	if !okCode {
		diffs = append(diffs, fmt.Sprintf("exit code %d, want %s", code, wantCodes))
	}
	return diffs
}

func guessCRLFLines(lines []string) []string {
	prev := false
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = guessCRLF(l, &prev)
	}
	return out
}

// clientEnv is the environment both clients run in: no proxy or Kubernetes variables from the
// machine (kcurl treats KUBERNETES_SERVICE_HOST as the API server), and HOME set to the run's
// folder as runtests.pl sets it, so no ~/.curlrc is read.
func clientEnv(dir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "KUBERNETES_"), strings.HasPrefix(name, "CURL_"),
			strings.HasPrefix(name, "KCURL_"), strings.HasPrefix(name, "SSL_CERT_"),
			strings.EqualFold(name, "http_proxy"), strings.EqualFold(name, "https_proxy"),
			strings.EqualFold(name, "all_proxy"), strings.EqualFold(name, "no_proxy"),
			name == "HOME", name == "XDG_CONFIG_HOME":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "CURL_HOME="+dir, "XDG_CONFIG_HOME="+dir,
		"KCURL_SERVICE_ACCOUNT_DIR="+filepath.Join(dir, "no-service-account"))
}

// freePort is a loopback port nothing listens on (%NOLISTENPORT).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
