package main

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestRatioInterval holds the bootstrap to what it must give on samples whose ratio is known.
func TestRatioInterval(t *testing.T) {
	var a, b, c []sample
	for i := range 101 {
		ms := time.Duration(10+i%7) * time.Millisecond
		a = append(a, sample{wall: ms})
		b = append(b, sample{wall: ms * 11 / 10})
		c = append(c, sample{wall: 20 * time.Millisecond})
	}
	// Each round's pair has the ratio 1/1.1: every draw's medians do too.
	if lo, hi := ratioInterval(a, b, wallMS); math.Abs(lo-1/1.1) > 1e-9 || math.Abs(hi-1/1.1) > 1e-9 {
		t.Errorf("paired 1.1× samples: interval %v–%v, want %v both", lo, hi, 1/1.1)
	}
	// Spread samples against a constant: the interval holds the measured ratio and is not a point.
	lo, hi := ratioInterval(a, c, wallMS)
	if q := 13.0 / 20; lo > q || hi < q || hi-lo < 0.01 {
		t.Errorf("spread over constant: interval %v–%v, want around %v and wider than 0.01", lo, hi, q)
	}
	// The seed is fixed: the same samples give the same interval.
	if lo2, hi2 := ratioInterval(a, c, wallMS); lo2 != lo || hi2 != hi {
		t.Errorf("second run %v–%v, first %v–%v", lo2, hi2, lo, hi)
	}
	if lo, hi := ratioInterval(nil, c, wallMS); lo != 0 || hi != 0 {
		t.Errorf("no samples: %v–%v, want 0–0", lo, hi)
	}
}

// TestStartupTargetsTable checks one row of issue 15's table from samples whose medians are known: the ratio, its
// verdict and the page faults beside it.
func TestStartupTargetsTable(t *testing.T) {
	sc := &scenario{id: "version", title: "`--version` start-up", target: &target{name: "Go TLS server"}}
	var k, f []sample
	for range 9 {
		k = append(k, sample{wall: 21 * time.Millisecond, cpu: 21 * time.Millisecond, minflt: 351})
		f = append(f, sample{wall: 20 * time.Millisecond, cpu: 20 * time.Millisecond, minflt: 335})
	}
	r := &report{results: []*result{{sc: sc, tool: toolKcurl, samples: k}, {sc: sc, tool: toolFloorLibs, samples: f}}}
	var out strings.Builder
	r.startupTargetsTable(func(format string, args ...any) { fmt.Fprintf(&out, format, args...) })
	for _, want := range []string{
		"| `--version` (Go TLS server): wall ≤ 1.05× Go floor + kong + go-json | 1.05× (21.00 ms vs 20.00 ms) | 1.05–1.05× | 1.05× (351 vs 335) | yes |\n",
		"| `--version` (Go TLS server): CPU ≤ 1.05× Go floor + kong + go-json | 1.05× (21.00 ms vs 20.00 ms) | 1.05–1.05× | 1.05× (351 vs 335) | yes |\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks the row\n%s\ngot\n%s", want, out.String())
		}
	}
}
