package mockserver_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// GET /_mock/sessions lists what the mock holds: verifications and sessions with their state and
// result, scoped by an account's credentials.
func TestCtlSessions(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	vid := c.createHostedVerification("Gate", "")
	id := c.ctlPendingSession()

	var h mockserver.Holdings
	c.call(http.MethodGet, "/_mock/sessions", "").ok(t, &h)
	if len(h.Verifications) != 1 || h.Verifications[0].VerificationId != vid || h.Verifications[0].Name != "Gate" ||
		h.Verifications[0].Account != mockserver.DevAccountID {
		t.Errorf("verifications %+v, want Gate (%s) of %s", h.Verifications, vid, mockserver.DevAccountID)
	}
	if len(h.Sessions) != 1 || h.Sessions[0].ID != id || h.Sessions[0].State != "pending" || h.Sessions[0].Result != nil || h.Sessions[0].Hosted {
		t.Fatalf("sessions %+v, want %s pending without a result", h.Sessions, id)
	}

	c.call(http.MethodPost, "/_mock/sessions/"+id.String()+"/complete", `{"preset":"underage"}`).ok(t, nil)
	c.call(http.MethodGet, "/_mock/sessions", "").ok(t, &h)
	if len(h.Sessions) != 1 || h.Sessions[0].State != "completed" || h.Sessions[0].Result == nil || h.Sessions[0].Completed == nil {
		t.Fatalf("sessions %+v, want %s completed with its result", h.Sessions, id)
	}
	if got := string(h.Sessions[0].Result.VerificationResult); got != "Fail" {
		t.Errorf("result %s, want Fail for the underage preset", got)
	}

	t.Run("scoped", func(t *testing.T) {
		var tenant struct{ AccountID, APIKey string }
		r := c.call(http.MethodPost, "/_mock/tenants", `{"name":"other"}`)
		if err := json.Unmarshal(r.body, &tenant); err != nil || tenant.APIKey == "" {
			t.Fatalf("create tenant: %d %s", r.status, r.body)
		}
		var mine mockserver.Holdings
		c.call(http.MethodGet, "/_mock/sessions", "", "Authorization", "ApiKey "+tenant.APIKey).ok(t, &mine)
		if len(mine.Verifications) != 0 || len(mine.Sessions) != 0 {
			t.Errorf("a new tenant sees %+v, want nothing of another account's", mine)
		}
		c.call(http.MethodGet, "/_mock/sessions", "", "Authorization", "ApiKey "+mockserver.DevAPIKey).ok(t, &mine)
		if len(mine.Sessions) != 1 || mine.Sessions[0].ID != id {
			t.Errorf("the development account sees %+v, want its session %s", mine.Sessions, id)
		}
	})
}
