package contract

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
)

// Scenarios whose main purpose is to probe one of the mock's assumptions against production:
// defaults, rules and formats the vendor's documents do not state.

// assumedRules are requests that break a rule only the mock states; production answering
// anything but 400 naming the field contradicts the assumption.
var assumedRules = []struct {
	bi     badInput
	probes []string
}{
	{badInput{"gender-verifying-type", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json",
		`{"name":"contract-gender-verification","verificationConfig":{"verifierConfigs":{"gender":{"type":"Verification"}}}}`, 400, "type", true},
		[]string{"verifiers.gender-types"}},
	{badInput{"collection-required", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json",
		`{"name":"contract-no-collection","verificationConfig":{"verifierConfigs":{"faceRecognition":{"type":"DuplicateVerification"}}}}`, 400, "collectionId", true},
		[]string{"verifiers.collection-required"}},
	{badInput{"age-threshold-required", opCreateVerification, http.MethodPost, "/v1/verification/create", "application/json",
		`{"name":"contract-no-threshold","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification"}}}}`, 400, "threshold", true},
		[]string{"verifiers.age-threshold-fields"}},
}

func init() {
	for _, r := range assumedRules {
		register(badInputScenario("assumed-rules", r.bi, r.probes))
	}
	register(
		Scenario{Name: "verifications/assumed-defaults", Needs: []Need{WritesConfig},
			Probes: []string{"verifications.result-parameter-defaults", "verifications.session-override-defaults", "verifiers.challenge-default-balanced", "verifiers.age-direction"},
			Run: func(t *T) {
				// Only what is given is written; what comes back for the rest is a default.
				id := createVerification(t, t.Unique("assumed-defaults"), generated.VerificationConfig{
					VerifierConfigs: &generated.VerifierConfigs{
						Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
						Age:      &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))},
					},
				})
				status, v := getVerification(t, id)
				if !t.Status(opGetVerification, status, nil, http.StatusOK) || v == nil {
					return
				}
				c := v.VerificationConfig
				if vc := c.VerifierConfigs; t.True(vc != nil && vc.Liveness != nil && vc.Age != nil, opGetVerification, "verificationConfig.verifierConfigs", vc, "the liveness and age blocks written") {
					t.Equal(opGetVerification, "verifierConfigs.liveness.challengeType", show(vc.Liveness.ChallengeType), show(ptr(generated.Balanced)))
					t.Equal(opGetVerification, "verifierConfigs.age.direction", show(vc.Age.Direction), show(ptr(generated.Above)))
				}
				rp := c.ResultParameterConfig
				want := generated.ResultParameterConfig{
					IncludeAge: ptr(false), IncludeAgeVerificationResult: ptr(false), IncludeCorrelationId: ptr(false),
					IncludeCustomInputParameters: ptr(false), IncludeFaceId: ptr(false), IncludeFaceRecognitionResult: ptr(false),
					IncludeFailedReason: ptr(false), IncludeGender: ptr(false), IncludeGenderVerificationResult: ptr(false),
					IncludeLivenessCheckResult: ptr(false), IncludeSessionId: ptr(false), IncludeSignature: ptr(true),
					IncludeTotalFaceCount: ptr(false), IncludeVerificationResult: ptr(false),
				}
				t.Equal(opGetVerification, "verificationConfig.resultParameterConfig", asJSON(rp), asJSON(&want))
				so := c.SessionOverrideConfig
				t.Equal(opGetVerification, "verificationConfig.sessionOverrideConfig", asJSON(so),
					asJSON(&generated.SessionOverrideConfig{AllowRedirectOverrides: ptr(false), AllowResultParameterOverrides: ptr(false), AllowVerifierOverrides: ptr(false)}))
			}},
		Scenario{Name: "verifications/dates-as-dotnet-writes-them", Needs: []Need{WritesConfig}, Probes: []string{"dates.dotnet-seven-digits"},
			Run: func(t *T) {
				id := createVerification(t, t.Unique("dates"), seedConfig(t.Unique("dates")))
				for _, c := range []struct{ op, path string }{
					{opGetVerification, "/v1/verification/get?verificationId=" + id.String()},
					{opGetAll, "/v1/verification/get-all"},
				} {
					status, _, body := t.Raw(http.MethodGet, c.path, nil, map[string]string{"Authorization": t.AuthHeader()})
					if t.Status(c.op, status, body, http.StatusOK) {
						t.True(dateTime.Match(body), c.op, "body", snippet(body), "created and lastModified date-times")
						checkDateDigits(t, c.op, body)
					}
				}
			}},
		Scenario{Name: "sessions/token-claims", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.token-format"},
			Run: func(t *T) {
				s := createSession(t, generated.CreateSessionRequest{VerifierConfigs: inlineVerifiers()})
				header, claims, ok := jwtParts(s.SessionToken)
				if !t.True(ok, opCreateSession, "sessionToken", "not a JWT", "a JWT with a JSON header and payload") {
					return
				}
				t.Equal(opCreateSession, "sessionToken header alg", header["alg"], "HS256")
				t.Equal(opCreateSession, "sessionToken claim sub", claims["sub"], s.VerificationSessionId.String())
				iat, _ := claims["iat"].(float64)
				exp, _ := claims["exp"].(float64)
				t.Equal(opCreateSession, "sessionToken lifetime (exp - iat, seconds)", exp-iat, float64(15*60))
				_, hasAccount := claims["acc"]
				t.True(hasAccount, opCreateSession, "sessionToken claim acc", claims, "the account's id in acc")
			}},
	)
}

// asJSON shows v as JSON, for comparing and showing structs of pointers.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jwtParts decodes a JWT's header and payload without checking its signature.
func jwtParts(token string) (header, claims map[string]any, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, false
	}
	for i, out := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, out) != nil {
			return nil, nil, false
		}
	}
	return header, claims, true
}
