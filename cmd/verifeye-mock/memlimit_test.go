package main

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestMemoryLimitFor: the default limit while the live heap is under half of it, twice the live
// heap above.
func TestMemoryLimitFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, 80 << 20},
		{10 << 20, 80 << 20},
		{40 << 20, 80 << 20},
		{40<<20 + 1, 80<<20 + 2},
		{100 << 20, 200 << 20},
		{1 << 62, 1 << 62},
	} {
		if got := memoryLimitFor(c.live); got != c.want {
			t.Errorf("memoryLimitFor(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// TestFollowLiveHeap: as the live heap grows past half the default limit the limit follows it
// up, and back down when it shrinks; changes of a sixteenth or less leave it alone.
func TestFollowLiveHeap(t *testing.T) {
	lives := []uint64{10 << 20, 30 << 20, 60 << 20, 61 << 20, 100 << 20, 20 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var set []int64
	read := 0
	done := make(chan struct{})
	go func() {
		followLiveHeap(ctx, time.Millisecond, func() uint64 {
			mu.Lock()
			defer mu.Unlock()
			if read == len(lives) {
				cancel()
				return lives[len(lives)-1]
			}
			read++
			return lives[read-1]
		}, func(l int64) int64 {
			mu.Lock()
			defer mu.Unlock()
			set = append(set, l)
			return 0
		})
		close(done)
	}()
	<-done
	want := []int64{120 << 20, 200 << 20, 80 << 20} // 61 MiB is within a sixteenth of 60
	mu.Lock()
	defer mu.Unlock()
	if len(set) != len(want) {
		t.Fatalf("limits set: %v, want %v", set, want)
	}
	for i := range want {
		if set[i] != want[i] {
			t.Fatalf("limits set: %v, want %v", set, want)
		}
	}
}

// TestDefaultMemoryTuning: the limit follows the heap only when the environment sets neither
// GOGC nor GOMEMLIMIT.
func TestDefaultMemoryTuning(t *testing.T) {
	for env, want := range map[string]bool{"": true, "GOGC": false, "GOMEMLIMIT": false} {
		got := defaultMemoryTuning(func(k string) string {
			if k == env {
				return "100"
			}
			return ""
		})
		if got != want {
			t.Errorf("with %q set: %v, want %v", env, got, want)
		}
	}
	keep := make([]byte, 4<<20)
	runtime.GC()
	if l := liveHeap(); l < uint64(len(keep)) {
		t.Errorf("liveHeap() = %d after a collection that found %d bytes live", l, len(keep))
	}
	runtime.KeepAlive(keep)
}
