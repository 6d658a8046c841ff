package mockserver

import "testing"

// BenchmarkFaultsTake is the cost a call pays for a full scope of faults (MaxFaults), all on
// another operation than its own: with the faults indexed by operation it looks at none of them.
// "own" is a call whose operation has the full list, each fault at a fraction that skips it,
// the worst case.
func BenchmarkFaultsTake(b *testing.B) {
	other := newFaults(1)
	own := newFaults(1)
	for range MaxFaults {
		if _, err := other.add(Fault{Operation: "getHealth", Status: 503}); err != nil {
			b.Fatal(err)
		}
		if _, err := own.add(Fault{Operation: "getAllVerifications", Status: 503, Fraction: 1e-9}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("other operation", func(b *testing.B) {
		for b.Loop() {
			if _, ok := other.take("getAllVerifications", nil); ok {
				b.Fatal("a fault of another operation applied")
			}
		}
	})
	b.Run("own operation, none applies", func(b *testing.B) {
		for b.Loop() {
			own.take("getAllVerifications", nil)
		}
	})
}
