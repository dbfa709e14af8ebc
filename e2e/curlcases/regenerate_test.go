package curlcases

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/matryer/is"
)

var regenerate = flag.String("curlcases.regenerate", "", "copy the cases selectCase selects from this folder (curl's tests/data at curl-7_88_1) into testdata/, removing the ones it no longer selects")

// TestRegenerate refreshes testdata/ from curl's tree after kcurlOptions or the rules change:
//
//	go test -run TestRegenerate -curlcases.regenerate=/path/to/curl/tests/data
func TestRegenerate(t *testing.T) {
	if *regenerate == "" {
		t.Skip("curlcases: TestRegenerate runs only with -curlcases.regenerate=DIR")
	}
	is := is.New(t)
	entries, err := os.ReadDir(*regenerate)
	is.NoErr(err)
	selected := map[string]bool{}
	reasons := map[string]int{}
	for _, e := range entries {
		m := caseNameRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		num, _ := strconv.Atoi(m[1])
		b, err := os.ReadFile(filepath.Join(*regenerate, e.Name()))
		is.NoErr(err)
		c := &caseFile{num: num, lines: splitLines(string(b))}
		ok, why := selectCase(c)
		if !ok {
			reasons[reasonGroupRE.ReplaceAllString(why, "")]++
			continue
		}
		selected[e.Name()] = true
		is.NoErr(os.WriteFile(filepath.Join("testdata", e.Name()), b, 0o644))
	}
	old, err := os.ReadDir("testdata")
	is.NoErr(err)
	for _, e := range old {
		if caseNameRE.MatchString(e.Name()) && !selected[e.Name()] {
			is.NoErr(os.Remove(filepath.Join("testdata", e.Name())))
		}
	}
	t.Logf("selected %d cases; left out by reason: %v", len(selected), reasons)
}

// reasonGroupRE trims a reason's detail after the first word pair, for the tally.
var reasonGroupRE = regexp.MustCompile(`(?:"[^"]*"|%[A-Z0-9_]+).*$`)
