package logbuffer

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
	synctest.Test(t, func(t *testing.T) {
		var out writeLog
		b := New(&out, time.Hour) // the bubble's clock does not reach it unless the test sleeps
		if _, err := io.WriteString(b, "start-up\n"); err != nil {
			t.Fatal(err)
		}
		if writes := out.take(); len(writes) != 1 || writes[0] != "start-up\n" {
			t.Fatalf("a line before Batch: %q, want it written at once", writes)
		}
		b.Batch()
		var want strings.Builder
		for i := range 3 {
			line := fmt.Sprintf("line %d\n", i)
			want.WriteString(line)
			if _, err := io.WriteString(b, line); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if writes := out.take(); len(writes) != 0 {
			t.Fatalf("written before the delay or Close: %q", writes)
		}
		big := strings.Repeat("x", FlushBytes) + "\n"
		want.WriteString(big)
		if _, err := io.WriteString(b, big); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the batch is written by another goroutine, at once
		if writes := out.take(); len(writes) != 1 || writes[0] != want.String() {
			t.Fatalf("after %d bytes: %d writes, want one of everything so far", FlushBytes, len(writes))
		}
		if _, err := io.WriteString(b, "tail\n"); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if writes := out.take(); len(writes) != 1 || writes[0] != "tail\n" {
			t.Fatalf("Close wrote %q, want the tail", writes)
		}
		if _, err := io.WriteString(b, "after\n"); err != nil {
			t.Fatal(err)
		}
		if writes := out.take(); len(writes) != 1 || writes[0] != "after\n" {
			t.Fatalf("a line after Close: %q, want it written at once", writes)
		}
	})
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

// writeLog records each Write to it.
type writeLog struct {
	mu     sync.Mutex
	writes []string
}

func (l *writeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, string(p))
	return len(p), nil
}

// take returns the writes so far and forgets them.
func (l *writeLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.writes
	l.writes = nil
	return w
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// kib1 is a 1 KiB line: FlushBytes/len(kib1) of them fill a batch exactly.
var kib1 = strings.Repeat("x", 1023) + "\n"

// TestBufferLinesDoNotWaitForABatchBeingWritten: while w is still writing a batch (stderr is a
// pipe whose reader is slow), the lines that come meanwhile are taken at once, not after it.
func TestBufferLinesDoNotWaitForABatchBeingWritten(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var out lockedBuffer
	w := writerFunc(func(p []byte) (int, error) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return out.Write(p)
	})
	b := New(w, time.Hour)
	b.Batch()
	bound := time.After(10 * time.Second) // a bound for a stalled machine, not a speed
	first := make(chan struct{})
	go func() { // fills a batch, which is written at once
		defer close(first)
		for range FlushBytes / len(kib1) {
			_, _ = io.WriteString(b, kib1)
		}
	}()
	select {
	case <-entered:
	case <-bound:
		close(release)
		t.Fatal("the full batch was not written")
	}
	more := make(chan struct{})
	go func() {
		defer close(more)
		for i := range 4 {
			fmt.Fprintf(b, "more %d %s", i, kib1)
		}
	}()
	select {
	case <-more:
	case <-bound:
		t.Error("lines written while a batch is being written waited for it")
	}
	close(release)
	<-first
	<-more
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat(kib1, FlushBytes/len(kib1))
	for i := range 4 {
		want += fmt.Sprintf("more %d %s", i, kib1)
	}
	if got := out.String(); got != want {
		t.Fatalf("written %d bytes, want the batch then the 4 KiB after it (%d bytes)", len(got), len(want))
	}
}

// TestBufferHoldsAtMostTwoBatches: while w is blocked, a second batch gathers, and then Write
// waits for w instead of holding more.
func TestBufferHoldsAtMostTwoBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var out lockedBuffer
		b := New(writerFunc(func(p []byte) (int, error) { <-release; return out.Write(p) }), time.Hour)
		b.Batch()
		lines := 3*FlushBytes/len(kib1) + 1
		var taken atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range lines {
				_, _ = io.WriteString(b, kib1)
				taken.Add(int64(len(kib1)))
			}
		}()
		synctest.Wait() // every goroutine is blocked: on release, or waiting for the writer
		select {
		case <-done:
			t.Errorf("%d bytes taken while the writer was blocked: held without bound", taken.Load())
		default:
		}
		if n := taken.Load(); n < 2*FlushBytes || n > 2*FlushBytes+int64(len(kib1)) {
			t.Errorf("%d bytes taken while the writer was blocked, want two batches (%d)", n, 2*FlushBytes)
		}
		close(release)
		<-done
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != strings.Repeat(kib1, lines) {
			t.Fatalf("written %d bytes, want all %d lines (%d bytes)", len(got), lines, lines*len(kib1))
		}
	})
}

// TestBufferLineDueDuringAWriteFollowsIt: a line whose delay is up while the previous batch is
// still being written is written right after it, without waiting for more lines or Close.
func TestBufferLineDueDuringAWriteFollowsIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var out lockedBuffer
		b := New(writerFunc(func(p []byte) (int, error) { <-release; return out.Write(p) }), FlushDelay)
		b.Batch()
		for range FlushBytes / len(kib1) {
			_, _ = io.WriteString(b, kib1)
		}
		_, _ = io.WriteString(b, "late\n")
		time.Sleep(2 * FlushDelay) // the bubble's clock: the delay is up while the batch is blocked
		close(release)
		synctest.Wait() // the clock stands still from here
		want := strings.Repeat(kib1, FlushBytes/len(kib1)) + "late\n"
		if got := out.String(); got != want {
			t.Fatalf("written %d bytes, want the batch and the late line (%d bytes)", len(got), len(want))
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBufferKeepsOrderWithASlowWriter: lines from many goroutines, to a writer that takes its
// time, some of them written after a Close made while they are being written: every line arrives
// once, whole, each goroutine's in its order; w is never written by two goroutines at once, and
// every write is whole lines.
func TestBufferKeepsOrderWithASlowWriter(t *testing.T) {
	const goroutines, perGoroutine = 8, 1000
	var out lockedBuffer
	var inWrite atomic.Int32
	var overlapped, torn atomic.Bool
	w := writerFunc(func(p []byte) (int, error) {
		if inWrite.Add(1) != 1 {
			overlapped.Store(true)
		}
		defer inWrite.Add(-1)
		if len(p) == 0 || p[len(p)-1] != '\n' {
			torn.Store(true)
		}
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		return out.Write(p)
	})
	b := New(w, 200*time.Microsecond)
	b.Batch()
	var wg sync.WaitGroup
	var halfway sync.WaitGroup
	halfway.Add(goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				if i == perGoroutine/2 {
					halfway.Done()
				}
				// Lines of 40 to 240 bytes, their length in them to tell a torn one.
				pad := strings.Repeat("p", rand.IntN(200))
				fmt.Fprintf(b, "g%d n%d %d %s\n", g, i, len(pad), pad)
			}
		})
	}
	halfway.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if overlapped.Load() {
		t.Error("w was written by two goroutines at once")
	}
	if torn.Load() {
		t.Error("a write to w ended within a line")
	}
	next := make([]int, goroutines)
	for l := range strings.SplitSeq(strings.TrimSuffix(out.String(), "\n"), "\n") {
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 {
			t.Fatalf("a torn line: %q", l)
		}
		g, errG := strconv.Atoi(strings.TrimPrefix(f[0], "g"))
		i, errI := strconv.Atoi(strings.TrimPrefix(f[1], "n"))
		n, errN := strconv.Atoi(f[2])
		if errG != nil || errI != nil || errN != nil || g < 0 || g >= goroutines || len(f[3]) != n {
			t.Fatalf("a torn line: %q", l)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after line %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != perGoroutine {
			t.Errorf("goroutine %d: %d lines, want %d", g, n, perGoroutine)
		}
	}
}
