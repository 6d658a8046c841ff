package mockserver_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// pending is n subject specs that a test queues.
func pending(n int) []mockserver.SubjectSpec {
	specs := make([]mockserver.SubjectSpec, n)
	for i := range specs {
		specs[i] = mockserver.SubjectSpec{Preset: "pass"}
	}
	return specs
}

// TestSubjectQueueLimit: a queue holds MaxQueuedSubjects subjects; a request that would take it
// past them is refused whole with a 409 naming the limit, and queues nothing. Each account's
// queue has room of its own.
func TestSubjectQueueLimit(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	if err := c.mock.QueueSubjects(pending(mockserver.MaxQueuedSubjects - 1)...); err != nil {
		t.Fatalf("queuing up to one short of the limit: %v", err)
	}
	// Two more would pass the limit: neither is queued.
	p := c.call(http.MethodPost, "/_mock/subjects", `[{"preset":"pass"},{"preset":"spoof"}]`).problem(t, http.StatusConflict)
	limit := fmt.Sprint(mockserver.MaxQueuedSubjects)
	if rules := p.Errors["body"]; len(rules) != 1 || !strings.Contains(rules[0], limit) || !strings.Contains(p.Detail, limit) {
		t.Errorf("the 409 does not name the limit: %+v", p)
	}
	if n := len(c.mock.QueuedSubjects()); n != mockserver.MaxQueuedSubjects-1 {
		t.Fatalf("a refused request changed the queue to %d subjects", n)
	}
	// One more fills it exactly.
	var added mockserver.Queued
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"spoof"}`).ok(t, &added)
	if len(added.Added) != 1 || added.Added[0].Preset != "spoof" {
		t.Errorf("POST answered %+v, want the one subject it added", added)
	}
	if err := c.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); !errors.Is(err, mockserver.ErrQueueFull) {
		t.Errorf("QueueSubjects on a full queue: %v, want ErrQueueFull", err)
	}
	// A tenant's queue is its own.
	tn := c.newScoped("a")
	tn.ctl(http.MethodPost, "/_mock/subjects", `{"preset":"pass"}`).ok(t, nil)
	// Hosted sessions taking subjects make room again.
	v := c.createHostedVerification("Gate", "")
	if r, _ := c.open(v, c.sign("u=1", false, 3600)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a link with subjects queued: %d, want 303", r.StatusCode)
	}
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass"}`).ok(t, nil)
}

// TestAimedSubjectLimit: the subjects aimed at one account's verifications, all of them
// together, are bounded as a queue is; aiming past the limit is refused whole.
func TestAimedSubjectLimit(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	v1, v2 := c.createHostedVerification("one", ""), c.createHostedVerification("two", "")
	if err := c.mock.Global().AimSubjects(v1, pending(mockserver.MaxQueuedSubjects-1)...); err != nil {
		t.Fatal(err)
	}
	body := `[{"preset":"pass","verificationId":"` + v2.String() + `"},{"preset":"pass","verificationId":"` + v1.String() + `"}]`
	c.call(http.MethodPost, "/_mock/subjects", body).problem(t, http.StatusConflict)
	if n := len(c.mock.Global().AimedSubjects()); n != mockserver.MaxQueuedSubjects-1 {
		t.Fatalf("a refused request changed the aimed subjects to %d", n)
	}
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass","verificationId":"`+v2.String()+`"}`).ok(t, nil)
	if err := c.mock.Global().AimSubjects(v2, mockserver.SubjectSpec{Preset: "pass"}); !errors.Is(err, mockserver.ErrQueueFull) {
		t.Errorf("aiming past the limit: %v, want ErrQueueFull", err)
	}
	// Clearing forgets the aimed subjects, and their room comes back.
	c.call(http.MethodDelete, "/_mock/subjects", "").ok(t, nil)
	if err := c.mock.Global().AimSubjects(v2, pending(mockserver.MaxQueuedSubjects)...); err != nil {
		t.Errorf("aiming a full queue's worth after clearing: %v", err)
	}
}
