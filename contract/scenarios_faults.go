package contract

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
)

// faultTagHeader is sent on a call that a fault of the whole mock is meant for, with a value that
// fault asks for; production ignores it.
const faultTagHeader = "X-Contract-Fault"

// The statuses every operation declares for a throttled or failed call. Production answers them
// when it must; the mock answers them when a fault asks, so the suite checks that each one comes
// back as a problem the spec declares.
var declaredFaultStatuses = []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable}

func init() {
	register(
		Scenario{Name: "errors/throttling-and-failures-are-problems", Needs: []Need{ReadOnly, MockControl}, Run: func(t *T) {
			id := "39e00c96-6431-4b2e-8707-2fb80e561fbf"
			json := map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"}
			auth := map[string]string{"Authorization": t.AuthHeader()}
			calls := []struct {
				op, method, path, body string
				headers                map[string]string
			}{
				{opCreateSignature, http.MethodPost, "/v1/signature/create", `{"queryString":"a=1"}`, json},
				{opValidateSignature, http.MethodPost, "/v1/signature/validate", `{"queryString":"a=1&reSignature=00"}`, json},
				{opGetVerification, http.MethodGet, "/v1/verification/get?verificationId=" + id, "", auth},
				{opGetAll, http.MethodGet, "/v1/verification/get-all", "", auth},
				{opCreateVerification, http.MethodPost, "/v1/verification/create", `{"name":"never stored","verificationConfig":{}}`, json},
				{opUpsertVerification, http.MethodPost, "/v1/verification/create-or-update", `{"name":"never stored","verificationConfig":{}}`, json},
				{opUpdateVerification, http.MethodPut, "/v1/verification/update", `{"verificationId":"` + id + `","name":"never stored","verificationConfig":{}}`, json},
				{opDeleteVerification, http.MethodDelete, "/v1/verification/delete?verificationId=" + id, "", auth},
				{opCreateSession, http.MethodPost, "/v1/verification/create-session", `{"verifierConfigs":{}}`, json},
				{opGetSessionResult, http.MethodGet, "/v1/verification/get-session-result?verificationSessionId=" + id, "", auth},
				{"getToken", http.MethodGet, "/v1/token/get", "", auth},
				{"getHealth", http.MethodGet, "/v1/healthz", "", nil},
			}
			for _, status := range declaredFaultStatuses {
				for _, c := range calls {
					control, only := t.target.Control, map[string]string(nil)
					if c.headers == nil {
						// healthz takes no credentials, so only a fault of the whole mock reaches
						// it. The fault asks for a header of this call's own, so that no other
						// call (another suite's sharing the mock, or this run's health checks)
						// takes it.
						control = &Control{BaseURL: control.BaseURL, Token: control.Token, HTTP: control.HTTP}
						only = map[string]string{faultTagHeader: t.Unique("fault-" + rand.Text())}
						c.headers = only
					}
					id, err := control.AddFaultFor(t.Context(), c.op, status, only)
					if err != nil {
						t.Fatalf("add a %d fault to %s: %v", status, c.op, err)
					}
					if only != nil {
						// A fault of the whole mock outlives the run's tenants: if its call never
						// reached the mock, it goes now.
						t.Cleanup(func() { _ = control.RemoveFault(context.WithoutCancel(t.Context()), id) })
					}
					var body []byte
					if c.body != "" {
						body = []byte(c.body)
					}
					got, header, resp := t.Raw(c.method, c.path, body, c.headers)
					t.Problem(c.op+" (fault "+strconv.Itoa(status)+")", got, header, resp, status, "")
				}
			}
		}},
	)
}
