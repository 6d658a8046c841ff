package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestNextWithPathIsNextAndACopy: nextWithPath gives the ids next gives, in the same order, and
// a copy of the path when the journal keeps it whole.
func TestNextWithPathIsNextAndACopy(t *testing.T) {
	a, b := newRequestIDs(3, 9), newRequestIDs(3, 9)
	paths := []string{"", "/", "/v1/healthz", "/v1/verification/get", "/é/x", strings.Repeat("a", journalText-1) + "/",
		"/" + strings.Repeat("b", journalText-1), "/" + strings.Repeat("c", journalText)}
	for i := range 200 {
		p := paths[i%len(paths)]
		want := a.next()
		id, owned := b.nextWithPath(p)
		if id != want {
			t.Fatalf("id %d: %q, next gives %q", i, id, want)
		}
		wantOwned := p
		if len(p) > journalText {
			wantOwned = ""
		}
		if owned != wantOwned {
			t.Fatalf("path %q: copy %q, want %q", p, owned, wantOwned)
		}
	}
}

// TestJournalKeepsTheRequestsPathAndID: the journal records each request's path (cut as
// cutText cuts it) and the X-Request-Id it was answered with, for paths of every length.
func TestJournalKeepsTheRequestsPathAndID(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	paths := []string{"/v1/healthz", "/v1/verification/get", "/V1/Healthz/", "/nowhere", "/x/" + strings.Repeat("é", journalText/2-2),
		"/y/" + strings.Repeat("z", journalText-3), "/y/" + strings.Repeat("z", journalText-2), "/w/" + strings.Repeat("é", journalText)}
	var ids []string
	for _, p := range paths {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, p+"?verificationId=x", nil)
		r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
		s.ServeHTTP(w, r)
		ids = append(ids, w.Header().Get("X-Request-Id"))
	}
	got := s.Requests()
	if len(got) != len(paths) {
		t.Fatalf("%d requests journaled, want %d", len(got), len(paths))
	}
	for i, rec := range got {
		if want := cutText(paths[i], journalText); rec.Path != want {
			t.Errorf("request %d: path %q, want %q", i, rec.Path, want)
		}
		if rec.RequestID != ids[i] || len(ids[i]) != 16 {
			t.Errorf("request %d: journaled id %q, answered with %q", i, rec.RequestID, ids[i])
		}
	}
}

// TestSharedContentTypes: the answers that share a Content-Type slice carry the right type,
// a handler's Add after it leaves the shared slice as it was, and the slices stay one value.
func TestSharedContentTypes(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct{ target, want string }{
		{"/v1/healthz", "text/plain"},
		{"/v1/verification/get-all", "application/json"},
		{"/v1/verification/get?verificationId=x", "application/problem+json"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
		s.ServeHTTP(w, r)
		if got := w.Result().Header["Content-Type"]; len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: Content-Type %q, want %q", c.target, got, c.want)
		}
	}
	h := http.Header{}
	h["Content-Type"] = jsonContentType
	h.Add("Content-Type", "text/html")
	for _, c := range []struct {
		v    []string
		want string
	}{{jsonContentType, "application/json"}, {textContentType, "text/plain"}, {problemContentType, "application/problem+json"}} {
		if len(c.v) != 1 || cap(c.v) != 1 || c.v[0] != c.want {
			t.Errorf("shared Content-Type %q (capacity %d), want [%s] with capacity 1", c.v, cap(c.v), c.want)
		}
	}
}
