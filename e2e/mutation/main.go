// Command mutation is the mutation pass over kcurl's security decisions (issue 11):
// each mutant is a small change a reviewer would expect the tests to catch, applied to
// a copy of the repository root, tested with `go test -short -failfast .` (then, if
// that passes, the whole suite), and
// reported killed (a test failed) or survived. The working tree is never touched.
//
//	cd e2e && go run ./mutation              # every mutant
//	cd e2e && go run ./mutation -run proxy   # those whose name matches
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"kcurl/e2e/harness"
)

func main() {
	run := flag.String("run", "", "only the mutants whose name matches this regular expression")
	timeout := flag.Duration("timeout", 4*time.Minute, "the most one mutant's tests may take")
	flag.Parse()
	if err := mutate(*run, *timeout, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutation:", err)
		os.Exit(1)
	}
}

func mutate(pattern string, timeout time.Duration, out io.Writer) error {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	match, err := regexp.Compile(pattern)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kcurl-mutation-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := copyRoot(root, work); err != nil {
		return err
	}
	if res := test(work, timeout, false); !res.passed {
		return fmt.Errorf("the unmutated tests fail; fix them first:\n%s", res.tail)
	}
	var killed, total, secKilled, secTotal, stale, broken int
	fmt.Fprintln(out, "| mutant | file | security | result | first failing test |")
	fmt.Fprintln(out, "| --- | --- | --- | --- | --- |")
	for _, m := range mutants {
		if !match.MatchString(m.name) {
			continue
		}
		file := filepath.Join(work, m.file)
		orig, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if n := bytes.Count(orig, []byte(m.from)); n != 1 {
			stale++
			fmt.Fprintf(out, "| %s | %s | %v | stale: the text is there %d times | |\n", m.name, m.file, m.security, n)
			continue
		}
		if err := os.WriteFile(file, bytes.Replace(orig, []byte(m.from), []byte(m.to), 1), 0o644); err != nil {
			return err
		}
		// The short tests first; a mutant they miss gets the whole suite (built binaries,
		// bigger inputs) before it is called a survivor.
		res := test(work, timeout, true)
		if res.passed {
			res = test(work, timeout, false)
		}
		if err := os.WriteFile(file, orig, 0o644); err != nil {
			return err
		}
		if res.broken {
			broken++
			fmt.Fprintf(out, "| %s | %s | %v | does not compile: fix the mutant | |\n", m.name, m.file, m.security)
			continue
		}
		total++
		if m.security {
			secTotal++
		}
		verdict := "survived"
		if !res.passed {
			verdict = "killed"
			killed++
			if m.security {
				secKilled++
			}
		}
		fmt.Fprintf(out, "| %s | %s | %v | %s | %s |\n", m.name, m.file, m.security, verdict, res.firstFail)
	}
	fmt.Fprintf(out, "\nkilled %d of %d mutants; security-relevant: %d of %d; stale: %d; not compiling: %d\n", killed, total, secKilled, secTotal, stale, broken)
	return nil
}

// copyRoot copies the root package (every file of the root folder, and testdata) to dir.
func copyRoot(root, dir string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			if name == "testdata" {
				if err := exec.Command("cp", "-r", filepath.Join(root, name), dir).Run(); err != nil {
					return err
				}
			}
			continue
		}
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(root, name))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

type result struct {
	passed bool
	// broken is a mutant that does not compile: it says nothing of the tests.
	broken    bool
	firstFail string
	tail      string
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// test runs the root package's tests in dir (the short ones, or all), stopping at the
// first failure.
func test(dir string, timeout time.Duration, short bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"test", "-failfast", "-count=1", "-parallel=2", "."}
	if short {
		args = append(args, "-short")
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	r := result{passed: err == nil, broken: bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]"))}
	if m := failLine.FindSubmatch(out); m != nil {
		r.firstFail = string(m[1])
	} else if err != nil {
		r.firstFail = "(build failed or timed out)"
	}
	if len(out) > 2000 {
		out = out[len(out)-2000:]
	}
	r.tail = string(out)
	return r
}
