package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// The control API over HTTP. Every control call of these tests goes through a conformance
// transport loaded with control-openapi.yaml, so every answer is also checked against the
// control API's own document.

// ctlEnv is a flow environment plus a validating client for its control API.
type ctlEnv struct {
	*flowEnv
	ctl   *http.Client
	base  string // where the control API is served
	token string // sent as X-Mock-Control-Token unless a call says otherwise
}

func ctlSpecDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(mockserver.ControlSpec())
	if err != nil {
		t.Fatalf("load control-openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("control-openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}
	return doc
}

func newCtlEnv(t *testing.T, opts mockserver.Options) *ctlEnv {
	t.Helper()
	e := newFlowEnv(t, opts)
	c := &ctlEnv{flowEnv: e, base: e.srv.URL, token: opts.ControlToken}
	if opts.SeparateControl {
		cs := httptest.NewServer(e.mock.ControlHandler())
		t.Cleanup(cs.Close)
		c.base = cs.URL
	}
	tr, err := conformance.NewTransport(nil, conformance.WithSpec(ctlSpecDoc(t)), conformance.WithUnroutedProblemSchema(""))
	if err != nil {
		t.Fatal(err)
	}
	c.ctl = &http.Client{Transport: tr}
	t.Cleanup(func() {
		for _, v := range tr.Violations() {
			if v.Phase != conformance.PhaseResponse {
				continue
			}
			t.Errorf("a control API answer breaks control-openapi.yaml: %s", v)
		}
	})
	return c
}

// ctlResp is a raw answer.
type ctlResp struct {
	status int
	header http.Header
	body   []byte
}

// call sends a control request to the control API's address. headers are name, value pairs; an
// empty value removes the header.
func (c *ctlEnv) call(method, path, body string, headers ...string) ctlResp {
	c.t.Helper()
	return ctlSend(c.t, c.ctl, method, c.base+path, body, append([]string{mockserver.ControlTokenHeader, c.token}, headers...)...)
}

func ctlSend(t *testing.T, client *http.Client, method, target, body string, headers ...string) ctlResp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json") // the control API requires it on a change
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return ctlResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// ok checks a 200 JSON answer and decodes it into v (when v is not nil).
func (r ctlResp) ok(t *testing.T, v any) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", r.status, r.body)
	}
	if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type %q, want application/json", r.header.Get("Content-Type"))
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// ctlProblem is a decoded problem details body.
type ctlProblem struct {
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors map[string][]string `json:"errors"`
}

// problem checks an RFC 9457 answer with status and returns it.
func (r ctlResp) problem(t *testing.T, status int) ctlProblem {
	t.Helper()
	var p ctlProblem
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", r.header.Get("Content-Type"))
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != status || p.Title == "" {
		t.Errorf("problem body %s (%v)", r.body, err)
	}
	return p
}

// names reports whether the problem names field in its errors map.
func (p ctlProblem) names(field string) bool { return len(p.Errors[field]) > 0 }

// mentions reports whether text appears in the detail or in any error message.
func (p ctlProblem) mentions(text string) bool {
	if strings.Contains(p.Detail, text) {
		return true
	}
	for _, msgs := range p.Errors {
		for _, m := range msgs {
			if strings.Contains(m, text) {
				return true
			}
		}
	}
	return false
}

func ctlWaitWebhooks(t *testing.T, m *mockserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
}

// ctlPendingSession starts a create-session session with every verifier and returns its id.
func (c *ctlEnv) ctlPendingSession() uuid.UUID {
	c.t.Helper()
	return resStartSession(c.t, c.client, generated.CreateSessionRequest{
		ExternalId: ptrTo("ctl-ext"),
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
			Age:      &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptrTo(int32(18))},
			Gender:   &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
		},
	})
}

// ctlGetAll lists the account's verification names through the Service API.
func (c *ctlEnv) ctlGetAll() []string {
	c.t.Helper()
	resp, err := c.client.GetAllVerificationsWithResponse(context.Background())
	if err != nil || resp.JSON200 == nil {
		c.t.Fatalf("get-all: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	names := []string{}
	for _, v := range resp.JSON200.Verifications {
		names = append(names, v.Name)
	}
	return names
}

func (c *ctlEnv) ctlResultStatus(id uuid.UUID) int {
	c.t.Helper()
	resp, err := c.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode()
}

// --- reset

func TestCtlReset(t *testing.T) {
	for _, via := range []string{"POST /_mock/reset", "Server.Reset"} {
		t.Run(via, func(t *testing.T) {
			c := newCtlEnv(t, mockserver.Options{})
			hook := newWebhookReceiver(t)
			vid := c.createHostedVerification("Gate", hook.URL)
			done := c.ctlPendingSession()
			if _, err := c.mock.CompleteSession(done, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
				t.Fatal(err)
			}
			pending := c.ctlPendingSession()
			link := c.sign("u=1", true, 3600)
			if err := c.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); err != nil {
				t.Fatal(err)
			}
			if resp, _ := c.open(vid, link); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("hosted link: %d", resp.StatusCode)
			}
			if got := c.validate(link); got != generated.NonceAlreadyUsed {
				t.Fatalf("validate = %s", got)
			}
			ctlWaitWebhooks(t, c.mock)
			if err := c.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "spoof"}); err != nil {
				t.Fatal(err)
			}
			if err := c.mock.AddFault(mockserver.Fault{Operation: "GetToken", Status: 503}); err != nil {
				t.Fatal(err)
			}
			before := c.mock.Clock().Now()
			if len(c.mock.Webhooks()) == 0 || len(c.mock.Requests()) == 0 || len(c.mock.FaceCollections()) == 0 {
				t.Fatal("the setup left nothing to reset")
			}

			if via == "Server.Reset" {
				c.mock.Reset()
			} else {
				var body map[string]bool
				c.call(http.MethodPost, "/_mock/reset", "").ok(t, &body)
				if !body["reset"] {
					t.Errorf("reset answered %v", body)
				}
			}

			if got := c.mock.Requests(); len(got) != 0 {
				t.Errorf("journal after reset: %+v", got)
			}
			// The account still authenticates, and has nothing.
			if names := c.ctlGetAll(); len(names) != 0 {
				t.Errorf("get-all after reset: %v", names)
			}
			for _, id := range []uuid.UUID{done, pending} {
				if s := c.ctlResultStatus(id); s != http.StatusNotFound {
					t.Errorf("session result after reset: %d, want 404", s)
				}
			}
			if _, err := c.mock.CompleteSession(pending, mockserver.SubjectSpec{Preset: "pass"}); !errors.Is(err, mockserver.ErrSessionNotFound) {
				t.Errorf("completing a session of before the reset: %v", err)
			}
			if got := c.validate(link); got != generated.Valid {
				t.Errorf("validate after reset = %s, want Valid (nonces forgotten)", got)
			}
			if resp, err := c.client.GetTokenWithResponse(context.Background(), &generated.GetTokenParams{}); err != nil || resp.StatusCode() != http.StatusOK {
				t.Errorf("GetToken after reset (fault cleared): %d", resp.StatusCode())
			}
			var subjects struct {
				Queued []mockserver.SubjectSpec `json:"queued"`
			}
			c.call(http.MethodGet, "/_mock/subjects", "").ok(t, &subjects)
			var faults struct {
				Faults []mockserver.Fault `json:"faults"`
			}
			c.call(http.MethodGet, "/_mock/faults", "").ok(t, &faults)
			var hooks struct {
				Attempts []mockserver.WebhookAttempt `json:"attempts"`
			}
			c.call(http.MethodGet, "/_mock/webhooks", "").ok(t, &hooks)
			if len(subjects.Queued)+len(faults.Faults)+len(hooks.Attempts) != 0 || len(c.mock.QueuedSubjects())+len(c.mock.Faults())+len(c.mock.Webhooks()) != 0 {
				t.Errorf("after reset: subjects %v, faults %v, webhooks %v", subjects.Queued, faults.Faults, hooks.Attempts)
			}
			if got := c.mock.FaceCollections(); len(got) != 0 {
				t.Errorf("collections after reset: %+v", got)
			}
			if now := c.mock.Clock().Now(); !now.Equal(before) {
				t.Errorf("reset moved the clock from %s to %s", before, now)
			}
			// The journal records what comes after.
			if j := c.mock.Requests(); len(j) == 0 || j[0].Operation != "getAllVerifications" {
				t.Errorf("journal after reset and get-all: %+v", j)
			}
		})
	}
}

// --- clock

func TestCtlClock(t *testing.T) {
	type want struct {
		now    time.Time // exact when exact, else a lower bound
		exact  bool
		frozen bool
	}
	t2030 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newCtlEnv(t, mockserver.Options{})
	var last mockserver.ClockState
	// Each step starts where the one before left the clock; sameAsLast wants the time the step
	// before answered, exactly.
	for _, st := range []struct {
		name       string
		body       string // empty: GET
		want       want
		sameAsLast bool
	}{
		{"read", "", want{flowStart, true, true}, false},
		{"advance", `{"advance":"90m"}`, want{flowStart.Add(90 * time.Minute), true, true}, false},
		{"advance backwards", `{"advance":"-30m"}`, want{flowStart.Add(time.Hour), true, true}, false},
		{"set", `{"set":"2030-01-02T03:04:05Z"}`, want{t2030, true, true}, false},
		{"set with an offset", `{"set":"2030-01-02T05:04:05+02:00"}`, want{t2030, true, true}, false},
		{"set then advance", `{"advance":"24h","set":"2030-01-02T03:04:05Z"}`, want{t2030.Add(24 * time.Hour), true, true}, false},
		{"a frozen clock stands still", "", want{t2030.Add(24 * time.Hour), true, true}, false},
		{"unfreeze", `{"freeze":false}`, want{t2030.Add(24 * time.Hour), false, false}, false},
		{"advance a running clock", `{"advance":"1h"}`, want{t2030.Add(25 * time.Hour), false, false}, false},
		{"set a running clock, keep it running", `{"set":"2030-01-02T03:04:05Z"}`, want{t2030, false, false}, false},
		{"freeze a running clock", `{"freeze":true}`, want{t2030, false, true}, false},
		{"it stands still", "", want{}, true},
		{"freeze again changes nothing", `{"freeze":true}`, want{}, true},
		{"advance and unfreeze", `{"advance":"10m","freeze":false}`, want{t2030.Add(10 * time.Minute), false, false}, false},
		{"unfreeze and set", `{"freeze":false,"set":"2031-01-01T00:00:00Z"}`, want{time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), false, false}, false},
	} {
		t.Run(st.name, func(t *testing.T) {
			var got mockserver.ClockState
			if st.body == "" {
				c.call(http.MethodGet, "/_mock/clock", "").ok(t, &got)
			} else {
				c.call(http.MethodPost, "/_mock/clock", st.body).ok(t, &got)
			}
			w := st.want
			if st.sameAsLast {
				w = want{last.Now, true, last.Frozen}
			}
			if got.Frozen != w.frozen || got.Now.Location() != time.UTC {
				t.Errorf("clock %+v, want frozen %v in UTC", got, w.frozen)
			}
			if w.exact && !got.Now.Equal(w.now) || !w.exact && got.Now.Before(w.now) {
				t.Errorf("now = %s, want %s (exact %v)", got.Now, w.now, w.exact)
			}
			// The mock's own time follows: healthz prints it.
			if got.Frozen {
				h, err := c.client.GetHealthWithResponse(context.Background())
				if err != nil || string(h.Body) != got.Now.Format("2006-01-02T15:04:05.0000000Z")+"\n" {
					t.Errorf("healthz %q, want %s", h.Body, got.Now)
				}
			}
			last = got
		})
	}

	t.Run("set and freeze a running clock stop at exactly the time set", func(t *testing.T) {
		for _, tc := range []struct {
			body string
			want time.Time
		}{
			{`{"set":"2030-01-02T03:04:05Z","freeze":true}`, t2030},
			{`{"set":"2030-01-02T03:04:05Z","advance":"2h","freeze":true}`, t2030.Add(2 * time.Hour)},
		} {
			c := newCtlEnv(t, mockserver.Options{Clock: mockserver.NewClock(nil)})
			var got mockserver.ClockState
			c.call(http.MethodPost, "/_mock/clock", tc.body).ok(t, &got)
			if !got.Frozen || !got.Now.Equal(tc.want) {
				t.Errorf("%s: %+v, want frozen at %s", tc.body, got, tc.want)
			}
		}
	})

	t.Run("bad bodies", func(t *testing.T) {
		c := newCtlEnv(t, mockserver.Options{})
		for _, tc := range []struct {
			name, body string
			field      string // named in errors
			mention    string // mentioned in the problem
		}{
			{"empty body", "", "body", ""},
			{"not JSON", "advance: 1h", "body", ""},
			{"no change", `{}`, "body", "advance"},
			{"unknown field", `{"advance":"1h","speed":2}`, "", "speed"},
			{"misspelt field", `{"advence":"1h"}`, "", "advence"},
			{"bad duration", `{"advance":"soon"}`, "advance", "soon"},
			{"duration as a number", `{"advance":3600}`, "advance", ""},
			{"set not RFC 3339", `{"set":"02/01/2030"}`, "set", ""},
			{"freeze not a boolean", `{"freeze":"yes"}`, "", "freeze"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := c.call(http.MethodPost, "/_mock/clock", tc.body).problem(t, http.StatusBadRequest)
				if tc.field != "" && !p.names(tc.field) {
					t.Errorf("errors %v do not name %q", p.Errors, tc.field)
				}
				if tc.mention != "" && !p.mentions(tc.mention) {
					t.Errorf("problem %+v does not mention %q", p, tc.mention)
				}
				if now := c.mock.Clock().Now(); !now.Equal(flowStart) {
					t.Errorf("a refused change moved the clock to %s", now)
				}
			})
		}
	})

	t.Run("Server.ChangeClock", func(t *testing.T) {
		m := newFlowEnv(t, mockserver.Options{}).mock
		adv := mockserver.Duration(48 * time.Hour)
		got, err := m.ChangeClock(mockserver.ClockChange{Set: ptrTo(t2030), Advance: &adv})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Now.Equal(t2030.Add(48*time.Hour)) || !got.Frozen || !m.Clock().Now().Equal(got.Now) {
			t.Errorf("ChangeClock = %+v", got)
		}
		if got, _ := m.ChangeClock(mockserver.ClockChange{}); !got.Now.Equal(t2030.Add(48 * time.Hour)) {
			t.Errorf("an empty change moved the clock: %+v", got)
		}
	})
}

// --- completing sessions

func TestCtlCompleteSession(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	vid := c.createHostedVerification("Gate", "")

	t.Run("hosted session with a preset: result and redirectUrl", func(t *testing.T) {
		_, page := c.open(vid, c.sign("userId=u7", false, 3600))
		m := formAction.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no camera page:\n%s", page)
		}
		var done mockserver.Completion
		c.call(http.MethodPost, "/_mock/sessions/"+m[2]+"/complete", `{"preset":"pass"}`).ok(t, &done)
		if done.Result.VerificationResult != generated.SessionStatusPass || done.Result.VerificationSessionId.String() != m[2] {
			t.Errorf("result %+v", done.Result)
		}
		loc, err := url.Parse(done.RedirectURL)
		if err != nil || loc.Host != "app.example" || loc.Query().Get("result") != "passed" || loc.Query().Get("reVerificationSessionId") != m[2] {
			t.Errorf("redirectUrl %q", done.RedirectURL)
		}
		if got := c.validate(loc.RawQuery); got != generated.Valid {
			t.Errorf("redirectUrl signature: %s", got)
		}
		if api := resFetchResult(t, c.client, uuid.MustParse(m[2])); !reflect.DeepEqual(api, done.Result) {
			t.Errorf("stored result %+v differs from the answer %+v", api, done.Result)
		}
	})
	t.Run("API session with a subject", func(t *testing.T) {
		id := c.ctlPendingSession()
		var done mockserver.Completion
		c.call(http.MethodPost, "/_mock/sessions/"+id.String()+"/complete", `{"subject":{"age":15,"gender":"Female","live":true,"faceCount":1,"face":"kid"}}`).ok(t, &done)
		r := done.Result
		if r.VerificationResult != generated.SessionStatusFail || !slices.Equal(resReasons(r), []generated.FailedReason{generated.AgeVerificationFailed}) ||
			*r.EstimatedAge != 15 || *r.EstimatedGender != generated.Female || *r.CorrelationId != "ctl-ext" {
			t.Errorf("result %s", resJSONOf(r))
		}
		if done.RedirectURL != "" {
			t.Errorf("redirectUrl %q for a session without redirect URLs", done.RedirectURL)
		}
		t.Run("second completion", func(t *testing.T) {
			p := c.call(http.MethodPost, "/_mock/sessions/"+id.String()+"/complete", `{"preset":"pass"}`).problem(t, http.StatusConflict)
			if !p.names("verificationSessionId") {
				t.Errorf("409 %+v does not name verificationSessionId", p)
			}
			if r := resFetchResult(t, c.client, id); r.VerificationResult != generated.SessionStatusFail {
				t.Errorf("the second completion changed the result to %s", r.VerificationResult)
			}
		})
	})
	for _, tc := range []struct {
		name, path, body string
		status           int
		field, mention   string
	}{
		{"unknown id", "/_mock/sessions/" + uuid.NewString() + "/complete", `{"preset":"pass"}`, http.StatusNotFound, "", "verificationSessionId"},
		{"malformed id", "/_mock/sessions/not-a-uuid/complete", `{"preset":"pass"}`, http.StatusBadRequest, "verificationSessionId", ""},
		{"bad preset", "", `{"preset":"robot"}`, http.StatusBadRequest, "", "preset"},
		{"impossible subject", "", `{"subject":{"age":200}}`, http.StatusBadRequest, "", "subject.age"},
		{"neither preset nor subject", "", `{}`, http.StatusBadRequest, "", "preset"},
		{"empty body", "", "", http.StatusBadRequest, "body", ""},
		{"unknown field", "", `{"preset":"pass","person":"x"}`, http.StatusBadRequest, "", "person"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := c.ctlPendingSession()
			path := tc.path
			if path == "" {
				path = "/_mock/sessions/" + id.String() + "/complete"
			}
			p := c.call(http.MethodPost, path, tc.body).problem(t, tc.status)
			if tc.field != "" && !p.names(tc.field) {
				t.Errorf("errors %v do not name %q", p.Errors, tc.field)
			}
			if tc.mention != "" && !p.mentions(tc.mention) {
				t.Errorf("problem %+v does not mention %q", p, tc.mention)
			}
			if r := resFetchResult(t, c.client, id); r.VerificationResult != generated.SessionStatusPending {
				t.Errorf("a refused completion changed a session: %s", r.VerificationResult)
			}
		})
	}
	t.Run("a session older than 7 days", func(t *testing.T) {
		id := c.ctlPendingSession()
		c.mock.Clock().Advance(mockserver.SessionRetention + time.Second)
		c.call(http.MethodPost, "/_mock/sessions/"+id.String()+"/complete", `{"preset":"pass"}`).problem(t, http.StatusNotFound)
	})
}

// --- subjects

func TestCtlSubjects(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	type queue struct {
		Queued []mockserver.SubjectSpec `json:"queued"`
	}
	list := func() []mockserver.SubjectSpec {
		var q queue
		c.call(http.MethodGet, "/_mock/subjects", "").ok(t, &q)
		if !reflect.DeepEqual(q.Queued, c.mock.QueuedSubjects()) {
			t.Errorf("GET /_mock/subjects %+v differs from QueuedSubjects %+v", q.Queued, c.mock.QueuedSubjects())
		}
		return q.Queued
	}
	if q := list(); q == nil || len(q) != 0 {
		t.Fatalf("a new mock has queued %+v (want [])", q)
	}

	var q queue
	// POST answers what it added, not the whole queue.
	var added mockserver.Queued
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"underage"}`).ok(t, &added)
	if len(added.Added) != 1 || added.Added[0].Preset != "underage" || added.Completed != nil {
		t.Fatalf("after one: %+v", added)
	}
	c.call(http.MethodPost, "/_mock/subjects", ` [{"preset":"pass"}, {"subject":{"age":40,"gender":"Male","live":false,"faceCount":1,"face":"zed"}}]`).ok(t, &added)
	zed := &mockserver.Subject{Age: ptrTo(40.0), Gender: ptrTo("Male"), Live: ptrTo(false), FaceCount: ptrTo(1), Face: ptrTo("zed")}
	if want := []mockserver.QueuedSubject{{Preset: "pass"}, {Subject: zed}}; !reflect.DeepEqual(added.Added, want) {
		t.Fatalf("the array answered %+v, want the two subjects it added", added.Added)
	}
	want := []mockserver.SubjectSpec{{Preset: "underage"}, {Preset: "pass"}, {Subject: zed}}
	if got := list(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the array: %+v", got)
	}

	t.Run("refused batches queue nothing", func(t *testing.T) {
		for _, body := range []string{`[{"preset":"pass"},{"preset":"robot"}]`, `{}`, `{"preset":"pass","extra":true}`, ``, `[{"subject":{"gender":"other"}}]`} {
			p := c.call(http.MethodPost, "/_mock/subjects", body).problem(t, http.StatusBadRequest)
			if len(p.Errors) == 0 {
				t.Errorf("%s: problem names no field: %+v", body, p)
			}
		}
		if got := list(); !reflect.DeepEqual(got, want) {
			t.Errorf("queue changed: %+v", got)
		}
	})

	t.Run("hosted links take them first in, first out", func(t *testing.T) {
		vid := c.createHostedVerification("Gate", "")
		for i, w := range []struct{ result, age, liveness string }{{"failed", "15", "passed"}, {"passed", "34", "passed"}, {"failed", "40", "failed"}} {
			resp, _ := c.open(vid, c.sign(fmt.Sprintf("n=%d", i), false, 3600))
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("result") != w.result || loc.Query().Get("reAge") != w.age || loc.Query().Get("reLivenessResult") != w.liveness {
				t.Errorf("link %d: %d %s, want %+v", i+1, resp.StatusCode, loc, w)
			}
		}
		if got := list(); len(got) != 0 {
			t.Errorf("queue after three links: %+v", got)
		}
		// With nothing queued, the link shows the camera stand-in.
		if resp, page := c.open(vid, c.sign("n=4", false, 3600)); resp.StatusCode != http.StatusOK || formAction.FindStringSubmatch(page) == nil {
			t.Errorf("empty queue: %d", resp.StatusCode)
		}
	})

	t.Run("DELETE clears", func(t *testing.T) {
		c.call(http.MethodPost, "/_mock/subjects", `[{"preset":"pass"},{"preset":"spoof"}]`).ok(t, nil)
		c.call(http.MethodDelete, "/_mock/subjects", "").ok(t, &q)
		if q.Queued == nil || len(q.Queued) != 0 || len(list()) != 0 {
			t.Errorf("after DELETE: %+v", q.Queued)
		}
	})

	t.Run("Go methods", func(t *testing.T) {
		if err := c.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "noFace"}, mockserver.SubjectSpec{Preset: "multipleFaces"}); err != nil {
			t.Fatal(err)
		}
		if got := c.mock.QueuedSubjects(); len(got) != 2 || got[0].Preset != "noFace" || got[1].Preset != "multipleFaces" {
			t.Errorf("QueuedSubjects = %+v", got)
		}
		got := c.mock.QueuedSubjects()
		got[0].Preset = "changed"
		if c.mock.QueuedSubjects()[0].Preset != "noFace" {
			t.Error("QueuedSubjects returns the queue itself, not a copy")
		}
		c.mock.ClearSubjects()
		if got := list(); len(got) != 0 {
			t.Errorf("after ClearSubjects: %+v", got)
		}
	})
}

// --- journal

func TestCtlRequests(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	ctx := context.Background()
	tok, err := c.client.GetTokenWithResponse(ctx, &generated.GetTokenParams{})
	if err != nil || tok.JSON200 == nil {
		t.Fatalf("token: %v", err)
	}
	bearer := tok.JSON200.Token
	const wrongKey = "d3Jvbmc6a2V5LW5vdC1rbm93bg"
	if _, err := c.client.GetHealthWithResponse(ctx, func(_ context.Context, r *http.Request) error { r.Header.Del("Authorization"); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.GetAllVerificationsWithResponse(ctx, func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+bearer)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.GetAllVerificationsWithResponse(ctx, func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey "+wrongKey)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.call(http.MethodGet, "/_mock/clock", "").ok(t, nil) // control calls are not journaled
	if resp, _ := c.open(uuid.New(), "u=1"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("hosted page of an unknown verification: %d", resp.StatusCode)
	}

	r := c.call(http.MethodGet, "/_mock/requests", "")
	var got struct {
		Requests []mockserver.RequestRecord `json:"requests"`
	}
	r.ok(t, &got)
	type entry struct {
		method, path, operation string
		status                  int
		account                 string
	}
	want := []entry{
		{"GET", "/v1/token/get", "getToken", 200, "dev"},
		{"GET", "/v1/healthz", "getHealth", 200, ""},
		{"GET", "/v1/verification/get-all", "getAllVerifications", 200, "dev"},
		{"GET", "/v1/verification/get-all", "getAllVerifications", 401, ""},
		{"GET", "/verification/", "", 404, ""},
	}
	if len(got.Requests) != len(want) {
		t.Fatalf("journal %+v, want %d entries", got.Requests, len(want))
	}
	for i, w := range want {
		g := got.Requests[i]
		if g.Method != w.method || !strings.HasPrefix(g.Path, w.path) || g.Operation != w.operation || g.Status != w.status || g.Account != w.account ||
			!g.Time.Equal(flowStart) || g.DurationMS < 0 {
			t.Errorf("entry %d = %+v, want %+v at %s", i+1, g, w, flowStart)
		}
	}
	if !reflect.DeepEqual(got.Requests, c.mock.Requests()) {
		t.Error("GET /_mock/requests differs from Server.Requests")
	}
	// The journal keeps the bodies and the problem detail, never a credential: the 401 names the
	// Authorization header and its rule, the token's body keeps "token" with its value redacted.
	for _, secret := range []string{mockserver.DevAPIKey, bearer, wrongKey} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Errorf("the journal holds %q", secret)
		}
	}
	if d := got.Requests[3].Detail; !strings.HasPrefix(d, "Authorization: ") {
		t.Errorf("the 401's detail = %q, want the Authorization header's rule", d)
	}
	if b := got.Requests[0].ResponseBody; !strings.Contains(b, `"token":"[redacted]"`) {
		t.Errorf("the token's response body = %q, want its token redacted", b)
	}
	if d := got.Requests[4].Detail; !strings.HasPrefix(d, "Verification not found: ") {
		t.Errorf("the hosted page's detail = %q, want what the page said", d)
	}
	for i, g := range got.Requests {
		if len(g.RequestID) != 16 {
			t.Errorf("entry %d has request id %q, want its X-Request-Id", i+1, g.RequestID)
		}
	}

	t.Run("bounded to the last 1000", func(t *testing.T) {
		c.mock.Reset()
		get := func(path string) {
			resp, err := c.browser.Get(c.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		get("/v1/ctl-first")
		for range 1000 {
			get("/v1/healthz")
		}
		get("/v1/ctl-last")
		j := c.mock.Requests()
		if len(j) != 1000 {
			t.Fatalf("journal has %d entries, want 1000", len(j))
		}
		if j[0].Path != "/v1/healthz" || j[999].Path != "/v1/ctl-last" || j[999].Status != http.StatusNotFound {
			t.Errorf("first %+v, last %+v", j[0], j[999])
		}
		for _, e := range j {
			if e.Path == "/v1/ctl-first" {
				t.Fatal("the oldest entry was kept")
			}
		}
		var over struct {
			Requests []mockserver.RequestRecord `json:"requests"`
		}
		c.call(http.MethodGet, "/_mock/requests", "").ok(t, &over)
		if len(over.Requests) != 1000 {
			t.Errorf("GET /_mock/requests has %d entries", len(over.Requests))
		}
	})
}

// --- faults

func TestCtlFaults(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	ctx := context.Background()
	type faults struct {
		Faults []mockserver.Fault `json:"faults"`
	}
	list := func() []mockserver.Fault {
		var f faults
		c.call(http.MethodGet, "/_mock/faults", "").ok(t, &f)
		if !reflect.DeepEqual(f.Faults, c.mock.Faults()) {
			t.Errorf("GET /_mock/faults %+v differs from Faults %+v", f.Faults, c.mock.Faults())
		}
		return f.Faults
	}
	getAll := func() int {
		resp, err := c.client.GetAllVerificationsWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	health := func() *generated.GetHealthResponse {
		resp, err := c.client.GetHealthWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if f := list(); f == nil || len(f) != 0 {
		t.Fatalf("a new mock has faults %+v (want [])", f)
	}

	t.Run("forced 503 for the next 2 calls, then normal", func(t *testing.T) {
		var f mockserver.Fault
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"getAllVerifications","status":503,"count":2}`).ok(t, &f)
		if want := (mockserver.Fault{ID: 1, Operation: "getAllVerifications", Status: 503, Count: 2}); !reflect.DeepEqual(f, want) {
			t.Fatalf("POST answered %+v, want the fault added, %+v", f, want)
		}
		if s := health().StatusCode(); s != http.StatusOK {
			t.Errorf("another operation: %d", s)
		}
		got := []int{getAll(), getAll(), getAll()}
		if !slices.Equal(got, []int{503, 503, 200}) {
			t.Errorf("statuses %v, want 503 503 200", got)
		}
		if f := list(); len(f) != 0 {
			t.Errorf("a used-up fault is still listed: %+v", f)
		}
		j := c.mock.Requests()
		if last := j[len(j)-2]; last.Status != 503 || last.Operation != "getAllVerifications" {
			t.Errorf("journal entry of a faulted call: %+v", last)
		}
	})

	t.Run("a forced status changes no state", func(t *testing.T) {
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"createVerification","status":503}`).ok(t, nil) // any case
		for range 2 {
			resp, err := c.client.CreateVerificationWithResponse(ctx, generated.VerificationInput{Name: "never"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 503 {
				t.Fatalf("create under a fault: %d %s", resp.StatusCode(), resp.Body)
			}
			if mt, _, _ := mime.ParseMediaType(resp.HTTPResponse.Header.Get("Content-Type")); mt != "application/problem+json" {
				t.Errorf("forced status body is %q", mt)
			}
		}
		if names := c.ctlGetAll(); len(names) != 0 {
			t.Errorf("a faulted create created %v", names)
		}
		if f := list(); len(f) != 1 || f[0].Count != 0 {
			t.Errorf("an unlimited fault: %+v", f)
		}
		var f faults
		c.call(http.MethodDelete, "/_mock/faults", "").ok(t, &f)
		if f.Faults == nil || len(f.Faults) != 0 || len(list()) != 0 {
			t.Errorf("after DELETE: %+v", f.Faults)
		}
		resCreateVerification(t, c.client, "now", generated.VerificationConfig{})
	})

	t.Run("fraction 1 hits every call", func(t *testing.T) {
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"GetHealth","status":500,"fraction":1}`).ok(t, nil)
		for i := range 5 {
			if s := health().StatusCode(); s != 500 {
				t.Errorf("call %d: %d", i+1, s)
			}
		}
		c.mock.ClearFaults()
		if s := health().StatusCode(); s != 200 || len(c.mock.Faults()) != 0 {
			t.Errorf("after ClearFaults: %d %+v", s, c.mock.Faults())
		}
	})

	t.Run("every operation", func(t *testing.T) {
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"*","status":429,"count":2}`).ok(t, nil)
		if a, b, h := getAll(), health().StatusCode(), health().StatusCode(); a != 429 || b != 429 || h != 200 {
			t.Errorf("statuses %d %d %d, want 429 429 200", a, b, h)
		}
	})

	t.Run("latency: the answer still comes", func(t *testing.T) {
		var f mockserver.Fault
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"GetHealth","latency":"1ms","count":1}`).ok(t, &f)
		if f.Latency != mockserver.Duration(time.Millisecond) {
			t.Fatalf("POST answered %+v", f)
		}
		if !strings.Contains(string(c.call(http.MethodGet, "/_mock/faults", "").body), `"latency":"1ms"`) {
			t.Error(`latency is not listed as "1ms"`)
		}
		if h := health(); h.StatusCode() != 200 || len(h.Body) == 0 {
			t.Errorf("delayed call: %d %q", h.StatusCode(), h.Body)
		}
		if len(list()) != 0 {
			t.Error("the latency fault was not used up")
		}
		c.call(http.MethodPost, "/_mock/faults", `{"operation":"GetHealth","latency":"1ms","status":504,"count":1}`).ok(t, nil)
		if s := health().StatusCode(); s != 504 {
			t.Errorf("latency and status: %d", s)
		}
	})

	t.Run("refused faults", func(t *testing.T) {
		for _, tc := range []struct {
			name, body string
			field      string
		}{
			{"unknown operation", `{"operation":"launchRocket","status":503}`, "operation"},
			{"no operation", `{"status":503}`, "operation"},
			{"status 200", `{"operation":"GetHealth","status":200}`, "status"},
			{"status 600", `{"operation":"GetHealth","status":600}`, "status"},
			{"fraction 2", `{"operation":"GetHealth","status":503,"fraction":2}`, "fraction"},
			{"negative fraction", `{"operation":"GetHealth","status":503,"fraction":-0.5}`, "fraction"},
			{"negative count", `{"operation":"GetHealth","status":503,"count":-1}`, "count"},
			{"latency over 5m", `{"operation":"GetHealth","latency":"6m"}`, "latency"},
			{"neither status nor latency", `{"operation":"GetHealth","count":1}`, ""},
			{"unknown field", `{"operation":"GetHealth","status":503,"times":2}`, ""},
			{"empty body", ``, "body"},
			{"bad latency", `{"operation":"GetHealth","latency":"slow"}`, "latency"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := c.call(http.MethodPost, "/_mock/faults", tc.body).problem(t, http.StatusBadRequest)
				if tc.field != "" && !p.names(tc.field) {
					t.Errorf("errors %v do not name %q", p.Errors, tc.field)
				}
				if len(p.Errors) == 0 {
					t.Errorf("problem names no field: %+v", p)
				}
				if f := list(); len(f) != 0 {
					t.Errorf("a refused fault was added: %+v", f)
				}
			})
		}
	})

	t.Run("Go methods", func(t *testing.T) {
		if err := c.mock.AddFault(mockserver.Fault{Operation: "GetHealth", Status: 200}); err == nil {
			t.Error("AddFault accepted status 200")
		}
		if err := c.mock.AddFault(mockserver.Fault{Operation: "GetHealth", Status: 502, Count: 1}); err != nil {
			t.Fatal(err)
		}
		if f := c.mock.Faults(); len(f) != 1 || f[0].Status != 502 {
			t.Errorf("Faults = %+v", f)
		}
		if s := health().StatusCode(); s != 502 {
			t.Errorf("health under AddFault: %d", s)
		}
		if err := c.mock.AddFault(mockserver.Fault{Operation: "getSessionResult", Status: 500}); err != nil {
			t.Fatal(err)
		}
		c.mock.ClearFaults()
		if f := c.mock.Faults(); len(f) != 0 {
			t.Errorf("after ClearFaults: %+v", f)
		}
	})
}

// --- collections, webhooks, spec, unknown paths

func TestCtlCollectionsAndWebhooks(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	type colls struct {
		Collections []mockserver.FaceCollection `json:"collections"`
	}
	t.Run("empty collections are an empty array", func(t *testing.T) {
		r := c.call(http.MethodGet, "/_mock/collections", "")
		r.ok(t, nil)
		if !bytes.Contains(r.body, []byte(`"collections":[]`)) {
			t.Errorf("GET /_mock/collections = %s, want an empty array", r.body)
		}
	})

	hook := newWebhookReceiver(t, 500)
	id := resStartSession(t, c.client, generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: ptrTo("vip")}},
		ExternalId:      ptrTo("member-9"),
		WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: ptrTo(hook.URL + "/w")},
	})
	c.call(http.MethodPost, "/_mock/sessions/"+id.String()+"/complete", `{"subject":{"face":"dana"}}`).ok(t, nil)

	var got colls
	c.call(http.MethodGet, "/_mock/collections", "").ok(t, &got)
	if len(got.Collections) != 1 || got.Collections[0].Account != "dev" || got.Collections[0].CollectionID != "vip" ||
		!resHex32.MatchString(got.Collections[0].Faces["dana"]) || got.Collections[0].Enrolled["member-9"] != "dana" {
		t.Errorf("collections %+v", got.Collections)
	}
	if !reflect.DeepEqual(got.Collections, c.mock.FaceCollections()) {
		t.Error("GET /_mock/collections differs from FaceCollections")
	}
	snap := c.mock.FaceCollections()
	snap[0].Faces["eve"] = "x"
	if _, ok := c.mock.FaceCollections()[0].Faces["eve"]; ok {
		t.Error("FaceCollections returns the live maps, not a snapshot")
	}

	var hooks struct {
		Attempts []mockserver.WebhookAttempt `json:"attempts"`
	}
	c.call(http.MethodGet, "/_mock/webhooks?wait=true", "").ok(t, &hooks)
	if len(hooks.Attempts) != 2 || hooks.Attempts[0].Status != 500 || !hooks.Attempts[1].Delivered {
		t.Errorf("attempts %+v", hooks.Attempts)
	}
	if !reflect.DeepEqual(hooks.Attempts, c.mock.Webhooks()) {
		t.Error("GET /_mock/webhooks differs from Webhooks")
	}
}

func TestCtlOpenAPIDocument(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	r := ctlSend(t, http.DefaultClient, http.MethodGet, c.base+"/_mock/openapi.yaml", "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/yaml" {
		t.Fatalf("GET /_mock/openapi.yaml: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if !bytes.Equal(r.body, mockserver.ControlSpec()) {
		t.Error("the served document differs from ControlSpec")
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatalf("LoadFromData: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The document lists exactly the control endpoints.
	var ops []string
	for _, p := range doc.Paths.Keys() {
		for m := range doc.Paths.Value(p).Operations() {
			ops = append(ops, m+" "+p)
		}
	}
	slices.Sort(ops)
	want := []string{
		"DELETE /_mock/faults", "DELETE /_mock/faults/{id}", "DELETE /_mock/subjects", "GET /_mock/clock", "GET /_mock/collections", "GET /_mock/faults",
		"GET /_mock/openapi.yaml", "GET /_mock/requests", "GET /_mock/sessions", "GET /_mock/subjects", "GET /_mock/webhooks", "POST /_mock/clock",
		"POST /_mock/faults", "POST /_mock/reset", "POST /_mock/sessions/{verificationSessionId}/complete", "POST /_mock/subjects",
		"GET /_mock/tenants", "POST /_mock/tenants", "DELETE /_mock/tenants/{accountId}",
		"POST /_mock/webhook-sink", "GET /_mock/webhook-sink", "DELETE /_mock/webhook-sink",
	}
	slices.Sort(want)
	if !slices.Equal(ops, want) {
		t.Errorf("operations\n got %v\nwant %v", ops, want)
	}
}

func TestCtlWrongMethod(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodGet, "/_mock/sessions/" + uuid.NewString() + "/complete", "POST"},
		{http.MethodPut, "/_mock/clock", "GET, POST"},
		{http.MethodPatch, "/_mock/faults", "GET, POST, DELETE"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := c.call(tc.method, tc.path, "")
			p := r.problem(t, http.StatusMethodNotAllowed)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if !p.mentions(tc.method) {
				t.Errorf("problem %+v does not name the method", p)
			}
		})
	}
}

func TestCtlUnknownPaths(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/_mock/"},
		{http.MethodGet, "/_mock/nothing"},
		{http.MethodPost, "/_mock/clock/extra"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			p := c.call(tc.method, tc.path, "").problem(t, http.StatusNotFound)
			if !p.mentions(tc.path) {
				t.Errorf("problem %+v does not name the path", p)
			}
		})
	}
}

// --- access: control token and a separate listener

// ctlEndpoint is one control call that answers 200 on a mock in its start state.
type ctlEndpoint struct {
	method string
	path   func(c *ctlEnv) string
	body   string
}

func ctlFixed(p string) func(*ctlEnv) string { return func(*ctlEnv) string { return p } }

var ctlEveryEndpoint = []ctlEndpoint{
	{http.MethodGet, ctlFixed("/_mock/openapi.yaml"), ""},
	{http.MethodGet, ctlFixed("/_mock/clock"), ""},
	{http.MethodPost, ctlFixed("/_mock/clock"), `{"advance":"1s"}`},
	{http.MethodPost, func(c *ctlEnv) string { return "/_mock/sessions/" + c.ctlPendingSession().String() + "/complete" }, `{"preset":"pass"}`},
	{http.MethodGet, ctlFixed("/_mock/subjects"), ""},
	{http.MethodPost, ctlFixed("/_mock/subjects"), `{"preset":"pass"}`},
	{http.MethodDelete, ctlFixed("/_mock/subjects"), ""},
	{http.MethodGet, ctlFixed("/_mock/webhooks"), ""},
	{http.MethodGet, ctlFixed("/_mock/webhooks?wait=true"), ""},
	{http.MethodGet, ctlFixed("/_mock/requests"), ""},
	{http.MethodGet, ctlFixed("/_mock/faults"), ""},
	{http.MethodPost, ctlFixed("/_mock/faults"), `{"operation":"GetToken","status":503,"count":1}`},
	{http.MethodDelete, ctlFixed("/_mock/faults"), ""},
	{http.MethodGet, ctlFixed("/_mock/collections"), ""},
	{http.MethodPost, ctlFixed("/_mock/reset"), ""},
}

func TestCtlToken(t *testing.T) {
	const token = "ctl-s3cret"
	for _, separate := range []bool{false, true} {
		t.Run(fmt.Sprintf("separate listener %v", separate), func(t *testing.T) {
			c := newCtlEnv(t, mockserver.Options{ControlToken: token, SeparateControl: separate})
			for _, ep := range ctlEveryEndpoint {
				path := ep.path(c)
				t.Run(ep.method+" "+strings.SplitN(path, "?", 2)[0], func(t *testing.T) {
					for _, bad := range []string{"", "wrong", token + "x", strings.ToUpper(token)} {
						p := c.call(ep.method, path, ep.body, mockserver.ControlTokenHeader, bad).problem(t, http.StatusUnauthorized)
						if !p.mentions(mockserver.ControlTokenHeader) {
							t.Errorf("401 %+v does not name the header", p)
						}
					}
					if r := c.call(ep.method, path, ep.body); r.status != http.StatusOK {
						t.Errorf("with the token: %d %s", r.status, r.body)
					}
				})
			}
			t.Run("unknown control path", func(t *testing.T) {
				c.call(http.MethodGet, "/_mock/nothing", "", mockserver.ControlTokenHeader, "").problem(t, http.StatusUnauthorized)
				c.call(http.MethodGet, "/_mock/nothing", "").problem(t, http.StatusNotFound)
			})
			t.Run("the Service API and the hosted page need no control token", func(t *testing.T) {
				if names := c.ctlGetAll(); len(names) != 0 {
					t.Errorf("get-all: %v", names)
				}
				vid := c.createHostedVerification("Gate", "")
				if resp, _ := c.open(vid, c.sign("u=1", false, 3600)); resp.StatusCode != http.StatusOK {
					t.Errorf("hosted link: %d", resp.StatusCode)
				}
			})
		})
	}
	t.Run("no token configured: the header is not needed", func(t *testing.T) {
		c := newCtlEnv(t, mockserver.Options{})
		for _, ep := range ctlEveryEndpoint {
			path := ep.path(c)
			if r := c.call(ep.method, path, ep.body, mockserver.ControlTokenHeader, ""); r.status != http.StatusOK {
				t.Errorf("%s %s: %d %s", ep.method, path, r.status, r.body)
			}
		}
	})
}

func TestCtlSeparateControl(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{SeparateControl: true})
	if c.base == c.srv.URL {
		t.Fatal("the control API has no listener of its own")
	}
	for _, ep := range ctlEveryEndpoint {
		path := ep.path(c)
		t.Run(ep.method+" "+strings.SplitN(path, "?", 2)[0], func(t *testing.T) {
			main := ctlSend(t, http.DefaultClient, ep.method, c.srv.URL+path, ep.body)
			if main.status != http.StatusNotFound || bytes.Contains(main.body, []byte(`"now"`)) {
				t.Errorf("main handler: %d %s, want 404", main.status, main.body)
			}
			if r := c.call(ep.method, path, ep.body); r.status != http.StatusOK {
				t.Errorf("control handler: %d %s", r.status, r.body)
			}
		})
	}
	t.Run("the main handler still serves the Service API", func(t *testing.T) {
		if names := c.ctlGetAll(); len(names) != 0 {
			t.Errorf("get-all: %v", names)
		}
	})
	t.Run("the control handler does not serve the Service API", func(t *testing.T) {
		r := ctlSend(t, http.DefaultClient, http.MethodGet, c.base+"/v1/healthz", "")
		if r.status != http.StatusNotFound {
			t.Errorf("healthz on the control listener: %d", r.status)
		}
	})
}

// TestCtlGoMethods drives one scenario through the exported Go methods alone, the way a Go test
// of an integration would.
func TestCtlGoMethods(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	m := e.mock
	state, err := m.ChangeClock(mockserver.ClockChange{Set: ptrTo(time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)), Freeze: ptrTo(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !state.Frozen || !state.Now.Equal(time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC)) {
		t.Fatalf("ChangeClock = %+v", state)
	}
	hook := newWebhookReceiver(t)
	vid := e.createHostedVerification("Gate", hook.URL+"/h")
	if err := m.QueueSubjects(mockserver.SubjectSpec{Preset: "spoof"}); err != nil {
		t.Fatal(err)
	}
	if q := m.QueuedSubjects(); len(q) != 1 {
		t.Fatalf("QueuedSubjects = %+v", q)
	}
	resp, _ := e.open(vid, e.sign("u=1", false, 3600))
	if resp.StatusCode != http.StatusSeeOther || len(m.QueuedSubjects()) != 0 {
		t.Fatalf("hosted link: %d, queue %+v", resp.StatusCode, m.QueuedSubjects())
	}
	if err := m.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); err != nil {
		t.Fatal(err)
	}
	m.ClearSubjects()
	if len(m.QueuedSubjects()) != 0 {
		t.Error("ClearSubjects left subjects")
	}
	_, page := e.open(vid, e.sign("u=2", false, 3600))
	match := formAction.FindStringSubmatch(page)
	if match == nil {
		t.Fatal("no camera page after ClearSubjects")
	}
	done, err := m.CompleteSession(uuid.MustParse(match[2]), mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptrTo("gil")}})
	if err != nil || done.Result.VerificationResult != generated.SessionStatusPass || !strings.HasPrefix(done.RedirectURL, "https://app.example/") {
		t.Fatalf("CompleteSession: %+v %v", done, err)
	}
	ctlWaitWebhooks(t, m)
	if w := m.Webhooks(); len(w) != 2 || !w[0].Delivered || !w[1].Delivered || !w[1].Time.Equal(state.Now) {
		t.Errorf("Webhooks = %+v", w)
	}
	if fc := m.FaceCollections(); len(fc) != 1 || fc[0].CollectionID != "members" || len(fc[0].Faces) != 2 {
		t.Errorf("FaceCollections = %+v", fc)
	}
	if err := m.AddFault(mockserver.Fault{Operation: "CreateSignature", Status: 503, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if f := m.Faults(); len(f) != 1 {
		t.Errorf("Faults = %+v", f)
	}
	m.ClearFaults()
	e.sign("u=3", false, 60) // works again
	if r := m.Requests(); len(r) == 0 || r[len(r)-1].Operation != "createSignature" || r[len(r)-1].Status != 200 {
		t.Errorf("Requests ends with %+v", r[len(r)-1])
	}
	m.Reset()
	if len(m.Requests())+len(m.Webhooks())+len(m.FaceCollections())+len(m.Faults())+len(m.QueuedSubjects()) != 0 {
		t.Error("Reset left state")
	}
}
