package main

// Fuzz targets for everything kcurl parses from the command line, the environment and
// the API server. Seeds below run in every `go test`; `go test -fuzz ^FuzzX$` explores.
// No target touches the network or a file: inputs that would name a file (@file) are
// left out, and the command-line target stops before any request is made.

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// fuzzAPIServers are the API servers URLs are resolved against: an IPv4 service
// address, an IPv6 one, a --server with a path prefix, and the guessed name.
var fuzzAPIServers = []struct{ server, host, port string }{
	{host: "10.96.0.1", port: "443"},
	{host: "fd00::1", port: "6443"},
	{server: "https://127.0.0.1:6443/prefix"},
	{},
}

func FuzzResolveURL(f *testing.F) {
	for _, s := range []string{
		"/api/v1/namespaces/default/pods", "/api/v1/pods?watch=1&limit=2", "/a%2Fb", "/x#frag",
		"//evil.test/x", "///x", "/\\evil.test", "/@evil.test", "/..%2f..", "/%zz", "/?", "/;x",
		"https://example.test:8443/x?y=1", "example.test/x", "HTTP://Example.test", "https://[::1]:443/",
		"http://user:pass@127.0.0.1/", "https://127.0.0.1:0/", "https://127.0.0.1:65536/", "ftp://x/",
		"", " ", "/a b", "/\x00", "/\x7f", "http://exa mple/", "https://%31%32%37.0.0.1/", "https://host:/x",
	} {
		for i := range fuzzAPIServers {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, arg string, which uint8) {
		srv := fuzzAPIServers[int(which)%len(fuzzAPIServers)]
		api, err := discoverAPIServer(srv.server, func(k string) string {
			return map[string]string{"KUBERNETES_SERVICE_HOST": srv.host, "KUBERNETES_SERVICE_PORT": srv.port}[k]
		})
		if err != nil {
			t.Fatalf("fixed API server %+v: %v", srv, err)
		}
		u, isAPI, err := resolveURL(arg, api)
		if err != nil {
			if c := exitCodeOf(err); c != exitURLMalformed && c != exitUnsupportedProtocol {
				t.Fatalf("resolveURL(%q) failed with code %d: %v", arg, c, err)
			}
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Hostname() == "" {
			t.Fatalf("resolveURL(%q) = %q: not an http(s) URL with a host", arg, u)
		}
		// The request is made from u.String(): it must go where u says, or the trust and
		// token decisions taken on u would be about another host.
		again, err := url.Parse(u.String())
		if err != nil {
			t.Fatalf("resolveURL(%q) = %q, which does not parse again: %v", arg, u, err)
		}
		if hostPort(again) != hostPort(u) || again.Scheme != u.Scheme {
			t.Fatalf("resolveURL(%q) = %q: parses again to host %q, not %q", arg, u, hostPort(again), hostPort(u))
		}
		if strings.HasPrefix(arg, "/") {
			if !isAPI || u.Host != api.base.Host || u.Scheme != api.base.Scheme || !isAPIServer(u, api) || !isAPIServer(again, api) {
				t.Fatalf("path %q resolved to %q, not on the API server %q", arg, u, api.base)
			}
			if !strings.HasPrefix(u.Path, api.base.Path) {
				t.Fatalf("path %q resolved to %q, outside the --server prefix %q", arg, u, api.base.Path)
			}
		} else if isAPI {
			t.Fatalf("full URL %q reported as a path on the API server", arg)
		}
	})
}

func FuzzDiscoverAPIServer(f *testing.F) {
	for _, s := range [][3]string{
		{"https://10.0.0.1:6443/", "", ""}, {"127.0.0.1:6443", "", ""}, {"", "127.0.0.1", "6443"},
		{"", "fd00::1", "443"}, {"", "10.96.0.1", ""}, {"", "", ""}, {"", "127.0.0.1", "notaport"},
		{"", "https://10.0.0.1", "443"}, {"ftp://x", "", ""}, {"http://[::1]:8080/p?q#f", "", ""},
		{"", "[::1]", "443"}, {"", "a@b", "1"}, {"", "::ffff:127.0.0.1", "65535"}, {"https://", "", ""},
		{"https://h:99999", "", ""}, {"", "h", "0"}, {"", "h", "+1"}, {"", "h", "0x1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, server, host, port string) {
		env := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
		api, err := discoverAPIServer(server, func(k string) string { return env[k] })
		if err != nil {
			if c := exitCodeOf(err); c != exitURLMalformed {
				t.Fatalf("discoverAPIServer(%q, %q, %q) failed with code %d: %v", server, host, port, c, err)
			}
			return
		}
		b := api.base
		if b.Scheme != "http" && b.Scheme != "https" || b.Host == "" || b.RawQuery != "" || b.Fragment != "" {
			t.Fatalf("discoverAPIServer(%q, %q, %q) = %q: not a base URL", server, host, port, b)
		}
		again, err := url.Parse(b.String())
		if err != nil || hostPort(again) != hostPort(b) {
			t.Fatalf("discoverAPIServer(%q, %q, %q) = %q: does not parse back to the same host (%v)", server, host, port, b, err)
		}
		u, isAPI, err := resolveURL("/api", api)
		if err != nil || !isAPI || u.Host != b.Host || !isAPIServer(u, api) {
			t.Fatalf("a path on %q resolved to %v, %v, %v", b, u, isAPI, err)
		}
	})
}

// quoted is the %q part of an error message.
var quoted = regexp.MustCompile(`("(?:[^"\\]|\\.)*")`)

func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{
		"Accept: application/json", "X-Empty;", "User-Agent:", "X-A: 1\r\nX-B: 2", "X-A: 1\nX-B: 2",
		"Bad Name: x", "NoColon", ":value", "X-A:   spaced   ", "X-\x00: v", "X-A: v\x00", "X-A;junk",
		"Host: other.test", "Authorization: Bearer abc", "X-Ü: v", "X-A:\tv", "  X-A: v", "X-A : v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if strings.HasPrefix(arg, "@") {
			return // @file reads a file
		}
		hs, err := parseHeaders([]string{arg}, strings.NewReader(""))
		if strings.ContainsAny(arg, "\r\n\x00") {
			if err == nil {
				t.Fatalf("header %q with CR, LF or NUL accepted: %+v", arg, hs)
			}
		}
		if err != nil {
			if c := exitCodeOf(err); c != exitFailedInit {
				t.Fatalf("header %q refused with code %d: %v", arg, c, err)
			}
			// An error names the header, never its value, which may be a credential: what
			// it quotes is the argument's first word at most.
			firstWord := arg
			if i := strings.IndexAny(arg, ":; \t\r\n"); i >= 0 {
				firstWord = arg[:i]
			}
			if m := quoted.FindStringSubmatch(err.Error()); m != nil {
				named, uerr := strconv.Unquote(m[1])
				if uerr != nil || !strings.HasPrefix(firstWord, strings.TrimSuffix(named, "…")) {
					t.Fatalf("error for header %q quotes %q, more than its name: %v", arg, named, err)
				}
			}
			return
		}
		if len(hs) != 1 {
			t.Fatalf("header %q parsed into %d headers", arg, len(hs))
		}
		h := hs[0]
		if !validHeaderName(h.name) || strings.ContainsAny(h.value, "\r\n\x00") {
			t.Fatalf("header %q parsed into an unsendable %+v", arg, h)
		}
		if h.remove && h.value != "" {
			t.Fatalf("header %q both removes and sets: %+v", arg, h)
		}
	})
}

func FuzzBuildData(f *testing.F) {
	for _, s := range []struct {
		v    string
		kind uint8
	}{
		{"a=1", 0}, {"@-", 0}, {"@b", 1}, {"x\r\ny", 2}, {"a b", 3}, {"n=x&y", 3}, {"=é", 3},
		{"@-", 3}, {"n@-", 3}, {`{"x":`, 4}, {"", 0}, {"%", 3}, {"=", 3}, {"@", 1}, {"a=b=c", 3},
	} {
		f.Add(s.v, s.kind, "second", uint8(0), "line one\r\nline two\n")
	}
	f.Fuzz(func(t *testing.T, v1 string, k1 uint8, v2 string, k2 uint8, stdin string) {
		var pieces []dataPiece
		for i, p := range []dataPiece{{kind: dataKind(k1 % 5), value: v1}, {kind: dataKind(k2 % 5), value: v2}} {
			if readsFile(p) {
				return
			}
			p.pos = i
			pieces = append(pieces, p)
		}
		stdinUsed := 0
		for _, p := range pieces {
			if strings.Contains(p.value, "@-") {
				stdinUsed++
			}
		}
		if stdinUsed > 1 {
			return // stdin can be read once only
		}
		got, err := buildDataBytes(pieces, strings.NewReader(stdin))
		if err != nil {
			t.Fatalf("buildData(%+v) without files failed: %v", pieces, err)
		}
		// One piece on its own: each kind's rule, exactly.
		single, err := buildDataBytes(pieces[:1], strings.NewReader(stdin))
		if err != nil {
			t.Fatal(err)
		}
		p := pieces[0]
		switch {
		case p.kind == dataRaw:
			if string(single) != p.value {
				t.Fatalf("--data-raw %q sent %q", p.value, single)
			}
		case p.kind == dataASCII && p.value == "@-":
			if want := strings.NewReplacer("\r", "", "\n", "").Replace(stdin); string(single) != want {
				t.Fatalf("-d @- of %q sent %q, want %q", stdin, single, want)
			}
		case (p.kind == dataBinary || p.kind == dataJSON) && p.value == "@-":
			if string(single) != stdin {
				t.Fatalf("@- of %q sent %q", stdin, single)
			}
		case p.kind == dataURLEncode:
			name, content := "", p.value
			if i := strings.IndexAny(p.value, "=@"); i >= 0 {
				name, content = p.value[:i], p.value[i+1:]
				if p.value[i] == '@' {
					content = stdin
				}
			}
			enc := string(single)
			if name != "" {
				if !strings.HasPrefix(enc, name+"=") {
					t.Fatalf("--data-urlencode %q sent %q, without its name", p.value, enc)
				}
				enc = enc[len(name)+1:]
			}
			if dec, err := url.QueryUnescape(enc); err != nil || dec != content || strings.ContainsAny(enc, "&= \r\n") {
				t.Fatalf("--data-urlencode %q sent %q, which is not %q encoded (%v)", p.value, single, content, err)
			}
		case !strings.HasPrefix(p.value, "@"):
			if string(single) != p.value {
				t.Fatalf("data %q (kind %d) sent %q", p.value, p.kind, single)
			}
		}
		// Two pieces: joined with '&', except --json which is concatenated.
		second, _ := buildDataBytes([]dataPiece{pieces[1]}, strings.NewReader(""))
		sep := "&"
		if pieces[1].kind == dataJSON {
			sep = ""
		}
		if stdinUsed == 0 && string(got) != string(single)+sep+string(second) {
			t.Fatalf("buildData(%+v) = %q, want %q", pieces, got, string(single)+sep+string(second))
		}
	})
}

// buildDataBytes is buildData's body in one piece.
func buildDataBytes(pieces []dataPiece, stdin io.Reader) ([]byte, error) {
	d, err := buildData(pieces, stdin)
	if err != nil {
		return nil, err
	}
	return d.bytes(), nil
}

// readsFile reports whether a data piece would read a file other than stdin.
func readsFile(p dataPiece) bool {
	switch p.kind {
	case dataRaw:
		return false
	case dataURLEncode:
		i := strings.IndexAny(p.value, "=@")
		return i >= 0 && p.value[i] == '@' && p.value[i+1:] != "-"
	}
	return strings.HasPrefix(p.value, "@") && p.value != "@-"
}

func FuzzWriteOut(f *testing.F) {
	for _, s := range []string{
		"%{http_code}", "%{json}", "%{http_code", "%{nope}", "%header{content-type}", "%header{",
		"a\\nb\\tc\\\\d\\q", "%%{http_code}", "%{stderr}err%{stdout}out", "%", "\\", "%{}", "%{%{http_code}}",
		"%{url_effective} %{remote_ip}:%{remote_port} %{time_total} %{size_download}", "@-", "plain text",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, format string) {
		if strings.HasPrefix(format, "@") && format != "@-" {
			return // @file reads a file
		}
		wo, err := parseWriteOut(format, strings.NewReader("%{http_code}"))
		if err != nil {
			if c := exitCodeOf(err); c != exitFailedInit {
				t.Fatalf("-w %q refused with code %d: %v", format, c, err)
			}
			return
		}
		info := &transferInfo{
			method: "GET", urlEffective: "https://10.96.0.1:443/api", httpCode: 200, httpVersion: "2",
			remoteIP: "10.96.0.1", remotePort: "443", contentType: "application/json",
			header:       map[string][]string{"Content-Type": {"application/json"}, "X-Two": {"a", "b"}},
			sizeDownload: 10, total: time.Second, start: time.Now(),
		}
		var stdout, stderr bytes.Buffer
		o := newOutput(env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}, messages{})
		if err := wo.render(info, o); err != nil {
			t.Fatalf("-w %q: render failed: %v", format, err)
		}
		if !strings.ContainsAny(format, "%\\") && format != "@-" && stdout.String() != format {
			t.Fatalf("-w %q without variables or escapes wrote %q", format, stdout.String())
		}
		if format == "%{json}" && !json.Valid(stdout.Bytes()) {
			t.Fatalf("-w %%{json} wrote invalid JSON %q", stdout.String())
		}
	})
}

func FuzzDecodeStatus(f *testing.F) {
	for _, s := range []string{
		`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404}`,
		`{"kind":"Status"}`, `{"kind":"Pod"}`, `{`, `{"kind":"Status","code":"404"}`, `[]`, ``, `null`,
		`{"kind":"Status","message":"\u0000\ud800"}`, `{"kind":"Status","code":1e400}`, `{"kind":"Status",}`,
		`{"kind":"Status","kind":"Pod"}`, `{"kind":"Status","details":{"causes":[{"a":[[[[[]]]]]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := decodeStatus(b)
		if s == nil {
			return
		}
		if s.Kind != "Status" {
			t.Fatalf("decodeStatus(%q) = %+v, not a Status", b, s)
		}
		for _, code := range []int{0, 404, 999} {
			if line := s.summary(code); strings.ContainsAny(line, "\r\n") && !strings.ContainsAny(s.Message+s.Reason, "\r\n") {
				t.Fatalf("decodeStatus(%q).summary(%d) = %q: a line break from nowhere", b, code, line)
			}
		}
		if !utf8.ValidString(s.Message) && utf8.ValidString(string(b)) {
			t.Fatalf("decodeStatus(%q): a message that is not UTF-8: %q", b, s.Message)
		}
	})
}

func FuzzDecodeClaims(f *testing.F) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"eyJhbGciOiJSUzI1NiJ9." + enc(`{"iss":"https://kubernetes.default.svc","sub":"system:serviceaccount:default:x","aud":["https://kubernetes.default.svc"],"exp":1,"iat":0,"nbf":0,"kubernetes.io":{"namespace":"default","serviceaccount":{"name":"x","uid":"u"},"pod":{"name":"p","uid":"v"}}}`) + ".sig",
		"a." + enc(`{"aud":"one"}`) + ".c", "a." + enc(`{"aud":7}`) + ".c", "a." + enc(`{"exp":1e400}`) + ".c",
		"a." + enc(`{"kubernetes.io":null}`) + ".c", "a." + enc("null") + ".c", "a.%%%.c", "a..c", "a.b", "....", "",
		"a." + enc(`{"aud":[1,2]}`) + ".c", "a." + enc(`{"exp":-9223372036854775808}`) + ".c", "a." + enc(`{"nbf":9223372036854775807}`) + ".c",
	} {
		f.Add(s, int64(1_800_000_000))
	}
	f.Fuzz(func(t *testing.T, token string, now int64) {
		c := decodeClaims(token)
		if c != nil && strings.Count(token, ".") != 2 {
			t.Fatalf("decodeClaims(%q) decoded something that is not three parts", token)
		}
		hint := unauthorizedHint(authState{sent: true, source: "/var/run/secrets/kubernetes.io/serviceaccount/token", claims: jwtPayload(token)}, time.Unix(now, 0))
		// The hint is printed: it may say what the claims say, never the token itself.
		if len(token) > 16 && strings.Contains(hint, token) {
			t.Fatalf("the 401 hint repeats the token: %q", hint)
		}
		if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[2]) >= 8 && strings.Contains(hint, parts[2]) {
			t.Fatalf("the 401 hint repeats the token's signature: %q", hint)
		}
	})
}

func FuzzPlaceholders(f *testing.F) {
	for _, s := range []string{
		"/api/v1/namespaces/{namespace}/pods/{pod}", "{namespace}", "{pod}{pod}", "/{namespace", "/%7Bnamespace%7D",
		"/x/{Namespace}", "/{{namespace}}", "/{}", "/a", "",
	} {
		f.Add(s, "kube-system", "web-0")
		f.Add(s, "a/b?c#d", "p/../q")
		f.Add(s, "", "")
	}
	f.Fuzz(func(t *testing.T, arg, ns, pod string) {
		p := placeholders{namespaceFlag: ns, saDir: "/nonexistent-kcurl-fuzz", getenv: func(k string) string {
			if k == "POD_NAME" {
				return pod
			}
			return ""
		}}
		got, err := p.expand(arg)
		if err != nil {
			if c := exitCodeOf(err); c != exitURLMalformed {
				t.Fatalf("expand(%q) failed with code %d: %v", arg, c, err)
			}
			return
		}
		if !strings.Contains(arg, "{namespace}") && !strings.Contains(arg, "{pod}") && got != arg {
			t.Fatalf("expand(%q) changed a URL without placeholders to %q", arg, got)
		}
		// A value fills one path segment: it cannot add a segment, a query or a fragment.
		if strings.HasPrefix(arg, "/") {
			before, after := strings.Count(arg, "/"), strings.Count(got, "/")
			if after != before && !strings.Contains(ns+pod, "{namespace}") && !strings.Contains(ns+pod, "{pod}") {
				t.Fatalf("expand(%q) with namespace %q and pod %q = %q: the values added path segments", arg, ns, pod, got)
			}
			if strings.ContainsAny(got, "?#") && !strings.ContainsAny(arg, "?#") {
				t.Fatalf("expand(%q) with namespace %q and pod %q = %q: the values added a query or fragment", arg, ns, pod, got)
			}
		}
	})
}

// fuzzParse parses args as run does and builds the runner, stopping before any request.
func fuzzParse(args []string, e env) (code int, planned *runner, err error) {
	var c cli
	if code, done := parseInto(&c, "kcurl", "fuzz", args, e); done {
		return code, nil, nil
	}
	if c.Version {
		return exitOK, nil, nil
	}
	p, err := c.runner(e, newOutput(e, c.messages()))
	if err != nil {
		return exitCodeOf(err), nil, err
	}
	return exitOK, p, nil
}

func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"/api", "-sS\x00/api", "-XPOST\x00-d\x00{}\x00/api", "-H\x00X: y\x00/api", "--max-time\x00-1\x00/x",
		"--frobnicate", "/x\x00-d", "-d\x00-x\x00/x", "--help", "-V", "-fsSL\x00https://127.0.0.1/",
		"-w\x00%{http_code}\x00/x", "--resolve\x00h:1:127.0.0.1\x00http://h:1/", "--retry\x00-1\x00/x",
		"--http1.1\x00--http2\x00/x", "-o\x00/dev/null\x00/a\x00/b", "--token\x00a b\x00/x", "-G\x00-d\x00a=1\x00/x?b",
		"-T\x00/nonexistent\x00/x", "--json\x00[1]\x00/x", "-#\x00/x", "--max-redirs\x00-2\x00/x", "--\x00/x",
		"-m\x00NaN\x00/x", "-m\x001e400\x00/x", "--connect-timeout=0.5\x00/x", "ftp://x/", "\x00", "-",
	} {
		f.Add(s)
	}
	sa := f.TempDir()
	secret := secretPrefix + "fuzz"
	f.Fuzz(func(t *testing.T, joined string) {
		if strings.Contains(joined, "@") || strings.Contains(joined, secretPrefix) {
			return // @file reads files; the secret is the target's own
		}
		args := append([]string{"--token", secret}, strings.Split(joined, "\x00")...)
		var stdout, stderr bytes.Buffer
		e := env{
			getenv: func(k string) string {
				return map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1", "KCURL_SERVICE_ACCOUNT_DIR": sa}[k]
			},
			stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			hostname: func() (string, error) { return "fuzz-pod", nil },
		}
		code, p, err := fuzzParse(args, e)
		if strings.Contains(stdout.String()+stderr.String(), secretPrefix) || err != nil && strings.Contains(err.Error(), secretPrefix) {
			t.Fatalf("args %q: the token shows in the output or error:\n%s%s%v", args, stdout.String(), stderr.String(), err)
		}
		if strings.Contains(stderr.String(), "goroutine ") {
			t.Fatalf("args %q: a stack trace", args)
		}
		switch {
		case err != nil:
			switch code {
			case exitUnsupportedProtocol, exitFailedInit, exitURLMalformed, exitReadError, exitSetoptSyntax:
			default:
				t.Fatalf("args %q: building the runner failed with code %d: %v", args, code, err)
			}
		case code == exitFailedInit:
			n := strings.Count(stderr.String(), "\n")
			oneLine := n == 1 && strings.HasPrefix(stderr.String(), "kcurl: (2) ")
			curlWords := n == 2 && strings.HasPrefix(stderr.String(), "kcurl: ") && strings.HasSuffix(stderr.String(), tryMain)
			if !oneLine && !curlWords && !strings.HasPrefix(stderr.String(), "Warning: ") {
				t.Fatalf("args %q: a parse error is neither one 'kcurl: (2) ' line nor curl's two lines: %q", args, stderr.String())
			}
		case p != nil:
			for _, tr := range p.transfers {
				if tr.refusal != nil {
					if tr.url != nil {
						t.Fatalf("args %q: a refused transfer holds a URL to send to: %q", args, tr.url)
					}
					continue // failed when its turn comes, with nothing sent
				}
				if tr.url.Scheme != "http" && tr.url.Scheme != "https" || tr.url.Host == "" {
					t.Fatalf("args %q: transfer to %q", args, tr.url)
				}
			}
		}
	})
}

// TestFuzzParseIsRunsParse guards fuzzParse against drifting from run: the same
// flags in the help, the same parse errors.
func TestFuzzParseIsRunsParse(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"--frobnicate", "/x"}, {"/x", "-H"}, {"-m", "abc", "/x"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			e := env{getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
			code, _, _ := fuzzParse(args, e)
			r := kcurl(t, invocation{args: args})
			flagsOnly := func(help string) string { _, flags, _ := strings.Cut(help, "\nArguments:"); return flags }
			if args[0] == "--help" {
				flags := flagsOnly(out.String())
				out.Reset()
				out.WriteString(flags)
				r.stdout = flagsOnly(r.stdout)
			}
			if code != r.code || out.String() != r.stdout || errb.String() != r.stderr {
				t.Fatalf("fuzzParse(%q) = %d %q %q, run = %d %q %q: keep fuzzParse in step with run", args, code, out.String(), errb.String(), r.code, r.stdout, r.stderr)
			}
		})
	}
}

// FuzzParseArgs holds parseArgs to kong's own Parse, and parseInto's model of the named
// flags to kong's whole model: the same target, error, output and exit for any command
// line of any of the grammars.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"/api", "-sS\x00-XPOST\x00-d\x00{}\x00/api", "--help", "-h\x00--bogus", "--table=wide\x00/x", "--\x00-x",
		"whoami\x00--format\x00xml", "whoami\x00--format=json", "can-i\x00get\x00pods\x00p\x00q", "can-i\x00--all",
		"completion", "completion\x00tcsh", "completion\x00bash", "completion\x00--help", "-m\x00-1", "-o",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		if strings.Contains(joined, "@") {
			return // @file reads files
		}
		checkParseArgsMatchesKong(t, strings.Split(joined, "\x00"))
		checkNamedModelMatchesWhole(t, strings.Split(joined, "\x00"))
	})
}
