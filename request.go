package main

// Turning flags into requests: the method, the headers in curl's order, the body from
// -d, --data-*, --json and -T (with @file and @-), -G, and one transfer per URL.

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

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
	// yamlBody is a body from a .yaml or .yml file: the API server gets it as YAML.
	yamlBody bool
}

// headersFor is the request's headers in curl's order: Host, User-Agent, Accept, the
// rest of the defaults, the user's -H replacing a default of the same name in its place;
// the bearer token, when it goes, right after Host.
func (s *requestSpec) headersFor(u *url.URL, method string, hasBody, api bool, hc hopCredentials) []headerArg {
	order := []headerArg{
		{name: "Host", value: u.Host},
		{name: "User-Agent", value: s.userAgent},
		{name: "Accept", value: s.accept},
	}
	if s.compressed {
		order = append(order, headerArg{name: "Accept-Encoding", value: "deflate, gzip"})
	}
	if ct := s.contentType(method, hasBody, api); ct != "" {
		order = append(order, headerArg{name: "Content-Type", value: ct})
	}
	set := func(h headerArg) {
		for i := range order {
			if strings.EqualFold(order[i].name, h.name) {
				order[i] = h
				return
			}
		}
		order = append(order, h)
	}
	for _, h := range hc.headers {
		set(h)
	}
	order = append(order, hc.impersonate...)
	if hc.bearer != nil {
		order = append(order[:1], append([]headerArg{*hc.bearer}, order[1:]...)...)
	}
	return order
}

// contentType is the default Content-Type of a body: JSON for --json and for the API
// server (merge patch for PATCH), a form for -d elsewhere, none for -T.
func (s *requestSpec) contentType(method string, hasBody, api bool) string {
	switch {
	case !hasBody:
		return ""
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

// applyHeaders puts the headers on req; a removed User-Agent stays out, where Go would
// otherwise add its own.
func applyHeaders(req *http.Request, headers []headerArg) {
	for _, h := range headers {
		switch {
		case h.remove:
			if strings.EqualFold(h.name, "User-Agent") {
				req.Header["User-Agent"] = []string{""}
			}
		case strings.EqualFold(h.name, "Host"):
			req.Host = h.value
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
	userAgent  string
	compressed bool
	table      bool
	watch      bool
	outputs    []string
	yaml       bool
}

// transfer is one URL's request, ready to send (again, on retries).
type transfer struct {
	url    *url.URL
	method string
	body   *requestBody
	spec   *requestSpec
	// outFile is -o's file for this URL, "" for stdout.
	outFile string
	// watch follows the events of a --watch, for --watch-reconnect.
	watch *watchTracker
	// appendOutput makes a reconnected watch add to its -o file instead of replacing it.
	appendOutput bool
}

// buildTransfers checks the request flags and reads every input (-H @file, -d @file,
// stdin) before any byte is sent, so bad input fails with nothing half-done; then it
// makes one transfer per URL.
func buildTransfers(f requestFlags, urls []string, places placeholders, api apiServer, stdin io.Reader) ([]*transfer, error) {
	spec, err := newRequestSpec(f, stdin)
	if err != nil {
		return nil, err
	}
	var data *chunkedData
	if len(f.data) > 0 {
		if data, err = buildData(f.data, stdin); err != nil {
			return nil, err
		}
	}
	if f.uploadFile != "" && f.uploadFile != "-" {
		if fi, err := os.Stat(f.uploadFile); err != nil || fi.IsDir() {
			return nil, exitErrorf(exitReadError, "Failed to open/read local data from file %s", f.uploadFile)
		}
	}
	var transfers []*transfer
	for i, arg := range urls {
		arg, err := places.expand(arg)
		if err != nil {
			return nil, err
		}
		u, _, err := resolveURL(arg, api)
		if err != nil {
			return nil, err
		}
		t := &transfer{url: u, spec: spec}
		if f.watch {
			t.watch = startWatch(u)
		}
		if i < len(f.outputs) {
			t.outFile = f.outputs[i]
		}
		switch {
		case f.get && len(f.data) > 0:
			q := u.RawQuery
			if q != "" {
				q += "&"
			}
			u.RawQuery = q + string(data.bytes())
		case f.uploadFile != "":
			t.body = &requestBody{uploadFile: f.uploadFile, stdin: stdin}
			if strings.HasSuffix(u.Path, "/") && f.uploadFile != "-" {
				u.Path += filepath.Base(f.uploadFile)
			}
		case len(f.data) > 0:
			t.body = &requestBody{data: data}
		}
		t.method = defaultMethod(f, t.body != nil)
		addFieldManager(t, api)
		transfers = append(transfers, t)
	}
	return transfers, nil
}

// newRequestSpec reads the -H arguments and works out the defaults that go with them.
func newRequestSpec(f requestFlags, stdin io.Reader) (*requestSpec, error) {
	headers, err := parseHeaders(f.headerArgs, stdin)
	if err != nil {
		return nil, err
	}
	spec := &requestSpec{headers: headers, userAgent: f.userAgent, accept: "*/*", compressed: f.compressed, upload: f.uploadFile != ""}
	if spec.userAgent == "" {
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
