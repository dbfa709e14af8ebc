package curlcases

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// kcurlOptions are the curl options kcurl implements today (main.go's cli and ConnFlags, by
// curl's long name). A case is selected only when every option on its command line is here, so
// this list is what the lead widens as issue 12's options land; then rerun TestRegenerate (see
// README.md) to copy the newly selected cases from curl's tree. --include and --output are added
// by the runner to most cases, as runtests.pl adds them.
var kcurlOptions = setOf(
	// request
	"request", "header", "data", "data-ascii", "data-raw", "data-binary", "data-urlencode", "json",
	"get", "upload-file", "head", "user-agent", "compressed", "location", "max-redirs", "http1.1",
	"http2", "retry", "retry-delay", "retry-max-time", "retry-all-errors", "retry-connrefused",
	"no-buffer", "max-time", "connect-timeout", "resolve", "proxy", "noproxy", "oauth2-bearer",
	// output
	"output", "include", "fail", "fail-with-body", "write-out", "progress-bar", "no-progress-meter",
	"version", "verbose", "silent", "show-error",
	// tls
	"insecure", "cacert", "cert", "key",
)

// runnerFeatures are the <features> a selected case may require: curl 7.88.1 has them and the
// runner (one plain HTTP server on loopback) can run such cases. "proxy" is here because the
// cases that need only it send absolute URLs to the same server with -x, which sws and this
// runner answer like any request. Add "cookies", "Mime", "netrc", "HTTP-auth" as kcurl grows -b,
// -F, -n, -u. Features that name a build option of curl rather than a server ("crypto",
// "cookies", "Mime", "netrc", "HTTP-auth") are allowed: the options those cases use decide.
var runnerFeatures = setOf("http", "HTTP", "libz", "proxy", "large_file", "crypto", "cookies", "Mime", "netrc", "HTTP-auth")

// kcurlEnv are the <setenv> variables a selected case may set: the ones kcurl reads as curl
// does (proxies) and the ones that change nothing for kcurl. Add CURL_HOME and XDG_CONFIG_HOME
// when kcurl reads a .curlrc.
var kcurlEnv = setOf("http_proxy", "no_proxy", "NO_PROXY", "TZ", "LC_ALL", "LC_NUMERIC", "MSYS2_ARG_CONV_EXCL")

// runnerCannot are cases that pass the rules below but that this runner cannot play as curl's
// test suite does (curl itself fails them here), with why. Keep it short: each is a runner gap.
var runnerCannot = map[int]string{
	3014: "asks for another case's reply (/1439); sws would read test1439, this server answers only the case it runs",
	1117: "writedelay: 1000 ms per 20-byte write makes it take 17 s, too long for the run (uses -r)",
}

// disabled are the cases curl's own tests/data/DISABLED list skips at 7.88.1.
var disabled = setOf(323, 594, 836, 882, 938, 1182, 1184, 1209, 1211, 1307, 1316, 1510, 1512, 1801, 2086, 2043)

// selectCase is the selection rule: a case is run when it needs only curl's plain HTTP test
// server, runs curl itself (not a libcurl test tool, not a perl or shell script), needs no
// precheck or postcheck program, requires only runnerFeatures, and uses only kcurlOptions.
// The reason says why a case is left out.
func selectCase(c *caseFile) (ok bool, why string) {
	servers := c.listPart("client", "server")
	switch {
	case disabled[c.num]:
		return false, "disabled in curl's tests/data/DISABLED"
	case len(servers) != 1 || !strings.EqualFold(servers[0], "http"):
		return false, "server: " + strings.Join(servers, ",")
	case c.has("client", "tool"):
		return false, "libcurl tool"
	case contains(c.keywords(), "unittest"):
		return false, "unit test"
	case c.has("client", "precheck"), c.has("client", "postcheck"):
		return false, "precheck/postcheck program"
	case c.attrs("client", "command")["type"] != "":
		return false, "command type " + c.attrs("client", "command")["type"]
	case c.has("verify", "proxy"):
		return false, "needs the proxy log"
	}
	for _, f := range c.listPart("client", "features") {
		if strings.HasPrefix(f, "!") {
			if features[f[1:]] {
				return false, "feature " + f + " (curl 7.88.1 would skip it)"
			}
			continue
		}
		if !runnerFeatures[f] {
			return false, "feature " + f
		}
	}
	for _, l := range c.part("client", "setenv") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") {
			continue // runtests.pl takes only NAME=value lines
		}
		if name, _, _ := strings.Cut(l, "="); name != "" && !kcurlEnv[name] {
			return false, "setenv " + name
		}
	}
	args, err := caseArgs(c)
	if err != nil {
		return false, err.Error()
	}
	opts, err := curlArgOptions(args)
	if err != nil {
		return false, err.Error()
	}
	if err := checkPerlOps(c); err != nil {
		return false, err.Error()
	}
	if why, ok := runnerCannot[c.num]; ok {
		return false, "runner: " + why
	}
	// Last, so that -curlcases.widen finds every case that only an option keeps out.
	for _, o := range opts {
		if !kcurlOptions[o] {
			return false, "option --" + o
		}
	}
	return true, ""
}

// otherServerVarRE finds a %VARIABLE the runner does not substitute: other servers' ports and
// paths, curl's source folder, the curl binary.
var otherServerVarRE = regexp.MustCompile(`%(FTP|GOPHER|HTTPS|HTTPTLS|HTTP2|HTTP3|PROXY|MQTT|IMAP|POP3|RTSP|SMTP|SOCKS|SSH|TFTP|DICT|SMB|TELNET)[A-Z0-9]*PORT|%(HTTPUNIXPATH|SOCKSUNIXPATH|CURL|SRCDIR|SSH|FTPTIME|H2CVER)`)

// caseArgs is the case's command line as words, before variables are substituted: runtests.pl
// takes the first line of <command> and hands it to /bin/sh; the runner splits it as sh would
// and refuses what needs a shell (expansions, redirections, pipes).
func caseArgs(c *caseFile) ([]string, error) {
	lines := c.part("client", "command")
	if len(lines) == 0 {
		return nil, errors.New("no command")
	}
	cmd := strings.ReplaceAll(lines[0], "\n", "")
	if v := otherServerVarRE.FindString(cmd); v != "" {
		return nil, fmt.Errorf("variable %s", v)
	}
	return shellWords(cmd)
}

// shellWords splits a command line as sh does for the quoting the cases use: blanks, '…', "…"
// and backslashes. What would make sh do more than split (a $, a backquote, <, >, |, ;, &) is
// an error, so such a case is left out rather than run differently.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\r':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("shell: unterminated '")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
					i++
					w.WriteByte(s[i])
				case s[i] == '$' || s[i] == '`':
					return nil, errors.New("shell: expansion")
				default:
					w.WriteByte(s[i])
				}
			}
			if i >= len(s) {
				return nil, errors.New(`shell: unterminated "`)
			}
			inWord = true
		case ch == '\\':
			if i+1 < len(s) {
				i++
				w.WriteByte(s[i])
			}
			inWord = true
		case strings.IndexByte("$`<>|;&()", ch) >= 0:
			return nil, fmt.Errorf("shell: %c", ch)
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// curlArgOptions lists the long names of the options in args, parsed as curl parses them:
// --name, --no-name for a boolean, -X value, -XVALUE, and bundles such as -sS or -sXPOST.
func curlArgOptions(args []string) ([]string, error) {
	byLong := map[string]curlOption{}
	byShort := map[byte]curlOption{}
	for _, o := range curlOptions {
		byLong[o.long] = o
		if o.short != "" {
			byShort[o.short[0]] = o
		}
	}
	var names []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name := a[2:]
			o, ok := byLong[name]
			if !ok {
				if b, isNo := byLong[strings.TrimPrefix(name, "no-")]; isNo && strings.HasPrefix(name, "no-") && !b.hasArg {
					names = append(names, name)
					continue
				}
				return nil, fmt.Errorf("unknown option %s", a)
			}
			names = append(names, o.long)
			if o.hasArg {
				i++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				o, ok := byShort[a[j]]
				if !ok {
					return nil, fmt.Errorf("unknown option -%c", a[j])
				}
				names = append(names, o.long)
				if o.hasArg {
					if j == len(a)-1 {
						i++
					}
					break
				}
			}
		}
	}
	return names, nil
}

func setOf[T comparable](items ...T) map[T]bool {
	m := make(map[T]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
