package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// watchEvent is one line of a watch stream.
type watchEvent struct {
	Type   string `json:"type"`
	Object struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	} `json:"object"`
}

// TestWatch shows that kcurl -N streams: an object created while the watch runs shows on kcurl's stdout as it
// happens, not when the response ends.
func TestWatch(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)

	tests := []struct {
		name string
		args []string
	}{
		{name: "-sN", args: []string{"-sN"}},
		{name: "--no-buffer", args: []string{"--silent", "--no-buffer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			// A namespace each, so one case's objects are not in the other's initial events.
			ns := newNamespace(t)
			p := newPod(t, ns, "watcher")
			is.NoErr(c.Grant(t.Context(), ns, "watcher", "configmap-watcher", harness.PolicyRule{
				APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"watch", "list"},
			})) // granting watch on configmaps
			is.NoErr(c.CreateConfigMap(t.Context(), ns, "before", nil)) // an object the watch lists first
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			// A watch without resourceVersion starts with an ADDED event for every object that exists, so
			// reading "before" proves the watch is registered before "during" is created: no race, no sleep.
			cmd := kcurlCommand(ctx, t, p.saDir.Dir, append(tt.args,
				"/api/v1/namespaces/"+ns+"/configmaps?watch=1&timeoutSeconds=5")...)
			stdout, err := cmd.StdoutPipe()
			is.NoErr(err)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			is.NoErr(cmd.Start()) // starting kcurl
			lines := bufio.NewScanner(stdout)
			next := func() watchEvent {
				t.Helper()
				if !lines.Scan() {
					t.Fatalf("watch ended early: %v; stderr: %s", lines.Err(), stderr.String())
				}
				var ev watchEvent
				is.NoErr(json.Unmarshal(lines.Bytes(), &ev)) // each line is one watch event
				return ev
			}
			ev := next()
			is.Equal(ev.Type, "ADDED")                  // the existing object comes first
			is.Equal(ev.Object.Metadata.Name, "before") // and it is the one made before the watch

			const during = "during"
			is.NoErr(c.CreateConfigMap(ctx, ns, during, map[string]string{"k": "v"})) // creating while kcurl watches
			ev = next()
			is.Equal(ev.Type, "ADDED")                // the new object streams out
			is.Equal(ev.Object.Kind, "ConfigMap")     // as a ConfigMap
			is.Equal(ev.Object.Metadata.Name, during) // the one just created

			// The server ends the watch at timeoutSeconds; kcurl then exits 0 with nothing more to say.
			for lines.Scan() {
				var ev watchEvent
				is.NoErr(json.Unmarshal(lines.Bytes(), &ev)) // any later line is an event too
				is.True(ev.Type != "ERROR")                  // and not an error
			}
			err = cmd.Wait()
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("kcurl exit %d after the watch ended; stderr: %s", exit.ExitCode(), stderr.String())
			}
			is.NoErr(err) // kcurl exits 0 when the server ends the watch
		})
	}
}
