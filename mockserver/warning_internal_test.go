package mockserver

import (
	"strings"
	"testing"
)

// TestCutWarning: a warning that fits is kept whole; one that does not is cut with a marker
// within the room left, or dropped when not even the marker fits.
func TestCutWarning(t *testing.T) {
	if got := cutWarning("short", 5); got != "short" {
		t.Errorf("a warning that fits: %q", got)
	}
	long := strings.Repeat("x", 10000)
	got := cutWarning(long, MaxWarningBytes)
	if len(got) != MaxWarningBytes || !strings.HasSuffix(got, "it had 10000)") {
		t.Errorf("a long warning: %d bytes ending %q, want exactly %d with the marker", len(got), got[len(got)-20:], MaxWarningBytes)
	}
	if got := cutWarning(long, 10); got != "" {
		t.Errorf("no room for the marker: %q, want none", got)
	}
}
