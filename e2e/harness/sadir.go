package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Projection is what the kubelet projects into a pod's service-account folder; an empty field writes no file,
// so a folder with only ca.crt is the "no token" case.
type Projection struct {
	Token     string
	CACert    []byte
	Namespace string
}

func (p Projection) files() map[string][]byte {
	files := map[string][]byte{}
	if p.Token != "" {
		files["token"] = []byte(p.Token)
	}
	if p.CACert != nil {
		files["ca.crt"] = p.CACert
	}
	if p.Namespace != "" {
		files["namespace"] = []byte(p.Namespace)
	}
	return files
}

// ServiceAccountDir is a folder laid out as the kubelet's atomic writer lays out
// /var/run/secrets/kubernetes.io/serviceaccount: the files live in a timestamped folder such as
// ..2026_12_01_08_40_00.123456789, ..data links to it, and each name links to ..data/name.
// Rotating swaps ..data in one rename, so a reader sees the old set or the new set, never a mix.
type ServiceAccountDir struct {
	Dir string
}

// NewServiceAccountDir makes dir (which may exist, empty) holding p.
func NewServiceAccountDir(dir string, p Projection) (*ServiceAccountDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &ServiceAccountDir{Dir: dir}
	if err := d.Rotate(p); err != nil {
		return nil, err
	}
	return d, nil
}

// Rotate replaces the folder's contents with p as the kubelet does: write a new timestamped folder, point a new
// ..data_tmp link at it, rename that over ..data, then fix the per-file links and remove the old folder.
func (d *ServiceAccountDir) Rotate(p Projection) error {
	old, _ := os.Readlink(filepath.Join(d.Dir, "..data"))
	// The kubelet's name: ..YYYY_MM_DD_HH_MM_SS. and a random suffix from MkdirTemp.
	tsDir, err := os.MkdirTemp(d.Dir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return err
	}
	files := p.files()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tsDir, name), data, 0o644); err != nil {
			return err
		}
	}
	tmpLink := filepath.Join(d.Dir, "..data_tmp")
	os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		return err
	}
	if err := os.Rename(tmpLink, filepath.Join(d.Dir, "..data")); err != nil {
		return fmt.Errorf("swapping ..data: %w", err)
	}
	for name := range files {
		link := filepath.Join(d.Dir, name)
		if target, err := os.Readlink(link); err == nil && target == filepath.Join("..data", name) {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return err
		}
	}
	// Links to files the new set lacks would dangle; the kubelet removes them too.
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") {
			continue
		}
		if _, ok := files[e.Name()]; !ok && e.Type()&os.ModeSymlink != 0 {
			if err := os.Remove(filepath.Join(d.Dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if old != "" && old != filepath.Base(tsDir) {
		return os.RemoveAll(filepath.Join(d.Dir, old))
	}
	return nil
}

// Names lists the folder's entries, sorted, for tests of the layout itself.
func (d *ServiceAccountDir) Names() ([]string, error) {
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}
