//go:build linux

package node

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestMainContainer is the docs' walk from inside a real pod, as uid 65532, from the image Dockerfile.scratch
// builds: the pod finds the API server only through what the kubelet gave it (the service environment and the
// projected service-account volume), is authenticated but forbidden, and a RoleBinding opens the pod list.
func TestMainContainer(t *testing.T) {
	walk(t, harness.KcurlImage, []string{"/kcurl"})
}

// walk runs the walk with the kcurl at command in image.
func walk(t *testing.T, image string, command []string) {
	is := is.New(t)
	ns := newNamespace(t)
	c := needNode(t).Cluster
	user := "system:serviceaccount:" + ns + ":" + serviceAccount
	pods := "/api/v1/namespaces/" + ns + "/pods"
	status403 := func(message, details string) string {
		return `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"` +
			strings.ReplaceAll(message, `"`, `\"`) + `","reason":"Forbidden","details":{` + details + `},"code":403}` + "\n"
	}
	kc := func(name string, args ...string) container {
		return container{name: name, image: image, command: command, args: args}
	}
	// Before the RoleBinding: the containers run side by side in one pod.
	before := runPod(t, ns, podSpec("before", "Never",
		kc("root", "-sS", "-w", `%{http_code}\n`, "/"),
		kc("pods", "-sS", "-w", `%{http_code}\n`, pods),
		kc("verbose", "-sv", "-o", "/dev/null", "/version"),
		kc("whoami", "whoami"),
	))
	for _, name := range []string{"root", "pods", "verbose", "whoami"} {
		t.Logf("container %s: exit %d, kubectl logs:\n%s", name, before[name].exitCode, before[name].log)
	}
	rootForbidden := `forbidden: User "` + user + `" cannot get path "/"`
	podsForbidden := `pods is forbidden: User "` + user + `" cannot list resource "pods" in API group "" in the namespace "` + ns + `"`
	tests := []struct {
		name           string
		stdout, stderr string   // exact, unless matches is set
		stderrLines    []string // whole lines stderr must have, in this order
	}{
		{
			name:   "root",
			stdout: status403(rootForbidden, "") + "403\n",
			stderr: "kcurl: 403 Forbidden: " + rootForbidden + "\n",
		},
		{
			name:   "pods",
			stdout: status403(podsForbidden, `"kind":"pods"`) + "403\n",
			stderr: "kcurl: 403 Forbidden: " + podsForbidden + "\n",
		},
		{
			// Discovery from the environment the kubelet set, the token and CA from the projected volume.
			name: "verbose",
			stderrLines: []string{
				"* API server 10.0.0.1:443 (from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT)",
				"* sending the bearer token from /var/run/secrets/kubernetes.io/serviceaccount/token",
				"* Connected to 10.0.0.1 (10.0.0.1) port 443",
				"*  CAfile: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
				`*  subjectAltName: host "10.0.0.1" matched cert's IP address!`,
				"*  SSL certificate verify ok.",
				"> authorization: Bearer <redacted>",
				"< HTTP/2 200 ",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r, ok := before[tt.name]
			is.True(ok)             // the container ran
			is.Equal(r.exitCode, 0) // no -f: a 403 is a transfer that worked
			if tt.stderrLines == nil {
				is.Equal(r.stdout, tt.stdout) // the Status document, then -w
				is.Equal(r.stderr, tt.stderr) // kcurl's one line
				return
			}
			is.Equal(r.stdout, "") // -o /dev/null
			lines := strings.Split(r.stderr, "\n")
			next := 0
			for _, l := range lines {
				if next < len(tt.stderrLines) && l == tt.stderrLines[next] {
					next++
				}
			}
			if next < len(tt.stderrLines) {
				t.Fatalf("stderr lacks %q (or has it out of order):\n%s", tt.stderrLines[next], r.stderr)
			}
		})
	}
	t.Run("whoami", func(t *testing.T) {
		is := is.New(t)
		r := before["whoami"]
		is.Equal(r.exitCode, 0)
		is.Equal(r.stderr, "")
		var pod harness.Pod
		is.NoErr(c.Get(t.Context(), pods+"/before", &pod))
		// The kubelet's token is bound to this pod and node: the API server's view, then the token's own claims.
		for _, re := range []string{
			`(?m)^  username  ` + regexp.QuoteMeta(user) + `$`,
			`(?m)^  extra     authentication\.kubernetes\.io/pod-name=before$`,
			`(?m)^  extra     authentication\.kubernetes\.io/node-name=` + harness.NodeName + `$`,
			`(?m)^token from /var/run/secrets/kubernetes\.io/serviceaccount/token \(decoded locally, not verified\):$`,
			`(?m)^  pod              before \(uid ` + pod.Metadata.UID + `\)$`,
			`(?m)^  node             ` + harness.NodeName + ` \(uid [0-9a-f-]{36}\)$`,
		} {
			is.True(regexp.MustCompile(re).MatchString(r.stdout)) // whoami's line
		}
		m := regexp.MustCompile(`(?m)^  expires          (\S+) \(in (\S+)\)$`).FindStringSubmatch(r.stdout)
		is.True(m != nil) // an expiry line
		exp, err := time.Parse(time.RFC3339, m[1])
		is.NoErr(err)
		is.True(exp.After(time.Now())) // the token has not expired
		t.Logf("token expires %s (in %s)", m[1], m[2])
	})

	is.NoErr(c.Grant(t.Context(), ns, serviceAccount, "pod-reader",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "get"}}))
	after := runPod(t, ns, podSpec("after", "Never", kc("pods", "-sS", "-o", "/dev/null", "-w", `%{http_code}\n`, pods)))
	is.Equal(after["pods"].exitCode, 0)
	is.Equal(after["pods"].stdout, "200\n") // the RoleBinding opened the pod list
	is.Equal(after["pods"].stderr, "")
}
