package mockserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestFailedWriteChangesNothing: when the data directory cannot be written, the API answers 503
// and neither memory nor disk changes: nothing is half-applied.
func TestFailedWriteChangesNothing(t *testing.T) {
	s, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	post := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/verification/create", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	if w := post(`{"name":"kept","verificationConfig":{}}`); w.Code != http.StatusOK {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if err := s.store.disk.db.Close(); err != nil { // the disk goes away
		t.Fatal(err)
	}
	w := post(`{"name":"lost","verificationConfig":{}}`)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "nothing was changed") {
		t.Errorf("create with a failing disk: %d %s, want 503", w.Code, w.Body)
	}
	names := []string{}
	for _, v := range s.store.listVerifications(DevAccountID) {
		names = append(names, v.name)
	}
	if strings.Join(names, ",") != "kept" {
		t.Errorf("verifications after a failed write: %v, want only the one before", names)
	}
	if _, err := s.store.verificationByName(DevAccountID, "lost"); err == nil {
		t.Error("the failed create left its name taken")
	}
}

// TestLoadedTimesAreWholeTicks: a data directory written with nanosecond times (as versions
// before the clock kept to .NET's 100 ns ticks wrote them) answers with at most 7 fractional
// digits after a restart.
func TestLoadedTimesAreWholeTicks(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// 123456789 ns is 1234567 whole ticks of 100 ns and 89 ns more; .NET keeps the ticks, so the
	// stamp reads .1234567 (derived by hand).
	at := time.Date(2026, 2, 8, 11, 34, 54, 123456789, time.UTC)
	const want = "2026-02-08T11:34:54.1234567Z"
	v := &verificationRecord{id: uuid.MustParse("39e00c96-6431-4b2e-8707-2fb80e561fbf"), name: "Old", created: at, lastModified: at, seq: 1}
	if err := s.store.disk.write([]op{verificationOp(DevAccountID, v)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/verification/get-all", nil)
	r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if body := w.Body.String(); w.Code != http.StatusOK || strings.Count(body, `"`+want+`"`) != 2 {
		t.Errorf("get-all: %d %s; want created and lastModified %s", w.Code, body, want)
	}
}
