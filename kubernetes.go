package main

// The Kubernetes verbs beyond curl: whoami, can-i, --watch, --all-pages and --table,
// each a few lines on top of the same connection and transfer code, with their printers.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
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
	if code, done := parseCommand(&cmd, "kcurl whoami", "Who the API server thinks you are (selfsubjectreviews), and what the token itself says (decoded locally, not trusted).", args, e); done {
		return code
	}
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
	if code, done := parseCommand(&cmd, "kcurl can-i", "Ask the API server whether this identity may do something (exit 0 yes, 1 no), or list its rules with --all.", args, e); done {
		return code
	}
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
			return out.fail(exitErrorf(exitWriteError, "Failure writing output to destination"))
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

// call sends one request to the API server and decodes its JSON answer, read up to
// limit bytes, into v: the subcommands' and --all-pages' way in, with the same trust,
// token and error rules as a transfer.
func (c *connection) call(ctx context.Context, out *output, spec *requestSpec, method, path string, body any, limit int64, v any) (*transferInfo, error) {
	u, _, err := resolveURL(path, c.api)
	if err != nil {
		return nil, err
	}
	t := &transfer{url: u, method: method, spec: spec}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		t.body = &requestBody{data: b}
	}
	info := &transferInfo{start: time.Now(), method: method, urlEffective: u.String()}
	resp, err := c.send(ctx, t, u, method, t.body, info, out)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	info.httpCode, info.httpVersion, info.contentType = resp.StatusCode, versionOf(resp), resp.Header.Get("Content-Type")
	out.responseHead(resp)
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	info.sizeDownload = int64(len(b))
	if err != nil {
		return info, bodyError(ctx, err, int64(len(b)), info.start, resp)
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
func (c *connection) review(ctx context.Context, out *output, path string, body, v any) error {
	ctx, cancel := c.withMaxTime(ctx)
	defer cancel()
	_, err := c.call(ctx, out, jsonSpec(nil), http.MethodPost, path, body, maxAnswerSize, v)
	return err
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
	for {
		t.watch.line, t.watch.overflow = t.watch.line[:0], false
		info, err := r.runTransfer(ctx, t)
		if t.watch.gone || info.httpCode == http.StatusGone {
			gone := exitErrorf(exitHTTPError, "watch: resourceVersion %s is gone (410): list again, then watch from the list's resourceVersion", t.watch.resourceVersion)
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

// maxTableSize bounds a Table kcurl holds to align its columns, as kubectl holds it.
const maxTableSize = 256 << 20

// copyTable prints a Table answer as kubectl get does; anything else goes out as it came.
func (r *runner) copyTable(ctx context.Context, sink *bodySink, resp *http.Response) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTableSize))
	if err != nil {
		return bodyError(ctx, err, int64(len(b)), time.Now(), resp)
	}
	var tbl table
	if !isJSONType(resp.Header.Get("Content-Type")) || json.Unmarshal(b, &tbl) != nil || tbl.Kind != "Table" {
		_, err := sink.Write(b)
		return err
	}
	if len(tbl.Rows) == 0 {
		r.out.notice("No resources found.")
		return nil
	}
	return writeTable(sink, &tbl, r.delivery.table.wide)
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

// mergedHead opens the merged List in the API server's own field order, so it reads
// like one page.
func (lp *listPage) mergedHead() string {
	kind, _ := json.Marshal(lp.Kind)
	apiVersion, _ := json.Marshal(lp.APIVersion)
	rv, _ := json.Marshal(lp.Metadata.ResourceVersion)
	return `{"kind":` + string(kind) + `,"apiVersion":` + string(apiVersion) + `,"metadata":{"resourceVersion":` + string(rv) + `},"items":[`
}

// allPages is --all-pages: it follows metadata.continue and writes one List whose items
// are written page by page, so memory holds one page, never the whole list.
func (r *runner) allPages(ctx context.Context, t *transfer) (*transferInfo, error) {
	out := r.out
	sink := out.sink(t.outFile)
	var w io.Writer = sink
	if r.delivery.wantPretty(true, false) {
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
		info, err = r.conn.call(ctx, out, jsonSpec(t.spec), http.MethodGet, u.RequestURI(), nil, maxPageSize, &lp)
		if info != nil {
			total += info.sizeDownload
		}
		if err != nil {
			sink.abort()
			return info, err
		}
		if page == 0 {
			if _, err := io.WriteString(w, lp.mergedHead()); err != nil {
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
		fmt.Fprintf(tw, "  (unavailable: %v; the token below is decoded locally)\n", w.serverErr)
	} else {
		fmt.Fprintf(tw, "  username\t%s\n", w.user.Username)
		fmt.Fprintf(tw, "  uid\t%s\n", w.user.UID)
		fmt.Fprintf(tw, "  groups\t%s\n", strings.Join(w.user.Groups, ", "))
		for _, k := range sortedKeys(w.user.Extra) {
			fmt.Fprintf(tw, "  extra\t%s=%s\n", k, strings.Join(w.user.Extra[k], ","))
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
		fmt.Fprintf(tw, "  issuer\t%s\n", c.Issuer)
		fmt.Fprintf(tw, "  audiences\t%s\n", strings.Join(c.Audience, ", "))
		if sa := c.Kubernetes.ServiceAccount; sa != nil {
			fmt.Fprintf(tw, "  service account\t%s/%s (uid %s)\n", c.Kubernetes.Namespace, sa.Name, sa.UID)
		}
		fmt.Fprintf(tw, "  namespace\t%s\n", c.Kubernetes.Namespace)
		for _, ref := range []struct {
			kind string
			obj  *namedUID
		}{{"pod", c.Kubernetes.Pod}, {"node", c.Kubernetes.Node}} {
			if ref.obj != nil {
				fmt.Fprintf(tw, "  %s\t%s (uid %s)\n", ref.kind, ref.obj.Name, ref.obj.UID)
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

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeRules prints a rules review as kubectl auth can-i --list does.
func writeRules(out io.Writer, r *rulesReview) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	list := func(v []string) string { return "[" + strings.Join(v, " ") + "]" }
	fmt.Fprintln(tw, "Resources\tNon-Resource URLs\tResource Names\tVerbs")
	for _, rule := range r.ResourceRules {
		for _, res := range rule.Resources {
			for _, g := range orEmpty(rule.APIGroups) {
				name := res
				if g != "" {
					name += "." + g
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, "[]", list(rule.ResourceNames), list(rule.Verbs))
			}
		}
	}
	for _, rule := range r.NonResourceRules {
		fmt.Fprintf(tw, "\t%s\t%s\t%s\n", list(rule.NonResourceURLs), "[]", list(rule.Verbs))
	}
	tw.Flush()
	if r.Incomplete {
		fmt.Fprintf(&b, "(incomplete: %s)\n", r.EvaluationError)
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

// writeTable prints a Table as kubectl get does: upper-case headers, columns of
// priority 0 (and 1 with wide), padded by three spaces. An empty table is the caller's
// to report, on stderr, as kubectl does.
func writeTable(w io.Writer, t *table, wide bool) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 6, 4, 3, ' ', 0)
	var cols []int
	var head []string
	for i, c := range t.Columns {
		if c.Priority == 0 || wide {
			cols = append(cols, i)
			head = append(head, strings.ToUpper(c.Name))
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range t.Rows {
		cells := make([]string, len(cols))
		for j, i := range cols {
			if i < len(r.Cells) {
				cells[j] = tableCell(r.Cells[i])
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	_, err := io.WriteString(w, b.String())
	return err
}

// tableCell prints a cell: numbers without a decimal point when whole, nil as <none>.
func tableCell(v any) string {
	switch x := v.(type) {
	case nil:
		return "<none>"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
