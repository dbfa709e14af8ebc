package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestNativeCompletion checks each completion script with its shell's own parser, and that the bash one completes.
func TestNativeCompletion(t *testing.T) {
	t.Parallel()
	needKcurl(t)
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			is := is.New(t)
			path := peer(t, shell)
			r := kcurl(t, t.TempDir(), "completion", shell)
			is.Equal(r.code, 0)
			is.Equal(string(r.stderr), "")
			script := filepath.Join(t.TempDir(), "kcurl."+shell)
			is.NoErr(writeFile(script, r.stdout))
			check := runPeer(t, path, "-n", script)
			is.Equal(check.code, 0)            // the shell parses it
			is.Equal(string(check.stderr), "") // without a complaint
			if shell != "bash" {
				return
			}
			complete := func(words ...string) string {
				cmd := fmt.Sprintf(`source %q; COMP_WORDS=(%s); COMP_CWORD=%d; _kcurl; echo "${COMPREPLY[*]}"`,
					script, strings.Join(words, " "), len(words)-1)
				out := runPeer(t, path, "-c", cmd)
				is.Equal(out.code, 0)
				return strings.TrimSuffix(string(out.stdout), "\n")
			}
			is.Equal(complete("kcurl", "wh"), "whoami")                         // a subcommand
			is.Equal(complete("kcurl", "--watch"), "--watch --watch-reconnect") // flags
			is.Equal(complete("kcurl", "-s", "--all-p"), "--all-pages")         // after another flag
			registered := runPeer(t, path, "-c", fmt.Sprintf("source %q; complete -p kcurl", script))
			is.Equal(string(registered.stdout), "complete -o default -F _kcurl kcurl\n") // registered for kcurl
		})
	}
}
