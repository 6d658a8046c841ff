package signing

import (
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// TestASCIIRootOrderMatchesCollator keeps the ASCII fast path of compareICU honest: for every pair
// of strings of one or two characters from its alphabet it must order as x/text's root collator
// does (which was checked against ICU 72; docs/signing.md).
func TestASCIIRootOrderMatchesCollator(t *testing.T) {
	c := collate.New(language.MustParse("und-u-ks-level3"))
	var strs []string
	for i := range len(asciiRootOrder) {
		strs = append(strs, asciiRootOrder[i:i+1])
		for j := range len(asciiRootOrder) {
			if j%7 == i%7 { // a sample of the two-character strings keeps the test quick
				strs = append(strs, asciiRootOrder[i:i+1]+asciiRootOrder[j:j+1])
			}
		}
	}
	for _, a := range strs {
		for _, b := range strs {
			got, ok := compareASCIIRoot(a, b)
			if !ok {
				t.Fatalf("compareASCIIRoot(%q, %q) did not take the fast path", a, b)
			}
			if want := c.CompareString(a, b); got != want {
				t.Fatalf("compareASCIIRoot(%q, %q) = %d, the root collator says %d", a, b, got, want)
			}
		}
	}
	if _, ok := compareASCIIRoot("a", "B"); ok {
		t.Error("an upper-case letter took the fast path; case is a tertiary difference")
	}
}
