package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
)

// TestNativePretty shows --pretty indents exactly as the API server itself does for curl's User-Agent: the same
// bytes as curl, for one ConfigMap (a list's resourceVersion moves between two requests).
func TestNativePretty(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "printer")
	grant(t, ns, "printer", "reader", configMapRules)
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, "pretty", map[string]string{
		"greeting": "hello", "unicode": "é ✓", "escapes": "tab\there \"quoted\" back\\slash", "empty": "",
	})) // values that test strings, escapes and non-ASCII text
	path := "/api/v1/namespaces/" + ns + "/configmaps/pretty"
	curl := peer(t, "curl")
	want := runPeer(t, curl, "-s", "--cacert", c.PKI.CAFile, "-H", "Authorization: Bearer "+p.token, c.URL+path)
	is.New(t).Equal(want.code, 0)                                           // curl succeeded
	is.New(t).True(strings.HasPrefix(string(want.stdout), "{\n  \"kind\"")) // the API server pretty-printed for curl

	is.New(t).True(!strings.HasSuffix(string(want.stdout), "\n")) // the server's indented JSON has no final newline

	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			// The compact answer ends in a newline, which --pretty keeps, as json.Indent keeps trailing space: the
			// only byte in which --pretty differs from the API server's own indentation.
			name: "--pretty indents kcurl's compact answer as the API server indents for curl",
			args: []string{"-s", "--pretty", path},
			want: string(want.stdout) + "\n",
		},
		{
			name: "--no-pretty with curl's User-Agent keeps the server's own indentation",
			args: []string{"-s", "--no-pretty", "-A", curlUserAgent(t, curl), path},
			want: string(want.stdout),
		},
		{
			name: "--pretty on the server's indented answer changes nothing",
			args: []string{"-s", "--pretty", "-A", curlUserAgent(t, curl), path},
			want: string(want.stdout),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, p.saDir.Dir, tt.args...)
			is.Equal(r.code, 0)
			is.Equal(string(r.stdout), tt.want) // byte for byte
		})
	}
	t.Run("without --pretty, off a terminal, kcurl writes the compact bytes it got", func(t *testing.T) {
		is := is.New(t)
		r := kcurl(t, p.saDir.Dir, "-s", path)
		is.Equal(r.code, 0)
		is.Equal(strings.Count(string(r.stdout), "\n"), 1) // one line
		var got, pretty any
		is.NoErr(json.Unmarshal(r.stdout, &got))
		is.NoErr(json.Unmarshal(want.stdout, &pretty))
		is.Equal(got, pretty) // the same document
	})
}
