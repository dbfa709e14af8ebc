package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/matryer/is"
)

// secretPrefix starts every token the tests use, so one check can prove that no run
// ever printed one.
const secretPrefix = "kcurltest-secret-"

// testPKI is a CA the test makes, and the files that hold it.
type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caPEM  []byte
	caFile string
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kcurl test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &testPKI{ca: ca, caKey: key, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	p.caFile = writeFile(t, "ca.crt", string(p.caPEM))
	return p
}

// certOptions shape a leaf certificate.
type certOptions struct {
	names     []string
	notBefore time.Time
	notAfter  time.Time
	client    bool
}

// issue signs a leaf for names (IP addresses or DNS names).
func (p *testPKI) issue(t testing.TB, o certOptions) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if o.notBefore.IsZero() {
		o.notBefore = time.Now().Add(-time.Hour)
	}
	if o.notAfter.IsZero() {
		o.notAfter = time.Now().Add(time.Hour)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "kcurl test leaf"},
		NotBefore:    o.notBefore,
		NotAfter:     o.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if o.client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	for _, n := range o.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return pair, certPEM, keyPEM
}

// serverOptions shape a test server.
type serverOptions struct {
	names  []string
	http1  bool
	cert   *tls.Certificate
	listen string
	tls12  bool
	// clientCAs, when set, makes the server require a client certificate.
	clientCAs *x509.CertPool
	// configure, when set, changes the server's TLS configuration last.
	configure func(*tls.Config)
}

// newTLSServer starts an httptest TLS server with a certificate from p, HTTP/2 on.
func newTLSServer(t testing.TB, p *testPKI, h http.Handler, o serverOptions) *httptest.Server {
	t.Helper()
	if o.names == nil {
		o.names = []string{"127.0.0.1", "localhost", "kubernetes.default.svc"}
	}
	srv := httptest.NewUnstartedServer(h)
	if o.listen != "" {
		l, err := net.Listen("tcp", o.listen)
		if err != nil {
			t.Skipf("cannot listen on %s: %v", o.listen, err)
		}
		srv.Listener.Close()
		srv.Listener = l
	}
	srv.EnableHTTP2 = !o.http1
	cert := o.cert
	if cert == nil {
		c, _, _ := p.issue(t, certOptions{names: o.names})
		cert = &c
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	if o.tls12 {
		srv.TLS.MaxVersion = tls.VersionTLS12
	}
	if o.clientCAs != nil {
		srv.TLS.ClientCAs = o.clientCAs
		srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if o.configure != nil {
		o.configure(srv.TLS)
	}
	// Handshake failures are what several tests provoke; they are not news.
	srv.Config.ErrorLog = discardLog
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// recorded is what a test server saw of one request.
type recorded struct {
	method string
	uri    string
	proto  string
	host   string
	header http.Header
	body   string
}

// recorder keeps every request a server gets.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) add(req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, recorded{method: req.Method, uri: req.RequestURI, proto: req.Proto, host: req.Host, header: req.Header.Clone(), body: string(b)})
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	all := r.all()
	if len(all) == 0 {
		t.Fatal("the server got no request")
	}
	return all[len(all)-1]
}

// replying records each request and answers with status and body, no Date header so
// output is byte-exact.
func replying(rec *recorder, status int, contentType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec != nil {
			rec.add(r)
		}
		w.Header()["Date"] = nil
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newSADir writes a service-account directory with ca.crt, namespace and, if given, token.
func newSADir(t testing.TB, caPEM []byte, token string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"ca.crt": string(caPEM), "namespace": "kcurl-test"}
	if token != "" {
		files["token"] = token + "\n"
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// result is what one kcurl run did.
type result struct {
	code   int
	stdout string
	stderr string
}

// invocation is a kcurl run: its arguments and its world.
type invocation struct {
	args   []string
	env    map[string]string
	stdin  string
	stdout io.Writer
	// sleep, when set, replaces the retry wait (it gets the duration asked for).
	sleep func(time.Duration)
	// terminal pretends stdout is a terminal.
	terminal bool
	// procDir is the /proc kcurl searches for other processes' tokens; empty means an
	// empty directory, so no test finds a token of this machine's.
	procDir string
	// stdinReader, when set, is stdin instead of stdin's text (for inputs too large to hold).
	stdinReader io.Reader
}

// kcurl runs kcurl in-process and fails the test if a test token shows in its output.
func kcurl(t *testing.T, inv invocation) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	dns := closedPort(t)
	e := env{
		getenv:           func(k string) string { return inv.env[k] },
		stdin:            strings.NewReader(inv.stdin),
		stdout:           &stdout,
		stderr:           &stderr,
		stdoutIsTerminal: inv.terminal,
		dialDNS: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, dns)
		},
		sleep: func(ctx context.Context, d time.Duration) error {
			if inv.sleep != nil {
				inv.sleep(d)
			}
			return ctx.Err()
		},
	}
	if inv.stdout != nil {
		e.stdout = inv.stdout
	}
	if inv.stdinReader != nil {
		e.stdin = inv.stdinReader
	}
	e.procDir = inv.procDir
	if e.procDir == "" {
		e.procDir = t.TempDir()
	}
	code := run(inv.args, e)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	assertNoToken(t, r.stdout+r.stderr)
	return r
}

// assertNoToken is the suite-wide check that no test token was ever printed.
func assertNoToken(t *testing.T, output string) {
	t.Helper()
	if strings.Contains(output, secretPrefix) {
		t.Errorf("a token leaked into the output:\n%s", output)
	}
}

// apiEnv is the pod's environment for a server at srv and a service-account dir.
func apiEnv(srv *httptest.Server, saDir string) map[string]string {
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "https://"))
	return map[string]string{
		"KUBERNETES_SERVICE_HOST":   host,
		"KUBERNETES_SERVICE_PORT":   port,
		"KCURL_SERVICE_ACCOUNT_DIR": saDir,
	}
}

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-V"} {
		t.Run(flag, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{flag}})
			is.Equal(r.code, 0)
			is.True(strings.HasPrefix(r.stdout, "kcurl ")) // names the program
			is.True(strings.Contains(r.stdout, "go1."))    // names the Go version
			// go test may link with cgo; the built binary's "static" is checked in static_test.go.
			is.True(strings.HasSuffix(r.stdout, ", static)\n") || strings.HasSuffix(r.stdout, ", dynamic (cgo))\n")) // says how it is linked
			is.Equal(r.stderr, "")
		})
	}
}

// tryMain is curl's second line after a bad command line, in kcurl's name.
const tryMain = "kcurl: try 'kcurl --help' or 'kcurl --manual' for more information\n"

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown long option", []string{"--frobnicate", "/x"}, "kcurl: option --frobnicate: is unknown\n" + tryMain},
		{"missing value", []string{"/x", "-d"}, "kcurl: option --data: requires parameter\n" + tryMain},
		{"missing header value", []string{"/x", "-H"}, "kcurl: option --header: requires parameter\n" + tryMain},
		{"max-time negative", []string{"--max-time", "-1", "/x"}, "kcurl: option --max-time: expected a proper numerical parameter\n" + tryMain},
		{"max-time not a number", []string{"--max-time", "abc", "/x"}, "kcurl: option --max-time: expected a proper numerical parameter\n" + tryMain},
		{"no URL", []string{"-s"}, "kcurl: no URL specified!\n" + tryMain},
		{"header without colon", []string{"-H", "X-Thing", "/x"}, "kcurl: (2) header \"X-Thing\" has no colon\n"},
		{"header injection", []string{"-H", "X-A: 1\r\nX-B: 2", "/x"}, "kcurl: (2) header \"X-A\" holds a CR, LF or NUL: refused\n"},
		{"-I and -d", []string{"-I", "-d", "x", "/x"}, "Warning: You can only select one HTTP request method! You asked for both POST \nWarning: (-d, --data) and HEAD (-I, --head).\n"},
		{"-d and -T", []string{"-d", "x", "-T", "/etc/hostname", "/x"}, "Warning: You can only select one HTTP request method! You asked for both PUT \nWarning: (-T, --upload-file) and POST (-d, --data).\n"},
		{"bad resolve", []string{"--resolve", "nonsense", "/x"}, "kcurl: (2) option --resolve: \"nonsense\" is not HOST:PORT:ADDR\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: tt.args, env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"}})
			is.Equal(r.code, 2)           // curl's code for a bad command line
			is.Equal(r.stderr, tt.stderr) // curl's words
			is.Equal(r.stdout, "")        // nothing half-written
		})
	}
}

func TestHelpHasGroups(t *testing.T) {
	is := is.New(t)
	r := kcurl(t, invocation{args: []string{"--help"}})
	is.Equal(r.code, 0)
	// Each flag with its placeholder and help, in its group's section (flagDocs puts them there).
	sections := map[string]string{}
	title := ""
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " ") {
			title = line
		}
		sections[title] += line + "\n"
	}
	for group, want := range map[string]string{
		"Request:":    "  -X, --request=METHOD             Request method to use.\n",
		"Output:":     "  -w, --write-out=FORMAT           Write out FORMAT after each transfer\n",
		"TLS:":        "      --cacert=FILE             CA certificates to verify the server with\n",
		"Kubernetes:": "  --service-account-dir=DIR    Service-account directory (default\n",
	} {
		is.True(strings.Contains(sections[group], want)) // the flag, its placeholder and help in its group
	}
}

// errWriter fails every write, as a closed pipe does.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// epipeWriter fails as a pipe whose reader has gone does.
type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

func TestHelpIntoAClosedPipe(t *testing.T) {
	is := is.New(t)
	r := kcurl(t, invocation{args: []string{"--help"}, stdout: epipeWriter{}})
	is.Equal(r.code, 23)                                                      // curl's write error, not a bad option
	is.Equal(r.stderr, "kcurl: (23) Failure writing output to destination\n") // one line
}

// grammar is one of kcurl's command lines, with a fresh target each time.
type grammar struct {
	name   string
	target func() any
}

var grammars = []grammar{
	{"kcurl", func() any { return &cli{} }},
	{"kcurl whoami", func() any { return &whoamiCmd{} }},
	{"kcurl can-i", func() any { return &canICmd{} }},
	{"kcurl wait", func() any { return &waitCmd{} }},
	{"kcurl completion", func() any { return &completionCmd{} }},
}

// grammarFor picks the grammar the way run does: by a leading subcommand word.
func grammarFor(args []string) (grammar, []string) {
	if len(args) > 0 {
		for _, g := range grammars[1:] {
			if g.name == "kcurl "+args[0] {
				return g, args[1:]
			}
		}
	}
	return grammars[0], args
}

// parsed is what one parse left behind: the target, the error, what was written, and
// whether it asked to exit (after --help).
type parsed struct {
	target any
	err    string
	out    string
	exited bool
}

func parseWith(g grammar, args []string, parse func(*kong.Kong, []string) error) parsed {
	r := parsed{target: g.target()}
	var out bytes.Buffer
	parser, _, ok := newParser(r.target, g.name, "description", env{stdout: &out, stderr: &out})
	if !ok {
		panic("newParser failed for " + g.name)
	}
	func() {
		defer func() {
			if rec := recover(); rec != nil {
				if _, ok := rec.(kongExit); !ok {
					panic(rec)
				}
				r.exited = true
			}
		}()
		if err := parse(parser, args); err != nil {
			r.err = err.Error()
		}
	}()
	r.out = out.String()
	return r
}

// checkParseArgsMatchesKong parses args with kong's own Parse and with parseArgs and
// fails unless both leave the same target, error, output and exit.
func checkParseArgsMatchesKong(t *testing.T, args []string) {
	t.Helper()
	g, rest := grammarFor(args)
	want := parseWith(g, rest, func(k *kong.Kong, a []string) error { _, err := k.Parse(a); return err })
	got := parseWith(g, rest, parseArgs)
	if want.err != got.err || want.out != got.out || want.exited != got.exited || !reflect.DeepEqual(want.target, got.target) {
		t.Fatalf("%s %q:\nkong.Parse: err %q exited %v target %+v\n%s\nparseArgs:  err %q exited %v target %+v\n%s",
			g.name, rest, want.err, want.exited, want.target, want.out, got.err, got.exited, got.target, got.out)
	}
}

func TestParseArgsMatchesKong(t *testing.T) {
	for _, args := range [][]string{
		{"/api"}, {"-sS", "-X", "POST", "-d", "{}", "/api", "/b"}, {"--help"}, {"-h"}, {"-V"}, {"--frobnicate"},
		{"/x", "-d"}, {"--max-time", "-1", "/x"}, {"-H", "A: b", "-H", "C: d", "-o", "/dev/null", "/x"},
		{"--table=wide", "/x"}, {"--table", "/x"}, {"--", "-x"}, {"-#", "--json", "[1]", "/x"}, {"--help", "--frobnicate"},
		{"whoami"}, {"whoami", "--format", "json"}, {"whoami", "--format", "xml"}, {"whoami", "--help"}, {"whoami", "extra"},
		{"can-i"}, {"can-i", "get", "pods"}, {"can-i", "get", "pods", "p1", "--subresource", "log"}, {"can-i", "--all"},
		{"can-i", "a", "b", "c", "d"}, {"can-i", "-h"},
		{"wait"}, {"wait", "/api/v1/pods"}, {"wait", "--for=delete", "--timeout", "-1s", "/x"}, {"wait", "--for", "jsonpath={.a}=b", "/x", "/y"}, {"wait", "--help"},
		{"completion"}, {"completion", "bash"}, {"completion", "tcsh"}, {"completion", "zsh", "fish"}, {"completion", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) { checkParseArgsMatchesKong(t, args) })
	}
}

func TestGrammarsNeedOnlyWhatParseArgsChecks(t *testing.T) {
	hooks := []string{"BeforeReset", "BeforeResolve", "BeforeApply", "AfterApply", "Validate"}
	for _, g := range grammars {
		t.Run(g.name, func(t *testing.T) {
			is := is.New(t)
			target := g.target()
			parser, _, ok := newParser(target, g.name, "", env{stdout: io.Discard, stderr: io.Discard})
			is.True(ok)
			node := parser.Model.Node
			is.Equal(len(node.Children), 0) // no kong commands: run picks the subcommand itself
			types := []reflect.Type{reflect.TypeOf(target)}
			for _, f := range node.Flags {
				if f.Name == "help" {
					continue // kong's own; parseArgs handles it
				}
				is.True(!f.Required)                       // parseArgs does not check required flags
				is.Equal(len(f.Tag.Envs), 0)               // nor env vars
				is.Equal(len(f.Tag.Xor)+len(f.Tag.And), 0) // nor flag groups
				types = append(types, f.Target.Type())
			}
			for _, v := range node.Positional {
				is.Equal(len(v.Tag.Envs), 0) // nor env vars
				types = append(types, v.Target.Type())
			}
			for _, typ := range types {
				for _, tt := range []reflect.Type{typ, reflect.PointerTo(typ)} {
					for _, h := range hooks {
						_, has := tt.MethodByName(h)
						if has {
							t.Errorf("%s has a %s method: kong would call it, parseArgs does not", tt, h)
						}
					}
				}
			}
		})
	}
}

func TestEveryFlagHasHelp(t *testing.T) {
	is := is.New(t)
	used := map[string]bool{}
	for _, g := range grammars {
		parser, _, ok := newParser(g.target(), g.name, "", env{stdout: io.Discard, stderr: io.Discard})
		is.True(ok)
		node := parser.Model.Node
		values := append([]*kong.Value{}, node.Positional...)
		for _, f := range node.Flags {
			values = append(values, f.Value)
		}
		for _, v := range values {
			if v.Help == "" {
				t.Errorf("%s: %s has no help text", g.name, v.Name)
			}
			used[v.Name] = true
		}
	}
	for name := range flagDocs() {
		if !used[name] {
			t.Errorf("flagDocs has %q, which no grammar has", name)
		}
	}
}

func TestChooseMode(t *testing.T) {
	tests := []struct {
		name  string
		flags modeFlags
		want  runMode
		err   string
	}{
		{name: "plain", want: modeTransfer},
		{name: "-i", flags: modeFlags{include: true}, want: modeTransfer},
		{name: "--table", flags: modeFlags{table: true}, want: modeTransfer},
		{name: "--watch", flags: modeFlags{watch: true}, want: modeWatch},
		{name: "--watch-reconnect", flags: modeFlags{watchReconnect: true}, want: modeWatchReconnect},
		{name: "--watch --watch-reconnect", flags: modeFlags{watch: true, watchReconnect: true}, want: modeWatchReconnect},
		{name: "--watch -i", flags: modeFlags{watch: true, include: true}, want: modeWatch},
		{name: "--all-pages", flags: modeFlags{allPages: true}, want: modeAllPages},
		{name: "--all-pages --watch", flags: modeFlags{allPages: true, watch: true}, err: "--all-pages and --watch cannot be used together"},
		{name: "--all-pages --watch-reconnect", flags: modeFlags{allPages: true, watchReconnect: true}, err: "--all-pages and --watch-reconnect cannot be used together"},
		{name: "--all-pages --table", flags: modeFlags{allPages: true, table: true}, err: "--all-pages and --table cannot be used together"},
		{name: "--all-pages -i", flags: modeFlags{allPages: true, include: true}, err: "--all-pages and --include cannot be used together"},
		{name: "--all-pages -I", flags: modeFlags{allPages: true, head: true}, err: "--all-pages and --head cannot be used together"},
		{name: "--table --watch", flags: modeFlags{table: true, watch: true}, err: "--table and --watch cannot be used together"},
		{name: "--table --watch-reconnect", flags: modeFlags{table: true, watchReconnect: true}, err: "--table and --watch-reconnect cannot be used together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			mode, err := chooseMode(tt.flags)
			if tt.err != "" {
				is.Equal(exitCodeOf(err), exitFailedInit) // conflicting flags are a bad command line
				is.Equal(err.Error(), tt.err)             // naming both flags
				return
			}
			is.NoErr(err)
			is.Equal(mode, tt.want) // the run mode
		})
	}
}

// TestModeConflictsSendNothing runs the conflicting command lines the issue named: each is
// one line and exit 2, before any request.
func TestModeConflictsSendNothing(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "application/json", `{"kind":"List","items":[]}`), serverOptions{})
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "pages of a watch", args: []string{"--all-pages", "--watch", "/api/v1/pods"}, stderr: "kcurl: (2) --all-pages and --watch cannot be used together\n"},
		{name: "pages of a table", args: []string{"--all-pages", "--table", "/api/v1/pods"}, stderr: "kcurl: (2) --all-pages and --table cannot be used together\n"},
		{name: "pages with -i", args: []string{"-i", "--all-pages", "/api/v1/pods"}, stderr: "kcurl: (2) --all-pages and --include cannot be used together\n"},
		{name: "pages with -I", args: []string{"-I", "--all-pages", "/api/v1/pods"}, stderr: "kcurl: (2) --all-pages and --head cannot be used together\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"mode"))})
			is.Equal(r.code, exitFailedInit) // refused up front
			is.Equal(r.stderr, tt.stderr)    // one line naming both flags
			is.Equal(r.stdout, "")
			is.Equal(len(rec.all()), 0) // nothing was sent
		})
	}
}

func TestWhoamiHelpHasNoWatch(t *testing.T) {
	is := is.New(t)
	r := kcurl(t, invocation{args: []string{"whoami", "--help"}})
	is.Equal(r.code, 0)
	is.True(strings.Contains(r.stdout, "--format")) // whoami's own flags are there
	is.True(!strings.Contains(r.stdout, "--watch")) // and no flag that does nothing there
	is.True(!strings.Contains(r.stdout, "--table"))
}
