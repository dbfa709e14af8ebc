package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestYAMLBodies(t *testing.T) {
	pki := newPKI(t)
	rec := &recorder{}
	api := newTLSServer(t, pki, replying(rec, 200, "application/json", "{}"), serverOptions{})
	plainRec := &recorder{}
	plain := httptest.NewServer(replying(plainRec, 200, "text/plain", "ok"))
	t.Cleanup(plain.Close)
	const doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c1\ndata:\n  a: \"1\"\n"
	yamlFile := writeFile(t, "cm.yaml", doc)
	ymlFile := writeFile(t, "cm.YML", doc)
	jsonFile := writeFile(t, "cm.json", `{"kind":"ConfigMap"}`)
	cm := "/api/v1/namespaces/n/configmaps"
	tests := []struct {
		name        string
		args        []string
		plain       bool
		method      string
		uri         string
		contentType string
		body        string
	}{
		{name: "POST a .yaml file with --data-binary", args: []string{"--data-binary", "@" + yamlFile, cm}, method: "POST", uri: cm, contentType: "application/yaml", body: doc},
		{name: "-d @file.yaml keeps its line breaks", args: []string{"-d", "@" + yamlFile, cm}, method: "POST", uri: cm, contentType: "application/yaml", body: doc},
		{name: "PUT a .YML file with -X PUT", args: []string{"-X", "PUT", "--data-binary", "@" + ymlFile, cm + "/c1"}, method: "PUT", uri: cm + "/c1", contentType: "application/yaml", body: doc},
		{name: "-T file.yaml", args: []string{"-T", yamlFile, cm + "/c1"}, method: "PUT", uri: cm + "/c1", contentType: "application/yaml", body: doc},
		{name: "PATCH with YAML is server-side apply by kcurl", args: []string{"-X", "PATCH", "--data-binary", "@" + yamlFile, cm + "/c1"}, method: "PATCH", uri: cm + "/c1?fieldManager=kcurl", contentType: "application/apply-patch+yaml", body: doc},
		{name: "the URL's fieldManager stays", args: []string{"-X", "PATCH", "--data-binary", "@" + yamlFile, cm + "/c1?force=true&fieldManager=ci"}, method: "PATCH", uri: cm + "/c1?force=true&fieldManager=ci", contentType: "application/apply-patch+yaml", body: doc},
		{name: "the user's query keeps its order", args: []string{"-X", "PATCH", "--data-binary", "@" + yamlFile, cm + "/c1?force=true&dryRun=All"}, method: "PATCH", uri: cm + "/c1?force=true&dryRun=All&fieldManager=kcurl", contentType: "application/apply-patch+yaml", body: doc},
		{name: "an explicit Content-Type wins, no fieldManager", args: []string{"-X", "PATCH", "-H", "Content-Type: application/merge-patch+json", "--data-binary", "@" + yamlFile, cm + "/c1"}, method: "PATCH", uri: cm + "/c1", contentType: "application/merge-patch+json", body: doc},
		{name: "--json wins", args: []string{"--json", "@" + yamlFile, cm}, method: "POST", uri: cm, contentType: "application/json", body: doc},
		{name: "a .json file is JSON", args: []string{"--data-binary", "@" + jsonFile, cm}, method: "POST", uri: cm, contentType: "application/json", body: `{"kind":"ConfigMap"}`},
		{name: "YAML mixed with other data is not YAML", args: []string{"--data-binary", "@" + yamlFile, "-d", "x", cm}, method: "POST", uri: cm, contentType: "application/json", body: doc + "&x"},
		{name: "another host: curl's form type, no fieldManager", args: []string{"-X", "PATCH", "--data-binary", "@" + yamlFile, plain.URL + "/p"}, plain: true, method: "PATCH", uri: "/p", contentType: "application/x-www-form-urlencoded", body: doc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: append([]string{"-sS"}, tt.args...), env: apiEnv(api, newSADir(t, pki.caPEM, ""))})
			is.Equal(r.stderr, "")
			is.Equal(r.code, 0)
			got := rec.last(t)
			if tt.plain {
				got = plainRec.last(t)
			}
			is.Equal(got.method, tt.method)
			is.Equal(got.uri, tt.uri)
			is.Equal(got.header.Get("Content-Type"), tt.contentType)
			is.Equal(got.body, tt.body)
		})
	}
}

// TestYAMLOut: --yaml asks for YAML and writes it byte for byte as it arrives, even on
// a terminal, where JSON would be pretty-printed.
func TestYAMLOut(t *testing.T) {
	is := is.New(t)
	pki := newPKI(t)
	firstWritten := make(chan struct{})
	var accept string
	srv := newTLSServer(t, pki, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept = r.Header.Get("Accept")
		w.Header().Set("Content-Type", "application/yaml")
		io.WriteString(w, "apiVersion: v1\nitems:\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstWritten: // kcurl wrote the first part before the rest was sent
		case <-time.After(5 * time.Second):
			t.Error("the first part was not written before the rest came")
		}
		io.WriteString(w, "- kind: Pod\nkind: PodList\n")
	}), serverOptions{})
	out := &signalWriter{first: firstWritten}
	r := kcurl(t, invocation{args: []string{"-sS", "--yaml", "/api/v1/pods"}, stdout: out, terminal: true, env: apiEnv(srv, newSADir(t, pki.caPEM, ""))})
	is.Equal(r.code, 0)
	is.Equal(accept, "application/yaml")
	is.Equal(out.String(), "apiVersion: v1\nitems:\n- kind: Pod\nkind: PodList\n")
}

// signalWriter closes first at its first write.
type signalWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	first chan struct{}
	once  sync.Once
}

func (s *signalWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	s.once.Do(func() { close(s.first) })
	return len(p), nil
}

func (s *signalWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestYAMLConflicts(t *testing.T) {
	for _, other := range []string{"--table", "--all-pages", "--watch", "--watch-reconnect"} {
		t.Run(other, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, invocation{args: []string{"-sS", "--yaml", other, "/api/v1/pods"}})
			is.Equal(r.code, exitFailedInit)
			is.Equal(r.stderr, fmt.Sprintf("kcurl: (2) --yaml and %s cannot be used together\n", other))
		})
	}
}
