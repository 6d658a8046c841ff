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

// FuzzCanonicalize: the canonical form is a fixed point (read again, it canonicalises to itself),
// except where .NET's own rules make it move: two keys that OrdinalIgnoreCase keeps apart but that
// lowercase alike (the Kelvin sign U+212A and "k": ToUpperInvariant leaves U+212A, ToLower makes it
// "k") are two groups in the query, and one group in its canonical form.
func FuzzCanonicalize(f *testing.F) {
	for _, q := range []string{
		"userId=User123&age=25&gender=Male", "", "?", "??a", "&&", "=", "a=%zz", "%", "a+b=%2B",
		"RESIGNATURE=1&reSignature", "K=\u212a", "\xff=\xc0", "%C4%B0=İ", "\u212a=0&k",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		c := Canonicalize(query)
		c2 := Canonicalize(c)
		if c2 == c {
			return
		}
		if keysMergeWhenLowered(Parse(query)) {
			return
		}
		t.Fatalf("Canonicalize(%q) = %q, but Canonicalize of that = %q", query, c, c2)
	})
}

// keysMergeWhenLowered reports whether two keys that ASP.NET's dictionary keeps apart lowercase to
// the same text.
func keysMergeWhenLowered(params Params) bool {
	for i, p := range params {
		for _, q := range params[i+1:] {
			if !equalFoldDotnet(p.Key, q.Key) && lowerDotnet(p.Key) == lowerDotnet(q.Key) {
				return true
			}
		}
	}
	return false
}

// The exception FuzzCanonicalize allows is .NET's: the Kelvin sign and "k" are two keys to the
// dictionary, written alike in the canonical form, so the form read again groups them as one.
func TestCanonicalFormOfKeysThatLowerAlike(t *testing.T) {
	// Groups {U+212A: [0]} and {k: [""]}, each lowercased to "k", ordered stably by key.
	if got, want := Canonicalize("\u212a=0&k"), "?k=0&k="; got != want {
		t.Errorf("Canonicalize = %q, want %q", got, want)
	}
	// Read again: one group {k: ["0", ""]}, its values ordered.
	if got, want := Canonicalize("?k=0&k="), "?k=&k=0"; got != want {
		t.Errorf("Canonicalize = %q, want %q", got, want)
	}
}
