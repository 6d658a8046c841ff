package main

import (
	"strings"
	"testing"
)

// TestTailBuffer: the buffer keeps the last max bytes of what was written, whatever the sizes of
// the writes, and counts every line and byte.
func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 10}
	var all strings.Builder
	for _, w := range []string{"abc\n", "de", "fghij\nkl", "m", "nopqrstuvwxyz0123\n", "4\n"} {
		if n, err := tb.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
		all.WriteString(w)
		s := all.String()
		if want := s[max(0, len(s)-10):]; tb.String() != want {
			t.Fatalf("after %q: %q, want %q", w, tb.String(), want)
		}
	}
	if lines, n := tb.counts(); lines != 4 || n != int64(all.Len()) {
		t.Errorf("counts: %d lines, %d bytes; want 4, %d", lines, n, all.Len())
	}
}
