package main

// mutant is one small change to kcurl's source: from must stand exactly once in file.
type mutant struct {
	name     string
	file     string
	from, to string
	// security is whether surviving it could leak a credential, trust the wrong CA, or
	// let a server or a file take unbounded memory or time.
	security bool
}

// mutants are the changes a reviewer would expect the tests to catch, over the
// credential decision (token.go), the API server's identity (discover.go), trust
// (trust.go), the connection and proxy choice (connection.go), the transfer loop
// (transfer.go), and the bounds on what servers and files send.
var mutants = []mutant{
	// token.go: which credential goes with which request.
	{"origin without its scheme", "token.go", `return strings.EqualFold(a.Scheme, b.Scheme) && hostPort(a) == hostPort(b)`, `return hostPort(a) == hostPort(b)`, true},
	{"origin without host and port", "token.go", `return strings.EqualFold(a.Scheme, b.Scheme) && hostPort(a) == hostPort(b)`, `return strings.EqualFold(a.Scheme, b.Scheme)`, true},
	{"user credentials follow every redirect", "token.go", `if isCredentialHeader(hdr.name) && !same && !hdr.trusted {`, `if isCredentialHeader(hdr.name) && !same && false {`, true},
	{"--location-trusted ignored", "token.go", `if isCredentialHeader(hdr.name) && !same && !hdr.trusted {`, `if isCredentialHeader(hdr.name) && !same {`, false},
	{"Cookie is not a credential", "token.go", `strings.EqualFold(name, "Cookie") || `, ``, true},
	{"Proxy-Authorization is not a credential", "token.go", ` || strings.EqualFold(name, "Proxy-Authorization")`, ``, true},
	{"the user's Authorization does not stop the token", "token.go", `case userAuthorization:`, `case false:`, true},
	{"the token over http", "token.go", `case h.url.Scheme != "https":`, `case false:`, true},
	{"the token to the API server from anywhere", "token.go", `case h.api && h.originAPI:`, `case h.api:`, true},
	{"a typed token to any host", "token.go", `case c.typed() && sameOrigin(h.origin, h.url):`, `case c.typed():`, true},
	{"a typed token over -k to any host", "token.go", "case c.typed() && sameOrigin(h.origin, h.url):\n\t\tif c.insecure {", "case c.typed() && sameOrigin(h.origin, h.url):\n\t\tif false {", true},
	{"the token without the cluster CA", "token.go", `case h.clusterCA:`, `case true:`, true},
	{"-k exception without a typed token", "token.go", `case c.insecure && c.source.explicit():`, `case c.insecure:`, true},
	{"a token with spaces", "token.go", `if token[i] < 0x21 || token[i] > 0x7e {`, `if token[i] < 0x20 || token[i] > 0x7e {`, true},
	{"a token with DEL", "token.go", `if token[i] < 0x21 || token[i] > 0x7e {`, `if token[i] < 0x21 || token[i] > 0x7f {`, true},
	{"a token file of 64 MiB", "token.go", `const maxTokenSize = 64 << 10`, `const maxTokenSize = 64 << 20`, true},

	// discover.go: whether a URL is the API server.
	{"any cluster domain", "discover.go", `if d := a.clusterDomain(); d != "" && h == defaultAPIServerHost+"."+d {`, `if true {`, true},
	{"a name on any port", "discover.go", `if hostPort(u) != strings.ToLower(u.Hostname())+":443" {`, `if false {`, true},
	{"the address without its port", "discover.go", `if hostPort(u) == hostPort(a.base) {`, `if u.Hostname() == a.base.Hostname() {`, true},
	{"a host name with '/'", "discover.go", `c == '-' || c == '_' || c == '.') {`, `c == '-' || c == '_' || c == '.' || c == '/') {`, true},
	{"port 0", "discover.go", `return n >= 1 && n <= 65535`, `return n >= 0 && n <= 65535`, false},
	{"a cluster domain that is not a name", "discover.go", `ok && d != "" && validHost(d) && net.ParseIP(d) == nil`, `ok && d != ""`, true},
	{"http's default port 443", "discover.go", "\t\t\tport = \"80\"", "\t\t\tport = \"443\"", true},

	// trust.go: which roots verify which host.
	{"the cluster CA under -k", "trust.go", "\tif s.opts.insecure {\n\t\treturn false\n\t}", "", true},
	{"the cluster CA without ca.crt", "trust.go", `return s.opts.caFile != "" || fileExists(filepath.Join(s.saDir, "ca.crt"))`, `return true`, true},
	{"no verification at all", "trust.go", `InsecureSkipVerify: s.opts.insecure,`, `InsecureSkipVerify: true,`, true},
	{"TLS 1.0", "trust.go", `MinVersion:         tls.VersionTLS12,`, `MinVersion:         tls.VersionTLS10,`, true},
	{"the API server with the other hosts' roots", "trust.go", "\tcase api:\n\t\treturn s.forAPIServer()", "\tcase api:\n\t\treturn s.forOther()", true},
	{"a CA file under -k", "trust.go", `if caFile != "" && !s.opts.insecure {`, `if caFile != "" {`, false},

	// connection.go: identity, transports and proxies.
	{"a name is the API server without its CA", "connection.go", `return c.trust.clusterCA()`, `return true`, true},
	{"one transport for both schemes", "connection.go", `kind := transportKind{api: api, scheme: scheme}`, `kind := transportKind{api: api}`, true},
	{"HTTP_PROXY for http (httpoxy)", "connection.go", `raw = get("http_proxy")`, `raw = get("http_proxy", "HTTP_PROXY")`, true},
	{"NO_PROXY over --noproxy", "connection.go", `noProxy := noProxyFlag`, `noProxy := get("no_proxy", "NO_PROXY") + noProxyFlag`, true},
	{"a suffix without its dot", "connection.go", `strings.HasSuffix(host, "."+entry)`, `strings.HasSuffix(host, entry)`, true},
	{"a star among entries is a wildcard", "connection.go", `if strings.TrimSpace(list) == "*" {`, `if true {`, false},
	{"10 MiB of response headers", "connection.go", `MaxResponseHeaderBytes: 1 << 20,`, `MaxResponseHeaderBytes: 10 << 20,`, true},

	// transfer.go: -f, redirects.
	{"-f on 401 and above", "transfer.go", `return status >= 400 && (d.fail || d.failWithBody)`, `return status > 400 && (d.fail || d.failWithBody)`, false},
	{"--max-redirs N allows N+1", "transfer.go", `if followed >= max {`, `if followed > max {`, true},
	{"--max-redirs -1 without end", "transfer.go", `max = maxRedirectsUnlimited`, `max = 5000`, true},
	{"a redirect to any scheme", "transfer.go", `|| next.Scheme != "http" && next.Scheme != "https" {`, ` {`, true},
	{"303 keeps the method", "transfer.go", `toGet = method != http.MethodHead && !p.post303`, `toGet = false`, false},

	// bounds on what a server sends.
	{"a Table without a cell bound", "kubernetes.go", `if (len(t.rows)+1)*len(shown) > maxPrintedCells {`, `if false {`, true},
	{"a List item without a bound", "kubernetes.go", `if l.n > maxItemSize {`, `if false {`, true},
	{"a Table of any size", "kubernetes.go", `if len(b) > maxTableSize {`, `if false {`, true},
	{"a rules review without a bound", "kubernetes.go", `if rows*4 > maxPrintedCells {`, `if false {`, true},
	{"C1 controls printed raw", "output.go", "\t\tcase r < 0x20 || (r >= 0x7f && r < 0xa0):", "\t\tcase r < 0x20:", true},
	{"server text printed raw", "output.go", "\tif clean {", "\tif clean || true {", true},
	{"a failed -o file is kept", "output.go", "\tif s.created {", "\tif false {", false},

	// procscan.go: the debug-container scan.
	{"another user namespace accepted", "procscan.go", `if err != nil || ns != selfNS {`, `if err != nil || false && ns != selfNS {`, true},
	{"any owner accepted", "procscan.go", `case f.uid != 0 && f.uid != p.uid:`, `case false:`, true},
	{"any group accepted", "procscan.go", `case f.gid != 0 && !p.inGroup(f.gid):`, `case false:`, true},
	{"world-writable accepted", "procscan.go", `case f.mode&0o002 != 0:`, `case false:`, true},
	{"group-writable by a stranger accepted", "procscan.go", `case f.mode&0o020 != 0 && !p.inGroup(f.gid):`, `case false:`, true},
	{"magic links followed", "procscan.go", `resolve: resolveInRootFlag | resolveNoMagiclinks}`, `resolve: resolveInRootFlag}`, true},
	{"out of the root", "procscan.go", `resolve: resolveInRootFlag | resolveNoMagiclinks}`, `resolve: resolveNoMagiclinks}`, true},
	{"a FIFO token blocks", "procscan.go", `syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY)`, `syscall.O_RDONLY|syscall.O_NOCTTY)`, true},

	// bounds on what a file or stdin sends; credentials on the command line.
	{"a header with CR LF", "request.go", `strings.ContainsAny(l, "\r\n\x00")`, `strings.ContainsAny(l, "\x00")`, true},
	{"a huge @file read whole", "request.go", `fi.Mode().IsRegular() && fi.Size() > limit`, `false`, true},
	{"stdin past its limit", "request.go", `if d.n+int64(n) > limit {`, `if false {`, true},
	{"a file one byte over its limit", "procscan.go", `if int64(len(b)) > limit {`, `if int64(len(b)) > limit+1 {`, true},
	{"--oauth2-bearer left in argv", "main.go", `hideSecrets(e, c.Token, c.OAuth2Bearer, c.User)`, `hideSecrets(e, c.Token, c.User)`, true},
	{"-u left in argv", "main.go", `hideSecrets(e, c.Token, c.OAuth2Bearer, c.User)`, `hideSecrets(e, c.Token, c.OAuth2Bearer)`, true},
	{"Go's log lines on stderr", "main.go", `log.SetOutput(io.Discard)`, `log.SetOutput(os.Stderr)`, true},
}
