package main

// The HTTP/1.1 exchange kcurl owns for http:// URLs. net/http writes the request's
// headers in an order and case of its own, reorders and merges the response head,
// drops 1xx responses, and refuses a malformed reply with its own words; curl shows
// and checks those bytes, and scripts (and curl's own test suite) depend on them. Here
// the request goes out exactly as headersFor lists it, and the response head is read
// line by line, kept as received for -i and -v, and checked as curl 7.88 checks it.
// HTTPS (TLS and HTTP/2) stays with net/http.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxHeaderLine is curl's limit on one response header line (CURL_MAX_HTTP_HEADER);
// maxHeadSize bounds a whole head.
const (
	maxHeaderLine = 100 << 10
	maxHeadSize   = 300 << 10
)

// http1Pool keeps one idle connection per address, so several URLs to one host reuse
// it, as curl does.
type http1Pool struct {
	mu   sync.Mutex
	idle map[string]*http1Conn
}

// http1Conn is a connection and its reader.
type http1Conn struct {
	conn net.Conn
	br   *bufio.Reader
	// http10 is a last response in HTTP/1.0: curl asks the next request on it so too.
	http10 bool
}

// get is the idle connection to addr, if it is still open: a server may close an idle
// connection at any time, and a request sent on it would be lost (curl checks too).
func (p *http1Pool) get(addr string) *http1Conn {
	p.mu.Lock()
	c := p.idle[addr]
	delete(p.idle, addr)
	p.mu.Unlock()
	if c == nil {
		return nil
	}
	c.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, err := c.br.Peek(1)
	c.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return c // nothing to read and not closed: alive
	}
	c.conn.Close() // closed by the server, or bytes nobody asked for
	return nil
}

// answeredHTTP10 reports whether the next request to addr goes on an idle connection
// whose last response was HTTP/1.0 (checked alive, as get does, only then).
func (p *http1Pool) answeredHTTP10(addr string) bool {
	p.mu.Lock()
	c := p.idle[addr]
	p.mu.Unlock()
	if c == nil || !c.http10 {
		return false
	}
	if c = p.get(addr); c == nil {
		return false
	}
	p.put(addr, c)
	return true
}

func (p *http1Pool) put(addr string, c *http1Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle == nil {
		p.idle = map[string]*http1Conn{}
	}
	if old := p.idle[addr]; old != nil {
		old.conn.Close()
	}
	p.idle[addr] = c
}

func (p *http1Pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, c := range p.idle {
		c.conn.Close()
		delete(p.idle, k)
	}
}

// http1Request is one request as it goes on the wire.
type http1Request struct {
	req *http.Request
	// proxy, when set, gets the request with the absolute URL, as curl sends it.
	proxy *url.URL
	// target, when set, is the request target as the user wrote it.
	target string
	// http10 sends HTTP/1.0 on the request line (--http1.0).
	http10 bool
	// reopen gives the body afresh, to send the request again on a new connection.
	reopen  func() (io.ReadCloser, int64, error)
	headers []headerArg
	body    io.ReadCloser
	// size is the body's length; -1 sends it chunked.
	size int64
	// bodySent is how many bytes the body took on the wire, chunk framing included,
	// once it has gone: curl's %{size_upload} of a chunked body.
	bodySent int64
	// expectTimeout is how long an Expect: 100-continue waits before the body goes anyway.
	expectTimeout time.Duration
	trace         *httptrace.ClientTrace
}

// wireHead is a response head as it came: the 1xx heads before it, its own bytes, and
// the trailer after a chunked body.
type wireHead struct {
	informational []byte
	final         []byte
	trailer       []byte
	// lines are the final head's lines without line endings, for -v.
	lines []string
}

// wireHeadOf is the head as received of a response kcurl read itself, or nil for one
// from net/http; it travels with the body, the one field http.Response leaves to it.
func wireHeadOf(resp *http.Response) *wireHead {
	if b, ok := resp.Body.(*http1Body); ok {
		return b.head
	}
	return nil
}

// roundTripHTTP1 sends r over a new or idle connection and returns the response with
// its body unread.
func (t *transports) roundTripHTTP1(ctx context.Context, r *http1Request) (*http.Response, error) {
	addr := http1Addr(r.req.URL, r.proxy)
	c := t.h1.get(addr)
	reused := c != nil
	if c == nil {
		nc, err := t.dial(ctx, "tcp", addr)
		if err != nil {
			if r.body != nil {
				r.body.Close()
			}
			if r.proxy != nil {
				// As net/http marks it, so that classify names the proxy (curl's 5).
				err = &net.OpError{Op: "proxyconnect", Net: "tcp", Err: err}
			}
			return nil, err
		}
		c = &http1Conn{conn: nc, br: bufio.NewReaderSize(nc, maxHeaderLine+2)}
	}
	if r.trace != nil && r.trace.GotConn != nil {
		r.trace.GotConn(httptrace.GotConnInfo{Conn: c.conn, Reused: reused})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	resp, err := exchangeHTTP1(c, r)
	if err != nil && reused && staleConnection(err) && r.reopen != nil {
		// The server closed the idle connection as the request went out: curl sends it
		// again on a new one.
		stop()
		c.conn.Close()
		if r.body, _, err = r.reopen(); err != nil {
			return nil, err
		}
		return t.roundTripHTTP1(ctx, r)
	}
	if err != nil {
		stop()
		c.conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	c.http10 = resp.ProtoMinor == 0
	body := resp.Body.(*http1Body)
	body.release = func(reuse bool) {
		stop()
		if reuse && ctx.Err() == nil {
			t.h1.put(addr, c)
			return
		}
		c.conn.Close()
	}
	return resp, nil
}

// http1Addr is where a request to u goes: the proxy, when there is one.
func http1Addr(u, proxy *url.URL) string {
	if proxy != nil {
		return hostPort(proxy)
	}
	return hostPort(u)
}

// staleConnection is how a request on an idle connection the server has closed fails:
// nothing came back, or the write or read was reset.
func staleConnection(err error) bool {
	code := exitCodeOf(err)
	return code == exitEmptyReply || code == exitSendError || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// exchangeHTTP1 writes the request, waits for 100 Continue when it asked for one, and
// reads the response head.
func exchangeHTTP1(c *http1Conn, r *http1Request) (*http.Response, error) {
	bw := bufio.NewWriterSize(c.conn, 16<<10)
	bw.WriteString(requestLine(r))
	for _, h := range r.headers {
		switch {
		case h.remove:
		case h.value == "":
			bw.WriteString(h.name + ":\r\n") // curl's "Name;" form
		default:
			bw.WriteString(h.name + ": " + h.value + "\r\n")
		}
	}
	bw.WriteString("\r\n")
	expect := r.body != nil && hasHeader(r.headers, "Expect", "100-continue")
	var early *http.Response
	var info bytes.Buffer
	if r.body != nil {
		if expect {
			if err := bw.Flush(); err != nil {
				r.body.Close()
				return nil, sendErr(err)
			}
			resp, err := awaitContinue(c, r, &info)
			if err != nil {
				r.body.Close()
				return nil, err
			}
			early = resp
		}
		if early == nil {
			cw := &wireCounter{w: bw}
			err := writeBody(cw, r.body, !hasHeader(r.headers, "Transfer-Encoding", "chunked"))
			r.bodySent = cw.n
			if err != nil {
				return nil, sendErr(err)
			}
		} else {
			r.body.Close()
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, sendErr(err)
	}
	if r.trace != nil && r.trace.WroteRequest != nil {
		r.trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	if early != nil {
		// The body it did not want was not sent: the connection cannot go on.
		early.Body.(*http1Body).reusable = false
		return early, nil
	}
	return readResponse(c.br, r, &info)
}

// awaitContinue waits for the server's answer to Expect: 100-continue: a 100 (the body
// goes), a final response (it does not), or nothing in time (it goes anyway, as curl).
func awaitContinue(c *http1Conn, r *http1Request, info *bytes.Buffer) (*http.Response, error) {
	c.conn.SetReadDeadline(time.Now().Add(r.expectTimeout))
	_, err := c.br.Peek(1)
	c.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil, nil
	}
	if err != nil {
		return nil, readErr(err)
	}
	head, err := readHead(c.br, r.trace)
	if err != nil {
		return nil, err
	}
	if head.code < 200 {
		info.Write(head.raw)
		return nil, nil
	}
	return responseFrom(c.br, r, head, info)
}

func requestLine(r *http1Request) string {
	target := onTheWire(r.req.URL).RequestURI()
	if r.target != "" {
		target = r.target
	}
	if r.proxy != nil {
		u := *r.req.URL
		u.Fragment, u.RawFragment = "", ""
		if u.Path == "" {
			u.Path = "/" // curl's absolute target always has a path
		}
		target = urlText(&u)
	}
	if r.http10 {
		return r.req.Method + " " + target + " HTTP/1.0\r\n"
	}
	return r.req.Method + " " + target + " HTTP/1.1\r\n"
}

func hasHeader(headers []headerArg, name, value string) bool {
	for _, h := range headers {
		if strings.EqualFold(h.name, name) && !h.remove && strings.EqualFold(h.value, value) {
			return true
		}
	}
	return false
}

// writeBody sends the body as it is, or chunked when the request says so (its length
// unknown, or the user's -H Transfer-Encoding: chunked).
func writeBody(bw io.Writer, body io.ReadCloser, plain bool) error {
	defer body.Close()
	if plain {
		_, err := io.Copy(bw, body)
		return err
	}
	w := httputil.NewChunkedWriter(bw)
	if _, err := io.Copy(w, body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(bw, "\r\n")
	return err
}

// wireCounter counts the bytes written through it.
type wireCounter struct {
	w io.Writer
	n int64
}

func (c *wireCounter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func sendErr(err error) error {
	return exitErrorf(exitSendError, "Send failure: %s", sendFailure(err))
}

// readErr is a failure before a whole head arrived: nothing at all is curl's 52.
func readErr(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return exitErrorf(exitEmptyReply, "Empty reply from server")
	}
	return err
}

// headError is a response head refused part way: curl has written the lines before
// the bad one (with -i) when it stops, and so does kcurl.
type headError struct {
	err     error
	partial []byte
}

func (e *headError) Error() string { return e.err.Error() }
func (e *headError) Unwrap() error { return e.err }

// headBefore is raw up to its first line starting with prefix (any case).
func headBefore(raw []byte, prefix string) []byte {
	for i := 0; i < len(raw); {
		end := bytes.IndexByte(raw[i:], '\n')
		if end < 0 {
			break
		}
		if bytes.HasPrefix(bytes.ToLower(raw[i:i+end]), []byte(prefix)) {
			return raw[:i]
		}
		i += end + 1
	}
	return raw
}

// parsedHead is one response head.
type parsedHead struct {
	raw    []byte
	lines  []string
	minor  int
	code   int
	status string
	header http.Header
}

// readHead reads one response head as curl does: a status line "HTTP/1.x NNN reason"
// (anything else is HTTP/0.9, which curl 7.88 refuses with 1), header lines ended by
// CRLF or a bare LF, a NUL refused with 8.
func readHead(br *bufio.Reader, trace *httptrace.ClientTrace) (*parsedHead, error) {
	h := &parsedHead{header: http.Header{}}
	first := true
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || len(line) > maxHeaderLine {
			return nil, exitErrorf(exitOutOfMemory, "Too large response headers")
		}
		if first && len(line) > 0 && trace != nil && trace.GotFirstResponseByte != nil {
			trace.GotFirstResponseByte()
		}
		if err != nil {
			if len(h.raw) == 0 && len(line) == 0 {
				return nil, readErr(err)
			}
			if first {
				return nil, exitErrorf(exitUnsupportedProtocol, "Received HTTP/0.9 when not allowed")
			}
			return nil, exitErrorf(exitRecvError, "Recv failure: the connection closed inside the response head")
		}
		h.raw = append(h.raw, line...)
		if len(h.raw) > maxHeadSize {
			return nil, exitErrorf(exitOutOfMemory, "Too large response headers")
		}
		text := strings.TrimRight(string(line), "\r\n")
		if first {
			if err := h.parseStatus(text); err != nil {
				return nil, err
			}
			first = false
			h.lines = append(h.lines, text)
			continue
		}
		if text == "" {
			return h, nil
		}
		if strings.IndexByte(text, 0) >= 0 {
			return nil, &headError{err: exitErrorf(exitWeirdReply, "Nul byte in header"), partial: h.raw[:len(h.raw)-len(line)]}
		}
		if !strings.Contains(text, ":") && text[0] != ' ' && text[0] != '\t' {
			return nil, &headError{err: exitErrorf(exitWeirdReply, "Header without colon"), partial: h.raw[:len(h.raw)-len(line)]}
		}
		h.lines = append(h.lines, text)
		if name, value, ok := strings.Cut(text, ":"); ok && validHeaderName(name) {
			key := http.CanonicalHeaderKey(name)
			h.header[key] = append(h.header[key], strings.Trim(value, " \t"))
		}
	}
}

// parseStatus reads "HTTP/1.1 200 OK"; curl 7.88 takes any code from 100 to 999.
func (h *parsedHead) parseStatus(line string) error {
	rest, ok := strings.CutPrefix(line, "HTTP/1.")
	if !ok || len(rest) < 5 || (rest[0] != '0' && rest[0] != '1') || rest[1] != ' ' {
		return exitErrorf(exitUnsupportedProtocol, "Received HTTP/0.9 when not allowed")
	}
	h.minor = int(rest[0] - '0')
	digits := rest[2:5]
	code, err := strconv.Atoi(digits)
	if err != nil || digits[0] == '+' || digits[0] == '-' || (len(rest) > 5 && rest[5] != ' ') {
		return exitErrorf(exitUnsupportedProtocol, "Received HTTP/0.9 when not allowed")
	}
	if code < 100 {
		return exitErrorf(exitUnsupportedProtocol, "Unsupported response code in HTTP response")
	}
	h.code, h.status = code, rest[2:]
	return nil
}

// readResponse reads heads until a final one (1xx heads are kept for -i) and frames its body.
func readResponse(br *bufio.Reader, r *http1Request, info *bytes.Buffer) (*http.Response, error) {
	for {
		head, err := readHead(br, r.trace)
		if err != nil {
			return nil, err
		}
		if head.code >= 100 && head.code < 200 && head.code != 101 {
			info.Write(head.raw)
			continue
		}
		return responseFrom(br, r, head, info)
	}
}

// responseFrom makes the http.Response of a final head, with its body framed as RFC 9112
// says: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; else up to the close.
func responseFrom(br *bufio.Reader, r *http1Request, head *parsedHead, info *bytes.Buffer) (*http.Response, error) {
	resp := &http.Response{
		Status: head.status, StatusCode: head.code, Proto: "HTTP/1." + strconv.Itoa(head.minor),
		ProtoMajor: 1, ProtoMinor: head.minor, Header: head.header, Request: r.req, ContentLength: -1,
	}
	wh := &wireHead{informational: bytes.Clone(info.Bytes()), final: head.raw, lines: head.lines}
	body := &http1Body{head: wh}
	resp.Body = body
	connClose := headerHasToken(head.header, "Connection", "close") || (head.minor == 0 && !headerHasToken(head.header, "Connection", "keep-alive"))
	if len(tokens(head.header["Transfer-Encoding"])) > maxEncodings {
		return nil, exitErrorf(exitBadContentEncoding, "Reject response due to more than %d content encodings", maxEncodings)
	}
	length, err := contentLength(head.header)
	if err != nil {
		return nil, &headError{err: err, partial: headBefore(head.raw, "content-length:")}
	}
	switch {
	case r.req.Method == http.MethodHead || head.code < 200 || head.code == 204 || head.code == 304:
		resp.ContentLength = max(length, -1)
		body.r, body.bounded = eofReader{}, true
		if r.req.Method == http.MethodHead || head.code == 204 || head.code == 304 {
			resp.ContentLength = 0
		}
	case headerHasToken(head.header, "Transfer-Encoding", "chunked"):
		body.r, body.bounded, body.br = httputil.NewChunkedReader(br), true, br
	case length >= 0:
		resp.ContentLength = length
		body.r, body.bounded = &exactReader{r: io.LimitReader(br, length), left: length}, true
	default:
		body.r, connClose = br, true
	}
	body.reusable = !connClose
	return resp, nil
}

// contentLength is the Content-Length, -1 when there is none; a bad one, or two that
// differ, is curl's 8 (curl 8's rule: 7.88 took the last of two that differ).
func contentLength(h http.Header) (int64, error) {
	values := h["Content-Length"]
	if len(values) == 0 {
		return -1, nil
	}
	n := int64(-1)
	for _, v := range values {
		m, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(v), "-") {
			return -1, nil // past 2^63: curl reads to the close, as without a length
		}
		if err != nil || m < 0 || strings.HasPrefix(strings.TrimSpace(v), "+") || (n >= 0 && m != n) {
			return 0, exitErrorf(exitWeirdReply, "Invalid Content-Length: value")
		}
		n = m
	}
	return n, nil
}

// maxEncodings is curl's limit on stacked encodings in a response.
const maxEncodings = 5

// tokens are the comma-separated items of header values.
func tokens(values []string) []string {
	var out []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// headerHasToken reports whether a comma-separated header holds token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// http1Body is a response body read by kcurl: it hands the connection back for reuse
// when the body was read to its end, and closes it otherwise.
type http1Body struct {
	r    io.Reader
	head *wireHead
	// br is the reader a chunked body's trailer is read from.
	br       *bufio.Reader
	bounded  bool
	reusable bool
	done     bool
	release  func(reuse bool)
	closed   bool
}

func (b *http1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		if b.br != nil {
			if terr := b.readTrailer(); terr != nil {
				return n, terr
			}
		}
		b.done = true
	}
	return n, err
}

// readTrailer reads the trailer section after the last chunk, kept for -i as curl shows it.
func (b *http1Body) readTrailer() error {
	for {
		line, err := b.br.ReadSlice('\n')
		if err != nil {
			return io.ErrUnexpectedEOF
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return nil
		}
		b.head.trailer = append(b.head.trailer, line...)
	}
}

func (b *http1Body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if b.release != nil {
		b.release(b.reusable && b.done)
	}
	return nil
}

// eofReader is an empty body.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// exactReader is a Content-Length body: ending early is io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, io.EOF
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		return n, io.ErrUnexpectedEOF
	}
	if e.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// basicAuth is the Authorization value for user:password.
func basicAuth(userinfo string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userinfo))
}

// proxyAuthorization is the Proxy-Authorization header for a proxy URL's user, if any.
func proxyAuthorization(proxy *url.URL) (headerArg, bool) {
	if proxy == nil || proxy.User == nil {
		return headerArg{}, false
	}
	user := proxy.User.Username()
	pass, _ := proxy.User.Password()
	user, _ = url.PathUnescape(user)
	return headerArg{name: "Proxy-Authorization", value: basicAuth(user + ":" + pass), shown: "Basic " + redactedToken, builtin: true}, true
}
