package e2e

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/matryer/is"

	"kcurl/e2e/harness"
)

// configMapList is the part of a ConfigMapList that paging needs.
type configMapList struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Continue           string `json:"continue"`
		RemainingItemCount *int   `json:"remainingItemCount"`
	} `json:"metadata"`
	Items []configMap `json:"items"`
}

// TestPagination pages a list with limit and continue as a controller would, and checks the answers a client must
// handle: a continue token older than etcd's compacted history is 410 Expired, a garbled one is 400.
func TestPagination(t *testing.T) {
	t.Parallel()
	c := needCluster(t)
	needKcurl(t)
	ns := newNamespace(t)
	p := newPod(t, ns, "pager")
	is.New(t).NoErr(c.Grant(t.Context(), ns, "pager", "configmap-lister", harness.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list"},
	})) // granting list configmaps
	names := []string{"page-a", "page-b", "page-c"}
	for _, name := range names {
		is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, name, map[string]string{"n": name})) // an item to page through
	}
	list := "/api/v1/namespaces/" + ns + "/configmaps?limit=1"

	page := func(t *testing.T, continueToken string) configMapList {
		t.Helper()
		is := is.New(t)
		u := list
		if continueToken != "" {
			u += "&continue=" + url.QueryEscape(continueToken)
		}
		r := kcurl(t, p.saDir.Dir, "-sSf", u)
		is.Equal(r.code, 0) // each page is a 200
		var l configMapList
		is.NoErr(json.Unmarshal(r.stdout, &l)) // the page is a list
		is.Equal(l.Kind, "ConfigMapList")
		return l
	}

	t.Run("limit and continue visit every item once, in order", func(t *testing.T) {
		is := is.New(t)
		var got []string
		token := ""
		for i := range len(names) + 1 {
			l := page(t, token)
			is.Equal(len(l.Items), 1) // limit=1 gives one item a page
			got = append(got, l.Items[0].Metadata.Name)
			token = l.Metadata.Continue
			if token == "" {
				break
			}
			is.True(i < len(names)) // the last page has no continue token
		}
		is.Equal(got, names) // all items, in key order
	})

	// A write after the first page moves etcd past the token's revision; compaction then drops that revision.
	expired := page(t, "").Metadata.Continue
	is.New(t).NoErr(c.CreateConfigMap(t.Context(), ns, "page-later", nil)) // a write after the first page
	_, err := c.CompactEtcd(t.Context())
	is.New(t).NoErr(err) // compacting etcd through its HTTP gateway
	// The watch cache serves continue tokens from its own snapshots until it notices the compaction (it polls every
	// 15 s), so wait, as the admin, for the API server to refuse the token before kcurl asks.
	expiredList := list + "&continue=" + url.QueryEscape(expired)
	deadline := time.Now().Add(40 * time.Second)
	for {
		code, body, err := c.Do(t.Context(), "GET", expiredList, "", nil)
		is.New(t).NoErr(err) // listing with the old continue token as the admin
		if code == 410 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server still answers %d, not 410, for a continue token older than the compaction: %s", code, body)
		}
		time.Sleep(250 * time.Millisecond)
	}

	tests := []struct {
		name       string
		token      string
		args       []string
		wantExit   int
		wantStatus status
	}{
		{
			name:  "a continue token older than the compacted history is 410 Expired",
			token: expired,
			args:  []string{"-s"},
			wantStatus: status{Kind: "Status", Status: "Failure", Reason: "Expired", Code: 410,
				Message: "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."},
		},
		{
			name:     "an expired continue with -f exits 22",
			token:    expired,
			args:     []string{"-sf"},
			wantExit: 22,
		},
		{
			name:  "a malformed continue token is 400",
			token: "not-a-continue-token",
			args:  []string{"-s"},
			wantStatus: status{Kind: "Status", Status: "Failure", Reason: "BadRequest", Code: 400,
				Message: `invalid continue token: continue key is not valid: invalid character '\u009e' looking for beginning of value`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			r := kcurl(t, p.saDir.Dir, append(tt.args, list+"&continue="+url.QueryEscape(tt.token))...)
			is.Equal(r.code, tt.wantExit) // kcurl's exit code
			if tt.wantExit != 0 {
				is.Equal(len(r.stdout), 0) // -f prints no body
				return
			}
			is.Equal(decodeStatus(t, r.stdout), tt.wantStatus) // the API server's Status
			if tt.wantStatus.Code == 410 {
				var s struct {
					Metadata struct {
						Continue string `json:"continue"`
					} `json:"metadata"`
				}
				is.NoErr(json.Unmarshal(r.stdout, &s))
				is.True(s.Metadata.Continue != "") // the 410 offers a fresh token to continue inconsistently
			}
		})
	}
}
