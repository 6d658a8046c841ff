package mockserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
