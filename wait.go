package main

// kcurl wait: kubectl wait from inside the pod. It lives in a file of its own, beside
// kubernetes.go, because it is a state machine of its own (list, watch, resume, start
// over on 410) with its own condition grammar, not a few lines on top of a transfer.
//
// The shape is client-go's list-then-watch: one GET of the object (or of the
// collection), then a watch from that answer's resourceVersion, resumed from the last
// resourceVersion seen when the server ends it or the connection breaks, and started
// over from a fresh GET when the server says that version is gone (410). No polling.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// waitCmd is "kcurl wait".
type waitCmd struct {
	ConnFlags `embed:""`
	For       string
	Timeout   string `default:"30s"`
	Path      string `arg:""`
}

// aWeek is what a negative --timeout waits, as kubectl.
const aWeek = 168 * time.Hour

// runWait exits 0 when the condition is met, 28 when --timeout runs out first, and
// with curl's codes (22 for a Status) otherwise.
func runWait(args []string, e env) int {
	var cmd waitCmd
	if code, done := parseInto(&cmd, "kcurl wait", "Wait until an object (or every object of a collection, ?labelSelector=…) meets a condition, as kubectl wait: --for=condition=Ready[=false], --for=jsonpath='{.status.phase}'=Running, --for=delete, --for=create.", args, e); done {
		return code
	}
	msgs := cmd.messages()
	cond, err := parseWaitFor(cmd.For)
	if err != nil {
		return newOutput(e, msgs).fail(err)
	}
	timeout, err := parseWaitTimeout(cmd.Timeout)
	if err != nil {
		return newOutput(e, msgs).fail(err)
	}
	conn, out, err := connect(cmd.ConnFlags, e)
	if err != nil {
		return out.fail(err)
	}
	defer conn.close()
	places := placeholders{namespaceFlag: cmd.Namespace, saDir: conn.sa.dir, getenv: e.getenv, hostname: e.hostname}
	path, err := places.expand(cmd.Path)
	if err != nil {
		return out.fail(err)
	}
	target, err := parseWaitTarget(path)
	if err != nil {
		return out.fail(err)
	}
	w := &waiter{conn: conn, out: out, stdout: e.stdout, sleep: e.sleep, cond: cond, target: target, once: timeout == 0}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := w.run(ctx); err != nil {
		if errors.Is(err, errNotMet) || ctx.Err() != nil {
			err = w.timedOut(timeout)
		}
		return out.fail(err)
	}
	return exitOK
}

// parseWaitTimeout is kubectl's --timeout (a Go duration; 0 checks once, negative
// waits a week), and, as curl's time options, a bare number of seconds.
func parseWaitTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != f || f > 1e9 || f < -1e9 {
			return 0, exitErrorf(exitFailedInit, "option --timeout: expected a duration such as 30s, 5m or 0, got %q", s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < 0 {
		d = aWeek
	}
	return d, nil
}

// waitKind is what --for asks for.
type waitKind int

const (
	waitCondition waitKind = iota // condition=Ready[=true]
	waitJSONPath                  // jsonpath='{…}'[=value]
	waitDelete                    // delete
	waitCreate                    // create
)

// waitFor is a parsed --for.
type waitFor struct {
	kind waitKind
	// text is --for as given, for messages.
	text string
	// conditionType and conditionStatus are condition=TYPE=STATUS.
	conditionType, conditionStatus string
	// path and value are jsonpath=TEMPLATE=VALUE; anyValue is the bare form.
	path     *jsonPath
	template string
	value    string
	anyValue bool
}

// parseWaitFor reads --for as kubectl does: delete, create, condition=NAME[=VALUE]
// (VALUE true by default, compared case-insensitively), jsonpath=TEMPLATE[=VALUE].
func parseWaitFor(s string) (waitFor, error) {
	f := waitFor{text: s}
	switch lower := strings.ToLower(s); {
	case s == "":
		return f, exitErrorf(exitFailedInit, "wait needs --for: condition=NAME[=VALUE], jsonpath='{…}'[=VALUE], delete or create")
	case lower == "delete":
		f.kind = waitDelete
	case lower == "create":
		f.kind = waitCreate
	case strings.HasPrefix(s, "condition="):
		f.kind = waitCondition
		f.conditionType, f.conditionStatus, _ = strings.Cut(s[len("condition="):], "=")
		if f.conditionStatus == "" {
			f.conditionStatus = "true"
		}
		if f.conditionType == "" {
			return f, exitErrorf(exitFailedInit, "option --for: condition= needs a condition name, as condition=Ready")
		}
	case strings.HasPrefix(s, "jsonpath="):
		return parseWaitJSONPath(f, s[len("jsonpath="):])
	default:
		return f, exitErrorf(exitFailedInit, "option --for: unrecognized condition %q (condition=NAME[=VALUE], jsonpath='{…}'[=VALUE], delete or create)", s)
	}
	return f, nil
}

// parseWaitJSONPath splits TEMPLATE[=VALUE]: the template is a braced expression (an
// '=' inside it, as in a filter, is part of it) or, relaxed as kubectl's, a bare
// .field.path up to the first '='.
func parseWaitJSONPath(f waitFor, s string) (waitFor, error) {
	f.kind = waitJSONPath
	var rest string
	if strings.HasPrefix(s, "{") {
		end := templateEnd(s)
		if end < 0 {
			return f, exitErrorf(exitFailedInit, "option --for: jsonpath %q has no closing brace", s)
		}
		f.template, rest = s[:end], s[end:]
	} else {
		var value string
		var hasValue bool
		f.template, value, hasValue = strings.Cut(s, "=")
		if hasValue {
			rest = "=" + value
		}
		if f.template != "" {
			f.template = "{" + strings.TrimPrefix(f.template, "$") + "}"
		}
	}
	switch {
	case f.template == "" || f.template == "{}":
		return f, exitErrorf(exitFailedInit, "option --for: jsonpath expression cannot be empty")
	case rest == "":
		f.anyValue = true
	case rest[0] != '=':
		return f, exitErrorf(exitFailedInit, "option --for: jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'")
	default:
		f.value = strings.Trim(rest[1:], `'"`)
		if f.value == "" {
			return f, exitErrorf(exitFailedInit, "option --for: jsonpath wait value cannot be empty")
		}
	}
	path, err := parseJSONPath(f.template)
	if err != nil {
		return f, err
	}
	f.path = path
	return f, nil
}

// templateEnd is the index just past the brace that closes the one at s[0], skipping
// quoted strings, or -1.
func templateEnd(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// check says whether one object (its JSON) meets the condition, and if not, why.
func (f waitFor) check(obj []byte) (bool, string, error) {
	switch f.kind {
	case waitCondition:
		return f.checkCondition(obj)
	case waitJSONPath:
		return f.checkJSONPath(obj)
	}
	return true, "", nil // delete and create are about existence, decided by the caller
}

// conditionsOf is the part of an object a condition wait reads.
type conditionsOf struct {
	Metadata struct {
		Generation *int64 `json:"generation"`
	} `json:"metadata"`
	Status struct {
		ObservedGeneration *int64 `json:"observedGeneration"`
		Conditions         []struct {
			Type               string `json:"type"`
			Status             string `json:"status"`
			ObservedGeneration *int64 `json:"observedGeneration"`
		} `json:"conditions"`
	} `json:"status"`
}

// checkCondition is kubectl's rule: the first condition of the type (case-insensitive)
// decides, unless its observedGeneration (or the status's) is behind metadata.generation.
func (f waitFor) checkCondition(obj []byte) (bool, string, error) {
	var o conditionsOf
	if err := json.Unmarshal(obj, &o); err != nil {
		return false, "status.conditions is not a list of conditions", nil
	}
	for _, c := range o.Status.Conditions {
		if !strings.EqualFold(c.Type, f.conditionType) {
			continue
		}
		observed := c.ObservedGeneration
		if observed == nil {
			observed = o.Status.ObservedGeneration
		}
		if gen := o.Metadata.Generation; gen != nil && observed != nil && *observed < *gen {
			return false, fmt.Sprintf("%s is %s for generation %d, not %d", c.Type, c.Status, *observed, *gen), nil
		}
		if strings.EqualFold(c.Status, f.conditionStatus) {
			return true, "", nil
		}
		return false, fmt.Sprintf("%s is %s", c.Type, c.Status), nil
	}
	return false, "no " + f.conditionType + " condition", nil
}

// checkJSONPath is kubectl's rule: the template must yield one value; the bare form is
// met by any non-empty value, the other by a value equal to VALUE, spaces trimmed.
func (f waitFor) checkJSONPath(obj []byte) (bool, string, error) {
	values, err := f.path.values(obj)
	if err != nil {
		return false, "", err
	}
	switch {
	case len(values) == 0 || (len(values) == 1 && values[0] == ""):
		return false, f.template + " has no value", nil
	case len(values) > 1:
		return false, "", exitErrorf(exitJSONPathFailed, "wait: %s matches more than one value", f.template)
	case f.anyValue:
		return true, "", nil
	case strings.HasPrefix(values[0], "{") || strings.HasPrefix(values[0], "["):
		return false, "", exitErrorf(exitJSONPathFailed, "wait: %s leads to a nested object or list, which cannot be compared with %q", f.template, f.value)
	case strings.TrimSpace(values[0]) == strings.TrimSpace(f.value):
		return true, "", nil
	}
	return false, fmt.Sprintf("%s is %q", f.template, values[0]), nil
}

// waitTarget is what PATH names: one object of a collection, or the collection's
// objects that its query (labelSelector, fieldSelector) selects.
type waitTarget struct {
	collection string
	query      url.Values
	name       string
	// group and resource name the objects before their kind is known.
	group, resource string
}

// parseWaitTarget reads PATH: /api/v1/[namespaces/NS/]RESOURCE[/NAME] or
// /apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME], with a query for a collection.
func parseWaitTarget(path string) (waitTarget, error) {
	bad := exitErrorf(exitFailedInit, "wait: %q is not an object or collection path (/api/v1/namespaces/NS/pods/NAME, /apis/GROUP/VERSION/…/RESOURCE?labelSelector=…)", path)
	ref, err := url.Parse(path)
	if err != nil || !strings.HasPrefix(path, "/") || ref.Host != "" {
		return waitTarget{}, bad
	}
	segs := strings.Split(strings.Trim(ref.Path, "/"), "/")
	var t waitTarget
	prefix := 0
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		prefix = 2
	case len(segs) >= 4 && segs[0] == "apis":
		prefix, t.group = 3, segs[1]
	default:
		return t, bad
	}
	if len(segs) >= prefix+3 && segs[prefix] == "namespaces" {
		prefix += 2
	}
	rest := segs[prefix:]
	if len(rest) > 2 || slicesContain(rest, "") {
		return t, bad
	}
	t.resource = rest[0]
	t.collection = "/" + strings.Join(segs[:prefix+1], "/")
	t.query = ref.Query()
	if len(rest) == 2 {
		if ref.RawQuery != "" {
			return t, exitErrorf(exitFailedInit, "wait: a query (%s) selects among a collection; %s names one object", ref.RawQuery, ref.Path)
		}
		t.name = rest[1]
	}
	return t, nil
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// waitObject is what wait reads of every object: who it is and its version.
type waitObject struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		Name            string `json:"name"`
		Namespace       string `json:"namespace"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
}

// tracked is one object's verdict.
type tracked struct {
	ref string
	met bool
	why string
}

// waiter is one kcurl wait: the objects it follows, and where the watch resumes.
type waiter struct {
	conn   *connection
	out    *output
	stdout io.Writer
	sleep  func(context.Context, time.Duration) error
	cond   waitFor
	target waitTarget
	// once is --timeout 0: the GET decides.
	once bool
	// kind is "pod" or "deployment.apps", once an answer says it.
	kind string
	// objects are the objects that exist now, by namespace/name; gone are those seen deleted.
	objects map[string]*tracked
	gone    map[string]string
	// resourceVersion is where the watch (re)starts.
	resourceVersion string
	// listed is whether a GET has been answered, so a timeout before it says so.
	listed bool
}

// errWatchGone is a watch whose resourceVersion is too old: list again.
var errWatchGone = errors.New("resourceVersion gone")

// errNotMet is --timeout 0's answer when the one GET does not meet the condition.
var errNotMet = errors.New("condition not met")

// run lists, then watches until the condition is met, starting over after a 410.
func (w *waiter) run(ctx context.Context) error {
	for {
		if err := w.list(ctx); err != nil {
			return err
		}
		w.listed = true
		if w.met() {
			return w.report()
		}
		if w.once {
			return errNotMet
		}
		err := w.watch(ctx)
		if errors.Is(err, errWatchGone) {
			w.out.info("resourceVersion %s is gone (410): listing again", w.resourceVersion)
			continue
		}
		if err != nil {
			return err
		}
		return w.report()
	}
}

// maxWaitListSize bounds the GET of a collection (one object's GET is far smaller).
const maxWaitListSize = 512 << 20

// list is the GET: the object itself, or the collection with its selectors.
func (w *waiter) list(ctx context.Context) error {
	w.objects, w.gone = map[string]*tracked{}, map[string]string{}
	gctx, cancel := w.conn.withMaxTime(ctx)
	defer cancel()
	if w.target.name != "" {
		var raw json.RawMessage
		err := w.conn.call(gctx, w.out, http.MethodGet, w.target.collection+"/"+url.PathEscape(w.target.name), nil, maxWaitListSize, &raw)
		var hf *httpFailure
		if errors.As(err, &hf) && hf.code == http.StatusNotFound && (w.cond.kind == waitDelete || w.cond.kind == waitCreate) {
			w.resourceVersion = "" // a watch without one starts with the objects that exist
			w.out.info("%s: not found", w.ref(w.target.name))
			return nil
		}
		if err != nil {
			return err
		}
		return w.observe("GET", raw)
	}
	var page waitList
	u := w.target.collection
	if len(w.target.query) > 0 {
		u += "?" + w.target.query.Encode()
	}
	if err := w.conn.call(gctx, w.out, http.MethodGet, u, nil, maxWaitListSize, &page); err != nil {
		return err
	}
	w.kind = displayKind(strings.TrimSuffix(page.Kind, "List"), page.APIVersion)
	for _, item := range page.Items {
		if err := w.observe("GET", item); err != nil {
			return err
		}
	}
	w.resourceVersion = page.Metadata.ResourceVersion
	if len(page.Items) == 0 {
		w.out.info("%s: no object", u)
	}
	return nil
}

// waitList is the List wait reads whole (bounded by maxWaitListSize): its items and
// the resourceVersion its watch starts from.
type waitList struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Metadata   struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// observe records one object's verdict, as it is now.
func (w *waiter) observe(how string, raw []byte) error {
	var o waitObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return exitErrorf(exitRecvError, "wait: an object in the answer is not the JSON expected: %v", err)
	}
	if o.Kind != "" {
		w.kind = displayKind(o.Kind, o.APIVersion)
	}
	if o.Metadata.ResourceVersion != "" {
		w.resourceVersion = o.Metadata.ResourceVersion
	}
	met, why, err := w.cond.check(raw)
	if err != nil {
		return err
	}
	key := o.Metadata.Namespace + "/" + o.Metadata.Name
	w.objects[key] = &tracked{ref: w.ref(o.Metadata.Name), met: met, why: why}
	delete(w.gone, key)
	w.verdict(how, w.objects[key])
	return nil
}

// forget records a deleted object.
func (w *waiter) forget(raw []byte) {
	var o waitObject
	if json.Unmarshal(raw, &o) != nil {
		return
	}
	if o.Metadata.ResourceVersion != "" {
		w.resourceVersion = o.Metadata.ResourceVersion
	}
	key := o.Metadata.Namespace + "/" + o.Metadata.Name
	ref := w.ref(o.Metadata.Name)
	delete(w.objects, key)
	w.gone[key] = ref
	w.out.info("DELETED %s", ref)
}

// verdict is -v's line for one object as one event (or the GET) left it.
func (w *waiter) verdict(how string, t *tracked) {
	switch {
	case w.cond.kind == waitDelete:
		w.out.info("%s %s: still exists", how, t.ref)
	case t.met:
		w.out.info("%s %s: condition met", how, t.ref)
	default:
		w.out.info("%s %s: %s", how, t.ref, t.why)
	}
}

// met is the verdict on the whole target: the object (or every object of the
// collection, and at least one) meets the condition; for delete, none is left.
func (w *waiter) met() bool {
	switch w.cond.kind {
	case waitDelete:
		return len(w.objects) == 0
	case waitCreate:
		return len(w.objects) > 0
	}
	if len(w.objects) == 0 {
		return false
	}
	for _, t := range w.objects {
		if !t.met {
			return false
		}
	}
	return true
}

// report writes kubectl's "pod/web-0 condition met", one line per object (for delete,
// per object seen deleted), in name order.
func (w *waiter) report() error {
	var refs []string
	if w.cond.kind == waitDelete {
		for _, ref := range w.gone {
			refs = append(refs, ref)
		}
	} else {
		for _, t := range w.objects {
			refs = append(refs, t.ref)
		}
	}
	sort.Strings(refs)
	if w.out.m.silent {
		return nil
	}
	var b strings.Builder
	for _, ref := range refs {
		b.WriteString(ref + " condition met\n")
	}
	if _, err := io.WriteString(w.stdout, b.String()); err != nil {
		return exitErrorf(exitWriteError, "Failure writing output to destination")
	}
	return nil
}

// timedOut is curl's 28, naming what is still unmet and why.
func (w *waiter) timedOut(timeout time.Duration) error {
	var unmet []string
	switch {
	case !w.listed:
		unmet = append(unmet, w.what()+" (no answer from the API server yet)")
	case w.cond.kind == waitDelete:
		for _, t := range w.objects {
			unmet = append(unmet, t.ref+" (still exists)")
		}
	case len(w.objects) == 0 && w.target.name != "":
		unmet = append(unmet, w.what()+" (not found)")
	case len(w.objects) == 0:
		unmet = append(unmet, w.what()+" (no object matches)")
	default:
		for _, t := range w.objects {
			if !t.met {
				unmet = append(unmet, t.ref+" ("+t.why+")")
			}
		}
	}
	sort.Strings(unmet)
	if len(unmet) > 5 {
		unmet = append(unmet[:5], fmt.Sprintf("and %d more", len(unmet)-5))
	}
	return exitErrorf(exitTimeout, "timed out after %s waiting for %s: %s", timeout, w.cond.text, strings.Join(unmet, ", "))
}

// what names the target: the object, or the collection with its query.
func (w *waiter) what() string {
	if w.target.name != "" {
		return w.ref(w.target.name)
	}
	if len(w.target.query) > 0 {
		return w.target.resource + "?" + w.target.query.Encode()
	}
	return w.target.resource
}

// ref is kubectl's name for an object: kind (and group), slash, name.
func (w *waiter) ref(name string) string {
	kind := w.kind
	if kind == "" {
		kind = singular(w.target.resource)
		if w.target.group != "" {
			kind += "." + w.target.group
		}
	}
	return kind + "/" + name
}

// displayKind is kubectl's lower-case "kind.group" for an object's kind and apiVersion.
func displayKind(kind, apiVersion string) string {
	kind = strings.ToLower(kind)
	if group, _, ok := strings.Cut(apiVersion, "/"); ok {
		return kind + "." + group
	}
	return kind
}

// singular guesses a resource's kind from its plural, for an object never seen; the
// kind in the server's answers is used as soon as there is one.
func singular(resource string) string {
	switch {
	case strings.HasSuffix(resource, "ies"):
		return strings.TrimSuffix(resource, "ies") + "y"
	case strings.HasSuffix(resource, "sses"), strings.HasSuffix(resource, "ches"), strings.HasSuffix(resource, "shes"), strings.HasSuffix(resource, "xes"):
		return strings.TrimSuffix(resource, "es")
	case strings.HasSuffix(resource, "s") && resource != "endpoints":
		return strings.TrimSuffix(resource, "s")
	}
	return resource
}

// watch follows the events from w.resourceVersion until the target meets the
// condition, resuming after the server ends the watch or the connection breaks.
func (w *waiter) watch(ctx context.Context) error {
	for {
		events, err := w.watchOnce(ctx)
		switch {
		case err == nil && w.met():
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errWatchGone):
			return err
		case err != nil && !watchBroke(err):
			return err
		}
		why := "the server ended it"
		if err != nil {
			why = err.Error()
		}
		w.out.info("watch ended (%s); resuming from resourceVersion %q", why, w.resourceVersion)
		if err != nil || events == 0 {
			// A server that breaks or ends watches at once is not asked again in a tight loop.
			if err := w.sleep(ctx, time.Second); err != nil {
				return err
			}
		}
	}
}

// watchURL is the watch of the target from w.resourceVersion: the collection's
// selectors, or a field selector on the one name.
func (w *waiter) watchURL() string {
	q := url.Values{}
	for k, v := range w.target.query {
		q[k] = v
	}
	if w.target.name != "" {
		q.Set("fieldSelector", "metadata.name="+w.target.name)
	}
	q.Set("watch", "1")
	q.Set("allowWatchBookmarks", "true")
	if w.resourceVersion != "" {
		q.Set("resourceVersion", w.resourceVersion)
	}
	return w.target.collection + "?" + q.Encode()
}

// watchOnce is one watch request: it reads events until the condition is met (nil),
// the stream ends (nil, not met), or it fails; it reports how many events came.
func (w *waiter) watchOnce(ctx context.Context) (int, error) {
	resp, info, err := w.conn.openPath(ctx, w.out, jsonSpec(nil), http.MethodGet, w.watchURL(), nil)
	var hf *httpFailure
	if errors.As(err, &hf) && hf.code == http.StatusGone {
		return 0, errWatchGone
	}
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	events := 0
	for {
		line, err := readEventLine(r)
		if err == io.EOF {
			return events, nil
		}
		if err != nil {
			return events, bodyError(ctx, err, 0, info.start, resp)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		events++
		if err := w.event(line); err != nil {
			return events, err
		}
		if w.met() {
			return events, nil
		}
	}
}

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   string          `json:"type"`
	Object json.RawMessage `json:"object"`
}

// event applies one watch event to the objects followed.
func (w *waiter) event(line []byte) error {
	var ev watchEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		return exitErrorf(exitRecvError, "wait: a watch event is not the JSON expected: %v", err)
	}
	switch ev.Type {
	case "ADDED", "MODIFIED":
		return w.observe(ev.Type, ev.Object)
	case "DELETED":
		w.forget(ev.Object)
	case "BOOKMARK":
		var o waitObject
		if json.Unmarshal(ev.Object, &o) == nil && o.Metadata.ResourceVersion != "" {
			w.resourceVersion = o.Metadata.ResourceVersion
		}
	case "ERROR":
		s := decodeStatus(ev.Object)
		if s != nil && s.Code == http.StatusGone {
			return errWatchGone
		}
		if s != nil {
			// As kubectl: say so and keep waiting; the server ends such a watch itself.
			w.out.warn("watch error: %s", s.summary(s.Code))
		}
	}
	return nil
}

// readEventLine reads one line of at most maxEventSize bytes.
func readEventLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxEventSize {
			return nil, exitErrorf(exitRecvError, "wait: a watch event is larger than %d bytes", maxEventSize)
		}
		line = append(line, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return line, nil
		}
		return line, err
	}
}
