package contract

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

const (
	opCreateSession    = "createSession"
	opGetSessionResult = "getSessionResult"
)

func inlineVerifiers() *generated.VerifierConfigs {
	return &generated.VerifierConfigs{
		Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: ptr(generated.Balanced)},
		Age:      &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
		Gender:   &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
	}
}

func createSession(t *T, req generated.CreateSessionRequest) generated.SessionCreated {
	resp, err := t.Client.CreateSessionWithResponse(t.Context(), req)
	if err != nil {
		t.Fatalf("%s: %v", opCreateSession, err)
	}
	if !t.Status(opCreateSession, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
		t.Fatalf("%s: no session", opCreateSession)
	}
	return *resp.JSON200
}

func sessionResult(t *T, id uuid.UUID) (int, *generated.SessionResult) {
	resp, err := t.Client.GetSessionResultWithResponse(t.Context(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if err != nil {
		t.Fatalf("%s: %v", opGetSessionResult, err)
	}
	return resp.StatusCode(), resp.JSON200
}

// checkSessionToken checks that the session token is a JWT about this session.
func checkSessionToken(t *T, s generated.SessionCreated) {
	parts := strings.Split(s.SessionToken, ".")
	if !t.True(len(parts) == 3, opCreateSession, "sessionToken", "a token with "+string(rune('0'+len(parts)))+" parts", "a JWT (three dot-separated parts)") {
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		t.Errorf("%s: sessionToken payload is not base64url JSON", opCreateSession)
		return
	}
	exp, ok := claims["exp"].(float64)
	t.True(ok && exp > 0, opCreateSession, "sessionToken exp claim", claims["exp"], "an expiry (the token is short-lived)")
}

// seedCreateSessionBody is the vendor's documented request body, verbatim: the seed document's
// "Create Session" section, "Request Body".
const seedCreateSessionBody = `{
"name": "default",
"externalId": "your-correlation-id",
"verifierConfigs": {
"liveness": {
"type": "Verification",
"challengeType": "Balanced"
},
"age": {
"type": "CalculationOnly"
},
"gender": {
"type": "CalculationOnly"
},
"faceRecognition": {
"type": "DuplicateVerification",
"collectionId": "my-collection"
},
"commonSettings": {
"failOnMultipleFacesDetected": true
}
},
"webhookConfig": {
"eventCallbackUrl": "https://your-server.example.com/webhook"
}
}`

// seedCreateSessionCurlBody is the body of the vendor's curl example, verbatim: the seed
// document's "Create Session" section, "Example Request".
const seedCreateSessionCurlBody = `{
"verifierConfigs": {
"liveness": { "type": "Verification", "challengeType": "Balanced" },
"age": { "type": "CalculationOnly" },
"gender": { "type": "CalculationOnly" }
}
}`

var dashedUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkSessionCreated checks a 200 answer of create-session: a dashed-uuid
// verificationSessionId and a JWT sessionToken.
func checkSessionCreated(t *T, body []byte) {
	var s struct {
		VerificationSessionID string `json:"verificationSessionId"`
		SessionToken          string `json:"sessionToken"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		t.Errorf("%s: the answer is not JSON: %v (body: %s)", opCreateSession, err, snippet(body))
		return
	}
	t.True(dashedUUID.MatchString(strings.ToLower(s.VerificationSessionID)), opCreateSession, "verificationSessionId", s.VerificationSessionID, "a uuid with dashes")
	checkSessionToken(t, generated.SessionCreated{SessionToken: s.SessionToken})
}

func init() {
	register(
		Scenario{Name: "sessions/create-inline-and-read-pending-result", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.pending-result"}, Run: func(t *T) {
			s := createSession(t, generated.CreateSessionRequest{VerifierConfigs: inlineVerifiers(), ExternalId: str(t.Unique("external"))})
			checkSessionToken(t, s)
			status, res := sessionResult(t, s.VerificationSessionId)
			if t.Status(opGetSessionResult, status, nil, http.StatusOK) && res != nil {
				t.Equal(opGetSessionResult, "verificationSessionId", res.VerificationSessionId, s.VerificationSessionId)
				t.Equal(opGetSessionResult, "verificationResult before the session finished", res.VerificationResult, generated.SessionStatusPending)
			}
		}},
		Scenario{Name: "sessions/create-by-name", Needs: []Need{WritesConfig, CreatesSessions}, Probes: []string{"sessions.name-is-label-or-base"}, Run: func(t *T) {
			name := t.Unique("session-base")
			createVerification(t, name, seedConfig("contract-sessions"))
			s := createSession(t, generated.CreateSessionRequest{Name: &name, ExternalId: str("contract-external")})
			checkSessionToken(t, s)
			// Overrides: allowed by the seed configuration.
			createSession(t, generated.CreateSessionRequest{Name: &name, ExternalId: str("contract-external"), VerifierConfigs: inlineVerifiers()})
		}},
		Scenario{Name: "sessions/create-with-unknown-name", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.name-is-label-or-base"}, Run: func(t *T) {
			// A name that names no verification is the session's label (the vendor's example sends
			// "default" with complete inline verifierConfigs, and documents no 404).
			name := t.Unique("label-only")
			status, _, body := t.rawJSON(http.MethodPost, "/v1/verification/create-session", map[string]any{
				"name": name, "verifierConfigs": map[string]any{"liveness": map[string]any{"type": "Verification"}}})
			if t.Status(opCreateSession+" with a name that names no verification", status, body, http.StatusOK) {
				checkSessionCreated(t, body)
			}
		}},
		Scenario{Name: "sessions/unknown-name-needs-verifier-configs", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.verifier-configs-required-without-name"}, Run: func(t *T) {
			// Without a verification to take them from, the verifiers must be given inline.
			status, h, body := t.rawJSON(http.MethodPost, "/v1/verification/create-session", map[string]any{"name": t.Unique("no-such-verification")})
			t.Problem(opCreateSession, status, h, body, http.StatusBadRequest, "verifierConfigs")
		}},
		Scenario{Name: "sessions/seed-create-session-body", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.name-is-label-or-base"}, Run: func(t *T) {
			status, _, body := t.Raw(http.MethodPost, "/v1/verification/create-session", []byte(seedCreateSessionBody),
				map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			if t.Status(opCreateSession+" with the vendor's documented request body", status, body, http.StatusOK) {
				checkSessionCreated(t, body)
			}
		}},
		Scenario{Name: "sessions/seed-create-session-inline-only", Needs: []Need{CreatesSessions}, Run: func(t *T) {
			status, _, body := t.Raw(http.MethodPost, "/v1/verification/create-session", []byte(seedCreateSessionCurlBody),
				map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
			if t.Status(opCreateSession+" with the vendor's curl example body", status, body, http.StatusOK) {
				checkSessionCreated(t, body)
			}
		}},
		Scenario{Name: "sessions/external-id-length", Needs: []Need{CreatesSessions}, Probes: []string{"sessions.external-id-length"}, Run: func(t *T) {
			// 200 characters are taken; 201 are refused, naming the field.
			createSession(t, generated.CreateSessionRequest{VerifierConfigs: inlineVerifiers(), ExternalId: str(strings.Repeat("e", 200))})
			status, h, body := t.rawJSON(http.MethodPost, "/v1/verification/create-session", map[string]any{
				"externalId": strings.Repeat("e", 201), "verifierConfigs": map[string]any{"liveness": map[string]any{"type": "Verification"}}})
			t.Problem(opCreateSession+" with a 201-character externalId", status, h, body, http.StatusBadRequest, "externalId")
		}},
		Scenario{Name: "sessions/result-of-unknown-session", Needs: []Need{ReadOnly}, Run: func(t *T) {
			status, h, body := t.Raw(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+uuid.NewString(), nil, map[string]string{"Authorization": t.AuthHeader()})
			t.Problem(opGetSessionResult, status, h, body, http.StatusNotFound, "")
		}},
		Scenario{Name: "sessions/result-after-completion-and-webhook", Needs: []Need{CreatesSessions, MockControl}, Run: func(t *T) {
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			defer receiver.Close()
			hook := receiver.URL + "/verifeye-events"
			s := createSession(t, generated.CreateSessionRequest{
				VerifierConfigs: inlineVerifiers(), ExternalId: str("contract-correlation"),
				WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: &hook},
			})
			if _, _, err := t.Control.Complete(t.Context(), s.VerificationSessionId, "pass"); err != nil {
				t.Fatalf("control API: complete: %v", err)
			}
			status, res := sessionResult(t, s.VerificationSessionId)
			if t.Status(opGetSessionResult, status, nil, http.StatusOK) && res != nil {
				t.Equal(opGetSessionResult, "verificationResult", res.VerificationResult, generated.SessionStatusPass)
				t.Equal(opGetSessionResult, "livenessVerificationResult", res.LivenessVerificationResult, ptr(generated.VerifierResultPass))
				t.Equal(opGetSessionResult, "correlationId", res.CorrelationId, str("contract-correlation"))
				t.True(res.EstimatedAge != nil, opGetSessionResult, "estimatedAge", res.EstimatedAge, "present (age is calculated)")
				t.True(res.EstimatedGender != nil, opGetSessionResult, "estimatedGender", res.EstimatedGender, "present (gender is calculated)")
			}
			attempts, err := t.Control.Webhooks(t.Context())
			if err != nil {
				t.Fatalf("control API: webhooks: %v", err)
			}
			delivered := false
			for _, a := range attempts {
				if a.SessionID == s.VerificationSessionId.String() && a.URL == hook && a.Delivered {
					delivered = true
				}
			}
			t.True(delivered, "webhook", "deliveries for the session", len(attempts), "one delivered VerificationCompleted event")
		}},
		Scenario{Name: "sessions/result-gone-after-7-days", Needs: []Need{CreatesSessions, MockControl}, Run: func(t *T) {
			s := createSession(t, generated.CreateSessionRequest{VerifierConfigs: inlineVerifiers()})
			t.Advance(7*24*time.Hour - time.Minute)
			status, _ := sessionResult(t, s.VerificationSessionId)
			t.Equal(opGetSessionResult, "status just before 7 days", status, http.StatusOK)
			t.Advance(2 * time.Minute)
			status, _ = sessionResult(t, s.VerificationSessionId)
			t.Equal(opGetSessionResult, "status after 7 days", status, http.StatusNotFound)
		}},
	)
}
