package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestTokenRotation swaps the folder's token, the kubelet's way (one rename of ..data), between the first and the
// second attempt of one kcurl --retry run: the second attempt must read the new token, not reuse the first.
func TestTokenRotation(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)

	tests := []struct {
		name       string
		firstToken func(t *testing.T, ns string) string
		wantFirst  int // the status of the first attempt, which the rotation follows
	}{
		{
			name:       "from a token the API server does not know",
			firstToken: func(t *testing.T, ns string) string { return "not-a-token" },
			wantFirst:  401,
		},
		{
			name: "from another ServiceAccount's token, forbidden to read",
			firstToken: func(t *testing.T, ns string) string {
				is := is.New(t)
				is.NoErr(c.CreateServiceAccount(t.Context(), ns, "nobody")) // a ServiceAccount without roles
				token, err := c.RequestToken(t.Context(), ns, "nobody", harness.TokenOptions{})
				is.NoErr(err)
				return token
			},
			wantFirst: 403,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			ns := newNamespace(t)
			p := newPod(t, ns, "rotor")
			is.NoErr(c.Grant(t.Context(), ns, "rotor", "configmap-reader", harness.PolicyRule{
				APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"},
			})) // granting get configmaps to the token rotated in
			is.NoErr(c.CreateConfigMap(t.Context(), ns, "target", map[string]string{"k": "v"}))                                // what the second attempt reads
			is.NoErr(p.saDir.Rotate(harness.Projection{Token: tt.firstToken(t, ns), CACert: c.PKI.CA.CertPEM, Namespace: ns})) // the first attempt's token

			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			// -f makes the first answer an error and --retry-all-errors retries it, as curl does; -v shows each
			// response's status line on stderr, which is when the token is swapped.
			cmd := kcurlCommand(ctx, t, p.saDir.Dir, "-sSfv", "--retry", "1", "--retry-delay", "1", "--retry-all-errors",
				"/api/v1/namespaces/"+ns+"/configmaps/target")
			var stdout syncBuffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			is.NoErr(err)
			is.NoErr(cmd.Start()) // starting kcurl

			statusLine := regexp.MustCompile(`^< HTTP/\S+ (\d{3})`)
			var statuses []int
			var verbose []string
			lines := bufio.NewScanner(stderr)
			for lines.Scan() {
				verbose = append(verbose, lines.Text())
				m := statusLine.FindStringSubmatch(lines.Text())
				if m == nil {
					continue
				}
				code, _ := strconv.Atoi(m[1])
				statuses = append(statuses, code)
				if len(statuses) == 1 {
					// kcurl now waits a second before the retry: swap the token as the kubelet does.
					is.NoErr(p.saDir.Rotate(harness.Projection{Token: p.token, CACert: c.PKI.CA.CertPEM, Namespace: ns})) // rotating the token
				}
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("kcurl exit %d; stderr:\n%s", exit.ExitCode(), redact(strings.Join(verbose, "\n")))
			}
			is.NoErr(err)
			is.Equal(statuses, []int{tt.wantFirst, 200}) // the first attempt failed, the second used the new token

			var cm configMap
			is.NoErr(json.Unmarshal([]byte(stdout.String()), &cm)) // stdout is the second attempt's body alone
			is.Equal(cm.Metadata.Name, "target")
			is.Equal(cm.Data, map[string]string{"k": "v"})
		})
	}
}

// TestRefusedTokens checks tokens the API server no longer accepts give 401 like no token at all, and that -f
// makes them exit 22.
func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)

	tests := []struct {
		name   string
		refuse func(t *testing.T, p pod) string // makes p's token unacceptable and returns the token to project
	}{
		{
			name: "the ServiceAccount was deleted (revoked)",
			refuse: func(t *testing.T, p pod) string {
				is := is.New(t)
				is.NoErr(c.DeleteServiceAccount(t.Context(), p.ns, p.sa)) // revoking every token bound to it
				is.NoErr(c.WaitForRevoked(t.Context(), p.token))          // the authenticator's cache has caught up
				return p.token
			},
		},
		{
			name: "the token expired",
			refuse: func(t *testing.T, p pod) string {
				is := is.New(t)
				expired, err := c.ExpireToken(p.token, 10*time.Minute)
				is.NoErr(err) // re-signing the token with its expiry ten minutes ago
				ok, err := c.Authenticated(t.Context(), expired)
				is.NoErr(err)
				is.True(!ok) // the API server refuses it
				return expired
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := newPod(t, ns, "holder-"+strconv.Itoa(i))
			is.NoErr(c.Grant(t.Context(), ns, p.sa, "reader-"+strconv.Itoa(i), harness.PolicyRule{
				APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list"},
			})) // granting list configmaps, so only the token can be at fault
			list := "/api/v1/namespaces/" + ns + "/configmaps"
			is.Equal(string(kcurl(t, p.saDir.Dir, "-s", "-o", "/dev/null", "-w", "%{http_code}", list).stdout), "200") // the token works first

			is.NoErr(p.saDir.Rotate(harness.Projection{Token: tt.refuse(t, p), CACert: c.PKI.CA.CertPEM, Namespace: ns}))

			r := kcurl(t, p.saDir.Dir, "-s", "-o", "/dev/null", "-w", "%{http_code}", list)
			is.Equal(r.code, 0)               // no -f: the transfer itself worked
			is.Equal(string(r.stdout), "401") // unauthenticated
			r = kcurl(t, p.saDir.Dir, "-sf", list)
			is.Equal(r.code, 22)       // -f: an HTTP error
			is.Equal(len(r.stdout), 0) // and no body
		})
	}
}
