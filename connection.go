package main

// The connection: steps 1–3 put together as one value, built once and used by every
// transfer and every subcommand (as client-go's rest.Config), and the one request it
// sends at a time: transport, proxy, --resolve, the -v and -w timings, and curl's
// codes for what fails on the way.

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// connOptions are the flags that say how to reach and authenticate to a server.
type connOptions struct {
	server    string
	trust     trustOptions
	tokens    tokenFlags
	transport transportOptions
	// maxTime is -m: the bound on each transfer, and on each subcommand's call.
	maxTime time.Duration
	// impersonate is --as and its companions.
	impersonate impersonation
}

// connection is where the API server is, which roots verify which host, which
// credentials go with which request, and the transports that reuse connections.
type connection struct {
	api        apiServer
	sa         serviceAccount
	trust      *trustStore
	creds      credentials
	transports *transports
	maxTime    time.Duration
	insecure   bool
	serverName string
}

// newConnection does steps 1–3 up to the point where a request needs them: files are
// read when the first connection is made, the token at every attempt.
func newConnection(o connOptions, e env) (*connection, error) {
	api, err := discoverAPIServer(o.server, e.getenv)
	if err != nil {
		return nil, err
	}
	if file := e.resolvConf; file != "" {
		api.clusterDomain = sync.OnceValue(func() string {
			b, err := readBounded(file, maxResolvConfSize)
			if err != nil {
				return ""
			}
			return clusterDomain(b)
		})
	}
	procDir := e.procDir
	if procDir == "" {
		procDir = "/proc"
	}
	sa, err := chooseServiceAccount(o.tokens, e.getenv, procDir, os.Getpid(), scanDeadline(o))
	if err != nil {
		return nil, err
	}
	source, err := newTokenSource(o.tokens, sa)
	if err != nil {
		return nil, err
	}
	impersonate, err := o.impersonate.headers()
	if err != nil {
		return nil, err
	}
	tr, err := newTransports(o.transport, e)
	if err != nil {
		return nil, err
	}
	return &connection{
		api:        api,
		sa:         sa,
		trust:      &trustStore{opts: o.trust, saDir: sa.dir, saRoot: sa.root, getenv: e.getenv},
		creds:      credentials{source: source, insecure: o.trust.insecure, saToken: o.tokens.saToken, impersonate: impersonate},
		transports: tr,
		maxTime:    o.maxTime,
		insecure:   o.trust.insecure,
		serverName: o.trust.serverName,
	}, nil
}

// withMaxTime bounds ctx by -m, when it is given.
func (c *connection) withMaxTime(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.maxTime > 0 {
		return context.WithTimeout(ctx, c.maxTime)
	}
	return ctx, func() {}
}

// close lets go of idle connections, so a run leaves no goroutine or socket behind.
func (c *connection) close() { c.transports.close() }

// describe writes, under -v, where paths go and whose service account is used.
func (c *connection) describe(out *output) {
	if !out.talkative() {
		return // not even the words: a probe's run formats nothing it does not print
	}
	out.info("%s", describeAPIServer(c.api))
	if c.sa.note != "" {
		out.info("%s", c.sa.note)
	}
}

// send makes one request of transfer t (the first, or a hop of its redirects) and
// returns the response with its body unread.
func (c *connection) send(ctx context.Context, t *transfer, u *url.URL, method string, body *requestBody, info *transferInfo, out *output) (*http.Response, error) {
	h := c.hop(t.url, u)
	tlsConfig, caDesc, err := c.trust.configFor(u, h.api)
	if err != nil {
		return nil, err
	}
	tr := c.transports.forHost(h.api, u.Scheme, tlsConfig)
	rc, size, err := body.open()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err == nil {
		req.URL.RawPath = u.RawPath // a path as given (pathAsGiven) does not survive String()
		if rc != nil {
			req.Body, req.ContentLength = rc, size
			if size == 0 {
				req.Body = http.NoBody
			}
			info.sizeUpload = max(size, 0)
		}
	} else {
		err = exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	var sent []headerArg
	var proxy *url.URL
	f := requestFrame{u: u, method: method, size: size, hasBody: body != nil, api: h.api, http1: u.Scheme == "http" && !c.transports.opts.h2c, http10: c.transports.opts.http10}
	if err == nil {
		sent, proxy, err = c.headers(t, h, &f, req, info, out)
	}
	if err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, err
	}
	trace := c.trace(u, info, out, caDesc, req, sent, f.http10)
	ctx = httptrace.WithClientTrace(ctx, trace)
	var resp *http.Response
	if f.http1 {
		hr := &http1Request{
			req: req.WithContext(ctx), proxy: proxy, headers: sent, body: rc, size: size, target: firstHopTarget(t, u), http10: f.http10,
			reopen:        body.open,
			expectTimeout: c.transports.opts.expectTimeout, trace: trace,
		}
		resp, err = c.transports.roundTripHTTP1(ctx, hr)
		if rc != nil && (size < 0 || hasHeader(sent, "Transfer-Encoding", "chunked")) {
			info.sizeUpload = hr.bodySent // curl counts a chunked body's framing
		}
	} else {
		applyHeaders(req, sent)
		wire := req.WithContext(ctx)
		wire.URL = onTheWire(req.URL) // a path as given goes out through Opaque
		resp, err = tr.RoundTrip(wire)
	}
	var he *headError
	if errors.As(err, &he) {
		return nil, he // keeps the lines curl would have written before it stopped
	}
	if err != nil {
		return nil, c.classify(ctx, err, u, info)
	}
	return resp, nil
}

// headers are one request's headers: the credentials the hop may carry (forHop), the
// cookies, ranges and proxy credentials that go with it, in curl's order; and, for
// kcurl's own HTTP/1.1 exchange, the proxy it goes through.
func (c *connection) headers(t *transfer, h hop, f *requestFrame, req *http.Request, info *transferInfo, out *output) ([]headerArg, *url.URL, error) {
	user := t.spec.headers
	if t.urlAuth != nil {
		// The URL's user:password is a credential of the user's own: the same rule as -H Authorization.
		user = append(user[:len(user):len(user)], *t.urlAuth)
	}
	hc, err := c.creds.forHop(h, user)
	info.auth = hc.auth
	if err != nil {
		return nil, nil, err
	}
	if hostPort(h.url) != hostPort(t.url) {
		hc.headers = withoutHost(hc.headers) // curl's -H Host: is for the URL's host, not a redirect's
	}
	if ck, ok := t.jar.header(h.url); ok {
		hc.headers = append(hc.headers, ck)
	}
	if t.resumeFrom > 0 {
		hc.headers = append(hc.headers, headerArg{name: "Range", value: "bytes=" + strconv.FormatInt(t.resumeFrom, 10) + "-", builtin: true})
	}
	if hc.auth.note != "" {
		out.info("%s", hc.auth.note)
	}
	var proxy *url.URL
	if f.http1 {
		if proxy, err = c.transports.proxyFor(req); err != nil {
			return nil, nil, err
		}
		f.proxied = proxy != nil
		if pa, ok := proxyAuthorization(proxy); ok {
			hc.headers = append(hc.headers, pa)
		}
		// As curl: HTTP/1.0 once a server of this transfer, or this connection's, answered so.
		f.http10 = f.http10 || info.serverHTTP10 || c.transports.h1.answeredHTTP10(http1Addr(req.URL, proxy))
		if err := t.spec.checkChunks(*f); err != nil {
			return nil, nil, err
		}
	}
	f.noExpect = info.noExpect
	sent := t.spec.headersFor(*f, hc)
	info.sent = sent
	info.sizeRequest += requestHeadSize(f.method, h.url, sent)
	return sent, proxy, nil
}

// isAPIServer reports whether u is the API server: by its discovered address, or by
// one of the cluster's names when the cluster's CA verifies the connection (under -k,
// or with only the system roots, a name proves nothing).
func (c *connection) isAPIServer(u *url.URL) bool {
	switch c.api.identify(u) {
	case apiByAddress:
		return true
	case apiByName:
		return c.trust.clusterCA()
	}
	return false
}

// hop gathers what the credential decision needs about a request to u in a transfer
// that started at origin.
func (c *connection) hop(origin, u *url.URL) hop {
	h := hop{origin: origin, url: u, api: c.isAPIServer(u), originAPI: c.isAPIServer(origin)}
	// Only the API server's connection can be verified by the cluster's CA.
	h.clusterCA = c.trust.clusterCA()
	return h
}

// withoutHost is headers without the user's Host headers.
func withoutHost(headers []headerArg) []headerArg {
	out := headers[:0:0]
	for _, h := range headers {
		if !strings.EqualFold(h.name, "Host") {
			out = append(out, h)
		}
	}
	return out
}

// firstHopTarget is the transfer's request target as written, for its first hop only.
func firstHopTarget(t *transfer, u *url.URL) string {
	if u == t.url {
		return t.target
	}
	return ""
}

// transportOptions are the flags that shape connections.
type transportOptions struct {
	connectTimeout time.Duration
	http11         bool
	// http10 is --http1.0: kcurl's own exchange says HTTP/1.0.
	http10 bool
	proxy  string
	// proxyOff is -x '': no proxy, whatever the environment says; noProxyOff is
	// --noproxy '': no exceptions, whatever the environment says.
	proxyOff   bool
	noProxyOff bool
	noProxy    string
	resolve    []string
	ipv4       bool
	ipv6       bool
	userAgent  string
	// connectTo is --connect-to HOST1:PORT1:HOST2:PORT2; unixSocket --unix-socket.
	connectTo   []string
	unixSocket  string
	keepalive   time.Duration
	noKeepalive bool
	// tlsMin and tlsMax are --tlsv1.x and --tls-max.
	tlsMin uint16
	tlsMax string
	// pinnedKeys is --pinnedpubkey: sha256//BASE64 hashes, ; between them.
	pinnedKeys string
	// h2c is --http2-prior-knowledge: HTTP/2 from the first byte, http:// too.
	h2c bool
	// ciphers is --ciphers.
	ciphers string
	// expectTimeout is --expect100-timeout.
	expectTimeout time.Duration
}

// transports are the run's HTTP transports, one per TLS setup: the API server's roots,
// every other host's roots, and plain http (h2c; kcurl's own HTTP/1.1 exchange has its
// own pool), each reused across URLs. A transport is never shared between schemes, so
// an http:// URL can never leave an https:// one with a TLS configuration not its own.
type transports struct {
	opts     transportOptions
	getenv   func(string) string
	resolver *net.Resolver
	// resolves is --resolve: "host:port" to its "addr:port"s.
	resolves map[string][]string
	// h1 is the idle connections of kcurl's own HTTP/1.1 exchange (http1.go).
	h1 http1Pool

	mu     sync.Mutex
	byKind map[transportKind]*http.Transport
}

// transportKind is which TLS setup a transport has.
type transportKind struct {
	api    bool
	scheme string
}

func newTransports(o transportOptions, e env) (*transports, error) {
	resolves, err := parseResolves(o.resolve)
	if err != nil {
		return nil, err
	}
	if _, err := parseCiphers(o.ciphers); err != nil {
		return nil, err
	}
	t := &transports{opts: o, getenv: e.getenv, resolves: resolves}
	if e.dialDNS != nil {
		t.resolver = &net.Resolver{PreferGo: true, Dial: e.dialDNS}
	}
	return t, nil
}

// forHost is the transport for the API server or for any other host, by scheme, made
// on first use with cfg, the TLS configuration that verifies such a host.
func (t *transports) forHost(api bool, scheme string, cfg *tls.Config) *http.Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	kind := transportKind{api: api, scheme: scheme}
	if tr := t.byKind[kind]; tr != nil {
		return tr
	}
	if t.byKind == nil {
		t.byKind = map[transportKind]*http.Transport{}
	}
	tr := t.newTransport(cfg)
	t.byKind[kind] = tr
	return tr
}

func (t *transports) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tr := range t.byKind {
		tr.CloseIdleConnections()
	}
	t.h1.close()
}

func (t *transports) newTransport(cfg *tls.Config) *http.Transport {
	o := t.opts
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if o.tlsMin != 0 {
		cfg.MinVersion = o.tlsMin
	}
	switch o.tlsMax {
	case "1.2":
		cfg.MaxVersion = tls.VersionTLS12
	case "1.3":
		cfg.MaxVersion = tls.VersionTLS13
	}
	if suites, _ := parseCiphers(o.ciphers); suites != nil {
		cfg.CipherSuites = suites
	}
	if o.pinnedKeys != "" {
		pins := o.pinnedKeys
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return checkPinnedKey(cs, pins) }
	}
	protos := new(http.Protocols)
	protos.SetHTTP1(!o.h2c)
	protos.SetHTTP2(!o.http11)
	protos.SetUnencryptedHTTP2(o.h2c)
	if o.http11 {
		cfg.NextProtos = []string{"http/1.1"}
	}
	return &http.Transport{
		// HTTP/2: a 1 MiB window bounds what is held unread when stdout is slower (Go's
		// default is 4 MiB), and DATA frames of up to 256 KiB keep four in flight in it.
		// Each frame wakes the body reader once: at the 16 KiB frames net/http asks for
		// by default, 1 GiB from a Go server took 1.6 s and 41,000 context switches;
		// with 256 KiB, 1.1 s and 25,000 (1 MiB frames stall on the window).
		HTTP2:       &http.HTTP2Config{MaxReceiveBufferPerStream: 1 << 20, MaxReceiveBufferPerConnection: 1 << 20, MaxReadFrameSize: 256 << 10},
		Proxy:       t.proxyFor,
		DialContext: t.dial,
		// CONNECT names kcurl, as curl's names curl, and a refused tunnel is curl's 56.
		ProxyConnectHeader:     http.Header{"User-Agent": {t.opts.userAgent}, "Proxy-Connection": {"Keep-Alive"}},
		OnProxyConnectResponse: refusedTunnel,
		TLSClientConfig:        cfg,
		TLSHandshakeTimeout:    o.connectTimeout,
		DisableCompression:     true,
		ForceAttemptHTTP2:      !o.http11,
		Protocols:              protos,
		MaxIdleConnsPerHost:    4,
		// Go's default is 10 MB; no API server sends more than a few KiB of headers.
		MaxResponseHeaderBytes: 1 << 20,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  0,
	}
}

// parseResolves reads --resolve [+]HOST:PORT:ADDR[,ADDR]… arguments (HOST may be *,
// an ADDR may be a bracketed IPv6 address) and maps "host:port" to the addresses.
func parseResolves(args []string) (map[string][]string, error) {
	m := map[string][]string{}
	for _, a := range args {
		entry := strings.TrimPrefix(a, "+")
		if strings.HasPrefix(entry, "-") {
			continue // curl's "remove this entry": there is no cache to remove it from
		}
		parts := strings.SplitN(entry, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			return nil, exitErrorf(exitFailedInit, "option --resolve: %q is not HOST:PORT:ADDR", a)
		}
		if !validPort(parts[1]) {
			return nil, exitErrorf(exitSetoptSyntax, "Couldn't parse CURLOPT_RESOLVE entry '%s'", a)
		}
		var addrs []string
		for _, addr := range strings.Split(parts[2], ",") {
			addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "["), "]")
			if net.ParseIP(addr) == nil {
				return nil, exitErrorf(exitFailedInit, "option --resolve: %q: %s is not an IP address", a, addr)
			}
			addrs = append(addrs, net.JoinHostPort(addr, parts[1]))
		}
		m[strings.ToLower(net.JoinHostPort(parts[0], parts[1]))] = addrs
	}
	return m, nil
}

// dial connects to addr as every request does: --resolve's addresses (tried in order,
// as curl tries them) before the resolver, bounded by --connect-timeout.
func (t *transports) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: t.opts.connectTimeout, KeepAlive: 30 * time.Second, Resolver: t.resolver}
	switch {
	case t.opts.noKeepalive:
		d.KeepAlive = -1
	case t.opts.keepalive > 0:
		d.KeepAlive = t.opts.keepalive
	}
	if t.opts.unixSocket != "" {
		return d.DialContext(ctx, "unix", t.opts.unixSocket)
	}
	addr = connectTo(addr, t.opts.connectTo)
	if t.opts.ipv4 {
		network = "tcp4"
	} else if t.opts.ipv6 {
		network = "tcp6"
	}
	addrs := t.resolvesFor(addr)
	if addrs == nil {
		return d.DialContext(ctx, network, addr)
	}
	var firstErr error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, a)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// connectTo applies --connect-to: the first HOST1:PORT1:HOST2:PORT2 that matches addr
// (an empty HOST1 or PORT1 matches any) sends the connection to HOST2:PORT2 instead.
func connectTo(addr string, rules []string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	for _, r := range rules {
		h1, p1, h2, p2, ok := splitConnectTo(r)
		if !ok || (h1 != "" && !strings.EqualFold(h1, host)) || (p1 != "" && p1 != port) {
			continue
		}
		if h2 == "" {
			h2 = host
		}
		if p2 == "" {
			p2 = port
		}
		return net.JoinHostPort(h2, p2)
	}
	return addr
}

// splitConnectTo reads HOST1:PORT1:HOST2:PORT2, with bracketed IPv6 hosts.
func splitConnectTo(rule string) (h1, p1, h2, p2 string, ok bool) {
	var parts []string
	for rule != "" {
		var part string
		if strings.HasPrefix(rule, "[") {
			end := strings.IndexByte(rule, ']')
			if end < 0 {
				return "", "", "", "", false
			}
			part, rule = rule[1:end], strings.TrimPrefix(rule[end+1:], ":")
		} else if i := strings.IndexByte(rule, ':'); i >= 0 {
			part, rule = rule[:i], rule[i+1:]
		} else {
			part, rule = rule, ""
		}
		parts = append(parts, part)
	}
	if len(parts) != 4 {
		return "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], parts[3], true
}

// resolvesFor is --resolve's addresses for "host:port": the host's own entry, else a
// "*" entry for the port.
func (t *transports) resolvesFor(addr string) []string {
	if to, ok := t.resolves[strings.ToLower(addr)]; ok {
		return to
	}
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return t.resolves["*:"+port]
	}
	return nil
}

// proxyFor is curl's proxy choice for one request; -x ” turns the environment's off.
func (t *transports) proxyFor(req *http.Request) (*url.URL, error) {
	if t.opts.proxyOff {
		return nil, nil
	}
	getenv := t.getenv
	if t.opts.noProxyOff {
		// --noproxy '' clears no_proxy/NO_PROXY, as curl does.
		getenv = func(k string) string {
			if strings.EqualFold(k, "no_proxy") {
				return ""
			}
			return t.getenv(k)
		}
	}
	return chooseProxy(req.URL, t.opts.proxy, t.opts.noProxy, getenv)
}

// checkPinnedKey is --pinnedpubkey: the server's public key must hash (SHA-256 of its
// SubjectPublicKeyInfo) to one of the pins, or the handshake fails with curl's 90.
func checkPinnedKey(cs tls.ConnectionState, pins string) error {
	if len(cs.PeerCertificates) > 0 {
		sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
		got := "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
		for _, p := range strings.Split(pins, ";") {
			if strings.TrimSpace(p) == got {
				return nil
			}
		}
	}
	return exitErrorf(exitPinnedKey, "SSL: public key does not match pinned public key")
}

// refusedTunnel is curl's error for a CONNECT the proxy does not answer with 2xx.
func refusedTunnel(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode/100 != 2 {
		return exitErrorf(exitRecvError, "CONNECT tunnel failed, response %d", resp.StatusCode)
	}
	return nil
}

// chooseProxy is curl's proxy choice: -x, else https_proxy/HTTPS_PROXY for https and
// http_proxy for http (curl ignores HTTP_PROXY), else all_proxy; minus NO_PROXY hosts.
func chooseProxy(u *url.URL, proxyFlag, noProxyFlag string, getenv func(string) string) (*url.URL, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	raw := proxyFlag
	if raw == "" {
		if u.Scheme == "https" {
			raw = get("https_proxy", "HTTPS_PROXY")
		} else {
			raw = get("http_proxy")
		}
		if raw == "" {
			raw = get("all_proxy", "ALL_PROXY")
		}
	}
	if raw == "" {
		return nil, nil
	}
	noProxy := noProxyFlag
	if noProxy == "" {
		noProxy = get("no_proxy", "NO_PROXY")
	}
	if bypassProxy(u.Hostname(), noProxy) {
		return nil, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	pu, err := url.Parse(raw)
	if err != nil || pu.Host == "" {
		return nil, exitErrorf(exitProxyResolve, "Could not resolve proxy: %q is not a proxy URL", raw)
	}
	return pu, nil
}

// bypassProxy applies a NO_PROXY list: "*", exact names, domain suffixes and IPs.
func bypassProxy(host, list string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, entry := range strings.Split(list, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		entry = strings.TrimPrefix(entry, "*")
		if entry == "" {
			if strings.TrimSpace(list) == "*" {
				return true
			}
			continue
		}
		if _, ipnet, err := net.ParseCIDR(entry); err == nil {
			if ip := net.ParseIP(host); ip != nil && ipnet.Contains(ip) {
				return true
			}
			continue
		}
		entry = strings.TrimPrefix(entry, ".")
		if host == entry || strings.HasSuffix(host, "."+entry) {
			return true
		}
	}
	return false
}

// trace records timings for -w and writes curl's "* " and "> " lines for -v.
func (c *connection) trace(u *url.URL, info *transferInfo, out *output, caDesc string, req *http.Request, sent []headerArg, http10 bool) *httptrace.ClientTrace {
	proto := "HTTP/1.1"
	if http10 {
		proto = "HTTP/1.0"
	}
	return &httptrace.ClientTrace{
		DNSDone: func(httptrace.DNSDoneInfo) { info.mark(&info.namelookup) },
		ConnectStart: func(network, addr string) {
			out.info("  Trying %s...", addr)
		},
		ConnectDone: func(network, addr string, err error) {
			if err != nil {
				return
			}
			info.mark(&info.connect)
			host, port, _ := net.SplitHostPort(addr)
			out.info("Connected to %s (%s) port %s", u.Hostname(), host, port)
		},
		TLSHandshakeStart: func() { out.tlsStart(c.insecure, caDesc) },
		TLSHandshakeDone: func(st tls.ConnectionState, err error) {
			if err != nil {
				return
			}
			info.mark(&info.appconnect)
			out.tlsDetails(st, u, c.serverName, c.insecure)
		},
		GotConn: func(gc httptrace.GotConnInfo) {
			info.gotConn(gc.Conn.RemoteAddr())
			info.gotLocal(gc.Conn.LocalAddr(), gc.Reused)
			if tc, ok := gc.Conn.(*tls.Conn); ok && tc.ConnectionState().NegotiatedProtocol == "h2" {
				proto = "HTTP/2"
			}
			if gc.Reused {
				out.info("Re-using existing connection with host %s", u.Hostname())
			}
			// Here, not at WroteHeaders: HTTP/2 writes on another goroutine, and its
			// response could be printed first.
			out.requestHead(req, proto, sent)
		},
		WroteRequest: func(wi httptrace.WroteRequestInfo) {
			if wi.Err != nil {
				info.setSendErr(wi.Err)
			}
		},
		GotFirstResponseByte: func() { info.mark(&info.starttrans) },
	}
}

// classify turns a transport error into curl's code and words, where it is understood.
func (c *connection) classify(ctx context.Context, err error, u *url.URL, info *transferInfo) error {
	var (
		ee       *exitError
		dnsErr   *net.DNSError
		opErr    *net.OpError
		recErr   tls.RecordHeaderError
		verErr   *tls.CertificateVerificationError
		hostErr  x509.HostnameError
		unkErr   x509.UnknownAuthorityError
		invErr   x509.CertificateInvalidError
		alertErr tls.AlertError
	)
	elapsed := time.Since(info.start).Milliseconds()
	isProxy := errors.As(err, &opErr) && opErr.Op == "proxyconnect"
	switch {
	case errors.As(err, &ee):
		return ee
	case ctx.Err() == context.DeadlineExceeded:
		return exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d bytes received", elapsed, info.sizeDownload)
	case info.sendError() != nil:
		return exitErrorf(exitSendError, "Send failure: %v", sendFailure(info.sendError()))
	case errors.As(err, &dnsErr):
		if isProxy {
			return exitErrorf(exitProxyResolve, "Could not resolve proxy: %s", dnsErr.Name)
		}
		return exitErrorf(exitHostResolve, "Could not resolve host: %s%s", u.Hostname(), notInPodHint(c.api, u.Hostname()))
	case errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout():
		return exitErrorf(exitTimeout, "Failed to connect to %s port %s after %d ms: Timeout was reached", u.Hostname(), portOf(u), elapsed)
	case isTimeout(err):
		// The dial worked, so this is --connect-timeout running out in the TLS handshake.
		return exitErrorf(exitTimeout, "SSL connection timeout")
	case errors.Is(err, context.DeadlineExceeded):
		return exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d bytes received", elapsed, info.sizeDownload)
	case errors.As(err, &opErr) && (opErr.Op == "dial" || isProxy):
		return exitErrorf(exitConnect, "Failed to connect to %s port %s after %d ms: Couldn't connect to server", u.Hostname(), portOf(u), elapsed)
	case errors.As(err, &hostErr):
		return exitErrorf(exitPeerVerify, "SSL: no alternative certificate subject name matches target host name '%s'", hostErr.Host)
	case errors.As(err, &unkErr):
		return exitErrorf(exitPeerVerify, "SSL certificate problem: unable to get local issuer certificate")
	case errors.As(err, &invErr):
		return exitErrorf(exitPeerVerify, "SSL certificate problem: %s", certInvalidReason(invErr))
	case errors.As(err, &verErr):
		return exitErrorf(exitPeerVerify, "SSL certificate problem: %v", verErr.Err)
	case errors.As(err, &recErr):
		return exitErrorf(exitTLSConnect, "TLS connect error: the server did not answer with TLS (a plain HTTP port?)")
	case errors.As(err, &alertErr):
		return exitErrorf(exitTLSConnect, "TLS connect error: %v", err)
	case errors.Is(err, syscall.ECONNRESET):
		return exitErrorf(exitRecvError, "Recv failure: Connection reset by peer")
	case errors.Is(err, syscall.EPIPE):
		return exitErrorf(exitSendError, "Send failure: Broken pipe")
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return exitErrorf(exitEmptyReply, "Empty reply from server")
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "handshake"):
		return exitErrorf(exitTLSConnect, "TLS connect error: %v", unwrapURLError(err))
	}
	return exitErrorf(exitRecvError, "Recv failure: %v", unwrapURLError(err))
}

// sendFailure words a write error as curl does.
func sendFailure(err error) string {
	switch {
	case errors.Is(err, syscall.EPIPE):
		return "Broken pipe"
	case errors.Is(err, syscall.ECONNRESET):
		return "Connection reset by peer"
	}
	return unwrapURLError(err).Error()
}

// isTimeout reports a net-style timeout, such as the transport's TLS handshake timeout.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func portOf(u *url.URL) string {
	_, port, _ := net.SplitHostPort(hostPort(u))
	return port
}

func certInvalidReason(e x509.CertificateInvalidError) string {
	if e.Reason == x509.Expired {
		if strings.Contains(e.Detail, " is before ") {
			return "certificate is not yet valid"
		}
		return "certificate has expired"
	}
	return e.Error()
}
