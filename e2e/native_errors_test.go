package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestNativeErrors checks the error lines built from the API server's Status bodies, and the 401 hints kcurl adds
// from what it knows locally.
func TestNativeErrors(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "erring")
	noToken := tokenlessDir(t, ns)
	expiredToken, err := c.ExpireToken(p.token, 10*time.Minute)
	is.New(t).NoErr(err) // the token, re-signed as expired ten minutes ago
	expiredDir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: expiredToken, CACert: c.PKI.CA.CertPEM, Namespace: ns})
	is.New(t).NoErr(err)
	secrets := "/api/v1/namespaces/" + ns + "/secrets"
	forbidden := `secrets is forbidden: User "system:serviceaccount:` + ns + `:erring" cannot list resource "secrets" in API group "" in the namespace "` + ns + `"`

	// The server's own message, read without -f, is what the error line must quote.
	plain := kcurl(t, p.saDir.Dir, "-s", secrets)
	serverStatus := decodeStatus(t, plain.stdout)
	is.New(t).Equal(serverStatus.Message, forbidden) // the API server's words

	tests := []struct {
		name       string
		saDir      string
		args       []string
		wantExit   int
		wantStderr string         // exact, when wantMatch is nil
		wantMatch  *regexp.Regexp // the stderr, when the line holds a time
		wantBody   bool           // the Status body on stdout
	}{
		{
			name:       "403 with -sSf quotes the Status",
			saDir:      p.saDir.Dir,
			args:       []string{"-sSf", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 403 Forbidden: " + serverStatus.Message + "\n",
		},
		{
			name:       "403 with --fail-with-body also writes the Status",
			saDir:      p.saDir.Dir,
			args:       []string{"-sS", "--fail-with-body", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 403 Forbidden: " + forbidden + "\n",
			wantBody:   true,
		},
		{
			name:       "403 with -sS and no -f writes the body and a note",
			saDir:      p.saDir.Dir,
			args:       []string{"-sS", secrets},
			wantStderr: "kcurl: 403 Forbidden: " + forbidden + "\n",
			wantBody:   true,
		},
		{
			name:     "403 with -sf says nothing",
			saDir:    p.saDir.Dir,
			args:     []string{"-sf", secrets},
			wantExit: 22,
		},
		{
			name:       "401 without a token says none was sent and why",
			saDir:      noToken,
			args:       []string{"-sSf", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 401 Unauthorized (no token sent: " + filepath.Join(noToken, "token") + " does not exist)\n",
		},
		{
			name:     "401 with an expired token says when it expired",
			saDir:    expiredDir.Dir,
			args:     []string{"-sSf", secrets},
			wantExit: 22,
			wantMatch: regexp.MustCompile(`^kcurl: \(22\) 401 Unauthorized \(the token from ` + regexp.QuoteMeta(filepath.Join(expiredDir.Dir, "token")) +
				` expired at ` + regexp.QuoteMeta(rfc3339(decodeJWT(t, expiredToken).Expiry)) + `, 10m\d+s ago\)\n$`),
		},
		{
			name:       "401 with --fail-with-body writes the Unauthorized Status",
			saDir:      noToken,
			args:       []string{"-sS", "--fail-with-body", secrets},
			wantExit:   22,
			wantStderr: "kcurl: (22) 401 Unauthorized (no token sent: " + filepath.Join(noToken, "token") + " does not exist)\n",
			wantBody:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, tt.saDir, tt.args...)
			is.Equal(r.code, tt.wantExit) // kcurl's exit code
			if tt.wantMatch != nil {
				is.True(tt.wantMatch.Match(r.stderr)) // the error line with its hint
			} else {
				is.Equal(string(r.stderr), tt.wantStderr) // the error line, exactly
			}
			if !tt.wantBody {
				is.Equal(len(r.stdout), 0) // -f writes no body
				return
			}
			s := decodeStatus(t, r.stdout)
			is.Equal(s.Kind, "Status")                                      // the body is the server's Status
			is.True(strings.Contains(string(r.stderr), fmt.Sprint(s.Code))) // whose code the line gives
		})
	}
}
