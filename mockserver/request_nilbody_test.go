package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestNilBodyIsABadRequest: code that calls ServeHTTP directly may leave Body nil; that is a
// missing body (400), not a panic.
func TestNilBodyIsABadRequest(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequest(http.MethodPost, "/v1/signature/create", nil)
	r.Body = nil
	r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "body: is required") {
		t.Errorf("nil body: %d %s", w.Code, w.Body)
	}
}
