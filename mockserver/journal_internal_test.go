package mockserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestJournalBoundedInBytes: the journal keeps entries while their sizes add up to at most
// journalMaxBytes; one more drops the oldest first. An entry larger than the whole bound is
// still kept, alone, so the latest request is always there.
func TestJournalBoundedInBytes(t *testing.T) {
	j := newJournal()
	quarter := journalMaxBytes / 4
	for i := range 4 {
		j.add(&journalEntry{rec: RequestRecord{RequestID: string(rune('a' + i))}, size: quarter})
	}
	ids := func() string {
		var b strings.Builder
		for _, r := range j.list() {
			b.WriteString(r.RequestID)
		}
		return b.String()
	}
	if got := ids(); got != "abcd" || j.bytes != journalMaxBytes {
		t.Fatalf("at the bound: %q, %d bytes; want abcd, %d", got, j.bytes, journalMaxBytes)
	}
	j.add(&journalEntry{rec: RequestRecord{RequestID: "e"}, size: 1})
	if got := ids(); got != "bcde" || j.bytes != 3*quarter+1 {
		t.Errorf("one byte past the bound: %q, %d bytes; want bcde (the oldest dropped)", got, j.bytes)
	}
	j.add(&journalEntry{rec: RequestRecord{RequestID: "f"}, size: journalMaxBytes + 1})
	if got := ids(); got != "f" {
		t.Errorf("an entry past the whole bound: %q, want it alone", got)
	}
	j.clearAccount("")
	if j.bytes != 0 || len(j.list()) != 0 {
		t.Errorf("after clearing: %d bytes, %d entries", j.bytes, len(j.list()))
	}
}

// TestJournalCutsLongPathsAndErrors: a request with a 60 KB path is journaled with its path cut
// at journalText bytes (with its size given), so 1000 of them hold about 1 MB, not 60; a problem
// with thousands of field errors keeps journalErrors bytes of them and counts the rest.
func TestJournalCutsLongPathsAndErrors(t *testing.T) {
	s, err := New(Options{Clock: NewFrozenClock(pruneStart)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := "/v1/" + strings.Repeat("p", 60_000)
	for range journalLimit {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, path, nil)
		r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
		s.ServeHTTP(httptest.NewRecorder(), r)
	}
	recs := s.Requests()
	if len(recs) != journalLimit {
		t.Fatalf("journal holds %d entries, want %d", len(recs), journalLimit)
	}
	if p := recs[0].Path; len(p) > journalText+50 || !strings.HasPrefix(p, "/v1/ppp") || !strings.HasSuffix(p, "of 60004 bytes]") {
		t.Errorf("journaled path: %d bytes ending %q, want it cut at %d with its size", len(p), p[max(0, len(p)-30):], journalText)
	}
	if s.journal.bytes > journalLimit*(journalEntryOverhead+2*journalText+2*bodyLimit) {
		t.Errorf("journal counts %d bytes for %d requests with long paths", s.journal.bytes, journalLimit)
	}

	errs := map[string][]string{}
	for i := range 5000 {
		errs["field"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i)] = []string{"is not a field of the spec (strict mode)"}
	}
	e := newJournalEntry(RequestRecord{Errors: errs}, capture{}, capture{})
	if n := errorsSize(e.rec.Errors); n > journalErrors+100 || len(e.rec.Errors["…"]) != 1 {
		t.Errorf("journaled errors: %d bytes, %d fields, count %v; want at most about %d bytes and the rest counted", n, len(e.rec.Errors), e.rec.Errors["…"], journalErrors)
	}
}
