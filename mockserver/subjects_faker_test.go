package mockserver

import (
	"testing"

	"github.com/brianvoe/gofakeit/v7"
)

// TestSubjectFakerMatchesGofakeit: the mock's own faker draws the very values gofakeit.New(seed)
// did when the mock used it, so a seeded mock completes sessions with the same subjects as before.
func TestSubjectFakerMatchesGofakeit(t *testing.T) {
	for _, seed := range []uint64{1, 2, 42, 7777, 0x9E3779B97F4A7C15, 1<<63 + 5} {
		mine, theirs := newSubjectFaker(seed), gofakeit.New(seed)
		for i := range 1000 {
			if got, want := mine.float64Range(18, 70), theirs.Float64Range(18, 70); got != want {
				t.Fatalf("seed %d draw %d: float64Range %v, gofakeit %v", seed, i, got, want)
			}
			if got, want := mine.oneOf("Male", "Female"), theirs.RandomString([]string{"Male", "Female"}); got != want {
				t.Fatalf("seed %d draw %d: oneOf %s, gofakeit %s", seed, i, got, want)
			}
			if got, want := mine.uuid(), theirs.UUID(); got != want {
				t.Fatalf("seed %d draw %d: uuid %s, gofakeit %s", seed, i, got, want)
			}
		}
	}
}

// Seed 0, the zero Options' seed, is reproducible like any other: two fakers draw the same values.
func TestSubjectFakerSeedZeroIsDeterministic(t *testing.T) {
	a, b := newSubjectFaker(0), newSubjectFaker(0)
	for i := range 100 {
		if x, y := a.float64Range(18, 70), b.float64Range(18, 70); x != y {
			t.Fatalf("draw %d: two seed-0 fakers drew ages %v and %v", i, x, y)
		}
		if x, y := a.uuid(), b.uuid(); x != y {
			t.Fatalf("draw %d: two seed-0 fakers drew faces %s and %s", i, x, y)
		}
	}
}
