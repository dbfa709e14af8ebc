package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestTransportFailures checks kcurl's exit codes for what goes wrong below HTTP, as curl numbers them, and that
// curl itself exits the same way for the same failure where curl is installed.
func TestTransportFailures(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "failing")
	is.NoErr(c.Grant(t.Context(), ns, "failing", "configmap-watcher", harness.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list", "watch"},
	})) // granting list and watch, so only the transport can fail

	otherCA, err := harness.NewCA("some-other-ca")
	is.NoErr(err) // a CA that did not sign the API server's cert
	wrongCA, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: p.token, CACert: otherCA.CertPEM, Namespace: ns})
	is.NoErr(err) // a folder whose ca.crt is the other CA
	otherCAFile := filepath.Join(t.TempDir(), "other-ca.crt")
	is.NoErr(os.WriteFile(otherCAFile, otherCA.CertPEM, 0o644))

	closedPort, err := harness.FreePort()
	is.NoErr(err) // a loopback port nothing listens on: the API server is not there
	// Plain HTTP where TLS is expected: the handshake fails, as when a port is served by something else.
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	_, plainPort, err := net.SplitHostPort(plain.Listener.Addr().String())
	is.NoErr(err)

	list := "/api/v1/namespaces/" + ns + "/configmaps"
	tests := []struct {
		name       string
		port       string
		saDir      string
		args       []string
		curlArgs   []string // curl's flags for the same failure; none means curl is not compared
		wantExit   int
		wantStdout string        // exact
		within     time.Duration // an upper bound on kcurl's run time, when not zero
	}{
		{
			name:     "ca.crt from another CA is 60",
			saDir:    wrongCA.Dir,
			args:     []string{"-s", list},
			curlArgs: []string{"-s", "--cacert", otherCAFile},
			wantExit: 60,
		},
		{
			// kcurl's rule: an unverified server never gets the folder's token, so the API server sees no credential.
			name:       "-k connects despite the other CA but sends no service-account token",
			saDir:      wrongCA.Dir,
			args:       []string{"-sk", "-o", "/dev/null", "-w", "%{http_code}", list},
			wantStdout: "401",
		},
		{
			name:       "-k with an explicit --token sends it",
			saDir:      wrongCA.Dir,
			args:       []string{"-sk", "--token", p.token, "-o", "/dev/null", "-w", "%{http_code}", list},
			wantStdout: "200",
		},
		{
			name:       "--cacert overrides the folder's ca.crt",
			saDir:      wrongCA.Dir,
			args:       []string{"-s", "--cacert", c.PKI.CAFile, "-o", "/dev/null", "-w", "%{http_code}", list},
			wantStdout: "200",
		},
		{
			name:     "nothing listening is 7",
			port:     strconv.Itoa(closedPort),
			saDir:    p.saDir.Dir,
			args:     []string{"-s", list},
			curlArgs: []string{"-s", "--cacert", c.PKI.CAFile},
			wantExit: 7,
		},
		{
			name:     "plain HTTP where TLS is expected is 35",
			port:     plainPort,
			saDir:    p.saDir.Dir,
			args:     []string{"-s", list},
			curlArgs: []string{"-s", "--cacert", c.PKI.CAFile},
			wantExit: 35,
		},
		{
			name:     "--max-time 1 against a watch is 28",
			saDir:    p.saDir.Dir,
			args:     []string{"-sN", "--max-time", "1", list + "?watch=1&timeoutSeconds=30"},
			curlArgs: []string{"-sN", "--max-time", "1", "--cacert", c.PKI.CAFile, "-H", "Authorization: Bearer " + p.token},
			wantExit: 28,
			within:   10 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			port := c.Port
			if tt.port != "" {
				port = tt.port
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			start := time.Now()
			r := runCommand(t, kcurlCommandAt(ctx, t, c.Host, port, tt.saDir, tt.args...))
			elapsed := time.Since(start)
			is.Equal(r.code, tt.wantExit) // kcurl's exit code
			if tt.wantStdout != "" {
				is.Equal(string(r.stdout), tt.wantStdout) // what kcurl printed
			}
			if tt.within != 0 {
				is.True(elapsed < tt.within) // kcurl gave up in time
			}
			if tt.wantExit != 0 {
				is.Equal(string(r.stderr), "") // -s without -S keeps the error quiet, as in curl
			}
			if tt.curlArgs == nil {
				return
			}
			curl, err := exec.LookPath("curl")
			if err != nil {
				t.Logf("e2e: curl not found: not comparing its exit code")
				return
			}
			u := "https://" + net.JoinHostPort(c.Host, port) + tt.args[len(tt.args)-1]
			want := runPeer(t, curl, append(tt.curlArgs, u)...)
			is.Equal(r.code, want.code) // the same exit code as curl
		})
	}
}

// TestServerStopped runs kcurl against an API server of its own, which answers first and is then stopped: the same
// request must then fail to connect, exit 7, as curl does when nothing listens any more.
func TestServerStopped(t *testing.T) {
	t.Parallel()
	needKcurl(t)
	is := is.New(t)
	c, err := harness.Start(t.Context(), harness.Options{Binaries: suite.bins, Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting a second cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	is.NoErr(c.CreateNamespace(t.Context(), "stopped"))
	is.NoErr(c.CreateServiceAccount(t.Context(), "stopped", "pod"))
	token, err := c.RequestToken(t.Context(), "stopped", "pod", harness.TokenOptions{})
	is.NoErr(err)
	saDir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
		harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: "stopped"})
	is.NoErr(err)

	tests := []struct {
		name       string
		before     func()
		args       []string
		wantExit   int
		wantStdout string
	}{
		{
			name:       "while it runs, an authenticated request is answered",
			args:       []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "/"},
			wantStdout: "403",
		},
		{
			name:     "after it stopped, the same request exits 7",
			before:   c.StopAPIServer,
			args:     []string{"-s", "-o", "/dev/null", "-w", "%{http_code}", "/"},
			wantExit: 7,
			// curl's -w still runs after a failed connect and prints 000.
			wantStdout: "000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			if tt.before != nil {
				tt.before()
			}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			r := runCommand(t, kcurlCommandAt(ctx, t, c.Host, c.Port, saDir.Dir, tt.args...))
			is.Equal(r.code, tt.wantExit)             // kcurl's exit code
			is.Equal(string(r.stdout), tt.wantStdout) // what -w printed
		})
	}
}
