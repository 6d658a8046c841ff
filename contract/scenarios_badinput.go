package contract

import (
	"encoding/json"
	"net/http"
	"strings"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// badInput is one validation rule: a request that breaks it, the status and the field the
// problem must name.
type badInput struct {
	name, op, method, path, contentType, body string
	status                                    int
	field                                     string
	writes                                    bool // a server that wrongly accepted it would create something
}

var badInputs = []badInput{
	{"malformed-json", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":`, 400, "", false},
	{"wrong-type", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":5}`, 400, "queryString", false},
	{"wrong-type-nested", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":"a=1","securitySettings":{"enableNonce":"yes"}}`, 400, "enableNonce", false},
	{"missing-required-field", opValidateSignature, http.MethodPost, "/v1/signature/validate", "application/json", `{}`, 400, "queryString", false},
	{"out-of-range", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":"a=1","securitySettings":{"expirationInSeconds":99999999}}`, 400, "expirationInSeconds", false},
	{"empty-body", opValidateSignature, http.MethodPost, "/v1/signature/validate", "application/json", ``, 400, "", false},
	{"bad-uuid-in-query", opGetVerification, http.MethodGet, "/v1/verification/get?verificationId=not-a-uuid", "", "", 400, "verificationId", false},
	{"bad-uuid-in-session-query", opGetSessionResult, http.MethodGet, "/v1/verification/get-session-result?verificationSessionId=1234", "", "", 400, "verificationSessionId", false},
	{"missing-query-parameter", opDeleteVerification, http.MethodDelete, "/v1/verification/delete", "", "", 400, "verificationId", false},
	{"wrong-content-type", opCreateSignature, http.MethodPost, "/v1/signature/create", "text/plain", `{"queryString":"a=1"}`, 415, "", false},
	{"bad-uuid-in-body", opUpdateVerification, http.MethodPut, "/v1/verification/update", "application/json", `{"verificationId":"nope","name":"contract-bad-uuid","verificationConfig":{}}`, 400, "verificationId", true},
	{"unknown-enum-value", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json", `{"name":"contract-bad-enum","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Sometimes"}}}}`, 400, "type", true},
	{"blank-name", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json", `{"name":"   ","verificationConfig":{}}`, 400, "name", true},
	{"missing-verification-config", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json", `{"name":"contract-no-config"}`, 400, "verificationConfig", true},
	{"upsert-blank-name", opUpsertVerification, http.MethodPost, "/v1/verification/create-or-update", "application/json", `{"name":"  ","verificationConfig":{}}`, 400, "name", true},
	{"whole-number-with-a-fraction", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":"a=1","securitySettings":{"expirationInSeconds":60.0}}`, 400, "expirationInSeconds", false},
	{"nesting-deeper-than-64", opCreateSignature, http.MethodPost, "/v1/signature/create", "application/json", `{"queryString":"a=1","ignored":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, 400, "", false},
	{"non-http-redirect-url", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json", `{"name":"contract-ftp","verificationConfig":{"redirectConfig":{"passedUrl":"ftp://example.com/x"}}}`, 400, "passedUrl", true},
}

// badInputProbes names the assumptions a bad-input scenario probes: the rule it breaks is the
// mock's, not the vendor's.
var badInputProbes = map[string][]string{
	"wrong-content-type":    {"errors.415-non-json"},
	"blank-name":            {"verifications.name-rules"},
	"upsert-blank-name":     {"verifications.name-rules"},
	"non-http-redirect-url": {"verifications.redirect-urls-http"},
}

// badInputScenario checks that the server refuses bi with its status and names its field.
func badInputScenario(group string, bi badInput, probes []string) Scenario {
	needs := []Need{ReadOnly}
	if bi.writes {
		needs = []Need{WritesConfig}
	}
	return Scenario{Name: group + "/" + bi.name, Needs: needs, Probes: probes, Run: func(t *T) {
		if bi.writes {
			var probe struct {
				Name string `json:"name"`
			}
			if json.Unmarshal([]byte(bi.body), &probe) == nil && strings.TrimSpace(probe.Name) != "" {
				cleanupByName(t, probe.Name)
			}
		}
		h := map[string]string{"Authorization": t.AuthHeader()}
		if bi.contentType != "" {
			h["Content-Type"] = bi.contentType
		}
		var body []byte
		if bi.method != http.MethodGet && bi.method != http.MethodDelete {
			body = []byte(bi.body)
		}
		status, header, resp := t.Raw(bi.method, bi.path, body, h)
		t.Problem(bi.op, status, header, resp, bi.status, bi.field)
	}}
}

func init() {
	for _, bi := range badInputs {
		register(badInputScenario("bad-input", bi, badInputProbes[bi.name]))
	}
	register(
		Scenario{Name: "bad-input/session-with-unknown-enum-value", Needs: []Need{CreatesSessions}, Run: func(t *T) {
			status, header, resp := t.Raw(http.MethodPost, "/v1/verification/create-session",
				[]byte(`{"verifierConfigs":{"age":{"type":"Guess"}}}`), map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			t.Problem(opCreateSession, status, header, resp, http.StatusBadRequest, "type")
		}},
		Scenario{Name: "bad-input/every-body-operation-checks-type-and-size", Needs: []Need{WritesConfig, CreatesSessions}, Probes: []string{"errors.415-non-json", "limits.body-1mib"}, Run: func(t *T) {
			// A server that ignored the content type would create these; clean up by name.
			cleanupByName(t, "contract-media-probe")
			big := []byte(`{"name":"contract-media-probe","queryString":"` + strings.Repeat("x", 2<<20) + `"}`)
			for _, c := range []struct{ op, method, path string }{
				{opCreateSignature, http.MethodPost, "/v1/signature/create"},
				{opValidateSignature, http.MethodPost, "/v1/signature/validate"},
				{opCreateVerification, http.MethodPost, "/v1/verification/create"},
				{opUpsertVerification, http.MethodPost, "/v1/verification/create-or-update"},
				{opUpdateVerification, http.MethodPut, "/v1/verification/update"},
				{opCreateSession, http.MethodPost, "/v1/verification/create-session"},
			} {
				status, header, resp := t.Raw(c.method, c.path, []byte(`name=contract-media-probe`), map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/x-www-form-urlencoded"})
				t.Problem(c.op, status, header, resp, http.StatusUnsupportedMediaType, "")
				status, header, resp = t.Raw(c.method, c.path, big, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
				t.Problem(c.op, status, header, resp, http.StatusRequestEntityTooLarge, "")
			}
		}},
		Scenario{Name: "bad-input/oversized-body", Needs: []Need{ReadOnly}, Probes: []string{"limits.body-1mib"}, Run: func(t *T) {
			big := `{"queryString":"a=` + strings.Repeat("x", 2<<20) + `"}`
			status, header, resp := t.Raw(http.MethodPost, "/v1/signature/create", []byte(big), map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			t.Problem(opCreateSignature, status, header, resp, http.StatusRequestEntityTooLarge, "")
		}},
		Scenario{Name: "bad-input/repeated-query-parameter", Needs: []Need{ReadOnly, MockControl}, Run: func(t *T) {
			status, header, resp := t.Raw(http.MethodGet, "/v1/verification/get?verificationId=39e00c96-6431-4b2e-8707-2fb80e561fbf&verificationId=39e00c96-6431-4b2e-8707-2fb80e561fbe", nil, map[string]string{"Authorization": t.AuthHeader()})
			t.Problem(opGetVerification, status, header, resp, http.StatusBadRequest, "verificationId")
		}},
		Scenario{Name: "bad-input/unknown-field-is-named", Needs: []Need{ReadOnly, MockControl}, Run: func(t *T) {
			status, header, resp := t.Raw(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySetings":{}}`), map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			t.Status(opCreateSignature, status, resp, http.StatusOK)
			t.True(strings.Contains(header.Get("X-Mock-Warning"), "securitySetings"), opCreateSignature, "X-Mock-Warning header", header.Get("X-Mock-Warning"), "naming the unknown field securitySetings")
		}},
	)
}
