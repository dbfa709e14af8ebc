package curlcases

import (
	"strings"
	"testing"

	"github.com/matryer/is"
)

// These check the runner's own parts without curl, so a mistake in them shows as itself and not
// as curl failing a case.

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		err      bool
	}{
		{name: "blanks", in: "-i  http://h/1 -d x", want: []string{"-i", "http://h/1", "-d", "x"}},
		{name: "double quotes keep a backslash before other bytes", in: `"http://h/\{\}\/1"`, want: []string{`http://h/\{\}\/1`}},
		{name: "double quotes unescape \\\"", in: `-H "X: \"a\""`, want: []string{"-H", `X: "a"`}},
		{name: "single quotes", in: `-d 'a b\'`, want: []string{"-d", `a b\`}},
		{name: "backslash outside quotes", in: `a\ b`, want: []string{"a b"}},
		{name: "empty quoted word", in: `--noproxy ""`, want: []string{"--noproxy", ""}},
		{name: "expansion refused", in: `-d "$HOME"`, err: true},
		{name: "redirection refused", in: `-d x > f`, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, err := shellWords(tc.in)
			if tc.err {
				is.True(err != nil) // sh would do more than split this line
				return
			}
			is.NoErr(err)
			is.Equal(got, tc.want)
		})
	}
}

func TestCurlArgOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "long with value", args: []string{"--data", "-x", "u"}, want: []string{"data"}},
		{name: "bundle ending in a value", args: []string{"-sSXPOST", "u"}, want: []string{"silent", "show-error", "request"}},
		{name: "short value in the next word", args: []string{"-H", "-i: x", "u"}, want: []string{"header"}},
		{name: "no- form of a boolean", args: []string{"--no-buffer"}, want: []string{"no-buffer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			got, err := curlArgOptions(tc.args)
			is.NoErr(err)
			is.Equal(got, tc.want)
		})
	}
}

func TestPerlOp(t *testing.T) {
	for _, tc := range []struct {
		name, op, line, want string
	}{
		{name: "first match only", op: `s/a/b/`, line: "aaa", want: "baa"},
		{name: "global", op: `s/a/b/g`, line: "aaa", want: "bbb"},
		{name: "group in the replacement; . takes the CR as in Perl", op: `s/^(Host: ).*/$1X/`, line: "Host: h:1\r\n", want: "Host: X\n"},
		{name: "escaped delimiter", op: `s/\/\d+/\/N/`, line: "GET /123 H", want: "GET /N H"},
		{name: "line removed", op: `$_ = '' if /^Date:/`, line: "Date: x\n", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			op, err := parsePerlOp(tc.op)
			is.NoErr(err)
			is.Equal(op.apply(tc.line), tc.want)
		})
	}
}

func TestGuessCRLF(t *testing.T) {
	is := is.New(t)
	in := "HTTP/1.1 200 OK\nDate: x\n\nbody line\nnot: a header?\n"
	prev := false
	var out []string
	for _, l := range splitLines(in) {
		out = append(out, guessCRLF(l, &prev))
	}
	// runtests.pl's heuristic: the status line, headers and the blank line after them get CRLF;
	// the body's "not: a header?" looks like a header and gets one too, as in curl's suite.
	is.Equal(strings.Join(out, ""), "HTTP/1.1 200 OK\r\nDate: x\r\n\r\nbody line\nnot: a header?\r\n")
}

func TestRoute(t *testing.T) {
	s := &caseServer{c: &caseFile{num: 1234}}
	for _, tc := range []struct {
		name, head string
		want       request
	}{
		{name: "number in the path", head: "GET /1234 HTTP/1.1\r\n", want: request{test: 1234}},
		{name: "part in the last digits", head: "GET /want/12340002 HTTP/1.1\r\n", want: request{test: 1234, part: 2}},
		{name: "no number: the running case", head: "GET /index.html HTTP/1.1\r\n", want: request{test: 1234}},
		{name: "digest moves the part", head: "GET /1234 HTTP/1.1\r\nAuthorization: Digest x\r\n", want: request{test: 1234, part: 1000}},
		{name: "query after the number", head: "GET /1234?a=/b HTTP/1.1\r\n", want: request{test: 1234}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(s.route(tc.head), tc.want)
		})
	}
}
