package main

// Local files kcurl reads (CA bundles, tokens, -d @file, -H @file, -w @file): always
// bounded, so a mistaken path (a device, a huge log) cannot exhaust memory.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// errTooLarge is returned by readBounded for a file over its limit.
var errTooLarge = errors.New("file too large")

// readBounded reads at most limit bytes of file, failing on anything larger.
func readBounded(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("is a directory")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// fileProblem words a file error without repeating the path.
func fileProblem(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, errTooLarge):
		return "larger than the limit"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
