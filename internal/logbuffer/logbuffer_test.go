package logbuffer

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flush timer's goroutine and the test's.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBufferWritesALoneLineSoon: a line with nothing after it reaches the writer by itself,
// after the delay, without a Close.
func TestBufferWritesALoneLineSoon(t *testing.T) {
	var out lockedBuffer
	b := New(&out, time.Millisecond)
	b.Batch()
	if _, err := io.WriteString(b, "one line\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second) // a bound for a stalled machine, not a speed
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "one line\n" {
		t.Fatalf("written: %q, want the line", got)
	}
	// And the next batch too: the flush rearms.
	if _, err := io.WriteString(b, "two\n"); err != nil {
		t.Fatal(err)
	}
	for out.String() == "one line\n" && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := out.String(); got != "one line\ntwo\n" {
		t.Fatalf("written: %q, want both lines", got)
	}
}

// TestBufferBatches: lines written within the delay reach the writer in one write, in order;
// a batch of FlushBytes is written at once; Close writes the rest, and later lines go straight
// through.
func TestBufferBatches(t *testing.T) {
	var writes []string
	w := writerFunc(func(p []byte) (int, error) { writes = append(writes, string(p)); return len(p), nil })
	b := New(w, time.Hour) // no timer fires within the test
	if _, err := io.WriteString(b, "start-up\n"); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 1 || writes[0] != "start-up\n" {
		t.Fatalf("a line before Batch: %q, want it written at once", writes)
	}
	writes = nil
	b.Batch()
	var want strings.Builder
	for i := range 3 {
		line := fmt.Sprintf("line %d\n", i)
		want.WriteString(line)
		if _, err := io.WriteString(b, line); err != nil {
			t.Fatal(err)
		}
	}
	if len(writes) != 0 {
		t.Fatalf("written before the delay or Close: %q", writes)
	}
	big := strings.Repeat("x", FlushBytes) + "\n"
	want.WriteString(big)
	if _, err := io.WriteString(b, big); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 1 || writes[0] != want.String() {
		t.Fatalf("after %d bytes: %d writes, want one of everything so far", FlushBytes, len(writes))
	}
	if _, err := io.WriteString(b, "tail\n"); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 2 || writes[1] != "tail\n" {
		t.Fatalf("Close wrote %q, want the tail", writes[1:])
	}
	if _, err := io.WriteString(b, "after\n"); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 3 || writes[2] != "after\n" {
		t.Fatalf("a line after Close: %q, want it written at once", writes[2:])
	}
}

// TestBufferConcurrentWriters: lines written from many goroutines all arrive whole.
func TestBufferConcurrentWriters(t *testing.T) {
	var out lockedBuffer
	b := New(&out, 100*time.Microsecond)
	b.Batch()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(b, "g%d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		var g, i int
		if n, err := fmt.Sscanf(l, "g%d line %d", &g, &i); n != 2 || err != nil {
			t.Fatalf("a line was torn: %q", l)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
