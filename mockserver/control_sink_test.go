package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

type sinkList struct {
	Received []mockserver.ReceivedWebhook `json:"received"`
}

func (c *ctlEnv) sinkReceived(headers ...string) []mockserver.ReceivedWebhook {
	c.t.Helper()
	var got sinkList
	c.call(http.MethodGet, mockserver.WebhookSinkPath, "", headers...).ok(c.t, &got)
	return got.Received
}

// TestWebhookSinkReceivesTheMocksWebhook: a verification whose eventCallbackUrl is the sink gets
// its webhook delivered there: the attempt is delivered, the sink shows the event with the
// account's key matched, and the request journal holds the delivery as the account's.
func TestWebhookSinkReceivesTheMocksWebhook(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{Seed: 3})
	vid := c.createHostedVerification("Sink", c.srv.URL+mockserver.WebhookSinkPath)
	if err := c.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); err != nil {
		t.Fatal(err)
	}
	resp, _ := c.open(vid, c.sign("userId=User123", true, 900))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hosted page: %d, want 303", resp.StatusCode)
	}

	var hooks struct {
		Attempts []mockserver.WebhookAttempt `json:"attempts"`
	}
	c.call(http.MethodGet, "/_mock/webhooks?wait=true", "").ok(t, &hooks)
	if len(hooks.Attempts) != 1 || !hooks.Attempts[0].Delivered || hooks.Attempts[0].Status != http.StatusOK {
		t.Fatalf("attempts %+v, want one delivered with 200", hooks.Attempts)
	}
	session := hooks.Attempts[0].SessionID

	got := c.sinkReceived()
	if len(got) != 1 {
		t.Fatalf("the sink received %d deliveries, want 1: %+v", len(got), got)
	}
	r := got[0]
	var event struct{ Event, VerificationSessionId string }
	if err := json.Unmarshal(r.Body, &event); err != nil || event.Event != "VerificationCompleted" || event.VerificationSessionId != session {
		t.Errorf("body %s (%v), want the VerificationCompleted event of session %s", r.Body, err, session)
	}
	if r.Account != "dev" || r.APIKey != mockserver.SinkKeyMatched || r.ContentType != "application/json" || r.RequestID == "" || r.Truncated || r.BodyText != "" {
		t.Errorf("delivery %+v, want account dev, key matched, application/json, a request id", r)
	}
	if fmt.Sprint(c.mock.WebhookSink()) != fmt.Sprint(got) {
		t.Error("GET /_mock/webhook-sink differs from WebhookSink")
	}

	var journal struct {
		Requests []mockserver.RequestRecord `json:"requests"`
	}
	c.call(http.MethodGet, "/_mock/requests", "", "Authorization", "ApiKey "+mockserver.DevAPIKey).ok(t, &journal)
	found := false
	for _, rec := range journal.Requests {
		if rec.Method == http.MethodPost && rec.Path == mockserver.WebhookSinkPath {
			found = rec.Status == http.StatusOK && rec.RequestID == r.RequestID && strings.Contains(rec.RequestBody, session)
		}
		if strings.HasPrefix(rec.Path, "/_mock/") && rec.Path != mockserver.WebhookSinkPath {
			t.Errorf("the journal holds the control call %s %s", rec.Method, rec.Path)
		}
	}
	if !found {
		t.Errorf("the account's journal has no entry of the delivery %s: %+v", r.RequestID, journal.Requests)
	}
}

// TestWebhookSinkRecordsAnyDelivery: the sink takes any body and key, records what it was sent
// without the key itself, and answers the record.
func TestWebhookSinkRecordsAnyDelivery(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	long := strings.Repeat("x", 64<<10+10)
	for _, tc := range []struct {
		name, body, contentType, key string
		want                         mockserver.ReceivedWebhook
	}{
		{"JSON with the account's key", `{"a": 1}`, "application/json", mockserver.DevAPIKey,
			mockserver.ReceivedWebhook{Account: "dev", APIKey: "matched", ContentType: "application/json", Body: json.RawMessage(`{"a":1}`)}},
		{"text with another key", "hello", "text/plain", "not-a-key",
			mockserver.ReceivedWebhook{APIKey: "unknown", ContentType: "text/plain", BodyText: "hello"}},
		{"no key, no body", "", "", "",
			mockserver.ReceivedWebhook{APIKey: "missing"}},
		{"a body over 64 KiB", long, "text/plain", "",
			mockserver.ReceivedWebhook{APIKey: "missing", ContentType: "text/plain", BodyText: long[:64<<10], Truncated: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call(http.MethodPost, mockserver.WebhookSinkPath, tc.body, "Content-Type", tc.contentType, "X-API-Key", tc.key)
			var got mockserver.ReceivedWebhook
			r.ok(t, &got)
			if strings.Contains(string(r.body), "not-a-key") || (tc.key != "" && strings.Contains(string(r.body), tc.key)) {
				t.Errorf("the answer holds the key: %s", r.body)
			}
			tc.want.Time, tc.want.RequestID = got.Time, got.RequestID
			if got.RequestID == "" || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("recorded\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
	if n := len(c.sinkReceived()); n != 4 {
		t.Errorf("the sink lists %d deliveries, want 4", n)
	}
}

// TestWebhookSinkKeepsTheLast200 bounds the sink: past 200 deliveries the oldest go.
func TestWebhookSinkKeepsTheLast200(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	for i := range 205 {
		c.call(http.MethodPost, mockserver.WebhookSinkPath, fmt.Sprintf(`{"n":%d}`, i)).ok(t, nil)
	}
	got := c.sinkReceived()
	if len(got) != 200 || string(got[0].Body) != `{"n":5}` || string(got[199].Body) != `{"n":204}` {
		t.Fatalf("kept %d deliveries, first %s, last %s; want 200 from n=5 to n=204", len(got), got[0].Body, got[len(got)-1].Body)
	}
}

// TestWebhookSinkWithControlToken: a delivery needs no control token (no webhook sender has
// it), reading and clearing the sink do.
func TestWebhookSinkWithControlToken(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{ControlToken: "s3cret"})
	c.call(http.MethodPost, mockserver.WebhookSinkPath, `{"event":"x"}`, mockserver.ControlTokenHeader, "").ok(t, nil)
	c.call(http.MethodGet, mockserver.WebhookSinkPath, "", mockserver.ControlTokenHeader, "").problem(t, http.StatusUnauthorized)
	c.call(http.MethodDelete, mockserver.WebhookSinkPath, "", mockserver.ControlTokenHeader, "").problem(t, http.StatusUnauthorized)
	if got := c.sinkReceived(); len(got) != 1 {
		t.Errorf("with the token, the sink lists %+v, want the one delivery", got)
	}
	c.call(http.MethodGet, "/_mock/clock", "", mockserver.ControlTokenHeader, "").problem(t, http.StatusUnauthorized)
}

// TestWebhookSinkScope: an account sees, clears and resets only the deliveries that carried its
// key; the whole mock's reset and DELETE forget them all.
func TestWebhookSinkScope(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	tenant, err := c.mock.CreateTenant("suite")
	if err != nil {
		t.Fatal(err)
	}
	asDev := []string{"Authorization", "ApiKey " + mockserver.DevAPIKey}
	asTenant := []string{"Authorization", "ApiKey " + tenant.APIKey}
	post := func(key string) {
		c.call(http.MethodPost, mockserver.WebhookSinkPath, `{}`, "X-API-Key", key).ok(t, nil)
	}
	count := func(headers ...string) int { return len(c.sinkReceived(headers...)) }

	post(mockserver.DevAPIKey)
	post(tenant.APIKey)
	post(tenant.APIKey)
	if d, tn, all := count(asDev...), count(asTenant...), count(); d != 1 || tn != 2 || all != 3 {
		t.Fatalf("dev sees %d, the tenant %d, the whole mock %d; want 1, 2, 3", d, tn, all)
	}
	c.call(http.MethodDelete, mockserver.WebhookSinkPath, "", asTenant...).ok(t, nil)
	if d, tn := count(asDev...), count(asTenant...); d != 1 || tn != 0 {
		t.Errorf("after the tenant's DELETE: dev sees %d, the tenant %d; want 1, 0", d, tn)
	}
	post(tenant.APIKey)
	c.call(http.MethodPost, "/_mock/reset", `{}`, asDev...).ok(t, nil)
	if d, tn := count(asDev...), count(asTenant...); d != 0 || tn != 1 {
		t.Errorf("after dev's reset: dev sees %d, the tenant %d; want 0, 1", d, tn)
	}
	c.call(http.MethodPost, "/_mock/reset", `{}`).ok(t, nil)
	if all := count(); all != 0 {
		t.Errorf("after the mock's reset the sink lists %d deliveries", all)
	}
	post(mockserver.DevAPIKey)
	c.call(http.MethodDelete, mockserver.WebhookSinkPath, "").ok(t, nil)
	if all := count(); all != 0 {
		t.Errorf("after DELETE the sink lists %d deliveries", all)
	}
}

// The sink is what the README's quick start points its webhook at; a verification accepts its URL.
func TestWebhookSinkURLIsAValidCallback(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	cfg := generated.VerificationConfig{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: ptrTo("http://127.0.0.1:8080" + mockserver.WebhookSinkPath)}}
	resp, err := c.client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: "sink", VerificationConfig: cfg})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create with the sink as callback: %v %s", err, resp.Body)
	}
}
