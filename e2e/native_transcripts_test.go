package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// TestNativeTranscripts runs the README's examples against the real API server and checks what each shows; with
// KCURL_E2E_TRANSCRIPTS=FILE it writes them there, as a person would see them, for pasting into the README. The
// service-account folder is a temporary one: its path is shown as the pod's, /var/run/secrets/kubernetes.io/serviceaccount.
func TestNativeTranscripts(t *testing.T) {
	c := needCluster(t)
	needKcurl(t)
	is := is.New(t)
	ns := "demo"
	if err := c.CreateNamespace(t.Context(), ns); err != nil {
		ns = newNamespace(t) // demo exists already (-count=2): take a fresh one
	}
	p := newPod(t, ns, "demo")
	noToken := tokenlessDir(t, ns)
	podDir := "/var/run/secrets/kubernetes.io/serviceaccount"
	var transcript strings.Builder
	show := func(saDir, shown string, r result, keep func(string) string) {
		out := string(r.stdout)
		if keep != nil {
			out = keep(out)
		}
		text := "$ " + shown + "\n" + out + string(r.stderr)
		if r.code != 0 {
			text += "$ echo $?\n" + strconv.Itoa(r.code) + "\n"
		}
		text = strings.ReplaceAll(text, saDir, podDir)
		transcript.WriteString(text + "\n")
		is.True(!strings.Contains(text, p.token)) // no token in what a README shows
	}
	run := func(saDir string, args ...string) result { return kcurl(t, saDir, args...) }
	head := func(n int) func(string) string {
		return func(s string) string {
			lines := strings.SplitAfter(s, "\n")
			if len(lines) <= n {
				return s
			}
			return strings.Join(lines[:n], "") + "…\n"
		}
	}

	r := run(p.saDir.Dir, "-sSf", "/api/v1/namespaces/"+ns+"/secrets")
	is.Equal(r.code, 22)
	show(p.saDir.Dir, "kcurl -sSf /api/v1/namespaces/"+ns+"/secrets", r, nil)
	r = run(noToken, "-sSf", "/api/v1/namespaces/"+ns+"/pods")
	is.Equal(r.code, 22)
	show(noToken, "kcurl -sSf /api/v1/namespaces/"+ns+"/pods        # no token mounted", r, nil)
	r = run(p.saDir.Dir, "can-i", "list", "pods")
	is.Equal(r.code, 1)
	show(p.saDir.Dir, "kcurl can-i list pods", r, nil)

	grant(t, ns, "demo", "demo",
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
		harness.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}})
	for i, name := range []string{"app-config", "feature-flags", "nginx-conf", "ports", "settings"} {
		data := map[string]string{}
		for j := 0; j <= i%3; j++ {
			data["key-"+strconv.Itoa(j)] = "value-" + strconv.Itoa(j)
		}
		is.NoErr(c.CreateConfigMap(t.Context(), ns, name, data))
	}

	r = run(p.saDir.Dir, "can-i", "list", "pods")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl can-i list pods", r, nil)
	r = run(p.saDir.Dir, "can-i", "--all")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl can-i --all", r, nil)
	r = run(p.saDir.Dir, "whoami")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl whoami", r, nil)
	r = run(p.saDir.Dir, "--table", "/api/v1/namespaces/{namespace}/configmaps")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl --table /api/v1/namespaces/{namespace}/configmaps", r, nil)
	// Piped, stdout is no terminal: -s keeps curl's progress meter off stderr, as with curl.
	r = run(p.saDir.Dir, "-s", "--pretty", "/api/v1/namespaces/"+ns+"/configmaps/app-config")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl -s --pretty /api/v1/namespaces/"+ns+"/configmaps/app-config | head -10", r, head(10))
	r = run(p.saDir.Dir, "-sS", "--all-pages", "--pretty", "/api/v1/namespaces/"+ns+"/configmaps?limit=2")
	is.Equal(r.code, 0)
	show(p.saDir.Dir, "kcurl -sS --all-pages --pretty '/api/v1/namespaces/"+ns+"/configmaps?limit=2' | head -12", r, head(12))
	r = run(p.saDir.Dir, "-sv", "--all-pages", "-o", "/dev/null", "/api/v1/namespaces/"+ns+"/configmaps?limit=2")
	is.Equal(r.code, 0)
	var pages []string
	for _, l := range strings.SplitAfter(string(r.stderr), "\n") {
		if strings.HasPrefix(l, "* page ") {
			pages = append(pages, l)
		}
	}
	is.Equal(len(pages), 3) // 2 + 2 + 1
	show(p.saDir.Dir, "kcurl -sv --all-pages -o /dev/null '/api/v1/namespaces/"+ns+"/configmaps?limit=2' 2>&1 | grep '^\\* page'",
		result{stdout: []byte(strings.Join(pages, ""))}, nil)

	k := startKcurl(t.Context(), t, p.saDir.Dir, "-s", "--watch", "/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=3&fieldSelector=metadata.name%3Dnew-one")
	is.NoErr(c.CreateConfigMap(t.Context(), ns, "new-one", map[string]string{"hello": "world"}))
	line := k.next(t, 10*time.Second)
	rest, code := k.rest(t)
	is.Equal(code, 0)
	is.Equal(parseWatchLine(t, line).Object.Metadata.Name, "new-one")
	show(p.saDir.Dir, "kcurl -s --watch '/api/v1/namespaces/"+ns+"/configmaps?timeoutSeconds=3&fieldSelector=metadata.name%3Dnew-one'   # while an admin creates it",
		result{stdout: []byte(line + "\n" + strings.Join(rest, "\n"))}, nil)

	if file := os.Getenv("KCURL_E2E_TRANSCRIPTS"); file != "" {
		is.NoErr(os.WriteFile(file, []byte(transcript.String()), 0o644)) // writing the transcripts
	}
	t.Logf("transcripts:\n%s", transcript.String())
}
