package main

// kubectl's JSONPath (client-go util/jsonpath, as `kubectl get -o jsonpath=…` runs it), written anew for kcurl.
//
// The semantics are kubectl's, quirks included, because a template copied from a kubectl command line must print
// the same bytes here:
//   - the document is what kubectl's unstructured decoder makes of it: an integer that fits int64 is an integer,
//     every other number a float64 (1.0 prints 1, 1e3 prints 1000);
//   - a scalar prints as Go's fmt.Print does (strings raw, floats as %v: 1e+06), null as "null", and a map or list
//     as encoding/json.Marshal does (keys sorted, <>& escaped); the values of one {…} are joined by a space;
//   - missing keys print nothing (kubectl get sets AllowMissingKeys), but an index out of range, an index on a
//     map and a filter on a non-list are errors, as they are for kubectl;
//   - ['a.b'] is the path .a.b, not a key with a dot (escape the dot: ['a\.b'] or .a\.b);
//   - [*] over an empty list ends that step for the lists after it too, and a wildcard or .. over a string
//     visits its bytes, as kubectl's evaluator does.
//
// Where kubectl's output is not a function of the document, kcurl picks one: a wildcard or .. visits a map's
// values in the order of their sorted keys (kubectl: Go's random map order). An identifier other than range, end,
// true and false is refused when the template is parsed (kubectl refuses it when it first evaluates it), and so is
// an unknown filter operator.
//
// Streaming: none. Every template form kubectl has may need the whole document (.. and {range} look anywhere,
// an index counts from the end, an error anywhere means no output at all), so the body is read up to
// maxJSONPathBody, decoded once, evaluated, and only then printed; printing writes as it goes and holds no copy.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// maxJSONPathBody bounds the response --jsonpath reads: it holds the whole document, decoded (a few times its
// size), and a pod's memory limit is the real bound; 128 MiB is a List of tens of thousands of Pods.
const maxJSONPathBody = 128 << 20

// maxJSONPathDepth is the nesting the decoder accepts, encoding/json's and kubectl's own limit: beyond it a
// hostile document would cost stack in every recursive step.
const maxJSONPathDepth = 10000

// maxJSONPathWork bounds the values one evaluation may produce: nested ranges multiply (a template of ten
// {range .items[*]} over a thousand items is 1000^10 steps), and a document from the server should not be able
// to make a probe spin; kubectl has no bound, but no real template comes near 16 million values.
const maxJSONPathWork = 1 << 24

// printJSONPath reads a 2xx body, up to maxJSONPathBody, and prints the template's
// result in its place; with --jsonpath-fail-empty a template that matched nothing is
// curl's 22, so an exec probe fails.
func (r *runner) printJSONPath(ctx context.Context, sink *bodySink, resp *http.Response, info *transferInfo) error {
	defer resp.Body.Close()
	counted := &countingReader{r: resp.Body}
	body, err := r.decoded(counted, resp)
	if err != nil {
		sink.abort()
		return bodyError(ctx, err, counted.n, time.Now(), resp)
	}
	start := time.Now()
	doc, err := io.ReadAll(io.LimitReader(body, maxJSONPathBody+1))
	info.sizeDownload += counted.n
	if err != nil {
		sink.abort()
		return bodyError(ctx, err, counted.n, start, resp)
	}
	if len(doc) > maxJSONPathBody {
		sink.abort()
		return exitErrorf(exitFileTooLarge, "--jsonpath: the response is larger than %d MiB", maxJSONPathBody>>20)
	}
	matched, err := r.delivery.jsonPath.execute(sink, doc)
	if err != nil {
		sink.abort()
		return err
	}
	if err := sink.commit(); err != nil {
		return err
	}
	if !matched && r.delivery.jsonPathFailEmpty {
		return exitErrorf(exitHTTPError, "--jsonpath-fail-empty: the template matched nothing")
	}
	return nil
}

// jpKind is what one step of a JSONPath expression does.
type jpKind uint8

const (
	jpText      jpKind = iota // a literal string: yields itself, whatever the input
	jpField                   // .name: a map's value
	jpWildcard                // .* or [*] on a map: every value
	jpRecursive               // ..: the input and every container below it, depth first
	jpArray                   // [i], [a:b:c]: a list's elements
	jpUnion                   // [a,b]: each branch's results, in turn
	jpFilter                  // [?(…)]: a list's elements that pass
	jpInt                     // a number literal, one per input
	jpFloat
	jpBool
	jpRange // the range keyword: the results that follow are iterated
	jpEnd   // the end keyword: closes the innermost range
)

// jpNode is one step; which fields mean something depends on kind.
type jpNode struct {
	kind  jpKind
	text  string     // jpText, jpField
	num   int        // jpInt
	float float64    // jpFloat
	truth bool       // jpBool
	slice [3]jpSlice // jpArray: start, end, step
	union [][]jpNode // jpUnion
	left  []jpNode   // jpFilter
	right []jpNode   // jpFilter; nil for an existence test
	op    string     // jpFilter: ==, !=, <, >, <=, >=, or "exists"
}

// jpSlice is one of [start:end:step]: known is whether it was written; derived marks the end of [i], which is
// i+1 and counts from the list's end when i does.
type jpSlice struct {
	value          int
	known, derived bool
}

// jpPart is the template's top level: literal text outside braces, or one {…} action.
type jpPart struct {
	literal bool
	text    string
	nodes   []jpNode
}

// jsonPath is a compiled template.
type jsonPath struct {
	template string
	parts    []jpPart
}

// noValue is what kubectl's evaluator holds when there is no data at all (a range over a null element, a null
// document): it prints "<no value>", where a null inside the document prints "null".
type noValue struct{}

// parseJSONPath compiles a kubectl JSONPath template; an error is an *exitError with code exitFailedInit (2),
// message lower-case, starting "--jsonpath: ".
func parseJSONPath(template string) (*jsonPath, error) {
	parts, err := parseTemplate(template)
	if err != nil {
		return nil, exitErrorf(exitFailedInit, "--jsonpath: error parsing %q: %v", template, err)
	}
	return &jsonPath{template: template, parts: parts}, nil
}

// parseTemplate splits the template into literal text and actions.
func parseTemplate(s string) ([]jpPart, error) {
	var parts []jpPart
	for len(s) > 0 {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			parts = append(parts, jpPart{literal: true, text: s})
			break
		}
		if open > 0 {
			parts = append(parts, jpPart{literal: true, text: s[:open]})
		}
		nodes, rest, err := parseAction(s[open+1:])
		if err != nil {
			return nil, err
		}
		parts = append(parts, jpPart{nodes: nodes})
		s = rest
	}
	return parts, nil
}

// parseSub parses text as the inside of one action, as kubectl does for a union's branch, a quoted key and a
// filter's sides: what follows a stray } there must parse too, but only the first action counts.
func parseSub(text string) ([]jpNode, error) {
	parts, err := parseTemplate("{" + text + "}")
	if err != nil {
		return nil, err
	}
	return parts[0].nodes, nil
}

// The bracket grammars, compiled when a template first needs them: compiled at package
// initialisation they cost every run, --jsonpath or not, about 200 allocations.
var (
	// jpSliceSyntax is [start:end:step] with each part optional.
	jpSliceSyntax = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$`) })
	// jpFilterSyntax splits a filter at its first operator; a filter that does not match tests existence.
	jpFilterSyntax = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^!<>=]+)([!<>=]+)(.+?)$`) })
	// jpQuotedKey is ['key'] (single quotes only, as kubectl).
	jpQuotedKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^'([^']*)'$`) })
)

// parseAction parses from just after a { to its }, returning the steps and what follows the }.
func parseAction(s string) ([]jpNode, string, error) {
	var nodes []jpNode
	i := 0
	for {
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "}"):
			return nodes, s[i+1:], nil
		case strings.HasPrefix(rest, "[?("):
			n, used, err := parseFilter(rest)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
			i += used
			continue
		case strings.HasPrefix(rest, ".."):
			if len(nodes) > 0 && nodes[len(nodes)-1].kind == jpRecursive {
				return nil, "", errors.New("invalid multiple recursive descent")
			}
			more, used := parseRecursive(rest)
			nodes = append(nodes, more...)
			i += used
			continue
		}
		if len(rest) == 0 {
			return nil, "", errors.New("unclosed action")
		}
		r, w := utf8.DecodeRuneInString(rest)
		switch {
		case r == '\r' || r == '\n':
			return nil, "", errors.New("unclosed action")
		case r == ' ' || r == '@' || r == '$':
			i += w
		case r == '[':
			more, used, err := parseBracket(rest)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, more...)
			i += used
		case r == '"' || r == '\'':
			text, used, err := parseQuoted(rest)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, jpNode{kind: jpText, text: text})
			i += used
		case r == '.':
			n, used := parseField(rest[1:])
			nodes = append(nodes, n)
			i += 1 + used
		case r == '+' || r == '-' || unicode.IsDigit(r):
			n, used, err := parseNumber(rest)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
			i += used
		case isJPAlphaNumeric(r):
			n, used, err := parseIdentifier(rest)
			if err != nil {
				return nil, "", err
			}
			nodes = append(nodes, n)
			i += used
		default:
			return nil, "", fmt.Errorf("unrecognized character in action: %#U", r)
		}
	}
}

// parseRecursive reads "..", and the field right after it if there is one.
func parseRecursive(s string) ([]jpNode, int) {
	nodes := []jpNode{{kind: jpRecursive}}
	if r, _ := utf8.DecodeRuneInString(s[2:]); len(s) > 2 && isJPAlphaNumeric(r) {
		n, used := parseField(s[2:])
		return append(nodes, n), 2 + used
	}
	return nodes, 2
}

// parseIdentifier reads a bare word in an action: true, false, range or end.
func parseIdentifier(s string) (jpNode, int, error) {
	end := 0
	for end < len(s) {
		r, w := utf8.DecodeRuneInString(s[end:])
		if isJPTerminator(r) {
			break
		}
		end += w
	}
	switch word := s[:end]; word {
	case "true", "false":
		return jpNode{kind: jpBool, truth: word == "true"}, end, nil
	case "range":
		return jpNode{kind: jpRange}, end, nil
	case "end":
		return jpNode{kind: jpEnd}, end, nil
	default:
		return jpNode{}, 0, fmt.Errorf("unrecognized identifier %s", word)
	}
}

// parseField reads a field name up to an unescaped terminator; a backslash escapes the next character and is
// dropped, so .app\.kubernetes\.io/name is the key app.kubernetes.io/name.
func parseField(s string) (jpNode, int) {
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == '\\' {
			i += w
			if i < len(s) {
				_, w = utf8.DecodeRuneInString(s[i:])
				i += w
			}
			continue
		}
		if isJPTerminator(r) {
			break
		}
		i += w
	}
	if s[:i] == "*" {
		return jpNode{kind: jpWildcard}, i
	}
	return jpNode{kind: jpField, text: strings.ReplaceAll(s[:i], `\`, "")}, i
}

// parseNumber reads an optional sign, then digits and dots: an int if it is one, else a float.
func parseNumber(s string) (jpNode, int, error) {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r != '.' && !unicode.IsDigit(r) {
			break
		}
		i += w
	}
	text := s[:i]
	if n, err := strconv.Atoi(text); err == nil {
		return jpNode{kind: jpInt, num: n}, i, nil
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil {
		return jpNode{kind: jpFloat, float: f}, i, nil
	}
	return jpNode{}, 0, fmt.Errorf("cannot parse number %s", text)
}

// parseQuoted reads a string literal in double or single quotes, with Go's escapes.
func parseQuoted(s string) (string, int, error) {
	quote := s[0]
	i := 1
	for {
		if i >= len(s) || s[i] == '\n' {
			return "", 0, errors.New("unterminated quoted string")
		}
		if s[i] == quote && s[i-1] != '\\' {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	raw := s[:i+1]
	body := raw[1:i]
	if !strings.ContainsRune(body, '\\') && !strings.ContainsRune(body, rune(quote)) {
		return body, i + 1, nil
	}
	var out []byte
	for len(body) > 0 {
		c, multibyte, tail, err := strconv.UnquoteChar(body, quote)
		if err != nil {
			return "", 0, fmt.Errorf("unquote string %s error %v", raw, err)
		}
		body = tail
		if c < utf8.RuneSelf || !multibyte {
			out = append(out, byte(c))
		} else {
			out = utf8.AppendRune(out, c)
		}
	}
	return string(out), i + 1, nil
}

// parseBracket reads [ … ] up to the first ]: a union, a quoted key (a path), or an index or slice.
func parseBracket(s string) ([]jpNode, int, error) {
	end := strings.IndexAny(s, "]\n")
	if end < 0 || s[end] == '\n' {
		return nil, 0, errors.New("unterminated array")
	}
	text := s[1:end]
	used := end + 1
	if text == "*" {
		text = ":"
	}
	if branches := strings.Split(text, ","); len(branches) > 1 {
		union := make([][]jpNode, 0, len(branches))
		for _, b := range branches {
			nodes, err := parseSub("[" + strings.Trim(b, " ") + "]")
			if err != nil {
				return nil, 0, err
			}
			union = append(union, nodes)
		}
		return []jpNode{{kind: jpUnion, union: union}}, used, nil
	}
	if m := jpQuotedKey().FindStringSubmatch(text); m != nil {
		nodes, err := parseSub("." + m[1])
		return nodes, used, err
	}
	m := jpSliceSyntax().FindStringSubmatch(text)
	if m == nil {
		return nil, 0, fmt.Errorf("invalid array index %s", text)
	}
	var p [3]jpSlice
	for k, v := range m[1:] {
		switch {
		case v == "" && k == 1:
			// [i] is [i:i+1], the end counted from the list's end when i is negative.
			p[1] = jpSlice{value: p[0].value + 1, known: true, derived: true}
		case v == "":
		case k > 0 && v == ":":
		default:
			if k > 0 {
				v = v[1:]
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, 0, fmt.Errorf("array index %s is not a number", v)
			}
			p[k] = jpSlice{value: n, known: true}
		}
	}
	return []jpNode{{kind: jpArray, slice: p}}, used, nil
}

// parseFilter reads [?( … )]: the ) that ends it is the first one outside the one quoted string allowed.
func parseFilter(s string) (jpNode, int, error) {
	i := len("[?(")
	opened, closed := false, false
	var pair byte
	for {
		if i >= len(s) || s[i] == '\n' {
			return jpNode{}, 0, errors.New("unterminated filter")
		}
		c := s[i]
		i++
		if c == '"' || c == '\'' {
			if !opened {
				opened, pair = true, c
			} else if c == pair && s[i-2] != '\\' {
				closed = true
			}
			continue
		}
		if c == ')' && opened == closed {
			break
		}
	}
	if i >= len(s) || s[i] != ']' {
		return jpNode{}, 0, errors.New("unclosed array expect ]")
	}
	text := s[len("[?(") : i-1]
	used := i + 1
	m := jpFilterSyntax().FindStringSubmatch(text)
	if m == nil {
		nodes, err := parseSub(text)
		if err != nil {
			return jpNode{}, 0, err
		}
		return jpNode{kind: jpFilter, left: nodes, op: "exists"}, used, nil
	}
	switch m[2] {
	case "==", "!=", "<", ">", "<=", ">=":
	default:
		return jpNode{}, 0, fmt.Errorf("unrecognized filter operator %s", m[2])
	}
	left, err := parseSub(m[1])
	if err != nil {
		return jpNode{}, 0, err
	}
	right, err := parseSub(m[3])
	if err != nil {
		return jpNode{}, 0, err
	}
	return jpNode{kind: jpFilter, left: left, right: right, op: m[2]}, used, nil
}

// isJPTerminator is what ends a field name or an identifier.
func isJPTerminator(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '.', ',', '[', ']', '$', '@', '{', '}':
		return true
	}
	return false
}

// isJPAlphaNumeric is what starts an identifier, or a field right after ..: a letter, a digit or _.
func isJPAlphaNumeric(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// jpRun is one evaluation: kubectl's range bookkeeping, and the results in print order.
type jpRun struct {
	parts                         []jpPart
	beginRange, inRange, endRange int
	lastEnd                       int
	results                       []jpResult
	matched                       bool
	work                          int // values produced so far, against maxJSONPathWork
}

// jpResult is the values one action printed; literal marks text written outside braces.
type jpResult struct {
	values  []any
	literal bool
}

// execute prints the template's result for one JSON document; matched reports whether any part of the template
// produced a value (for --jsonpath-fail-empty: exit 22 when nothing matched).
func (j *jsonPath) execute(w io.Writer, doc []byte) (matched bool, err error) {
	run, err := j.evaluate(doc)
	if err != nil {
		return false, err
	}
	jw := newJPWriter(w, doc)
	for _, r := range run.results {
		for i, v := range r.values {
			if i > 0 {
				jw.WriteByte(' ')
			}
			writeJPValue(jw, v)
		}
	}
	if err := jw.Flush(); err != nil {
		return run.matched, exitErrorf(exitWriteError, "Failure writing output to destination")
	}
	if jw.left < 0 {
		return run.matched, exitErrorf(exitJSONPathFailed, "--jsonpath: error executing %q: the output is larger than %d bytes", j.template, jw.limit)
	}
	return run.matched, nil
}

// values evaluates just the expression part (for `wait --for=jsonpath='{.status.phase}'=Running`): the printed
// values, each as execute would print it, without the template's literal text.
func (j *jsonPath) values(doc []byte) ([]string, error) {
	run, err := j.evaluate(doc)
	if err != nil {
		return nil, err
	}
	var out []string
	var b bytes.Buffer
	jw := newJPWriter(&b, doc)
	for _, r := range run.results {
		if r.literal {
			continue
		}
		for _, v := range r.values {
			writeJPValue(jw, v)
			jw.Flush()
			if jw.left < 0 {
				return nil, exitErrorf(exitJSONPathFailed, "--jsonpath: error executing %q: the output is larger than %d bytes", j.template, jw.limit)
			}
			out = append(out, b.String())
			b.Reset()
		}
	}
	return out, nil
}

// jpWriter buffers the output and stops writing past its limit: .. and {range} can print a document's deepest
// parts once for every level above them ({range ..}{..} over a 4 KiB document nested 2,000 deep is 2.7 GB), which
// no template means; kubectl has no bound. The limit, 64 MiB plus 16 times the document, is far above any real
// template's output.
type jpWriter struct {
	*bufio.Writer
	limit, left int
}

// newJPWriter is the writer for the output of one document.
func newJPWriter(w io.Writer, doc []byte) *jpWriter {
	limit := 64<<20 + 16*len(doc)
	return &jpWriter{Writer: bufio.NewWriterSize(w, 32<<10), limit: limit, left: limit}
}

// Write, WriteString and WriteByte count against the limit and drop what goes past it.
func (w *jpWriter) Write(b []byte) (int, error) {
	if w.left -= len(b); w.left < 0 {
		return len(b), nil
	}
	return w.Writer.Write(b)
}

func (w *jpWriter) WriteString(s string) (int, error) {
	if w.left -= len(s); w.left < 0 {
		return len(s), nil
	}
	return w.Writer.WriteString(s)
}

func (w *jpWriter) WriteByte(c byte) error {
	if w.left--; w.left < 0 {
		return nil
	}
	return w.Writer.WriteByte(c)
}

// evaluate decodes the document and runs the template over it.
func (j *jsonPath) evaluate(doc []byte) (*jpRun, error) {
	data, err := decodeJPDocument(doc)
	if err != nil {
		return nil, exitErrorf(exitJSONPathFailed, "--jsonpath: %v", err)
	}
	run := &jpRun{parts: j.parts, lastEnd: -1}
	if err := run.find(0, data); err != nil {
		return nil, exitErrorf(exitJSONPathFailed, "--jsonpath: error executing %q: %v", j.template, err)
	}
	return run, nil
}

// decodeJPDocument decodes one JSON value, numbers kept as json.Number so integers stay exact.
func decodeJPDocument(doc []byte) (any, error) {
	if err := checkJSONDepth(doc); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("the response is not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("the response is not one JSON document")
	}
	if data == nil {
		return noValue{}, nil
	}
	return data, nil
}

// checkJSONDepth refuses nesting beyond maxJSONPathDepth before the decoder recurses into it.
func checkJSONDepth(doc []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > maxJSONPathDepth {
				return fmt.Errorf("the response nests deeper than %d levels", maxJSONPathDepth)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// find runs the top-level parts from index from with data as @, as kubectl's FindResults: a {range} part runs
// the parts after it once per result, up to the {end} that closes it; without an {end}, to the template's end,
// after which the parts that follow the range run once more at this level.
func (r *jpRun) find(from int, data any) error {
	for i := from; i < len(r.parts); i++ {
		p := r.parts[i]
		var values []any
		if p.literal {
			values = []any{p.text}
		} else {
			var err error
			if values, err = r.list([]any{data}, p.nodes); err != nil {
				return err
			}
		}
		if r.endRange > 0 && r.endRange <= r.inRange {
			r.endRange--
			r.lastEnd = i
			break
		}
		if r.beginRange > 0 {
			r.beginRange--
			r.inRange++
			if len(values) > 0 {
				r.matched = true
				for _, v := range values {
					if v == nil {
						v = noValue{}
					}
					if err := r.find(i+1, v); err != nil {
						return err
					}
				}
			} else {
				// The body still runs once, over nothing, to find its end (and its errors); it prints nothing.
				kept, matched := len(r.results), r.matched
				if err := r.find(i+1, noValue{}); err != nil {
					return err
				}
				r.results, r.matched = r.results[:kept], matched
			}
			r.inRange--
			for k := i + 1; k < len(r.parts); k++ {
				if k == r.lastEnd {
					i = k
					break
				}
			}
			continue
		}
		if !p.literal && len(values) > 0 && readsDocument(p.nodes) {
			r.matched = true
		}
		r.results = append(r.results, jpResult{values: values, literal: p.literal})
	}
	return nil
}

// readsDocument reports whether an action's values come from the document rather than from literals alone.
func readsDocument(nodes []jpNode) bool {
	if len(nodes) == 0 {
		return true // {} and {@}: the document itself
	}
	for _, n := range nodes {
		switch n.kind {
		case jpText, jpInt, jpFloat, jpBool, jpRange, jpEnd:
		default:
			return true
		}
	}
	return false
}

// list runs the steps of one action in turn.
func (r *jpRun) list(in []any, nodes []jpNode) ([]any, error) {
	var err error
	for k := range nodes {
		if in, err = r.step(in, &nodes[k]); err != nil {
			return nil, err
		}
		if r.work += len(in); r.work > maxJSONPathWork {
			return nil, fmt.Errorf("the template produces more than %d values", maxJSONPathWork)
		}
	}
	return in, nil
}

// step runs one step over every input value.
func (r *jpRun) step(in []any, n *jpNode) ([]any, error) {
	switch n.kind {
	case jpText:
		return []any{n.text}, nil
	case jpInt:
		return repeatJP(n.num, len(in)), nil
	case jpFloat:
		return repeatJP(n.float, len(in)), nil
	case jpBool:
		return repeatJP(n.truth, len(in)), nil
	case jpRange:
		r.beginRange++
		return in, nil
	case jpEnd:
		if r.inRange == 0 {
			return nil, errors.New("not in range, nothing to end")
		}
		r.endRange++
		return nil, nil
	case jpField:
		var out []any
		for _, v := range in {
			if m, ok := v.(map[string]any); ok {
				if x, ok := m[n.text]; ok {
					out = append(out, x)
				}
			}
		}
		return out, nil
	case jpWildcard:
		var out []any
		for _, v := range in {
			out = appendJPChildren(out, v)
		}
		return out, nil
	case jpRecursive:
		var out []any
		for _, v := range in {
			out = appendJPContainers(out, v)
		}
		return out, nil
	case jpUnion:
		var out []any
		for _, branch := range n.union {
			vs, err := r.list(in, branch)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		}
		return out, nil
	case jpArray:
		return sliceJP(in, n.slice)
	case jpFilter:
		return r.filter(in, n)
	}
	return nil, fmt.Errorf("unexpected step %d", n.kind)
}

// repeatJP is a literal's result: itself once per input value, as kubectl's int, float and bool nodes give.
func repeatJP(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// appendJPChildren appends a map's values (sorted by key), a list's elements, or a string's bytes.
func appendJPChildren(out []any, v any) []any {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = append(out, v[k])
		}
	case []any:
		out = append(out, v...)
	case string:
		for i := 0; i < len(v); i++ {
			out = append(out, v[i])
		}
	}
	return out
}

// appendJPContainers appends v and everything below it that has children (non-empty maps, lists and strings),
// depth first, v before its children: the values .. offers to the step after it.
func appendJPContainers(out []any, v any) []any {
	children := appendJPChildren(nil, v)
	if len(children) == 0 {
		return out
	}
	out = append(out, v)
	for _, c := range children {
		if c != nil {
			out = appendJPContainers(out, c)
		}
	}
	return out
}

// sliceJP applies [start:end:step] to each input list, with kubectl's bounds errors.
func sliceJP(in []any, p [3]jpSlice) ([]any, error) {
	var out []any
	for _, v := range in {
		if v == nil {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is not array or slice", jpTypeName(v))
		}
		n := len(list)
		start, end := p[0].value, n
		if start < 0 {
			start += n
		}
		if p[1].known {
			end = p[1].value
			if end < 0 || (end == 0 && p[1].derived) {
				end += n
			}
		}
		if start == end {
			// kubectl returns here, so the lists after an empty selection give nothing either.
			return out, nil
		}
		if start >= n || start < 0 {
			return nil, fmt.Errorf("array index out of bounds: index %d, length %d", start, n)
		}
		if end > n || end < 0 {
			return nil, fmt.Errorf("array index out of bounds: index %d, length %d", end-1, n)
		}
		if start > end {
			return nil, fmt.Errorf("starting index %d is greater than ending index %d", start, end)
		}
		step := 1
		if p[2].known {
			if p[2].value <= 0 {
				return nil, errors.New("step must be > 0")
			}
			step = p[2].value
		}
		for i := start; i < end; i += step {
			out = append(out, list[i])
		}
	}
	return out, nil
}

// filter keeps the elements of each input list for which the filter holds.
func (r *jpRun) filter(in []any, n *jpNode) ([]any, error) {
	var out []any
	for _, v := range in {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s is not array or slice and cannot be filtered", jpGoString(v))
		}
		for _, elem := range list {
			lefts, err := r.list([]any{elem}, n.left)
			if n.op == "exists" {
				if len(lefts) > 0 {
					out = append(out, elem)
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			if len(lefts) == 0 {
				continue
			}
			if len(lefts) > 1 {
				return nil, errors.New("can only compare one element at a time")
			}
			rights, err := r.list([]any{elem}, n.right)
			if err != nil {
				return nil, err
			}
			if len(rights) == 0 {
				continue
			}
			if len(rights) > 1 {
				return nil, errors.New("can only compare one element at a time")
			}
			pass, err := compareJP(lefts[0], rights[0], n.op)
			if err != nil {
				return nil, err
			}
			if pass {
				out = append(out, elem)
			}
		}
	}
	return out, nil
}

// jpScalar is a value as Go's template comparison sees it: its kind, and the value of that kind.
type jpScalar struct {
	kind byte // 'b' bool, 'i' integer, 'f' float, 's' string
	b    bool
	i    int64
	f    float64
	s    string
}

// scalarJP classifies v as kubectl's comparison does; maps, lists and null cannot be compared.
func scalarJP(v any) (jpScalar, error) {
	switch v := v.(type) {
	case bool:
		return jpScalar{kind: 'b', b: v}, nil
	case string:
		return jpScalar{kind: 's', s: v}, nil
	case int:
		return jpScalar{kind: 'i', i: int64(v)}, nil
	case uint8:
		return jpScalar{kind: 'i', i: int64(v)}, nil
	case float64:
		return jpScalar{kind: 'f', f: v}, nil
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return jpScalar{kind: 'i', i: i}, nil
		}
		f, _ := strconv.ParseFloat(string(v), 64)
		return jpScalar{kind: 'f', f: f}, nil
	}
	return jpScalar{}, errors.New("invalid type for comparison")
}

// compareJP is text/template's eq, ne, lt, gt, le, ge on two scalars of the same kind.
func compareJP(left, right any, op string) (bool, error) {
	a, err := scalarJP(left)
	if err != nil {
		return false, err
	}
	b, err := scalarJP(right)
	if err != nil {
		return false, err
	}
	if a.kind != b.kind {
		return false, errors.New("incompatible types for comparison")
	}
	equal := a == b
	if op == "==" || op == "!=" {
		return equal == (op == "=="), nil
	}
	var less bool
	switch a.kind {
	case 'b':
		return false, errors.New("invalid type for comparison")
	case 'i':
		less = a.i < b.i
	case 'f':
		less = a.f < b.f
	case 's':
		less = a.s < b.s
	}
	switch op {
	case "<":
		return less, nil
	case ">=":
		return !less, nil
	case "<=":
		return less || equal, nil
	default: // ">"
		return !less && !equal, nil
	}
}

// jpTypeName is the Go type kubectl's errors name for a value of the unstructured document.
func jpTypeName(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "map[string]interface {}"
	case []any:
		return "[]interface {}"
	case json.Number:
		if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return "int64"
		}
		return "float64"
	case noValue:
		return "<no value>"
	}
	return fmt.Sprintf("%T", v)
}

// jpGoString is a value as kubectl's errors print it (Go's %v).
func jpGoString(v any) string {
	if _, ok := v.(noValue); ok {
		return "<invalid reflect.Value>"
	}
	return fmt.Sprint(v)
}

// writeJPValue prints one value as kubectl does: maps and lists as JSON, the rest as text.
func writeJPValue(w *jpWriter, v any) {
	switch v := v.(type) {
	case map[string]any, []any:
		writeJPJSON(w, v)
	case string:
		w.WriteString(v)
	case json.Number:
		w.WriteString(jpNumberText(v))
	case nil:
		w.WriteString("null")
	case noValue:
		w.WriteString("<no value>")
	default:
		fmt.Fprint(w, v) // bool, and the template's own int, float64 and a string's bytes (uint8)
	}
}

// jpNumberText is a number as kubectl prints it: int64 in decimal, anything else as a float64's %v.
func jpNumberText(n json.Number) string {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n) // beyond float64, which kubectl's decoder refuses: the number as sent
	}
	return fmt.Sprint(f)
}

// writeJPJSON writes v as encoding/json.Marshal does for the unstructured document: keys sorted, HTML characters
// escaped, integers exact and floats in encoding/json's shortest form.
func writeJPJSON(w *jpWriter, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		w.WriteByte('{')
		for i, k := range keys {
			if w.left < 0 {
				return
			}
			if i > 0 {
				w.WriteByte(',')
			}
			writeJPJSONString(w, k)
			w.WriteByte(':')
			writeJPJSON(w, v[k])
		}
		w.WriteByte('}')
	case []any:
		w.WriteByte('[')
		for i, e := range v {
			if w.left < 0 {
				return
			}
			if i > 0 {
				w.WriteByte(',')
			}
			writeJPJSON(w, e)
		}
		w.WriteByte(']')
	case string:
		writeJPJSONString(w, v)
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			w.WriteString(strconv.FormatInt(i, 10))
			return
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			w.WriteString(string(v))
			return
		}
		w.Write(appendJPFloat(nil, f))
	case bool:
		w.WriteString(strconv.FormatBool(v))
	case nil:
		w.WriteString("null")
	}
}

// appendJPFloat is encoding/json's float64 form: %f, or %e with a short exponent outside [1e-6, 1e21).
func appendJPFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// writeJPJSONString writes s as encoding/json does with its default HTML escaping.
func writeJPJSONString(w *jpWriter, s string) {
	const hex = "0123456789abcdef"
	w.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			w.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				w.WriteByte('\\')
				w.WriteByte(c)
			case '\b':
				w.WriteString(`\b`)
			case '\f':
				w.WriteString(`\f`)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			default:
				w.WriteString(`\u00`)
				w.WriteByte(hex[c>>4])
				w.WriteByte(hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.WriteString(s[start:i])
			w.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			w.WriteString(s[start:i])
			w.WriteString(`\u202`)
			w.WriteByte(hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	w.WriteString(s[start:])
	w.WriteByte('"')
}
