package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

// apiScript plays the API server for kcurl wait: each request gets the next step, in
// order, and a request beyond the script fails the test.
type apiScript struct {
	t     *testing.T
	rec   recorder
	mu    sync.Mutex
	steps []http.HandlerFunc
}

func (s *apiScript) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.add(r)
	s.mu.Lock()
	if len(s.steps) == 0 {
		s.mu.Unlock()
		s.t.Errorf("unexpected request %s %s", r.Method, r.RequestURI)
		http.Error(w, "unexpected", http.StatusInternalServerError)
		return
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	s.mu.Unlock()
	step(w, r)
}

// uris are the request URIs the script saw.
func (s *apiScript) uris() []string {
	var out []string
	for _, r := range s.rec.all() {
		out = append(out, r.uri)
	}
	return out
}

// answer is a step that answers with status and a JSON body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

// streamEnd says how a scripted watch stream ends.
type streamEnd int

const (
	endClean streamEnd = iota // the server ends the watch
	endBreak                  // the connection breaks
	endHang                   // the stream stays open until kcurl goes away
)

// stream is a watch step: the events, one per line, flushed one by one, then the end.
func stream(end streamEnd, events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		for _, ev := range events {
			fmt.Fprintln(w, ev)
			w.(http.Flusher).Flush()
		}
		switch end {
		case endBreak:
			panic(http.ErrAbortHandler)
		case endHang:
			<-r.Context().Done()
		}
	}
}

// pod is a Pod whose Ready condition has status ready ("" for no conditions).
func pod(name, rv, ready string) string {
	conds := ""
	if ready != "" {
		conds = `{"type":"Ready","status":"` + ready + `"}`
	}
	return `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + name + `","namespace":"ns","resourceVersion":"` + rv + `"},"status":{"conditions":[` + conds + `]}}`
}

// listItem is a pod as a List's item: without kind and apiVersion, as the API server writes them.
func listItem(name, rv, ready string) string {
	return strings.Replace(pod(name, rv, ready), `"kind":"Pod","apiVersion":"v1",`, "", 1)
}

// podWatchAt is the watch of web-0 from resourceVersion rv.
func podWatchAt(rv string) string {
	return "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb-0&resourceVersion=" + rv + "&watch=1"
}

func event(typ, object string) string { return `{"type":"` + typ + `","object":` + object + `}` }

const (
	podPath   = "/api/v1/namespaces/ns/pods/web-0"
	podWatch  = "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb-0&watch=1"
	goneEvent = `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 5 (9)","reason":"Expired","code":410}}`
	forbidden = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-0\" is forbidden: User \"system:serviceaccount:ns:sa\" cannot get resource \"pods\" in API group \"\" in the namespace \"ns\"","reason":"Forbidden","details":{"name":"web-0","kind":"pods"},"code":403}`
	notFound  = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"web-0\" not found","reason":"NotFound","details":{"name":"web-0","kind":"pods"},"code":404}`
)

func TestWait(t *testing.T) {
	deployment := func(rv string, ready int) string {
		return fmt.Sprintf(`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"ns","resourceVersion":"%s","generation":2},"status":{"observedGeneration":2,"readyReplicas":%d}}`, rv, ready)
	}
	tests := []struct {
		name   string
		args   []string
		steps  []http.HandlerFunc
		code   int
		stdout string
		stderr string
		uris   []string
	}{
		{
			name: "met at the GET: no watch", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{answer(200, pod("web-0", "5", "True"))},
			code:  0, stdout: "pod/web-0 condition met\n", uris: []string{podPath},
		},
		{
			name: "met by a watch event from the GET's resourceVersion", args: []string{"--for=condition=ready=TRUE", podPath},
			steps: []http.HandlerFunc{
				answer(200, pod("web-0", "5", "False")),
				stream(endHang, event("MODIFIED", pod("web-0", "6", "False")), event("MODIFIED", pod("web-0", "7", "True"))),
			},
			code: 0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatchAt("5")},
		},
		{
			name: "the server ends the watch: resumed from the bookmark", args: []string{"--for=condition=Ready=false", podPath},
			steps: []http.HandlerFunc{
				answer(200, pod("web-0", "5", "True")),
				stream(endClean, event("BOOKMARK", `{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"9"}}`)),
				stream(endHang, event("MODIFIED", pod("web-0", "10", "False"))),
			},
			code: 0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatchAt("5"), podWatchAt("9")},
		},
		{
			name: "the connection breaks: resumed from the last event", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{
				answer(200, pod("web-0", "5", "False")),
				stream(endBreak, event("MODIFIED", pod("web-0", "7", "False"))),
				stream(endHang, event("MODIFIED", pod("web-0", "8", "True"))),
			},
			code: 0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatchAt("5"), podWatchAt("7")},
		},
		{
			name: "410 in the stream: listed again", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{
				answer(200, pod("web-0", "5", "False")),
				stream(endHang, goneEvent),
				answer(200, pod("web-0", "12", "True")),
			},
			code: 0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatchAt("5"), podPath},
		},
		{
			name: "410 as the watch's answer: listed again", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{
				answer(200, pod("web-0", "5", "False")),
				answer(410, strings.TrimSuffix(strings.TrimPrefix(goneEvent, `{"type":"ERROR","object":`), "}")),
				answer(200, pod("web-0", "12", "False")),
				stream(endHang, event("MODIFIED", pod("web-0", "13", "True"))),
			},
			code: 0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatchAt("5"), podPath, podWatchAt("12")},
		},
		{
			name: "timeout: 28 naming what is unmet", args: []string{"--for=condition=Ready", "--timeout", "300ms", podPath},
			steps: []http.HandlerFunc{answer(200, pod("web-0", "5", "False")), stream(endHang)},
			code:  28, stderr: "kcurl: (28) timed out after 300ms waiting for condition=Ready: pod/web-0 (Ready is False)\n",
			uris: []string{podPath, podWatchAt("5")},
		},
		{
			name: "--timeout 0 checks once", args: []string{"--for=condition=Ready", "--timeout=0", podPath},
			steps: []http.HandlerFunc{answer(200, pod("web-0", "5", ""))},
			code:  28, stderr: "kcurl: (28) timed out after 0s waiting for condition=Ready: pod/web-0 (no Ready condition)\n", uris: []string{podPath},
		},
		{
			name: "403 is the Status line", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{answer(403, forbidden)},
			code:  22, stderr: `kcurl: (22) 403 Forbidden: pods "web-0" is forbidden: User "system:serviceaccount:ns:sa" cannot get resource "pods" in API group "" in the namespace "ns"` + "\n", uris: []string{podPath},
		},
		{
			name: "404 is the Status line for a condition", args: []string{"--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{answer(404, notFound)},
			code:  22, stderr: `kcurl: (22) 404 NotFound: pods "web-0" not found` + "\n", uris: []string{podPath},
		},
		{
			name: "404 is success for delete, as kubectl: nothing printed", args: []string{"--for=delete", podPath},
			steps: []http.HandlerFunc{answer(404, notFound)},
			code:  0, uris: []string{podPath},
		},
		{
			name: "delete: met by the DELETED event", args: []string{"--for=delete", "/api/v1/namespaces/ns/configmaps/c1"},
			steps: []http.HandlerFunc{
				answer(200, `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1","namespace":"ns","resourceVersion":"3"}}`),
				stream(endHang, event("DELETED", `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c1","namespace":"ns","resourceVersion":"4"}}`)),
			},
			code: 0, stdout: "configmap/c1 condition met\n",
			uris: []string{"/api/v1/namespaces/ns/configmaps/c1", "/api/v1/namespaces/ns/configmaps?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dc1&resourceVersion=3&watch=1"},
		},
		{
			name: "404 waits for create: a watch from now", args: []string{"--for=create", podPath},
			steps: []http.HandlerFunc{answer(404, notFound), stream(endHang, event("ADDED", pod("web-0", "20", "")))},
			code:  0, stdout: "pod/web-0 condition met\n", uris: []string{podPath, podWatch},
		},
		{
			name: "jsonpath with a value, a Deployment", args: []string{"--for=jsonpath={.status.readyReplicas}=2", "/apis/apps/v1/namespaces/ns/deployments/web"},
			steps: []http.HandlerFunc{answer(200, deployment("5", 1)), stream(endHang, event("MODIFIED", deployment("6", 2)))},
			code:  0, stdout: "deployment.apps/web condition met\n",
			uris: []string{"/apis/apps/v1/namespaces/ns/deployments/web", "/apis/apps/v1/namespaces/ns/deployments?allowWatchBookmarks=true&fieldSelector=metadata.name%3Dweb&resourceVersion=5&watch=1"},
		},
		{
			name: "bare jsonpath: any value", args: []string{"--for", "jsonpath={.status.readyReplicas}", "/apis/apps/v1/namespaces/ns/deployments/web"},
			steps: []http.HandlerFunc{answer(200, deployment("5", 0))},
			code:  0, stdout: "deployment.apps/web condition met\n", uris: []string{"/apis/apps/v1/namespaces/ns/deployments/web"},
		},
		{
			name: "a collection: every match, the one that lags last", args: []string{"--for=condition=Ready", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb"},
			steps: []http.HandlerFunc{
				answer(200, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"30"},"items":[`+listItem("web-0", "21", "True")+`,`+listItem("web-1", "22", "False")+`]}`),
				stream(endHang, event("MODIFIED", pod("web-0", "31", "True")), event("MODIFIED", pod("web-1", "32", "True"))),
			},
			code: 0, stdout: "pod/web-0 condition met\npod/web-1 condition met\n",
			uris: []string{"/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb", "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion=30&watch=1"},
		},
		{
			name: "a collection that times out names the laggard", args: []string{"--for=condition=Ready", "--timeout", "0.3", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb"},
			steps: []http.HandlerFunc{
				answer(200, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"30"},"items":[`+listItem("web-0", "21", "True")+`,`+listItem("web-1", "22", "False")+`]}`),
				stream(endHang),
			},
			code: 28, stderr: "kcurl: (28) timed out after 300ms waiting for condition=Ready: pod/web-1 (Ready is False)\n",
			uris: []string{"/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb", "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion=30&watch=1"},
		},
		{
			name: "timeout before the GET is answered", args: []string{"--for=condition=Ready", "--timeout", "300ms", podPath},
			steps: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
			code:  28, stderr: "kcurl: (28) timed out after 300ms waiting for condition=Ready: pod/web-0 (no answer from the API server yet)\n", uris: []string{podPath},
		},
		{
			name: "an empty collection waits for a match", args: []string{"--for=condition=Ready", "--timeout", "300ms", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb"},
			steps: []http.HandlerFunc{answer(200, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"30"},"items":[]}`), stream(endHang)},
			code:  28, stderr: "kcurl: (28) timed out after 300ms waiting for condition=Ready: pods?labelSelector=app%3Dweb (no object matches)\n",
			uris: []string{"/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb", "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion=30&watch=1"},
		},
		{
			name: "delete of a collection: every match gone", args: []string{"--for=delete", "/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb"},
			steps: []http.HandlerFunc{
				answer(200, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"30"},"items":[`+listItem("web-0", "21", "True")+`,`+listItem("web-1", "22", "False")+`]}`),
				stream(endHang, event("DELETED", pod("web-1", "31", "False")), event("DELETED", pod("web-0", "32", "True"))),
			},
			code: 0, stdout: "pod/web-0 condition met\npod/web-1 condition met\n",
			uris: []string{"/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb", "/api/v1/namespaces/ns/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion=30&watch=1"},
		},
		{
			name: "-s silences the line", args: []string{"-s", "--for=condition=Ready", podPath},
			steps: []http.HandlerFunc{answer(200, pod("web-0", "5", "True"))},
			code:  0, uris: []string{podPath},
		},
	}
	pki := newPKI(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			script := &apiScript{t: t, steps: tt.steps}
			srv := newTLSServer(t, pki, script, serverOptions{})
			r := kcurl(t, invocation{args: append([]string{"wait"}, tt.args...), env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"wait"))})
			is.Equal(r.stderr, tt.stderr) // the error line, if any
			is.Equal(r.code, tt.code)     // the exit code
			is.Equal(r.stdout, tt.stdout) // kubectl's line
			is.Equal(script.uris(), tt.uris)
		})
	}
}

// TestWaitVerbose shows each event's verdict under -v.
func TestWaitVerbose(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	script := &apiScript{t: t, steps: []http.HandlerFunc{
		answer(200, pod("web-0", "5", "False")),
		stream(endHang, event("MODIFIED", pod("web-0", "6", "Unknown")), event("MODIFIED", pod("web-0", "7", "True"))),
	}}
	srv := newTLSServer(t, pki, script, serverOptions{})
	r := kcurl(t, invocation{args: []string{"wait", "-v", "--for=condition=Ready", podPath}, env: apiEnv(srv, newSADir(t, pki.caPEM, secretPrefix+"wait"))})
	is.Equal(r.code, 0)
	var verdicts []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, "pod/web-0") {
			verdicts = append(verdicts, l)
		}
	}
	is.Equal(verdicts, []string{
		"* GET pod/web-0: Ready is False",
		"* MODIFIED pod/web-0: Ready is Unknown",
		"* MODIFIED pod/web-0: condition met",
	})
}

// TestWaitReadsTheTokenAfresh rotates the token while the watch runs: the resumed
// watch carries the new one.
func TestWaitReadsTheTokenAfresh(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	sa := newSADir(t, pki.caPEM, secretPrefix+"first")
	rotate := func(w http.ResponseWriter, r *http.Request) {
		if err := os.WriteFile(filepath.Join(sa, "token"), []byte(secretPrefix+"second\n"), 0o600); err != nil {
			t.Error(err)
		}
		stream(endClean)(w, r)
	}
	script := &apiScript{t: t, steps: []http.HandlerFunc{
		answer(200, pod("web-0", "5", "False")), rotate, stream(endHang, event("MODIFIED", pod("web-0", "6", "True"))),
	}}
	srv := newTLSServer(t, pki, script, serverOptions{})
	r := kcurl(t, invocation{args: []string{"wait", "--for=condition=Ready", podPath}, env: apiEnv(srv, sa)})
	is.Equal(r.code, 0)
	var auth []string
	for _, req := range script.rec.all() {
		auth = append(auth, req.header.Get("Authorization"))
	}
	is.Equal(auth, []string{"Bearer " + secretPrefix + "first", "Bearer " + secretPrefix + "first", "Bearer " + secretPrefix + "second"})
}

func TestParseWaitFor(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(is *is.I, f waitFor)
		err   string
	}{
		{name: "condition", in: "condition=Ready", check: func(is *is.I, f waitFor) {
			is.Equal([]string{f.conditionType, f.conditionStatus}, []string{"Ready", "true"})
		}},
		{name: "condition with a value", in: "condition=Available=False", check: func(is *is.I, f waitFor) {
			is.Equal([]string{f.conditionType, f.conditionStatus}, []string{"Available", "False"})
		}},
		{name: "delete", in: "Delete", check: func(is *is.I, f waitFor) { is.Equal(f.kind, waitDelete) }},
		{name: "create", in: "create", check: func(is *is.I, f waitFor) { is.Equal(f.kind, waitCreate) }},
		{name: "jsonpath with a value in quotes", in: `jsonpath={.status.phase}='Running'`, check: func(is *is.I, f waitFor) {
			is.Equal([]string{f.template, f.value}, []string{"{.status.phase}", "Running"})
		}},
		{name: "jsonpath with '=' in a filter", in: `jsonpath={.status.conditions[?(@.type=="Ready")].status}=True`, check: func(is *is.I, f waitFor) {
			is.Equal([]string{f.template, f.value}, []string{`{.status.conditions[?(@.type=="Ready")].status}`, "True"})
		}},
		{name: "bare jsonpath", in: "jsonpath={.status.readyReplicas}", check: func(is *is.I, f waitFor) { is.True(f.anyValue) }},
		{name: "relaxed jsonpath", in: "jsonpath=.status.phase=Running", check: func(is *is.I, f waitFor) {
			is.Equal([]string{f.template, f.value}, []string{"{.status.phase}", "Running"})
		}},
		{name: "no --for", in: "", err: "wait needs --for: condition=NAME[=VALUE], jsonpath='{…}'[=VALUE], delete or create"},
		{name: "unknown", in: "ready", err: `option --for: unrecognized condition "ready" (condition=NAME[=VALUE], jsonpath='{…}'[=VALUE], delete or create)`},
		{name: "empty value", in: "jsonpath={.a}=", err: "option --for: jsonpath wait value cannot be empty"},
		{name: "unclosed", in: "jsonpath={.a", err: `option --for: jsonpath "{.a" has no closing brace`},
		{name: "text after the template", in: "jsonpath={.a}x", err: "option --for: jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			f, err := parseWaitFor(tt.in)
			if tt.err != "" {
				is.Equal(err.Error(), tt.err)
				is.Equal(exitCodeOf(err), exitFailedInit) // a bad --for is a bad command line
				return
			}
			is.NoErr(err)
			tt.check(is, f)
		})
	}
}

func TestWaitConditionRules(t *testing.T) {
	tests := []struct {
		name string
		for_ string
		obj  string
		met  bool
		why  string
	}{
		{name: "status compared case-insensitively", for_: "condition=Ready", obj: `{"status":{"conditions":[{"type":"ready","status":"TRUE"}]}}`, met: true},
		{name: "the first condition of the type decides", for_: "condition=Ready", obj: `{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"Ready","status":"True"}]}}`, why: "Ready is False"},
		{name: "a stale observedGeneration is not met", for_: "condition=Available", obj: `{"metadata":{"generation":3},"status":{"observedGeneration":2,"conditions":[{"type":"Available","status":"True"}]}}`, why: "Available is True for generation 2, not 3"},
		{name: "the condition's own observedGeneration wins", for_: "condition=Available", obj: `{"metadata":{"generation":3},"status":{"observedGeneration":2,"conditions":[{"type":"Available","status":"True","observedGeneration":3}]}}`, met: true},
		{name: "no conditions", for_: "condition=Ready", obj: `{"status":{}}`, why: "no Ready condition"},
		{name: "conditions of another shape", for_: "condition=Ready", obj: `{"status":{"conditions":"yes"}}`, why: "status.conditions is not a list of conditions"},
		{name: "jsonpath equal after trimming", for_: "jsonpath={.status.phase}=Running", obj: `{"status":{"phase":"Running"}}`, met: true},
		{name: "jsonpath another value", for_: "jsonpath={.status.phase}=Running", obj: `{"status":{"phase":"Pending"}}`, why: `{.status.phase} is "Pending"`},
		{name: "jsonpath missing", for_: "jsonpath={.status.phase}=Running", obj: `{"status":{}}`, why: "{.status.phase} has no value"},
		{name: "bare jsonpath: empty string is no value", for_: "jsonpath={.status.phase}", obj: `{"status":{"phase":""}}`, why: "{.status.phase} has no value"},
		{name: "jsonpath number", for_: "jsonpath={.status.readyReplicas}=3", obj: `{"status":{"readyReplicas":3}}`, met: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			f, err := parseWaitFor(tt.for_)
			is.NoErr(err)
			met, why, err := f.check([]byte(tt.obj))
			is.NoErr(err)
			is.Equal(met, tt.met)
			is.Equal(why, tt.why)
		})
	}
	t.Run("jsonpath to an object cannot be compared", func(t *testing.T) {
		is := is.New(t)
		f, _ := parseWaitFor("jsonpath={.status}=x")
		_, _, err := f.check([]byte(`{"status":{"a":1}}`))
		is.Equal(err.Error(), `wait: {.status} leads to a nested object or list, which cannot be compared with "x"`)
	})
}

func TestParseWaitTarget(t *testing.T) {
	tests := []struct {
		name, path, collection, object, err string
	}{
		{name: "namespaced object", path: "/api/v1/namespaces/ns/pods/web-0", collection: "/api/v1/namespaces/ns/pods", object: "web-0"},
		{name: "namespaced collection", path: "/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb", collection: "/api/v1/namespaces/ns/pods"},
		{name: "a namespace", path: "/api/v1/namespaces/ns", collection: "/api/v1/namespaces", object: "ns"},
		{name: "group object", path: "/apis/apps/v1/namespaces/ns/deployments/web", collection: "/apis/apps/v1/namespaces/ns/deployments", object: "web"},
		{name: "cluster-scoped object", path: "/api/v1/nodes/n1", collection: "/api/v1/nodes", object: "n1"},
		{name: "a subresource", path: "/api/v1/namespaces/ns/pods/web-0/status", err: `wait: "/api/v1/namespaces/ns/pods/web-0/status" is not an object or collection path (/api/v1/namespaces/NS/pods/NAME, /apis/GROUP/VERSION/…/RESOURCE?labelSelector=…)`},
		{name: "not the API", path: "/healthz", err: `wait: "/healthz" is not an object or collection path (/api/v1/namespaces/NS/pods/NAME, /apis/GROUP/VERSION/…/RESOURCE?labelSelector=…)`},
		{name: "a URL", path: "https://x/api/v1/pods", err: `wait: "https://x/api/v1/pods" is not an object or collection path (/api/v1/namespaces/NS/pods/NAME, /apis/GROUP/VERSION/…/RESOURCE?labelSelector=…)`},
		{name: "a query on an object", path: "/api/v1/namespaces/ns/pods/web-0?labelSelector=a", err: "wait: a query (labelSelector=a) selects among a collection; /api/v1/namespaces/ns/pods/web-0 names one object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got, err := parseWaitTarget(tt.path)
			if tt.err != "" {
				is.Equal(err.Error(), tt.err)
				return
			}
			is.NoErr(err)
			is.Equal(got.collection, tt.collection)
			is.Equal(got.name, tt.object)
		})
	}
}

func TestParseWaitTimeout(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{in: "30s", want: 30 * time.Second}, {in: "0", want: 0}, {in: "1.5", want: 1500 * time.Millisecond},
		{in: "-1s", want: aWeek}, {in: "2m", want: 2 * time.Minute}, {in: "soon", err: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			is := is.New(t)
			d, err := parseWaitTimeout(tt.in)
			is.Equal(err != nil, tt.err)
			is.Equal(d, tt.want)
		})
	}
}

// FuzzWaitArguments: any --for and PATH either parse or are refused as a bad command line (exit 2), never a panic.
func FuzzWaitArguments(f *testing.F) {
	for _, seed := range [][2]string{
		{"condition=Ready", "/api/v1/namespaces/ns/pods/web-0"},
		{`jsonpath={.status.conditions[?(@.type=="Ready")].status}='True'`, "/apis/apps/v1/deployments?labelSelector=a%3Db"},
		{"jsonpath=.a.b=c", "/api/v1/namespaces"},
		{"jsonpath={'}'}", "/apis/g/v/namespaces/ns/r/n/sub"},
		{"delete", "//"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, forArg, path string) {
		if _, err := parseWaitFor(forArg); err != nil && exitCodeOf(err) != exitFailedInit {
			t.Fatalf("--for %q: exit %d: %v", forArg, exitCodeOf(err), err)
		}
		if _, err := parseWaitTarget(path); err != nil && exitCodeOf(err) != exitFailedInit {
			t.Fatalf("PATH %q: exit %d: %v", path, exitCodeOf(err), err)
		}
	})
}
