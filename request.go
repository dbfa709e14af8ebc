package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	json "github.com/goccy/go-json"
)

// Exit codes: curl's numbers, for the same meanings.
const (
	exitOK                  = 0  // success
	exitUnsupportedProtocol = 1  // a URL scheme other than http and https
	exitCanINo              = 1  // kcurl can-i: the answer is no (kubectl auth can-i's 1)
	exitFailedInit          = 2  // bad option, missing value, bad command line
	exitURLMalformed        = 3  // URL (or server address) that cannot be parsed
	exitProxyResolve        = 5  // the proxy's name does not resolve
	exitHostResolve         = 6  // the host's name does not resolve
	exitConnect             = 7  // connection refused or unreachable
	exitPartialFile         = 18 // body shorter than its Content-Length, or chunks cut
	exitHTTPError           = 22 // HTTP status >= 400 with -f or --fail-with-body
	exitWriteError          = 23 // stdout or -o cannot be written
	exitReadError           = 26 // a local file (data, upload, token) cannot be read
	exitTimeout             = 28 // --max-time or --connect-timeout reached
	exitTLSConnect          = 35 // the TLS handshake failed
	exitTooManyRedirects    = 47 // more than --max-redirs redirects
	exitEmptyReply          = 52 // the server closed without a response
	exitSendError           = 55 // sending the request failed
	exitRecvError           = 56 // receiving the response failed (reset, HTTP/2 stream error)
	exitCertProblem         = 58 // client certificate or key does not load
	exitPeerVerify          = 60 // the server's certificate does not verify
	exitCACertProblem       = 77 // a CA file that cannot be read or holds no certificate
)

// exitError is an error that knows its exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code for the error.
func (e *exitError) ExitCode() int { return e.code }

func exitErrorf(code int, format string, args ...any) *exitError {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// exitCodeOf is err's exit code: its own, else 1 for anything unclassified.
func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUnsupportedProtocol
}

// badValueError is a flag value kcurl's own mappers refused.
type badValueError struct{ why string }

func (e *badValueError) Error() string { return e.why }

// secondsFlag is a duration in seconds, fractions allowed, as curl's time options.
type secondsFlag struct {
	d   time.Duration
	set bool
}

// Decode implements kong.MapperValue.
func (s *secondsFlag) Decode(ctx *kong.DecodeContext) error {
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e9 {
		return &badValueError{why: "expected a proper numerical parameter"}
	}
	s.d, s.set = time.Duration(f*float64(time.Second)), true
	return nil
}

// popFlagValue takes a flag's value; with hyphen-prefixed values allowed, kong itself
// does not notice when the command line ends first.
func popFlagValue(ctx *kong.DecodeContext) (string, error) {
	t := ctx.Scan.Pop()
	if t.IsEOL() {
		return "", errors.New("missing value")
	}
	return fmt.Sprint(t.Value), nil
}

// dataKind is which curl data option a piece came from.
type dataKind int

const (
	dataASCII dataKind = iota
	dataRaw
	dataBinary
	dataURLEncode
	dataJSON
)

// dataPiece is one -d style argument, with its position on the command line.
type dataPiece struct {
	kind  dataKind
	value string
	pos   int
}

// dataFlag collects one data option's arguments; pos keeps their order across options.
type dataFlag struct{ pieces []dataPiece }

// Decode implements kong.MapperValue.
func (d *dataFlag) Decode(ctx *kong.DecodeContext) error {
	pos := -ctx.Scan.Len()
	v, err := popFlagValue(ctx)
	if err != nil {
		return err
	}
	d.pieces = append(d.pieces, dataPiece{value: v, pos: pos})
	return nil
}

// orderedData is every data piece in command-line order.
func orderedData(c *cli) []dataPiece {
	var all []dataPiece
	for _, f := range []struct {
		kind dataKind
		flag *dataFlag
	}{
		{dataASCII, &c.Data}, {dataASCII, &c.DataASCII}, {dataRaw, &c.DataRaw},
		{dataBinary, &c.DataBinary}, {dataURLEncode, &c.DataURLEncode}, {dataJSON, &c.JSON},
	} {
		for _, p := range f.flag.pieces {
			p.kind = f.kind
			all = append(all, p)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	return all
}

// headerArg is one -H argument, parsed.
type headerArg struct {
	name  string
	value string
	// remove is curl's "Name:" form: drop the default header.
	remove bool
}

// parseHeaders applies curl's -H rules, reading @file arguments; CR or LF in a header
// is refused, so a value cannot inject another header.
func parseHeaders(args []string, stdin io.Reader) ([]headerArg, error) {
	var lines []string
	for _, a := range args {
		if strings.HasPrefix(a, "@") {
			b, err := readArgFile(a[1:], stdin, maxArgFileSize)
			if err != nil {
				return nil, err
			}
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
					lines = append(lines, l)
				}
			}
			continue
		}
		lines = append(lines, a)
	}
	out := make([]headerArg, 0, len(lines))
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n\x00") {
			return nil, exitErrorf(exitFailedInit, "header %q holds a CR, LF or NUL: refused", headerNameOf(l))
		}
		i := strings.IndexAny(l, ":;")
		if i <= 0 {
			return nil, exitErrorf(exitFailedInit, "header %q has no colon", headerNameOf(l))
		}
		name := strings.TrimSpace(l[:i])
		if !validHeaderName(name) {
			return nil, exitErrorf(exitFailedInit, "header name %q is not a valid HTTP token", headerNameOf(l))
		}
		rest := l[i+1:]
		if l[i] == ';' {
			if strings.TrimSpace(rest) != "" {
				return nil, exitErrorf(exitFailedInit, "header %q has no colon", headerNameOf(l))
			}
			out = append(out, headerArg{name: name})
			continue
		}
		value := strings.TrimSpace(rest)
		out = append(out, headerArg{name: name, value: value, remove: value == ""})
	}
	return out, nil
}

// headerNameOf is the part of a header argument safe to echo: its name, never a value
// (which may be a credential).
func headerNameOf(l string) string {
	if i := strings.IndexAny(l, ":; \t\r\n"); i >= 0 {
		l = l[:i]
	}
	if len(l) > 64 {
		l = l[:64] + "…"
	}
	return l
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// maxDataFileSize bounds -d @file and @-; -T streams instead.
const maxDataFileSize = 1 << 30

// readDataFile reads an @file argument; "-" is stdin.
func readDataFile(name string, stdin io.Reader) ([]byte, error) {
	return readArgFile(name, stdin, maxDataFileSize)
}

// maxArgFileSize bounds -H @file and -w @file: a few lines, not a body.
const maxArgFileSize = 1 << 20

// readArgFile reads an @file argument of at most limit bytes; "-" is stdin.
func readArgFile(name string, stdin io.Reader, limit int64) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, limit))
		if err != nil {
			return nil, exitErrorf(exitReadError, "Failed to read data from stdin: %v", err)
		}
		return b, nil
	}
	b, err := readBounded(name, limit)
	if err != nil {
		return nil, exitErrorf(exitReadError, "Failed to open/read local data from file %s: %s", name, fileProblem(err))
	}
	return b, nil
}

// buildData joins the data pieces as curl does: -d family with '&', --json concatenated.
func buildData(pieces []dataPiece, stdin io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for i, p := range pieces {
		if i > 0 && p.kind != dataJSON {
			buf.WriteByte('&')
		}
		switch p.kind {
		case dataRaw:
			buf.WriteString(p.value)
		case dataASCII, dataBinary, dataJSON:
			if !strings.HasPrefix(p.value, "@") {
				buf.WriteString(p.value)
				continue
			}
			b, err := readDataFile(p.value[1:], stdin)
			if err != nil {
				return nil, err
			}
			if p.kind == dataASCII {
				b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
			}
			buf.Write(b)
		case dataURLEncode:
			s, err := urlEncodeData(p.value, stdin)
			if err != nil {
				return nil, err
			}
			buf.WriteString(s)
		}
	}
	return buf.Bytes(), nil
}

// urlEncodeData is curl's --data-urlencode: content, =content, name=content, @file, name@file.
func urlEncodeData(v string, stdin io.Reader) (string, error) {
	name, content := "", v
	if i := strings.IndexAny(v, "=@"); i >= 0 {
		name, content = v[:i], v[i+1:]
		if v[i] == '@' {
			b, err := readDataFile(content, stdin)
			if err != nil {
				return "", err
			}
			content = string(b)
		}
	}
	enc := url.QueryEscape(content)
	if name == "" {
		return enc, nil
	}
	return name + "=" + enc, nil
}

// requestBody is what a request sends.
type requestBody struct {
	data []byte
	// uploadFile is -T's file, opened for each attempt; "-" is stdin.
	uploadFile string
	stdin      io.Reader
}

// open returns a fresh reader of the body and its length (-1 when unknown).
func (b *requestBody) open() (io.ReadCloser, int64, error) {
	switch {
	case b == nil:
		return nil, 0, nil
	case b.uploadFile == "-":
		return io.NopCloser(b.stdin), -1, nil
	case b.uploadFile != "":
		f, err := os.Open(b.uploadFile)
		if err != nil {
			return nil, 0, exitErrorf(exitReadError, "Failed to open/read local data from file %s: %s", b.uploadFile, fileProblem(err))
		}
		fi, err := f.Stat()
		if err != nil || fi.IsDir() {
			f.Close()
			return nil, 0, exitErrorf(exitReadError, "Failed to open/read local data from file %s: is a directory", b.uploadFile)
		}
		return f, fi.Size(), nil
	}
	return io.NopCloser(bytes.NewReader(b.data)), int64(len(b.data)), nil
}

// transfer is one URL's request, ready to send (again, on retries).
type transfer struct {
	url      *url.URL
	method   string
	headers  []headerArg
	body     *requestBody
	jsonBody bool
	outFile  string
	// watch follows the events of a --watch, for --watch-reconnect.
	watch *watchTracker
	// appendOutput makes a reconnected watch add to its -o file instead of replacing it.
	appendOutput bool
}

// plan is a whole invocation: every transfer, the shared client, and the options.
type plan struct {
	c         *cli
	e         env
	api       apiServer
	trust     *trustStore
	tokens    tokenOptions
	transfers []*transfer
	writeOut  writeOutFormat
	client    *client
	// buf is the body buffer, made once for all transfers.
	buf []byte
	// saNote says, under -v, which process's service account is used, if not kcurl's own.
	saNote string
}

// newPlan checks the whole command line and reads every input before any byte is sent,
// so bad input fails with nothing half-done.
func newPlan(c *cli, e env) (*plan, error) {
	if len(c.URLs) == 0 {
		return nil, exitErrorf(exitFailedInit, "no URL specified; try 'kcurl --help'")
	}
	if c.HTTP11 && c.HTTP2 {
		return nil, exitErrorf(exitFailedInit, "--http1.1 and --http2 cannot be used together")
	}
	if c.Retry < 0 || c.MaxRedirs < -1 {
		return nil, exitErrorf(exitFailedInit, "option --retry/--max-redirs: expected a proper numerical parameter")
	}
	p, err := newConnection(c, e)
	if err != nil {
		return nil, err
	}
	if p.writeOut, err = parseWriteOut(c.WriteOut, e.stdin); err != nil {
		return nil, err
	}
	headers, err := parseHeaders(c.Header, e.stdin)
	if err != nil {
		return nil, err
	}
	saDir, api := p.tokens.saDir, p.api
	pieces := orderedData(c)
	var data []byte
	if len(pieces) > 0 {
		if data, err = buildData(pieces, e.stdin); err != nil {
			return nil, err
		}
	}
	jsonBody := false
	for _, piece := range pieces {
		jsonBody = jsonBody || piece.kind == dataJSON
	}
	if c.UploadFile != "" && c.UploadFile != "-" {
		if fi, err := os.Stat(c.UploadFile); err != nil || fi.IsDir() {
			return nil, exitErrorf(exitReadError, "Failed to open/read local data from file %s", c.UploadFile)
		}
	}
	places := placeholders{namespaceFlag: c.Namespace, saDir: saDir, getenv: e.getenv, hostname: e.hostname}
	for i, arg := range c.URLs {
		arg, err := places.expand(arg)
		if err != nil {
			return nil, err
		}
		u, _, err := resolveURL(arg, api)
		if err != nil {
			return nil, err
		}
		t := &transfer{url: u, headers: headers, jsonBody: jsonBody}
		if c.Watch || c.WatchReconnect {
			q := u.Query()
			for k, v := range map[string]string{"watch": "1", "allowWatchBookmarks": "true"} {
				if !q.Has(k) {
					q.Set(k, v)
				}
			}
			u.RawQuery = q.Encode()
			// A watch that starts from the URL's resourceVersion resumes, or is gone, from that one.
			t.watch = &watchTracker{resourceVersion: q.Get("resourceVersion")}
		}
		if i < len(c.Output) {
			t.outFile = c.Output[i]
		}
		switch {
		case c.Get && len(pieces) > 0:
			q := u.RawQuery
			if q != "" {
				q += "&"
			}
			u.RawQuery = q + string(data)
		case c.UploadFile != "":
			t.body = &requestBody{uploadFile: c.UploadFile, stdin: e.stdin}
			if strings.HasSuffix(u.Path, "/") && c.UploadFile != "-" {
				u.Path += filepath.Base(c.UploadFile)
			}
		case len(pieces) > 0:
			t.body = &requestBody{data: data}
		}
		t.method = defaultMethod(c, t.body != nil)
		p.transfers = append(p.transfers, t)
	}
	return p, nil
}

// newConnection is what every command needs to reach the API server: where it is,
// which roots and token to use, and the client that reuses connections.
func newConnection(c *cli, e env) (*plan, error) {
	api, err := discoverAPIServer(c.Server, e.getenv)
	if err != nil {
		return nil, err
	}
	saDir := c.ServiceAccountDir
	if saDir == "" {
		saDir = e.getenv("KCURL_SERVICE_ACCOUNT_DIR")
	}
	if saDir == "" {
		saDir = serviceAccountDir
	}
	procDir := e.procDir
	if procDir == "" {
		procDir = "/proc"
	}
	saNote := ""
	switch {
	case c.FromPID != 0:
		dir, err := serviceAccountOf(procDir, c.FromPID)
		if err != nil {
			return nil, err
		}
		saDir, saNote = dir, fmt.Sprintf("using the service account of PID %d: %s", c.FromPID, dir)
	case c.Token == "" && c.TokenFile == "" && c.OAuth2Bearer == "" && !fileExists(filepath.Join(saDir, "token")):
		// A kubectl debug container has the service environment but no token of its own.
		if pid, dir, ok := findServiceAccount(procDir, os.Getpid()); ok {
			saNote = fmt.Sprintf("no token in %s; using the service account of PID %d: %s", saDir, pid, dir)
			saDir = dir
		}
	}
	for _, typed := range []struct{ value, flag string }{{c.Token, "--token"}, {c.OAuth2Bearer, "--oauth2-bearer"}} {
		if typed.value == "" {
			continue
		}
		if _, _, err := checkToken(strings.TrimSpace(typed.value), typed.flag); err != nil {
			return nil, &exitError{code: exitFailedInit, err: err}
		}
	}
	p := &plan{
		c: c, e: e, api: api, saNote: saNote,
		trust: &trustStore{
			opts: trustOptions{
				insecure: c.Insecure, caFile: c.CACert, serverName: c.TLSServerName,
				certFile: c.Cert, keyFile: c.Key,
			},
			saDir:  saDir,
			getenv: e.getenv,
		},
		tokens: tokenOptions{token: c.Token, tokenFile: c.TokenFile, oauth2: c.OAuth2Bearer, saDir: saDir},
	}
	resolves, err := parseResolves(c.Resolve)
	if err != nil {
		return nil, err
	}
	p.client = &client{p: p, resolves: resolves}
	if e.dialDNS != nil {
		p.client.resolver = &net.Resolver{PreferGo: true, Dial: e.dialDNS}
	}
	return p, nil
}

// call sends one request to the API server and decodes its JSON answer, read up to
// limit bytes, into v: the subcommands' and --all-pages' way in, with the same trust,
// token and error rules as a transfer.
func (p *plan) call(ctx context.Context, out *output, method, path string, body any, limit int64, v any) (*transferInfo, error) {
	u, _, err := resolveURL(path, p.api)
	if err != nil {
		return nil, err
	}
	t := &transfer{url: u, method: method, jsonBody: true}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		t.body = &requestBody{data: b}
	}
	info := &transferInfo{start: time.Now(), method: method, urlEffective: u.String()}
	resp, err := p.send(ctx, t, u, method, t.body, hostPort(u), info, out)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	info.httpCode, info.httpVersion, info.contentType = resp.StatusCode, versionOf(resp), resp.Header.Get("Content-Type")
	out.responseHead(resp)
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	info.sizeDownload = int64(len(b))
	if err != nil {
		return info, p.bodyError(ctx, err, int64(len(b)), info.start, resp)
	}
	if resp.StatusCode >= 300 {
		return info, httpError(resp.StatusCode, decodeStatus(b), info.auth)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return info, exitErrorf(exitRecvError, "the answer to %s is not the JSON expected: %v", path, err)
	}
	return info, nil
}

// review is call for the review APIs, bounded by -m as a transfer is.
func (p *plan) review(ctx context.Context, out *output, path string, body, v any) error {
	ctx, cancel := p.maxTime(ctx)
	defer cancel()
	_, err := p.call(ctx, out, http.MethodPost, path, body, maxAnswerSize, v)
	return err
}

// maxTime bounds ctx by -m, when it is given.
func (p *plan) maxTime(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.c.MaxTime.set && p.c.MaxTime.d > 0 {
		return context.WithTimeout(ctx, p.c.MaxTime.d)
	}
	return ctx, func() {}
}

// maxAnswerSize bounds a review answer; a rules review of a very busy identity is tens of KiB.
const maxAnswerSize = 8 << 20

// defaultMethod is curl's choice of method.
func defaultMethod(c *cli, hasBody bool) string {
	switch {
	case c.Request != "":
		return c.Request
	case c.Head:
		return http.MethodHead
	case c.UploadFile != "":
		return http.MethodPut
	case hasBody:
		return http.MethodPost
	}
	return http.MethodGet
}

// transferInfo is what one transfer did: the -w variables and what -v needs.
type transferInfo struct {
	mu sync.Mutex

	method       string
	urlEffective string
	httpCode     int
	httpVersion  string
	numRedirects int
	remoteIP     string
	remotePort   string
	contentType  string
	header       http.Header
	sizeDownload int64
	sizeUpload   int64
	sizeHeader   int64
	start        time.Time
	namelookup   time.Duration
	connect      time.Duration
	appconnect   time.Duration
	pretransfer  time.Duration
	starttrans   time.Duration
	total        time.Duration
	exitCode     int
	errorMsg     string
	redirectURL  string
	// auth is whether a token went with the last request, for a 401's hint.
	auth authState
	// sendErr is why writing the request failed, if it did: curl's 55, not a receive error.
	sendErr error
}

// client sends requests: two transports, because the API server and every other host
// trust different roots, and both reuse connections across URLs.
type client struct {
	p        *plan
	mu       sync.Mutex
	apiTr    *http.Transport
	otherTr  *http.Transport
	resolver *net.Resolver
	// resolves is --resolve: "host:port" to "addr:port".
	resolves map[string]string
}

// transportFor is the transport (and the roots' description) for u.
func (cl *client) transportFor(u *url.URL) (*http.Transport, string, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	api := isAPIServer(u, cl.p.api)
	var (
		cfg  *tls.Config
		desc string
		err  error
	)
	if u.Scheme == "https" {
		if api {
			cfg, desc, err = cl.p.trust.forAPIServer()
		} else {
			cfg, desc, err = cl.p.trust.forOther()
		}
		if err != nil {
			return nil, "", err
		}
	}
	slot := &cl.otherTr
	if api {
		slot = &cl.apiTr
	}
	if *slot == nil {
		*slot = cl.newTransport(cfg)
	}
	return *slot, desc, nil
}

// close lets go of idle connections, so a run leaves no goroutine or socket behind.
func (cl *client) close() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, tr := range []*http.Transport{cl.apiTr, cl.otherTr} {
		if tr != nil {
			tr.CloseIdleConnections()
		}
	}
}

func (cl *client) newTransport(cfg *tls.Config) *http.Transport {
	c := cl.p.c
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	protos := new(http.Protocols)
	protos.SetHTTP1(true)
	protos.SetHTTP2(!c.HTTP11)
	if c.HTTP11 {
		cfg.NextProtos = []string{"http/1.1"}
	}
	dialer := &net.Dialer{Timeout: c.ConnectTimeout.d, KeepAlive: 30 * time.Second, Resolver: cl.resolver}
	resolves := cl.resolves
	return &http.Transport{
		// HTTP/2: a 1 MiB window bounds what is held unread when stdout is slower (Go's
		// default is 4 MiB), and DATA frames of up to 256 KiB keep four in flight in it.
		// Each frame wakes the body reader once: at the 16 KiB frames net/http asks for
		// by default, 1 GiB from a Go server took 1.6 s and 41,000 context switches;
		// with 256 KiB, 1.1 s and 25,000 (1 MiB frames stall on the window).
		HTTP2: &http.HTTP2Config{MaxReceiveBufferPerStream: 1 << 20, MaxReceiveBufferPerConnection: 1 << 20, MaxReadFrameSize: 256 << 10},
		Proxy: cl.p.proxyFor,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := resolves[strings.ToLower(addr)]; ok {
				addr = to
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     cfg,
		TLSHandshakeTimeout: c.ConnectTimeout.d,
		DisableCompression:  true,
		ForceAttemptHTTP2:   !c.HTTP11,
		Protocols:           protos,
		MaxIdleConnsPerHost: 4,
		// Go's default is 10 MB; no API server sends more than a few KiB of headers.
		MaxResponseHeaderBytes: 1 << 20,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  0,
	}
}

// parseResolves checks --resolve HOST:PORT:ADDR arguments and maps "host:port" to "addr:port".
func parseResolves(args []string) (map[string]string, error) {
	m := map[string]string{}
	for _, a := range args {
		parts := strings.SplitN(a, ":", 3)
		if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
			return nil, exitErrorf(exitFailedInit, "option --resolve: %q is not HOST:PORT:ADDR", a)
		}
		if !validPort(parts[1]) {
			return nil, exitErrorf(exitFailedInit, "option --resolve: %q has a bad port", a)
		}
		addr := strings.TrimSuffix(strings.TrimPrefix(parts[2], "["), "]")
		if net.ParseIP(addr) == nil {
			return nil, exitErrorf(exitFailedInit, "option --resolve: %q: %s is not an IP address", a, parts[2])
		}
		m[strings.ToLower(net.JoinHostPort(parts[0], parts[1]))] = net.JoinHostPort(addr, parts[1])
	}
	return m, nil
}

// proxyFor is curl's proxy choice: -x, else https_proxy/HTTPS_PROXY for https and
// http_proxy for http (curl ignores HTTP_PROXY), else all_proxy; minus NO_PROXY hosts.
func (p *plan) proxyFor(req *http.Request) (*url.URL, error) {
	get := func(names ...string) string {
		for _, n := range names {
			if v := p.e.getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	raw := p.c.Proxy
	if raw == "" {
		if req.URL.Scheme == "https" {
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
	noProxy := p.c.NoProxy
	if noProxy == "" {
		noProxy = get("no_proxy", "NO_PROXY")
	}
	if bypassProxy(req.URL.Hostname(), noProxy) {
		return nil, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, exitErrorf(exitProxyResolve, "Could not resolve proxy: %q is not a proxy URL", raw)
	}
	return u, nil
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

// execute runs every transfer in order, as curl does with several URLs, and exits with
// the code of the last transfer that failed.
func (p *plan) execute(ctx context.Context, out *output) int {
	if p.c.Verbose {
		out.info("%s", describeAPIServer(p.api))
		if p.saNote != "" {
			out.info("%s", p.saNote)
		}
	}
	defer p.client.close()
	code := exitOK
	for _, t := range p.transfers {
		run := p.runTransfer
		switch {
		case p.c.WatchReconnect:
			run = p.watchLoop
		case p.c.AllPages:
			run = p.allPages
		case p.c.Watch:
			run = p.watchLoop
		}
		info, err := run(ctx, t, out)
		if c := p.finish(t, info, err, out); c != exitOK {
			code = c
		}
	}
	return code
}

// finish reports a transfer: -w, then the error line.
func (p *plan) finish(t *transfer, info *transferInfo, err error, out *output) int {
	code := exitOK
	if err != nil {
		code = exitCodeOf(err)
		info.exitCode, info.errorMsg = code, err.Error()
	}
	if werr := p.writeOut.render(info, out); werr != nil && err == nil {
		err, code = werr, exitCodeOf(werr)
	}
	if err != nil {
		out.fail(err)
	}
	return code
}

// retryable reports whether curl's --retry would try again after this outcome.
func (p *plan) retryable(err error, status int) (bool, string) {
	if p.c.RetryAll && (err != nil || (status >= 400 && (p.c.Fail || p.c.FailWithBody))) {
		return true, "retrying all errors"
	}
	if err != nil {
		code := exitCodeOf(err)
		switch {
		case code == exitTimeout, code == exitHostResolve, code == exitProxyResolve:
			// curl counts a name that does not resolve as transient, like a timeout.
			return true, "timeout"
		case code == exitConnect && p.c.RetryConnRef:
			return true, "connection refused"
		}
		return false, ""
	}
	switch status {
	case 408, 429, 500, 502, 503, 504:
		return true, "HTTP error"
	}
	return false, ""
}

// errRetry marks an attempt whose response was transient and not written out.
type errRetry struct {
	status     int
	retryAfter time.Duration
}

func (e *errRetry) Error() string { return fmt.Sprintf("HTTP error %d", e.status) }

// runTransfer makes attempts until one succeeds or curl's retry rules say stop.
func (p *plan) runTransfer(ctx context.Context, t *transfer, out *output) (*transferInfo, error) {
	start := time.Now()
	backoff := time.Second
	for left := p.c.Retry; ; left-- {
		// decide is whether, and after how long, this outcome is tried again.
		decide := func(err error, status int, after time.Duration) (time.Duration, string, bool) {
			retry, why := p.retryable(err, status)
			if left <= 0 || !retry {
				return 0, "", false
			}
			wait := backoff
			if p.c.RetryDelay.set {
				wait = p.c.RetryDelay.d
			}
			if after > 0 {
				wait = after
			}
			if p.c.RetryMaxTime.set && p.c.RetryMaxTime.d > 0 && time.Since(start)+wait > p.c.RetryMaxTime.d {
				return 0, "", false
			}
			return wait, why, true
		}
		info, err := p.attempt(ctx, t, out, func(status int, after time.Duration) bool {
			_, _, ok := decide(nil, status, after)
			return ok
		})
		if err == nil {
			return info, nil
		}
		var held *errRetry
		status, after := 0, time.Duration(0)
		if errors.As(err, &held) {
			status, after, err = held.status, held.retryAfter, nil
		}
		wait, why, ok := decide(err, status, after)
		if !ok {
			return info, err
		}
		if !p.c.RetryDelay.set {
			backoff = min(backoff*2, 10*time.Minute)
		}
		out.warn("problem: %s; will retry in %s seconds, %d retr%s left", why, strconv.FormatFloat(wait.Seconds(), 'f', -1, 64), left, map[bool]string{true: "y", false: "ies"}[left == 1])
		if err := p.e.sleep(ctx, wait); err != nil {
			return info, err
		}
	}
}

// attempt is one try at a transfer, following redirects with -L. holdBack says
// whether a response is transient and will be tried again, so it is not written out.
func (p *plan) attempt(ctx context.Context, t *transfer, out *output, holdBack func(status int, after time.Duration) bool) (*transferInfo, error) {
	info := &transferInfo{start: time.Now(), method: t.method, urlEffective: t.url.String()}
	ctx, cancel := p.maxTime(ctx)
	defer cancel()
	u, method, body := t.url, t.method, t.body
	userAuthHost := hostPort(u)
	sink := out.sink(t.outFile)
	sink.append = t.appendOutput
	defer func() { info.total = time.Since(info.start) }()
	for hop := 0; ; hop++ {
		resp, err := p.send(ctx, t, u, method, body, userAuthHost, info, out)
		if err != nil {
			sink.abort()
			return info, err
		}
		info.httpCode = resp.StatusCode
		info.httpVersion = versionOf(resp)
		info.contentType = resp.Header.Get("Content-Type")
		info.header = resp.Header
		info.sizeHeader += headerSize(resp)
		loc := resp.Header.Get("Location")
		redirect := isRedirect(resp.StatusCode) && loc != ""
		if redirect {
			if next, err := u.Parse(loc); err == nil {
				info.redirectURL = next.String()
			}
		}
		out.responseHead(resp)
		if after := retryAfter(resp.Header.Get("Retry-After"), time.Now()); holdBack(resp.StatusCode, after) {
			drain(resp.Body)
			sink.abort()
			return info, &errRetry{status: resp.StatusCode, retryAfter: after}
		}
		if p.c.Include || p.c.Head {
			if err := writeHead(sink, resp); err != nil {
				resp.Body.Close()
				sink.abort()
				return info, err
			}
		}
		if redirect && p.c.Location {
			drain(resp.Body)
			if p.c.MaxRedirs >= 0 && info.numRedirects >= p.c.MaxRedirs {
				sink.abort()
				return info, exitErrorf(exitTooManyRedirects, "Maximum (%d) redirects followed", p.c.MaxRedirs)
			}
			next, err := u.Parse(loc)
			if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
				sink.abort()
				return info, exitErrorf(exitURLMalformed, "redirect to a bad URL")
			}
			info.numRedirects++
			out.info("Issue another request to this URL: '%s'", next.String())
			if resp.StatusCode == 303 || ((resp.StatusCode == 301 || resp.StatusCode == 302) && method == http.MethodPost) {
				if method != http.MethodHead {
					method = http.MethodGet
				}
				body = nil
			}
			u = next
			info.urlEffective = u.String()
			continue
		}
		failing := resp.StatusCode >= 400 && (p.c.Fail || p.c.FailWithBody)
		if failing && !p.c.FailWithBody {
			status := readStatus(resp.Body)
			resp.Body.Close()
			sink.abort()
			return info, httpError(resp.StatusCode, status, info.auth)
		}
		if p.c.Table.on && resp.StatusCode < 300 {
			err := p.copyTable(ctx, sink, resp)
			if err == nil {
				err = sink.commit()
			} else {
				sink.abort()
			}
			return info, err
		}
		var capture *bytes.Buffer
		if resp.StatusCode >= 300 {
			capture = new(bytes.Buffer)
		}
		n, err := p.copyBody(ctx, sink, resp, out, capture, t.watch)
		info.sizeDownload += n
		if err != nil {
			sink.abort()
			return info, err
		}
		if err := sink.commit(); err != nil {
			return info, err
		}
		var status *apiStatus
		if capture != nil {
			status = decodeStatus(capture.Bytes())
		}
		if failing {
			return info, httpError(resp.StatusCode, status, info.auth)
		}
		if status != nil {
			out.statusNote(resp.StatusCode, status, info.auth)
		}
		return info, nil
	}
}

// send makes one HTTP exchange and returns the response with its body unread.
func (p *plan) send(ctx context.Context, t *transfer, u *url.URL, method string, body *requestBody, userAuthHost string, info *transferInfo, out *output) (*http.Response, error) {
	tr, caDesc, err := p.client.transportFor(u)
	if err != nil {
		return nil, err
	}
	rc, size, err := body.open()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		if rc != nil {
			rc.Close()
		}
		return nil, exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	if rc != nil {
		req.Body, req.ContentLength = rc, size
		if size == 0 {
			req.Body = http.NoBody
		}
		info.sizeUpload = max(size, 0)
	}
	sent, auth, err := p.headersFor(t, req, body != nil, userAuthHost, out)
	info.auth = auth
	if err != nil {
		return nil, err
	}
	trace := p.trace(u, info, out, caDesc, req, sent)
	req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, p.classify(ctx, err, u, info)
	}
	return resp, nil
}

// headersFor sets the request's headers: curl's defaults, the user's -H, the bearer
// token where it may go. It returns them in curl's order for -v, token redacted.
func (p *plan) headersFor(t *transfer, req *http.Request, hasBody bool, userAuthHost string, out *output) ([]headerArg, authState, error) {
	c := p.c
	sameHost := hostPort(req.URL) == userAuthHost
	api := isAPIServer(req.URL, p.api)
	defaults := []headerArg{
		{name: "Host", value: req.URL.Host},
		{name: "User-Agent", value: userAgent(c)},
		{name: "Accept", value: "*/*"},
	}
	switch {
	case c.Table.on:
		defaults[2].value = tableAccept
	case t.jsonBody:
		defaults[2].value = "application/json"
	}
	if c.Compressed {
		defaults = append(defaults, headerArg{name: "Accept-Encoding", value: "deflate, gzip"})
	}
	if hasBody {
		ct := ""
		switch {
		case t.jsonBody:
			ct = "application/json"
		case api && req.Method == http.MethodPatch:
			ct = "application/merge-patch+json"
		case api:
			ct = "application/json"
		case c.UploadFile == "":
			ct = "application/x-www-form-urlencoded"
		}
		if ct != "" {
			defaults = append(defaults, headerArg{name: "Content-Type", value: ct})
		}
	}
	userAuth := false
	var order []headerArg
	set := func(h headerArg) {
		for i := range order {
			if strings.EqualFold(order[i].name, h.name) {
				order[i] = h
				return
			}
		}
		order = append(order, h)
	}
	for _, h := range defaults {
		set(h)
	}
	for _, h := range t.headers {
		// curl sends the user's Authorization and Cookie only to the host they were
		// given for, not across a redirect to another one.
		if !sameHost && (strings.EqualFold(h.name, "Authorization") || strings.EqualFold(h.name, "Cookie")) {
			continue
		}
		if strings.EqualFold(h.name, "Authorization") {
			userAuth = true
		}
		set(h)
	}
	send, why := tokenDecision(req.URL, p.api, c.Insecure, p.tokens.explicit(), userAuth)
	if send && !isAPIServer(t.url, p.api) {
		// A redirect from another host must not borrow the token for the API server.
		send, why = false, "no token sent: the request started at "+t.url.Host+", not at the API server"
	}
	auth := authState{why: why}
	if send {
		token, source, err := p.tokens.read()
		if err != nil {
			return nil, auth, err
		}
		if token == "" {
			auth.why = source
			out.info("%s", source)
		} else {
			auth = authState{sent: true, source: source, claims: decodeClaims(token)}
			out.info("sending the bearer token from %s", source)
			req.Header["Authorization"] = []string{"Bearer " + token}
			auth := headerArg{name: "Authorization", value: "Bearer " + redactedToken}
			order = append(order[:1], append([]headerArg{auth}, order[1:]...)...)
		}
	} else if api || p.tokens.explicit() || c.TokenFile != "" {
		out.info("%s", why)
	}
	var shown []headerArg
	for _, h := range order {
		if h.remove {
			if strings.EqualFold(h.name, "User-Agent") {
				req.Header["User-Agent"] = []string{""}
			}
			continue
		}
		switch {
		case strings.EqualFold(h.name, "Host"):
			req.Host = h.value
		case strings.EqualFold(h.name, "Authorization") && h.value == "Bearer "+redactedToken:
		default:
			req.Header[http.CanonicalHeaderKey(h.name)] = append(req.Header[http.CanonicalHeaderKey(h.name)], h.value)
		}
		shown = append(shown, h)
	}
	return shown, auth, nil
}

func userAgent(c *cli) string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return defaultUserAgent()
}

// defaultUserAgent is kcurl/VERSION, worked out once.
var defaultUserAgent = sync.OnceValue(func() string { return "kcurl/" + buildVersion() })

// trace records timings and writes curl's "* " lines for -v.
func (p *plan) trace(u *url.URL, info *transferInfo, out *output, caDesc string, req *http.Request, sent []headerArg) *httptrace.ClientTrace {
	since := func() time.Duration { return time.Since(info.start) }
	proto := "HTTP/1.1"
	return &httptrace.ClientTrace{
		DNSDone: func(httptrace.DNSDoneInfo) {
			info.mu.Lock()
			info.namelookup = since()
			info.mu.Unlock()
		},
		ConnectStart: func(network, addr string) {
			out.info("  Trying %s...", addr)
		},
		ConnectDone: func(network, addr string, err error) {
			if err != nil {
				return
			}
			info.mu.Lock()
			info.connect = since()
			info.mu.Unlock()
			host, port, _ := net.SplitHostPort(addr)
			out.info("Connected to %s (%s) port %s", u.Hostname(), host, port)
		},
		TLSHandshakeStart: func() {
			if p.c.Insecure {
				out.info("skipping certificate verification (-k)")
			} else {
				out.info(" CAfile: %s", caDesc)
			}
		},
		TLSHandshakeDone: func(st tls.ConnectionState, err error) {
			if err != nil {
				return
			}
			info.mu.Lock()
			info.appconnect = since()
			info.mu.Unlock()
			out.tlsDetails(st, u, p.c)
		},
		GotConn: func(gc httptrace.GotConnInfo) {
			info.mu.Lock()
			info.pretransfer = since()
			if info.connect == 0 {
				info.connect = info.pretransfer
			}
			if ra, ok := gc.Conn.RemoteAddr().(*net.TCPAddr); ok {
				info.remoteIP, info.remotePort = ra.IP.String(), strconv.Itoa(ra.Port)
			}
			info.mu.Unlock()
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
				info.mu.Lock()
				info.sendErr = wi.Err
				info.mu.Unlock()
			}
		},
		GotFirstResponseByte: func() {
			info.mu.Lock()
			info.starttrans = since()
			info.mu.Unlock()
		},
	}
}

// classify turns a transport error into curl's code and words, where it is understood.
func (p *plan) classify(ctx context.Context, err error, u *url.URL, info *transferInfo) error {
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
		return exitErrorf(exitHostResolve, "Could not resolve host: %s%s", u.Hostname(), notInPodHint(p.api, u.Hostname()))
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

func (info *transferInfo) sendError() error {
	info.mu.Lock()
	defer info.mu.Unlock()
	return info.sendErr
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

// bodyError classifies a failure while the body streams in.
func (p *plan) bodyError(ctx context.Context, err error, received int64, start time.Time, resp *http.Response) error {
	switch {
	case ctx.Err() == context.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded):
		if resp.ContentLength > 0 {
			return exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d out of %d bytes received", time.Since(start).Milliseconds(), received, resp.ContentLength)
		}
		return exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d bytes received", time.Since(start).Milliseconds(), received)
	case errors.Is(err, io.ErrUnexpectedEOF):
		if resp.ContentLength > 0 {
			return exitErrorf(exitPartialFile, "transfer closed with %d bytes remaining to read", resp.ContentLength-received)
		}
		return exitErrorf(exitPartialFile, "transfer closed with outstanding read data remaining")
	case errors.Is(err, syscall.ECONNRESET):
		return exitErrorf(exitRecvError, "Recv failure: Connection reset by peer")
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrHeader) || errors.Is(err, gzip.ErrChecksum):
		return exitErrorf(61, "Error while processing content unencoding: %v", err)
	}
	return exitErrorf(exitRecvError, "Recv failure: %v", err)
}

// copyBufferSize is the read size for bodies: large enough for full-speed copies,
// small enough that a watch event is written the moment it arrives.
const copyBufferSize = 128 << 10

// copyBody streams the response body to the sink, decoding --compressed bodies.
// capture, when not nil, keeps the first bytes of the body for a Status.
// watch, when not nil, sees every byte to follow a watch's resourceVersion.
func (p *plan) copyBody(ctx context.Context, sink *bodySink, resp *http.Response, out *output, capture *bytes.Buffer, watch *watchTracker) (int64, error) {
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	counted := &countingReader{r: resp.Body}
	r = counted
	if p.c.Compressed {
		switch strings.ToLower(resp.Header.Get("Content-Encoding")) {
		case "gzip", "x-gzip":
			zr, err := gzip.NewReader(counted)
			if err != nil {
				return counted.n, p.bodyError(ctx, err, counted.n, time.Now(), resp)
			}
			r = zr
		case "deflate":
			zr, err := zlib.NewReader(counted)
			if err != nil {
				return counted.n, p.bodyError(ctx, err, counted.n, time.Now(), resp)
			}
			r = zr
		}
	}
	var w io.Writer = sink
	if p.pretty(resp) {
		w = newPrettyJSON(sink)
	}
	var events *eventWriter
	if watch != nil {
		events = &eventWriter{w: w, watch: watch}
		w = events
	}
	meter := out.meter(resp.ContentLength)
	buf := p.copyBuffer()
	start := time.Now()
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if capture != nil && capture.Len() < maxStatusSize {
				capture.Write(buf[:min(n, maxStatusSize-capture.Len())])
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				meter.done()
				return counted.n, werr
			}
			meter.update(counted.n)
		}
		if rerr == io.EOF {
			meter.done()
			if events != nil {
				if err := events.flush(); err != nil {
					return counted.n, err
				}
			}
			return counted.n, nil
		}
		if rerr != nil {
			meter.done()
			if events != nil && len(events.pending) > 0 {
				out.info("dropped %d bytes of an incomplete watch event", len(events.pending))
			}
			return counted.n, p.bodyError(ctx, rerr, counted.n, start, resp)
		}
	}
}

// eventWriter passes a watch stream on one whole event (line) at a time, so a stream
// that breaks in the middle of an event leaves no half event on stdout, and a resumed
// watch writes each event once; the tracker reads the same whole lines.
type eventWriter struct {
	w       io.Writer
	watch   *watchTracker
	pending []byte
}

func (e *eventWriter) Write(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 && len(e.pending)+len(b) <= maxEventSize {
		e.pending = append(e.pending, b...)
		return len(b), nil
	}
	if i < 0 {
		i = len(b) - 1 // an event too large to hold streams through as it comes
	}
	if len(e.pending) > 0 {
		if err := e.emit(e.pending); err != nil {
			return 0, err
		}
		e.pending = e.pending[:0]
	}
	if err := e.emit(b[:i+1]); err != nil {
		return 0, err
	}
	e.pending = append(e.pending, b[i+1:]...)
	return len(b), nil
}

func (e *eventWriter) emit(b []byte) error {
	e.watch.observe(b)
	_, err := e.w.Write(b)
	return err
}

// flush writes what is left when the server ends the stream cleanly.
func (e *eventWriter) flush() error {
	if len(e.pending) == 0 {
		return nil
	}
	err := e.emit(e.pending)
	e.pending = e.pending[:0]
	return err
}

// pretty decides --pretty: asked for, or by default when a person reads a JSON body
// on a terminal; a watch stays one event per line unless asked.
func (p *plan) pretty(resp *http.Response) bool {
	q := resp.Request.URL.Query().Get("watch")
	return p.wantPretty(isJSONType(resp.Header.Get("Content-Type")), q == "1" || q == "true")
}

func (p *plan) wantPretty(isJSON, watching bool) bool {
	switch {
	case p.c.NoPretty || !isJSON:
		return false
	case p.c.Pretty:
		return true
	}
	return p.e.stdoutIsTerminal && !watching && len(p.c.Output) == 0
}

// copyBuffer is the one body buffer of the run, shared by every transfer in turn.
func (p *plan) copyBuffer() []byte {
	if p.buf == nil {
		p.buf = make([]byte, copyBufferSize)
	}
	return p.buf
}

// countingReader counts the bytes that came over the wire.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func drain(body io.ReadCloser) {
	io.CopyN(io.Discard, body, 64<<10)
	body.Close()
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

func versionOf(resp *http.Response) string {
	if resp.ProtoMajor == 2 {
		return "2"
	}
	return fmt.Sprintf("%d.%d", resp.ProtoMajor, resp.ProtoMinor)
}

// statusLine is the response's first line as curl prints it.
func statusLine(resp *http.Response) string {
	if resp.ProtoMajor == 2 {
		return fmt.Sprintf("HTTP/2 %d ", resp.StatusCode)
	}
	return fmt.Sprintf("HTTP/%d.%d %s", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
}

// sortedHeaderNames is the order kcurl prints response headers in: Go's client keeps
// no wire order, so names are sorted, which is also the order Go servers send.
func sortedHeaderNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// headerName is how a header's name is printed: lower case on HTTP/2, as curl.
func headerName(resp *http.Response, k string) string {
	if resp.ProtoMajor == 2 {
		return strings.ToLower(k)
	}
	return k
}

// headerSize is size_header: the status line and header lines with CRLFs.
func headerSize(resp *http.Response) int64 {
	n := int64(len(statusLine(resp)) + 2 + 2)
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

// userInfo is the API server's view of the caller, from a SelfSubjectReview.
type userInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra"`
}

// selfSubjectReview asks the API server who the caller is.
func (p *plan) selfSubjectReview(ctx context.Context, out *output) (*userInfo, error) {
	var answer struct {
		Status struct {
			UserInfo userInfo `json:"userInfo"`
		} `json:"status"`
	}
	req := map[string]string{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
	if err := p.review(ctx, out, "/apis/authentication.k8s.io/v1/selfsubjectreviews", req, &answer); err != nil {
		return nil, err
	}
	return &answer.Status.UserInfo, nil
}

// accessAttributes is a SelfSubjectAccessReview's spec for can-i's arguments: a path
// is a non-resource URL; "deployments.apps" names its group; "pods/log" its subresource.
func accessAttributes(verb, resource, name, subresource, group, namespace string) map[string]any {
	if strings.HasPrefix(resource, "/") {
		return map[string]any{"nonResourceAttributes": map[string]string{"path": resource, "verb": verb}}
	}
	if r, sub, ok := strings.Cut(resource, "/"); ok {
		resource, subresource = r, sub
	}
	if r, g, ok := strings.Cut(resource, "."); ok && group == "" {
		resource, group = r, g
	}
	return map[string]any{"resourceAttributes": map[string]string{
		"namespace": namespace, "verb": verb, "group": group,
		"resource": resource, "subresource": subresource, "name": name,
	}}
}

// selfSubjectAccess asks whether the caller may do what spec says.
func (p *plan) selfSubjectAccess(ctx context.Context, out *output, spec map[string]any) (bool, string, error) {
	var answer struct {
		Status struct {
			Allowed bool   `json:"allowed"`
			Denied  bool   `json:"denied"`
			Reason  string `json:"reason"`
		} `json:"status"`
	}
	req := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
	if err := p.review(ctx, out, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", req, &answer); err != nil {
		return false, "", err
	}
	return answer.Status.Allowed && !answer.Status.Denied, answer.Status.Reason, nil
}

// rulesReview is a SelfSubjectRulesReview's answer.
type rulesReview struct {
	ResourceRules []struct {
		Verbs         []string `json:"verbs"`
		APIGroups     []string `json:"apiGroups"`
		Resources     []string `json:"resources"`
		ResourceNames []string `json:"resourceNames"`
	} `json:"resourceRules"`
	NonResourceRules []struct {
		Verbs           []string `json:"verbs"`
		NonResourceURLs []string `json:"nonResourceURLs"`
	} `json:"nonResourceRules"`
	Incomplete      bool   `json:"incomplete"`
	EvaluationError string `json:"evaluationError"`
}

// selfSubjectRules lists what the caller may do in namespace.
func (p *plan) selfSubjectRules(ctx context.Context, out *output, namespace string) (*rulesReview, error) {
	var answer struct {
		Status rulesReview `json:"status"`
	}
	req := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": map[string]string{"namespace": namespace}}
	if err := p.review(ctx, out, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", req, &answer); err != nil {
		return nil, err
	}
	return &answer.Status, nil
}

// maxEventSize bounds the one watch event kcurl holds to read its resourceVersion; a
// larger event still streams out, it only is not followed.
const maxEventSize = 8 << 20

// watchTracker reads the watch events going by, one per line, for the last
// resourceVersion and for the 410 that ends a watch for good.
type watchTracker struct {
	line            []byte
	overflow        bool
	resourceVersion string
	gone            bool
	events          int
}

func (w *watchTracker) observe(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.keep(b)
			return
		}
		w.keep(b[:i])
		w.event()
		b = b[i+1:]
	}
}

func (w *watchTracker) keep(b []byte) {
	if w.overflow || len(w.line)+len(b) > maxEventSize {
		w.overflow, w.line = true, w.line[:0]
		return
	}
	w.line = append(w.line, b...)
}

// event reads one complete line.
func (w *watchTracker) event() {
	defer func() { w.line, w.overflow = w.line[:0], false }()
	if w.overflow || len(bytes.TrimSpace(w.line)) == 0 {
		return
	}
	var ev struct {
		Type   string `json:"type"`
		Object struct {
			Code     int `json:"code"`
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		} `json:"object"`
	}
	if json.Unmarshal(w.line, &ev) != nil {
		return
	}
	w.events++
	switch {
	case ev.Type == "ERROR" && ev.Object.Code == http.StatusGone:
		w.gone = true
	case ev.Type != "ERROR" && ev.Object.Metadata.ResourceVersion != "":
		w.resourceVersion = ev.Object.Metadata.ResourceVersion
	}
}

// watchLoop is --watch: a 410 that says the version is gone ends it with a message;
// with --watch-reconnect a watch that the server ends, or that breaks, starts again from
// the last resourceVersion seen (the token read afresh), until --max-time, a signal or
// an HTTP error.
func (p *plan) watchLoop(ctx context.Context, t *transfer, out *output) (*transferInfo, error) {
	ctx, cancel := p.maxTime(ctx)
	defer cancel()
	for {
		t.watch.line, t.watch.overflow = t.watch.line[:0], false
		info, err := p.runTransfer(ctx, t, out)
		if t.watch.gone || info.httpCode == http.StatusGone {
			gone := exitErrorf(exitHTTPError, "watch: resourceVersion %s is gone (410): list again, then watch from the list's resourceVersion", t.watch.resourceVersion)
			if p.c.Fail || p.c.FailWithBody {
				return info, gone
			}
			out.warn("%s", gone.err)
			return info, nil
		}
		if !p.c.WatchReconnect || ctx.Err() != nil || !watchBroke(err) || info.httpCode >= 300 {
			return info, err
		}
		why := "the server ended it"
		if err != nil {
			why = err.Error()
		}
		if t.watch.resourceVersion != "" {
			q := t.url.Query()
			q.Set("resourceVersion", t.watch.resourceVersion)
			t.url.RawQuery = q.Encode()
		}
		t.appendOutput = true
		out.info("watch ended (%s); reconnecting from resourceVersion %q", why, t.watch.resourceVersion)
		if err := p.e.sleep(ctx, time.Second); err != nil {
			return info, err
		}
	}
}

// watchBroke reports an ending a watch can resume from: the server closing it, the
// connection breaking, or the server not answering for a moment.
func watchBroke(err error) bool {
	if err == nil {
		return true
	}
	switch exitCodeOf(err) {
	case exitConnect, exitPartialFile, exitEmptyReply, exitRecvError:
		return true
	}
	return false
}

// tableAccept asks the API server for a Table, falling back to JSON, as kubectl get does.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// tableFlag is --table or --table=wide.
type tableFlag struct{ on, wide bool }

// IsBool lets --table stand alone.
func (t *tableFlag) IsBool() bool { return true }

// Decode implements kong.MapperValue: only an attached "=wide" is a value.
func (t *tableFlag) Decode(ctx *kong.DecodeContext) error {
	t.on = true
	if tok := ctx.Scan.Peek(); tok.Type == kong.FlagValueToken {
		ctx.Scan.Pop()
		switch v := fmt.Sprint(tok.Value); v {
		case "wide":
			t.wide = true
		case "true", "":
		default:
			return &badValueError{why: "expected nothing or =wide"}
		}
	}
	return nil
}

// maxTableSize bounds a Table kcurl holds to align its columns, as kubectl holds it.
const maxTableSize = 256 << 20

// copyTable prints a Table answer as kubectl get does; anything else goes out as it came.
func (p *plan) copyTable(ctx context.Context, sink *bodySink, resp *http.Response) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTableSize))
	if err != nil {
		return p.bodyError(ctx, err, int64(len(b)), time.Now(), resp)
	}
	var tbl table
	if !isJSONType(resp.Header.Get("Content-Type")) || json.Unmarshal(b, &tbl) != nil || tbl.Kind != "Table" {
		_, err := sink.Write(b)
		return err
	}
	if len(tbl.Rows) == 0 {
		if !p.c.Silent {
			io.WriteString(p.e.stderr, "No resources found.\n")
		}
		return nil
	}
	return writeTable(sink, &tbl, p.c.Table.wide)
}

// table is a meta.k8s.io/v1 Table.
type table struct {
	Kind    string `json:"kind"`
	Columns []struct {
		Name     string `json:"name"`
		Priority int    `json:"priority"`
	} `json:"columnDefinitions"`
	Rows []struct {
		Cells []any `json:"cells"`
	} `json:"rows"`
}

// pageLimit is the page size --all-pages asks for when the URL sets none, kubectl's chunk size.
const pageLimit = "500"

// maxPageSize bounds one page; only one page is held at a time.
const maxPageSize = 512 << 20

// listPage is one page of a List: its items are kept as the server wrote them.
type listPage struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion"`
		Continue        string `json:"continue"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// allPages is --all-pages: it follows metadata.continue and writes one List whose items
// are written page by page, so memory holds one page, never the whole list.
func (p *plan) allPages(ctx context.Context, t *transfer, out *output) (*transferInfo, error) {
	sink := out.sink(t.outFile)
	var w io.Writer = sink
	if p.wantPretty(true, false) {
		w = newPrettyJSON(sink)
	}
	q := t.url.Query()
	if !q.Has("limit") {
		q.Set("limit", pageLimit)
	}
	var info *transferInfo
	var total int64
	items := 0
	for page := 0; ; page++ {
		u := *t.url
		u.RawQuery = q.Encode()
		var lp listPage
		var err error
		info, err = p.call(ctx, out, http.MethodGet, u.RequestURI(), nil, maxPageSize, &lp)
		if info != nil {
			total += info.sizeDownload
		}
		if err != nil {
			sink.abort()
			return info, err
		}
		if page == 0 {
			// The API server's own field order, so the merged List reads like one page.
			kind, _ := json.Marshal(lp.Kind)
			apiVersion, _ := json.Marshal(lp.APIVersion)
			rv, _ := json.Marshal(lp.Metadata.ResourceVersion)
			head := `{"kind":` + string(kind) + `,"apiVersion":` + string(apiVersion) + `,"metadata":{"resourceVersion":` + string(rv) + `},"items":[`
			if _, err := io.WriteString(w, head); err != nil {
				sink.abort()
				return info, err
			}
		}
		for _, it := range lp.Items {
			if items > 0 {
				it = append([]byte{','}, it...)
			}
			items++
			if _, err := w.Write(it); err != nil {
				sink.abort()
				return info, err
			}
		}
		out.info("page %d: %d items", page+1, len(lp.Items))
		if lp.Metadata.Continue == "" {
			break
		}
		q.Set("continue", lp.Metadata.Continue)
	}
	if _, err := w.Write([]byte("]}\n")); err != nil {
		sink.abort()
		return info, err
	}
	info.sizeDownload = total
	info.total = time.Since(info.start)
	return info, sink.commit()
}
