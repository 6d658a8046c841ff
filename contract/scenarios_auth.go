package contract

import (
	"fmt"
	"time"

	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// call is one operation with a request that is valid but for its credentials.
type call struct {
	op, method, path string
	body             string
}

// authenticatedCalls lists every operation that needs credentials. Against production the token
// operation lives on the Security API's host, so it is left out there.
func authenticatedCalls(live bool) []call {
	id := uuid.NewString()
	cfg := `{"name":"contract-auth-probe","verificationConfig":{}}`
	calls := []call{
		{opCreateSignature, http.MethodPost, "/v1/signature/create", `{"queryString":"a=1"}`},
		{opValidateSignature, http.MethodPost, "/v1/signature/validate", `{"queryString":"a=1&reSignature=00"}`},
		{opGetVerification, http.MethodGet, "/v1/verification/get?verificationId=" + id, ""},
		{opGetAll, http.MethodGet, "/v1/verification/get-all", ""},
		{opCreateVerification, http.MethodPost, "/v1/verification/create", cfg},
		{opUpsertVerification, http.MethodPost, "/v1/verification/create-or-update", cfg},
		{opUpdateVerification, http.MethodPut, "/v1/verification/update", `{"verificationId":"` + id + `","name":"contract-auth-probe","verificationConfig":{}}`},
		{opDeleteVerification, http.MethodDelete, "/v1/verification/delete?verificationId=" + id, ""},
		{opCreateSession, http.MethodPost, "/v1/verification/create-session", `{"name":"contract-auth-probe"}`},
		{opGetSessionResult, http.MethodGet, "/v1/verification/get-session-result?verificationSessionId=" + id, ""},
	}
	if !live {
		calls = append(calls, call{"getToken", http.MethodGet, "/v1/token/get", ""})
	}
	return calls
}

// authCase checks that every operation answers 401 in the error format with the given
// Authorization header (none when empty).
func authCase(authorization string) func(*T) {
	return func(t *T) {
		for _, c := range authenticatedCalls(t.Live()) {
			h := map[string]string{}
			if authorization != "" {
				h["Authorization"] = authorization
			}
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
				h["Content-Type"] = "application/json"
			}
			status, header, resp := t.Raw(c.method, c.path, body, h)
			t.Problem(c.op, status, header, resp, http.StatusUnauthorized, "")
		}
	}
}

var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

func init() {
	register(
		Scenario{Name: "auth/missing-credentials", Needs: []Need{ReadOnly}, Probes: []string{"errors.problem-details", "auth.401-where-not-listed"}, Run: authCase("")},
		Scenario{Name: "auth/malformed-credentials", Needs: []Need{ReadOnly}, Probes: []string{"errors.problem-details"}, Run: func(t *T) {
			for _, h := range []string{"ApiKey", "Basic dXNlcjpwYXNz", "Bearer", "Token abc"} {
				authCase(h)(t)
			}
		}},
		Scenario{Name: "auth/credentials-given-twice", Needs: []Need{ReadOnly}, Run: func(t *T) {
			// Two Authorization headers, both the run's own valid key: ASP.NET joins them into
			// one value, which is no key.
			h := http.Header{"Authorization": {t.AuthHeader(), t.AuthHeader()}}
			status, header, resp := t.RawHeader(http.MethodGet, "/v1/verification/get-all", nil, h)
			t.Problem(opGetAll, status, header, resp, http.StatusUnauthorized, "")
		}},
		Scenario{Name: "auth/wrong-credentials", Needs: []Need{ReadOnly}, Probes: []string{"errors.problem-details"}, Run: func(t *T) {
			authCase("ApiKey contract-wrong-" + uuid.NewString())(t)
			authCase("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.c2lnbmF0dXJl")(t)
		}},
		Scenario{Name: "auth/bearer-token", Needs: []Need{ReadOnly}, Probes: []string{"auth.token-endpoint"}, Run: func(t *T) {
			if t.Live() {
				t.Skipf("production issues tokens from the Security API's own host")
			}
			status, _, body := t.Raw(http.MethodGet, "/v1/token/get?expirationInSeconds=120", nil, map[string]string{"Authorization": t.AuthHeader()})
			if !t.Status("getToken", status, body, http.StatusOK) {
				return
			}
			var tok struct {
				Token string `json:"token"`
			}
			if err := jsonUnmarshal(body, &tok); err != nil || !jwtShape.MatchString(tok.Token) {
				t.Fatalf("getToken: token is not a JWT")
			}
			bearer := map[string]string{"Authorization": "Bearer " + tok.Token}
			status, _, body = t.Raw(http.MethodGet, "/v1/verification/get-all", nil, bearer)
			t.Status(opGetAll, status, body, http.StatusOK)
			// Only an API key may ask for a token.
			status, header, body := t.Raw(http.MethodGet, "/v1/token/get", nil, bearer)
			t.Problem("getToken", status, header, body, http.StatusUnauthorized, "")
			// A token expires.
			if t.Control != nil {
				t.Advance(121 * time.Second)
				status, header, body = t.Raw(http.MethodGet, "/v1/verification/get-all", nil, bearer)
				t.Problem(opGetAll, status, header, body, http.StatusUnauthorized, "")
			}
			// Out-of-range lifetimes.
			for _, bad := range []string{"59", "3601"} {
				status, header, body = t.Raw(http.MethodGet, "/v1/token/get?expirationInSeconds="+bad, nil, map[string]string{"Authorization": t.AuthHeader()})
				t.Problem("getToken", status, header, body, http.StatusBadRequest, "expirationInSeconds")
			}
		}},
		Scenario{Name: "auth/bearer-token-from-security-api", Needs: []Need{ReadOnly}, Probes: []string{"auth.token-endpoint", "dates.dotnet-seven-digits"}, Run: func(t *T) {
			// A token as production issues it (the Security API's /v1/token/get, or one given to
			// the run) is accepted by the Service API and sees the same account as the API key.
			token := t.BearerToken()
			ids := func(auth, with string) []string {
				status, _, body := t.Raw(http.MethodGet, "/v1/verification/get-all", nil, map[string]string{"Authorization": auth})
				if !t.Status(opGetAll+" with "+with, status, body, http.StatusOK) {
					t.Fatalf("%s: no list with %s", opGetAll, with)
				}
				var list struct {
					Verifications []struct {
						VerificationID string `json:"verificationId"`
					} `json:"verifications"`
				}
				if err := jsonUnmarshal(body, &list); err != nil {
					t.Fatalf("%s: the answer with %s is not JSON: %v", opGetAll, with, err)
				}
				out := make([]string, len(list.Verifications))
				for i, v := range list.Verifications {
					out[i] = v.VerificationID
				}
				return out
			}
			byKey := ids(t.AuthHeader(), "the API key")
			byToken := ids("Bearer "+token, "the Bearer token")
			t.Equal(opGetAll, "verificationIds with the Bearer token (against those with the API key)", strings.Join(byToken, ","), strings.Join(byKey, ","))
		}},
		Scenario{Name: "health/format", Needs: []Need{ReadOnly}, Probes: []string{probeHealthNewline}, Run: func(t *T) {
			status, header, body := t.Raw(http.MethodGet, "/v1/healthz", nil, nil)
			t.Status("getHealth", status, body, http.StatusOK)
			t.True(strings.HasPrefix(header.Get("Content-Type"), "text/plain"), "getHealth", "Content-Type", header.Get("Content-Type"), "text/plain")
			at := strings.TrimSpace(string(body))
			t.True(healthzFormat.MatchString(at), "getHealth", "body", string(body), "a UTC time with 7 fractional digits, like 2026-02-08T11:34:54.3015450Z")
			// The mock's newline is its own choice: whether the target sends one is recorded, not
			// failed, since a client reads the time trimmed either way.
			if status == http.StatusOK && healthzFormat.MatchString(at) {
				t.Decide(probeHealthNewline, string(body) == at+"\n", fmt.Sprintf("the body is %q", body))
			}
		}},
	)
}

// probeHealthNewline is the assumption that healthz's time ends with a newline.
const probeHealthNewline = "health.trailing-newline"

var healthzFormat = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$`)
