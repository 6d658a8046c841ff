package mockserver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The request journal and the webhook log are rings: however long the mock runs, they keep the
// last journalLimit requests and webhookLogLimit attempts, so memory stays flat. The normal test
// run checks the bound with 20,000 requests; VERIFEYE_LONG=1 sends 1,000,000 and checks that the
// heap after them is no bigger than after the first 100,000 (give it a few minutes):
//
//	VERIFEYE_LONG=1 go test -run TestLongRunHeapStaysFlat -v -timeout 30m ./mockserver/

// boundedMix is a mix of requests that leave the store as it is (reads, signatures, errors),
// so whatever memory grows is the mock's own bookkeeping.
func boundedMix(e *benchEnv) []*benchRequest {
	reqs := []*benchRequest{
		newBenchRequest("GET", "/v1/healthz", "", ""),
		newBenchRequest("GET", "/v1/verification/get-all", "", e.auth),
		newBenchRequest("GET", "/v1/verification/get?verificationId="+e.verificationID.String(), "", e.auth),
		newBenchRequest("GET", "/v1/verification/get-session-result?verificationSessionId="+e.sessionID.String(), "", e.auth),
		newBenchRequest("POST", "/v1/signature/create", `{"queryString":"userId=User123","securitySettings":{"enableNonce":true}}`, e.auth),
		newBenchRequest("POST", "/v1/signature/validate", `{"queryString":"`+e.signed+`"}`, e.auth),
		newBenchRequest("GET", "/v1/verification/get?verificationId=nope", "", e.auth),
		newBenchRequest("GET", "/v1/verification/get-all", "", ""),
		newBenchRequest("GET", "/no/such/path", "", ""),
	}
	return reqs
}

// sendBounded sends n requests of the mix and, every webhookEvery requests, a webhook event to
// hook (the webhook log records every attempt).
func sendBounded(t testing.TB, e *benchEnv, reqs []*benchRequest, from, n, webhookEvery int, hook string) {
	t.Helper()
	w := newBenchWriter()
	w.keep = false
	for i := from; i < from+n; i++ {
		w.reset()
		e.s.ServeHTTP(w, reqs[i%len(reqs)].get())
		if w.code == 0 || w.code >= 500 {
			t.Fatalf("request %d: status %d", i, w.code)
		}
		if webhookEvery > 0 && i%webhookEvery == 0 {
			e.s.webhooks.send(hook, DevAPIKey, e.sessionID.String(), DevAccountID)
		}
	}
}

func newHookReceiver(t testing.TB) string {
	t.Helper()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	return hook.URL + "/hook"
}

func TestJournalAndWebhookLogStayBounded(t *testing.T) {
	e := newBenchEnv(t, Options{})
	hook := newHookReceiver(t)
	reqs := boundedMix(e)
	sendBounded(t, e, reqs, 0, 20_000, 10, hook)
	if err := e.s.WaitWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(e.s.Requests()); got != journalLimit {
		t.Errorf("journal holds %d requests after 20,000, want %d", got, journalLimit)
	}
	if got := cap(e.s.journal.entries); got > 4*journalLimit {
		t.Errorf("journal has %d slots, want at most %d", got, 4*journalLimit)
	}
	if got := len(e.s.Webhooks()); got != webhookLogLimit {
		t.Errorf("webhook log holds %d attempts after 2,000 events, want %d", got, webhookLogLimit)
	}
	// The journal keeps the most recent requests, in order.
	last := e.s.Requests()[journalLimit-1]
	if want := reqs[(20_000-1)%len(reqs)].tmpl.URL.Path; last.Path != want {
		t.Errorf("last journal entry is %s, want %s", last.Path, want)
	}
}

func TestLongRunHeapStaysFlat(t *testing.T) {
	if os.Getenv("VERIFEYE_LONG") != "1" {
		t.Skip("set VERIFEYE_LONG=1 to send 1,000,000 requests")
	}
	e := newBenchEnv(t, Options{})
	hook := newHookReceiver(t)
	reqs := boundedMix(e)
	const warm, total, every = 100_000, 1_000_000, 100
	start := time.Now()
	sendBounded(t, e, reqs, 0, warm, every, hook)
	if err := e.s.WaitWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	heapWarm, rssWarm := heapInuse(), vmRSS()
	sendBounded(t, e, reqs, warm, total-warm, every, hook)
	if err := e.s.WaitWebhooks(t.Context()); err != nil {
		t.Fatal(err)
	}
	heapEnd, rssEnd := heapInuse(), vmRSS()
	t.Logf("%d requests (%d webhook events) in %s", total, total/every, time.Since(start).Round(time.Millisecond))
	t.Logf("HeapInuse after %d: %.1f MiB, after %d: %.1f MiB (x%.2f)", warm, mib(heapWarm), total, mib(heapEnd), float64(heapEnd)/float64(heapWarm))
	t.Logf("VmRSS after %d: %.1f MiB, after %d: %.1f MiB", warm, mib(rssWarm), total, mib(rssEnd))
	if len(e.s.Requests()) != journalLimit || len(e.s.Webhooks()) != webhookLogLimit {
		t.Errorf("journal %d, webhook log %d: not at their bounds", len(e.s.Requests()), len(e.s.Webhooks()))
	}
	// A small factor, not equality: the heap after a GC still moves with the allocator's spans.
	if float64(heapEnd) > 1.5*float64(heapWarm) {
		t.Errorf("HeapInuse grew from %.1f MiB to %.1f MiB over %d requests", mib(heapWarm), mib(heapEnd), total-warm)
	}
}

func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// vmRSS is the process's resident set size from /proc/self/status (0 where there is none).
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
