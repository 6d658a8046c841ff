package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: without GOGC the mock collects at defaultGCPercent; with GOGC set, the runtime's
// reading of it stays.
func TestTuneGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	if got := tuneGC(func(string) string { return "" }); got != defaultGCPercent {
		t.Errorf("tuneGC without GOGC = %d, want %d", got, defaultGCPercent)
	}
	if p := debug.SetGCPercent(100); p != defaultGCPercent {
		t.Errorf("GC percent in effect = %d, want %d", p, defaultGCPercent)
	}
	// With GOGC set, the runtime read it at start; tuneGC keeps whatever is in effect.
	if got := tuneGC(func(k string) string {
		if k == "GOGC" {
			return "100"
		}
		return ""
	}); got != 100 {
		t.Errorf("tuneGC with GOGC=100 = %d, want 100", got)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent in effect = %d, want 100 (GOGC's)", p)
	}
}
