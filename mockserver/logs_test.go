package mockserver_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// logBuffer collects a mock's JSON log lines; the webhook worker writes to it too.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines are the log lines so far, decoded.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// text is everything logged so far.
func (b *logBuffer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// find is the first line with msg whose attributes include every pair of want.
func (b *logBuffer) find(t *testing.T, msg string, want map[string]any) map[string]any {
	t.Helper()
	for _, l := range b.lines(t) {
		if l["msg"] != msg {
			continue
		}
		ok := true
		for k, v := range want {
			if l[k] != v {
				ok = false
			}
		}
		if ok {
			return l
		}
	}
	t.Fatalf("no %q line with %v in the log:\n%s", msg, want, b.text())
	return nil
}

// newLoggedMock is a test mock logging at level into the returned buffer.
func newLoggedMock(t *testing.T, level slog.Level) (*testMock, *logBuffer) {
	logs := &logBuffer{}
	m := newMock(t, func(o *mockserver.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	})
	return m, logs
}

// TestLogRefusedRequestSaysWhy: a 4xx line carries the problem's detail and its fields and rules.
func TestLogRefusedRequestSaysWhy(t *testing.T) {
	m, logs := newLoggedMock(t, slog.LevelInfo)
	r := m.send(http.MethodPost, "/v1/verification/create", []byte(`{"name":""}`))
	p := r.problem(t, http.StatusBadRequest)
	id := r.header.Get("X-Request-Id")
	line := logs.find(t, "request", map[string]any{"id": id})
	if line["status"] != float64(400) || line["detail"] != apiDetailOf(p) || line["detail"] == "" {
		t.Errorf("request line %v, want status 400 and detail %q", line, apiDetailOf(p))
	}
	errs, _ := line["errors"].(string)
	for field, rules := range apiErrorsOf(p) {
		if !strings.Contains(errs, field+": "+rules[0]) {
			t.Errorf("request line's errors %q do not name %s: %s", errs, field, rules[0])
		}
	}
	if _, ok := line["requestBody"]; ok {
		t.Errorf("at info level the line has a body: %v", line)
	}
	// The journal keeps the same reason.
	rec := journalEntry(t, m, id)
	if rec.Detail != apiDetailOf(p) || len(rec.Errors) == 0 || rec.RequestBody != `{"name":""}` {
		t.Errorf("journal entry %+v, want the detail %q, its errors and the body", rec, apiDetailOf(p))
	}
	for field := range apiErrorsOf(p) {
		if len(rec.Errors[field]) == 0 {
			t.Errorf("journal entry's errors %v lack %s", rec.Errors, field)
		}
	}
}

// journalEntry is the journal's entry for the request with id.
func journalEntry(t *testing.T, m *testMock, id string) mockserver.RequestRecord {
	t.Helper()
	for _, r := range m.srv.Requests() {
		if r.RequestID == id {
			return r
		}
	}
	t.Fatalf("no journal entry has request id %q", id)
	return mockserver.RequestRecord{}
}

// TestLogWarningCarriesRequestID: a warning line names its request, and the request line and
// the journal carry the warning.
func TestLogWarningCarriesRequestID(t *testing.T) {
	m, logs := newLoggedMock(t, slog.LevelInfo)
	r := m.send(http.MethodGet, "/V1/healthz", nil)
	warning := r.header.Get("X-Mock-Warning")
	if r.status != http.StatusOK || warning == "" {
		t.Fatalf("GET /V1/healthz: %d, warning %q", r.status, warning)
	}
	id := r.header.Get("X-Request-Id")
	logs.find(t, warning, map[string]any{"level": "WARN", "id": id})
	logs.find(t, "request", map[string]any{"id": id, "warning": warning})
	if rec := journalEntry(t, m, id); rec.Warning != warning {
		t.Errorf("journal warning %q, want %q", rec.Warning, warning)
	}
}

// TestLogDebugShowsBodiesRedacted: at debug level the request line has both bodies, with the
// token and the API key the client sent hidden.
func TestLogDebugShowsBodiesRedacted(t *testing.T) {
	m, logs := newLoggedMock(t, slog.LevelDebug)
	tok := m.send(http.MethodGet, "/v1/token/get", nil)
	var issued struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(tok.body, &issued); err != nil || issued.Token == "" {
		t.Fatalf("token: %v %s", err, tok.body)
	}
	body := `{"queryString":"a=1&reSignature=` + strings.Repeat("f", 64) + `","apiKey":"` + apiKeyA1 + `"}`
	r := m.send(http.MethodPost, "/v1/signature/validate", []byte(body))

	line := logs.find(t, "request", map[string]any{"id": tok.header.Get("X-Request-Id")})
	if got, _ := line["responseBody"].(string); !strings.Contains(got, `"token":"[redacted]"`) {
		t.Errorf("token's responseBody %q, want the token redacted", got)
	}
	line = logs.find(t, "request", map[string]any{"id": r.header.Get("X-Request-Id")})
	want := `{"queryString":"a=1&reSignature=[redacted]","apiKey":"[redacted]"}`
	if line["requestBody"] != want {
		t.Errorf("requestBody %q, want %q", line["requestBody"], want)
	}
	if got, _ := line["responseBody"].(string); got == "" {
		t.Errorf("no responseBody in %v", line)
	}
	for _, secret := range []string{issued.Token, apiKeyA1, strings.Repeat("f", 64)} {
		if strings.Contains(logs.text(), secret) {
			t.Errorf("the log shows %q", secret)
		}
	}
}

// TestLogWebhookAttempts: every attempt has a line with its outcome, status, attempt number and
// duration, and the receiver's URL without its credentials.
func TestLogWebhookAttempts(t *testing.T) {
	m, logs := newLoggedMock(t, slog.LevelInfo)
	hook := newWebhookReceiver(t, http.StatusInternalServerError) // then 200
	url := strings.Replace(hook.URL, "http://", "http://hookuser:hookpass@", 1) + "/hook"
	id := resStartSession(t, m.A, generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
		WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: &url},
	})
	m.complete(id, mockserver.SubjectSpec{Preset: "pass"})
	resWaitWebhooks(t, m.srv)
	safe := hook.URL + "/hook"
	failed := logs.find(t, "webhook attempt failed", map[string]any{"level": "WARN", "attempt": float64(1), "status": float64(500), "url": safe, "account": apiAccountA})
	delivered := logs.find(t, "webhook delivered", map[string]any{"level": "INFO", "attempt": float64(2), "status": float64(200), "url": safe, "account": apiAccountA})
	for _, l := range []map[string]any{failed, delivered} {
		if _, ok := l["duration"].(float64); !ok || l["session"] != id.String() {
			t.Errorf("webhook line %v, want its duration and session %s", l, id)
		}
	}
	if e, _ := failed["error"].(string); !strings.Contains(e, "500") {
		t.Errorf("failed attempt's error %q, want the receiver's status", e)
	}
	if strings.Contains(logs.text(), "hookpass") {
		t.Error("the log shows the webhook URL's password")
	}
}

// TestLogHostedPageCarriesAccount: a hosted-page line names the account of its verification,
// and a refused one says what the page said.
func TestLogHostedPageCarriesAccount(t *testing.T) {
	m, logs := newLoggedMock(t, slog.LevelInfo)
	v := m.createVerification(m.B, apiMinimalInput(m.uniqueName("hosted")))
	// The verification requires a signed link (the default), so the unsigned one is refused.
	r := m.send(http.MethodGet, "/verification/"+v.VerificationId.String(), nil, "Authorization", "")
	if r.status != http.StatusForbidden {
		t.Fatalf("hosted page of an unsigned link: %d %s", r.status, r.body)
	}
	id := r.header.Get("X-Request-Id")
	line := logs.find(t, "request", map[string]any{"id": id, "account": apiAccountB, "status": float64(403)})
	if d, _ := line["detail"].(string); !strings.HasPrefix(d, "Signature missing or invalid: ") {
		t.Errorf("hosted line %v, want the page's words as detail", line)
	}
	if rec := journalEntry(t, m, id); rec.Account != apiAccountB || !strings.HasPrefix(rec.Detail, "Signature missing or invalid: ") {
		t.Errorf("hosted journal entry %+v, want account %s and the page's words", rec, apiAccountB)
	}
	bad := m.send(http.MethodPost, "/verification/"+v.VerificationId.String()+"/sessions/not-a-uuid/complete", nil, "Authorization", "")
	line = logs.find(t, "request", map[string]any{"id": bad.header.Get("X-Request-Id")})
	if d, _ := line["detail"].(string); !strings.HasPrefix(d, "Session not found: ") {
		t.Errorf("refused hosted line %v, want the page's words as detail", line)
	}
}

// TestLogRequestLineKeepsItsSource: with a handler that adds the source, a request's line names
// the mock's function that logs it, as Logger.LogAttrs would have, every time.
func TestLogRequestLineKeepsItsSource(t *testing.T) {
	logs := &logBuffer{}
	m := newMock(t, func(o *mockserver.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo, AddSource: true}))
	})
	for range 2 {
		r := m.send(http.MethodGet, "/v1/verification/get-all", nil)
		line := logs.find(t, "request", map[string]any{"id": r.header.Get("X-Request-Id")})
		src, _ := line["source"].(map[string]any)
		if fn, _ := src["function"].(string); !strings.HasSuffix(fn, "mockserver.(*Server).logRequest") || src["line"] == nil {
			t.Errorf("request line's source = %v, want mockserver's logRequest", line["source"])
		}
	}
}
