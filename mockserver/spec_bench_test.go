package mockserver

import (
	"runtime"
	"testing"
)

// BenchmarkNew measures building a mock (what the binary does before it listens) and reports the
// live heap one mock holds.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.StopTimer()
	before := benchHeap()
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	after := benchHeap()
	b.ReportMetric(float64(after-before)/(1<<20), "live-MiB/mock")
	runtime.KeepAlive(s)
	s.Close()
}
