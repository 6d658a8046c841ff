package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Webhook receivers that fail: one that answers 5xx, hangs past the timeout or refuses the
// connection is covered, attempt by attempt, by TestResWebhookRetries and
// TestResWebhookAsynchronous (webhooks_test.go). What they leave out is load: here 50 webhooks
// hang at once, more than the mock has delivery workers, and the API must stay responsive.

// robHangingReceiver holds every webhook until released (or the mock gives up on it).
type robHangingReceiver struct {
	*httptest.Server
	arrived atomic.Int64
	release chan struct{}
	once    sync.Once
}

func newRobHangingReceiver(t *testing.T) *robHangingReceiver {
	r := &robHangingReceiver{release: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.arrived.Add(1)
		select {
		case <-r.release:
			w.WriteHeader(http.StatusNoContent)
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *robHangingReceiver) free() { r.once.Do(func() { close(r.release) }) }

// TestRobAPIResponsiveWhileWebhooksHang completes 50 sessions whose webhooks go to a receiver that
// holds them, then drives every kind of API call and a hosted redirect: all answer while every
// delivery worker is stuck and the rest of the webhooks wait in the queue. Once the receiver lets
// go, all 50 are delivered on their first attempt.
func TestRobAPIResponsiveWhileWebhooksHang(t *testing.T) {
	recv := newRobHangingReceiver(t)
	// A long attempt timeout: the webhooks hang for as long as the test wants.
	l := newRobLoad(t, mockserver.Options{Seed: 5, WebhookTimeout: time.Minute, AutoComplete: "pass"})
	t.Cleanup(recv.free) // runs before the mock closes (cleanups run last first), so Close does not wait a minute
	hook := recv.URL + "/hook"

	const hooks = 50
	ids := make([]uuid.UUID, 0, hooks)
	for i := range hooks {
		r, err := l.do(http.MethodPost, "/v1/verification/create-session",
			`{"verifierConfigs":{"liveness":{"type":"Verification"}},"webhookConfig":{"eventCallbackUrl":"`+hook+`"}}`)
		if err != nil || r.status != http.StatusOK {
			t.Fatalf("session %d: %v %d %s", i, err, r.status, r.body)
		}
		var created generated.SessionCreated
		if err := json.Unmarshal(r.body, &created); err != nil {
			t.Fatal(err)
		}
		id := created.VerificationSessionId
		if _, err := l.srv.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// Wait until the receiver holds some: the delivery workers are all stuck from here on.
	deadline := time.Now().Add(resWait)
	for recv.arrived.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no webhook reached the receiver")
		}
		time.Sleep(time.Millisecond)
	}

	// The API answers everything meanwhile: 200 calls over 8 goroutines, and a hosted redirect.
	var failures atomic.Int64
	robRun(8, func(g int) {
		for i := range 25 {
			var r robReply
			var err error
			switch i % 5 {
			case 0:
				r, err = l.do(http.MethodPost, "/v1/verification/create", fmt.Sprintf(`{"name":"rob-busy-%d-%d","verificationConfig":{}}`, g, i))
			case 1:
				r, err = l.do(http.MethodGet, "/v1/verification/get-all", "")
			case 2:
				r, err = l.do(http.MethodPost, "/v1/signature/create", `{"queryString":"a=1"}`)
			case 3:
				r, err = l.do(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+ids[(g*25+i)%hooks].String(), "")
			case 4:
				r, err = l.do(http.MethodGet, "/v1/healthz", "")
			}
			if err != nil || r.status != http.StatusOK {
				failures.Add(1)
				t.Errorf("call %d/%d while webhooks hang: %v %d %s", g, i, err, r.status, r.body)
			}
		}
	})
	r, err := l.do(http.MethodPost, "/v1/verification/create", `{"name":"rob-gate","verificationConfig":{"redirectConfig":{"passedUrl":"https://app.example/ok"},"securityConfig":{"forceSignedInput":false},"webhookConfig":{"eventCallbackUrl":"`+hook+`"}}}`)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("create the hosted verification: %v %d %s", err, r.status, r.body)
	}
	var gate generated.VerificationCreated
	if err := json.Unmarshal(r.body, &gate); err != nil {
		t.Fatal(err)
	}
	if r, err := l.do(http.MethodGet, "/verification/"+gate.VerificationId.String()+"?userId=u1", ""); err != nil || r.status != http.StatusSeeOther {
		t.Errorf("hosted link while webhooks hang: %v %d, want a 303 at once", err, r.status)
	}
	if n := len(l.srv.Webhooks()); n != 0 {
		t.Errorf("%d attempts recorded while the receiver holds every webhook", n)
	}

	// Let go: every webhook is delivered, on its first attempt.
	recv.free()
	ctx, cancel := context.WithTimeout(context.Background(), resWait)
	defer cancel()
	if err := l.srv.WaitWebhooks(ctx); err != nil {
		t.Fatalf("WaitWebhooks: %v", err)
	}
	delivered := map[string]bool{}
	for _, a := range l.srv.Webhooks() {
		if a.Delivered && a.Attempt == 1 {
			delivered[a.SessionID] = true
		} else {
			t.Errorf("attempt %+v, want delivered on the first try", a)
		}
	}
	for _, id := range ids {
		if !delivered[id.String()] {
			t.Errorf("the webhook of session %s was not delivered", id)
		}
	}
	if len(delivered) != hooks+1 {
		t.Errorf("%d webhooks delivered, want %d (the sessions and the hosted one)", len(delivered), hooks+1)
	}
	// The results never depended on the webhooks.
	r, err = l.do(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+ids[0].String(), "")
	if err != nil || r.status != http.StatusOK || !strings.Contains(string(r.body), `"verificationResult":"`+string(generated.SessionStatusPass)+`"`) {
		t.Errorf("result after delivery: %v %d %s", err, r.status, r.body)
	}
}
