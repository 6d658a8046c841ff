package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC the mock collects at defaultGCPercent under defaultMemoryLimit (unless
// GOMEMLIMIT is set); with GOGC set, the runtime's reading of GOGC and GOMEMLIMIT stays.
func TestTuneGC(t *testing.T) {
	beforeGC, beforeLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(beforeGC)
		debug.SetMemoryLimit(beforeLimit)
	}()
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	inEffect := func() (int, int64) {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	for _, c := range []struct {
		name      string
		env       map[string]string
		gc        int
		limit     int64
		runtimeGC int // what the runtime would have read from the environment at start
	}{
		{"neither set", nil, defaultGCPercent, defaultMemoryLimit, 100},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, defaultGCPercent, math.MaxInt64, 100},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, math.MaxInt64, 100},
		{"GOGC=off", map[string]string{"GOGC": "off"}, -1, math.MaxInt64, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(c.runtimeGC)
			debug.SetMemoryLimit(math.MaxInt64) // as the runtime starts without GOMEMLIMIT; with it, its value stands
			gc, limit := tuneGC(env(c.env))
			if gc != c.gc || limit != c.limit {
				t.Errorf("tuneGC = %d, %d; want %d, %d", gc, limit, c.gc, c.limit)
			}
			if p, l := inEffect(); p != c.gc || l != c.limit {
				t.Errorf("in effect: GOGC %d, memory limit %d; want %d, %d", p, l, c.gc, c.limit)
			}
		})
	}
}
