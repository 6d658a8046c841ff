package mockserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Webhook delivery: one attempt, one retry on a non-2xx status, a timeout or a connection error,
// then dropped; every attempt recorded with the mock clock's time; delivery in the background.

// resHookTime is the mock clock's (frozen) time in these tests: far from the wall clock, so an
// attempt stamped with it was stamped by the mock clock.
var resHookTime = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

// resWait is a generous bound on waiting for background work, so a broken mock fails the test
// instead of hanging it. Tests never wait for time to pass.
const resWait = 30 * time.Second

func resWaitWebhooks(t *testing.T, m *mockserver.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), resWait)
	defer cancel()
	if err := m.WaitWebhooks(ctx); err != nil {
		t.Fatalf("WaitWebhooks: %v", err)
	}
}

// resHookSession starts a create-session session whose webhook goes to hook and completes it.
func resHookSession(t *testing.T, e *flowEnv, hook string) uuid.UUID {
	t.Helper()
	id := resStartSession(t, e.client, generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
		WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: &hook},
	})
	if _, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// resBlockingReceiver answers each webhook only once the test releases it (or the caller gives
// up); arrived gets a value when a request is in the handler.
type resBlockingReceiver struct {
	*httptest.Server
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func resNewBlockingReceiver(t *testing.T) *resBlockingReceiver {
	b := &resBlockingReceiver{arrived: make(chan struct{}, 16), release: make(chan struct{})}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		b.arrived <- struct{}{}
		select {
		case <-b.release:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(b.Close)
	t.Cleanup(b.free) // runs first: never leave a handler blocked
	return b
}

func (b *resBlockingReceiver) free() { b.once.Do(func() { close(b.release) }) }

func (b *resBlockingReceiver) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-b.arrived:
	case <-time.After(resWait):
		t.Fatal("the webhook never reached the receiver")
	}
}

// resAttemptsFor returns the recorded attempts of one session.
func resAttemptsFor(m *mockserver.Server, session uuid.UUID) []mockserver.WebhookAttempt {
	var out []mockserver.WebhookAttempt
	for _, a := range m.Webhooks() {
		if a.SessionID == session.String() {
			out = append(out, a)
		}
	}
	return out
}

type resWantAttempt struct {
	status    int
	delivered bool
	errHas    string // a substring the error must contain; empty: no error
}

func TestResWebhookRetries(t *testing.T) {
	hang := func(t *testing.T) string {
		b := resNewBlockingReceiver(t) // never released during the test: every attempt times out
		return b.URL + "/hang"
	}
	dead := func(t *testing.T) string {
		srv := httptest.NewServer(http.NotFoundHandler())
		u := srv.URL + "/gone"
		srv.Close()
		return u
	}
	tests := []struct {
		name     string
		receiver func(t *testing.T) (url string, hits func() int)
		want     []resWantAttempt
	}{
		{"500 then 200: delivered on the retry", func(t *testing.T) (string, func() int) {
			r := newWebhookReceiver(t, http.StatusInternalServerError)
			return r.URL + "/hook", func() int { return len(r.hooks()) }
		}, []resWantAttempt{{500, false, "500"}, {200, true, ""}}},
		{"first attempt delivered: no retry", func(t *testing.T) (string, func() int) {
			r := newWebhookReceiver(t, http.StatusNoContent)
			return r.URL + "/hook", func() int { return len(r.hooks()) }
		}, []resWantAttempt{{204, true, ""}}},
		{"always 503: two attempts, then dropped", func(t *testing.T) (string, func() int) {
			r := newWebhookReceiver(t, 503, 503, 503, 503)
			return r.URL + "/hook", func() int { return len(r.hooks()) }
		}, []resWantAttempt{{503, false, "503"}, {503, false, "503"}}},
		{"4xx is retried too", func(t *testing.T) (string, func() int) {
			r := newWebhookReceiver(t, http.StatusNotFound, http.StatusNotFound)
			return r.URL + "/hook", func() int { return len(r.hooks()) }
		}, []resWantAttempt{{404, false, "404"}, {404, false, "404"}}},
		{"hangs past the timeout: two timeouts", func(t *testing.T) (string, func() int) { return hang(t), nil },
			[]resWantAttempt{{0, false, "Timeout"}, {0, false, "Timeout"}}},
		{"dead receiver: two connection errors", func(t *testing.T) (string, func() int) { return dead(t), nil },
			[]resWantAttempt{{0, false, "connect"}, {0, false, "connect"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, mockserver.Options{WebhookTimeout: 200 * time.Millisecond, Clock: mockserver.NewFrozenClock(resHookTime)})
			hook, hits := tc.receiver(t)
			id := resHookSession(t, e, hook)
			resWaitWebhooks(t, e.mock)
			got := resAttemptsFor(e.mock, id)
			if len(got) != len(tc.want) || len(e.mock.Webhooks()) != len(tc.want) {
				t.Fatalf("attempts %+v, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				a := got[i]
				if a.Attempt != i+1 || a.Status != w.status || a.Delivered != w.delivered {
					t.Errorf("attempt %d = %+v, want %+v", i+1, a, w)
				}
				if (w.errHas == "") != (a.Error == "") || !strings.Contains(a.Error, w.errHas) {
					t.Errorf("attempt %d error %q, want one containing %q", i+1, a.Error, w.errHas)
				}
				if !a.Time.Equal(resHookTime) || a.URL != hook || a.SessionID != id.String() || a.DurationMS < 0 {
					t.Errorf("attempt %d = %+v; want time %s (mock clock), URL %s, session %s", i+1, a, resHookTime, hook, id)
				}
			}
			if hits != nil && hits() != len(tc.want) {
				t.Errorf("the receiver got %d requests, want %d", hits(), len(tc.want))
			}
			// A webhook failure never changes the result.
			if r := resFetchResult(t, e.client, id); r.VerificationResult != generated.SessionStatusPass {
				t.Errorf("result after the webhook: %s", r.VerificationResult)
			}
		})
	}
}

// TestResWebhookAttemptJSON: the recorded attempt has the control API's field names.
func TestResWebhookAttemptJSON(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{Clock: mockserver.NewFrozenClock(resHookTime)})
	r := newWebhookReceiver(t, http.StatusBadGateway)
	id := resHookSession(t, e, r.URL+"/h")
	resWaitWebhooks(t, e.mock)
	resp, err := http.Get(e.srv.URL + "/_mock/webhooks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Attempts []map[string]any `json:"attempts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Attempts) != 2 {
		t.Fatalf("GET /_mock/webhooks: %v %+v", err, body)
	}
	first := body.Attempts[0]
	for k, want := range map[string]any{
		"time": "2031-05-06T07:08:09Z", "url": r.URL + "/h", "verificationSessionId": id.String(),
		"attempt": 1.0, "status": 502.0, "delivered": false,
	} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v", k, first[k], want)
		}
	}
	if _, ok := first["durationMs"].(float64); !ok {
		t.Errorf("durationMs = %v, want a number", first["durationMs"])
	}
	if e, _ := first["error"].(string); !strings.Contains(e, "502") {
		t.Errorf("error = %v", first["error"])
	}
	if second := body.Attempts[1]; second["attempt"] != 2.0 || second["delivered"] != true {
		t.Errorf("second attempt %v", second)
	}
}

// TestResWebhookOverride: create-session's webhookConfig replaces the verification's; without it
// the verification's URL is used, and without either no webhook is sent.
func TestResWebhookOverride(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	fromVerification := newWebhookReceiver(t)
	fromSession := newWebhookReceiver(t)
	cfg := resFRConfig(generated.FaceRecognitionTypeDisabled, "unused")
	cfg.VerifierConfigs = &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}
	cfg.WebhookConfig = &generated.WebhookConfig{EventCallbackUrl: ptrTo(fromVerification.URL + "/v")}
	resCreateVerification(t, e.client, "hooked", cfg)
	name := "hooked"

	overridden := resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name,
		WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: ptrTo(fromSession.URL + "/s")}})
	inherited := resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name})
	none := resStartSession(t, e.client, generated.CreateSessionRequest{VerifierConfigs: cfg.VerifierConfigs})
	for _, id := range []uuid.UUID{overridden, inherited, none} {
		if _, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
	}
	resWaitWebhooks(t, e.mock)

	for _, tc := range []struct {
		name     string
		session  uuid.UUID
		url      string
		receiver *webhookReceiver
	}{
		{"session's webhookConfig wins", overridden, fromSession.URL + "/s", fromSession},
		{"verification's webhookConfig otherwise", inherited, fromVerification.URL + "/v", fromVerification},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resAttemptsFor(e.mock, tc.session)
			if len(got) != 1 || got[0].URL != tc.url || !got[0].Delivered {
				t.Fatalf("attempts %+v, want one delivered to %s", got, tc.url)
			}
			hooks := tc.receiver.hooks()
			if len(hooks) != 1 {
				t.Fatalf("receiver got %d webhooks, want 1", len(hooks))
			}
			var ev map[string]string
			if err := json.Unmarshal(hooks[0].body, &ev); err != nil || ev["verificationSessionId"] != tc.session.String() || ev["event"] != "VerificationCompleted" {
				t.Errorf("body %s", hooks[0].body)
			}
			if hooks[0].header.Get("X-API-Key") != mockserver.DevAPIKey {
				t.Errorf("X-API-Key = %q", hooks[0].header.Get("X-API-Key"))
			}
		})
	}
	t.Run("no webhookConfig, no webhook", func(t *testing.T) {
		if got := resAttemptsFor(e.mock, none); len(got) != 0 {
			t.Errorf("attempts %+v", got)
		}
	})
}

// TestResWebhookAsynchronous: completing a session (through the Go API, the control API or the
// hosted page) answers while the receiver still holds the webhook; delivery finishes only after
// the test releases the receiver. Proved by order of events, not by timing.
func TestResWebhookAsynchronous(t *testing.T) {
	for _, tc := range []struct {
		name     string
		complete func(t *testing.T, e *flowEnv, hook string) uuid.UUID
	}{
		{"CompleteSession", func(t *testing.T, e *flowEnv, hook string) uuid.UUID {
			return resHookSession(t, e, hook)
		}},
		{"POST /_mock/sessions/{id}/complete", func(t *testing.T, e *flowEnv, hook string) uuid.UUID {
			id := resStartSession(t, e.client, generated.CreateSessionRequest{
				VerifierConfigs: &generated.VerifierConfigs{},
				WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: &hook},
			})
			resp, err := http.Post(e.srv.URL+"/_mock/sessions/"+id.String()+"/complete", "application/json", strings.NewReader(`{"preset":"pass"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("complete: %d", resp.StatusCode)
			}
			return id
		}},
		{"hosted redirect", func(t *testing.T, e *flowEnv, hook string) uuid.UUID {
			vid := e.createHostedVerification("Gate", hook)
			if err := e.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); err != nil {
				t.Fatal(err)
			}
			resp, _ := e.open(vid, e.sign("u=1", false, 3600))
			loc, err := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || err != nil {
				t.Fatalf("hosted link: %d %v", resp.StatusCode, err)
			}
			return uuid.MustParse(loc.Query().Get("reVerificationSessionId"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, mockserver.Options{})
			recv := resNewBlockingReceiver(t)
			id := tc.complete(t, e, recv.URL+"/hook") // has returned: the receiver is not released yet
			recv.waitArrival(t)

			// The delivery is still in flight: nothing recorded, and WaitWebhooks cannot finish.
			if got := e.mock.Webhooks(); len(got) != 0 {
				t.Fatalf("attempts recorded before the receiver answered: %+v", got)
			}
			cancelled, cancel := context.WithCancel(context.Background())
			cancel()
			if err := e.mock.WaitWebhooks(cancelled); err == nil {
				t.Fatal("WaitWebhooks reported no pending delivery while the receiver holds one")
			}
			// GET /_mock/webhooks?wait=true, received before the release, answers with the
			// attempt that only the release lets happen: it waited.
			asked := make(chan struct{})
			front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(asked)
				e.mock.ServeHTTP(w, r)
			}))
			defer front.Close()
			waited := make(chan []mockserver.WebhookAttempt, 1)
			go func() {
				var body struct {
					Attempts []mockserver.WebhookAttempt `json:"attempts"`
				}
				if resp, err := http.Get(front.URL + "/_mock/webhooks?wait=true"); err == nil {
					_ = json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
				}
				waited <- body.Attempts
			}()
			select {
			case <-asked:
			case <-time.After(resWait):
				t.Fatal("GET /_mock/webhooks?wait=true never reached the mock")
			}

			recv.free()
			resWaitWebhooks(t, e.mock)
			got := resAttemptsFor(e.mock, id)
			if len(got) != 1 || !got[0].Delivered || got[0].Status != http.StatusOK {
				t.Errorf("attempts after release: %+v", got)
			}
			select {
			case w := <-waited:
				if len(w) != 1 || !w[0].Delivered || w[0].SessionID != id.String() {
					t.Errorf("GET /_mock/webhooks?wait=true = %+v, want the delivered attempt", w)
				}
			case <-time.After(resWait):
				t.Fatal("GET /_mock/webhooks?wait=true never answered")
			}
		})
	}
}

// TestResWebhookResetForgetsDeliveriesInFlight: a reset between tests must leave the next test a
// clean webhook log, even while a delivery from before it is still held by a slow receiver. The
// old delivery is not waited for, not recorded and not retried.
func TestResWebhookResetForgetsDeliveriesInFlight(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	stale := resNewBlockingReceiver(t)
	resHookSession(t, e, stale.URL+"/hook")
	stale.waitArrival(t) // in flight, held by the receiver

	if err := e.mock.Reset(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resWait)
	defer cancel()
	if err := e.mock.WaitWebhooks(ctx); err != nil {
		t.Fatalf("WaitWebhooks after the reset waited for the delivery from before it: %v", err)
	}

	// A delivery after the reset is recorded as usual.
	fresh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer fresh.Close()
	id := resHookSession(t, e, fresh.URL+"/hook")
	if err := e.mock.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}

	// Release the held delivery and stop the workers, so that every attempt there will be is made.
	stale.free()
	e.mock.Close()
	got := e.mock.Webhooks()
	if len(got) != 1 || got[0].SessionID != id.String() || !got[0].Delivered {
		t.Fatalf("the log after the reset holds %+v; want only the delivery made after it", got)
	}
}
