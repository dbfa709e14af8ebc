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

// watchLine is one watch event line, as far as the tests look.
type watchLine struct {
	Type   string `json:"type"`
	Object struct {
		Kind     string `json:"kind"`
		Code     int    `json:"code"`
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	} `json:"object"`
}

func parseWatchLine(t *testing.T, line string) watchLine {
	t.Helper()
	var ev watchLine
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("a watch line that is not one JSON event: %q: %v", line, err)
	}
	return ev
}

// TestNativeWatchReconnect lets the API server end a watch every 2 s (timeoutSeconds=2): kcurl --watch-reconnect
// resumes from the last resourceVersion, so an object created after the first ending still streams out, and none
// is sent twice; -m ends the run with 28. A watch from a compacted resourceVersion is 410, which ends it for good.
func TestNativeWatchReconnect(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)

	t.Run("resumes after the server ends the watch, each event once", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		ns := newNamespace(t)
		p := newPod(t, ns, "watcher")
		grant(t, ns, "watcher", "watcher", configMapRules)
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "before", nil)) // listed first: proves the watch is registered
		const maxTime = 8
		start := time.Now()
		k := startKcurl(t.Context(), t, p.saDir.Dir, "-sSv", "--watch-reconnect", "-m", strconv.Itoa(maxTime),
			"/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=2")
		var events []watchLine
		nextEvent := func(name string) watchLine {
			t.Helper()
			for {
				ev := parseWatchLine(t, k.next(t, 10*time.Second))
				events = append(events, ev)
				if ev.Type != "BOOKMARK" && ev.Object.Metadata.Name == name {
					return ev
				}
			}
		}
		is.Equal(nextEvent("before").Type, "ADDED") // the existing object
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "a", nil))
		a := nextEvent("a")
		is.Equal(a.Type, "ADDED") // created while the first watch runs
		ended := `* watch ended (the server ended it); reconnecting from resourceVersion "`
		waitFor(t, 10*time.Second, "kcurl says the first watch ended", func() bool { return strings.Contains(k.stderr.String(), ended) })
		// The next watch starts from a's resourceVersion (or a later bookmark's), not from the beginning.
		resumed := regexp.MustCompile(`(?m)^> GET /api/v1/namespaces/` + ns + `/configmaps\?\S*resourceVersion=(\d+)`)
		waitFor(t, 10*time.Second, "kcurl sends the resumed request", func() bool { return resumed.MatchString(k.stderr.String()) })
		rv, _ := strconv.Atoi(resumed.FindStringSubmatch(k.stderr.String())[1])
		aRV, _ := strconv.Atoi(a.Object.Metadata.ResourceVersion)
		is.True(rv >= aRV) // resumed at or after the last event seen
		is.NoErr(c.CreateConfigMap(t.Context(), ns, "b", nil))
		is.Equal(nextEvent("b").Type, "ADDED") // an object created after the reconnect streams out too

		rest, code := k.rest(t)
		for _, line := range rest {
			events = append(events, parseWatchLine(t, line))
		}
		elapsed := time.Since(start)
		seen := map[string]int{}
		for _, ev := range events {
			is.True(ev.Type != "ERROR") // no error event
			if ev.Type != "BOOKMARK" {
				seen[ev.Type+" "+ev.Object.Metadata.Name]++
			}
		}
		is.Equal(seen, map[string]int{"ADDED before": 1, "ADDED a": 1, "ADDED b": 1}) // each event exactly once, across the reconnects
		is.Equal(code, 28)                                                            // -m ends the run: curl's timeout code
		is.True(elapsed < maxTime*time.Second+5*time.Second)                          // and in time
		is.True(strings.Count(k.stderr.String(), ended) >= 2)                         // the server ended the watch more than once
		stderr := k.stderr.String()
		lastLine := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		is.True(strings.HasPrefix(lastLine, "kcurl: (28) Operation timed out after ")) // the last line says why it stopped
	})

	t.Run("a compacted resourceVersion is 410", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		// The shared cluster's watch cache keeps its own history and serves a watch from a resourceVersion etcd has
		// compacted away (it answers with ADDED events, not 410). A cluster of its own without the watch cache sends
		// watches to etcd, which refuses a compacted revision, as a real cluster does once the cache has moved on.
		c, err := harness.Start(t.Context(), harness.Options{Binaries: suite.bins, Dir: t.TempDir(),
			ExtraAPIServerFlags: []string{"--watch-cache=false"}})
		if err != nil {
			t.Fatalf("starting a cluster without the watch cache: %v", err)
		}
		t.Cleanup(c.Stop)
		const ns = "compacted"
		is.NoErr(c.CreateNamespace(t.Context(), ns))
		is.NoErr(c.CreateServiceAccount(t.Context(), ns, "watcher"))
		is.NoErr(c.Grant(t.Context(), ns, "watcher", "watcher", configMapRules))
		token, err := c.RequestToken(t.Context(), ns, "watcher", harness.TokenOptions{})
		is.NoErr(err)
		saDir, err := harness.NewServiceAccountDir(filepath.Join(t.TempDir(), "serviceaccount"),
			harness.Projection{Token: token, CACert: c.PKI.CA.CertPEM, Namespace: ns})
		is.NoErr(err)
		code, body, err := c.Do(t.Context(), "GET", "/api/v1/namespaces/"+ns+"/configmaps", "", nil)
		is.NoErr(err)
		is.Equal(code, 200)
		var list struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		is.NoErr(json.Unmarshal(body, &list))
		old := list.Metadata.ResourceVersion
		for _, name := range []string{"later-1", "later-2"} {
			is.NoErr(c.CreateConfigMap(t.Context(), ns, name, nil)) // writes after the old resourceVersion
		}
		_, err = c.CompactEtcd(t.Context())
		is.NoErr(err) // compacting etcd's history past the old resourceVersion
		watch := "/api/v1/namespaces/" + ns + "/configmaps?resourceVersion=" + old
		code, body, err = c.Do(t.Context(), "GET", watch+"&watch=1&timeoutSeconds=1", "", nil)
		is.NoErr(err)
		t.Logf("the admin's watch from resourceVersion %s: %d %s", old, code, body)

		gone := "watch: resourceVersion " + old + " is gone (410): list again, then watch from the list's resourceVersion"
		tests := []struct {
			name       string
			args       []string
			wantExit   int
			wantStderr string
		}{
			{name: "--watch-reconnect -f exits 22 and says so", args: []string{"-sSf", "--watch-reconnect", "-m", "20"}, wantExit: 22, wantStderr: "kcurl: (22) " + gone + "\n"},
			{name: "--watch-reconnect without -f warns and exits 0", args: []string{"--no-progress-meter", "--watch-reconnect", "-m", "20"}, wantStderr: "kcurl: warning: " + gone + "\n"},
			{name: "--watch -f", args: []string{"-sSf", "--watch", "-m", "20"}, wantExit: 22, wantStderr: "kcurl: (22) " + gone + "\n"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				is := is.New(t)
				start := time.Now()
				r := runCommand(t, kcurlCommandAt(t.Context(), t, c.Host, c.Port, saDir.Dir, append(tt.args, watch)...))
				is.Equal(r.code, tt.wantExit)               // kcurl's exit code
				is.Equal(string(r.stderr), tt.wantStderr)   // says the version is gone, and what to do
				is.True(time.Since(start) < 10*time.Second) // at once: a 410 is not retried until -m
			})
		}
	})
}
