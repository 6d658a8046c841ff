package reqcheck

import (
	"strings"
	"testing"
)

// TestWarnedNamesCutLongNames: a name of maxWarnedName characters is shown whole, one character
// more is cut with its length; a list stops at maxWarnedList bytes and counts the rest.
func TestWarnedNamesCutLongNames(t *testing.T) {
	at := strings.Repeat("a", maxWarnedName)
	if got := WarnedNames([]string{at}); got != at {
		t.Errorf("a name of %d characters: %q, want it whole", maxWarnedName, got)
	}
	if got, want := WarnedNames([]string{at + "b"}), at+"...(121 chars)"; got != want {
		t.Errorf("a name of %d characters: %q, want %q", maxWarnedName+1, got, want)
	}
	if got := WarnedNames([]string{strings.Repeat("\u00e9", 70000)}); len(got) > 2*maxWarnedName+20 || !strings.HasSuffix(got, "...(70000 chars)") || !strings.HasPrefix(got, `"\u00e9`) {
		t.Errorf("a quoted long name: %d bytes %.80q…", len(got), got)
	}
	long := make([]string, maxWarnedFields)
	for i := range long {
		long[i] = strings.Repeat(string(rune('a'+i)), 1000)
	}
	got := WarnedNames(long)
	if len(got) > maxWarnedList+2*maxWarnedName || !strings.HasSuffix(got, " and 5 more") {
		t.Errorf("ten long names: %d bytes ending %q, want at most %d bytes and the rest counted", len(got), got[max(0, len(got)-20):], maxWarnedList+2*maxWarnedName)
	}
}
