package main

import (
	"crypto/x509"
	"net"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestCAFileProblems(t *testing.T) {
	pki := newPKI(t)
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "ok"), serverOptions{})
	_, _, keyPEM := pki.issue(t, certOptions{names: []string{"x"}})
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"empty", "", "kcurl: (77) error setting certificate file: no root CA certificates parsed from %s\n"},
		{"not PEM", "hello, world\n", "kcurl: (77) error setting certificate file: no root CA certificates parsed from %s\n"},
		{"a key instead of a certificate", string(keyPEM), "kcurl: (77) error setting certificate file: no root CA certificates parsed from %s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			file := writeFile(t, "ca.pem", tt.content)
			r := kcurl(t, invocation{args: []string{"-sS", "--cacert", file, "/x"}, env: apiEnv(srv, t.TempDir())})
			is.Equal(r.code, 77) // curl's CA-file error
			is.Equal(r.stderr, strings.Replace(tt.want, "%s", file, 1))
		})
	}
	t.Run("missing", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, invocation{args: []string{"-sS", "--cacert", "/nonexistent/ca.pem", "/x"}, env: apiEnv(srv, t.TempDir())})
		is.Equal(r.code, 77)
		is.Equal(r.stderr, "kcurl: (77) error setting certificate file: /nonexistent/ca.pem: no such file\n")
	})
}

func TestVerification(t *testing.T) {
	pki, otherPKI := newPKI(t), newPKI(t)
	expired, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}, notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)})
	future, _, _ := pki.issue(t, certOptions{names: []string{"127.0.0.1"}, notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)})
	ok := replying(nil, 200, "text/plain", "ok")
	good := newTLSServer(t, pki, ok, serverOptions{})
	onlyName := newTLSServer(t, pki, ok, serverOptions{names: []string{"apiserver.internal"}})
	tests := []struct {
		name   string
		srv    *httptest.Server
		sa     []byte
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{name: "service-account CA verifies the API server", srv: good, sa: pki.caPEM},
		{name: "unknown CA", srv: good, sa: otherPKI.caPEM, code: 60, stderr: "kcurl: (60) SSL certificate problem: unable to get local issuer certificate\n"},
		{name: "--cacert replaces ca.crt", srv: good, sa: otherPKI.caPEM, args: []string{"--cacert", pki.caFile}},
		{name: "expired", srv: newTLSServer(t, pki, ok, serverOptions{cert: &expired}), sa: pki.caPEM, code: 60, stderr: "kcurl: (60) SSL certificate problem: certificate has expired\n"},
		{name: "not yet valid", srv: newTLSServer(t, pki, ok, serverOptions{cert: &future}), sa: pki.caPEM, code: 60, stderr: "kcurl: (60) SSL certificate problem: certificate is not yet valid\n"},
		{name: "wrong name", srv: onlyName, sa: pki.caPEM, code: 60, stderr: "kcurl: (60) SSL: no alternative certificate subject name matches target host name '127.0.0.1'\n"},
		{name: "--tls-server-name verifies another name", srv: onlyName, sa: pki.caPEM, args: []string{"--tls-server-name", "apiserver.internal"}},
		{name: "-k skips verification", srv: good, sa: otherPKI.caPEM, args: []string{"-k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			env := apiEnv(tt.srv, newSADir(t, tt.sa, ""))
			r := kcurl(t, invocation{args: append([]string{"-sS", "/x"}, tt.args...), env: env})
			is.Equal(r.code, tt.code)
			is.Equal(r.stderr, tt.stderr)
			if tt.code == 0 {
				is.Equal(r.stdout, "ok")
			}
		})
	}
}

func TestOtherHostRoots(t *testing.T) {
	pki, otherPKI := newPKI(t), newPKI(t)
	// The other host is reached by name through --resolve, so no resolver is asked.
	other := newTLSServer(t, otherPKI, replying(nil, 200, "text/plain", "other"), serverOptions{names: []string{"other.test"}})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(other.URL, "https://"))
	url := "https://other.test:" + port + "/"
	resolve := "other.test:" + port + ":127.0.0.1"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		code int
	}{
		{name: "the service-account CA is not used for other hosts", code: 60},
		{name: "CURL_CA_BUNDLE", env: map[string]string{"CURL_CA_BUNDLE": otherPKI.caFile}},
		{name: "SSL_CERT_FILE", env: map[string]string{"SSL_CERT_FILE": otherPKI.caFile}},
		{name: "CURL_CA_BUNDLE before SSL_CERT_FILE", env: map[string]string{"CURL_CA_BUNDLE": pki.caFile, "SSL_CERT_FILE": otherPKI.caFile}, code: 60},
		{name: "--cacert before both", args: []string{"--cacert", otherPKI.caFile}, env: map[string]string{"CURL_CA_BUNDLE": pki.caFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			env := map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1", "KCURL_SERVICE_ACCOUNT_DIR": newSADir(t, pki.caPEM, secretPrefix+"sa")}
			for k, v := range tt.env {
				env[k] = v
			}
			r := kcurl(t, invocation{args: append([]string{"-sS", "--resolve", resolve, url}, tt.args...), env: env})
			is.Equal(r.code, tt.code) // which roots verified the other host
		})
	}
}

func TestClientCertificate(t *testing.T) {
	pki := newPKI(t)
	pool := x509.NewCertPool()
	pool.AddCert(pki.ca)
	// TLS 1.2, so a missing certificate fails in the handshake; under 1.3 the server's
	// alert races the request and may arrive as a send or receive failure instead.
	srv := newTLSServer(t, pki, replying(nil, 200, "text/plain", "hello client"), serverOptions{clientCAs: pool, tls12: true})
	_, certPEM, keyPEM := pki.issue(t, certOptions{names: []string{"client"}, client: true})
	certFile, keyFile := writeFile(t, "client.crt", string(certPEM)), writeFile(t, "client.key", string(keyPEM))
	both := writeFile(t, "both.pem", string(certPEM)+string(keyPEM))
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "--cert and --key", args: []string{"--cert", certFile, "--key", keyFile}},
		{name: "-E with the key in the same file", args: []string{"-E", both}},
		{name: "no certificate", code: 35, stderr: "kcurl: (35) TLS connect error: remote error: tls: handshake failure\n"},
		{name: "certificate that does not load", args: []string{"--cert", keyFile, "--key", keyFile}, code: 58, stderr: "kcurl: (58) could not load PEM client certificate from " + keyFile + " and key from " + keyFile + "\n"},
		{name: "missing certificate", args: []string{"--cert", "/nonexistent.crt"}, code: 58, stderr: "kcurl: (58) could not load PEM client certificate from /nonexistent.crt: no such file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS", "/x"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.code, tt.code)
			if tt.stderr != "" {
				is.Equal(r.stderr, tt.stderr)
			}
			if tt.code == 0 {
				is.Equal(r.stdout, "hello client")
			}
		})
	}
}

func TestTrustChoice(t *testing.T) {
	pki, other := newPKI(t), newPKI(t)
	saWithCA := newSADir(t, pki.caPEM, "")
	saWithoutCA := t.TempDir()
	bundle := writeFile(t, "bundle.pem", string(other.caPEM))
	flagCA := writeFile(t, "flag.pem", string(pki.caPEM))
	tests := []struct {
		name  string
		opts  trustOptions
		saDir string
		env   map[string]string
		url   string
		api   bool
		want  string
	}{
		{name: "http has none", saDir: saWithCA, url: "http://10.0.0.1/", api: true, want: ""},
		{name: "the API server: the service account's ca.crt", saDir: saWithCA, url: "https://10.0.0.1/", api: true, want: filepath.Join(saWithCA, "ca.crt")},
		{name: "the API server: --cacert wins", opts: trustOptions{caFile: flagCA}, saDir: saWithCA, url: "https://10.0.0.1/", api: true, want: flagCA},
		{name: "the API server without ca.crt: the system roots", saDir: saWithoutCA, url: "https://10.0.0.1/", api: true, want: "the system roots"},
		{name: "another host: the system roots, not ca.crt", saDir: saWithCA, url: "https://example.test/", want: "the system roots"},
		{name: "another host: CURL_CA_BUNDLE", saDir: saWithCA, env: map[string]string{"CURL_CA_BUNDLE": bundle}, url: "https://example.test/", want: bundle},
		{name: "another host: SSL_CERT_FILE", saDir: saWithCA, env: map[string]string{"SSL_CERT_FILE": bundle}, url: "https://example.test/", want: bundle},
		{name: "another host: --cacert wins", opts: trustOptions{caFile: flagCA}, saDir: saWithCA, env: map[string]string{"CURL_CA_BUNDLE": bundle}, url: "https://example.test/", want: flagCA},
		{name: "the API server ignores CURL_CA_BUNDLE", saDir: saWithCA, env: map[string]string{"CURL_CA_BUNDLE": bundle}, url: "https://10.0.0.1/", api: true, want: filepath.Join(saWithCA, "ca.crt")},
		{name: "-k checks nothing", opts: trustOptions{insecure: true}, saDir: saWithCA, url: "https://10.0.0.1/", api: true, want: "the system roots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			s := &trustStore{opts: tt.opts, saDir: tt.saDir, getenv: func(k string) string { return tt.env[k] }}
			u, _ := url.Parse(tt.url)
			cfg, desc, err := s.configFor(u, tt.api)
			is.NoErr(err)
			is.Equal(desc, tt.want) // which roots verify the host
			if tt.url[:5] == "http:" {
				is.True(cfg == nil) // no TLS for http://
				return
			}
			is.Equal(cfg.InsecureSkipVerify, tt.opts.insecure) // -k and only -k skips verification
			is.Equal(cfg.RootCAs == nil, desc == "the system roots")
		})
	}
}
