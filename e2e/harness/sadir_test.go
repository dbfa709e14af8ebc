package harness

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/matryer/is"
)

// TestServiceAccountDirRotate checks the kubelet's layout, since kcurl must read it exactly as it reads a pod's
// folder: names resolve through ..data, a rotation swaps every file at once, and no old folder is left behind.
func TestServiceAccountDirRotate(t *testing.T) {
	tests := []struct {
		name      string
		first     Projection
		second    Projection
		wantNames []string // top-level names besides the timestamped folder, after the rotation
		wantToken string   // what token reads as after the rotation; empty means no token file
	}{
		{
			name:      "token replaced",
			first:     Projection{Token: "old", CACert: []byte("ca"), Namespace: "ns"},
			second:    Projection{Token: "new", CACert: []byte("ca"), Namespace: "ns"},
			wantNames: []string{"..data", "ca.crt", "namespace", "token"},
			wantToken: "new",
		},
		{
			name:      "token added to a folder with only ca.crt",
			first:     Projection{CACert: []byte("ca")},
			second:    Projection{Token: "new", CACert: []byte("ca")},
			wantNames: []string{"..data", "ca.crt", "token"},
			wantToken: "new",
		},
		{
			name:      "token removed",
			first:     Projection{Token: "old", CACert: []byte("ca")},
			second:    Projection{CACert: []byte("ca")},
			wantNames: []string{"..data", "ca.crt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			d, err := NewServiceAccountDir(filepath.Join(t.TempDir(), "sa"), tt.first)
			is.NoErr(err)
			before, err := os.Readlink(filepath.Join(d.Dir, "..data"))
			is.NoErr(err) // ..data is a symlink

			is.NoErr(d.Rotate(tt.second))

			after, err := os.Readlink(filepath.Join(d.Dir, "..data"))
			is.NoErr(err)
			is.True(before != after)                                                                    // ..data points at a new folder
			is.True(regexp.MustCompile(`^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$`).MatchString(after)) // the kubelet's timestamped name

			names, err := d.Names()
			is.NoErr(err)
			is.Equal(names, append([]string{after}, tt.wantNames...)) // the old folder and ..data_tmp are gone

			for _, name := range tt.wantNames[1:] {
				target, err := os.Readlink(filepath.Join(d.Dir, name))
				is.NoErr(err)                                   // each file is a symlink
				is.Equal(target, filepath.Join("..data", name)) // through ..data, so one rename swaps them all
			}
			token, err := os.ReadFile(filepath.Join(d.Dir, "token"))
			if tt.wantToken == "" {
				is.True(os.IsNotExist(err)) // no token file
				return
			}
			is.NoErr(err)
			is.Equal(string(token), tt.wantToken) // the new token
		})
	}
}
