package curlcases

import (
	"fmt"
	"regexp"
	"strings"
)

// perlOp is one line of <strippart> or <stripfile>: runtests.pl evals it on every line ($_)
// of the output. The cases use a few forms; those are translated, anything else refuses the
// case (selectCase) instead of being run differently.
type perlOp struct {
	re    *regexp.Regexp
	repl  string
	all   bool // s///g
	empty bool // $_ = '' if /re/ (and the like): the line goes away
}

var (
	substRE  = regexp.MustCompile(`^s(.)(.*)$`)
	emptyIfR = regexp.MustCompile(`^\$_\s*=\s*''\s*if\s*\(?\s*/(.*)/([a-z]*)\s*\)?\s*;?$`)
)

// parsePerlOp translates s/PAT/REPL/FLAGS and $_ = ” if /PAT/.
func parsePerlOp(op string) (perlOp, error) {
	op = strings.TrimSpace(op)
	if m := emptyIfR.FindStringSubmatch(op); m != nil {
		re, err := perlRegexp(m[1], m[2])
		return perlOp{re: re, empty: true}, err
	}
	m := substRE.FindStringSubmatch(op)
	if m == nil {
		return perlOp{}, fmt.Errorf("perl op %q", op)
	}
	delim := m[1][0]
	parts := splitDelim(m[2], delim)
	if len(parts) != 3 {
		return perlOp{}, fmt.Errorf("perl op %q", op)
	}
	flags := strings.TrimRight(parts[2], "; ")
	if strings.Trim(flags, "gimsx") != "" {
		return perlOp{}, fmt.Errorf("perl op flags %q", op)
	}
	re, err := perlRegexp(parts[0], strings.ReplaceAll(flags, "g", ""))
	if err != nil {
		return perlOp{}, err
	}
	repl := regexp.MustCompile(`\$(\d)`).ReplaceAllString(parts[1], "$${$1}")
	repl = strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\/`, "/", `\\`, `\`, `\.`, ".", `\-`, "-").Replace(repl)
	return perlOp{re: re, repl: repl, all: strings.Contains(flags, "g")}, nil
}

// splitDelim splits s on unescaped delim, keeping backslash escapes of other characters.
func splitDelim(s string, delim byte) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == delim:
			cur.WriteByte(delim)
			i++
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i])
			cur.WriteByte(s[i+1])
			i++
		case s[i] == delim:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(parts, cur.String())
}

// perlRegexp compiles a Perl pattern with Go's syntax, which covers what the cases use.
func perlRegexp(pat, flags string) (*regexp.Regexp, error) {
	prefix := ""
	if flags != "" {
		prefix = "(?" + flags + ")"
	}
	return regexp.Compile(prefix + pat)
}

// apply runs the op on one line; Perl's s/// without /g replaces the first match only.
func (o perlOp) apply(line string) string {
	if o.empty {
		if o.re.MatchString(line) {
			return ""
		}
		return line
	}
	if o.all {
		return o.re.ReplaceAllString(line, o.repl)
	}
	loc := o.re.FindStringSubmatchIndex(line)
	if loc == nil {
		return line
	}
	return line[:loc[0]] + string(o.re.ExpandString(nil, o.repl, line, loc)) + line[loc[1]:]
}

// casePerlOps parses every <strippart> and <stripfile*> op of a case.
func casePerlOps(c *caseFile, name string) ([]perlOp, error) {
	var ops []perlOp
	for _, l := range c.part("verify", name) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		op, err := parsePerlOp(strings.TrimRight(l, "\r\n"))
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// checkPerlOps refuses a case whose ops the runner cannot translate.
func checkPerlOps(c *caseFile) error {
	for _, name := range []string{"strippart", "stripfile", "stripfile1", "stripfile2", "stripfile3", "stripfile4"} {
		if _, err := casePerlOps(c, name); err != nil {
			return err
		}
	}
	for _, l := range c.part("verify", "strip") {
		if _, err := regexp.Compile(strings.TrimRight(l, "\r\n")); err != nil {
			return fmt.Errorf("strip pattern %q", l)
		}
	}
	return nil
}

// stripLines applies ops to every line, dropping lines that become empty (runtests.pl's
// <stripfile> handling).
func stripLines(lines []string, ops []perlOp, dropEmpty bool) []string {
	if len(ops) == 0 {
		return lines
	}
	var out []string
	for _, l := range lines {
		for _, op := range ops {
			l = op.apply(l)
		}
		if l != "" || !dropEmpty {
			out = append(out, l)
		}
	}
	return out
}

// dropMatching removes the lines that match pattern (runtests.pl's striparray for <strip>).
func dropMatching(lines []string, pattern string) []string {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return lines
	}
	var out []string
	for _, l := range lines {
		if !re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// lineDiff shows how got differs from want, line by line with Go quoting so that CR, LF and
// case are visible: "-" lines are the case's, "+" lines the client's.
func lineDiff(want, got string) string {
	a, b := splitLines(want), splitLines(got)
	// Longest common subsequence; the parts compared are small (a few KiB).
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	// A case may send a megabyte on one line; the start of it is enough to see the difference.
	show := func(s string) string {
		if len(s) > 160 {
			return fmt.Sprintf("%q…(%d bytes)", s[:120], len(s))
		}
		return fmt.Sprintf("%q", s)
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			fmt.Fprintf(&out, "   %s\n", show(a[i]))
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "  +%s\n", show(b[j]))
			j++
		default:
			fmt.Fprintf(&out, "  -%s\n", show(a[i]))
			i++
		}
	}
	return out.String()
}
