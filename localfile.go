package main

// Local files kcurl reads (CA bundles, tokens, -d @file, -H @file, -w @file): always
// bounded, so a mistaken path (a device, a huge log) cannot exhaust memory, and opened
// without blocking, so a FIFO planted where kcurl expects a token or CA cannot hang it.
// Only the user's own @file arguments may be FIFOs or devices, as curl reads them
// (-d @<(cmd), -d @/dev/stdin): the user named them, so waiting on them is the user's
// choice; a file kcurl finds by itself (token, CA, namespace) must be a regular file.

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// errTooLarge is returned by readBounded for a file over its limit.
var errTooLarge = errors.New("file too large")

// errIsDir is a directory where a file was expected.
var errIsDir = errors.New("is a directory")

// readBounded reads a regular file of at most limit bytes, refusing a larger one
// before reading it.
func readBounded(file string, limit int64) ([]byte, error) {
	f, err := openRegular(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > limit {
		return nil, errTooLarge
	}
	return readAllBounded(f, limit)
}

// openRegular opens file for reading without blocking (O_NONBLOCK: opening a FIFO
// waits for a writer otherwise) and refuses anything but a regular file.
func openRegular(file string) (*os.File, error) {
	return regularOnly(os.OpenFile(file, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0))
}

// regularOnly passes on an opened file only if it is a regular file, closing it otherwise.
func regularOnly(f *os.File, err error) (*os.File, error) {
	if err != nil {
		return nil, err
	}
	if err := mustBeRegular(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openUserFile opens a file the user named as @file: a regular file (opened as
// openRegular opens it), or a FIFO or character device (process substitution,
// /dev/stdin), opened blocking and read as curl reads it. It is looked at before it is
// opened: opening a FIFO and closing it again would break its writer's pipe.
func openUserFile(file string) (*os.File, error) {
	fi, err := os.Stat(file)
	if err != nil || fi.Mode()&(fs.ModeNamedPipe|fs.ModeCharDevice) == 0 {
		return openRegular(file)
	}
	return os.Open(file)
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
	case errors.Is(err, errIsDir), errors.Is(err, errNotRegular):
		return err.Error()
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
