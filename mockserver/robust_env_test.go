package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// The robustness tests (robust_*_test.go) share this environment: a mock with accounts A and B
// on an httptest server, fixtures in both accounts, and two ways in, both checked against
// openapi.yaml by a conformance transport: over TCP, and straight into the handler for requests
// net/http's client refuses to send (control characters in header values).

// robEnv is a mock with fixtures for the robustness tests.
type robEnv struct {
	t    *testing.T
	srv  *mockserver.Server
	http *httptest.Server
	// wire sends over TCP, direct calls the handler in process; both validate against the spec.
	wire, direct *conformance.Transport
	client       *http.Client // over wire, redirects not followed

	existing, second uuid.UUID // account A's verifications "existing" and "second"
	pending, done    uuid.UUID // account A's sessions: pending, and completed
	otherAccount     uuid.UUID // account B's verification "b-own"

	mu         sync.Mutex
	violations []conformance.Violation // response violations not yet checked
}

// robHandlerRT serves each request with a handler, in process.
type robHandlerRT struct{ h http.Handler }

func (rt robHandlerRT) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// robHooklessFull is apiFullConfig without its webhook (whose example host would be dialled when
// a session completes).
func robHooklessFull() generated.VerificationConfig {
	c := apiFullConfig()
	c.WebhookConfig = nil
	c.VerifierConfigs.FaceRecognition.CollectionId = apiPtr("rob-members")
	return c
}

func newRobEnv(t *testing.T, opts ...mockOption) *robEnv {
	t.Helper()
	o := mockserver.Options{
		Accounts: []mockserver.Account{
			{ID: apiAccountA, APIKeys: []string{apiKeyA1, apiKeyA2}},
			{ID: apiAccountB, APIKeys: []string{apiKeyB}},
		},
		Clock: mockserver.NewFrozenClock(frozenAt), Seed: apiSeed, Version: "test",
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := mockserver.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	e := &robEnv{t: t, srv: srv, http: hs}
	record := conformance.OnViolation(func(v conformance.Violation) {
		if v.Phase == conformance.PhaseResponse {
			e.mu.Lock()
			e.violations = append(e.violations, v)
			e.mu.Unlock()
		}
	})
	if e.wire, err = conformance.NewTransport(hs.Client().Transport, record); err != nil {
		t.Fatal(err)
	}
	if e.direct, err = conformance.NewTransport(robHandlerRT{srv}, record); err != nil {
		t.Fatal(err)
	}
	e.client = &http.Client{Transport: e.wire, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	e.existing = e.mustID(http.MethodPost, "/v1/verification/create", apiKeyA1,
		string(apiMustJSON(t, generated.VerificationInput{Name: "existing", VerificationConfig: robHooklessFull()})), "verificationId")
	e.second = e.mustID(http.MethodPost, "/v1/verification/create", apiKeyA1, `{"name":"second","verificationConfig":{}}`, "verificationId")
	e.otherAccount = e.mustID(http.MethodPost, "/v1/verification/create", apiKeyB, `{"name":"b-own","verificationConfig":{}}`, "verificationId")
	e.pending = e.mustID(http.MethodPost, "/v1/verification/create-session", apiKeyA1, `{"name":"second"}`, "verificationSessionId")
	e.done = e.mustID(http.MethodPost, "/v1/verification/create-session", apiKeyA1, `{"name":"existing"}`, "verificationSessionId")
	if _, err := srv.CompleteSession(e.done, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
		t.Fatal(err)
	}
	e.checkViolations(t)
	return e
}

// call sends a request straight to the handler (no spec check) with the API key and returns the
// status and body.
func (e *robEnv) call(method, target, key, body string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if key != "" {
		req.Header.Set("Authorization", "ApiKey "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// mustID makes a call that must answer 200 and returns the UUID in field of its answer.
func (e *robEnv) mustID(method, target, key, body, field string) uuid.UUID {
	e.t.Helper()
	status, answer := e.call(method, target, key, body)
	var v map[string]any
	if status != http.StatusOK || json.Unmarshal(answer, &v) != nil {
		e.t.Fatalf("%s %s: %d %s", method, target, status, answer)
	}
	id, err := uuid.Parse(fmt.Sprint(v[field]))
	if err != nil {
		e.t.Fatalf("%s %s: %s is not a UUID in %s", method, target, field, answer)
	}
	return id
}

// checkViolations fails t for every response violation since the last check.
func (e *robEnv) checkViolations(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	vs := e.violations
	e.violations = nil
	e.mu.Unlock()
	for _, v := range vs {
		t.Errorf("the answer breaks openapi.yaml: %s", v)
	}
}

// robSnapshot is everything a rejected request must leave as it was.
type robSnapshot struct {
	ListA, ListB           string
	Existing, Second       string
	Pending, Done          string
	Collections            string
	Subjects, Faults, Hook int
	Clock                  time.Time
}

func (e *robEnv) snapshot(t *testing.T) robSnapshot {
	t.Helper()
	get := func(target, key string) string {
		status, body := e.call(http.MethodGet, target, key, "")
		if status != http.StatusOK {
			t.Fatalf("snapshot: GET %s: %d %s", target, status, body)
		}
		return string(body)
	}
	faces, err := json.Marshal(e.srv.FaceCollections())
	if err != nil {
		t.Fatal(err)
	}
	return robSnapshot{
		ListA:       get("/v1/verification/get-all", apiKeyA1),
		ListB:       get("/v1/verification/get-all", apiKeyB),
		Existing:    get("/v1/verification/get?verificationId="+e.existing.String(), apiKeyA1),
		Second:      get("/v1/verification/get?verificationId="+e.second.String(), apiKeyA1),
		Pending:     get("/v1/verification/get-session-result?verificationSessionId="+e.pending.String(), apiKeyA1),
		Done:        get("/v1/verification/get-session-result?verificationSessionId="+e.done.String(), apiKeyA1),
		Collections: string(faces),
		Subjects:    len(e.srv.QueuedSubjects()),
		Faults:      len(e.srv.Faults()),
		Hook:        len(e.srv.Webhooks()),
		Clock:       e.srv.Clock().Now(),
	}
}

// robAnswer is a response, read.
type robAnswer struct {
	status int
	header http.Header
	body   []byte
}

// expectProblem checks that a is an RFC 9457 problem of a 4xx status: the problem+json type, a
// body that decodes, its status the HTTP status, a title.
func (a robAnswer) expectProblem(t *testing.T, status int) {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d; body %.300s", a.status, status, a.body)
	}
	if a.status < 400 || a.status > 499 {
		t.Fatalf("status %d is not a 4xx", a.status)
	}
	if mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json; body %.300s", a.header.Get("Content-Type"), a.body)
	}
	var p generated.ProblemDetails
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("the problem does not decode: %v; body %.300s", err, a.body)
	}
	if int(p.Status) != a.status || p.Title == "" {
		t.Errorf("problem status %d, title %q; want status %d and a title", p.Status, p.Title, a.status)
	}
}

// do sends req through tr and reads the answer.
func (e *robEnv) do(t *testing.T, tr http.RoundTripper, req *http.Request) robAnswer {
	t.Helper()
	var resp *http.Response
	var err error
	if tr == e.wire {
		resp, err = e.client.Do(req)
	} else {
		resp, err = tr.RoundTrip(req)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	return robAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}

// expectJournal waits (briefly: the journal is written as the handler returns) until the
// journal's newest entry is method path answered with status.
func (e *robEnv) expectJournal(t *testing.T, method, path string, status int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		reqs := e.srv.Requests()
		var last mockserver.RequestRecord
		if len(reqs) > 0 {
			last = reqs[len(reqs)-1]
			if last.Method == method && last.Path == path && last.Status == status {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("the journal's newest entry is %+v, want %s %q answered %d", last, method, path, status)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// robBody builds a request body reader; nil for no body.
func robBody(body string) io.Reader {
	if body == "" {
		return nil
	}
	return bytes.NewReader([]byte(body))
}

// robCtx is a context for requests of the robustness tests, bounded so a hung mock fails the test.
func robCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
