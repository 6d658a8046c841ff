package contract

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// How production reads requests: the ASP.NET Core stack it runs on matches paths, JSON member
// names and query parameter names regardless of letter case, so a C# client that sends its classes'
// PascalCase names works, reads enum values regardless of letter case too and integers from
// strings, reads an application/*+json body as JSON, skips a UTF-8 byte order mark
// before it, and answers HEAD of a GET-only endpoint with 405. These scenarios
// prove it, and the mock's doing the same, against each target.
func init() {
	register(
		Scenario{Name: "binding/member-names-ignore-case", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			body := []byte(`{"QueryString":"contract=1","SecuritySettings":{"ExpirationEnabled":false}}`)
			status, _, resp := t.Raw(http.MethodPost, "/v1/signature/create", body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			if !t.Status(opCreateSignature, status, resp, http.StatusOK) {
				return
			}
			var s struct {
				SignedQueryString string `json:"signedQueryString"`
			}
			if err := json.Unmarshal(resp, &s); err != nil {
				t.Errorf("%s: the answer is not JSON: %v (body: %s)", opCreateSignature, err, snippet(resp))
				return
			}
			// Both the query string and the nested expirationEnabled were bound: no expiration.
			t.True(strings.HasPrefix(s.SignedQueryString, "contract=1&reSignature="), opCreateSignature, "signedQueryString", s.SignedQueryString,
				"contract=1 signed without expiration, from PascalCase member names")
		}},
		Scenario{Name: "binding/utf8-byte-order-mark-skipped", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			body := []byte("\xef\xbb\xbf" + `{"queryString":"contract=1","securitySettings":{"expirationEnabled":false}}`)
			status, _, resp := t.Raw(http.MethodPost, "/v1/signature/create", body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			t.Status(opCreateSignature, status, resp, http.StatusOK)
		}},
		Scenario{Name: "binding/paths-ignore-case-and-a-trailing-slash", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			for _, path := range []string{"/V1/HEALTHZ", "/v1/healthz/"} {
				status, _, resp := t.Raw(http.MethodGet, path, nil, nil)
				t.Status("getHealth", status, resp, http.StatusOK)
			}
		}},
		Scenario{Name: "binding/head-of-a-get-operation-not-allowed", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			status, header, resp := t.Raw(http.MethodHead, "/v1/verification/get-all", nil, map[string]string{"Authorization": t.AuthHeader()})
			if t.Status(opGetAll, status, resp, http.StatusMethodNotAllowed) {
				t.Equal(opGetAll, "Allow header", header.Get("Allow"), "GET")
			}
		}},
		Scenario{Name: "binding/structured-json-media-type", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			body := []byte(`{"queryString":"contract=1","securitySettings":{"expirationEnabled":false}}`)
			status, _, resp := t.Raw(http.MethodPost, "/v1/signature/create", body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/vnd.contract+json"})
			t.Status(opCreateSignature, status, resp, http.StatusOK)
		}},
		Scenario{Name: "binding/enum-values-ignore-case", Needs: []Need{WritesConfig}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			name := t.Unique("enum-case")
			cleanupByName(t, name)
			body := []byte(`{"name":"` + name + `","verificationConfig":{"verifierConfigs":{"gender":{"type":"calculationonly"}}}}`)
			status, _, resp := t.Raw(http.MethodPost, "/v1/verification/create", body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			if !t.Status(opCreateVerification, status, resp, http.StatusOK) {
				return
			}
			var created struct {
				VerificationID uuid.UUID `json:"verificationId"`
			}
			if err := json.Unmarshal(resp, &created); err != nil {
				t.Errorf("%s: the answer is not JSON: %v (body: %s)", opCreateVerification, err, snippet(resp))
				return
			}
			if status, v := getVerification(t, created.VerificationID); status == http.StatusOK && v != nil {
				var got any
				if vc := v.VerificationConfig.VerifierConfigs; vc != nil && vc.Gender != nil {
					got = string(vc.Gender.Type)
				}
				t.Equal(opGetVerification, "verificationConfig.verifierConfigs.gender.type", got, "CalculationOnly")
			}
		}},
		Scenario{Name: "binding/integer-from-a-string", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			body := []byte(`{"queryString":"contract=1","securitySettings":{"expirationInSeconds":"120"}}`)
			// The target's clock, not this machine's: a mock's clock may have been moved.
			before := serverNow(t)
			status, _, resp := t.Raw(http.MethodPost, "/v1/signature/create", body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			if !t.Status(opCreateSignature, status, resp, http.StatusOK) {
				return
			}
			var s struct {
				Expiration *int64 `json:"expiration"`
			}
			if err := json.Unmarshal(resp, &s); err != nil || s.Expiration == nil {
				t.Errorf("%s: no expiration in %s", opCreateSignature, snippet(resp))
				return
			}
			t.True(within(time.Unix(*s.Expiration, 0), before.Add(120*time.Second), 5*time.Minute), opCreateSignature, "expiration", *s.Expiration, "about the server's now ("+before.Format(time.RFC3339)+") + 120 s, from the string \"120\"")
		}},
		Scenario{Name: "binding/query-uuid-in-another-form", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			// An unknown id in braces or without dashes is a 404, not a 400 for a malformed id.
			id := uuid.NewString()
			for _, form := range []string{"%7B" + id + "%7D", strings.ReplaceAll(id, "-", "")} {
				status, h, body := t.Raw(http.MethodGet, "/v1/verification/get?verificationId="+form, nil, map[string]string{"Authorization": t.AuthHeader()})
				t.Problem(opGetVerification, status, h, body, http.StatusNotFound, "")
			}
		}},
		Scenario{Name: "binding/query-names-ignore-case", Needs: []Need{ReadOnly}, Probes: []string{"binding.aspnet-defaults"}, Run: func(t *T) {
			// An unknown id under another spelling is a 404, not a 400 for a missing parameter.
			status, h, body := t.Raw(http.MethodGet, "/v1/verification/get?VerificationId="+uuid.NewString(), nil, map[string]string{"Authorization": t.AuthHeader()})
			t.Problem(opGetVerification, status, h, body, http.StatusNotFound, "")
		}},
	)
}
