package main

import (
	"bytes"
	"context"
	"errors"
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

// sample is what one run cost, as the launcher saw it: wall time from start to reaped, peak RSS (ru_maxrss), CPU
// time (ru_utime + ru_stime) and minor page faults (ru_minflt).
type sample struct {
	wall   time.Duration
	maxRSS int64 // bytes
	cpu    time.Duration
	minflt int64
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

// measure runs c under the launcher with stdout and stderr on /dev/null and returns its sample; an exit status
// other than want is an error.
func measure(ctx context.Context, launcher string, c command, want int) (sample, error) {
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
	if err := exitIs(cmd.Wait(), want); err != nil {
		return sample{}, fmt.Errorf("%s: %w", shortName(c.path), err)
	}
	var wallNS, rssKiB, cpuNS, minflt int64
	if _, err := fmt.Sscan(string(report), &wallNS, &rssKiB, &cpuNS, &minflt); err != nil {
		return sample{}, fmt.Errorf("%s: launcher report %q: %w", shortName(c.path), report, err)
	}
	return sample{wall: time.Duration(wallNS), maxRSS: rssKiB * 1024, cpu: time.Duration(cpuNS), minflt: minflt}, nil
}

// exitIs turns a finished process's error into nil when it exited with status want, and into an error naming both
// statuses when it exited with another.
func exitIs(err error, want int) error {
	var exit *exec.ExitError
	switch {
	case err == nil && want == 0:
		return nil
	case err == nil:
		return fmt.Errorf("exit status 0, want %d", want)
	case !errors.As(err, &exit) || !exit.Exited():
		return err
	case exit.ExitCode() == want:
		return nil
	case want == 0:
		return err
	}
	return fmt.Errorf("%w, want %d", err, want)
}

// captureTo runs c once with stdout to w and returns its stderr, for checking that a tool does what the scenario
// says before it is timed; an exit status other than want is an error.
func captureTo(ctx context.Context, c command, want int, w io.Writer) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = c.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := exitIs(cmd.Run(), want); err != nil {
		return stderr.Bytes(), fmt.Errorf("%s: %w: %s", shortName(c.path), err, firstLine(stderr.String()))
	}
	return stderr.Bytes(), nil
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
