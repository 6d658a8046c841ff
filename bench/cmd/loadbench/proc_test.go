package main

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestKernelCounts: what the kernel counts of a process moves with what the process does: 400
// one-byte writes to a pipe and 100 reads of 4 bytes count at least 400 writes and 100 reads
// (and not 400 reads: the two are told apart), and 20 sleeps of a thread at least 20 voluntary
// context switches. The process here is the test's own.
func TestKernelCounts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: &exec.Cmd{Process: self}}
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	k0 := s.kernelCounts()
	b := make([]byte, 4)
	for range 400 {
		if _, err := syscall.Write(fds[1], b[:1]); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		if n, err := syscall.Read(fds[0], b); n != 4 || err != nil {
			t.Fatal(n, err)
		}
	}
	ts := syscall.NsecToTimespec(int64(100 * time.Microsecond))
	for range 20 {
		_ = syscall.Nanosleep(&ts, nil)
	}
	// 50 ms of CPU, as getrusage counts it.
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for c0 := cpu(); cpu()-c0 < 50*time.Millisecond; {
	}
	k := s.kernelCounts().sub(k0)
	if k.writes < 400 || k.reads < 100 || k.reads >= 400 || k.voluntary < 20 || k.cpu() < 30*time.Millisecond {
		t.Errorf("after 400 writes, 100 reads, 20 sleeps and 50 ms of CPU: %+v (CPU %v)", k, k.cpu())
	}
}

// TestKernelCountsSub: the counts during a run are the counts at its end less those at its start.
func TestKernelCountsSub(t *testing.T) {
	end, start := kernelCounts{ticks: 150, reads: 10, writes: 20, voluntary: 30, involuntary: 40}, kernelCounts{ticks: 50, reads: 1, writes: 2, voluntary: 3, involuntary: 4}
	if got, want := end.sub(start), (kernelCounts{ticks: 100, reads: 9, writes: 18, voluntary: 27, involuntary: 36}); got != want {
		t.Errorf("%+v.sub(%+v) = %+v, want %+v", end, start, got, want)
	}
	if got := end.sub(start).cpu(); got != time.Duration(100)*time.Second/clockTicks {
		t.Errorf("100 ticks of CPU: %v", got)
	}
}
