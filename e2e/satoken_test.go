package e2e

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// tokenReviewService is a loopback HTTPS service that authenticates the bearer token it
// is given as kube-rbac-proxy does: a TokenReview against the real API server. It
// answers 200 with the user the API server names, 401 otherwise, and keeps what it saw.
type tokenReviewService struct {
	url, caFile string
	mu          sync.Mutex
	sawToken    []bool
}

func newTokenReviewService(t *testing.T, c *harness.Cluster) *tokenReviewService {
	t.Helper()
	is := is.New(t)
	ca, err := harness.NewCA("metrics-ca")
	is.NoErr(err)
	leaf, err := ca.Issue("app-metrics", nil, nil, []net.IP{net.ParseIP("127.0.0.1")})
	is.NoErr(err)
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	is.NoErr(err)
	s := &tokenReviewService{caFile: filepath.Join(t.TempDir(), "service-ca.crt")}
	is.NoErr(os.WriteFile(s.caFile, ca.CertPEM, 0o644))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		s.sawToken = append(s.sawToken, ok)
		s.mu.Unlock()
		if !ok {
			http.Error(w, "no bearer token", http.StatusUnauthorized)
			return
		}
		review, _ := json.Marshal(map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": map[string]any{"token": token}})
		code, body, err := c.Do(r.Context(), http.MethodPost, "/apis/authentication.k8s.io/v1/tokenreviews", "application/json", review)
		var answer struct {
			Status struct {
				Authenticated bool `json:"authenticated"`
				User          struct {
					Username string `json:"username"`
				} `json:"user"`
			} `json:"status"`
		}
		if err != nil || code != http.StatusCreated || json.Unmarshal(body, &answer) != nil || !answer.Status.Authenticated {
			http.Error(w, "token refused", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "metrics for "+answer.Status.User.Username+"\n")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *tokenReviewService) seen() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.sawToken...)
}

// TestSATokenForAnInClusterService: a service that authenticates pods by TokenReview
// gets the pod's own token with --sa-token (over TLS verified by the service's CA), and
// no token without it; a typed --token-file goes to the URL typed as well.
func TestSATokenForAnInClusterService(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "scraper")
	svc := newTokenReviewService(t, c)
	user := "system:serviceaccount:" + ns + ":scraper"
	host := strings.TrimPrefix(svc.url, "https://")
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
		sawToken       bool
	}{
		{name: "--sa-token", args: []string{"-fsS", "--sa-token", "--cacert", svc.caFile, svc.url + "/metrics"},
			stdout: "metrics for " + user + "\n", sawToken: true},
		{name: "--token-file, the URL typed", args: []string{"-fsS", "--token-file", filepath.Join(p.saDir.Dir, "token"), "--cacert", svc.caFile, svc.url + "/metrics"},
			stdout: "metrics for " + user + "\n", sawToken: true},
		{name: "without --sa-token: no token", args: []string{"-fsS", "--cacert", svc.caFile, svc.url + "/metrics"},
			code: 22, stderr: "kcurl: (22) The requested URL returned error: 401 (no token sent: " + host + " is not the API server)\n"},
		{name: "--sa-token under -k: no token", args: []string{"-fsS", "-k", "--sa-token", svc.url + "/metrics"},
			code: 22, stderr: "kcurl: (22) The requested URL returned error: 401 (no token sent: -k does not verify " + host + ")\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			before := len(svc.seen())
			r := kcurl(t, p.saDir.Dir, tt.args...)
			is.Equal(r.code, tt.code)             // kcurl's exit code
			is.Equal(string(r.stdout), tt.stdout) // the service's answer
			is.Equal(string(r.stderr), tt.stderr)
			seen := svc.seen()
			is.Equal(len(seen), before+1)       // one request reached the service
			is.Equal(seen[before], tt.sawToken) // with a bearer token exactly when it should
		})
	}
}
