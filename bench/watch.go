package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

// watchResult is one tool's watch latencies: server flush to the line on the tool's stdout.
type watchResult struct {
	tool      string
	command   string
	latencies []time.Duration
	skip, err string
}

// watchLatency runs a watch with each tool, cfg.watchRuns times alternating, cfg.watchEvents events each.
func (b *bench) watchLatency(ctx context.Context, s *localServerTarget) []*watchResult {
	t := s.target
	cmds := map[string]command{
		toolKcurl: b.kcurl(t, "-s", watchPath),
		toolCurl:  b.curl(t, "-s", "-N", t.url+watchPath),
		toolFloor: b.floor(t, watchPath),
	}
	logf("watch: latency over %d × %d events", b.cfg.watchRuns, b.cfg.watchEvents)
	var out []*watchResult
	var active []*watchResult
	for _, tool := range toolOrder {
		if tool == toolFloorLibs || tool == toolBaseline {
			continue // start-up rows, not streaming
		}
		r := &watchResult{tool: tool}
		out = append(out, r)
		c, ok := cmds[tool]
		if !ok {
			r.skip = "no streaming output"
			if tool == toolKubectl {
				r.skip = "`get --raw` reads the whole body before it prints"
			}
			continue
		}
		r.command = redact(c.String(), t)
		active = append(active, r)
	}
	for run := 0; run < b.cfg.watchRuns && ctx.Err() == nil; run++ {
		for i := range active {
			r := active[(i+run)%len(active)]
			if r.err != "" {
				continue
			}
			lat, err := watchOnce(ctx, s.localServer, cmds[r.tool], b.cfg.watchEvents)
			if err != nil {
				r.err = err.Error()
				logf("watch: %s: %v", r.tool, err)
				continue
			}
			r.latencies = append(r.latencies, lat...)
		}
	}
	return out
}

// watchOnce arms the server, starts c with stdout on a pipe, and for each line notes how long it took from the
// server's timestamp to here, then lets the server write the next event.
func watchOnce(ctx context.Context, s *localServer, c command, events int) ([]time.Duration, error) {
	ws := newWatchSession(events)
	if err := s.armWatch(ws); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = c.env
	cmd.Stderr = devNull
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, 0, events)
	r := bufio.NewReaderSize(stdout, 64<<10)
	var readErr error
	for len(lat) < events {
		line, err := r.ReadSlice('\n')
		if err != nil {
			readErr = fmt.Errorf("after %d events: %w", len(lat), err)
			break
		}
		now := time.Now().UnixNano()
		seq, sent, err := parseEvent(line)
		if err != nil {
			readErr = err
			break
		}
		lat = append(lat, time.Duration(now-sent))
		ws.acks <- seq
	}
	if readErr != nil {
		cancel()
	}
	io.Copy(io.Discard, r)
	waitErr := cmd.Wait()
	<-ws.done
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("%s: %w (server: %v)", shortName(c.path), readErr, ws.err)
	case ws.err != nil:
		return nil, ws.err
	case waitErr != nil:
		return nil, fmt.Errorf("%s: %w", shortName(c.path), waitErr)
	}
	return lat, nil
}

// parseEvent finds "seq" and "sent" in one watch line without a JSON decoder, so the reader adds little.
func parseEvent(line []byte) (seq int, sent int64, err error) {
	field := func(name string) (int64, error) {
		key := []byte(`"` + name + `":"`)
		i := bytes.Index(line, key)
		if i < 0 {
			return 0, fmt.Errorf("watch line without %s: %.120q", name, line)
		}
		rest := line[i+len(key):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return 0, errors.New("watch line cut short")
		}
		return strconv.ParseInt(string(rest[:j]), 10, 64)
	}
	s, err := field("seq")
	if err != nil {
		return 0, 0, err
	}
	sent, err = field("sent")
	return int(s), sent, err
}

// percentiles of latencies, in milliseconds.
func latencyStats(lat []time.Duration) (p50, p99, maxMS float64) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	ms := make([]float64, len(lat))
	for i, d := range lat {
		ms[i] = float64(d) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	return quantile(ms, 0.5), quantile(ms, 0.99), ms[len(ms)-1]
}
