package main

import (
	"math"
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
