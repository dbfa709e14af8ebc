package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// jsonPathCRD is a cluster-scoped CustomResourceDefinition whose objects keep any field: the one way to put
// floats, nulls and mixed lists in a real object, where kubectl's number printing shows.
const jsonPathCRD = `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
 "metadata":{"name":"widgets.kcurl-jsonpath.example.com"},
 "spec":{"group":"kcurl-jsonpath.example.com","scope":"Namespaced",
  "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
  "versions":[{"name":"v1","served":true,"storage":true,
   "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`

// TestJSONPathParity runs each template through kcurl --jsonpath and kubectl get -o jsonpath on the same real
// objects (ConfigMaps, Pods left Pending without a node, ServiceAccounts, the Namespace, a custom resource with
// floats and nulls) and wants the same bytes and the same exit code. Templates whose kubectl output depends on Go's
// random map order (a wildcard or .. over a map with several matches) are left out: kcurl's order is sorted keys.
// Objects are read one at a time or as a list of one namespace; kubectl wraps a list as kind List, adds kind and
// apiVersion to each item and drops metadata.managedFields, so the templates read neither.
func TestJSONPathParity(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	kubectl := peer(t, "kubectl")
	ctx := t.Context()
	ns := newNamespace(t)
	p := newPod(t, ns, "reader")
	grant(t, ns, "reader", "jsonpath-reader",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps", "pods", "serviceaccounts", "namespaces"}, Verbs: []string{"get", "list"}},
		harness.PolicyRule{APIGroups: []string{"kcurl-jsonpath.example.com"}, Resources: []string{"widgets"}, Verbs: []string{"get", "list"}})

	create := func(path, body string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, out, err := c.Do(ctx, http.MethodPost, path, "application/json", []byte(body))
			is.New(t).NoErr(err) // POST as the admin
			if code == http.StatusCreated {
				return
			}
			// A new CRD's objects are served a moment after it is established.
			if code != http.StatusNotFound || time.Now().After(deadline) {
				t.Fatalf("POST %s: %d %s", path, code, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	api := "/api/v1/namespaces/" + ns
	create(api+"/configmaps", `{"metadata":{"name":"app-config","labels":{"app":"web","app.kubernetes.io/name":"shop","tier":"frontend"},
		"annotations":{"note":"owned by <team> & co"}},"data":{"a":"1","b":"two","x.y":"dotted","html":"<b>&amp;</b>","multi":"line one\nline two\ttabbed"}}`)
	create(api+"/configmaps", `{"metadata":{"name":"db-config","labels":{"app":"db"}},"data":{"port":"5432"}}`)
	create(api+"/configmaps", `{"metadata":{"name":"empty"}}`)
	create(api+"/serviceaccounts", `{"metadata":{"name":"builder","labels":{"role":"ci"}},"automountServiceAccountToken":false,"imagePullSecrets":[{"name":"regcred"},{"name":"mirror"}]}`)
	// Pods without a node stay Pending, but they are real objects with the API server's defaults filled in.
	create(api+"/pods", `{"metadata":{"name":"web-0","labels":{"app":"web"}},"spec":{"serviceAccountName":"reader","automountServiceAccountToken":false,
		"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"name":"http","containerPort":80},{"name":"https","containerPort":443}],
		"resources":{"limits":{"cpu":"500m","memory":"64Mi"}}},{"name":"sidecar","image":"envoyproxy/envoy:v1.31"}]}}`)
	create(api+"/pods", `{"metadata":{"name":"db-0","labels":{"app":"db"}},"spec":{"serviceAccountName":"reader","automountServiceAccountToken":false,
		"containers":[{"name":"postgres","image":"postgres:17"}]}}`)
	code, out, err := c.Do(ctx, http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", []byte(jsonPathCRD))
	is.New(t).NoErr(err) // creating the CRD
	if code != http.StatusCreated && code != http.StatusConflict {
		t.Fatalf("creating the CRD: %d %s", code, out)
	}
	create("/apis/kcurl-jsonpath.example.com/v1/namespaces/"+ns+"/widgets", `{"apiVersion":"kcurl-jsonpath.example.com/v1","kind":"Widget",
		"metadata":{"name":"w1"},"spec":{"ratio":0.5,"big":1e21,"tiny":1e-7,"whole":2.0,"count":3,"huge":12345678901234567890,"neg":-42,
		"flag":true,"off":false,"nothing":null,"list":[1,"a",null,{"k":"v"},[2.5]],"html":"<&>","nested":{"b":{"c":1.5},"a":[]}}}`)
	kubeconfig := t.TempDir() + "/kubeconfig"
	is.New(t).NoErr(c.WriteKubeconfig(kubeconfig, "")) // kubectl as the admin

	// Each object by the kubectl get arguments and the API path that name it.
	type object struct{ get, path string }
	var (
		appConfig  = object{"configmap app-config", api + "/configmaps/app-config"}
		configMaps = object{"configmaps", api + "/configmaps"}
		web0       = object{"pod web-0", api + "/pods/web-0"}
		pods       = object{"pods", api + "/pods"}
		builder    = object{"serviceaccount builder", api + "/serviceaccounts/builder"}
		namespace  = object{"namespace " + ns, "/api/v1/namespaces/" + ns}
		widget     = object{"widgets.kcurl-jsonpath.example.com w1", "/apis/kcurl-jsonpath.example.com/v1/namespaces/" + ns + "/widgets/w1"}
	)
	tests := []struct {
		name     string
		object   object
		template string
		code     int // kubectl's and kcurl's
	}{
		{name: "a field", object: appConfig, template: "{.metadata.name}"},
		{name: "a map, keys sorted", object: appConfig, template: "{.metadata.labels}"},
		{name: "a map with HTML characters and control characters", object: appConfig, template: "{.data}"},
		{name: "a string as it is", object: appConfig, template: "{.data.html}|{.data.multi}|{.metadata.annotations.note}"},
		{name: "escaped dots in a key", object: appConfig, template: `{.metadata.labels.app\.kubernetes\.io/name}`},
		{name: "quoted key with escaped dots", object: appConfig, template: `{.data['x\.y']} {.metadata.labels['app\.kubernetes\.io/name']}`},
		{name: "quoted key is a path", object: appConfig, template: `{['metadata.name']}`},
		{name: "union of paths", object: appConfig, template: `{['metadata.name', 'metadata.namespace']}`},
		{name: "text outside braces", object: appConfig, template: "name={.metadata.name} ns={.metadata.namespace}!"},
		{name: "string literals with escapes", object: appConfig, template: `{.kind}{"\t"}{.apiVersion}{"\n"}{'x'}{"\u00e9"}`},
		{name: "a missing key prints nothing", object: appConfig, template: "[{.metadata.missing}][{.nope.deeper}]"},
		{name: "wildcard over a one-key map", object: appConfig, template: "{.metadata.annotations.*}"},
		{name: "@ and $", object: appConfig, template: "{@.metadata.name}{$.kind}"},
		{name: "a wildcard over a string is its bytes", object: appConfig, template: "{.data.b.*}"},

		{name: "list: every name", object: configMaps, template: "{.items[*].metadata.name}"},
		{name: "list: index", object: configMaps, template: "{.items[0].metadata.name}"},
		{name: "list: negative index", object: configMaps, template: "{.items[-1].metadata.name}"},
		{name: "list: slice", object: configMaps, template: "{.items[0:2].metadata.name}"},
		{name: "list: step", object: configMaps, template: "{.items[::2].metadata.name}"},
		{name: "list: open slice", object: configMaps, template: "{.items[1:].metadata.name} {.items[-2:].metadata.name}"},
		{name: "list: union of indexes", object: configMaps, template: "{.items[0,2].metadata.name}"},
		{name: "list: empty slice", object: configMaps, template: "[{.items[5:5]}]"},
		{name: "list: range", object: configMaps, template: `{range .items[*]}{.metadata.name}{"\t"}{.metadata.labels.app}{"\n"}{end}`},
		{name: "list: range with text", object: configMaps, template: `{range .items[*]}[{.metadata.name}, {.data.port}] {end}`},
		{name: "list: filter ==", object: configMaps, template: `{.items[?(@.metadata.labels.app=="web")].metadata.name}`},
		{name: "list: filter != in single quotes", object: configMaps, template: `{.items[?(@.metadata.labels.app!='web')].metadata.name}`},
		{name: "list: filter exists", object: configMaps, template: `{.items[?(@.metadata.labels)].metadata.name}`},
		{name: "list: filter exists then field", object: configMaps, template: `{.items[?(@.data.port)].data.port}`},
		{name: "list: filter < on strings", object: configMaps, template: `{.items[?(@.metadata.name<"e")].metadata.name}`},
		{name: "list: maps", object: configMaps, template: "{.items[*].metadata.labels}"},
		{name: "list: maps, one missing", object: configMaps, template: "{.items[*].data}"},
		{name: "list: index out of range is an error", object: configMaps, template: "{.items[9].metadata.name}", code: 1},

		{name: "pod: phase of a pod with no node", object: web0, template: "{.status.phase}"},
		{name: "pod: container names", object: web0, template: "{.spec.containers[*].name}"},
		{name: "pod: integers", object: web0, template: "{.spec.containers[0].ports[*].containerPort} {.spec.terminationGracePeriodSeconds}"},
		{name: "pod: a bool", object: web0, template: "{.spec.enableServiceLinks} {.spec.automountServiceAccountToken}"},
		{name: "pod: filter on a string", object: web0, template: `{.spec.containers[?(@.name=="sidecar")].image}`},
		{name: "pod: filter > on integers", object: web0, template: `{.spec.containers[0].ports[?(@.containerPort>100)].name}`},
		{name: "pod: filter <= printing maps with integers", object: web0, template: `{.spec.containers[0].ports[?(@.containerPort<=80)]}`},
		{name: "pod: nested map", object: web0, template: "{.spec.containers[0].resources}"},
		{name: "pod: recursive descent", object: web0, template: "{.spec..image}"},
		{name: "pod: recursive descent below a list", object: web0, template: "{.spec.containers[*]..containerPort}"},
		{name: "pod: nested ranges, one container without ports", object: web0,
			template: `{range .spec.containers[*]}{.name}:{range .ports[*]}{.containerPort},{end};{end}`},
		{name: "pod: last element by slice", object: web0, template: "{.spec.containers[-1:].name}"},
		{name: "pod: a list of maps", object: web0, template: "{.spec.containers[1]}"},
		{name: "pods: filter on a nested field", object: pods, template: `{.items[?(@.metadata.labels.app=="db")].spec.containers[0].image}`},
		{name: "pods: [*] across lists", object: pods, template: "{.items[*].spec.containers[*].name}"},

		{name: "serviceaccount: false and a list", object: builder, template: "{.automountServiceAccountToken} {.imagePullSecrets[*].name} {.imagePullSecrets}"},
		{name: "namespace: labels, finalizers, phase", object: namespace, template: "{.metadata.labels} {.spec.finalizers[*]} {.status.phase}"},

		{name: "floats as kubectl prints them", object: widget, template: "{.spec.ratio} {.spec.big} {.spec.tiny} {.spec.whole} {.spec.count} {.spec.huge} {.spec.neg}"},
		{name: "floats, nulls and nesting as JSON", object: widget, template: "{.spec}"},
		{name: "null, bool and mixed list elements", object: widget, template: "{.spec.nothing} {.spec.flag} {.spec.off} {.spec.list[*]}"},
		{name: "range over null is <no value>", object: widget, template: "{range .spec.list[*]}[{@}]{end}"},
		{name: "range over a map is one iteration", object: widget, template: "{range .spec.nested.b}<{@}>{end}"},
		{name: "filter comparing int and float is an error", object: widget, template: `{.spec.list[?(@>1.0)]}`, code: 1},
		{name: "filter on a map is an error", object: widget, template: `{.spec[?(@.x)]}`, code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			args := append([]string{"--kubeconfig", kubeconfig, "-n", ns, "get"}, strings.Fields(tt.object.get)...)
			want := runPeer(t, kubectl, append(args, "-o", "jsonpath="+tt.template)...)
			got := kcurl(t, p.saDir.Dir, "-sS", "--jsonpath", tt.template, tt.object.path)
			is.Equal(want.code, tt.code)                      // kubectl's exit code
			is.Equal(got.code, tt.code)                       // kcurl's exit code
			is.Equal(string(got.stdout), string(want.stdout)) // byte-identical to kubectl get -o jsonpath
			if tt.code == 0 {
				is.Equal(string(got.stderr), "") // nothing on stderr
			}
		})
	}
}
