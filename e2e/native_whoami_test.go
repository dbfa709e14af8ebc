package e2e

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestNativeWhoami compares kcurl whoami, as text and as JSON, with what the API server and the token say; with the
// API server out of reach it exits 7 and still prints the token's part.
func TestNativeWhoami(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "who")
	claims := decodeJWT(t, p.token)
	var sa struct {
		Metadata struct {
			UID string `json:"uid"`
		} `json:"metadata"`
	}
	adminGet(t, "/api/v1/namespaces/"+ns+"/serviceaccounts/who", &sa)
	user := "system:serviceaccount:" + ns + ":who"
	tokenFile := filepath.Join(p.saDir.Dir, "token")
	tokenPart := "token from " + tokenFile + " (decoded locally, not verified):\n" +
		"  issuer           " + harness.Issuer + "\n" +
		"  audiences        " + strings.Join(claims.Audience, ", ") + "\n" +
		"  service account  " + ns + "/who (uid " + sa.Metadata.UID + ")\n" +
		"  namespace        " + ns + "\n" +
		"  issued           " + rfc3339(claims.IssuedAt) + "\n" +
		"  expires          " + rfc3339(claims.Expiry) + " (in "
	closedPort, err := harness.FreePort()
	is.New(t).NoErr(err) // a loopback port nothing listens on

	t.Run("text", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "whoami")
		is.Equal(r.code, 0)            // the API server answered
		is.Equal(string(r.stderr), "") // nothing on stderr
		want := "API server " + c.URL + " says:\n" +
			"  username  " + user + "\n" +
			"  uid       " + sa.Metadata.UID + "\n" +
			"  groups    system:serviceaccounts, system:serviceaccounts:" + ns + ", system:authenticated\n" +
			"  extra     authentication.kubernetes.io/credential-id=JTI=" + claims.JTI + "\n" +
			tokenPart
		out := string(r.stdout)
		if !strings.HasPrefix(out, want) {
			t.Fatalf("whoami printed\n%s\nwant it to start with\n%s", out, want)
		}
		is.True(regexp.MustCompile(`^\d+h\d+m\d+s\)\n$|^\d+m\d+s\)\n$`).MatchString(out[len(want):])) // time left, then the end: no pod, node or warnafter for a pod-less token
	})

	t.Run("--format json", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "whoami", "--format", "json")
		is.Equal(r.code, 0)
		is.Equal(strings.Count(string(r.stdout), "\n"), 1) // one line of JSON
		var doc struct {
			APIServer string `json:"apiServer"`
			User      struct {
				Username string              `json:"username"`
				UID      string              `json:"uid"`
				Groups   []string            `json:"groups"`
				Extra    map[string][]string `json:"extra"`
			} `json:"user"`
			Token struct {
				Source         string            `json:"source"`
				Issuer         string            `json:"issuer"`
				Audiences      []string          `json:"audiences"`
				Namespace      string            `json:"namespace"`
				ServiceAccount map[string]string `json:"serviceAccount"`
				Pod            any               `json:"pod"`
				Node           any               `json:"node"`
				IssuedAt       string            `json:"issuedAt"`
				ExpiresAt      string            `json:"expiresAt"`
				ExpiresIn      int64             `json:"expiresInSeconds"`
			} `json:"token"`
		}
		is.NoErr(json.Unmarshal(r.stdout, &doc)) // --format json is JSON
		is.Equal(doc.APIServer, c.URL)
		is.Equal(doc.User.Username, user)
		is.Equal(doc.User.UID, sa.Metadata.UID)
		is.Equal(doc.User.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"})
		is.Equal(doc.User.Extra, map[string][]string{"authentication.kubernetes.io/credential-id": {"JTI=" + claims.JTI}})
		is.Equal(doc.Token.Source, tokenFile)
		is.Equal(doc.Token.Issuer, harness.Issuer)
		is.Equal(doc.Token.Audiences, claims.Audience)
		is.Equal(doc.Token.Namespace, ns)
		is.Equal(doc.Token.ServiceAccount, map[string]string{"name": "who", "uid": sa.Metadata.UID})
		is.Equal(doc.Token.Pod, nil) // not bound to a pod
		is.Equal(doc.Token.Node, nil)
		is.Equal(doc.Token.IssuedAt, rfc3339(claims.IssuedAt))
		is.Equal(doc.Token.ExpiresAt, rfc3339(claims.Expiry))
		left := claims.Expiry - time.Now().Unix()
		is.True(doc.Token.ExpiresIn >= left-5 && doc.Token.ExpiresIn <= left+1) // seconds left, as of the run
	})

	offline := []struct {
		name string
		args []string
		port string
	}{
		{name: "an unreachable --server", args: []string{"--server", "https://127.0.0.1:" + strconv.Itoa(closedPort)}, port: c.Port},
		{name: "nothing at KUBERNETES_SERVICE_PORT", port: strconv.Itoa(closedPort)},
	}
	for _, tt := range offline {
		t.Run(tt.name+" exits 7 and still decodes the token", func(t *testing.T) {
			is := is.New(t)
			cmd := kcurlCommandAt(t.Context(), t, c.Host, tt.port, p.saDir.Dir, append([]string{"whoami", "-sS"}, tt.args...)...)
			r := runCommand(t, cmd)
			is.Equal(r.code, 7) // connection refused, as curl
			refused := "Failed to connect to 127.0.0.1 port " + strconv.Itoa(closedPort)
			is.True(strings.HasPrefix(string(r.stderr), "kcurl: (7) "+refused)) // the error line
			is.Equal(strings.Count(string(r.stderr), "\n"), 1)                  // one line
			out := string(r.stdout)
			head := "API server https://127.0.0.1:" + strconv.Itoa(closedPort) + " says:\n  (unavailable: " + refused
			is.True(strings.HasPrefix(out, head))                                     // says the server is out of reach
			is.True(strings.Contains(out, "; the token below is decoded locally)\n")) // and that the rest is local
			is.True(strings.Contains(out, tokenPart))                                 // the token's part, whole
		})
	}
}
