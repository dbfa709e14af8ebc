package main

// The transfer loop, read as curl's own: build the transfer (request.go), exchange
// (send, follow redirects), decide (retry or not), deliver (head, body, -f), report
// (-w, the error line).

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runMode is what a run does with each URL; conflicting flags are refused before it
// is chosen (chooseMode).
type runMode int

const (
	modeTransfer       runMode = iota // each URL once, as curl
	modeWatch                         // --watch: one watch per URL
	modeWatchReconnect                // --watch-reconnect: a watch resumed until -m or a signal
	modeAllPages                      // --all-pages: one List from every page
)

// deliverOptions say what is done with a response.
type deliverOptions struct {
	// include is -i or -I: the head goes out before the body.
	include      bool
	fail         bool
	failWithBody bool
	table        tableFlag
	pretty       bool
	noPretty     bool
	compressed   bool
	// outputGiven is any -o: the body is not for a person's eyes then.
	outputGiven      bool
	stdoutIsTerminal bool
	// jsonPath is --jsonpath: a 2xx body is printed through it.
	jsonPath          *jsonPath
	jsonPathFailEmpty bool
	// maxFilesize is --max-filesize (0: none); limitRate --limit-rate in bytes a second.
	maxFilesize int64
	limitRate   int64
	// etagSave is --etag-save's file.
	etagSave string
	// speedLimit and speedTime are --speed-limit and --speed-time.
	speedLimit int64
	speedTime  time.Duration
	// remoteHeaderName is -J: an -O file takes Content-Disposition's name.
	remoteHeaderName bool
}

// failing reports whether a status fails the transfer (-f, --fail-with-body).
func (d deliverOptions) failing(status int) bool {
	return status >= 400 && (d.fail || d.failWithBody)
}

// wantPretty decides --pretty: asked for, or by default when a person reads a JSON
// body on a terminal; a watch stays one event per line unless asked.
func (d deliverOptions) wantPretty(isJSON, watching bool) bool {
	switch {
	case d.noPretty || !isJSON:
		return false
	case d.pretty:
		return true
	}
	return d.stdoutIsTerminal && !watching && !d.outputGiven
}

// maxRedirectsUnlimited is where --max-redirs -1 stops.
const maxRedirectsUnlimited = 1000

// redirectPolicy is -L, --max-redirs and --post301/302/303.
type redirectPolicy struct {
	follow bool
	// max is --max-redirs; -1 means no limit.
	max                       int
	post301, post302, post303 bool
	// protocols are the schemes a redirect may lead to (--proto-redir).
	protocols protocolSet
}

// mayFollow is why a redirect after followed ones is not followed (--max-redirs), if it is not.
func (p redirectPolicy) mayFollow(followed int) error {
	max := p.max
	if max < 0 {
		// --max-redirs -1 is curl's "no limit"; a server that redirects forever still
		// meets an end.
		max = maxRedirectsUnlimited
	}
	if followed >= max {
		return exitErrorf(exitTooManyRedirects, "Maximum (%d) redirects followed", max)
	}
	return nil
}

// allows is why a redirect may not lead to next (--proto-redir, or a scheme kcurl
// does not speak), if it may not.
func (p redirectPolicy) allows(next *url.URL) error {
	if p.protocols != nil && !p.protocols[next.Scheme] || next.Scheme != "http" && next.Scheme != "https" {
		return exitErrorf(exitUnsupportedProtocol, "Protocol %q not supported or disabled in libcurl", next.Scheme)
	}
	return nil
}

// resolveLocation is the URL a Location leads to from u, read as curl reads it.
func resolveLocation(u *url.URL, location string) (*url.URL, error) {
	loc := location
	if strings.HasPrefix(loc, "//") {
		loc = u.Scheme + ":" + loc // curl joins a scheme-relative Location so, then reads its slashes
	}
	loc, ok := schemeSlashes(loc)
	if !ok {
		return nil, badLocation("Unsupported number of slashes following scheme")
	}
	next, err := parseLocation(u, escapeLocation(loc))
	if err != nil || next.Hostname() == "" || next.Port() != "" && !validPort(next.Port()) {
		return nil, badLocation(locationProblem(loc))
	}
	if next.Path == "" {
		next.Path = "/" // as curl's URL parser: http://host?q is http://host/?q
	}
	return next, nil
}

// parseLocation is u.Parse(loc), except that the path of a Location with a host or a
// path starting / is kept as given when it has a % that starts no escape (see parseURL).
func parseLocation(u *url.URL, loc string) (*url.URL, error) {
	next, err := u.Parse(loc)
	if err == nil {
		return next, nil
	}
	ref, err2 := parseURL(loc)
	if err2 != nil || !strings.HasPrefix(ref.RawPath, "/") {
		return nil, err
	}
	next = u.ResolveReference(ref)
	next.RawPath = ref.RawPath // kept only while it still matches the resolved path
	return next, nil
}

// badLocation is curl's error for a Location its URL parser refuses, with the parser's reason.
func badLocation(reason string) error {
	return exitErrorf(exitURLMalformed, "The redirect target URL could not be parsed: %s", reason)
}

// urlCatchAll is curl's reason for a URL its parser refuses for no reason of its own.
const urlCatchAll = "Malformed input to a URL function"

// locationProblem is curl 7.88's reason for refusing a Location as a URL, read from
// its host and port in curl's order: a bracket left open, a bad port, no host, a
// byte a host name cannot have. Anything else is curl's catch-all.
func locationProblem(loc string) string {
	_, rest, ok := strings.Cut(loc, "://")
	if !ok {
		return urlCatchAll
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	host := rest[strings.LastIndexByte(rest, '@')+1:]
	port := ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return "Bad IPv6 address"
		}
		host, port = host[:end+1], host[end+1:]
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, port = host[:i], host[i:]
	}
	if port != "" {
		if _, err := strconv.ParseUint(strings.TrimPrefix(port, ":"), 10, 16); port != ":" && (port[0] != ':' || err != nil) {
			return "Port number was not a decimal number between 0 and 65535"
		}
	}
	switch {
	case host == "":
		return "No host part in the URL"
	case strings.ContainsAny(host, " \r\n\t/:#?!@{}[]\\$'\"^`*<>=;,+&()"):
		return "Bad hostname"
	}
	return urlCatchAll
}

// escapeLocation encodes what curl encodes in a Location before following it: spaces
// as %20 (+ in the query) and bytes past ASCII as lower-case %xx.
func escapeLocation(loc string) string {
	var b strings.Builder
	query := false
	for i := 0; i < len(loc); i++ {
		switch c := loc[i]; {
		case c == '?':
			query = true
			b.WriteByte(c)
		case c == ' ' && query:
			b.WriteByte('+') // as curl encodes a space in the query
		case c == ' ':
			b.WriteString("%20")
		case c >= 0x80:
			fmt.Fprintf(&b, "%%%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// method is curl's method after a redirect. A POST of data becomes a GET without its
// body after a 301 or 302 (unless --post301/--post302), and anything but a HEAD after a
// 303 (unless --post303); with -X, curl keeps sending the method given, without the body.
func (p redirectPolicy) method(status int, method string, body *requestBody, custom bool) (string, *requestBody) {
	post := body != nil && body.uploadFile == ""
	var toGet bool
	switch status {
	case 301:
		toGet = post && !p.post301
	case 302:
		toGet = post && !p.post302
	case 303:
		toGet = method != http.MethodHead && !p.post303
	}
	if !toGet {
		return method, body
	}
	if !custom {
		method = http.MethodGet
	}
	return method, nil
}

// retryPolicy is --retry and the flags that shape it.
type retryPolicy struct {
	retries     int
	delay       time.Duration
	delaySet    bool
	maxTime     time.Duration
	all         bool
	connRefused bool
	// failOnHTTP is -f or --fail-with-body, which makes an HTTP error an error to retry.
	failOnHTTP bool
}

// outcome is how an attempt ended: an error, or a response's status and Retry-After.
type outcome struct {
	err        error
	status     int
	retryAfter time.Duration
}

// retryDecision is whether an attempt is made again, after how long, and why (for the warning).
type retryDecision struct {
	again bool
	wait  time.Duration
	why   string
}

// decide is curl's --retry rule for an outcome after retries retries, elapsed since the
// first attempt: transient errors and statuses only, backing off from one second,
// doubling up to ten minutes, unless --retry-delay says otherwise; a longer Retry-After
// wins. As curl counts it, an attempt is retried while --retry-max-time has not passed,
// and not when a Retry-After would take it past.
func (p retryPolicy) decide(o outcome, retries int, elapsed time.Duration) retryDecision {
	why, transient := p.transient(o)
	if !transient || retries >= p.retries || (p.maxTime > 0 && elapsed >= p.maxTime) {
		return retryDecision{}
	}
	wait := time.Second << min(retries, 10)
	wait = min(wait, 10*time.Minute)
	if p.delaySet {
		wait = p.delay
	}
	if o.retryAfter > 0 {
		if p.maxTime > 0 && elapsed+o.retryAfter > p.maxTime {
			return retryDecision{}
		}
		wait = max(wait, o.retryAfter)
	}
	return retryDecision{again: true, wait: wait, why: why}
}

// transient reports whether curl counts an outcome as worth another try: 408, 429, 500,
// 502, 503 and 504; timeouts and names that do not resolve; refused connections with
// --retry-connrefused; everything with --retry-all-errors.
func (p retryPolicy) transient(o outcome) (string, bool) {
	if p.all && (o.err != nil || (o.status >= 400 && p.failOnHTTP)) {
		if why, ok := p.transientOnly(o); ok {
			return why, true
		}
		return "(retrying all errors)", true
	}
	return p.transientOnly(o)
}

// transientOnly is transient without --retry-all-errors.
func (p retryPolicy) transientOnly(o outcome) (string, bool) {
	if o.err != nil {
		switch code := exitCodeOf(o.err); {
		case code == exitTimeout, code == exitHostResolve, code == exitProxyResolve:
			// curl counts a name that does not resolve as transient, like a timeout.
			return ": timeout", true
		case code == exitConnect && p.connRefused:
			return ": connection refused", true
		}
		return "", false
	}
	switch o.status {
	case 408, 429, 500, 502, 503, 504:
		return ": HTTP error", true
	}
	return "", false
}

// runner runs a command line's transfers over one connection.
type runner struct {
	conn      *connection
	out       *output
	sleep     func(ctx context.Context, d time.Duration) error
	mode      runMode
	delivery  deliverOptions
	retry     retryPolicy
	redirects redirectPolicy
	writeOut  writeOutFormat
	transfers []*transfer
	// failEarly is --fail-early: the first failed transfer ends the run.
	failEarly bool
	// removeOnError is --remove-on-error.
	removeOnError bool
	// jar is the run's cookies, written to jarFile at the end (-c).
	jar     *cookieJar
	jarFile string
	// dumpHeader is -D's file ("-": stdout); dump is it once opened.
	dumpHeader string
	dump       *bodySink
	// buf is the body buffer, made once for all transfers.
	buf []byte
}

// execute runs every transfer in order, as curl does with several URLs, and exits with
// the last transfer's code, as curl 7.88 (--fail-early: the first failure's, at once).
func (r *runner) execute(ctx context.Context) int {
	r.conn.describe(r.out)
	defer r.conn.close()
	code := exitOK
	for _, t := range r.transfers {
		if t.refusal != nil {
			var stop bool
			if code, stop = r.refused(t, code); stop {
				break
			}
			continue
		}
		if err := t.body.ready(); err != nil {
			// The run ends here, as curl's does; an error of the transfer before stays its code.
			if c := r.report(newTransferInfo(t), err); code == exitOK {
				code = c
			}
			break
		}
		run := r.runTransfer
		switch r.mode {
		case modeWatch, modeWatchReconnect:
			run = r.watchLoop
		case modeAllPages:
			run = r.allPages
		}
		info, err := run(ctx, t)
		code = r.report(info, err)
		if code != exitOK && r.failEarly {
			break
		}
	}
	if err := r.jar.save(r.jarFile, r.out.e.stdout); err != nil && code == exitOK {
		code = r.out.fail(err)
	}
	return code
}

// refused reports a transfer whose URL curl refuses and says whether the run ends
// there. A refusal of curl's tool ends it, and an earlier failure's code stays the
// run's, as after a -T file that does not open; libcurl's fails the transfer alone.
func (r *runner) refused(t *transfer, code int) (int, bool) {
	c := r.report(refusedInfo(t), t.refusal)
	switch {
	case t.endsRun && code != exitOK:
		return code, true
	case t.endsRun:
		return c, true
	}
	return c, r.failEarly
}

// refusedInfo is what -w knows of a refused transfer: the URL as given, and, unless
// curl's tool refused it, that URL as libcurl's (%{url_effective}, as its parser
// reads it when it reads) and its method.
func refusedInfo(t *transfer) *transferInfo {
	info := &transferInfo{start: time.Now(), method: t.method, urlGiven: t.given, urlNum: t.num, filename: t.outFile}
	switch {
	case t.url != nil:
		info.urlEffective = t.effectiveURL() // a URL that parses, refused for its scheme or query
	case !t.endsRun:
		info.urlEffective = t.given
	}
	return info
}

// report ends a transfer as curl 7.88's post_per_transfer does: the error line, then
// -w (a -w that cannot be written is a failure of its own, told after it).
func (r *runner) report(info *transferInfo, err error) int {
	code := exitOK
	if err != nil {
		code = exitCodeOf(err)
		info.exitCode, info.errorMsg = code, err.Error()
		r.out.fail(err)
	}
	if werr := r.writeOut.render(info, r.out); werr != nil && err == nil {
		code = r.out.fail(werr)
	}
	return code
}

// runTransfer makes attempts until one succeeds or curl's retry rules say stop.
func (r *runner) runTransfer(ctx context.Context, t *transfer) (*transferInfo, error) {
	start := time.Now()
	for retries := 0; ; retries++ {
		info, retry, err := r.attempt(ctx, t, retries, start)
		if !retry.again {
			return info, err
		}
		switch {
		case err != nil:
			r.out.fail(err) // curl writes each failed attempt's error line
		case r.delivery.failing(info.httpCode):
			r.out.fail(httpError(info.httpCode, nil, info.auth))
		}
		r.out.retryWarning(retry.why, retry.wait, r.retry.retries-retries)
		if err := r.sleep(ctx, retry.wait); err != nil {
			return info, contextError(err, info)
		}
	}
}

// attempt is one try at a transfer: exchange, decide, and deliver unless it is tried again.
func (r *runner) attempt(ctx context.Context, t *transfer, retries int, start time.Time) (*transferInfo, retryDecision, error) {
	ctx, cancel := r.conn.withMaxTime(ctx)
	defer cancel()
	info := newTransferInfo(t)
	defer func() { info.total = time.Since(info.start) }()
	sink := r.out.sink(t.outFile)
	sink.append, sink.createDirs, sink.removeOnError = t.appendOutput, t.createDirs, r.removeOnError
	resp, err := r.exchange(ctx, t, info, sink)
	o := outcome{err: err}
	if resp != nil {
		o.status, o.retryAfter = resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	retry := r.retry.decide(o, retries, time.Since(start))
	if retry.again || err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		sink.abort()
		return info, retry, err
	}
	if err := r.deliver(ctx, t, resp, info, sink); err != nil {
		// A body cut short is an outcome of its own: curl tries it again too.
		return info, r.retry.decide(outcome{err: err}, retries, time.Since(start)), err
	}
	return info, retryDecision{}, nil
}

// newTransferInfo is what -w knows of a transfer before its first byte goes.
func newTransferInfo(t *transfer) *transferInfo {
	return &transferInfo{start: time.Now(), method: t.method, urlEffective: t.effectiveURL(), urlGiven: t.given, urlNum: t.num, filename: t.outFile}
}

// exchange sends the request and, with -L, follows redirects; it returns the last
// response with its body unread. Each hop's head shows under -v, and the heads of the
// hops it follows go out with -i.
func (r *runner) exchange(ctx context.Context, t *transfer, info *transferInfo, sink *bodySink) (*http.Response, error) {
	u, method, body := t.url, t.method, t.body
	for {
		resp, err := r.conn.send(ctx, t, u, method, body, info, r.out)
		var he *headError
		if err != nil && r.delivery.include && errors.As(err, &he) {
			sink.Write(he.partial)
		}
		if err != nil {
			return nil, err
		}
		info.gotResponse(resp, u)
		t.jar.store(u, resp)
		r.out.responseHead(resp)
		if err := r.dumpHead(resp); err != nil {
			resp.Body.Close()
			return nil, err
		}
		if resp.StatusCode == http.StatusExpectationFailed && !info.noExpect && wireHeadOf(resp) != nil && hasHeader(info.sent, "Expect", "100-continue") {
			// The server refuses Expect: curl shows the 417 and sends the request again without it.
			if r.delivery.include {
				writeHead(sink, resp)
			}
			drain(resp.Body)
			info.noExpect = true
			continue
		}
		location := resp.Header.Get("Location")
		if !r.redirects.follow || !isRedirect(resp.StatusCode) || location == "" {
			return resp, nil
		}
		if r.delivery.include {
			if err := writeHead(sink, resp); err != nil {
				resp.Body.Close()
				return nil, err
			}
		}
		drain(resp.Body)
		next, err := r.follow(u, location, info)
		if err != nil {
			return nil, err
		}
		method, body = r.redirects.method(resp.StatusCode, method, body, t.customMethod)
		info.method = method
		info.redirectTime = time.Since(info.start)
		u = next
		if err := body.rewind(); err != nil {
			return nil, err
		}
	}
}

// follow is the URL a Location -L follows leads to, counted as curl counts it: once
// --max-redirs lets it go, the redirect is in %{num_redirects} and out of
// %{redirect_url} whether its URL reads or not, and a URL that reads is
// %{url_effective} even when its scheme is then refused.
func (r *runner) follow(u *url.URL, location string, info *transferInfo) (*url.URL, error) {
	if err := r.redirects.mayFollow(info.numRedirects); err != nil {
		return nil, err
	}
	info.numRedirects++
	info.redirectURL = ""
	next, err := resolveLocation(u, location)
	if err != nil {
		return nil, err
	}
	info.urlEffective = urlText(next)
	r.out.info("Issue another request to this URL: '%s'", urlText(next))
	return next, r.redirects.allows(next)
}

// deliver writes a final response: its head for -i, then its body, or -f's error; a
// Status in an error body becomes the error line.
func (r *runner) deliver(ctx context.Context, t *transfer, resp *http.Response, info *transferInfo, sink *bodySink) error {
	d := r.delivery
	failing := d.failing(resp.StatusCode)
	if d.include {
		// Even when -f fails the transfer: curl has written the head by then.
		if err := writeHead(sink, resp); err != nil {
			resp.Body.Close()
			sink.abort()
			return err
		}
	}
	if err := checkHead(t, d, resp); err != nil {
		resp.Body.Close()
		sink.abort()
		return err
	}
	if d.remoteHeaderName && sink.file != "" {
		if name := dispositionName(resp.Header.Get("Content-Disposition")); name != "" {
			sink.file = filepath.Join(filepath.Dir(sink.file), name)
		}
	}
	if failing && !d.failWithBody {
		var status *apiStatus
		if b, ok := resp.Body.(*http1Body); !ok || b.bounded {
			status = readStatus(resp.Body) // curl returns at the head: only a body with an end is read
		}
		resp.Body.Close()
		sink.abort()
		return httpError(resp.StatusCode, status, info.auth)
	}
	if d.jsonPath != nil && resp.StatusCode < 300 {
		return r.printJSONPath(ctx, sink, resp, info)
	}
	if d.table.on && resp.StatusCode < 300 {
		return finishSink(sink, r.copyTable(ctx, sink, resp))
	}
	var capture *bytes.Buffer
	if resp.StatusCode >= 300 {
		capture = new(bytes.Buffer)
	}
	n, err := r.copyBody(ctx, sink, resp, capture, t.watch)
	info.sizeDownload += n
	if wh := wireHeadOf(resp); err == nil && d.include && wh != nil && len(wh.trailer) > 0 {
		_, err = sink.Write(wh.trailer) // curl shows a chunked body's trailer after it
	}
	if err := finishSink(sink, err); err != nil {
		return err
	}
	var status *apiStatus
	if capture != nil {
		status = decodeStatus(capture.Bytes())
	}
	if failing {
		return httpError(resp.StatusCode, status, info.auth)
	}
	if status != nil {
		r.out.statusNote(resp.StatusCode, status, info.auth)
	}
	return nil
}

// finishSink commits the sink after a good copy and aborts it after a failed one.
func finishSink(sink *bodySink, err error) error {
	if err != nil {
		sink.abort()
		return err
	}
	return sink.commit()
}

// copyBufferSize is the read size for bodies: large enough for full-speed copies,
// small enough that a watch event is written the moment it arrives.
const copyBufferSize = 128 << 10

// copyBody streams the response body to the sink, decoding --compressed bodies.
// capture, when not nil, keeps the first bytes of the body for a Status.
// watch, when not nil, sees every byte to follow a watch's resourceVersion.
func (r *runner) copyBody(ctx context.Context, sink *bodySink, resp *http.Response, capture *bytes.Buffer, watch *watchTracker) (int64, error) {
	defer resp.Body.Close()
	counted := &countingReader{r: resp.Body}
	body, err := r.decoded(counted, resp)
	if err != nil {
		return counted.n, bodyError(ctx, err, counted.n, time.Now(), resp)
	}
	var w io.Writer = sink
	if r.pretty(resp) {
		w = newPrettyJSON(sink)
	}
	var events *eventWriter
	if watch != nil {
		events = &eventWriter{w: w, watch: watch}
		w = events
	}
	meter := r.out.meter(resp.ContentLength)
	defer meter.done()
	slow := r.watchSpeed(counted, resp.Body)
	defer slow.stop()
	buf := r.copyBuffer(resp)
	start := time.Now()
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if capture != nil && capture.Len() < maxStatusSize {
				capture.Write(buf[:min(n, maxStatusSize-capture.Len())])
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return counted.n, werr
			}
			meter.update(counted.n)
			if err := r.pace(ctx, counted.n, start); err != nil {
				return counted.n, err
			}
		}
		switch {
		case rerr == io.EOF && events != nil:
			meter.done()
			return counted.n, events.flush()
		case rerr == io.EOF:
			return counted.n, nil
		case rerr != nil && slow.tripped():
			return counted.n, exitErrorf(exitTimeout, "Operation too slow. Less than %d bytes/sec transferred the last %d seconds", r.delivery.speedLimit, int(r.delivery.speedTime.Seconds()))
		case rerr != nil:
			meter.done()
			if events != nil && len(events.pending) > 0 {
				r.out.info("dropped %d bytes of an incomplete watch event", len(events.pending))
			}
			return counted.n, bodyError(ctx, rerr, counted.n, start, resp)
		}
	}
}

// checkHead is what a head can fail on before its body: -C on a server that does not
// resume, --max-filesize by Content-Length, --etag-save's file.
func checkHead(t *transfer, d deliverOptions, resp *http.Response) error {
	if t.resumeFrom > 0 && resp.StatusCode == http.StatusOK {
		return exitErrorf(exitRangeError, "HTTP server doesn't seem to support byte ranges. Cannot resume.")
	}
	if d.maxFilesize > 0 && resp.ContentLength > d.maxFilesize {
		return exitErrorf(exitFileTooLarge, "Maximum file size exceeded")
	}
	return saveETag(d.etagSave, resp)
}

// pace holds a body back to --limit-rate and stops it at --max-filesize.
func (r *runner) pace(ctx context.Context, n int64, start time.Time) error {
	d := r.delivery
	if d.maxFilesize > 0 && n > d.maxFilesize {
		return exitErrorf(exitFileTooLarge, "Maximum file size exceeded")
	}
	if d.limitRate > 0 {
		due := time.Duration(float64(n) / float64(d.limitRate) * float64(time.Second))
		if wait := due - time.Since(start); wait > 0 {
			return r.sleep(ctx, wait)
		}
	}
	return nil
}

// speedWatch is --speed-limit: a body slower than the limit over --speed-time is
// stopped by closing it, and the read's error becomes curl's 28.
type speedWatch struct {
	done chan struct{}
	mu   sync.Mutex
	slow bool
}

func (r *runner) watchSpeed(counted *countingReader, body io.Closer) *speedWatch {
	w := &speedWatch{done: make(chan struct{})}
	d := r.delivery
	if d.speedLimit <= 0 || d.speedTime <= 0 {
		return w
	}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		window := []int64{0}
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
			window = append(window, atomicLoad(counted))
			if time.Duration(len(window)-1)*time.Second < d.speedTime {
				continue
			}
			window = window[len(window)-int(d.speedTime/time.Second)-1:]
			if (window[len(window)-1]-window[0])/int64(d.speedTime/time.Second) < d.speedLimit {
				w.mu.Lock()
				w.slow = true
				w.mu.Unlock()
				body.Close()
				return
			}
		}
	}()
	return w
}

func (w *speedWatch) stop() { close(w.done) }

func (w *speedWatch) tripped() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.slow
}

// dispositionName is the file name a Content-Disposition gives, without any folder.
func dispositionName(v string) string {
	_, params, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	name := filepath.Base(strings.ReplaceAll(params["filename"], "\\", "/"))
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return name
}

// dumpHead writes a response head to -D's file (every hop's, as curl), opened on first use.
func (r *runner) dumpHead(resp *http.Response) error {
	if r.dumpHeader == "" {
		return nil
	}
	if r.dump == nil {
		r.dump = r.out.sink(r.dumpHeader)
	}
	if err := writeHead(r.dump, resp); err != nil {
		return err
	}
	if r.dump.f != nil {
		return r.dump.f.Sync()
	}
	return nil
}

// saveETag is --etag-save: the response's ETag and a newline, or an empty file.
func saveETag(file string, resp *http.Response) error {
	if file == "" {
		return nil
	}
	etag := resp.Header.Get("ETag")
	if etag != "" {
		etag += "\n"
	}
	if err := os.WriteFile(file, []byte(etag), 0o644); err != nil {
		return exitErrorf(exitWriteError, "Failed to open the file %s: %s", file, fileProblem(err))
	}
	return nil
}

// acceptEncoding is what --compressed asks for: only what kcurl decodes.
const acceptEncoding = "deflate, gzip"

// decoded is the body as --compressed decodes it: gzip, and deflate with or without
// its zlib wrapper; an empty body (HEAD, 204, 304) as it is; an encoding kcurl does not
// decode is curl's 61, never bytes written as if decoded.
func (r *runner) decoded(body io.Reader, resp *http.Response) (io.Reader, error) {
	if !r.delivery.compressed {
		return body, nil
	}
	var encodings []string
	for _, e := range strings.Split(strings.ToLower(resp.Header.Get("Content-Encoding")), ",") {
		if e = strings.TrimSpace(e); e != "" && e != "identity" && e != "none" {
			encodings = append(encodings, e)
		}
	}
	if len(encodings) == 0 {
		return body, nil
	}
	br := bufio.NewReader(body)
	if _, err := br.Peek(1); err == io.EOF {
		return br, nil
	}
	out := io.Reader(br)
	for i := len(encodings) - 1; i >= 0; i-- { // the last applied is undone first
		var err error
		if out, err = decoder(out, encodings[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decoder undoes one content encoding: gzip, and deflate with or without its zlib
// wrapper; another is curl's 61.
func decoder(r io.Reader, enc string) (io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	switch enc {
	case "gzip", "x-gzip":
		return unencoding(gzip.NewReader(plainGzipHeader(br)))
	case "deflate":
		if head, err := br.Peek(2); err == nil && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			return unencoding(zlib.NewReader(br))
		}
		return flate.NewReader(br), nil // raw deflate, as some servers send it
	}
	return nil, exitErrorf(exitBadContentEncoding, "Unrecognized content encoding type. kcurl understands deflate, gzip content encodings.")
}

// plainGzipHeader drops a gzip header's optional fields (extra, name, comment, header
// CRC), which curl reads at any length and Go's reader refuses past 512 bytes.
func plainGzipHeader(br *bufio.Reader) io.Reader {
	head, err := br.Peek(10)
	if err != nil || head[0] != 0x1f || head[1] != 0x8b || head[3]&0x1e == 0 {
		return br
	}
	flags := head[3]
	fixed := append([]byte(nil), head...)
	fixed[3] = 0
	br.Discard(10)
	if flags&0x04 != 0 { // FEXTRA
		var n [2]byte
		if _, err := io.ReadFull(br, n[:]); err != nil {
			return bytes.NewReader(fixed)
		}
		br.Discard(int(n[0]) | int(n[1])<<8)
	}
	for _, bit := range []byte{0x08, 0x10} { // FNAME, FCOMMENT: up to a NUL
		if flags&bit != 0 {
			for {
				if _, err := br.ReadSlice(0); err != bufio.ErrBufferFull {
					break
				}
			}
		}
	}
	if flags&0x02 != 0 { // FHCRC
		br.Discard(2)
	}
	return io.MultiReader(bytes.NewReader(fixed), br)
}

// pretty decides --pretty for a response.
func (r *runner) pretty(resp *http.Response) bool {
	q := resp.Request.URL.Query().Get("watch")
	return r.delivery.wantPretty(isJSONType(resp.Header.Get("Content-Type")), q == "1" || q == "true")
}

// copyBuffer is the one body buffer of the run, shared by every transfer in turn. A
// body that says its length, unencoded and shorter than copyBufferSize, gets a buffer
// its size (a probe's few hundred bytes need not map the pages of 128 KiB); any other
// gets copyBufferSize.
func (r *runner) copyBuffer(resp *http.Response) []byte {
	n := copyBufferSize
	if size := resp.ContentLength; size >= 0 && size < copyBufferSize && resp.Header.Get("Content-Encoding") == "" {
		n = max(int(size)+1, 512) // one byte more: the read that fills it is not the last
	}
	if len(r.buf) < n {
		r.buf = make([]byte, n)
	}
	return r.buf
}

// bodyError classifies a failure while the body streams in.
func bodyError(ctx context.Context, err error, received int64, start time.Time, resp *http.Response) error {
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
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, zlib.ErrChecksum) || isFlateError(err):
		return exitErrorf(exitBadContentEncoding, "Error while processing content unencoding: %s", zlibWords(err))
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	return exitErrorf(exitRecvError, "Recv failure: %v", err)
}

// unencoding is a decoder, or curl's 61 when its header does not read.
func unencoding[R io.Reader](r R, err error) (io.Reader, error) {
	if err != nil {
		return nil, exitErrorf(exitBadContentEncoding, "Error while processing content unencoding: incorrect header check")
	}
	return r, nil
}

// zlibWords is a decoding error in zlib's words, which curl prints.
func zlibWords(err error) string {
	switch {
	case errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrHeader):
		return "incorrect header check"
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, zlib.ErrChecksum):
		return "incorrect data check"
	}
	return "invalid block type"
}

// isFlateError is a deflate stream that does not decode.
func isFlateError(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce)
}

// contextError is a wait cut short: -m running out is curl's 28.
func contextError(err error, info *transferInfo) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d bytes received", time.Since(info.start).Milliseconds(), info.sizeDownload)
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	return exitErrorf(exitRecvError, "%v", err)
}

// countingReader counts the bytes that came over the wire, and keeps the wire's error.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
	// total is n for other goroutines (--speed-limit's watch).
	total atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	c.total.Store(c.n)
	return n, err
}

// errOr is the wire's error, if there was one, else err.
func (c *countingReader) errOr(err error) error {
	if c.err != nil {
		return c.err
	}
	return err
}

func atomicLoad(c *countingReader) int64 { return c.total.Load() }

// drain reads what is left of a body that is not wanted, so that its connection can
// be used again; a body that only the server's close would end is not waited for.
func drain(body io.ReadCloser) {
	if b, ok := body.(*http1Body); ok && !b.bounded {
		body.Close()
		return
	}
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
	// urlGiven is the URL as given (%{url}); urlNum its place among the URLs.
	urlGiven string
	urlNum   int
	// headerOrder is the last head's names as received, for %{header_json}.
	headerOrder  []string
	numHeaders   int
	localIP      string
	localPort    string
	numConnects  int
	filename     string
	referer      string
	sizeRequest  int64
	redirectTime time.Duration
	// sent is the last request's headers; noExpect drops Expect after a 417.
	sent     []headerArg
	noExpect bool
	// auth is whether a token went with the last request, for a 401's hint.
	auth authState
	// sendErr is why writing the request failed, if it did: curl's 55, not a receive error.
	sendErr error
	// serverHTTP10 is a response of this attempt in HTTP/1.0: curl asks in HTTP/1.0 from then on.
	serverHTTP10 bool
}

// mark sets one of the timings to now; transport goroutines call it.
func (info *transferInfo) mark(d *time.Duration) {
	info.mu.Lock()
	defer info.mu.Unlock()
	*d = time.Since(info.start)
}

// gotConn records a connection in use: pretransfer, and the peer's address.
func (info *transferInfo) gotConn(remote net.Addr) {
	info.mu.Lock()
	defer info.mu.Unlock()
	info.pretransfer = time.Since(info.start)
	if info.connect == 0 {
		info.connect = info.pretransfer
	}
	if ra, ok := remote.(*net.TCPAddr); ok {
		info.remoteIP, info.remotePort = ra.IP.String(), strconv.Itoa(ra.Port)
	}
}

// gotLocal records this side's address of the connection, and whether it is new.
func (info *transferInfo) gotLocal(local net.Addr, reused bool) {
	info.mu.Lock()
	defer info.mu.Unlock()
	if la, ok := local.(*net.TCPAddr); ok {
		info.localIP, info.localPort = la.IP.String(), strconv.Itoa(la.Port)
	}
	if !reused {
		info.numConnects++
	}
}

func (info *transferInfo) setSendErr(err error) {
	info.mu.Lock()
	defer info.mu.Unlock()
	info.sendErr = err
}

func (info *transferInfo) sendError() error {
	info.mu.Lock()
	defer info.mu.Unlock()
	return info.sendErr
}

// gotResponse records a response's head, from u.
func (info *transferInfo) gotResponse(resp *http.Response, u *url.URL) {
	info.httpCode = resp.StatusCode
	info.redirectURL = ""
	info.httpVersion = versionOf(resp)
	info.serverHTTP10 = info.serverHTTP10 || resp.ProtoMajor == 1 && resp.ProtoMinor == 0
	info.contentType = resp.Header.Get("Content-Type")
	info.header = resp.Header
	info.sizeHeader += headerSize(resp)
	info.headerOrder, info.numHeaders = nil, 0
	for _, vs := range resp.Header {
		info.numHeaders += len(vs)
	}
	if wh := wireHeadOf(resp); wh != nil {
		info.numHeaders = len(wh.lines) - 1
		for _, l := range wh.lines[1:] {
			if name, _, ok := strings.Cut(l, ":"); ok {
				info.headerOrder = append(info.headerOrder, name)
			}
		}
	}
	if loc := resp.Header.Get("Location"); isRedirect(resp.StatusCode) && loc != "" {
		info.redirectURL = loc // what curl reports of a Location it cannot read
		if next, err := resolveLocation(u, loc); err == nil {
			info.redirectURL = urlText(next)
		}
	}
}

func versionOf(resp *http.Response) string {
	if resp.ProtoMajor == 2 {
		return "2"
	}
	return fmt.Sprintf("%d.%d", resp.ProtoMajor, resp.ProtoMinor)
}
