package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHostedStreamKeepsMemoryFlat: a stream of unauthenticated hosted-page requests, each with a
// query string that brings the request line just under 8 KiB, on a verification that takes
// unsigned links (forceSignedInput false), while the clock runs through four retention windows.
// Every request starts (and completes) a session that keeps its custom input. The store holds at
// most the sessions of the last window twice over (store_prune.go), and the heap after GC in the
// second half of the stream grows no higher than in the first: without pruning both would grow
// with every request.
func TestHostedStreamKeepsMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 8,000 requests of 8 KiB")
	}
	const (
		days    = 32 // four retention windows and a bit
		perDay  = 250
		lineMax = 8 << 10
	)
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock, AutoComplete: "pass"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	vid := pruneVerification(t, s, "Open", false)

	// Eight custom input parameters whose values fill the line to just under 8 KiB.
	prefix := "/verification/" + vid + "?"
	frame := len("GET ") + len(prefix) + len(" HTTP/1.1")
	var q strings.Builder
	for i := range 8 {
		fmt.Fprintf(&q, "c%d=%s&", i, strings.Repeat(string(rune('a'+i)), (lineMax-frame-64)/8-4))
	}
	target := prefix + strings.TrimSuffix(q.String(), "&")
	if line := frame + len(target) - len(prefix); line >= lineMax || line < lineMax-128 {
		t.Fatalf("request line of %d bytes, want just under %d", frame+len(target)-len(prefix), lineMax)
	}

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// At most the sessions of the last window and a day (the clock moves a day at a time), and
	// the expired ones the sweep has not reached yet: less than as many again (store_prune.go).
	maxSessions := 2 * (int(SessionRetention/(24*time.Hour)) + 1) * perDay
	var firstHalf, secondHalf uint64
	for day := range days {
		for i := range perDay {
			r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, target+fmt.Sprintf("&n=%d-%d", day, i), nil)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("day %d request %d: %d %.300s", day, i, w.Code, w.Body)
			}
		}
		if n := s.store.sessionCount(); n > maxSessions {
			t.Fatalf("day %d: the store holds %d sessions, want at most %d", day, n, maxSessions)
		}
		h := heap()
		if day < days/2 {
			firstHalf = max(firstHalf, h)
		} else {
			secondHalf = max(secondHalf, h)
		}
		if err := clock.Advance(24 * time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("heap after GC: at most %.1f MB in the first half, %.1f MB in the second; %d sessions held at the end",
		float64(firstHalf)/1e6, float64(secondHalf)/1e6, s.store.sessionCount())
	// Without pruning the second half's heap ends about twice the first's (as many sessions
	// again, each keeping about 8 KB); with it the two peaks are alike.
	if secondHalf > firstHalf+firstHalf/4 {
		t.Errorf("heap after GC grew from %.1f MB (first half) to %.1f MB (second half)", float64(firstHalf)/1e6, float64(secondHalf)/1e6)
	}
}
