package mockserver_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// Every status a fault injects on purpose to exercise a client's retries (429, 500, 503) is
// declared on every API operation in openapi.yaml, so a client that validates answers against
// the spec reads the injected fault as a failure the API may give, not as a broken contract. The
// test mock's conformance transport fails the test on any answer the spec does not declare.
func TestInjectedFaultStatusesAreDeclared(t *testing.T) {
	m := newMock(t)
	id := "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	calls := []struct{ op, method, path, body string }{
		{"createSignature", http.MethodPost, "/v1/signature/create", `{"queryString":"a=1"}`},
		{"validateSignature", http.MethodPost, "/v1/signature/validate", `{"queryString":"a=1&reSignature=00"}`},
		{"getVerification", http.MethodGet, "/v1/verification/get?verificationId=" + id, ""},
		{"getAllVerifications", http.MethodGet, "/v1/verification/get-all", ""},
		{"createVerification", http.MethodPost, "/v1/verification/create", `{"name":"n","verificationConfig":{}}`},
		{"createOrUpdateVerification", http.MethodPost, "/v1/verification/create-or-update", `{"name":"n","verificationConfig":{}}`},
		{"updateVerification", http.MethodPut, "/v1/verification/update", `{"verificationId":"` + id + `","name":"n","verificationConfig":{}}`},
		{"deleteVerification", http.MethodDelete, "/v1/verification/delete?verificationId=" + id, ""},
		{"createSession", http.MethodPost, "/v1/verification/create-session", `{"verifierConfigs":{}}`},
		{"getSessionResult", http.MethodGet, "/v1/verification/get-session-result?verificationSessionId=" + id, ""},
		{"getToken", http.MethodGet, "/v1/token/get", ""},
		{"getHealth", http.MethodGet, "/v1/healthz", ""},
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		for _, c := range calls {
			t.Run(fmt.Sprintf("%s/%d", c.op, status), func(t *testing.T) {
				if err := m.srv.AddFault(mockserver.Fault{Operation: c.op, Status: status, Count: 1}); err != nil {
					t.Fatal(err)
				}
				var body []byte
				if c.body != "" {
					body = []byte(c.body)
				}
				if r := m.send(c.method, c.path, body); r.status != status {
					t.Errorf("%s %s = %d, want the injected %d", c.method, c.path, r.status, status)
				}
			})
		}
	}
}
