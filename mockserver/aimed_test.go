package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Subjects aimed at a verification or at a session.

func TestAimedAtVerification(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	v1 := c.createHostedVerification("one", "")
	v2 := c.createHostedVerification("two", "")

	var q struct {
		Queued []mockserver.SubjectSpec   `json:"queued"`
		Aimed  []mockserver.QueuedSubject `json:"aimed"`
	}
	var added mockserver.Queued
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"underage","verificationId":"`+strings.ToUpper(v1.String())+`"}`).ok(t, &added)
	if len(added.Added) != 1 || *added.Added[0].VerificationID != v1.String() || added.Added[0].Preset != "underage" {
		t.Fatalf("POST answered %+v, want the one subject aimed at %s", added, v1)
	}
	c.call(http.MethodGet, "/_mock/subjects", "").ok(t, &q)
	if len(q.Queued) != 0 || len(q.Aimed) != 1 || *q.Aimed[0].VerificationID != v1.String() || q.Aimed[0].Preset != "underage" {
		t.Fatalf("after aiming: %+v", q)
	}
	// Another verification's session does not take it: its page waits.
	if r, _ := c.open(v2, c.sign("u=1", false, 3600)); r.StatusCode != http.StatusOK {
		t.Errorf("verification two's link: %d, want the camera page", r.StatusCode)
	}
	// The aimed verification's next session does, and only that one.
	if r, _ := c.open(v1, c.sign("u=1", false, 3600)); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "result=failed") {
		t.Errorf("verification one's link: %d %q, want a redirect with the underage result", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := c.open(v1, c.sign("u=1", false, 3600)); r.StatusCode != http.StatusOK {
		t.Errorf("verification one's second link: %d, want the camera page (the subject was used once)", r.StatusCode)
	}
	// An aimed subject is taken before the plain queue.
	c.call(http.MethodPost, "/_mock/subjects", `[{"preset":"pass"},{"preset":"spoof","verificationId":"`+v1.String()+`"}]`).ok(t, nil)
	if r, _ := c.open(v1, c.sign("u=1", false, 3600)); !strings.Contains(r.Header.Get("Location"), "result=failed") {
		t.Errorf("with a plain and an aimed subject queued: %q, want the aimed spoof (failed)", r.Header.Get("Location"))
	}
	if got := c.mock.QueuedSubjects(); len(got) != 1 || got[0].Preset != "pass" {
		t.Errorf("the plain queue is %+v, want the pass subject untouched", got)
	}
	// Deleting a verification forgets the subjects aimed at it.
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass","verificationId":"`+v1.String()+`"}`).ok(t, nil)
	if resp, err := c.client.DeleteVerificationWithResponse(t.Context(), &generated.DeleteVerificationParams{VerificationId: v1}); err != nil || resp.StatusCode() != http.StatusOK {
		t.Fatalf("delete: %v", err)
	}
	c.call(http.MethodGet, "/_mock/subjects", "").ok(t, &q)
	if len(q.Aimed) != 0 {
		t.Errorf("subjects aimed at a deleted verification stay: %+v", q.Aimed)
	}
	// Clearing forgets aimed subjects too.
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass","verificationId":"`+v2.String()+`"}`).ok(t, nil)
	c.call(http.MethodDelete, "/_mock/subjects", "").ok(t, &q)
	if len(q.Queued) != 0 || len(q.Aimed) != 0 {
		t.Errorf("after clearing: %+v", q)
	}
}

func TestAimedAtWaitingSession(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	v := c.createHostedVerification("waits", "")
	r, page := c.open(v, c.sign("u=1", false, 3600))
	m := formAction.FindStringSubmatch(page)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the link: %d, no camera form in the page", r.StatusCode)
	}
	session := m[2]
	// A subject queued later for the waiting session completes it at once.
	var q struct {
		Completed []mockserver.Completion `json:"completed"`
	}
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass","verificationSessionId":"`+session+`"}`).ok(t, &q)
	if len(q.Completed) != 1 || !strings.Contains(q.Completed[0].RedirectURL, "result=passed") {
		t.Fatalf("completed = %+v, want the passed redirect", q.Completed)
	}
	var res struct{ VerificationResult string }
	if resp, err := c.client.GetSessionResultWithResponse(t.Context(), paramsFor(session)); err != nil || resp.JSON200 == nil {
		t.Fatalf("result: %v %s", err, resp.Body)
	} else if b, _ := json.Marshal(resp.JSON200); json.Unmarshal(b, &res) != nil || res.VerificationResult != "Pass" {
		t.Errorf("the session's result is %s, want Pass", b)
	}
	// A second subject for it: the session is already completed.
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass","verificationSessionId":"`+session+`"}`).problem(t, http.StatusConflict)
	if got := c.mock.QueuedSubjects(); len(got) != 0 {
		t.Errorf("a subject aimed at a session was queued too: %+v", got)
	}
}

func TestAimedBadTargets(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	a := c.newScoped("a")
	foreign := c.createHostedVerification("dev's", "")
	foreignSession := c.ctlPendingSession()
	for _, tc := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"preset":"pass","verificationId":"nope"}`, 400, "verificationId"},
		{`[{"preset":"pass"},{"preset":"pass","verificationSessionId":"nope"}]`, 400, "[1].verificationSessionId"},
		{`{"preset":"pass","verificationId":"` + foreign.String() + `","verificationSessionId":"` + foreignSession.String() + `"}`, 400, "verificationSessionId"},
		{`{"preset":"pass","verificationId":"` + foreign.String() + `"}`, 404, ""},
		{`{"preset":"pass","verificationSessionId":"` + foreignSession.String() + `"}`, 404, ""},
		{`[{"preset":"pass"},{"preset":"robot","verificationId":"` + foreign.String() + `"}]`, 400, "[1].preset"},
	} {
		p := a.ctl(http.MethodPost, "/_mock/subjects", tc.body).problem(t, tc.status)
		if tc.field != "" && !p.names(tc.field) {
			t.Errorf("%s: %+v does not name %s", tc.body, p, tc.field)
		}
	}
	var q struct {
		Queued []mockserver.SubjectSpec   `json:"queued"`
		Aimed  []mockserver.QueuedSubject `json:"aimed"`
	}
	a.ctl(http.MethodGet, "/_mock/subjects", "").ok(t, &q)
	if len(q.Queued)+len(q.Aimed) != 0 {
		t.Errorf("refused requests queued %+v", q)
	}
	if c.ctlResultStatus(foreignSession) != http.StatusOK {
		t.Fatal("the foreign session is gone")
	}
}

func paramsFor(session string) *generated.GetSessionResultParams {
	return &generated.GetSessionResultParams{VerificationSessionId: uuid.MustParse(session)}
}
