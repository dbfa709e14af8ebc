package main

// The Kubernetes verbs beyond curl: whoami, can-i, --watch, --all-pages and --table,
// each a few lines on top of the same connection and transfer code, with their printers.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"
	json "github.com/goccy/go-json"
)

// whoamiCmd is "kcurl whoami": who the API server thinks you are, and what the token says.
type whoamiCmd struct {
	ConnFlags `embed:""`
	Format    string `enum:"text,json" default:"text"`
}

// runWhoami asks the API server (selfsubjectreviews) and decodes the token locally;
// the local part is printed even when the server cannot be reached.
func runWhoami(args []string, e env) int {
	var cmd whoamiCmd
	if code, done := parseInto(&cmd, "kcurl whoami", "Who the API server thinks you are (selfsubjectreviews), and what the token itself says (decoded locally, not trusted).", args, e); done {
		return code
	}
	cmd.keepSecrets()
	hideSecrets(e, cmd.Token, cmd.OAuth2Bearer)
	conn, out, err := connect(cmd.ConnFlags, e)
	if err != nil {
		return out.fail(err)
	}
	defer conn.close()
	w := whoami{apiServer: conn.api.base.String()}
	token, source, err := conn.creds.source.read()
	if err != nil {
		return out.fail(err)
	}
	w.tokenSource = source
	if token != "" {
		w.claims = decodeClaims(token)
	}
	w.user, w.serverErr = conn.selfSubjectReview(context.Background(), out)
	if err := w.write(e.stdout, cmd.Format, time.Now()); err != nil {
		return out.fail(exitErrorf(exitWriteError, "Failure writing output to destination"))
	}
	if w.serverErr != nil {
		return out.fail(w.serverErr)
	}
	return exitOK
}

// canICmd is "kcurl can-i": kubectl auth can-i from inside the pod.
type canICmd struct {
	ConnFlags   `embed:""`
	Verb        string `arg:"" optional:""`
	Resource    string `arg:"" optional:""`
	Name        string `arg:"" optional:""`
	Subresource string
	Group       string
	All         bool
}

// runCanI exits 0 for yes and 1 for no, as kubectl auth can-i; curl's codes otherwise.
func runCanI(args []string, e env) int {
	var cmd canICmd
	if code, done := parseInto(&cmd, "kcurl can-i", "Ask the API server whether this identity may do something (exit 0 yes, 1 no), or list its rules with --all.", args, e); done {
		return code
	}
	cmd.keepSecrets()
	hideSecrets(e, cmd.Token, cmd.OAuth2Bearer)
	if !cmd.All && (cmd.Verb == "" || cmd.Resource == "") {
		return newOutput(e, cmd.messages()).fail(exitErrorf(exitFailedInit, "can-i needs VERB and RESOURCE, or --all; try 'kcurl can-i --help'"))
	}
	conn, out, err := connect(cmd.ConnFlags, e)
	if err != nil {
		return out.fail(err)
	}
	defer conn.close()
	ns, err := (placeholders{namespaceFlag: cmd.Namespace, saDir: conn.sa.dir, saRoot: conn.sa.root}).namespace()
	if err != nil && (cmd.All || !strings.HasPrefix(cmd.Resource, "/")) {
		return out.fail(err)
	}
	ctx := context.Background()
	if cmd.All {
		rules, err := conn.selfSubjectRules(ctx, out, ns)
		if err != nil {
			return out.fail(err)
		}
		if err := writeRules(e.stdout, rules); err != nil {
			return out.fail(writeFailure(err))
		}
		return exitOK
	}
	attrs := accessAttributes(cmd.Verb, cmd.Resource, cmd.Name, cmd.Subresource, cmd.Group, ns)
	allowed, reason, err := conn.selfSubjectAccess(ctx, out, attrs)
	if err != nil {
		return out.fail(err)
	}
	answer := map[bool]string{true: "yes", false: "no"}[allowed]
	if reason != "" && cmd.Verbose {
		answer += " - " + reason
	}
	fmt.Fprintln(e.stdout, answer)
	if !allowed {
		return exitCanINo
	}
	return exitOK
}

// jsonSpec is how the verbs ask the API server for JSON: the defaults, and headers
// given, if any.
func jsonSpec(base *requestSpec) *requestSpec {
	s := &requestSpec{userAgent: defaultUserAgent(), accept: "application/json", jsonBody: true}
	if base != nil {
		s.headers, s.userAgent = base.headers, base.userAgent
	}
	return s
}

// open sends a verb's request and returns the response of a 2xx, body unread; any
// other status is its Status error line. It goes through the same trust, token and
// error rules as a transfer.
func (c *connection) open(ctx context.Context, out *output, t *transfer, info *transferInfo) (*http.Response, error) {
	resp, err := c.send(ctx, t, t.url, t.method, t.body, info, out)
	if err != nil {
		return nil, err
	}
	info.httpCode, info.httpVersion, info.contentType = resp.StatusCode, versionOf(resp), resp.Header.Get("Content-Type")
	out.responseHead(resp)
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, httpError(resp.StatusCode, readStatus(resp.Body), info.auth)
	}
	return resp, nil
}

// openPath is open for a path on the API server, with a JSON body if one is given.
func (c *connection) openPath(ctx context.Context, out *output, spec *requestSpec, method, path string, body any) (*http.Response, *transferInfo, error) {
	u, _, err := resolveURL(path, c.api)
	if err != nil {
		return nil, nil, err
	}
	t := &transfer{url: u, method: method, spec: spec}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, exitErrorf(exitInternal, "cannot encode the request to %s: %v", path, err)
		}
		t.body = &requestBody{data: &chunkedData{}}
		t.body.data.write(b)
	}
	info := &transferInfo{start: time.Now(), method: method, urlEffective: u.String()}
	resp, err := c.open(ctx, out, t, info)
	return resp, info, err
}

// call sends one request to the API server and decodes its JSON answer, of at most
// limit bytes, into v: the subcommands' way in.
func (c *connection) call(ctx context.Context, out *output, method, path string, body any, limit int64, v any) error {
	resp, info, err := c.openPath(ctx, out, jsonSpec(nil), method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return bodyError(ctx, err, int64(len(b)), info.start, resp)
	}
	if int64(len(b)) > limit {
		return exitErrorf(exitRecvError, "the answer to %s is larger than %d bytes", path, limit)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return exitErrorf(exitRecvError, "the answer to %s is not the JSON expected: %v", path, err)
	}
	return nil
}

// review is call for the review APIs, bounded by -m as a transfer is.
func (c *connection) review(ctx context.Context, out *output, path string, body, v any) error {
	ctx, cancel := c.withMaxTime(ctx)
	defer cancel()
	return c.call(ctx, out, http.MethodPost, path, body, maxAnswerSize, v)
}

// maxAnswerSize bounds a review answer; a rules review of a very busy identity is tens of KiB.
const maxAnswerSize = 8 << 20

// userInfo is the API server's view of the caller, from a SelfSubjectReview.
type userInfo struct {
	Username string              `json:"username"`
	UID      string              `json:"uid"`
	Groups   []string            `json:"groups"`
	Extra    map[string][]string `json:"extra"`
}

// selfSubjectReview asks the API server who the caller is.
func (c *connection) selfSubjectReview(ctx context.Context, out *output) (*userInfo, error) {
	var answer struct {
		Status struct {
			UserInfo userInfo `json:"userInfo"`
		} `json:"status"`
	}
	req := map[string]string{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
	if err := c.review(ctx, out, "/apis/authentication.k8s.io/v1/selfsubjectreviews", req, &answer); err != nil {
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
func (c *connection) selfSubjectAccess(ctx context.Context, out *output, spec map[string]any) (bool, string, error) {
	var answer struct {
		Status struct {
			Allowed bool   `json:"allowed"`
			Denied  bool   `json:"denied"`
			Reason  string `json:"reason"`
		} `json:"status"`
	}
	req := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
	if err := c.review(ctx, out, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", req, &answer); err != nil {
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
func (c *connection) selfSubjectRules(ctx context.Context, out *output, namespace string) (*rulesReview, error) {
	var answer struct {
		Status rulesReview `json:"status"`
	}
	req := map[string]any{"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": map[string]string{"namespace": namespace}}
	if err := c.review(ctx, out, "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", req, &answer); err != nil {
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

// startWatch makes u a watch (watch=1 and bookmarks, unless the URL says otherwise)
// and returns its tracker: a watch that starts from the URL's resourceVersion resumes,
// or is gone, from that one.
func startWatch(u *url.URL) *watchTracker {
	q := u.Query()
	for k, v := range map[string]string{"watch": "1", "allowWatchBookmarks": "true"} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return &watchTracker{resourceVersion: q.Get("resourceVersion")}
}

// watchLoop is --watch: a 410 that says the version is gone ends it with a message;
// with --watch-reconnect a watch that the server ends, or that breaks, starts again from
// the last resourceVersion seen (the token read afresh), until --max-time, a signal or
// an HTTP error.
func (r *runner) watchLoop(ctx context.Context, t *transfer) (*transferInfo, error) {
	ctx, cancel := r.conn.withMaxTime(ctx)
	defer cancel()
	start, received := time.Now(), int64(0)
	for {
		t.watch.line, t.watch.overflow = t.watch.line[:0], false
		info, err := r.runTransfer(ctx, t)
		received += info.sizeDownload
		if exitCodeOf(err) == exitTimeout && ctx.Err() == context.DeadlineExceeded {
			// -m bounds the whole watch: say how long it ran, not its last connection.
			return info, exitErrorf(exitTimeout, "Operation timed out after %d milliseconds with %d bytes received", time.Since(start).Milliseconds(), received)
		}
		if t.watch.gone || info.httpCode == http.StatusGone {
			gone := exitErrorf(exitHTTPError, "watch: resourceVersion %s is gone (410): list again, then watch from the list's resourceVersion", printable(t.watch.resourceVersion))
			if r.delivery.fail || r.delivery.failWithBody {
				return info, gone
			}
			r.out.warn("%s", gone.err)
			return info, nil
		}
		if r.mode != modeWatchReconnect || ctx.Err() != nil || !watchBroke(err) || info.httpCode >= 300 {
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
		r.out.info("watch ended (%s); reconnecting from resourceVersion %q", why, t.watch.resourceVersion)
		if err := r.sleep(ctx, time.Second); err != nil {
			return info, contextError(err, info)
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

// maxTableSize bounds the Table answer kcurl holds to align its columns, as kubectl
// holds it; a 500-row page of pods is about 200 KiB.
const maxTableSize = 32 << 20

// maxPrintedCells bounds the cells kcurl aligns from one Table or rules review: what a
// hostile answer can make of memory stays proportional to this, not to rows × columns.
const maxPrintedCells = 1 << 20

// copyTable prints a Table answer as kubectl get does; anything else goes out as it came.
func (r *runner) copyTable(ctx context.Context, sink *bodySink, resp *http.Response) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTableSize+1))
	if err != nil {
		return bodyError(ctx, err, int64(len(b)), time.Now(), resp)
	}
	if len(b) > maxTableSize {
		return exitErrorf(exitFileTooLarge, "the Table is larger than %d bytes: ask for fewer rows with limit= or --all-pages without --table", maxTableSize)
	}
	var tbl *tableText
	if isJSONType(resp.Header.Get("Content-Type")) {
		tbl, err = decodeTable(b, r.delivery.table.wide)
	}
	if tbl == nil {
		if err != nil {
			return err
		}
		_, err := sink.Write(b)
		return err
	}
	if len(tbl.rows) == 0 {
		r.out.notice("No resources found.")
		return nil
	}
	return writeTable(sink, tbl)
}

// tableText is a Table's shown columns, as text.
type tableText struct {
	head []string
	rows [][]string
}

// tableColumn is one of a Table's columnDefinitions.
type tableColumn struct {
	Name     string `json:"name"`
	Priority int    `json:"priority"`
}

// decodeTable reads a meta.k8s.io/v1 Table a token at a time, keeping only the cells
// of the columns shown (priority 0, and 1 with wide), as text. It returns nil, nil for
// an answer that is not a Table (printed as it came), and exit 63 past maxPrintedCells.
func decodeTable(b []byte, wide bool) (*tableText, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if expectDelim(dec, '{') != nil {
		return nil, nil
	}
	var kind string
	var shown []int
	t := &tableText{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, nil
		}
		switch key {
		case "kind":
			err = dec.Decode(&kind)
		case "columnDefinitions":
			var cols []tableColumn
			err = dec.Decode(&cols)
			t.head, shown = shownColumns(cols, wide)
		case "rows":
			if shown == nil {
				return nil, nil // rows before columns: not the API server's Table
			}
			err = t.decodeRows(dec, shown)
		default:
			err = dec.Decode(new(json.RawMessage))
		}
		var ee *exitError
		if errors.As(err, &ee) {
			return nil, err
		}
		if err != nil {
			return nil, nil
		}
	}
	if kind != "Table" || shown == nil {
		return nil, nil
	}
	return t, nil
}

// shownColumns are the names (upper case) and indexes of the columns printed.
func shownColumns(cols []tableColumn, wide bool) ([]string, []int) {
	head, shown := []string{}, []int{}
	for i, c := range cols {
		if c.Priority == 0 || wide {
			shown = append(shown, i)
			head = append(head, strings.ToUpper(c.Name))
		}
	}
	return head, shown
}

// decodeRows reads the rows array, one cell at a time.
func (t *tableText) decodeRows(dec *json.Decoder, shown []int) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		if (len(t.rows)+1)*len(shown) > maxPrintedCells {
			return exitErrorf(exitFileTooLarge, "the Table has more than %d cells to print", maxPrintedCells)
		}
		row, err := decodeRow(dec, shown)
		if err != nil {
			return err
		}
		t.rows = append(t.rows, row)
	}
	return expectDelim(dec, ']')
}

// decodeRow reads one row object, keeping the shown cells of its "cells".
func decodeRow(dec *json.Decoder, shown []int) ([]string, error) {
	row := make([]string, len(shown))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "cells" {
			if err := dec.Decode(new(json.RawMessage)); err != nil {
				return nil, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return nil, err
		}
		for i, j := 0, 0; dec.More(); i++ {
			var cell any
			if err := dec.Decode(&cell); err != nil {
				return nil, err
			}
			if j < len(shown) && shown[j] == i {
				row[j] = tableCell(cell)
				j++
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, err
		}
	}
	return row, expectDelim(dec, '}')
}

// pageLimit is the page size --all-pages asks for when the URL sets none, kubectl's chunk size.
const pageLimit = "500"

// maxItemSize bounds one item of a page, the most kcurl holds of a List at a time
// (the decoder's buffer holds up to about three times it); etcd stores objects of at
// most 1.5 MiB.
const maxItemSize = 16 << 20

// pageHead is the part of a List page before its items.
type pageHead struct {
	Kind       string
	APIVersion string
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion"`
		Continue        string `json:"continue"`
	}
}

// mergedHead opens the merged List in the API server's own field order, so it reads
// like one page.
func (h *pageHead) mergedHead() string {
	kind, _ := json.Marshal(h.Kind)
	apiVersion, _ := json.Marshal(h.APIVersion)
	rv, _ := json.Marshal(h.Metadata.ResourceVersion)
	return `{"kind":` + string(kind) + `,"apiVersion":` + string(apiVersion) + `,"metadata":{"resourceVersion":` + string(rv) + `},"items":[`
}

// allPages is --all-pages: it follows metadata.continue and writes one List whose items
// stream out one at a time, so memory holds one item, never a page or the list; -m
// bounds the whole walk.
func (r *runner) allPages(ctx context.Context, t *transfer) (*transferInfo, error) {
	ctx, cancel := r.conn.withMaxTime(ctx)
	defer cancel()
	sink := r.out.sink(t.outFile)
	var w io.Writer = sink
	if r.delivery.wantPretty(true, false) {
		w = newPrettyJSON(sink)
	}
	q := t.url.Query()
	if !q.Has("limit") {
		q.Set("limit", pageLimit)
	}
	info := &transferInfo{start: time.Now(), method: http.MethodGet, urlEffective: t.url.String()}
	pages := &pageCopier{w: w}
	for page := 1; ; page++ {
		u := *t.url
		u.RawQuery = q.Encode()
		before := pages.items
		cont, err := r.copyPage(ctx, &transfer{url: &u, method: http.MethodGet, spec: jsonSpec(t.spec)}, info, pages)
		if err != nil {
			sink.abort()
			return info, err
		}
		r.out.info("page %d: %d items", page, pages.items-before)
		if cont == "" {
			break
		}
		q.Set("continue", cont)
	}
	if _, err := w.Write([]byte("]}\n")); err != nil {
		sink.abort()
		return info, err
	}
	info.total = time.Since(info.start)
	return info, sink.commit()
}

// copyPage fetches one page and streams its items out; it returns the page's continue token.
func (r *runner) copyPage(ctx context.Context, t *transfer, info *transferInfo, pages *pageCopier) (string, error) {
	resp, err := r.conn.open(ctx, r.out, t, info)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	counted := &countingReader{r: resp.Body}
	cont, err := pages.copy(counted)
	info.sizeDownload += counted.n
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return "", err
		}
		if ctx.Err() != nil || counted.err != nil {
			return "", bodyError(ctx, counted.errOr(err), counted.n, info.start, resp)
		}
		return "", exitErrorf(exitRecvError, "the answer to %s is not a List: %v", t.url.Path, err)
	}
	return cont, nil
}

// pageCopier writes the items of a List's pages as one List.
type pageCopier struct {
	w       io.Writer
	started bool
	items   int
}

// copy reads one page from r, a token at a time, writing the merged List's head before
// the first page's items and each item as it is decoded.
func (p *pageCopier) copy(r io.Reader) (string, error) {
	limited := &itemLimit{r: r}
	dec := json.NewDecoder(limited)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	var head pageHead
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", err
		}
		var target any = new(json.RawMessage)
		switch key {
		case "kind":
			target = &head.Kind
		case "apiVersion":
			target = &head.APIVersion
		case "metadata":
			target = &head.Metadata
		case "items":
			if err := p.start(&head); err != nil {
				return "", err
			}
			if err := p.copyItems(dec, limited); err != nil {
				return "", err
			}
			continue
		}
		if err := dec.Decode(target); err != nil {
			return "", err
		}
		limited.reset()
	}
	if err := expectDelim(dec, '}'); err != nil {
		return "", err
	}
	return head.Metadata.Continue, p.start(&head)
}

// start writes the merged List's head once.
func (p *pageCopier) start(head *pageHead) error {
	if p.started {
		return nil
	}
	p.started = true
	_, err := io.WriteString(p.w, head.mergedHead())
	return err
}

// copyItems streams the items array, one item in memory at a time.
func (p *pageCopier) copyItems(dec *json.Decoder, limited *itemLimit) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return err
		}
		limited.reset()
		if p.items > 0 {
			if _, err := p.w.Write([]byte{','}); err != nil {
				return err
			}
		}
		p.items++
		if _, err := p.w.Write(item); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

// expectDelim reads the next token and fails unless it is d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, got %v", d, tok)
	}
	return nil
}

// itemLimit fails a read once more than maxItemSize bytes came since the last item.
type itemLimit struct {
	r io.Reader
	n int64
}

func (l *itemLimit) Read(b []byte) (int, error) {
	if l.n > maxItemSize {
		return 0, exitErrorf(exitRecvError, "a List item is larger than %d bytes", maxItemSize)
	}
	n, err := l.r.Read(b)
	l.n += int64(n)
	return n, err
}

func (l *itemLimit) reset() { l.n = 0 }

// whoami is what "kcurl whoami" found out.
type whoami struct {
	apiServer   string
	user        *userInfo
	serverErr   error
	tokenSource string
	claims      *tokenClaims
}

// write prints the server's view, then the token's, as text or JSON.
func (w *whoami) write(out io.Writer, format string, now time.Time) error {
	if format == "json" {
		return w.writeJSON(out, now)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "API server %s says:\n", w.apiServer)
	if w.user == nil {
		fmt.Fprintf(tw, "  (unavailable: %s; the token below is decoded locally)\n", printable(w.serverErr.Error()))
	} else {
		fmt.Fprintf(tw, "  username\t%s\n", printable(w.user.Username))
		fmt.Fprintf(tw, "  uid\t%s\n", printable(w.user.UID))
		fmt.Fprintf(tw, "  groups\t%s\n", printable(strings.Join(w.user.Groups, ", ")))
		for _, k := range sortedHeaderNames(w.user.Extra) {
			fmt.Fprintf(tw, "  extra\t%s=%s\n", printable(k), printable(strings.Join(w.user.Extra[k], ",")))
		}
	}
	tw.Flush()
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	switch {
	case w.tokenSource == "" || strings.HasPrefix(w.tokenSource, "no token"):
		fmt.Fprintf(tw, "token: none (%s)\n", w.tokenSource)
	case w.claims == nil:
		fmt.Fprintf(tw, "token from %s: not a JWT, nothing to decode\n", w.tokenSource)
	default:
		c := w.claims
		fmt.Fprintf(tw, "token from %s (decoded locally, not verified):\n", w.tokenSource)
		fmt.Fprintf(tw, "  issuer\t%s\n", printable(c.Issuer))
		fmt.Fprintf(tw, "  audiences\t%s\n", printable(strings.Join(c.Audience, ", ")))
		if sa := c.Kubernetes.ServiceAccount; sa != nil {
			fmt.Fprintf(tw, "  service account\t%s/%s (uid %s)\n", printable(c.Kubernetes.Namespace), printable(sa.Name), printable(sa.UID))
		}
		fmt.Fprintf(tw, "  namespace\t%s\n", printable(c.Kubernetes.Namespace))
		for _, ref := range []struct {
			kind string
			obj  *namedUID
		}{{"pod", c.Kubernetes.Pod}, {"node", c.Kubernetes.Node}} {
			if ref.obj != nil {
				fmt.Fprintf(tw, "  %s\t%s (uid %s)\n", ref.kind, printable(ref.obj.Name), printable(ref.obj.UID))
			}
		}
		fmt.Fprintf(tw, "  issued\t%s\n", unixTime(c.IssuedAt))
		fmt.Fprintf(tw, "  expires\t%s (%s)\n", unixTime(c.Expiry), timeLeft(c.Expiry, now))
		if c.Kubernetes.WarnAfter > 0 {
			fmt.Fprintf(tw, "  warnafter\t%s\n", unixTime(c.Kubernetes.WarnAfter))
		}
	}
	tw.Flush()
	_, err := io.WriteString(out, b.String())
	return err
}

func (w *whoami) writeJSON(out io.Writer, now time.Time) error {
	doc := map[string]any{"apiServer": w.apiServer, "user": w.user}
	if w.serverErr != nil {
		doc["serverError"] = w.serverErr.Error()
	}
	if c := w.claims; c != nil {
		tok := map[string]any{
			"source": w.tokenSource, "issuer": c.Issuer, "audiences": []string(c.Audience),
			"namespace": c.Kubernetes.Namespace, "serviceAccount": c.Kubernetes.ServiceAccount,
			"pod": c.Kubernetes.Pod, "node": c.Kubernetes.Node,
			"issuedAt": unixTime(c.IssuedAt), "expiresAt": unixTime(c.Expiry),
			"expiresInSeconds": c.Expiry - now.Unix(),
		}
		if c.Kubernetes.WarnAfter > 0 {
			tok["warnAfter"] = unixTime(c.Kubernetes.WarnAfter)
		}
		doc["token"] = tok
	} else {
		doc["token"] = nil
		doc["tokenSource"] = w.tokenSource
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = out.Write(append(b, '\n'))
	return err
}

func unixTime(s int64) string {
	if s == 0 {
		return "-"
	}
	return time.Unix(s, 0).UTC().Format(time.RFC3339)
}

func timeLeft(exp int64, now time.Time) string {
	if exp == 0 {
		return "no expiry"
	}
	d := time.Unix(exp, 0).Sub(now).Round(time.Second)
	if d < 0 {
		return "expired " + (-d).String() + " ago"
	}
	return "in " + d.String()
}

// writeRules prints a rules review as kubectl auth can-i --list does.
func writeRules(out io.Writer, r *rulesReview) error {
	rows := len(r.NonResourceRules)
	for _, rule := range r.ResourceRules {
		rows += len(rule.Resources) * len(orEmpty(rule.APIGroups))
	}
	if rows*4 > maxPrintedCells {
		return exitErrorf(exitFileTooLarge, "the rules review has %d rows, more than kcurl prints (%d)", rows, maxPrintedCells/4)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	list := func(v []string) string { return printable("[" + strings.Join(v, " ") + "]") }
	fmt.Fprintln(tw, "Resources\tNon-Resource URLs\tResource Names\tVerbs")
	for _, rule := range r.ResourceRules {
		for _, res := range rule.Resources {
			for _, g := range orEmpty(rule.APIGroups) {
				name := res
				if g != "" {
					name += "." + g
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", printable(name), "[]", list(rule.ResourceNames), list(rule.Verbs))
			}
		}
	}
	for _, rule := range r.NonResourceRules {
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", list(rule.NonResourceURLs), "[]", list(rule.Verbs))
	}
	tw.Flush()
	if r.Incomplete {
		fmt.Fprintf(&b, "(incomplete: %s)\n", printable(r.EvaluationError))
	}
	_, err := io.WriteString(out, b.String())
	return err
}

func orEmpty(v []string) []string {
	if len(v) == 0 {
		return []string{""}
	}
	return v
}

// writeTable prints a Table as kubectl get does: upper-case headers, the shown
// columns, padded by three spaces. An empty table is the caller's to report, on
// stderr, as kubectl does.
func writeTable(w io.Writer, t *tableText) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 6, 4, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.head, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

// tableCell prints a cell: numbers without a decimal point when whole, nil as <none>,
// control characters escaped so a cell cannot reach the terminal as a command.
func tableCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "<none>"
	case string:
		return printable(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return printable(fmt.Sprint(v))
}

// impersonation is --as, --as-group, --as-uid and --as-user-extra, as given.
type impersonation struct {
	user   string
	groups []string
	uid    string
	extra  []string
}

// headers are the Impersonate-* headers, checked before anything is sent: the API
// server refuses groups, a UID or extras without a user, and a CR or LF would be a
// header of its own.
func (i impersonation) headers() ([]headerArg, error) {
	if i.user == "" {
		if len(i.groups) > 0 || i.uid != "" || len(i.extra) > 0 {
			return nil, exitErrorf(exitFailedInit, "--as-group, --as-uid and --as-user-extra need --as USER")
		}
		return nil, nil
	}
	hs := []headerArg{{name: "Impersonate-User", value: i.user}}
	for _, g := range i.groups {
		hs = append(hs, headerArg{name: "Impersonate-Group", value: g})
	}
	if i.uid != "" {
		hs = append(hs, headerArg{name: "Impersonate-Uid", value: i.uid})
	}
	for _, kv := range i.extra {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return nil, exitErrorf(exitFailedInit, "option --as-user-extra: expected KEY=VALUE, got %q", kv)
		}
		hs = append(hs, headerArg{name: "Impersonate-Extra-" + escapeExtraKey(key), value: value})
	}
	for _, h := range hs {
		if strings.ContainsAny(h.value, "\r\n\x00") {
			return nil, exitErrorf(exitFailedInit, "%s: a CR, LF or NUL in the value is refused", h.name)
		}
	}
	return hs, nil
}

// escapeExtraKey percent-encodes what may not stand in a header name (and '%' itself),
// as client-go does, so "example.com/scopes" travels as "example.com%2Fscopes".
func escapeExtraKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '%' || !validHeaderName(string(c)) {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// impersonationHint names the permission a 403 says is missing when the request
// impersonated user: the impersonate verb on the user, group, UID or extra named; or,
// where the API server has constrained impersonation (1.37 reports its check), that
// verb on the user, or the pair of constrained verbs.
func impersonationHint(s *apiStatus, user string) string {
	if s == nil {
		return ""
	}
	if strings.Contains(s.Message, "cannot impersonate resource") {
		resource := s.Details.Kind
		if s.Details.Group != "" {
			resource += "." + s.Details.Group
		}
		return fmt.Sprintf(" (--as needs the RBAC verb impersonate on %s %q)", resource, s.Details.Name)
	}
	_, rest, ok := strings.Cut(s.Message, "cannot impersonate-on:")
	if !ok {
		return ""
	}
	verb, _, _ := strings.Cut(rest, " ")
	mode, _, _ := strings.Cut(verb, ":")
	return fmt.Sprintf(" (--as needs the RBAC verb impersonate on users %q, or, constrained, impersonate:%s on that user and impersonate-on:%s on this resource)", user, mode, verb)
}

// applyPatchYAML is server-side apply's patch type.
const applyPatchYAML = "application/apply-patch+yaml"

// isYAMLFile reports a file named as YAML (.yaml, .yml).
func isYAMLFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// yamlBody reports a body that comes from YAML files (-d @file.yaml, --data-binary
// @file.yml, -T file.yaml) and nothing else, so the API server is told it is YAML: it
// parses YAML itself, kcurl does not. --json says otherwise, and wins.
func yamlBody(f requestFlags) bool {
	if f.uploadFile != "" {
		return isYAMLFile(f.uploadFile)
	}
	if len(f.data) == 0 {
		return false
	}
	for _, p := range f.data {
		if p.kind == dataJSON || p.kind == dataRaw || p.kind == dataURLEncode || !strings.HasPrefix(p.value, "@") || !isYAMLFile(p.value[1:]) {
			return false
		}
	}
	return true
}

// addFieldManager names kcurl as the field manager of a server-side apply to the API
// server (a YAML PATCH), which the API server requires, unless the URL names one.
func addFieldManager(t *transfer, api apiServer) {
	if t.method != http.MethodPatch || !isAPIServer(t.url, api) || !t.spec.yamlBody || t.body == nil {
		return
	}
	for _, h := range t.spec.headers {
		if strings.EqualFold(h.name, "Content-Type") && !strings.HasPrefix(strings.ToLower(h.value), applyPatchYAML) {
			return // the user's own patch type, which needs none
		}
	}
	if t.url.Query().Has("fieldManager") {
		return
	}
	if t.url.RawQuery != "" {
		t.url.RawQuery += "&" // the user's query stays as typed
	}
	t.url.RawQuery += "fieldManager=kcurl"
}
