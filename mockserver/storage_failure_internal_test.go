package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// storageEnv is a mock on a data directory holding a verification ("kept", with a
// face-recognition collection and redirect URLs), a pending session from create-session, a
// pending session the hosted page started, and an unused signed link with a nonce.
type storageEnv struct {
	t                *testing.T
	s                *Server
	kept             uuid.UUID
	apiSession       uuid.UUID
	hostedSession    uuid.UUID
	hostedToken      string // the camera page's token for hostedSession
	link, linkNonce  string // a signed link of kept, not opened yet, and its nonce
	unsignedLinkOpen string // the path and query of an unsigned link of kept
}

const storageKeptBody = `{"name":"kept","verificationConfig":{` +
	`"verifierConfigs":{"faceRecognition":{"type":"DuplicateVerification","collectionId":"members"}},` +
	`"securityConfig":{"forceSignedInput":false},` +
	`"redirectConfig":{"passedUrl":"https://example.com/ok","failedUrl":"https://example.com/no"}}}`

func newStorageEnv(t *testing.T) *storageEnv {
	t.Helper()
	s, err := New(Options{DataDir: t.TempDir(), Seed: 5, Clock: NewFrozenClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	e := &storageEnv{t: t, s: s}
	e.kept = e.mustID(http.MethodPost, "/v1/verification/create", storageKeptBody, "verificationId")
	e.apiSession = e.mustID(http.MethodPost, "/v1/verification/create-session", `{"name":"kept"}`, "verificationSessionId")
	// A session on the camera page: no subject is queued, so the hosted page waits for one.
	e.unsignedLinkOpen = "/verification/" + e.kept.String() + "?userId=u1"
	w := e.serve(http.MethodGet, e.unsignedLinkOpen, "", "")
	m := regexp.MustCompile(`/sessions/([0-9a-f-]{36})/complete`).FindStringSubmatch(w.Body.String())
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("open the hosted link: %d %s", w.Code, w.Body)
	}
	e.hostedSession = uuid.MustParse(m[1])
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(w.Body.String())
	if tok == nil {
		t.Fatalf("the camera page has no token: %s", w.Body)
	}
	e.hostedToken = tok[1]
	w = e.serve(http.MethodPost, "/v1/signature/create",
		`{"queryString":"userId=u2","securitySettings":{"expirationEnabled":true,"expirationInSeconds":3600,"enableNonce":true}}`, "application/json")
	var signed generated.SignedQuery
	if err := json.Unmarshal(w.Body.Bytes(), &signed); w.Code != http.StatusOK || err != nil || signed.Nonce == nil {
		t.Fatalf("create a signed link: %d %s", w.Code, w.Body)
	}
	e.link, e.linkNonce = signed.SignedQueryString, *signed.Nonce
	return e
}

// serve sends a request straight to the mock, with the development account's API key on the
// Service API's paths.
func (e *storageEnv) serve(method, target, body, contentType string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequestWithContext(context.Background(), method, target, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if strings.HasPrefix(target, "/v1/") {
		req.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	}
	w := httptest.NewRecorder()
	e.s.ServeHTTP(w, req)
	return w
}

func (e *storageEnv) mustID(method, target, body, field string) uuid.UUID {
	e.t.Helper()
	w := e.serve(method, target, body, "application/json")
	var v map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &v) != nil {
		e.t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
	}
	id, err := uuid.Parse(v[field].(string))
	if err != nil {
		e.t.Fatalf("%s %s: %s", method, target, w.Body)
	}
	return id
}

// state is everything the API and the control API show of the mock's data.
func (e *storageEnv) state() string {
	e.t.Helper()
	var b strings.Builder
	for _, target := range []string{
		"/v1/verification/get-all",
		"/v1/verification/get?verificationId=" + e.kept.String(),
		"/v1/verification/get-session-result?verificationSessionId=" + e.apiSession.String(),
		"/v1/verification/get-session-result?verificationSessionId=" + e.hostedSession.String(),
	} {
		w := e.serve(http.MethodGet, target, "", "")
		if w.Code != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
		}
		b.WriteString(target + " → " + w.Body.String() + "\n")
	}
	collections, err := json.Marshal(e.s.FaceCollections())
	if err != nil {
		e.t.Fatal(err)
	}
	b.WriteString("collections → " + string(collections) + "\n")
	if e.s.store.nonceUsed(DevAccountID, e.linkNonce) {
		b.WriteString("the signed link's nonce is used\n")
	}
	return b.String()
}

// TestStorageFailureOnEveryWrite: when the data directory cannot be written, every operation
// that writes answers 503 with a detail that says so (a problem on the Service API and the
// control API, the error page on the hosted page), never a 404 or 409, and changes nothing.
// Delete once answered 404 "no verification …" here while the verification stayed readable.
func TestStorageFailureOnEveryWrite(t *testing.T) {
	type request struct{ method, target, body, contentType string }
	cases := []struct {
		name string
		req  func(e *storageEnv) request
		page bool // the hosted page answers HTML, not a problem
	}{
		{"create", func(*storageEnv) request {
			return request{http.MethodPost, "/v1/verification/create", `{"name":"new","verificationConfig":{}}`, "application/json"}
		}, false},
		{"create-or-update, creating", func(*storageEnv) request {
			return request{http.MethodPost, "/v1/verification/create-or-update", `{"name":"new","verificationConfig":{}}`, "application/json"}
		}, false},
		{"create-or-update, updating", func(*storageEnv) request {
			return request{http.MethodPost, "/v1/verification/create-or-update", `{"name":"kept","verificationConfig":{}}`, "application/json"}
		}, false},
		{"update", func(e *storageEnv) request {
			return request{http.MethodPut, "/v1/verification/update",
				`{"verificationId":"` + e.kept.String() + `","name":"renamed","verificationConfig":{}}`, "application/json"}
		}, false},
		{"delete", func(e *storageEnv) request {
			return request{http.MethodDelete, "/v1/verification/delete?verificationId=" + e.kept.String(), "", ""}
		}, false},
		{"create-session", func(*storageEnv) request {
			return request{http.MethodPost, "/v1/verification/create-session", `{"name":"kept"}`, "application/json"}
		}, false},
		{"control: complete a session (its face goes into a collection)", func(e *storageEnv) request {
			return request{http.MethodPost, "/_mock/sessions/" + e.apiSession.String() + "/complete", `{"preset":"pass"}`, "application/json"}
		}, false},
		{"control: reset", func(*storageEnv) request {
			return request{http.MethodPost, "/_mock/reset", "", "application/json"}
		}, false},
		{"hosted page: start a session from an unsigned link", func(e *storageEnv) request {
			return request{http.MethodGet, e.unsignedLinkOpen, "", ""}
		}, true},
		{"hosted page: start a session from a link with a nonce", func(e *storageEnv) request {
			return request{http.MethodGet, "/verification/" + e.kept.String() + "?" + e.link, "", ""}
		}, true},
		{"hosted page: complete the camera page's session", func(e *storageEnv) request {
			target := "/verification/" + e.kept.String() + "/sessions/" + e.hostedSession.String() + "/complete"
			return request{http.MethodPost, target, url.Values{"preset": {"pass"}, "face": {"alice"}, "token": {e.hostedToken}}.Encode(), "application/x-www-form-urlencoded"}
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newStorageEnv(t)
			before := e.state()
			if err := e.s.store.disk.db.Close(); err != nil { // the data directory goes away
				t.Fatal(err)
			}
			req := tc.req(e)
			w := e.serve(req.method, req.target, req.body, req.contentType)
			if w.Code != http.StatusServiceUnavailable {
				t.Errorf("%s %s: %d, want 503; body %.400s", req.method, req.target, w.Code, w.Body)
			}
			if tc.page {
				if !strings.Contains(w.Body.String(), "could not write its data directory; nothing was changed") {
					t.Errorf("the page does not say the data directory failed: %.600s", w.Body)
				}
			} else {
				expectStorageProblem(t, w)
			}
			if after := e.state(); after != before {
				t.Errorf("a failed write changed the state:\nbefore\n%s\nafter\n%s", before, after)
			}
		})
	}
}

// TestStorageFailureInTheGoAPI: CompleteSession and Reset report a storage failure as one, not as
// a missing or completed session, and change nothing.
func TestStorageFailureInTheGoAPI(t *testing.T) {
	e := newStorageEnv(t)
	before := e.state()
	if err := e.s.store.disk.db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.CompleteSession(e.apiSession, SubjectSpec{Preset: "pass"})
	if !errors.Is(err, errStorage) || errors.Is(err, ErrSessionNotFound) || errors.Is(err, ErrSessionCompleted) {
		t.Errorf("CompleteSession with a failing data directory: %v, want a storage failure", err)
	}
	if err := e.s.Reset(); !errors.Is(err, errStorage) {
		t.Errorf("Reset with a failing data directory: %v, want a storage failure", err)
	}
	if after := e.state(); after != before {
		t.Errorf("a failed write changed the state:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// expectStorageProblem checks that w is the API's 503 problem for a storage failure.
func expectStorageProblem(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", w.Header().Get("Content-Type"))
	}
	var p generated.ProblemDetails
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("the problem does not decode: %v; %s", err, w.Body)
	}
	const want = "storage: the mock could not write its data directory; nothing was changed"
	if p.Status != http.StatusServiceUnavailable || p.Detail == nil || *p.Detail != want || p.Errors != nil {
		t.Errorf("problem %s, want status 503, detail %q and no field errors", w.Body, want)
	}
}
