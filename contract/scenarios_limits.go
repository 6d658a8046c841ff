package contract

import (
	"net/http"
	"strconv"
	"strings"
)

// Production answers like an ASP.NET Core app on Kestrel, whose default limits refuse an
// oversized request before the app sees it: a request line over 8 KiB (414), header fields over
// 32 KiB in total or more than 100 of them (431). The mock assumes those defaults on every
// operation. The probes send no credentials and no body, so a server without the limits answers
// 400, 401 or 415 and changes nothing.

// everyOperation is every operation of the Service API with its method and path.
var everyOperation = []struct{ op, method, path string }{
	{opCreateSignature, http.MethodPost, "/v1/signature/create"},
	{opValidateSignature, http.MethodPost, "/v1/signature/validate"},
	{opGetVerification, http.MethodGet, "/v1/verification/get"},
	{opGetAll, http.MethodGet, "/v1/verification/get-all"},
	{opCreateVerification, http.MethodPost, "/v1/verification/create"},
	{opUpsertVerification, http.MethodPost, "/v1/verification/create-or-update"},
	{opUpdateVerification, http.MethodPut, "/v1/verification/update"},
	{opDeleteVerification, http.MethodDelete, "/v1/verification/delete"},
	{opCreateSession, http.MethodPost, "/v1/verification/create-session"},
	{opGetSessionResult, http.MethodGet, "/v1/verification/get-session-result"},
	{"getToken", http.MethodGet, "/v1/token/get"},
	{"getHealth", http.MethodGet, "/v1/healthz"},
}

func init() {
	register(
		Scenario{Name: "limits/request-line-over-8kib", Needs: []Need{ReadOnly}, Probes: []string{"limits.request-line-8kib"}, Run: func(t *T) {
			pad := "?pad=" + strings.Repeat("x", 8<<10)
			for _, c := range everyOperation {
				status, _, body := t.Raw(c.method, c.path+pad, nil, nil)
				t.Status(c.op, status, body, http.StatusRequestURITooLong)
			}
		}},
		Scenario{Name: "limits/header-fields-over-32kib", Needs: []Need{ReadOnly}, Probes: []string{"limits.headers-32kib"}, Run: func(t *T) {
			big := map[string]string{"X-Contract-Pad": strings.Repeat("x", 32<<10)}
			for _, c := range everyOperation {
				status, _, body := t.Raw(c.method, c.path, nil, big)
				t.Status(c.op, status, body, http.StatusRequestHeaderFieldsTooLarge)
			}
		}},
		Scenario{Name: "limits/more-than-100-header-fields", Needs: []Need{ReadOnly}, Probes: []string{"limits.headers-32kib"}, Run: func(t *T) {
			many := http.Header{}
			for i := range 101 {
				many.Set("X-Contract-Pad-"+strconv.Itoa(i), "x")
			}
			status, _, body := t.RawHeader(http.MethodGet, "/v1/healthz", nil, many)
			t.Status("getHealth", status, body, http.StatusRequestHeaderFieldsTooLarge)
		}},
	)
}
