package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The default soft memory limit (defaultMemoryLimit) keeps a mock with little state under about
// 90 MiB while GOGC=400 lets the heap grow to five times its live data. A fixed limit would turn
// on a mock whose live data grows near it (a few hundred thousand stored sessions): the collector
// would run almost without pause to hold a limit the live data nearly fills, and every request
// would wait for it (the load benchmark measured create-session at half its speed and a p99 five
// times the reference's). So the limit follows the live heap: defaultMemoryLimit while the live
// data is under half of it, twice the live data above that, which lets the heap grow by as much
// as the live data between collections, as Go's default GOGC=100 does.

// liveHeapInterval is how often the limit is brought in line with the live heap.
const liveHeapInterval = 250 * time.Millisecond

// memoryLimitFor is the soft memory limit for live bytes of live heap; see above.
func memoryLimitFor(live uint64) int64 {
	return max(defaultMemoryLimit, 2*int64(min(live, 1<<61)))
}

// defaultMemoryTuning reports whether the mock sets its own collector settings: neither GOGC nor
// GOMEMLIMIT is set.
func defaultMemoryTuning(getenv func(string) string) bool {
	return getenv("GOGC") == "" && getenv("GOMEMLIMIT") == ""
}

// followLiveHeap sets the soft memory limit to memoryLimitFor the live heap, read every interval
// until ctx ends. It changes the limit only when the new one differs by more than a sixteenth, so
// a steady heap leaves it alone.
func followLiveHeap(ctx context.Context, interval time.Duration, readLive func() uint64, setLimit func(int64) int64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	current := int64(defaultMemoryLimit)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		want := memoryLimitFor(readLive())
		if diff := want - current; diff > current/16 || -diff > current/16 {
			setLimit(want)
			current = want
		}
	}
}

// liveHeap is the heap the last garbage collection found live (runtime/metrics).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// setMemoryLimit is debug.SetMemoryLimit, for followLiveHeap.
var setMemoryLimit = debug.SetMemoryLimit
