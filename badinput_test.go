package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestBadInput gives kcurl one bad thing at a time: an argument, a variable or a file.
// Each fails with its curl code and one exact line, prints nothing on stdout, shows no
// stack trace, and sends nothing to the API server, which records every request.
func TestBadInput(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	sa := newSADir(t, pki.caPEM, secretPrefix+"sa")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	_, _, keyPEM := pki.issue(t, certOptions{names: []string{"x"}})
	emptyCA := writeFile(t, "empty.pem", "")
	notPEM := writeFile(t, "notpem.pem", "hello, world\n")
	keyCA := writeFile(t, "key.pem", string(keyPEM))
	emptyToken := writeFile(t, "empty-token", "\n")
	garbage := writeFile(t, "garbage", strings.Repeat("\x00\xff", 5<<20))
	unreadable := writeFile(t, "unreadable", secretPrefix+"x")
	os.Chmod(unreadable, 0)
	saBadCA := newSADir(t, []byte("not a certificate\n"), secretPrefix+"sa")
	saEmptyToken := t.TempDir()
	os.WriteFile(filepath.Join(saEmptyToken, "ca.crt"), pki.caPEM, 0o600)
	os.WriteFile(filepath.Join(saEmptyToken, "token"), nil, 0o600)
	noSA := filepath.Join(dir, "no-such-serviceaccount")
	saHugeNamespace := newSADir(t, pki.caPEM, secretPrefix+"sa")
	os.Remove(filepath.Join(saHugeNamespace, "namespace"))
	os.Link(sparseFile(t, "namespace", 100<<20), filepath.Join(saHugeNamespace, "namespace"))
	tests := []struct {
		name string
		args []string
		// env is laid over the pod's environment; an empty value unsets.
		env    map[string]string
		code   int
		stderr string
		// root says the row means nothing as root, who reads any file.
		root bool
	}{
		{name: "can-i without a verb", args: []string{"can-i", "-sS"}, code: 2, stderr: "kcurl: (2) can-i needs VERB and RESOURCE, or --all; try 'kcurl can-i --help'"},
		{name: "can-i with an unknown option", args: []string{"can-i", "--frobnicate", "get", "pods"}, code: 2, stderr: "kcurl: option --frobnicate: is unknown\nkcurl: try 'kcurl can-i --help' for more information"},
		{name: "whoami with an unknown format", args: []string{"whoami", "--format", "xml"}, code: 2, stderr: "kcurl: option --format: must be one of \"text\",\"json\" but got \"xml\"\nkcurl: try 'kcurl whoami --help' for more information"},
		{name: "whoami with an extra argument", args: []string{"whoami", "/api"}, code: 2, stderr: "kcurl: unexpected argument /api\nkcurl: try 'kcurl whoami --help' for more information"},
		{name: "completion for an unknown shell", args: []string{"completion", "tcsh"}, code: 2, stderr: "kcurl: <shell> must be one of \"bash\",\"zsh\",\"fish\" but got \"tcsh\"\nkcurl: try 'kcurl completion --help' for more information"},
		{name: "completion without a shell", args: []string{"completion"}, code: 2, stderr: "kcurl: expected \"<shell>\"\nkcurl: try 'kcurl completion --help' for more information"},
		{name: "unknown long option", args: []string{"--frobnicate", "/x"}, code: 2, stderr: "kcurl: option --frobnicate: is unknown\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "unknown short option", args: []string{"-Q", "/x"}, code: 2, stderr: "kcurl: option -Q: is unknown\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "option missing its value", args: []string{"/x", "-H"}, code: 2, stderr: "kcurl: option --header: requires parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "-o missing its value", args: []string{"/x", "-o"}, code: 2, stderr: "kcurl: option --output: requires parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "no URL", args: []string{"-v"}, code: 2, stderr: "kcurl: no URL specified!\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "malformed URL", args: []string{"https://[::1/x"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with a bad port", args: []string{"https://127.0.0.1:99999/"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "empty URL", args: []string{""}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with a space", args: []string{"/api/v1/name spaces"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with a tab", args: []string{"/api\t/v1"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with CR LF", args: []string{"/api\r\nX-Injected: 1"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with a NUL", args: []string{"/api\x00"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "URL with DEL", args: []string{"/api\x7f"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "a path that names another host", args: []string{"//127.0.0.2/x"}, code: 3, stderr: "kcurl: (3) URL using bad/illegal format or missing URL"},
		{name: "unsupported scheme", args: []string{"file:///etc/passwd"}, code: 1, stderr: "kcurl: (1) Protocol \"file\" not supported"},
		{name: "header without a colon", args: []string{"-H", "X-Thing", "/x"}, code: 2, stderr: "kcurl: (2) header \"X-Thing\" has no colon"},
		{name: "header with CR LF", args: []string{"-H", "X-A: 1\r\nX-B: 2", "/x"}, code: 2, stderr: "kcurl: (2) header \"X-A\" holds a CR, LF or NUL: refused"},
		{name: "header with LF only", args: []string{"-H", "X-A: 1\nHost: evil", "/x"}, code: 2, stderr: "kcurl: (2) header \"X-A\" holds a CR, LF or NUL: refused"},
		{name: "header with a NUL", args: []string{"-H", "X-A: 1\x00", "/x"}, code: 2, stderr: "kcurl: (2) header \"X-A\" holds a CR, LF or NUL: refused"},
		{name: "header name that is not a token", args: []string{"-H", "X(A): 1", "/x"}, code: 2, stderr: "kcurl: (2) header name \"X(A)\" is not a valid HTTP token"},
		{name: "-H @missing", args: []string{"-H", "@" + missing, "/x"}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + missing + ": no such file"},
		{name: "-d @missing", args: []string{"-d", "@" + missing, "/x"}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + missing + ": no such file"},
		{name: "--data-binary @directory", args: []string{"--data-binary", "@" + dir, "/x"}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + dir + ": is a directory"},
		{name: "-T missing", args: []string{"-T", missing, "/x"}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + missing},
		{name: "--max-time -1", args: []string{"--max-time", "-1", "/x"}, code: 2, stderr: "kcurl: option --max-time: expected a proper numerical parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "--max-time abc", args: []string{"--max-time", "abc", "/x"}, code: 2, stderr: "kcurl: option --max-time: expected a proper numerical parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "--max-time NaN", args: []string{"-m", "NaN", "/x"}, code: 2, stderr: "kcurl: option --max-time: expected a proper numerical parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "--connect-timeout inf", args: []string{"--connect-timeout", "inf", "/x"}, code: 2, stderr: "kcurl: option --connect-timeout: expected a proper numerical parameter\nkcurl: try 'kcurl --help' or 'kcurl --manual' for more information"},
		{name: "--retry -1", args: []string{"--retry", "-1", "/x"}, code: 2, stderr: "kcurl: (2) option --retry/--max-redirs: expected a proper numerical parameter"},
		{name: "-w @missing", args: []string{"-w", "@" + missing, "/x"}, code: 26, stderr: "kcurl: (26) Failed to open/read local data from file " + missing + ": no such file"},
		{name: "--resolve without an address", args: []string{"--resolve", "h:443", "/x"}, code: 2, stderr: "kcurl: (2) option --resolve: \"h:443\" is not HOST:PORT:ADDR"},
		{name: "--resolve to a name", args: []string{"--resolve", "h:443:other.test", "/x"}, code: 2, stderr: "kcurl: (2) option --resolve: \"h:443:other.test\": other.test is not an IP address"},
		{name: "CA file missing", args: []string{"--cacert", missing, "/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: " + missing + ": no such file"},
		{name: "CA file empty", args: []string{"--cacert", emptyCA, "/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: no root CA certificates parsed from " + emptyCA},
		{name: "CA file not PEM", args: []string{"--cacert", notPEM, "/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: no root CA certificates parsed from " + notPEM},
		{name: "CA file holding a key", args: []string{"--cacert", keyCA, "/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: no root CA certificates parsed from " + keyCA},
		{name: "CA file a directory", args: []string{"--cacert", dir, "/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: " + dir + ": is a directory"},
		{name: "service-account ca.crt not PEM", env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": saBadCA}, args: []string{"/x"}, code: 77, stderr: "kcurl: (77) error setting certificate file: no root CA certificates parsed from " + filepath.Join(saBadCA, "ca.crt")},
		{name: "token file missing", args: []string{"--token-file", missing, "/x"}, code: 26, stderr: "kcurl: (26) cannot read token file " + missing + ": no such file"},
		{name: "token file empty", args: []string{"--token-file", emptyToken, "/x"}, code: 26, stderr: "kcurl: (26) token " + emptyToken + " is empty"},
		{name: "token file unreadable", args: []string{"--token-file", unreadable, "/x"}, code: 26, stderr: "kcurl: (26) cannot read token file " + unreadable + ": permission denied", root: true},
		{name: "token file a directory", args: []string{"--token-file", dir, "/x"}, code: 26, stderr: "kcurl: (26) cannot read token file " + dir + ": is a directory"},
		{name: "token file of 10 MB garbage", args: []string{"--token-file", garbage, "/x"}, code: 26, stderr: "kcurl: (26) cannot read token file " + garbage + ": larger than the limit"},
		{name: "service-account token empty", env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": saEmptyToken}, args: []string{"/x"}, code: 26, stderr: "kcurl: (26) token " + filepath.Join(saEmptyToken, "token") + " is empty"},
		{name: "KUBERNETES_SERVICE_PORT=notaport", env: map[string]string{"KUBERNETES_SERVICE_PORT": "notaport"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_PORT \"notaport\" is not a port number"},
		{name: "KUBERNETES_SERVICE_PORT=+443", env: map[string]string{"KUBERNETES_SERVICE_PORT": "+443"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_PORT \"+443\" is not a port number"},
		{name: "KUBERNETES_SERVICE_HOST with a #", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1#"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_HOST \"10.96.0.1#\" is not a host name or address"},
		{name: "KUBERNETES_SERVICE_HOST with a ?", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1?x"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_HOST \"10.96.0.1?x\" is not a host name or address"},
		{name: "KUBERNETES_SERVICE_HOST with a colon, not IPv6", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1:443"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_HOST \"10.96.0.1:443\" is not a host name or address"},
		{name: "KUBERNETES_SERVICE_HOST with a control character", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1\x01"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_HOST \"10.96.0.1\\x01\" is not a host name or address"},
		{name: "KUBERNETES_SERVICE_HOST with a scheme", env: map[string]string{"KUBERNETES_SERVICE_HOST": "https://127.0.0.1"}, args: []string{"/x"}, code: 3, stderr: "kcurl: (3) KUBERNETES_SERVICE_HOST \"https://127.0.0.1\" is not a host name or address"},
		{name: "{namespace} from a namespace file of 100 MB", env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": saHugeNamespace}, args: []string{"/api/v1/namespaces/{namespace}/pods"}, code: 3, stderr: "kcurl: (3) {namespace} needs --namespace or a namespace file (" + filepath.Join(saHugeNamespace, "namespace") + ": larger than the limit)"},
		{name: "{namespace} without a namespace file", env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": noSA}, args: []string{"/api/v1/namespaces/{namespace}/pods"}, code: 3, stderr: "kcurl: (3) {namespace} needs --namespace or a namespace file (" + filepath.Join(noSA, "namespace") + ": no such file)"},
		{name: "--server with another scheme", args: []string{"--server", "ftp://127.0.0.1", "/x"}, code: 3, stderr: "kcurl: (3) --server \"ftp://127.0.0.1\" is not an http(s) URL"},
		// Without a service-account directory there is no token to send and no cluster CA:
		// the API server is checked against the other roots (here CURL_CA_BUNDLE, another
		// CA), so the handshake fails and no request is made, tokenless or not.
		{name: "service-account directory that does not exist", env: map[string]string{"KCURL_SERVICE_ACCOUNT_DIR": noSA, "CURL_CA_BUNDLE": newPKI(t).caFile}, args: []string{"/x"}, code: 60, stderr: "kcurl: (60) SSL certificate problem: unable to get local issuer certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			if tt.root && os.Geteuid() == 0 {
				t.Skip("root reads any file")
			}
			rec.reqs = nil
			env := apiEnv(srv, sa)
			for k, v := range tt.env {
				env[k] = v
			}
			// -sS: errors only, as a script would run it; bad input must still be reported.
			args := append([]string{"-sS"}, tt.args...)
			if !strings.HasPrefix(tt.args[0], "-") && !strings.HasPrefix(tt.args[0], "/") && tt.args[0] != "" && !strings.Contains(tt.args[0], ":") {
				args = tt.args // a subcommand comes first
			}
			r := kcurl(t, invocation{args: args, env: env})
			is.Equal(r.code, tt.code)                                                                   // curl's code
			is.Equal(r.stderr, tt.stderr+"\n")                                                          // the exact lines
			is.Equal(r.stdout, "")                                                                      // nothing half-written
			is.True(!strings.Contains(r.stderr, "goroutine ") && !strings.Contains(r.stderr, "panic:")) // no stack trace
			is.Equal(len(rec.all()), 0)                                                                 // and nothing was sent
		})
	}
}

// TestNoServiceAccountDirectory is the other half of the missing directory: with a CA
// that does verify the server, the request goes out without any token, and -v says why.
func TestNoServiceAccountDirectory(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	rec := &recorder{}
	srv := newTLSServer(t, pki, replying(rec, 200, "text/plain", "ok"), serverOptions{})
	noSA := filepath.Join(t.TempDir(), "none")
	r := kcurl(t, invocation{args: []string{"-sv", "--cacert", pki.caFile, "/x"}, env: apiEnv(srv, noSA)})
	is.Equal(r.code, 0)
	is.Equal(r.stdout, "ok")
	is.Equal(rec.last(t).header.Get("Authorization"), "")                                                     // no token
	is.True(strings.Contains(r.stderr, "* no token sent: "+filepath.Join(noSA, "token")+" does not exist\n")) // and why
}
