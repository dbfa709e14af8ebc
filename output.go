package main

// Output rules, as curl's: the body (and -i headers) go to stdout or -o byte for byte;
// everything else goes to stderr. Info lines under -v start "* ", request lines "> ",
// response lines "< ". Failures are one line "kcurl: (N) message", lower-case words of
// kcurl's own, curl's words where curl has them, no final period. -s silences all but
// the data and -w; -S brings the error lines back. No line ever holds the token.

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alecthomas/kong"
	json "github.com/goccy/go-json"
)

// messages say which of kcurl's own lines a person sees: -v, -s, -S and the meter.
type messages struct {
	verbose         bool
	silent          bool
	showError       bool
	progressBar     bool
	noProgressMeter bool
	// outputGiven is any -o, which brings the meter back on a terminal.
	outputGiven bool
	// trace is --trace/--trace-ascii's file: the -v lines go there; traceTime stamps them.
	trace     io.Writer
	traceTime bool
}

// output is everything a person sees.
type output struct {
	e env
	m messages
	// mu orders stderr lines written from transport goroutines.
	mu sync.Mutex
}

func newOutput(e env, m messages) *output { return &output{e: e, m: m} }

func (o *output) showErrors() bool { return !o.m.silent || o.m.showError }

func (o *output) stderrLine(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(o.e.stderr, s)
}

// talkative is -v, or a --trace file: the "* ", "> " and "< " lines are written.
func (o *output) talkative() bool { return o.m.verbose || o.m.trace != nil }

// verboseLines writes -v lines: to the --trace file when there is one (each line
// stamped with --trace-time), else to stderr.
func (o *output) verboseLines(s string) {
	if o.m.trace == nil {
		o.stderrLine(s)
		return
	}
	if o.m.traceTime {
		stamp := time.Now().Format("15:04:05.000000 ")
		s = stamp + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+stamp) + "\n"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	io.WriteString(o.m.trace, s)
}

// info writes a "* " line under -v.
func (o *output) info(format string, args ...any) {
	if o.talkative() {
		o.verboseLines("* " + fmt.Sprintf(format, args...) + "\n")
	}
}

// warn writes a warning unless -s.
func (o *output) warn(format string, args ...any) {
	if !o.m.silent {
		o.stderrLine("kcurl: warning: " + fmt.Sprintf(format, args...) + "\n")
	}
}

// notice writes a line of kcurl's own, as kubectl's "No resources found.", unless -s.
func (o *output) notice(line string) {
	if !o.m.silent {
		o.stderrLine(line + "\n")
	}
}

// retryWarning is the line before a retry in curl's words: why, how long (whole
// seconds), how many are left.
func (o *output) retryWarning(why string, wait time.Duration, left int) {
	o.curlWarning(fmt.Sprintf("Problem %s. Will retry in %d seconds. %d retries left.", why, int64(wait/time.Second), left))
}

// curlWarning writes a warning as curl's warnf does, for the warnings scripts know by
// their words: "Warning: " before each line, wrapped at 79 columns on a blank.
func (o *output) curlWarning(text string) {
	if o.m.silent {
		return
	}
	o.stderrLine(wrapWarning(text))
}

func wrapWarning(text string) string {
	const prefix = "Warning: "
	const width = 79 - len(prefix)
	var b strings.Builder
	for len(text) > 0 {
		b.WriteString(prefix)
		if len(text) <= width {
			b.WriteString(text + "\n")
			break
		}
		cut := width - 1
		for cut > 0 && text[cut] != ' ' && text[cut] != '\t' {
			cut--
		}
		if cut == 0 {
			cut = width - 1
		}
		b.WriteString(text[:cut+1] + "\n")
		text = text[cut+1:]
	}
	return b.String()
}

// usageError is a bad command line curl words without a code: its line, then curl's
// pointer to --help.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

// fail writes err's line (and a Status line for HTTP errors) and returns its exit code.
func (o *output) fail(err error) int {
	code := exitCodeOf(err)
	var usage *usageError
	if errors.As(err, &usage) {
		o.stderrLine("kcurl: " + usage.msg + "\n" + tryHelp("kcurl") + "\n")
		return code
	}
	// A bad command line is reported even under -s, as curl does.
	if !o.showErrors() && code != exitFailedInit {
		return code
	}
	// The message may quote what a server or a file sent: it stays one line.
	o.stderrLine(fmt.Sprintf("kcurl: (%d) %s\n", code, printable(err.Error())))
	return code
}

// writeFailure is err as a failure to write output: curl's 23, unless it already has
// a code of its own.
func writeFailure(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee
	}
	return exitErrorf(exitWriteError, "Failure writing output to destination")
}

// statusNote is the line for a non-2xx Status without -f: shown with -S or when
// stderr is a terminal, where a person is reading.
func (o *output) statusNote(code int, s *apiStatus, auth authState) {
	if (o.m.showError || (o.e.stderrIsTerminal && !o.m.silent)) && !o.m.verbose {
		o.stderrLine("kcurl: " + (&httpFailure{code: code, status: s, auth: auth}).Error() + "\n")
	}
}

// requestHead writes the "> " lines of a request under -v, token redacted.
func (o *output) requestHead(req *http.Request, proto string, sent []headerArg) {
	if !o.talkative() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> %s %s %s\r\n", req.Method, onTheWire(req.URL).RequestURI(), proto)
	for _, h := range sent {
		if h.remove {
			continue
		}
		name := h.name
		if proto == "HTTP/2" && !strings.EqualFold(name, "Host") {
			name = strings.ToLower(name)
		}
		fmt.Fprintf(&b, "> %s: %s\r\n", name, h.display())
	}
	b.WriteString("> \r\n")
	o.verboseLines(b.String())
}

// responseHead writes the "< " lines of a response under -v.
func (o *output) responseHead(resp *http.Response) {
	if !o.talkative() {
		return
	}
	var b strings.Builder
	if wh := wireHeadOf(resp); wh != nil {
		for _, l := range strings.SplitAfter(string(wh.informational)+string(wh.final), "\n") {
			if l != "" {
				line := strings.TrimRight(l, "\r\n")
				b.WriteString("< " + printable(line) + l[len(line):]) // the server's bytes, escaped for the terminal
			}
		}
		o.verboseLines(b.String())
		return
	}
	b.WriteString("< " + printable(statusLine(resp)) + "\r\n")
	for _, k := range sortedHeaderNames(resp.Header) {
		for _, v := range resp.Header[k] {
			b.WriteString("< " + printable(headerName(resp, k)) + ": " + printable(v) + "\r\n")
		}
	}
	b.WriteString("< \r\n")
	o.verboseLines(b.String())
}

// writeHead writes the status line and headers for -i and -I, as curl: over kcurl's own
// HTTP/1.1 the bytes as received, 1xx heads first; over net/http CRLF lines, a blank line.
func writeHead(w io.Writer, resp *http.Response) error {
	if wh := wireHeadOf(resp); wh != nil {
		_, err := w.Write(append(bytes.Clone(wh.informational), wh.final...))
		return err
	}
	var b strings.Builder
	b.WriteString(statusLine(resp) + "\r\n")
	for _, k := range sortedHeaderNames(resp.Header) {
		for _, v := range resp.Header[k] {
			b.WriteString(headerName(resp, k) + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// printable is text from a server as kcurl prints it in lines of its own: control
// characters (C0, DEL, C1), and bytes that are not UTF-8, escaped as Go escapes them,
// so one line stays one line and no escape sequence reaches a terminal.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || (r >= 0x7f && r < 0xa0) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// statusLine is the response's first line as curl prints it.
func statusLine(resp *http.Response) string {
	if resp.ProtoMajor == 2 {
		return fmt.Sprintf("HTTP/2 %d ", resp.StatusCode)
	}
	return fmt.Sprintf("HTTP/%d.%d %s", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
}

// sortedHeaderNames is the order kcurl prints response headers (and whoami's extras)
// in: Go's client keeps no wire order, so names are sorted, which is also the order Go
// servers send.
func sortedHeaderNames(h map[string][]string) []string {
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
	if wh := wireHeadOf(resp); wh != nil {
		return int64(len(wh.informational) + len(wh.final))
	}
	n := int64(len(statusLine(resp)) + 2 + 2)
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

// tlsStart writes, under -v, which roots verify the server.
func (o *output) tlsStart(insecure bool, caDesc string) {
	if insecure {
		o.info("skipping certificate verification (-k)")
	} else {
		o.info(" CAfile: %s", caDesc)
	}
}

// tlsDetails writes curl's TLS lines under -v: version, cipher, ALPN, certificate.
func (o *output) tlsDetails(st tls.ConnectionState, u *url.URL, serverName string, insecure bool) {
	if !o.talkative() {
		return
	}
	o.info("SSL connection using %s / %s", tlsVersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if st.NegotiatedProtocol != "" {
		o.info("ALPN: server accepted %s", st.NegotiatedProtocol)
	} else {
		o.info("ALPN: server did not agree on a protocol. Uses default.")
	}
	if len(st.PeerCertificates) == 0 {
		return
	}
	cert := st.PeerCertificates[0]
	o.info("Server certificate:")
	o.info(" subject: %s", printable(cert.Subject.String()))
	o.info(" start date: %s", cert.NotBefore.UTC().Format("Jan  2 15:04:05 2006 GMT"))
	o.info(" expire date: %s", cert.NotAfter.UTC().Format("Jan  2 15:04:05 2006 GMT"))
	name := u.Hostname()
	if serverName != "" {
		name = serverName
	}
	if insecure {
		o.info(" issuer: %s", printable(cert.Issuer.String()))
		o.info(" SSL certificate verify result: not checked (-k), continuing anyway")
		return
	}
	if ip := net.ParseIP(name); ip != nil {
		o.info(" subjectAltName: host %q matched cert's IP address!", name)
	} else {
		o.info(" subjectAltName: host %q matched cert's %q", name, matchedSAN(cert.DNSNames, name))
	}
	o.info(" issuer: %s", printable(cert.Issuer.String()))
	o.info(" SSL certificate verify ok.")
}

func matchedSAN(names []string, host string) string {
	for _, n := range names {
		if strings.EqualFold(n, host) {
			return n
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "*.") && strings.HasSuffix(strings.ToLower(host), strings.ToLower(n[1:])) {
			return n
		}
	}
	return host
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	}
	return tls.VersionName(v)
}

// httpFailure is -f's error: curl's words, or the API server's Status when it sent one,
// and for a 401 what to check.
type httpFailure struct {
	code   int
	status *apiStatus
	auth   authState
}

func (h *httpFailure) Error() string {
	if h.status == nil {
		if h.code == http.StatusUnauthorized {
			return fmt.Sprintf("The requested URL returned error: %d (%s)", h.code, unauthorizedHint(h.auth, time.Now()))
		}
		return fmt.Sprintf("The requested URL returned error: %d", h.code)
	}
	line := h.status.summary(h.code)
	if h.code == http.StatusUnauthorized {
		line += " (" + unauthorizedHint(h.auth, time.Now()) + ")"
	}
	if h.code == http.StatusForbidden && h.auth.impersonated != "" {
		line += impersonationHint(h.status, h.auth.impersonated)
	}
	return line
}

func httpError(code int, status *apiStatus, auth authState) error {
	return &exitError{code: exitHTTPError, err: &httpFailure{code: code, status: status, auth: auth}}
}

// apiStatus is the part of a Kubernetes Status body an error line needs.
type apiStatus struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
	Details struct {
		Name  string `json:"name"`
		Group string `json:"group"`
		Kind  string `json:"kind"`
	} `json:"details"`
}

// summary is "403 Forbidden: message"; the HTTP code stands in for a Status without one.
func (s *apiStatus) summary(httpCode int) string {
	code := s.Code
	if code == 0 {
		code = httpCode
	}
	reason := s.Reason
	if reason == "" {
		reason = http.StatusText(code)
	}
	if s.Message == "" || s.Message == reason {
		return fmt.Sprintf("%d %s", code, printable(reason))
	}
	return fmt.Sprintf("%d %s: %s", code, printable(reason), printable(s.Message))
}

// maxStatusSize bounds how much of an error body is read to find a Status.
const maxStatusSize = 64 << 10

// readStatus reads a Status from an error body, or nil if the body is not one.
func readStatus(r io.Reader) *apiStatus {
	b, _ := io.ReadAll(io.LimitReader(r, maxStatusSize))
	return decodeStatus(b)
}

func decodeStatus(b []byte) *apiStatus {
	var s apiStatus
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &s) != nil || s.Kind != "Status" {
		return nil
	}
	return &s
}

// bodySink is where a transfer's data goes: stdout, or an -o file created only when
// the first byte arrives and removed again if the transfer fails.
type bodySink struct {
	w       io.Writer
	file    string
	f       *os.File
	created bool
	// append adds to the file, for a reconnected watch and -C.
	append bool
	// createDirs makes the file's directories first (--create-dirs).
	createDirs bool
	// removeOnError is --remove-on-error: a failed transfer's file goes; without it
	// the file keeps what came, as curl keeps it (and -C - can resume it).
	removeOnError bool
}

func (o *output) sink(file string) *bodySink {
	if file == "" || file == "-" {
		return &bodySink{w: o.e.stdout}
	}
	return &bodySink{file: file}
}

func (s *bodySink) open() error {
	if s.f != nil || s.file == "" {
		return nil
	}
	if s.createDirs {
		if err := os.MkdirAll(filepath.Dir(s.file), 0o750); err != nil {
			return exitErrorf(exitWriteError, "Failed to create the directory for %s: %s", s.file, fileProblem(err))
		}
	}
	_, statErr := os.Stat(s.file)
	mode := os.O_TRUNC
	if s.append {
		mode = os.O_APPEND
	}
	f, err := os.OpenFile(s.file, os.O_WRONLY|os.O_CREATE|mode, 0o644)
	if err != nil {
		return exitErrorf(exitWriteError, "Failed to open the file %s: %s", s.file, fileProblem(err))
	}
	s.f, s.w, s.created = f, f, statErr != nil
	return nil
}

// Write writes data, turning any failure into curl's 23.
func (s *bodySink) Write(b []byte) (int, error) {
	if err := s.open(); err != nil {
		return 0, err
	}
	n, err := s.w.Write(b)
	if err != nil {
		return n, exitErrorf(exitWriteError, "Failure writing output to destination")
	}
	return n, nil
}

// commit ends a good transfer: an -o file exists (empty if no body came) and is closed.
func (s *bodySink) commit() error {
	if err := s.open(); err != nil {
		return err
	}
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		if err != nil {
			s.removeCreated()
			return exitErrorf(exitWriteError, "Failure writing output to destination")
		}
	}
	return nil
}

// abort ends a failed transfer: the file keeps what came, as curl's does, unless
// --remove-on-error asks for a file kcurl created to be removed.
func (s *bodySink) abort() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
		if s.removeOnError {
			s.removeCreated()
		}
	}
}

func (s *bodySink) removeCreated() {
	if s.created {
		os.Remove(s.file)
	}
}

// progressMeter is curl's meter on stderr: shown when the body does not go to a
// terminal and -s is not given (-v too, as curl); -# draws a bar instead.
type progressMeter struct {
	o     *output
	total int64
	start time.Time
	last  time.Time
	n     int64
	on    bool
}

func (o *output) meter(total int64) *progressMeter {
	on := !o.m.silent && !o.m.noProgressMeter && (!o.e.stdoutIsTerminal || o.m.progressBar || o.m.outputGiven)
	m := &progressMeter{o: o, total: total, start: time.Now(), on: on}
	if on && !o.m.progressBar {
		o.stderrLine("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n" +
			"                                 Dload  Upload   Total   Spent    Left  Speed\n")
		m.draw()
	}
	return m
}

func (m *progressMeter) update(n int64) {
	m.n = n
	if m.on && time.Since(m.last) >= time.Second {
		m.draw()
	}
}

func (m *progressMeter) done() {
	if m.on {
		m.draw()
		m.o.stderrLine("\n")
		m.on = false
	}
}

func (m *progressMeter) draw() {
	m.last = time.Now()
	spent := time.Since(m.start)
	if m.o.m.progressBar {
		pct := 0.0
		if m.total > 0 {
			pct = float64(m.n) * 100 / float64(m.total)
		}
		width := 72
		bar := strings.Repeat("#", int(pct*float64(width)/100))
		m.o.stderrLine(fmt.Sprintf("\r%-*s %5.1f%%", width, bar, pct))
		return
	}
	speed := int64(0)
	if s := spent.Seconds(); s > 0 {
		speed = int64(float64(m.n) / s)
	}
	pct, total, left := 0, int64(0), "--:--:--"
	if m.total > 0 {
		total = m.total
		pct = int(m.n * 100 / m.total)
		if speed > 0 {
			left = clock(time.Duration(float64(m.total-m.n)/float64(speed)) * time.Second)
		}
	}
	totalTime := "--:--:--"
	if m.total > 0 && speed > 0 {
		totalTime = clock(time.Duration(float64(m.total)/float64(speed)) * time.Second)
	}
	m.o.stderrLine(fmt.Sprintf("\r%3d %s  %3d %s    0     0  %s      0 %s %s %s %s",
		pct, size5(total), pct, size5(m.n), size5(speed), totalTime, clock(spent), left, size5(speed)))
}

// size5 is curl's five-character size: bytes, then k, M, G.
func size5(n int64) string {
	switch {
	case n < 100000:
		return fmt.Sprintf("%5d", n)
	case n < 10000*1024:
		return fmt.Sprintf("%4dk", n/1024)
	case n < 10000*1024*1024:
		return fmt.Sprintf("%4dM", n/(1024*1024))
	}
	return fmt.Sprintf("%4dG", n/(1024*1024*1024))
}

func clock(d time.Duration) string {
	s := int64(d.Seconds())
	return fmt.Sprintf("%2d:%02d:%02d", s/3600, (s/60)%60, s%60)
}

// writeOutFormat is a parsed -w format.
type writeOutFormat []writeOutPiece

type writeOutPiece struct {
	literal string
	// variable is a %{name}; header is a %header{name}; switchTo is stdout or stderr.
	variable string
	header   string
	switchTo string
	// unknown is a %{name} curl 7.88 does not know: a warning when rendered, no text.
	unknown string
	// onError ends the output here unless the transfer failed.
	onError bool
}

// writeOutVariables are the names -w knows: curl 7.88's, in the order %{json} lists them.
var writeOutVariables = []string{
	"certs", "content_type", "errormsg", "exitcode", "filename_effective", "ftp_entry_path",
	"http_code", "http_connect", "http_version", "local_ip", "local_port", "method", "num_certs",
	"num_connects", "num_headers", "num_redirects", "proxy_ssl_verify_result", "redirect_url",
	"referer", "remote_ip", "remote_port", "response_code", "scheme", "size_download",
	"size_header", "size_request", "size_upload", "speed_download", "speed_upload",
	"ssl_verify_result", "time_appconnect", "time_connect", "time_namelookup", "time_pretransfer",
	"time_redirect", "time_starttransfer", "time_total", "url", "url_effective", "urlnum",
}

// knownWriteOut reports a variable name -w knows, including those not in %{json}.
func knownWriteOut(name string) bool {
	switch name {
	case "json", "header_json", "stdout", "stderr", "onerror":
		return true
	}
	return slices.Contains(writeOutVariables, name)
}

// parseWriteOut parses a -w format (or @file, @-, whose line endings curl 7.88 drops).
// As curl, an unknown variable is warned about when the format is written, and a
// %{ without its } is text.
func parseWriteOut(format string, stdin io.Reader) (writeOutFormat, error) {
	if strings.HasPrefix(format, "@") {
		b, err := readArgFile(format[1:], stdin, maxArgFileSize)
		if err != nil {
			return nil, err
		}
		format = strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(string(b))
	}
	var pieces writeOutFormat
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			pieces = append(pieces, writeOutPiece{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); i++ {
		ch := format[i]
		end := strings.IndexByte(format[i:], '}')
		switch {
		case ch == '\\' && i+1 < len(format):
			i++
			lit.WriteString(writeOutEscape(format[i]))
		case ch == '%' && strings.HasPrefix(format[i:], "%%"):
			lit.WriteByte('%')
			i++
		case ch == '%' && strings.HasPrefix(format[i:], "%{") && end > 0:
			flush()
			pieces = append(pieces, variablePiece(format[i+2:i+end]))
			i += end
		case ch == '%' && strings.HasPrefix(format[i:], "%header{") && end > 0:
			flush()
			pieces = append(pieces, writeOutPiece{header: format[i+len("%header{") : i+end]})
			i += end
		default:
			lit.WriteByte(ch)
		}
	}
	flush()
	return pieces, nil
}

func variablePiece(name string) writeOutPiece {
	switch {
	case name == "stdout" || name == "stderr":
		return writeOutPiece{switchTo: name}
	case name == "onerror":
		return writeOutPiece{onError: true}
	case !knownWriteOut(name):
		return writeOutPiece{unknown: name}
	}
	return writeOutPiece{variable: name}
}

// writeOutEscape is what -w's \\ followed by c stands for: \\n, \\r, \\t and \\\\ as
// curl reads them, anything else as written.
func writeOutEscape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 'r':
		return "\r"
	case 't':
		return "\t"
	case '\\':
		return "\\"
	}
	return string([]byte{'\\', c})
}

// render writes the format for one transfer.
func (f writeOutFormat) render(info *transferInfo, o *output) error {
	if len(f) == 0 {
		return nil
	}
	var w io.Writer = o.e.stdout
	var b strings.Builder
	vars := info.variables()
	emit := func() error {
		if b.Len() == 0 {
			return nil
		}
		_, err := io.WriteString(w, b.String())
		b.Reset()
		if err != nil {
			return exitErrorf(exitWriteError, "Failure writing output to destination")
		}
		return nil
	}
	for _, p := range f {
		switch {
		case p.switchTo != "":
			if err := emit(); err != nil {
				return err
			}
			w = o.e.stdout
			if p.switchTo == "stderr" {
				w = o.e.stderr
			}
		case p.onError:
			if info.exitCode == 0 {
				return emit()
			}
		case p.unknown != "":
			o.stderrLine("kcurl: unknown --write-out variable: '" + p.unknown + "'\n")
		case p.header != "":
			if info.header != nil {
				b.WriteString(info.header.Get(p.header))
			}
		case p.variable == "json":
			vars.json(&b)
		case p.variable == "header_json":
			info.headerJSON(&b)
		case p.variable != "":
			b.WriteString(vars[p.variable].text(p.variable))
		default:
			b.WriteString(p.literal)
		}
	}
	return emit()
}

// writeOutValue is one -w variable: a string (null when unset, for some), a number, or
// seconds (six decimals, as curl).
type writeOutValue struct {
	s        string
	n        int64
	seconds  float64
	kind     byte // 's' string, 'z' string or null, 'n' number, 't' seconds
	nullable bool
}

func str(s string) writeOutValue       { return writeOutValue{s: s, kind: 's'} }
func strOrNull(s string) writeOutValue { return writeOutValue{s: s, kind: 'z'} }
func num(n int64) writeOutValue        { return writeOutValue{n: n, kind: 'n'} }
func secs(d time.Duration) writeOutValue {
	return writeOutValue{seconds: d.Seconds(), kind: 't'}
}

// text is the value as %{name} prints it: codes with three digits, as curl.
func (v writeOutValue) text(name string) string {
	switch v.kind {
	case 'n':
		if name == "http_code" || name == "response_code" || name == "http_connect" {
			return fmt.Sprintf("%03d", v.n)
		}
		return strconv.FormatInt(v.n, 10)
	case 't':
		return strconv.FormatFloat(v.seconds, 'f', 6, 64)
	}
	return v.s
}

// writeOutVars is a transfer's -w variables by name.
type writeOutVars map[string]writeOutValue

// json writes %{json}: every variable in curl's order, then curl_version.
func (vars writeOutVars) json(b *strings.Builder) {
	b.WriteByte('{')
	for _, name := range writeOutVariables {
		v := vars[name]
		b.WriteString(`"` + name + `":`)
		switch {
		case v.kind == 'n':
			b.WriteString(strconv.FormatInt(v.n, 10))
		case v.kind == 't':
			b.WriteString(strconv.FormatFloat(v.seconds, 'f', 6, 64))
		case v.kind == 'z' && v.s == "":
			b.WriteString("null")
		default:
			writeJSONString(b, v.s)
		}
		b.WriteByte(',')
	}
	b.WriteString(`"curl_version":`)
	writeJSONString(b, defaultUserAgent())
	b.WriteByte('}')
}

// writeJSONString quotes s as curl's -w does: only quotes, backslashes and control bytes escaped.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString("\\n")
		case c == '\r':
			b.WriteString("\\r")
		case c == '\t':
			b.WriteString("\\t")
		case c == '\b':
			b.WriteString("\\b")
		case c == '\f':
			b.WriteString("\\f")
		case c < 0x20:
			fmt.Fprintf(b, "\\u%04x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// headerJSON writes %{header_json}: the last response's headers, names lower case,
// each with all its values, one per line, as curl.
func (info *transferInfo) headerJSON(b *strings.Builder) {
	b.WriteString("{")
	names := info.headerOrder
	if names == nil {
		names = sortedHeaderNames(info.header)
	}
	seen := map[string]bool{}
	first := true
	for _, n := range names {
		key := http.CanonicalHeaderKey(n)
		if seen[key] {
			continue
		}
		seen[key] = true
		if !first {
			b.WriteString(",\n")
		}
		first = false
		writeJSONString(b, strings.ToLower(n))
		b.WriteString(":[")
		for i, v := range info.header[key] {
			if i > 0 {
				b.WriteString(",")
			}
			writeJSONString(b, v)
		}
		b.WriteString("]")
	}
	b.WriteString("\n}")
}

// variables is the -w variables of one transfer, by name.
func (info *transferInfo) variables() writeOutVars {
	info.mu.Lock()
	defer info.mu.Unlock()
	speed := func(n int64) int64 {
		if s := info.total.Seconds(); s > 0 {
			return int64(float64(n) / s)
		}
		return 0
	}
	scheme := ""
	if u, err := url.Parse(info.urlEffective); err == nil && info.httpCode != 0 {
		scheme = strings.ToUpper(u.Scheme)
	}
	port := func(p string) int64 { n, _ := strconv.ParseInt(p, 10, 64); return n }
	return writeOutVars{
		"certs": str(""), "content_type": strOrNull(info.contentType), "errormsg": strOrNull(info.errorMsg),
		"exitcode": num(int64(info.exitCode)), "filename_effective": strOrNull(info.filename),
		"ftp_entry_path": strOrNull(""), "http_code": num(int64(info.httpCode)), "http_connect": num(0),
		"http_version": str(info.httpVersionOrZero()), "local_ip": str(info.localIP),
		"local_port": num(port(info.localPort)), "method": str(info.method), "num_certs": num(0),
		"num_connects": num(int64(info.numConnects)), "num_headers": num(int64(info.numHeaders)),
		"num_redirects": num(int64(info.numRedirects)), "proxy_ssl_verify_result": num(0),
		"redirect_url": strOrNull(info.redirectURL), "referer": strOrNull(info.referer),
		"remote_ip": str(info.remoteIP), "remote_port": num(port(info.remotePort)),
		"response_code": num(int64(info.httpCode)), "scheme": strOrNull(scheme),
		"size_download": num(info.sizeDownload), "size_header": num(info.sizeHeader),
		"size_request": num(info.sizeRequest), "size_upload": num(info.sizeUpload),
		"speed_download": num(speed(info.sizeDownload)), "speed_upload": num(speed(info.sizeUpload)),
		"ssl_verify_result": num(0), "time_appconnect": secs(info.appconnect),
		"time_connect": secs(info.connect), "time_namelookup": secs(info.namelookup),
		"time_pretransfer": secs(info.pretransfer), "time_redirect": secs(info.redirectTime),
		"time_starttransfer": secs(info.starttrans), "time_total": secs(info.total),
		"url": str(info.urlGiven), "url_effective": str(info.urlEffective), "urlnum": num(int64(info.urlNum)),
	}
}

func (info *transferInfo) httpVersionOrZero() string {
	switch info.httpVersion {
	case "":
		return "0"
	case "1.0":
		return "1"
	}
	return info.httpVersion
}

// prettyIndent is the API server's own indentation, so --pretty matches what it
// sends curl's User-Agent.
const prettyIndent = "  "

// prettyJSON indents a stream of JSON values as they pass through, keeping key order
// and number text, in constant memory: it holds only its nesting depth, never a value.
// Bytes that are not JSON pass through with their structure characters indented.
type prettyJSON struct {
	w        io.Writer
	out      []byte
	depth    int
	inString bool
	escaped  bool
	// open is a '{' or '[' written whose first element has not been seen, so that
	// empty ones stay "{}" and "[]", as json.Indent keeps them.
	open bool
	// started is set once a value's first byte is out, so leading space is dropped.
	started bool
}

func newPrettyJSON(w io.Writer) *prettyJSON {
	return &prettyJSON{w: w, out: make([]byte, 0, 2*copyBufferSize)}
}

// prettySpaces is enough indentation for 64 levels in one append; deeper levels loop.
var prettySpaces = strings.Repeat(prettyIndent, 64)

func (p *prettyJSON) newline() {
	p.out = append(p.out, '\n')
	n := p.depth * len(prettyIndent)
	for n > len(prettySpaces) {
		p.out = append(p.out, prettySpaces...)
		n -= len(prettySpaces)
	}
	p.out = append(p.out, prettySpaces[:n]...)
}

// Write indents b and writes the result at once, so a watch event shows as it arrives.
func (p *prettyJSON) Write(b []byte) (int, error) {
	p.out = p.out[:0]
	for i := 0; i < len(b); i++ {
		if len(p.out) >= copyBufferSize {
			// Deep nesting makes output grow faster than input: pass it on in pieces.
			if _, err := p.w.Write(p.out); err != nil {
				return 0, err
			}
			p.out = p.out[:0]
		}
		if p.inString {
			i = p.stringRun(b, i)
			continue
		}
		i = p.structure(b, i)
	}
	if len(p.out) > 0 {
		if _, err := p.w.Write(p.out); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// stringRun copies string bytes from b[i] up to and including the next quote or
// backslash, in one go, and returns the index of the last byte it took.
func (p *prettyJSON) stringRun(b []byte, i int) int {
	j := len(b)
	if k := indexQuoteOrBackslash(b[i:]); k >= 0 {
		j = i + k
	}
	if p.escaped && j > i {
		p.escaped = false
	}
	p.out = append(p.out, b[i:j]...)
	if j == len(b) {
		return j
	}
	c := b[j]
	p.out = append(p.out, c)
	switch {
	case p.escaped:
		p.escaped = false
	case c == '\\':
		p.escaped = true
	case c == '"':
		p.inString = false
	}
	return j
}

// structure indents the byte b[i] outside strings (a number or literal as one run)
// and returns the index of the last byte it took.
func (p *prettyJSON) structure(b []byte, i int) int {
	c := b[i]
	switch c {
	case ' ', '\t', '\r', '\n':
		if p.depth == 0 && p.started && !p.open {
			p.out = append(p.out, c) // space between top-level values is kept, as json.Indent keeps trailing space
		}
		return i
	}
	if p.open {
		p.open = false
		if c == '}' || c == ']' {
			p.depth--
			p.out = append(p.out, c)
			return i
		}
		p.newline()
	}
	p.started = true
	switch c {
	case '{', '[':
		p.out = append(p.out, c)
		p.depth++
		p.open = true
	case '}', ']':
		if p.depth > 0 {
			p.depth--
		}
		p.newline()
		p.out = append(p.out, c)
	case ',':
		p.out = append(p.out, ',')
		p.newline()
	case ':':
		p.out = append(p.out, ':', ' ')
	case '"':
		p.out = append(p.out, c)
		p.inString = true
	default:
		j := i + 1
		for j < len(b) && !prettySpecial[b[j]] {
			j++
		}
		p.out = append(p.out, b[i:j]...)
		return j - 1
	}
	return i
}

// indexQuoteOrBackslash finds the next byte that can end a string run.
func indexQuoteOrBackslash(b []byte) int {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		q = len(b)
	}
	if k := bytes.IndexByte(b[:q], '\\'); k >= 0 {
		return k
	}
	if q == len(b) {
		return -1
	}
	return q
}

// prettySpecial marks the bytes that end a number or literal.
var prettySpecial = func() (t [256]bool) {
	for _, c := range []byte("{}[],:\" \t\r\n") {
		t[c] = true
	}
	return t
}()

// isJSONType reports a JSON media type: application/json or any +json.
func isJSONType(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// writeCompletion prints a completion script for shell from kcurl's flags.
func writeCompletion(out io.Writer, shell string, flags []*kong.Flag) error {
	var b strings.Builder
	var words []string
	for _, f := range flags {
		if f.Hidden {
			continue
		}
		words = append(words, "--"+f.Name)
		if f.Short != 0 {
			words = append(words, "-"+string(f.Short))
		}
	}
	subcommands := "whoami can-i wait completion"
	switch shell {
	case "bash":
		fmt.Fprintf(&b, "# bash completion for kcurl: source <(kcurl completion bash)\n_kcurl() {\n")
		fmt.Fprintf(&b, "  local cur=${COMP_WORDS[COMP_CWORD]}\n")
		fmt.Fprintf(&b, "  if [ \"$COMP_CWORD\" -eq 1 ] && [[ $cur != -* ]]; then COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return; fi\n", subcommands)
		fmt.Fprintf(&b, "  COMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n}\ncomplete -o default -F _kcurl kcurl\n", strings.Join(words, " "))
	case "zsh":
		fmt.Fprintf(&b, "#compdef kcurl\n# zsh completion for kcurl: kcurl completion zsh > \"${fpath[1]}/_kcurl\"\n_kcurl() {\n  _arguments \\\n")
		for _, f := range flags {
			if f.Hidden {
				continue
			}
			help := strings.NewReplacer("[", "(", "]", ")", "'", "", ":", " ").Replace(f.Help)
			fmt.Fprintf(&b, "    '--%s[%s]' \\\n", f.Name, help)
		}
		fmt.Fprintf(&b, "    '1: :(%s)' \\\n    '*:url:_urls'\n}\n_kcurl \"$@\"\n", subcommands)
	case "fish":
		fmt.Fprintf(&b, "# fish completion for kcurl: kcurl completion fish > ~/.config/fish/completions/kcurl.fish\n")
		fmt.Fprintf(&b, "complete -c kcurl -n '__fish_use_subcommand' -a '%s'\n", subcommands)
		for _, f := range flags {
			if f.Hidden {
				continue
			}
			short := ""
			if f.Short != 0 {
				short = " -s '" + string(f.Short) + "'"
			}
			fmt.Fprintf(&b, "complete -c kcurl -l '%s'%s -d '%s'\n", f.Name, short, strings.ReplaceAll(f.Help, "'", "\\'"))
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}
