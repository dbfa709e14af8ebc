package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// command is one process to run: a program, its arguments and its whole environment.
type command struct {
	path string
	args []string
	env  []string
}

// String is the command as a person would type it, for the report.
func (c command) String() string {
	parts := []string{shortName(c.path)}
	for _, a := range c.args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shortName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sample is what one run cost: wall time from start to reaped and peak RSS (ru_maxrss), both as the launcher saw them.
type sample struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// runTimeout bounds any single process, so a hung client cannot hang the benchmark.
const runTimeout = 2 * time.Minute

// devNull is opened once; a child writing to it gets the file itself, with no pipe or copy in between.
var devNull = func() *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		panic(err)
	}
	return f
}()

// measure runs c under the launcher with stdout and stderr on /dev/null and returns its sample; a non-zero exit is
// an error.
func measure(ctx context.Context, launcher string, c command) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		return sample{}, err
	}
	defer pr.Close()
	cmd := exec.CommandContext(ctx, launcher, append([]string{c.path}, c.args...)...)
	cmd.Env = c.env
	cmd.Stdout, cmd.Stderr = devNull, devNull
	cmd.ExtraFiles = []*os.File{pw}
	err = cmd.Start()
	pw.Close()
	if err != nil {
		return sample{}, err
	}
	report, _ := io.ReadAll(pr)
	if err := cmd.Wait(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", shortName(c.path), err)
	}
	var wallNS, rssKiB int64
	if _, err := fmt.Sscan(string(report), &wallNS, &rssKiB); err != nil {
		return sample{}, fmt.Errorf("%s: launcher report %q: %w", shortName(c.path), report, err)
	}
	return sample{wall: time.Duration(wallNS), maxRSS: rssKiB * 1024}, nil
}

// captureTo runs c once with stdout to w, for checking that a tool does what the scenario says before it is timed.
func captureTo(ctx context.Context, c command, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", shortName(c.path), err, firstLine(stderr.String()))
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// stats are min, median and max of a set of values.
type stats struct {
	n                int
	min, median, max float64
}

func summarize(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return stats{n: len(s), min: s[0], median: quantile(s, 0.5), max: s[len(s)-1]}
}

// quantile of sorted values, interpolating between the two nearest ranks.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[lo+1]*frac
}
