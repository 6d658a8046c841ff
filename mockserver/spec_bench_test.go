package mockserver

import (
	"encoding/json"
	"runtime"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
)

// TestLoadSpecMatchesGetSpec: the mock reads its embedded spec as JSON (loadSpec) rather than
// through kin-openapi's YAML parser (generated.GetSpec); both must give the same document.
func TestLoadSpecMatchesGetSpec(t *testing.T) {
	fast, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	slow, err := generated.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	a, err := json.Marshal(fast)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(slow)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("loadSpec and GetSpec differ:\n%s\n%s", a, b)
	}
	if len(fast.Paths.Keys()) != len(operations) {
		t.Errorf("loadSpec has %d paths, want %d", len(fast.Paths.Keys()), len(operations))
	}
}

func BenchmarkLoadSpec(b *testing.B) {
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := loadSpec(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetSpec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := generated.GetSpec(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

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
