package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestDiscoverAPIServer(t *testing.T) {
	tests := []struct {
		name   string
		server string
		env    map[string]string
		want   string
		code   int
	}{
		{name: "server flag wins", server: "https://10.0.0.1:6443/", env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, want: "https://10.0.0.1:6443"},
		{name: "server flag without scheme", server: "127.0.0.1:6443", want: "https://127.0.0.1:6443"},
		{name: "service env", env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "6443"}, want: "https://127.0.0.1:6443"},
		{name: "service env IPv6", env: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}, want: "https://[fd00::1]:443"},
		{name: "service env without port", env: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, want: "https://10.96.0.1:443"},
		{name: "nothing set", want: "https://kubernetes.default.svc"},
		{name: "port not a number", env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "notaport"}, code: exitURLMalformed},
		{name: "port out of range", env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "70000"}, code: exitURLMalformed},
		{name: "host with a scheme", env: map[string]string{"KUBERNETES_SERVICE_HOST": "https://10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, code: exitURLMalformed},
		{name: "server flag ftp", server: "ftp://x", code: exitURLMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			api, err := discoverAPIServer(tt.server, func(k string) string { return tt.env[k] })
			if tt.code != 0 {
				is.Equal(exitCodeOf(err), tt.code) // exit code of the failure
				return
			}
			is.NoErr(err)
			is.Equal(api.base.String(), tt.want)
		})
	}
}

func TestResolveURL(t *testing.T) {
	api, err := discoverAPIServer("", func(k string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		arg   string
		want  string
		isAPI bool
		code  int
	}{
		{name: "path", arg: "/api/v1/namespaces/default/pods", want: "https://[fd00::1]:6443/api/v1/namespaces/default/pods", isAPI: true},
		{name: "path with query", arg: "/api/v1/pods?watch=1&limit=2", want: "https://[fd00::1]:6443/api/v1/pods?watch=1&limit=2", isAPI: true},
		{name: "escaped path kept", arg: "/api/v1/namespaces/a%2Fb", want: "https://[fd00::1]:6443/api/v1/namespaces/a%2Fb", isAPI: true},
		{name: "full https URL", arg: "https://example.test:8443/x?y=1", want: "https://example.test:8443/x?y=1"},
		{name: "no scheme is http, as curl", arg: "example.test/x", want: "http://example.test/x"},
		{name: "host only gets a slash", arg: "https://example.test", want: "https://example.test/"},
		{name: "fragment dropped", arg: "https://example.test/a#frag", want: "https://example.test/a"},
		{name: "empty", arg: "", code: exitURLMalformed},
		{name: "space", arg: "/api/v1/a b", code: exitURLMalformed},
		{name: "control character", arg: "/api/\x01", code: exitURLMalformed},
		{name: "space in host", arg: "http://exa mple/", code: exitURLMalformed},
		{name: "bad port", arg: "https://example.test:99999/", code: exitURLMalformed},
		{name: "no host", arg: "https:///x", code: exitURLMalformed},
		{name: "other scheme", arg: "ftp://example.test/", code: exitUnsupportedProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			u, isAPI, err := resolveURL(tt.arg, api)
			if tt.code != 0 {
				is.Equal(exitCodeOf(err), tt.code) // exit code of the failure
				return
			}
			is.NoErr(err)
			is.Equal(u.String(), tt.want)
			is.Equal(isAPI, tt.isAPI)
		})
	}
}

func TestNotInPod(t *testing.T) {
	is := is.New(t)
	r := kcurl(t, invocation{args: []string{"-sS", "/api/v1/namespaces/default/pods"}})
	is.Equal(r.code, 6) // curl's could-not-resolve code
	is.Equal(r.stderr, "kcurl: (6) Could not resolve host: kubernetes.default.svc (not in a pod? set --server or KUBERNETES_SERVICE_HOST)\n")
	is.Equal(r.stdout, "")
}

func TestResolveFailureOtherHostHasNoHint(t *testing.T) {
	is := is.New(t)
	r := kcurl(t, invocation{args: []string{"-sS", "https://nowhere.invalid/"}, env: map[string]string{"KUBERNETES_SERVICE_HOST": "127.0.0.1"}})
	is.Equal(r.code, 6)
	is.Equal(r.stderr, "kcurl: (6) Could not resolve host: nowhere.invalid\n") // the pod hint is only for the guessed name
}

func TestPlaceholders(t *testing.T) {
	sa := newSADir(t, nil, "")
	tests := []struct {
		name   string
		flag   string
		saDir  string
		env    map[string]string
		host   string
		arg    string
		want   string
		stderr string
	}{
		{name: "namespace from the service account", saDir: sa, arg: "/api/v1/namespaces/{namespace}/configmaps", want: "/api/v1/namespaces/kcurl-test/configmaps"},
		{name: "--namespace wins", flag: "other", saDir: sa, arg: "/api/v1/namespaces/{namespace}/pods/{namespace}", want: "/api/v1/namespaces/other/pods/other"},
		{name: "pod from POD_NAME", saDir: sa, env: map[string]string{"POD_NAME": "web-0"}, host: "ignored", arg: "/api/v1/namespaces/{namespace}/pods/{pod}", want: "/api/v1/namespaces/kcurl-test/pods/web-0"},
		{name: "pod from the host name", saDir: sa, host: "web-1", arg: "/x/{pod}", want: "/x/web-1"},
		{name: "other braces stay", saDir: sa, arg: "/x/{name}?q={pod", want: "/x/{name}?q={pod"},
		{name: "percent-encoded braces stay literal", saDir: sa, arg: "/x/%7Bnamespace%7D", want: "/x/%7Bnamespace%7D"},
		{name: "no namespace anywhere", saDir: t.TempDir(), arg: "/api/v1/namespaces/{namespace}/pods", stderr: "{namespace} needs --namespace or a namespace file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := placeholders{namespaceFlag: tt.flag, saDir: tt.saDir, getenv: func(k string) string { return tt.env[k] }, hostname: func() (string, error) { return tt.host, nil }}
			got, err := p.expand(tt.arg)
			if tt.stderr != "" {
				is.Equal(exitCodeOf(err), exitURLMalformed)
				is.True(strings.HasPrefix(err.Error(), tt.stderr))
				return
			}
			is.NoErr(err)
			is.Equal(got, tt.want)
		})
	}
}

func TestClusterDomain(t *testing.T) {
	tests := []struct {
		name, resolvConf, want string
	}{
		{name: "the kubelet's search list", resolvConf: "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n", want: "cluster.local"},
		{name: "another domain", resolvConf: "search ns.svc.corp.example svc.corp.example corp.example\n", want: "corp.example"},
		{name: "a trailing dot", resolvConf: "search svc.cluster.local.\n", want: "cluster.local"},
		{name: "no svc entry", resolvConf: "search example.org\n", want: ""},
		{name: "no search line", resolvConf: "nameserver 127.0.0.53\n", want: ""},
		{name: "empty", resolvConf: "", want: ""},
		{name: "svc. alone", resolvConf: "search svc.\n", want: ""},
		{name: "a domain that is not a name", resolvConf: "search svc.a/b\n", want: ""},
		{name: "an address", resolvConf: "search svc.10.0.0.1\n", want: ""},
		{name: "a commented search line", resolvConf: "# search svc.evil.test\n", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(clusterDomain([]byte(tt.resolvConf)), tt.want) // the cluster domain from resolv.conf
		})
	}
}

func TestValidPort(t *testing.T) {
	for _, tt := range []struct {
		port string
		ok   bool
	}{{"1", true}, {"443", true}, {"65535", true}, {"0", false}, {"00", false}, {"65536", false}, {"-1", false}, {"+1", false}, {" 1", false}, {"", false}, {"123456", false}} {
		t.Run(tt.port, func(t *testing.T) {
			is := is.New(t)
			is.Equal(validPort(tt.port), tt.ok) // a port is 1 to 65535, digits only
		})
	}
}

func TestHostPort(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"http://api.test/", "api.test:80"},
		{"https://api.test/", "api.test:443"},
		{"http://api.test:8080/", "api.test:8080"},
		{"https://API.test:6443/", "api.test:6443"},
		{"https://[::1]/", "[::1]:443"},
		{"http://10.0.0.1/", "10.0.0.1:80"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			is := is.New(t)
			u, err := url.Parse(tt.url)
			is.NoErr(err)
			is.Equal(hostPort(u), tt.want) // the scheme's default port filled in
		})
	}
}

func TestPlainHTTPIsNotTheAPIServer(t *testing.T) {
	is := is.New(t)
	api, err := discoverAPIServer("", func(k string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}[k]
	})
	is.NoErr(err)
	u, _ := url.Parse("http://10.0.0.1/api")
	is.Equal(api.identify(u), notAPIServer) // http:// to the address is port 80, not the API server's 443
}
