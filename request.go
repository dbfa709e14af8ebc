package main

// Turning flags into requests: the method, the headers in curl's order, the body from
// -d, --data-*, --json and -T (with @file and @-), -G, and one transfer per URL.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/kong"
)

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

// headerArg is one -H argument, parsed.
type headerArg struct {
	name  string
	value string
	// remove is curl's "Name:" form: drop the default header.
	remove bool
	// shown, when set, is what -v prints instead of the value (a credential).
	shown string
	// builtin is a header made from an option (-u, -e, -r, -b): it stands where curl
	// puts that option's header, not among the -H ones.
	builtin bool
	// trusted is a credential header that follows redirects to other hosts (--location-trusted).
	trusted bool
}

// display is the value as -v prints it.
func (h headerArg) display() string {
	if h.shown != "" {
		return h.shown
	}
	return h.value
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

// maxDataFileSize bounds -d @file and @-, which are held in memory as curl holds them
// (they are sent again on a retry or a 307); -T streams instead.
const maxDataFileSize = 1 << 30

// maxArgFileSize bounds -H @file and -w @file: a few lines, not a body.
const maxArgFileSize = 1 << 20

// readArgFile reads an @file argument of at most limit bytes; "-" is stdin. More than
// limit is refused with a line of its own, never cut short in silence.
func readArgFile(name string, stdin io.Reader, limit int64) ([]byte, error) {
	var d chunkedData
	if err := d.readArg(name, stdin, limit); err != nil {
		return nil, err
	}
	return d.bytes(), nil
}

// dataChunkSize is the piece a body held in memory is kept in.
const dataChunkSize = 1 << 20

// chunkedData is a request body held in memory in pieces, so that a large -d @file
// takes its own size and no more: no contiguous buffer grown by doubling, no copy.
type chunkedData struct {
	chunks [][]byte
	n      int64
}

// write appends b.
func (d *chunkedData) write(b []byte) {
	for len(b) > 0 {
		if len(d.chunks) == 0 || len(d.chunks[len(d.chunks)-1]) == cap(d.chunks[len(d.chunks)-1]) {
			d.chunks = append(d.chunks, make([]byte, 0, min(dataChunkSize, max(len(b), 512))))
		}
		last := &d.chunks[len(d.chunks)-1]
		n := min(len(b), cap(*last)-len(*last))
		*last = append(*last, b[:n]...)
		d.n += int64(n)
		b = b[n:]
	}
}

// readArg reads an @file argument (or stdin for "-"), of at most limit bytes; a regular
// file over the limit is refused before any of it is read.
func (d *chunkedData) readArg(name string, stdin io.Reader, limit int64) error {
	if name == "-" {
		if err := d.readFrom(stdin, limit); err != nil {
			return exitErrorf(exitReadError, "Failed to read data from stdin: %s", fileProblem(err))
		}
		return nil
	}
	f, err := openUserFile(name)
	if err == nil {
		defer f.Close()
		if fi, serr := f.Stat(); serr == nil && fi.Mode().IsRegular() && fi.Size() > limit {
			err = errTooLarge
		}
	}
	if err == nil {
		err = d.readFrom(f, limit)
	}
	if err != nil {
		return exitErrorf(exitReadError, "Failed to open/read local data from file %s: %s", name, fileProblem(err))
	}
	return nil
}

// readFrom appends what r holds, failing past limit bytes in all.
func (d *chunkedData) readFrom(r io.Reader, limit int64) error {
	for {
		chunk := make([]byte, dataChunkSize)
		n, err := io.ReadFull(r, chunk)
		if d.n+int64(n) > limit {
			return errTooLarge
		}
		if n > 0 {
			d.chunks = append(d.chunks, chunk[:n:n])
			d.n += int64(n)
		}
		switch err {
		case nil:
			continue
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		}
		return err
	}
}

// stripNewlines drops CR and LF, as -d does with a file's text.
func (d *chunkedData) stripNewlines(from int) {
	for i := from; i < len(d.chunks); i++ {
		c := d.chunks[i]
		kept := c[:0]
		for _, ch := range c {
			if ch != '\r' && ch != '\n' {
				kept = append(kept, ch)
			}
		}
		d.n -= int64(len(c) - len(kept))
		d.chunks[i] = kept
	}
}

// reader reads the data from its start.
func (d *chunkedData) reader() io.Reader {
	readers := make([]io.Reader, len(d.chunks))
	for i, c := range d.chunks {
		readers[i] = bytes.NewReader(c)
	}
	return io.MultiReader(readers...)
}

// bytes is the data in one piece, for the few uses that need it (-G, -H @file).
func (d *chunkedData) bytes() []byte {
	if len(d.chunks) == 1 {
		return d.chunks[0]
	}
	b := make([]byte, 0, d.n)
	for _, c := range d.chunks {
		b = append(b, c...)
	}
	return b
}

// buildData joins the data pieces as curl does: -d family with '&', --json concatenated.
func buildData(pieces []dataPiece, stdin io.Reader) (*chunkedData, error) {
	d := &chunkedData{}
	for i, p := range pieces {
		if i > 0 && p.kind != dataJSON {
			d.write([]byte{'&'})
		}
		switch p.kind {
		case dataRaw:
			d.write([]byte(p.value))
		case dataASCII, dataBinary, dataJSON:
			if !strings.HasPrefix(p.value, "@") {
				d.write([]byte(p.value))
				continue
			}
			from := len(d.chunks)
			if err := d.readArg(p.value[1:], stdin, maxDataFileSize-d.n); err != nil {
				return nil, err
			}
			if p.kind == dataASCII && !isYAMLFile(p.value[1:]) {
				d.stripNewlines(from)
			}
		case dataURLEncode:
			s, err := urlEncodeData(p.value, stdin)
			if err != nil {
				return nil, err
			}
			d.write([]byte(s))
		}
	}
	return d, nil
}

// urlEncodeData is curl's --data-urlencode: content, =content, name=content, @file, name@file.
func urlEncodeData(v string, stdin io.Reader) (string, error) {
	name, content := "", v
	if i := strings.IndexAny(v, "=@"); i >= 0 {
		name, content = v[:i], v[i+1:]
		if v[i] == '@' {
			b, err := readArgFile(content, stdin, maxDataFileSize)
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
	data *chunkedData
	// uploadFile is -T's file, opened for each attempt; "-" and "." are stdin.
	uploadFile string
	stdin      io.Reader
	// stdinRead is set once a byte of stdin went out: a redirect must rewind it then.
	stdinRead atomic.Bool
}

// stdinBody is stdin as a request body, noting that a byte of it was read.
type stdinBody struct {
	r    io.Reader
	read *atomic.Bool
}

func (s stdinBody) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.read.Store(true)
	}
	return n, err
}

// rewind readies the body to go again after a redirect, as curl rewinds it: stdin that
// was read from is sought back to its start, and where it cannot be (a pipe) the
// transfer fails with curl's 65. A file is opened afresh anyway, and data is held.
func (b *requestBody) rewind() error {
	if b == nil || !stdinUpload(b.uploadFile) || !b.stdinRead.Load() {
		return nil
	}
	if s, ok := b.stdin.(io.Seeker); ok {
		if _, err := s.Seek(0, io.SeekStart); err == nil {
			b.stdinRead.Store(false)
			return nil
		}
	}
	return exitErrorf(exitSendFailRewind, "seek callback returned error 2") // curl's words
}

// stdinUpload reports whether -T's name means stdin, as curl 7.88's stdin_upload: "-",
// or "." (which curl reads without blocking; kcurl reads it as it reads "-").
func stdinUpload(name string) bool { return name == "-" || name == "." }

// ready checks, when its transfer's turn comes, that the -T file can be read: curl
// opens it then, so the transfers before it have run when a missing file ends the run.
func (b *requestBody) ready() error {
	if b == nil || b.uploadFile == "" || stdinUpload(b.uploadFile) {
		return nil
	}
	if fi, err := os.Stat(b.uploadFile); err != nil || fi.IsDir() {
		return exitErrorf(exitReadError, "Failed to open/read local data from file %s", b.uploadFile)
	}
	return nil
}

// open returns a fresh reader of the body and its length (-1 when unknown).
func (b *requestBody) open() (io.ReadCloser, int64, error) {
	switch {
	case b == nil:
		return nil, 0, nil
	case stdinUpload(b.uploadFile):
		return io.NopCloser(stdinBody{r: b.stdin, read: &b.stdinRead}), -1, nil
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
	return io.NopCloser(b.data.reader()), b.data.n, nil
}

// requestSpec is how every transfer of a run makes its requests: the user's headers
// and the defaults curl would send with them.
type requestSpec struct {
	headers   []headerArg
	userAgent string
	// accept is the Accept header: */*, JSON for --json, a Table for --table.
	accept     string
	compressed bool
	jsonBody   bool
	upload     bool
	// formType is -F's multipart Content-Type, with its boundary.
	formType string
	// yamlBody is a body from a .yaml or .yml file: the API server gets it as YAML.
	yamlBody bool
}

// hop is what a request's headers depend on besides the command line.
type requestFrame struct {
	u      *url.URL
	method string
	// size is the body's length, -1 when unknown (sent chunked); hasBody says there is one.
	size    int64
	hasBody bool
	api     bool
	// http1 is kcurl's own HTTP/1.1 exchange, the only one that sends the framing headers.
	http1 bool
	// proxied is a plain-HTTP request through a proxy.
	proxied bool
	// http10 is --http1.0, or a server that answered in HTTP/1.0: no Expect, no chunks.
	http10 bool
	// noExpect is a request sent again after a 417.
	noExpect bool
}

// expectThreshold is the POST size from which curl 7.88 asks for 100 Continue first.
const expectThreshold = 1 << 20

// headerRank is where curl puts the headers it makes from options, before the user's
// -H ones: Host, Authorization, Range, User-Agent, Accept, Accept-Encoding, Referer,
// Proxy-Connection, Transfer-Encoding, Cookie, then -z's condition (curl's http.c).
var headerRank = []string{"Proxy-Authorization", "Authorization", "Range", "User-Agent", "Accept", "Accept-Encoding", "Referer", "Proxy-Connection", "Transfer-Encoding", "Cookie", "If-Modified-Since", "If-Unmodified-Since"}

// headersFor is the request's headers in curl's order: Host, the bearer token when it
// goes, the headers made from options (headerRank), the user's -H headers in the order
// given, then Content-Length, Content-Type and Expect. A -H header of a default's name
// replaces it (Host in its place, the others where the user put them); "Name:" drops it.
func (s *requestSpec) headersFor(h requestFrame, hc hopCredentials) []headerArg {
	var custom, builtin []headerArg
	for _, a := range hc.headers {
		if a.builtin {
			builtin = append(builtin, a)
		} else {
			custom = append(custom, a)
		}
	}
	given := func(name string) bool {
		for _, a := range custom {
			if strings.EqualFold(a.name, name) {
				return true
			}
		}
		return false
	}
	var out []headerArg
	host, custom := takeHost(custom, h.u)
	if !host.remove {
		out = append(out, host)
	}
	if hc.bearer != nil {
		out = append(out, *hc.bearer)
	}
	defaults := s.defaultHeaders(h, builtin)
	for _, name := range headerRank {
		for _, a := range defaults {
			if strings.EqualFold(a.name, name) && !given(name) {
				out = append(out, a)
			}
		}
	}
	out = append(out, custom...)
	out = append(out, hc.impersonate...)
	if s.jsonBody {
		// --json's two headers are -H headers to curl: after the user's, before the length.
		if !given("Content-Type") && h.hasBody {
			out = append(out, headerArg{name: "Content-Type", value: s.contentType(h.method, h.hasBody, h.api)})
		}
		if !given("Accept") {
			out = append(out, headerArg{name: "Accept", value: s.accept})
		}
	}
	if h.hasBody && h.size >= 0 && !given("Content-Length") && !given("Transfer-Encoding") {
		out = append(out, headerArg{name: "Content-Length", value: strconv.FormatInt(h.size, 10)})
	}
	if ct := s.contentType(h.method, h.hasBody, h.api); ct != "" && !given("Content-Type") && !s.jsonBody {
		out = append(out, headerArg{name: "Content-Type", value: ct})
	}
	if h.http1 && !h.http10 && !h.noExpect && s.wantsContinue(h) && !given("Expect") {
		out = append(out, headerArg{name: "Expect", value: "100-continue"})
	}
	return out
}

// takeHost is the Host header a request sends, curl's first -H Host: else the URL's,
// and the custom headers without any Host.
func takeHost(custom []headerArg, u *url.URL) (headerArg, []headerArg) {
	host := headerArg{name: "Host", value: hostHeader(u)}
	hostGiven := false
	var kept []headerArg
	for _, a := range custom {
		switch {
		case !strings.EqualFold(a.name, "Host"):
			kept = append(kept, a)
		case !hostGiven:
			host, hostGiven = a, true
		}
	}
	return host, kept
}

// defaultHeaders are the headers made from options and kcurl's defaults, each sent
// (in headerRank's order) unless a -H names it.
func (s *requestSpec) defaultHeaders(h requestFrame, builtin []headerArg) []headerArg {
	defaults := append([]headerArg(nil), builtin...)
	defaults = append(defaults, headerArg{name: "User-Agent", value: s.userAgent, remove: s.userAgent == ""})
	if !s.jsonBody {
		defaults = append(defaults, headerArg{name: "Accept", value: s.accept})
	}
	if s.compressed {
		defaults = append(defaults, headerArg{name: "Accept-Encoding", value: acceptEncoding})
	}
	if h.proxied {
		defaults = append(defaults, headerArg{name: "Proxy-Connection", value: "Keep-Alive"})
	}
	if h.http1 && !h.http10 && h.hasBody && h.size < 0 {
		defaults = append(defaults, headerArg{name: "Transfer-Encoding", value: "chunked"})
	}
	return defaults
}

// checkChunks is curl's refusal of a body of unknown length over HTTP/1.0, which has no
// chunks to send it in, unless the user's own Transfer-Encoding says how it goes.
func (s *requestSpec) checkChunks(h requestFrame) error {
	if !h.http10 || !h.hasBody || h.size >= 0 {
		return nil
	}
	for _, a := range s.headers {
		if strings.EqualFold(a.name, "Transfer-Encoding") {
			return nil
		}
	}
	return exitErrorf(exitUploadFailed, "Chunky upload is not supported by HTTP 1.0")
}

// wantsContinue is curl 7.88's rule for Expect: 100-continue: an upload of any size, a
// POST of unknown size or over expectThreshold.
func (s *requestSpec) wantsContinue(h requestFrame) bool {
	switch {
	case !h.hasBody || h.size == 0:
		return false
	case s.upload || h.size < 0:
		return true
	}
	return h.size > expectThreshold
}

// hostHeader is the Host header curl sends: the URL's host, without a default port.
func hostHeader(u *url.URL) string {
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host := u.Hostname()
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return u.Host
}

// contentType is the default Content-Type of a body: JSON for --json and for the API
// server (merge patch for PATCH), a form for -d elsewhere, none for -T.
func (s *requestSpec) contentType(method string, hasBody, api bool) string {
	switch {
	case !hasBody:
		return ""
	case s.formType != "":
		return s.formType
	case s.jsonBody:
		return "application/json"
	case api && s.yamlBody && method == http.MethodPatch:
		return applyPatchYAML
	case api && s.yamlBody:
		return "application/yaml"
	case api && method == http.MethodPatch:
		return "application/merge-patch+json"
	case api:
		return "application/json"
	case !s.upload:
		return "application/x-www-form-urlencoded"
	}
	return ""
}

// applyHeaders puts the headers on a net/http request; a removed User-Agent stays out,
// where Go would otherwise add its own, and the framing headers are Go's to write.
func applyHeaders(req *http.Request, headers []headerArg) {
	for _, h := range headers {
		switch {
		case h.remove:
			if strings.EqualFold(h.name, "User-Agent") {
				req.Header["User-Agent"] = []string{""}
			}
		case strings.EqualFold(h.name, "Host"):
			req.Host = h.value
		case strings.EqualFold(h.name, "Content-Length"), strings.EqualFold(h.name, "Transfer-Encoding"),
			strings.EqualFold(h.name, "Expect"), strings.EqualFold(h.name, "Proxy-Connection"):
		default:
			key := http.CanonicalHeaderKey(h.name)
			req.Header[key] = append(req.Header[key], h.value)
		}
	}
}

// defaultUserAgent is kcurl/VERSION, worked out once.
var defaultUserAgent = sync.OnceValue(func() string { return "kcurl/" + buildVersion() })

// requestFlags are the request flags as given, for buildTransfers.
type requestFlags struct {
	method     string
	head       bool
	headerArgs []string
	data       []dataPiece
	get        bool
	uploadFile string
	// uploadFiles are all the -T files: the i-th goes with the i-th URL.
	uploadFiles []string
	userAgent   string
	// userAgentSet is any -A, '' included (no User-Agent then).
	userAgentSet bool
	compressed   bool
	table        bool
	watch        bool
	outputs      []outputSpec
	// locationTrusted lets the user's credential headers follow redirects to other hosts.
	locationTrusted bool
	// yaml is --yaml: the API server is asked for YAML.
	yaml bool
	// globOff is -g: no URL globbing.
	globOff bool
	// netrc is the .netrc file to take logins from, "" for none.
	netrc string
	// form and formString are -F and --form-string.
	form, formString []posString
	remoteNameAll    bool
	outputDir        string
	createDirs       bool
	// user is -u USER:PASSWORD; referer -e; byteRange -r.
	user      string
	referer   string
	byteRange string
	urlQuery  []string
	pathAsIs  bool
	// protocols are the schemes --proto allows a command-line URL, nil for any.
	protocols   protocolSet
	timeCond    string
	etagCompare string
	continueAt  string
}

// outputSpec is one -o FILE or -O, in command-line order.
type outputSpec struct {
	file   string
	remote bool
	pos    int
}

// transfer is one URL's request, ready to send (again, on retries).
type transfer struct {
	url *url.URL
	// given is the URL as given (%{url}); num its place among the URLs (%{urlnum}).
	given  string
	num    int
	method string
	// customMethod is -X: curl keeps it across redirects.
	customMethod bool
	body         *requestBody
	spec         *requestSpec
	// outFile is -o's file for this URL, "" for stdout.
	outFile string
	// createDirs is --create-dirs: outFile's directories are made.
	createDirs bool
	// resumeFrom is -C: the body is appended to outFile from this offset.
	resumeFrom int64
	// urlAuth is Basic authorization from the URL's user:password, as curl sends it.
	urlAuth *headerArg
	// shownUser and fragment are the URL's user:password and #fragment as given:
	// neither goes out in the request, but curl keeps both in %{url_effective}.
	shownUser *url.Userinfo
	fragment  string
	// target is the request target as the URL gave it, which curl sends unchanged
	// (Go would escape [ ] { } | and more); "" to use the parsed URL's.
	target string
	// jar is the run's cookies (-b, -c), nil without them.
	jar *cookieJar
	// watch follows the events of a --watch, for --watch-reconnect.
	watch *watchTracker
	// appendOutput makes a reconnected watch add to its -o file instead of replacing it.
	appendOutput bool
	// refusal is why curl fails this transfer when its turn comes, sending nothing
	// (a malformed URL, -O with no name); -w is written for it all the same.
	refusal error
	// endsRun is a refusal of curl's own tool rather than of libcurl: the run ends there.
	endsRun bool
}

// transferRefusal is an error curl meets when a transfer's turn comes, not while it
// reads the command line: that transfer fails alone, with -w written.
type transferRefusal struct{ error }

func (r transferRefusal) Unwrap() error { return r.error }

// buildTransfers checks the request flags and reads every input (-H @file, -d @file,
// stdin) before any byte is sent, so bad input fails with nothing half-done; then it
// makes the transfers of each URL. A -T file is opened when its transfer's turn comes
// (requestBody.ready), as curl does.
func buildTransfers(f requestFlags, urls []string, places placeholders, api apiServer, stdin io.Reader) ([]*transfer, error) {
	spec, err := newRequestSpec(f, stdin)
	if err != nil {
		return nil, err
	}
	b := transferBuilder{f: f, spec: spec, places: places, api: api, stdin: stdin}
	if len(f.data) > 0 {
		if b.data, err = buildData(f.data, stdin); err != nil {
			return nil, err
		}
	}
	if len(f.form)+len(f.formString) > 0 {
		if b.form, spec.formType, err = multipartForm(f.form, f.formString, stdin); err != nil {
			return nil, err
		}
	}
	var transfers []*transfer
	for i, given := range urls {
		ts, err := b.transfersOf(i, given)
		if err != nil {
			return nil, err
		}
		transfers = append(transfers, ts...)
		if len(ts) > 0 && ts[len(ts)-1].endsRun {
			break // curl's tool never reaches the URLs after it
		}
	}
	return transfers, nil
}

// transferBuilder holds what every transfer of a run is made from.
type transferBuilder struct {
	f      requestFlags
	spec   *requestSpec
	data   *chunkedData
	form   []byte
	places placeholders
	api    apiServer
	stdin  io.Reader
}

// transfersOf are the transfers of the i-th URL in curl's order: each file of its -T
// glob in turn, each to every URL of the URL's glob.
func (b *transferBuilder) transfersOf(i int, given string) ([]*transfer, error) {
	urls, err := b.glob(given)
	if err != nil {
		return nil, err
	}
	uploads := []globbedURL{{}} // the -T of this URL's place, if any: curl GETs a URL without one
	if i < len(b.f.uploadFiles) {
		if uploads, err = b.glob(b.f.uploadFiles[i]); err != nil {
			return nil, err
		}
	}
	if len(uploads)*len(urls) > maxGlobURLs {
		return nil, exitErrorf(exitURLMalformed, "too many transfers from the globs in %q and its -T", given)
	}
	var out []*transfer
	for _, upload := range uploads {
		for _, g := range urls {
			t, err := b.transferOf(g, given, i, upload.url)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			if t.endsRun {
				return out, nil
			}
		}
	}
	return out, nil
}

// transferOf is the transfer of one URL of the i-th URL's glob, with its -T file
// (upload), or the refused transfer curl would fail when its turn comes.
func (b *transferBuilder) transferOf(g globbedURL, given string, i int, upload string) (*transfer, error) {
	t, err := newTransfer(b.f, b.spec, g, given, i, b.places, b.api, b.stdin)
	var refusal transferRefusal
	if errors.As(err, &refusal) {
		return b.refusedTransfer(g, i, upload, refusal.error)
	}
	if err != nil {
		return nil, err
	}
	t.num = i
	if err := t.bodyFrom(b.f, upload, b.data, b.form, b.stdin, b.api); err != nil {
		return nil, err
	}
	if strings.ContainsFunc(t.url.RawQuery, isURLControl) {
		// curl 7.88 puts -G's data and --url-query in the URL as they are, and libcurl
		// then refuses the URL with a space in it: this transfer fails, with %{url} rewritten.
		t.refusal = exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")
	}
	if t.refusal == nil {
		t.refusal = b.f.protocols.refuses(t.url) // libcurl's refusal: this transfer fails alone
	}
	return t, nil
}

// isURLControl reports whether r is a byte curl's URL parser refuses: a space or a control.
func isURLControl(r rune) bool { return r <= ' ' || r == 0x7f }

// refusedTransfer is the transfer of a URL curl refuses when its turn comes. Where
// libcurl refuses it, -w shows the URL with the method set up; where curl's own tool
// read it first (toolReadsURL), -w shows no url_effective and GET, and the run ends.
func (b *transferBuilder) refusedTransfer(g globbedURL, i int, upload string, why error) (*transfer, error) {
	t := &transfer{given: g.url, num: i, method: http.MethodGet, refusal: why}
	remote := outputOf(b.f, i).remote
	if !remote {
		if err := t.setOutput(b.f, i, g.values); err != nil {
			return nil, err
		}
	}
	if toolReadsURL(b.f, upload, remote) {
		t.endsRun = true
		return t, nil
	}
	f := b.f
	f.uploadFile = upload
	t.method = defaultMethod(f, upload != "" || len(f.data) > 0 || b.form != nil)
	return t, nil
}

// toolReadsURL reports whether curl 7.88's own tool reads a URL before libcurl does,
// and so refuses a bad one itself: to put a -T file's name in it, to take -O's name
// from it, or to add -G's data or --url-query to its query.
func toolReadsURL(f requestFlags, upload string, remote bool) bool {
	return upload != "" && !stdinUpload(upload) || remote || f.get && len(f.data) > 0 || len(f.urlQuery) > 0
}

// glob expands a URL's or a -T file's globs, unless -g turns them off.
func (b *transferBuilder) glob(s string) ([]globbedURL, error) {
	if b.f.globOff {
		return []globbedURL{{url: s}}, nil
	}
	return expandGlob(s)
}

// newTransfer makes the transfer of one URL (one of a glob's): its URL with the
// placeholders filled and the URL options applied, its output and its credentials.
func newTransfer(f requestFlags, spec *requestSpec, g globbedURL, given string, i int, places placeholders, api apiServer, stdin io.Reader) (*transfer, error) {
	slashed, ok := schemeSlashes(g.url)
	if !ok {
		return nil, transferRefusal{exitErrorf(exitURLMalformed, "URL using bad/illegal format or missing URL")}
	}
	expanded, err := places.expand(slashed)
	if err != nil {
		return nil, err
	}
	u, isAPI, err := resolveURL(expanded, api)
	if err != nil {
		return nil, transferRefusal{err}
	}
	t := &transfer{url: u, spec: spec, given: g.url, customMethod: f.method != "", shownUser: u.User}
	if _, frag, ok := strings.Cut(expanded, "#"); ok && !isAPI {
		t.fragment = frag
	}
	if len(f.urlQuery) == 0 && !(f.get && len(f.data) > 0) {
		t.target = rawTarget(expanded, f.pathAsIs)
	}
	if f.watch {
		t.watch = startWatch(u)
	}
	if err := t.setOutput(f, i, g.values); err != nil {
		return nil, err
	}
	if err := applyURLOptions(u, f, stdin); err != nil {
		return nil, err
	}
	t.loginFrom(f)
	if len(f.urlQuery) > 0 {
		t.given = t.effectiveURL() // curl's tool rewrites the URL, and %{url} shows it so
	}
	return t, nil
}

// effectiveURL is %{url_effective} as curl 7.88 writes it: the URL as its parser
// reads it, with the user:password and #fragment it was given and no empty "?".
// A password is shown only where the user typed it into the URL, as %{url} shows it.
func (t *transfer) effectiveURL() string {
	e := *t.url
	e.User, e.ForceQuery, e.Fragment, e.RawFragment = t.shownUser, false, "", ""
	if t.fragment == "" {
		return urlText(&e)
	}
	return urlText(&e) + "#" + t.fragment
}

// loginFrom is Basic authorization from .netrc (-n) or the URL's user:password, as
// curl sends it when -u gives none; the URL keeps no user part.
func (t *transfer) loginFrom(f requestFlags) {
	u := t.url
	if f.netrc != "" && f.user == "" && (u.User == nil || !hasPassword(u.User)) {
		user := ""
		if u.User != nil {
			user = u.User.Username()
		}
		if login, ok := netrcLogin(readNetrc(f.netrc), u.Hostname(), user); ok {
			u.User = nil
			t.urlAuth = &headerArg{name: "Authorization", value: basicAuth(login), shown: "Basic " + redactedToken, builtin: true}
		}
	}
	if u.User != nil {
		if f.user == "" {
			pass, _ := u.User.Password()
			t.urlAuth = &headerArg{name: "Authorization", value: basicAuth(u.User.Username() + ":" + pass), shown: "Basic " + redactedToken, builtin: true}
		}
		u.User = nil
	}
}

// bodyFrom gives the transfer its body (or -G's query) and its method; upload is its
// -T file, "" for none.
func (t *transfer) bodyFrom(f requestFlags, upload string, data *chunkedData, form []byte, stdin io.Reader, api apiServer) error {
	u := t.url
	f.uploadFile = upload
	switch {
	case f.get && len(f.data) > 0:
		query := string(data.bytes())
		q := u.RawQuery
		if q != "" {
			q += "&"
		}
		u.RawQuery = q + query
		t.given = t.effectiveURL() // curl's tool rewrites the URL, and %{url} shows it so
	case f.uploadFile != "":
		t.body = &requestBody{uploadFile: f.uploadFile, stdin: stdin}
		if strings.HasSuffix(u.Path, "/") && !stdinUpload(f.uploadFile) {
			name := f.uploadFile[strings.LastIndexAny(f.uploadFile, `/\`)+1:]
			appendUploadName(u, name)
			t.given = givenWithUploadName(t.given, name)
			t.target = ""
		}
	case len(f.data) > 0:
		t.body = &requestBody{data: data}
	case form != nil:
		t.body = &requestBody{data: &chunkedData{}}
		t.body.data.write(form)
	}
	t.method = defaultMethod(f, t.body != nil)
	addFieldManager(t, api)
	return nil
}

// appendUploadName puts a -T file's name after u's path, which ends in /; an empty
// query goes, as curl writes the URL again.
func appendUploadName(u *url.URL, name string) {
	u.RawPath = u.EscapedPath() + uploadName(name)
	u.Path += name
	u.ForceQuery = false
}

// givenWithUploadName is %{url} once -T put its file's name in the URL: curl 7.88
// rewrites the URL as its parser reads it (http:// guessed, the scheme's slashes made
// two, a path of at least /) with the name appended, and keeps the fragment.
func givenWithUploadName(given, name string) string {
	raw, _ := schemeSlashes(given)
	if !strings.HasPrefix(raw, "/") && !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return given
	}
	if u.Path == "" {
		u.Path = "/"
	}
	appendUploadName(u, name)
	return u.String()
}

// uploadName is a -T file's name as curl appends it to a URL ending in /: every byte
// but a letter, a digit and -._~ as %xx.
func uploadName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', isDigit(c), strings.IndexByte("-._~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// newRequestSpec reads the -H arguments and works out the defaults that go with them.
func newRequestSpec(f requestFlags, stdin io.Reader) (*requestSpec, error) {
	headers, err := parseHeaders(f.headerArgs, stdin)
	if err != nil {
		return nil, err
	}
	built, err := optionHeaders(f)
	if err != nil {
		return nil, err
	}
	headers = append(headers, built...)
	for i := range headers {
		headers[i].trusted = f.locationTrusted
	}
	spec := &requestSpec{headers: headers, userAgent: f.userAgent, accept: "*/*", compressed: f.compressed, upload: f.uploadFile != ""}
	if !f.userAgentSet {
		spec.userAgent = defaultUserAgent()
	}
	for _, piece := range f.data {
		spec.jsonBody = spec.jsonBody || piece.kind == dataJSON
	}
	spec.yamlBody = yamlBody(f)
	switch {
	case f.table:
		spec.accept = tableAccept
	case f.yaml:
		spec.accept = "application/yaml"
	case spec.jsonBody:
		spec.accept = "application/json"
	}
	return spec, nil
}

// defaultMethod is curl's choice of method.
func defaultMethod(f requestFlags, hasBody bool) string {
	switch {
	case f.method != "":
		return f.method
	case f.head:
		return http.MethodHead
	case f.uploadFile != "":
		return http.MethodPut
	case hasBody:
		return http.MethodPost
	}
	return http.MethodGet
}

// requestHeadSize is the bytes of a request's head, for %{size_request}.
func requestHeadSize(method string, u *url.URL, headers []headerArg) int64 {
	n := len(method) + 1 + len(onTheWire(u).RequestURI()) + len(" HTTP/1.1\r\n") + 2
	for _, h := range headers {
		if !h.remove {
			n += len(h.name) + 2 + len(h.value) + 2
		}
	}
	return int64(n)
}

func hasPassword(u *url.Userinfo) bool {
	_, ok := u.Password()
	return ok
}

// rawTarget is the path and query of an absolute URL as written, when curl would send
// them so: without dot segments to squash and only printable ASCII.
func rawTarget(raw string, pathAsIs bool) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return ""
	}
	i := strings.IndexAny(rest, "/?")
	if i < 0 {
		return ""
	}
	target := rest[i:]
	if j := strings.IndexByte(target, '#'); j >= 0 {
		target = target[:j]
	}
	if strings.HasPrefix(target, "?") {
		target = "/" + target
	}
	path, _, _ := strings.Cut(target, "?")
	dots := strings.Contains(path+"/", "/./") || strings.Contains(path+"/", "/../")
	if (dots && !pathAsIs) || strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return ""
	}
	return target
}

// schemeSlashes reads the slashes after http: or https: as curl does: one to three
// ("http:/host", "http:///host") stand for two; none or more than three make a bad
// URL (ok is false). Other URLs come back as they are.
func schemeSlashes(raw string) (fixed string, ok bool) {
	scheme, rest, found := strings.Cut(raw, ":")
	if !found || !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
		return raw, true
	}
	slashes := len(rest) - len(strings.TrimLeft(rest, "/"))
	if slashes < 1 || slashes > 3 {
		return raw, false
	}
	return scheme + "://" + rest[slashes:], true
}
