package main

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultAPIServerHost is the API server's name in every cluster's DNS.
const defaultAPIServerHost = "kubernetes.default.svc"

// apiServer is where paths go: the base URL and how it was found (for -v and hints).
type apiServer struct {
	base   *url.URL
	source string
	// guessed is true when nothing told kcurl where the server is.
	guessed bool
	// clusterDomain is the cluster's DNS domain, from the pod's resolv.conf, if known;
	// read only when a URL's name needs it, so a plain GET reads no more files.
	clusterDomain func() string
}

// discoverAPIServer finds the API server: --server, else the service environment
// variables (as client-go's InClusterConfig), else kubernetes.default.svc.
func discoverAPIServer(serverFlag string, getenv func(string) string) (apiServer, error) {
	if serverFlag != "" {
		raw := serverFlag
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.ContainsAny(raw, " \t\r\n") {
			return apiServer{}, exitErrorf(exitURLMalformed, "--server %q is not an http(s) URL", serverFlag)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawQuery, u.Fragment = "", ""
		return apiServer{base: u, source: "--server"}, nil
	}
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host != "" {
		if !validHost(host) {
			return apiServer{}, exitErrorf(exitURLMalformed, "KUBERNETES_SERVICE_HOST %q is not a host name or address", host)
		}
		if port == "" {
			port = "443"
		}
		if !validPort(port) {
			return apiServer{}, exitErrorf(exitURLMalformed, "KUBERNETES_SERVICE_PORT %q is not a port number", port)
		}
		return apiServer{
			base:   &url.URL{Scheme: "https", Host: net.JoinHostPort(host, port)},
			source: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT",
		}, nil
	}
	return apiServer{
		base:    &url.URL{Scheme: "https", Host: defaultAPIServerHost},
		source:  "the default name " + defaultAPIServerHost,
		guessed: true,
	}, nil
}

// resolveURL turns a command-line URL into the URL to fetch: a path starting with "/"
// is on the API server, anything else is a URL as curl takes it. It reports whether
// the URL was a path on the API server.
func resolveURL(arg string, api apiServer) (*url.URL, bool, error) {
	if arg == "" {
		return nil, false, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	for _, r := range arg {
		if r <= ' ' || r == 0x7f {
			return nil, false, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
		}
	}
	if strings.HasPrefix(arg, "/") {
		ref, err := url.Parse(arg)
		if err != nil || ref.Host != "" || ref.Scheme != "" {
			return nil, false, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
		}
		u := *api.base
		u.Path = api.base.Path + ref.Path
		if ref.RawPath != "" {
			u.RawPath = api.base.EscapedPath() + ref.RawPath
		}
		u.RawQuery = ref.RawQuery
		return &u, true, nil
	}
	raw := arg
	scheme, _, hasScheme := strings.Cut(arg, "://")
	if !hasScheme {
		// curl guesses http:// for a URL without a scheme.
		raw = "http://" + arg
		scheme = "http"
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return nil, false, exitErrorf(exitUnsupportedProtocol, "Protocol %q not supported", scheme)
	}
	u, err := parseURL(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, false, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return nil, false, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	u.Fragment = ""
	if u.Path == "" {
		u.Path = "/" // as curl's URL parser: http://host?q is http://host/?q
	}
	return u, false, nil
}

// apiIdentity is how a URL names the API server, if it does.
type apiIdentity int

const (
	notAPIServer apiIdentity = iota
	// apiByAddress is the discovered host and port (or --server's).
	apiByAddress
	// apiByName is one of the cluster's names for it on 443. A name is only a claim:
	// the connection decides (a name is the API server only when the cluster's CA
	// verifies it, see connection.isAPIServer).
	apiByName
)

// identify says how u names the API server: its discovered host and port, or one of
// the cluster's names on port 443 (kubernetes, kubernetes.default,
// kubernetes.default.svc, and kubernetes.default.svc.<cluster domain> when the
// cluster domain is known). No open-ended suffix: a domain anyone can buy is not the cluster's.
func (a apiServer) identify(u *url.URL) apiIdentity {
	if hostPort(u) == hostPort(a.base) {
		return apiByAddress
	}
	if hostPort(u) != strings.ToLower(u.Hostname())+":443" {
		return notAPIServer
	}
	switch h := strings.TrimSuffix(strings.ToLower(u.Hostname()), "."); {
	case h == "kubernetes", h == "kubernetes.default", h == defaultAPIServerHost:
		return apiByName
	case strings.HasPrefix(h, defaultAPIServerHost+".") && a.clusterDomain != nil:
		if d := a.clusterDomain(); d != "" && h == defaultAPIServerHost+"."+d {
			return apiByName
		}
	}
	return notAPIServer
}

// isAPIServer reports whether u names the API server, by address or by name.
func isAPIServer(u *url.URL, api apiServer) bool { return api.identify(u) != notAPIServer }

// maxResolvConfSize bounds the resolv.conf kcurl reads for the cluster domain.
const maxResolvConfSize = 64 << 10

// clusterDomain is the cluster's DNS domain as the kubelet wrote it into the pod's
// resolv.conf: the "svc.<domain>" entry of the search list (search ns.svc.cluster.local
// svc.cluster.local cluster.local), or "" when there is none.
func clusterDomain(resolvConf []byte) string {
	for _, line := range strings.Split(string(resolvConf), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "search" {
			continue
		}
		for _, f := range fields[1:] {
			d, ok := strings.CutPrefix(strings.ToLower(strings.TrimSuffix(f, ".")), "svc.")
			if ok && d != "" && validHost(d) && net.ParseIP(d) == nil {
				return d
			}
		}
	}
	return ""
}

// validHost is an IP address (IPv6 without brackets, as the kubelet writes it) or a
// DNS name: letters, digits, '-', '_' and '.'. A scheme, a port, a path or a control
// character is refused, so the base URL always parses back to the same host.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 || h[0] == '.' || h[0] == '-' {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validPort is a decimal port number from 1 to 65535, digits only (no sign, no space).
func validPort(s string) bool {
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	n, _ := strconv.Atoi(s)
	return n >= 1 && n <= 65535
}

// hostPort is u's host and port with the scheme's default port filled in.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// notInPodHint is added to a resolve failure of the guessed API server name.
func notInPodHint(api apiServer, host string) string {
	if api.guessed && host == api.base.Hostname() {
		return " (not in a pod? set --server or KUBERNETES_SERVICE_HOST)"
	}
	return ""
}

// describeAPIServer is the -v line that says where paths go.
func describeAPIServer(api apiServer) string {
	return fmt.Sprintf("API server %s (from %s)", api.base.Host, api.source)
}

// placeholders expands {namespace} and {pod} in a URL. Other braces are left alone;
// to send a literal "{namespace}", percent-encode it as %7Bnamespace%7D.
type placeholders struct {
	namespaceFlag string
	saDir         string
	// saRoot is serviceAccount.root: the namespace file is opened inside it.
	saRoot   string
	getenv   func(string) string
	hostname func() (string, error)
}

func (p placeholders) expand(arg string) (string, error) {
	if strings.Contains(arg, "{namespace}") {
		ns, err := p.namespace()
		if err != nil {
			return "", err
		}
		arg = strings.ReplaceAll(arg, "{namespace}", ns)
	}
	if strings.Contains(arg, "{pod}") {
		pod := p.getenv("POD_NAME")
		if pod == "" && p.hostname != nil {
			pod, _ = p.hostname()
		}
		if pod == "" {
			return "", exitErrorf(exitURLMalformed, "{pod} needs POD_NAME or a host name")
		}
		arg = strings.ReplaceAll(arg, "{pod}", url.PathEscape(pod))
	}
	return arg, nil
}

// namespace is --namespace, else the service account's namespace file.
func (p placeholders) namespace() (string, error) {
	if p.namespaceFlag != "" {
		return url.PathEscape(p.namespaceFlag), nil
	}
	file := filepath.Join(p.saDir, "namespace")
	b, err := serviceAccount{dir: p.saDir, root: p.saRoot}.readFile("namespace", 4096)
	if err != nil {
		return "", exitErrorf(exitURLMalformed, "{namespace} needs --namespace or a namespace file (%s: %s)", file, fileProblem(err))
	}
	ns := strings.TrimSpace(string(b))
	if ns == "" {
		return "", exitErrorf(exitURLMalformed, "{namespace} needs --namespace or a namespace file (%s is empty)", file)
	}
	return url.PathEscape(ns), nil
}
