package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
)

// jpDoc is the unit tests' document: a PodList shaped as the API server sends it, with the number forms kubectl's
// decoder treats differently (1e21, 1e-7, 2.0, 1e3), a null, HTML characters and a string with a tab and quotes.
const jpDoc = `{"apiVersion":"v1","kind":"PodList","metadata":{"resourceVersion":"42"},"items":[
{"metadata":{"name":"web-0","namespace":"shop","labels":{"app":"web","app.kubernetes.io/name":"shop-web"},"annotations":{"note":"<b>&amp;</b>"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80},{"containerPort":443}]},{"name":"sidecar","image":"envoy"}]},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}],"restartCount":3,"ratio":0.5,"score":1e21,"tiny":0.0000001,"whole":2.0,"exp":1e3,"ready":true,"deleted":null}},
{"metadata":{"name":"web-1","namespace":"shop","labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]},"status":{"phase":"Pending","conditions":[{"type":"Ready","status":"False"}],"restartCount":0,"ratio":1.25,"ready":false}},
{"metadata":{"name":"db-0","namespace":"shop","labels":{"app":"db"}},"spec":{"containers":[]},"status":{"phase":"Running","restartCount":12,"ratio":2,"list":[null,{"x":1},"s",[1,[2]]],"text":"tab\there \"q\" é ✓"}}
]}`

// TestJSONPathKubectl holds the output of k8s.io/client-go/util/jsonpath v0.37.2, run as kubectl get -o jsonpath
// runs it (AllowMissingKeys, the document decoded as unstructured), for each template over jpDoc.
func TestJSONPathKubectl(t *testing.T) {
	tests := []struct {
		name, template, want string
	}{
		{name: "{.kind}", template: "{.kind}", want: "PodList"},
		{name: "{.items[*].metadata.name}", template: "{.items[*].metadata.name}", want: "web-0 web-1 db-0"},
		{name: "{.items[0].metadata.name}", template: "{.items[0].metadata.name}", want: "web-0"},
		{name: "{.items[-1].metadata.name}", template: "{.items[-1].metadata.name}", want: "db-0"},
		{name: "{.items[-2:].metadata.name}", template: "{.items[-2:].metadata.name}", want: "web-1 db-0"},
		{name: "{.items[0:2].metadata.name}", template: "{.items[0:2].metadata.name}", want: "web-0 web-1"},
		{name: "{.items[::2].metadata.name}", template: "{.items[::2].metadata.name}", want: "web-0 db-0"},
		{name: "{.items[1:].metadata.name}", template: "{.items[1:].metadata.name}", want: "web-1 db-0"},
		{name: "{.items[:-1].metadata.name}", template: "{.items[:-1].metadata.name}", want: "web-0 web-1"},
		{name: "{.items[0].metadata.labels}", template: "{.items[0].metadata.labels}", want: "{\"app\":\"web\",\"app.kubernetes.io/name\":\"shop-web\"}"},
		{name: "{.items[0].metadata.annotations}", template: "{.items[0].metadata.annotations}", want: "{\"note\":\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"}"},
		{name: "{.items[*].status.restartCount}", template: "{.items[*].status.restartCount}", want: "3 0 12"},
		{name: "{.items[*].status.ratio}", template: "{.items[*].status.ratio}", want: "0.5 1.25 2"},
		{name: "{.items[0].status.score} {.items[0].status.tiny} {.items[0].status.whole} {.items[0].status.exp}", template: "{.items[0].status.score} {.items[0].status.tiny} {.items[0].status.whole} {.items[0].status.exp}", want: "1e+21 1e-07 2 1000"},
		{name: "{.items[0].status}", template: "{.items[0].status}", want: "{\"conditions\":[{\"status\":\"True\",\"type\":\"Ready\"},{\"status\":\"True\",\"type\":\"Initialized\"}],\"deleted\":null,\"exp\":1000,\"phase\":\"Running\",\"ratio\":0.5,\"ready\":true,\"restartCount\":3,\"score\":1e+21,\"tiny\":1e-7,\"whole\":2}"},
		{name: "{.items[*].status.ready}", template: "{.items[*].status.ready}", want: "true false"},
		{name: "{.items[0].status.deleted}", template: "{.items[0].status.deleted}", want: "null"},
		{name: "{.items[2].spec.containers}", template: "{.items[2].spec.containers}", want: "[]"},
		{name: "{.items[2].status.list}", template: "{.items[2].status.list}", want: "[null,{\"x\":1},\"s\",[1,[2]]]"},
		{name: "{.items[2].status.list[*]}", template: "{.items[2].status.list[*]}", want: "null {\"x\":1} s [1,[2]]"},
		{name: "{range .items[2].status.list[*]}<{@}>{end}", template: "{range .items[2].status.list[*]}<{@}>{end}", want: "<<no value>><{\"x\":1}><s><[1,[2]]>"},
		{name: "{.items[2].status.text}", template: "{.items[2].status.text}", want: "tab\there \"q\" é ✓"},
		{name: "{.items[?(@.status.phase==\"Running\")].metadata.name}", template: "{.items[?(@.status.phase==\"Running\")].metadata.name}", want: "web-0 db-0"},
		{name: "{.items[?(@.status.phase!='Running')].metadata.name}", template: "{.items[?(@.status.phase!='Running')].metadata.name}", want: "web-1"},
		{name: "{.items[?(@.status.restartCount>2)].metadata.name}", template: "{.items[?(@.status.restartCount>2)].metadata.name}", want: "web-0 db-0"},
		{name: "{.items[?(@.status.restartCount>=3)].metadata.name}", template: "{.items[?(@.status.restartCount>=3)].metadata.name}", want: "web-0 db-0"},
		{name: "{.items[?(@.status.restartCount<3)].metadata.name}", template: "{.items[?(@.status.restartCount<3)].metadata.name}", want: "web-1"},
		{name: "{.items[?(@.status.restartCount<=3)].metadata.name}", template: "{.items[?(@.status.restartCount<=3)].metadata.name}", want: "web-0 web-1"},
		{name: "{.items[?(@.metadata.name<\"web\")].metadata.name}", template: "{.items[?(@.metadata.name<\"web\")].metadata.name}", want: "db-0"},
		{name: "{.items[?(@.status.ready)].metadata.name}", template: "{.items[?(@.status.ready)].metadata.name}", want: "web-0 web-1"},
		{name: "{.items[?(@.status.ready==false)].metadata.name}", template: "{.items[?(@.status.ready==false)].metadata.name}", want: "web-1"},
		{name: "{.items[?(@.metadata.annotations)].metadata.name}", template: "{.items[?(@.metadata.annotations)].metadata.name}", want: "web-0"},
		{name: "{.items[*].status.conditions[?(@.type==\"Ready\")].status}", template: "{.items[*].status.conditions[?(@.type==\"Ready\")].status}", want: "True False"},
		{name: "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}", template: "{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}", want: "web-0\tRunning\nweb-1\tPending\ndb-0\tRunning\n"},
		{name: "{range .items[*]}{.metadata.name}:{range .spec.containers[*]}{.name},{end}{\"\\n\"}{end}{.kind}", template: "{range .items[*]}{.metadata.name}:{range .spec.containers[*]}{.name},{end}{\"\\n\"}{end}{.kind}", want: "web-0:nginx,sidecar,\nweb-1:nginx,\ndb-0:\nPodList"},
		{name: "{range .items[*]}[{.metadata.name}, {.metadata.labels}] {end}", template: "{range .items[*]}[{.metadata.name}, {.metadata.labels}] {end}", want: "[web-0, {\"app\":\"web\",\"app.kubernetes.io/name\":\"shop-web\"}] [web-1, {\"app\":\"web\"}] [db-0, {\"app\":\"db\"}] "},
		{name: "{..image}", template: "{..image}", want: "nginx:1.27 envoy nginx:1.27"},
		{name: "{.items[0]..containerPort}", template: "{.items[0]..containerPort}", want: "80 443"},
		{name: "{.items[0].spec..name}", template: "{.items[0].spec..name}", want: "nginx sidecar"},
		{name: "{.items[*]['metadata.name', 'status.phase']}", template: "{.items[*]['metadata.name', 'status.phase']}", want: "web-0 web-1 db-0 Running Pending Running"},
		{name: "{.items[0]['metadata']['name']}", template: "{.items[0]['metadata']['name']}", want: "web-0"},
		{name: "{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", template: "{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", want: "shop-web"},
		{name: "{.items[0].metadata.labels['app\\.kubernetes\\.io/name']}", template: "{.items[0].metadata.labels['app\\.kubernetes\\.io/name']}", want: "shop-web"},
		{name: "{.items[0].metadata.labels['app.kubernetes.io/name']}", template: "{.items[0].metadata.labels['app.kubernetes.io/name']}", want: ""},
		{name: "{.items[0].spec.containers[0,1].name}", template: "{.items[0].spec.containers[0,1].name}", want: "nginx sidecar"},
		{name: "{.items[0].spec.containers[*].ports[*].containerPort}", template: "{.items[0].spec.containers[*].ports[*].containerPort}", want: "80 443"},
		{name: "{.items[*].spec.containers[*].name}", template: "{.items[*].spec.containers[*].name}", want: "nginx sidecar nginx"},
		{name: "pods: {.items[*].metadata.name}.", template: "pods: {.items[*].metadata.name}.", want: "pods: web-0 web-1 db-0."},
		{name: "{.missing}", template: "{.missing}", want: ""},
		{name: "a{.missing.deeper}b", template: "a{.missing.deeper}b", want: "ab"},
		{name: "{.items[*].missing}", template: "{.items[*].missing}", want: ""},
		{name: "{range .missing[*]}{.x}{end}after", template: "{range .missing[*]}{.x}{end}after", want: "after"},
		{name: "{range .items[*]}{.metadata.name} ", template: "{range .items[*]}{.metadata.name} ", want: "web-0 web-1 db-0  "},
		{name: "{.items[0].metadata.name.*}", template: "{.items[0].metadata.name.*}", want: "119 101 98 45 48"},
		{name: "{1}{1.5}{true}{\"x\"}{'y'}", template: "{1}{1.5}{true}{\"x\"}{'y'}", want: "11.5truexy"},
		{name: "{.items[*].metadata.name \"-\"}", template: "{.items[*].metadata.name \"-\"}", want: "-"},
		{name: "{.items[]}", template: "{.items[]}", want: "{\"metadata\":{\"annotations\":{\"note\":\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"},\"labels\":{\"app\":\"web\",\"app.kubernetes.io/name\":\"shop-web\"},\"name\":\"web-0\",\"namespace\":\"shop\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80},{\"containerPort\":443}]},{\"image\":\"envoy\",\"name\":\"sidecar\"}]},\"status\":{\"conditions\":[{\"status\":\"True\",\"type\":\"Ready\"},{\"status\":\"True\",\"type\":\"Initialized\"}],\"deleted\":null,\"exp\":1000,\"phase\":\"Running\",\"ratio\":0.5,\"ready\":true,\"restartCount\":3,\"score\":1e+21,\"tiny\":1e-7,\"whole\":2}}"},
		{name: "{.items[5:5]}{.items[0:0]}", template: "{.items[5:5]}{.items[0:0]}", want: ""},
		{name: "{.metadata}{@.kind}{$.kind}", template: "{.metadata}{@.kind}{$.kind}", want: "{\"resourceVersion\":\"42\"}PodListPodList"},
		{name: "{.items[1].spec}", template: "{.items[1].spec}", want: "{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"nginx\"}]}"},
		{name: "{.items[0].spec.containers[-1]}", template: "{.items[0].spec.containers[-1]}", want: "{\"image\":\"envoy\",\"name\":\"sidecar\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			var out bytes.Buffer
			_, err = j.execute(&out, []byte(jpDoc))
			is.NoErr(err)                   // the template runs
			is.Equal(out.String(), tt.want) // kubectl's bytes
		})
	}
}

// TestJSONPathChoices pins where kcurl decides what kubectl leaves to chance or refuses later.
func TestJSONPathChoices(t *testing.T) {
	tests := []struct {
		name, template, doc, want string
	}{
		{name: "a map's values in key order (kubectl: random)", template: "{.m.*}", doc: `{"m":{"b":2,"a":1,"c":3}}`, want: "1 2 3"},
		{name: "recursive descent in key order", template: "{..n}", doc: `{"b":{"n":2},"a":{"n":1}}`, want: "1 2"},
		{name: "range over a map is one iteration", template: "{range .m}[{@}]{end}", doc: `{"m":{"b":2,"a":1}}`, want: `[{"a":1,"b":2}]`},
		{name: "range over a map's values", template: "{range .m.*}[{@}]{end}", doc: `{"m":{"b":2,"a":1}}`, want: "[1][2]"},
		{name: "a wildcard over a string yields its bytes", template: "{.s.*}", doc: `{"s":"AB"}`, want: "65 66"},
		{name: "[*] over an empty list ends the step for the lists after it", template: "{.l[*][*]}", doc: `{"l":[[1],[],[2]]}`, want: "1"},
		{name: "integers beyond int64 are floats", template: "{.n} {.m}", doc: `{"n":9223372036854775807,"m":9223372036854775808}`, want: "9223372036854775807 9.223372036854776e+18"},
		{name: "control characters: raw as text, escaped in JSON", template: "{.s} {.l}", doc: `{"s":"a\u0001b\u2028","l":["a\u0001b\u2028\b\f"]}`, want: "a\x01b\u2028 [\"a\\u0001b\\u2028\\b\\f\"]"},
		{name: "a null document", template: "{@}", doc: `null`, want: "<no value>"},
		{name: "a document that is a list", template: "{[1]}", doc: `[1,2]`, want: "2"},
		{name: "after an unclosed range, its body runs once more at the top level", template: "{range .l[*]}{@}", doc: `{"l":[1,2]}`, want: `12{"l":[1,2]}`},
		{name: "a control character is part of a key", template: "{.a\x01}", doc: `{"a\u0001":1}`, want: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			var out bytes.Buffer
			_, err = j.execute(&out, []byte(tt.doc))
			is.NoErr(err)                   // the template runs
			is.Equal(out.String(), tt.want) // the bytes
		})
	}
}

func TestJSONPathParseErrors(t *testing.T) {
	tests := []struct {
		name, template, want string
	}{
		{name: "unclosed action", template: "{.a", want: `--jsonpath: error parsing "{.a": unclosed action`},
		{name: "lone brace", template: "x{", want: `--jsonpath: error parsing "x{": unclosed action`},
		{name: "nested braces", template: "{{.a}}", want: `--jsonpath: error parsing "{{.a}}": unrecognized character in action: U+007B '{'`},
		{name: "newline in an action", template: "{.a\n}", want: `--jsonpath: error parsing "{.a\n}": unclosed action`},
		{name: "control character", template: "{\x01}", want: `--jsonpath: error parsing "{\x01}": unrecognized character in action: U+0001`},
		{name: "tab in an action", template: "{\t.a}", want: `--jsonpath: error parsing "{\t.a}": unrecognized character in action: U+0009`},
		{name: "unterminated array", template: "{.a[0}", want: `--jsonpath: error parsing "{.a[0}": unterminated array`},
		{name: "unterminated filter", template: `{.a[?(@.x=="1"}`, want: `--jsonpath: error parsing "{.a[?(@.x==\"1\"}": unterminated filter`},
		{name: "filter without ]", template: `{.a[?(@.x)}`, want: `--jsonpath: error parsing "{.a[?(@.x)}": unclosed array expect ]`},
		{name: "unterminated string", template: `{"abc}`, want: `--jsonpath: error parsing "{\"abc}": unterminated quoted string`},
		{name: "escaped closing quote", template: `{"a\\"}`, want: `--jsonpath: error parsing "{\"a\\\\\"}": unterminated quoted string`},
		{name: "bad escape", template: `{"\q"}`, want: `--jsonpath: error parsing "{\"\\q\"}": unquote string "\q" error invalid syntax`},
		{name: "double recursive descent", template: "{....a}", want: `--jsonpath: error parsing "{....a}": invalid multiple recursive descent`},
		{name: "unknown identifier", template: "{foo}", want: `--jsonpath: error parsing "{foo}": unrecognized identifier foo`},
		{name: "unknown operator", template: "{.a[?(@.x<>1)]}", want: `--jsonpath: error parsing "{.a[?(@.x<>1)]}": unrecognized filter operator <>`},
		{name: "double-quoted key", template: `{.a["x"]}`, want: `--jsonpath: error parsing "{.a[\"x\"]}": invalid array index "x"`},
		{name: "four slice parts", template: "{.a[1:2:3:4]}", want: `--jsonpath: error parsing "{.a[1:2:3:4]}": invalid array index 1:2:3:4`},
		{name: "index beyond int", template: "{.a[99999999999999999999]}", want: `--jsonpath: error parsing "{.a[99999999999999999999]}": array index 99999999999999999999 is not a number`},
		{name: "bad number", template: "{1.2.3}", want: `--jsonpath: error parsing "{1.2.3}": cannot parse number 1.2.3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.True(j == nil) // no template
			var ee *exitError
			is.True(errors.As(err, &ee))   // an exit error
			is.Equal(ee.code, 2)           // curl's bad-option code, before any request
			is.Equal(err.Error(), tt.want) // kubectl's reason
		})
	}
}

func TestJSONPathExecuteErrors(t *testing.T) {
	tests := []struct {
		name, template, doc, want string
		code                      int
	}{
		{name: "index out of range", template: "{.items[3]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[3]}": array index out of bounds: index 3, length 3`},
		{name: "index of an empty list", template: "{.items[*].spec.containers[0].name}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[*].spec.containers[0].name}": array index out of bounds: index 0, length 0`},
		{name: "index on a map", template: "{.metadata[0]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.metadata[0]}": map[string]interface {} is not array or slice`},
		{name: "filter on a map", template: "{.metadata[?(@.a)]}", doc: `{"metadata":{"a":1}}`, code: 1,
			want: `--jsonpath: error executing "{.metadata[?(@.a)]}": map[a:1] is not array or slice and cannot be filtered`},
		{name: "int against float", template: "{.items[?(@.status.ratio>1.0)].metadata.name}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[?(@.status.ratio>1.0)].metadata.name}": incompatible types for comparison`},
		{name: "map in a comparison", template: "{.items[?(@.metadata==1)]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[?(@.metadata==1)]}": invalid type for comparison`},
		{name: "two values in a comparison", template: "{.items[?(@.spec.containers[*].name==\"x\")]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[?(@.spec.containers[*].name==\"x\")]}": can only compare one element at a time`},
		{name: "start after end", template: "{.items[2:1]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[2:1]}": starting index 2 is greater than ending index 1`},
		{name: "zero step", template: "{.items[::0]}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.items[::0]}": step must be > 0`},
		{name: "end outside a range", template: "{.kind}{end}", doc: jpDoc, code: 1,
			want: `--jsonpath: error executing "{.kind}{end}": not in range, nothing to end`},
		{name: "not JSON", template: "{.a}", doc: "ok", code: 1, want: `--jsonpath: the response is not JSON: `},
		{name: "two documents", template: "{.a}", doc: `{"a":1} {"a":2}`, code: 1, want: `--jsonpath: the response is not one JSON document`},
		{name: "too deep", template: "{.a}", doc: strings.Repeat("[", 10001) + strings.Repeat("]", 10001), code: 1,
			want: `--jsonpath: the response nests deeper than 10000 levels`},
		{name: "too much output: 10,000 levels down is 100 MB", template: "{..}", doc: `{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "}", code: 1,
			want: `--jsonpath: error executing "{..}": the output is larger than 67428928 bytes`}, // 64 MiB + 16 × 20,004
		{name: "too much work", template: "{range ..}{range ..}{range ..}{end}{end}{end}", doc: strings.Repeat("[", 2000) + strings.Repeat("]", 2000), code: 1,
			want: `--jsonpath: error executing "{range ..}{range ..}{range ..}{end}{end}{end}": the template produces more than 16777216 values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			var out bytes.Buffer
			_, err = j.execute(&out, []byte(tt.doc))
			var ee *exitError
			is.True(errors.As(err, &ee))                     // an exit error
			is.Equal(ee.code, tt.code)                       // kubectl's exit code
			is.True(strings.HasPrefix(err.Error(), tt.want)) // kubectl's reason
			if !strings.Contains(tt.want, "output is larger") {
				is.Equal(out.String(), "") // nothing printed, as kubectl prints nothing
			}
		})
	}
}

func TestJSONPathMatched(t *testing.T) {
	tests := []struct {
		name, template string
		want           bool
	}{
		{name: "a value", template: "{.kind}", want: true},
		{name: "an empty string is a value", template: "{.metadata.namespace}", want: true},
		{name: "a null is a value", template: "{.items[0].status.deleted}", want: true},
		{name: "a missing key", template: "{.missing}", want: false},
		{name: "text around a missing key", template: "phase={.missing}\n", want: false},
		{name: "literals only", template: `{"x"}{1}{true}`, want: false},
		{name: "an empty selection", template: "{.items[5:5]}", want: false},
		{name: "a filter that keeps nothing", template: `{.items[?(@.status.phase=="Failed")].metadata.name}`, want: false},
		{name: "a range that iterates", template: "{range .items[*]}x{end}", want: true},
		{name: "a range over nothing", template: "{range .missing[*]}{.kind}{end}", want: false},
		{name: "the document", template: "{@}", want: true},
	}
	doc := strings.Replace(jpDoc, `"42"}`, `"42","namespace":""}`, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			matched, err := j.execute(io.Discard, []byte(doc))
			is.NoErr(err)              // the template runs
			is.Equal(matched, tt.want) // what --jsonpath-fail-empty sees
		})
	}
}

func TestJSONPathValues(t *testing.T) {
	tests := []struct {
		name, template string
		want           []string
	}{
		{name: "one field", template: "{.items[0].status.phase}", want: []string{"Running"}},
		{name: "literal text is not a value", template: "phase={.items[1].status.phase}!", want: []string{"Pending"}},
		{name: "several", template: "{.items[*].metadata.name}{.kind}", want: []string{"web-0", "web-1", "db-0", "PodList"}},
		{name: "a map as JSON", template: "{.items[1].metadata.labels}", want: []string{`{"app":"web"}`}},
		{name: "a number", template: "{.items[0].status.restartCount}", want: []string{"3"}},
		{name: "nothing", template: "{.missing}", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			got, err := j.values([]byte(jpDoc))
			is.NoErr(err)          // the template runs
			is.Equal(got, tt.want) // the printed values
		})
	}
}

// TestJSONPathHostile feeds documents and templates at and beyond the bounds.
func TestJSONPathHostile(t *testing.T) {
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}" }
	huge := `{"l":[` + strings.Repeat(`{"n":1},`, 200000) + `{"n":2}]}`
	tests := []struct {
		name, template, doc string
		wantLen             int // bytes printed
		wantSuffix          string
	}{
		{name: "9,999 nested lists under a key (10,000 levels)", template: "{.a}", doc: deep(9999), wantLen: 2 * 9999, wantSuffix: "]]"},
		{name: "recursive descent 5,000 levels down: 5,000 values, 25 MB", template: "{..}", doc: deep(5000), wantLen: 5000*5000 + 4*5000 + 3, wantSuffix: "[[]]"},
		{name: "200,001 elements", template: "{.l[*].n}", doc: huge, wantLen: 2*200001 - 1, wantSuffix: "1 1 2"},
		{name: "range over 200,001 elements", template: "{range .l[*]}{.n}{end}", doc: huge, wantLen: 200001, wantSuffix: "112"},
		{name: "10,000 actions", template: strings.Repeat("{.l[-1].n}", 10000), doc: huge, wantLen: 10000, wantSuffix: "22"},
		{name: "a long key", template: "{." + strings.Repeat("k", 1<<20) + "}", doc: `{"k":1}`, wantLen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			start := time.Now()
			j, err := parseJSONPath(tt.template)
			is.NoErr(err) // the template parses
			var out bytes.Buffer
			_, err = j.execute(&out, []byte(tt.doc))
			is.NoErr(err)                                           // the template runs
			is.Equal(out.Len(), tt.wantLen)                         // every value printed
			is.True(strings.HasSuffix(out.String(), tt.wantSuffix)) // to the last
			is.True(time.Since(start) < 30*time.Second)             // in bounded time, even on a busy machine
		})
	}
}

func TestJSONPathWriteError(t *testing.T) {
	is := is.New(t)
	j, err := parseJSONPath("{.kind}")
	is.NoErr(err) // the template parses
	_, err = j.execute(errWriter{}, []byte(jpDoc))
	var ee *exitError
	is.True(errors.As(err, &ee)) // an exit error
	is.Equal(ee.code, 23)        // curl's write error
}

// FuzzJSONPath: any template and any document either fail with the documented codes or print, without a panic,
// within the work bound.
func FuzzJSONPath(f *testing.F) {
	for _, s := range []struct{ template, doc string }{
		{"{.items[*].metadata.name}", jpDoc},
		{`{range .items[*]}{.metadata.name}{"\t"}{range .spec.containers[*]}{.name},{end}{"\n"}{end}`, jpDoc},
		{`{.items[?(@.status.phase=="Running")].metadata.labels['app\.kubernetes\.io/name']}`, jpDoc},
		{"{..name}{.items[-1:]}{.items[::2]}{.items[0,1]['metadata.name']}", jpDoc},
		{"{.a[?(@.x>1)]}{.a[?(@.y)]}", `{"a":[{"x":1},{"x":2.5},{"y":null},"s",null]}`},
		{"{range .a}{@}{end}{end}", `{"a":[[],{},null,1e400,-0]}`},
		{"{", `[`}, {"}", `"`}, {"{.a\\", `{"a":"\ud800"}`},
	} {
		f.Add(s.template, []byte(s.doc))
	}
	f.Fuzz(func(t *testing.T, template string, doc []byte) {
		if len(template) > 256 || len(doc) > 4096 {
			t.Skip() // the work bound is what matters, not the fuzzer's patience with megabytes
		}
		j, err := parseJSONPath(template)
		var ee *exitError
		if err != nil {
			if !errors.As(err, &ee) || ee.code != 2 || !strings.HasPrefix(err.Error(), "--jsonpath: ") {
				t.Fatalf("parse error %v, want exit 2 and --jsonpath: ", err)
			}
			return
		}
		if _, err := j.execute(io.Discard, doc); err != nil {
			if !errors.As(err, &ee) || ee.code != 1 || !strings.HasPrefix(err.Error(), "--jsonpath: ") {
				t.Fatalf("execute error %v, want exit 1 and --jsonpath: ", err)
			}
		}
		if _, err := j.values(doc); err != nil && !errors.As(err, &ee) {
			t.Fatalf("values error %v is not an exit error", err)
		}
	})
}

// TestJSONPathFlag runs --jsonpath through run, against a TLS server that plays the API server.
func TestJSONPathFlag(t *testing.T) {
	pki := newPKI(t)
	var requests atomic.Int32
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/pods":
			w.Header().Set("Content-Type", "application/json")
			if r.Header.Get("Accept-Encoding") == "deflate, gzip" {
				w.Header().Set("Content-Encoding", "gzip")
				zw := gzip.NewWriter(w)
				io.WriteString(zw, jpDoc)
				zw.Close()
				return
			}
			io.WriteString(w, jpDoc)
		case "/missing":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404}`)
		case "/text":
			io.WriteString(w, "ok")
		case "/huge":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"a":"`)
			chunk := strings.Repeat("x", 1<<20)
			for range 129 {
				io.WriteString(w, chunk)
			}
			io.WriteString(w, `"}`)
		}
	}), serverOptions{})
	env := apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"jsonpath"))
	outFile := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
		sent           bool // whether a request reached the server
		file           string
	}{
		{name: "names", args: []string{"--jsonpath", "{.items[*].metadata.name}", "/pods"}, stdout: "web-0 web-1 db-0", sent: true},
		{name: "range with tabs and newlines", args: []string{"--jsonpath", `{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}`, "/pods"},
			stdout: "web-0\tRunning\nweb-1\tPending\ndb-0\tRunning\n", sent: true},
		{name: "compressed", args: []string{"--compressed", "--jsonpath", "{.kind}", "/pods"}, stdout: "PodList", sent: true},
		{name: "to a file", args: []string{"-o", outFile, "--jsonpath", "{.items[0].metadata.labels}", "/pods"}, sent: true, file: `{"app":"web","app.kubernetes.io/name":"shop-web"}`},
		{name: "a missing key prints nothing, exit 0", args: []string{"--jsonpath", "{.status}", "/pods"}, sent: true},
		{name: "fail-empty: nothing matched is 22", args: []string{"--jsonpath", "phase={.status}", "--jsonpath-fail-empty", "/pods"},
			code: 22, stdout: "phase=", stderr: "kcurl: (22) --jsonpath-fail-empty: the template matched nothing\n", sent: true},
		{name: "fail-empty: a match is 0", args: []string{"--jsonpath", "{.kind}", "--jsonpath-fail-empty", "/pods"}, stdout: "PodList", sent: true},
		{name: "a bad template is 2 and sends nothing", args: []string{"--jsonpath", "{.items[", "/pods"},
			code: 2, stderr: "kcurl: (2) --jsonpath: error parsing \"{.items[\": unterminated array\n"},
		{name: "fail-empty alone is 2", args: []string{"--jsonpath-fail-empty", "/pods"}, code: 2, stderr: "kcurl: (2) --jsonpath-fail-empty needs --jsonpath\n"},
		{name: "not with --watch", args: []string{"--jsonpath", "{.kind}", "--watch", "/pods"}, code: 2, stderr: "kcurl: (2) --jsonpath and --watch cannot be used together\n"},
		{name: "not with --table", args: []string{"--jsonpath", "{.kind}", "--table", "/pods"}, code: 2, stderr: "kcurl: (2) --jsonpath and --table cannot be used together\n"},
		{name: "an error status passes through as a body", args: []string{"--jsonpath", "{.kind}", "/missing"}, sent: true,
			stderr: "kcurl: 404 NotFound: pods \"x\" not found\n",
			stdout: `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404}`},
		{name: "an error status with -f is 22", args: []string{"-f", "--jsonpath", "{.kind}", "/missing"}, code: 22, sent: true,
			stderr: "kcurl: (22) 404 NotFound: pods \"x\" not found\n"},
		{name: "an index out of range is kubectl's 1", args: []string{"--jsonpath", "{.items[7]}", "/pods"}, code: 1, sent: true,
			stderr: "kcurl: (1) --jsonpath: error executing \"{.items[7]}\": array index out of bounds: index 7, length 3\n"},
		{name: "a body that is not JSON", args: []string{"--jsonpath", "{.kind}", "/text"}, code: 1, sent: true},
		{name: "a body beyond 128 MiB is curl's 63", args: []string{"--jsonpath", "{.a}", "/huge"}, code: 63, sent: true,
			stderr: "kcurl: (63) --jsonpath: the response is larger than 128 MiB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			before := requests.Load()
			r := kcurl(t, invocation{args: append([]string{"-sS", "--cacert", pki.caFile}, tt.args...), env: env})
			is.Equal(r.code, tt.code)                   // the exit code
			is.Equal(r.stdout, tt.stdout)               // the template's output, exactly
			is.Equal(requests.Load() > before, tt.sent) // a request was sent, or not
			if tt.stderr != "" || tt.code == 0 {
				is.Equal(r.stderr, tt.stderr) // the error line
			}
			if tt.code == 1 && tt.stderr == "" {
				is.True(strings.HasPrefix(r.stderr, "kcurl: (1) --jsonpath: the response is not JSON")) // no JSON, no output
			}
			if tt.file != "" {
				got, err := os.ReadFile(outFile)
				is.NoErr(err)                  // -o wrote the file
				is.Equal(string(got), tt.file) // the template's output in it
			}
		})
	}
}
