package mockserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Control calls scoped by an account's credentials act on that account alone.

// scoped is a tenant of a ctlEnv: its key, a Service API client, and control calls made with
// its credentials.
type scoped struct {
	*flowEnv
	c      *ctlEnv
	tenant mockserver.Tenant
}

func (c *ctlEnv) newScoped(name string) *scoped {
	c.t.Helper()
	tn := c.createTenant(`{"name":"` + name + `"}`)
	return &scoped{flowEnv: asKey(c.flowEnv, tn.APIKey), c: c, tenant: tn}
}

func (s *scoped) ctl(method, path, body string) ctlResp {
	s.t.Helper()
	return s.c.call(method, path, body, "Authorization", "ApiKey "+s.tenant.APIKey)
}

func TestScopedClock(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	a := c.newScoped("a")

	devSession := c.ctlPendingSession()
	tenantSession := resStartSession(t, a.client, generated.CreateSessionRequest{ExternalId: ptrTo("x"),
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}})
	devLink := c.sign("u=1", false, 3600)
	tenantLink := a.sign("u=1", false, 3600)

	var st mockserver.ClockState
	a.ctl(http.MethodPost, "/_mock/clock", `{"advance":"169h"}`).ok(t, &st)
	if want := flowStart.Add(169 * time.Hour); !st.Now.Equal(want) || !st.Frozen {
		t.Errorf("the tenant's clock reads %v frozen %v, want %v frozen (the mock's clock is frozen and the tenant's follows it)", st.Now, st.Frozen, want)
	}
	// The mock's clock and another account's time have not moved.
	var global mockserver.ClockState
	c.call(http.MethodGet, "/_mock/clock", "").ok(t, &global)
	if !global.Now.Equal(flowStart) || !c.mock.Clock().Now().Equal(flowStart) {
		t.Errorf("the mock's clock reads %v, want it unmoved at %v", global.Now, flowStart)
	}
	var own mockserver.ClockState
	c.call(http.MethodGet, "/_mock/clock", "", "Authorization", "ApiKey "+mockserver.DevAPIKey).ok(t, &own)
	if !own.Now.Equal(flowStart) {
		t.Errorf("the development account's clock reads %v, want %v", own.Now, flowStart)
	}

	// The 7-day window: the tenant's session is gone, the development account's is not.
	if got := c.ctlResultStatus(devSession); got != http.StatusOK {
		t.Errorf("the development account's session answers %d, want 200", got)
	}
	resp, err := a.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: tenantSession})
	if err != nil || resp.StatusCode() != http.StatusNotFound {
		t.Errorf("the tenant's 169-hour-old session: %v %d, want 404", err, resp.StatusCode())
	}
	// Signature expiry: the tenant's link expired on its clock, the other's has not.
	if got := a.validate(tenantLink); got != generated.Expired {
		t.Errorf("the tenant's link validates %q, want Expired", got)
	}
	if got := c.validate(devLink); got != generated.Valid {
		t.Errorf("the development account's link validates %q, want Valid", got)
	}
	// Dates the tenant's requests write are on its clock.
	v := a.createHostedVerification("dated", "")
	got, err := a.client.GetVerificationWithResponse(context.Background(), &generated.GetVerificationParams{VerificationId: v})
	if err != nil || got.JSON200 == nil || !got.JSON200.Verification.Created.Equal(st.Now) {
		t.Errorf("the tenant's verification was created at %v, want its clock's %v", got.JSON200, st.Now)
	}
	// Token expiry: a Bearer token of the tenant expires on its clock.
	tok, err := a.client.GetTokenWithResponse(context.Background(), &generated.GetTokenParams{ExpirationInSeconds: ptrTo(int32(60))})
	if err != nil || tok.JSON200 == nil {
		t.Fatalf("token: %v %s", err, tok.Body)
	}
	bearer := "Bearer " + tok.JSON200.Token
	a.ctl(http.MethodPost, "/_mock/clock", `{"advance":"2m"}`).ok(t, nil)
	if r := c.call(http.MethodGet, "/_mock/clock", "", "Authorization", bearer); r.status != http.StatusUnauthorized {
		t.Errorf("an expired Bearer token on a control call: %d, want 401", r.status)
	}
	// Moving the mock's clock moves the tenant's with it.
	c.call(http.MethodPost, "/_mock/clock", `{"advance":"1h"}`).ok(t, nil)
	a.ctl(http.MethodGet, "/_mock/clock", "").ok(t, &st)
	if want := flowStart.Add(170*time.Hour + 2*time.Minute); !st.Now.Equal(want) {
		t.Errorf("after the mock's clock moved 1h, the tenant's reads %v, want %v", st.Now, want)
	}
}

func TestScopedCredentials(t *testing.T) {
	const token = "ctl-token"
	c := newCtlEnv(t, mockserver.Options{ControlToken: token})
	a := c.newScoped("a")
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"token and key", []string{"Authorization", "ApiKey " + a.tenant.APIKey}, http.StatusOK},
		{"key without the token", []string{mockserver.ControlTokenHeader, "", "Authorization", "ApiKey " + a.tenant.APIKey}, http.StatusUnauthorized},
		{"token and a wrong key", []string{"Authorization", "ApiKey nope"}, http.StatusUnauthorized},
		{"token and a malformed header", []string{"Authorization", "Basic x"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call(http.MethodPost, "/_mock/clock", `{"advance":"1h"}`, tc.headers...)
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	if !c.mock.Clock().Now().Equal(flowStart) {
		t.Errorf("a scoped call moved the mock's clock to %v", c.mock.Clock().Now())
	}
	// The tenant endpoints are control calls like the others: the token is needed.
	for _, ep := range []struct{ method, path string }{
		{http.MethodPost, "/_mock/tenants"}, {http.MethodGet, "/_mock/tenants"}, {http.MethodDelete, "/_mock/tenants/" + a.tenant.AccountID},
	} {
		c.call(ep.method, ep.path, "", mockserver.ControlTokenHeader, "").problem(t, http.StatusUnauthorized)
	}
	if got := c.mock.Tenants(); len(got) != 1 {
		t.Errorf("calls without the token changed the tenants: %+v", got)
	}
}

func TestScopedSubjectsFaultsJournalReset(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	a, b := c.newScoped("a"), c.newScoped("b")
	va := a.createHostedVerification("va", "")
	vb := b.createHostedVerification("vb", "")
	vdev := c.createHostedVerification("vdev", "")

	// Subjects: each queue serves its own account; a tenant never takes the mock's.
	a.ctl(http.MethodPost, "/_mock/subjects", `{"preset":"underage"}`).ok(t, nil)
	c.call(http.MethodPost, "/_mock/subjects", `{"preset":"pass"}`).ok(t, nil)
	if r, _ := b.open(vb, b.sign("u=1", false, 3600)); r.StatusCode != http.StatusOK {
		t.Errorf("tenant b's link with no subject of its own: %d, want the camera page (200)", r.StatusCode)
	}
	if r, _ := a.open(va, a.sign("u=1", false, 3600)); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "result=failed") {
		t.Errorf("tenant a's link: %d %s, want a redirect with its underage subject", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := c.open(vdev, c.sign("u=1", false, 3600)); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "result=passed") {
		t.Errorf("the development account's link: %d %s, want the mock's pass subject", r.StatusCode, r.Header.Get("Location"))
	}

	// Faults: a tenant's fault fails only its own calls.
	a.ctl(http.MethodPost, "/_mock/faults", `{"operation":"getAllVerifications","status":503}`).ok(t, nil)
	if r, _ := a.client.GetAllVerificationsWithResponse(context.Background()); r.StatusCode() != http.StatusServiceUnavailable {
		t.Errorf("tenant a under its fault: %d, want 503", r.StatusCode())
	}
	if r, _ := b.client.GetAllVerificationsWithResponse(context.Background()); r.StatusCode() != http.StatusOK {
		t.Errorf("tenant b under a's fault: %d, want 200", r.StatusCode())
	}
	if got := c.mock.Faults(); len(got) != 0 {
		t.Errorf("the mock's faults are %+v, want none", got)
	}

	// The journal: a tenant sees its API calls and its hosted-page requests, nobody else's.
	var j struct{ Requests []mockserver.RequestRecord }
	a.ctl(http.MethodGet, "/_mock/requests", "").ok(t, &j)
	sawHosted := false
	for _, rec := range j.Requests {
		if rec.Account != a.tenant.AccountID {
			t.Errorf("tenant a's journal holds %+v", rec)
		}
		sawHosted = sawHosted || strings.HasPrefix(rec.Path, "/verification/"+va.String())
	}
	if !sawHosted || len(j.Requests) < 4 {
		t.Errorf("tenant a's journal has %d entries, hosted page seen %v", len(j.Requests), sawHosted)
	}

	// Completing another account's session: not found.
	devSession := c.ctlPendingSession()
	a.ctl(http.MethodPost, "/_mock/sessions/"+devSession.String()+"/complete", `{"preset":"pass"}`).problem(t, http.StatusNotFound)

	// Reset: tenant a's data, queue and faults go; b's and the development account's stay.
	a.ctl(http.MethodPost, "/_mock/subjects", `{"preset":"pass"}`).ok(t, nil)
	a.ctl(http.MethodPost, "/_mock/reset", "").ok(t, nil)
	if r, _ := a.client.GetAllVerificationsWithResponse(context.Background()); r.JSON200 == nil || len(r.JSON200.Verifications) != 0 {
		t.Errorf("tenant a after its reset: %d %s, want no verifications", r.StatusCode(), r.Body)
	}
	var q struct{ Queued []mockserver.SubjectSpec }
	a.ctl(http.MethodGet, "/_mock/subjects", "").ok(t, &q)
	if len(q.Queued) != 0 {
		t.Errorf("tenant a's queue after its reset: %+v", q.Queued)
	}
	if r, _ := b.client.GetAllVerificationsWithResponse(context.Background()); r.JSON200 == nil || len(r.JSON200.Verifications) != 1 {
		t.Errorf("tenant b after a's reset: %s", r.Body)
	}
	if names := c.ctlGetAll(); len(names) != 1 || names[0] != "vdev" {
		t.Errorf("the development account after a's reset: %v", names)
	}
	if c.ctlResultStatus(devSession) != http.StatusOK {
		t.Errorf("the development account's session is gone after a's reset")
	}
}
