package curlcases

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// caseFile is one of curl's test cases (tests/data/testNNNN) as lines, each with its own
// line ending, because the files mix CRLF and LF on purpose and the runner must keep both.
type caseFile struct {
	num   int
	lines []string
}

// loadCase reads testdata/testNNNN.
func loadCase(path string, num int) (*caseFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &caseFile{num: num, lines: splitLines(string(b))}, nil
}

// splitLines cuts s after every "\n", as Perl's line reading does.
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// caseVars are the values of the %VARIABLES for one run of a case.
type caseVars struct {
	port         int    // %HTTPPORT: the run's own server
	noListenPort int    // %NOLISTENPORT: a port nothing listens on
	dir          string // %PWD: the run's working directory, which holds log/
	user         string // %USER
}

// curlVersion is %VERSION: the curl the cases were written for and the runner compares with.
const curlVersion = "7.88.1"

// features are the %if and <features> names that are true for the machine's curl 7.88.1
// (Debian's build, as `curl -V` lists it): a case's data is preprocessed the same way for both
// clients, so kcurl is held to what curl 7.88.1 does.
var features = map[string]bool{
	"alt-svc": true, "brotli": true, "cookies": true, "crypto": true, "GSS-API": true, "HSTS": true,
	"http/2": true, "HTTP-auth": true, "idn": true, "IDN": true, "ipv6": true, "IPv6": true, "Kerberos": true,
	"large_file": true, "libz": true, "Mime": true, "netrc": true, "NTLM": true, "NTLM_WB": true,
	"OpenSSL": true, "parsedate": true, "proxy": true, "PSL": true, "SPNEGO": true, "SSL": true,
	"SSLpinning": true, "threaded-resolver": true, "TLS-SRP": true, "unix-sockets": true, "zstd": true,
	"http": true, "HTTP": true, "file": true, "FILE": true,
}

// preprocess does what runtests.pl's prepro does before a case runs: %if/%else/%endif on
// features, variables, %b64[]b64% / %hex[]hex% / %repeat[]%, and the header-guessing CRLF
// rewrite inside <data crlf="yes"> sections.
func (c *caseFile) preprocess(v caseVars) *caseFile {
	out := &caseFile{num: c.num}
	show := true
	dataCRLF := false
	prevUpdate := false
	for _, s := range c.lines {
		trimmed := strings.TrimLeft(s, " ")
		switch {
		case strings.HasPrefix(trimmed, "%if "):
			cond := strings.TrimRight(strings.TrimPrefix(trimmed, "%if "), "\r\n")
			rev := strings.HasPrefix(cond, "!")
			cond = strings.TrimPrefix(cond, "!")
			show = rev != features[cond]
			continue
		case strings.HasPrefix(trimmed, "%else"):
			show = !show
			continue
		case strings.HasPrefix(trimmed, "%endif"):
			show = true
			continue
		}
		if !show {
			continue
		}
		if m := dataOpenRE.FindStringSubmatch(s); m != nil {
			if strings.Contains(m[1], `crlf="yes"`) {
				dataCRLF = true
			}
		} else if dataCloseRE.MatchString(s) && dataCRLF {
			dataCRLF = false
		}
		s = v.substitute(s, c.num)
		s = expandEncodings(s)
		if dataCRLF {
			s = guessCRLF(s, &prevUpdate)
		}
		out.lines = append(out.lines, s)
	}
	return out
}

var (
	dataOpenRE  = regexp.MustCompile(`^ *<data(.*)>`)
	dataCloseRE = regexp.MustCompile(`^ *</data`)
)

// substitute replaces the variables one after another in runtests.pl's order, so that the
// longer names (%HTTP6PORT, %HTTPSPROXYPORT) go before their prefixes.
func (v caseVars) substitute(s string, num int) string {
	if !strings.Contains(s, "%") {
		return s
	}
	port := strconv.Itoa(v.port)
	filePWD := v.dir
	if !strings.HasPrefix(filePWD, "/") {
		filePWD = "/" + filePWD
	}
	for _, r := range [][2]string{
		{"%HTTP6PORT", port}, {"%HTTPPORT", port},
		{"%NOLISTENPORT", strconv.Itoa(v.noListenPort)},
		{"%CLIENT6IP", "[::1]"}, {"%CLIENTIP", "127.0.0.1"},
		{"%HOST6IP", "[::1]"}, {"%HOSTIP", "127.0.0.1"},
		{"%PWD", v.dir}, {"%POSIX_PWD", v.dir},
		{"%VERSION", curlVersion}, {"%TESTNUMBER", strconv.Itoa(num)},
		{"%FILE_PWD", filePWD}, {"%USER", v.user},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

var (
	b64RE    = regexp.MustCompile(`(?i)%b64\[(.*)\]b64%`)
	hexRE    = regexp.MustCompile(`(?i)%hex\[(.*)\]hex%`)
	repeatRE = regexp.MustCompile(`(?i)%repeat\[(\d+) x (.*)\]%`)
	pctRE    = regexp.MustCompile(`%([0-9A-Fa-f]{2})`)
)

// expandEncodings expands the first %b64[]b64%, %hex[]hex% and %repeat[N x S]% of a line.
func expandEncodings(s string) string {
	decodePct := func(d string) string {
		return pctRE.ReplaceAllStringFunc(d, func(m string) string {
			b, _ := strconv.ParseUint(m[1:], 16, 8)
			return string([]byte{byte(b)})
		})
	}
	if m := b64RE.FindStringSubmatchIndex(s); m != nil {
		enc := base64.StdEncoding.EncodeToString([]byte(decodePct(s[m[2]:m[3]])))
		s = s[:m[0]] + enc + s[m[1]:]
	}
	if m := hexRE.FindStringSubmatchIndex(s); m != nil {
		s = s[:m[0]] + decodePct(s[m[2]:m[3]]) + s[m[1]:]
	}
	if m := repeatRE.FindStringSubmatchIndex(s); m != nil {
		n, _ := strconv.Atoi(s[m[2]:m[3]])
		s = s[:m[0]] + strings.Repeat(decodePct(s[m[4]:m[5]]), n) + s[m[1]:]
	}
	return s
}

var (
	statusLineRE  = regexp.MustCompile(`^HTTP/(1.1|1.0|2|3) [1-5][^\r]*\z`)
	requestLineRE = regexp.MustCompile(`^(GET|POST|PUT|DELETE) \S+ HTTP/\d+(\.\d+)?`)
	headerLineRE  = regexp.MustCompile(`(?i)^[a-z0-9_-]+: [^\r]*\z`)
	curlErrorRE   = regexp.MustCompile(`^curl: \(\d+\) `)
	lfRE          = regexp.MustCompile(`\r*\n`)
)

// guessCRLF is runtests.pl's crlf="yes": lines that look like a status line, a request line or
// a header get CRLF, and so does the empty line right after one of them.
func guessCRLF(s string, prevUpdate *bool) string {
	if statusLineRE.MatchString(s) || requestLineRE.MatchString(s) ||
		(headerLineRE.MatchString(s) && !curlErrorRE.MatchString(s)) {
		*prevUpdate = true
		return forceCRLF(s)
	}
	if s == "\n" && *prevUpdate {
		s = "\r\n"
	}
	*prevUpdate = false
	return s
}

// forceCRLF turns the first line ending of s into CRLF (<protocol crlf="yes">).
func forceCRLF(s string) string {
	if loc := lfRE.FindStringIndex(s); loc != nil {
		return s[:loc[0]] + "\r\n" + s[loc[1]:]
	}
	return s
}

// partRE matches a line that opens (or, with the slash, closes) a section or part by name.
func tagRE(name string, closing bool) *regexp.Regexp {
	slash := ""
	if closing {
		slash = "/"
	}
	return regexp.MustCompile(`^ *<` + slash + regexp.QuoteMeta(name))
}

// part returns the lines of <section><name>…</name></section>, decoded when the part says
// base64="yes" or hex="yes", as getpart.pm does; nil when the part is absent or empty.
func (c *caseFile) part(section, name string) []string {
	sectionOpen, sectionClose := tagRE(section, false), tagRE(section, true)
	partOpen := regexp.MustCompile(`^ *<` + regexp.QuoteMeta(name) + `[ >]`)
	partClose := regexp.MustCompile(`^ *</` + regexp.QuoteMeta(name) + `[ >]`)
	var this []string
	inside := 0
	var b64, hx bool
	for _, l := range c.lines {
		switch {
		case inside == 0 && sectionOpen.MatchString(l):
			inside++
		case inside >= 1 && partOpen.MatchString(l):
			if inside > 1 {
				this = append(this, l)
			} else if regexp.MustCompile(regexp.QuoteMeta(name) + ` [^>]*base64=`).MatchString(l) {
				b64 = true
			} else if regexp.MustCompile(regexp.QuoteMeta(name) + ` [^>]*hex=`).MatchString(l) {
				hx = true
			}
			inside++
		case inside >= 2 && partClose.MatchString(l):
			if inside > 2 {
				this = append(this, l)
			}
			inside--
		case inside >= 1 && sectionClose.MatchString(l):
			return decodePart(this, b64, hx)
		case inside >= 2:
			this = append(this, l)
		}
	}
	return decodePart(this, b64, hx)
}

func decodePart(lines []string, b64, hx bool) []string {
	if !b64 && !hx {
		return lines
	}
	for i, l := range lines {
		if b64 {
			// Perl's decode_base64 ignores what is not base64, the line ending included.
			d, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(l))
			lines[i] = string(d)
		} else {
			d, _ := hex.DecodeString(regexp.MustCompile(`[^A-Fa-f0-9]`).ReplaceAllString(l, ""))
			lines[i] = string(d)
		}
	}
	return lines
}

// text is part joined into one string.
func (c *caseFile) text(section, name string) string {
	return strings.Join(c.part(section, name), "")
}

// has says whether <section> holds a <name> part at its top level, even an empty one.
func (c *caseFile) has(section, name string) bool {
	sectionOpen, sectionClose := tagRE(section, false), tagRE(section, true)
	partOpen := regexp.MustCompile(`^ *<` + regexp.QuoteMeta(name) + `[ >]`)
	inside := false
	for _, l := range c.lines {
		switch {
		case !inside && sectionOpen.MatchString(l):
			inside = true
		case inside && partOpen.MatchString(l):
			return true
		case inside && sectionClose.MatchString(l):
			return false
		}
	}
	return false
}

var attrRE = regexp.MustCompile(`([^= ]+)= *(?:"([^"]*)"|([^> ]*))`)

// attrs returns the attributes of <section><name …>.
func (c *caseFile) attrs(section, name string) map[string]string {
	sectionOpen, sectionClose := tagRE(section, false), tagRE(section, true)
	partOpen := regexp.MustCompile(`^ *<` + regexp.QuoteMeta(name) + ` ([^>]*)`)
	partClose := regexp.MustCompile(`^ *</` + regexp.QuoteMeta(name))
	attrs := map[string]string{}
	inside := 0
	for _, l := range c.lines {
		if inside == 0 && sectionOpen.MatchString(l) {
			inside++
		}
		if inside == 1 {
			if m := partOpen.FindStringSubmatch(l); m != nil {
				for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
					attrs[a[1]] = a[2] + a[3]
				}
				return attrs
			}
			if sectionClose.MatchString(l) {
				return attrs
			}
		}
		if inside == 2 && partClose.MatchString(l) {
			inside--
		}
	}
	return attrs
}

// chompLast removes the final "\n" of the last line (nonewline="yes"), as Perl's chomp does.
func chompLast(lines []string) []string {
	if len(lines) == 0 {
		return lines
	}
	out := append([]string(nil), lines...)
	out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "\n")
	return out
}

// serverPart is a reply part as the test server sends it: base64 decoded, nonewline applied.
func (c *caseFile) serverPart(name string) []byte {
	s := c.text("reply", name)
	if c.attrs("reply", name)["nonewline"] != "" {
		s = strings.TrimSuffix(s, "\n")
	}
	return []byte(s)
}

// keywords are the case's <info><keywords>, one per line.
func (c *caseFile) keywords() []string {
	var kw []string
	for _, l := range c.part("info", "keywords") {
		if k := strings.TrimSpace(l); k != "" {
			kw = append(kw, k)
		}
	}
	return kw
}

// listPart is a part whose lines are a list (servers, features), trimmed and without blanks.
func (c *caseFile) listPart(section, name string) []string {
	var out []string
	for _, l := range c.part(section, name) {
		if k := strings.TrimSpace(l); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// String is for failure messages.
func (c *caseFile) String() string { return fmt.Sprintf("test%d", c.num) }

// joinBytes is a part's lines as bytes.
func joinBytes(lines []string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
	}
	return b.Bytes()
}
