package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// peer finds a reference program, or skips: curl and kubectl are there to compare against, not part of kcurl.
func peer(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("e2e: %s not found on PATH, so there is nothing to compare kcurl with (install it to run this test)", name)
	}
	return path
}

// runPeer runs a reference program with args, within 60 s, in the same bare environment kcurl gets.
func runPeer(t *testing.T, path string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = podEnv("", "", "")
	cmd.Dir = t.TempDir()
	return runCommand(t, cmd)
}

// curlUserAgent is what curl sends as its User-Agent, e.g. curl/7.88.1, read from curl --version.
func curlUserAgent(t *testing.T, curl string) string {
	t.Helper()
	out, err := exec.Command(curl, "--version").Output()
	is.New(t).NoErr(err) // curl --version
	m := regexp.MustCompile(`^curl (\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("cannot read curl's version from %q", out)
	}
	return "curl/" + string(m[1])
}

// TestHarnessWalkWithCurl checks the harness itself with curl, independent of kcurl: if this fails, the cluster
// and not kcurl is wrong.
func TestHarnessWalkWithCurl(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	curl := peer(t, "curl")
	ns := newNamespace(t)
	is.New(t).NoErr(c.CreateServiceAccount(t.Context(), ns, "walker")) // the ServiceAccount
	token, err := c.RequestToken(t.Context(), ns, "walker", harness.TokenOptions{ExpirationSeconds: 3600, Audiences: []string{harness.Issuer}})
	is.New(t).NoErr(err) // a TokenRequest with expirationSeconds and audiences
	base := []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", c.PKI.CAFile}
	bearer := []string{"-H", "Authorization: Bearer " + token}
	pods := c.URL + "/api/v1/namespaces/" + ns + "/pods"

	tests := []struct {
		name   string
		before func(t *testing.T)
		args   []string
		want   string
	}{
		{name: "no token is 401", args: []string{pods}, want: "401"},
		{name: "token on / is 403", args: append(bearer, c.URL+"/"), want: "403"},
		{name: "pods before the binding is 403", args: append(bearer, pods), want: "403"},
		{
			name: "pods after the binding is 200",
			before: func(t *testing.T) {
				is.New(t).NoErr(c.Grant(t.Context(), ns, "walker", "pod-reader",
					harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}})) // granting list pods
			},
			args: append(bearer, pods),
			want: "200",
		},
		{name: "a service-account name resolves as 127.0.0.1 would", args: append(bearer,
			"--resolve", "kubernetes.default.svc:"+c.Port+":127.0.0.1", "https://kubernetes.default.svc:"+c.Port+"/api/v1/namespaces/"+ns+"/pods"), want: "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			if tt.before != nil {
				tt.before(t)
			}
			r := runPeer(t, curl, append(append([]string{}, base...), tt.args...)...)
			is.Equal(r.code, 0)                 // curl's exit code
			is.Equal(string(r.stdout), tt.want) // the HTTP status
		})
	}
}

// TestPeerParity shows kcurl returns what the reference clients return for the same GET of one object: the same
// JSON document as kubectl get --raw, and the same bytes as curl when kcurl sends curl's User-Agent (the API server
// pretty-prints JSON for User-Agents that start with curl). One object, not a list: a list's resourceVersion moves
// with the API server's own lease renewals between two requests.
func TestPeerParity(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "reader")
	is.New(t).NoErr(c.Grant(t.Context(), ns, "reader", "configmap-reader", harness.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"},
	})) // granting get configmaps
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, "parity", map[string]string{"greeting": "hello", "unicode": "é ✓"})) // the object all clients read
	path := "/api/v1/namespaces/" + ns + "/configmaps/parity"

	tests := []struct {
		name  string
		peer  string
		run   func(t *testing.T, peer string) result
		kcurl []string
		exact bool // byte for byte, else the same JSON document
	}{
		{
			name: "kubectl get --raw, same document",
			peer: "kubectl",
			run: func(t *testing.T, kubectl string) result {
				kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
				is.New(t).NoErr(c.WriteKubeconfig(kubeconfig, p.token)) // kubectl as the same ServiceAccount
				return runPeer(t, kubectl, "--kubeconfig", kubeconfig, "get", "--raw", path)
			},
			kcurl: []string{"-s", path},
		},
		{
			name: "curl, same bytes with curl's User-Agent",
			peer: "curl",
			run: func(t *testing.T, curl string) result {
				return runPeer(t, curl, "-s", "--cacert", c.PKI.CAFile, "-H", "Authorization: Bearer "+p.token, c.URL+path)
			},
			kcurl: []string{"-s", "-A", "CURL_UA", path},
			exact: true,
		},
		{
			name: "curl, same document with kcurl's own User-Agent",
			peer: "curl",
			run: func(t *testing.T, curl string) result {
				return runPeer(t, curl, "-s", "--cacert", c.PKI.CAFile, "-H", "Authorization: Bearer "+p.token, c.URL+path)
			},
			kcurl: []string{"-s", path},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			peerPath := peer(t, tt.peer)
			want := tt.run(t, peerPath)
			is.Equal(want.code, 0) // the peer succeeded
			args := append([]string{}, tt.kcurl...)
			for i, a := range args {
				if a == "CURL_UA" {
					args[i] = curlUserAgent(t, peerPath)
				}
			}
			got := kcurl(t, p.saDir.Dir, args...)
			is.Equal(got.code, 0) // kcurl succeeded
			if tt.exact {
				is.Equal(string(got.stdout), string(want.stdout)) // byte-identical to the peer
				return
			}
			var gotDoc, wantDoc any
			is.NoErr(json.Unmarshal(want.stdout, &wantDoc))                   // the peer printed JSON
			is.NoErr(json.Unmarshal(got.stdout, &gotDoc))                     // kcurl printed JSON
			is.Equal(gotDoc, wantDoc)                                         // the same document
			is.True(bytes.Contains(got.stdout, []byte(`"greeting":"hello"`))) // compact for kcurl's own User-Agent
		})
	}
}
