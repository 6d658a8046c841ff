package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// apiSessionClaims are the claims the contract gives a session token.
type apiSessionClaims struct {
	Account string `json:"acc"`
	jwt.RegisteredClaims
}

func TestCreateSessionByName(t *testing.T) {
	m := newMock(t)
	m.createVerification(m.A, generated.VerificationInput{Name: "default", VerificationConfig: apiFullConfig()})
	s := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("default"), ExternalId: apiPtr("your-correlation-id")})
	if s.VerificationSessionId == uuid.Nil {
		t.Fatal("the session id is the nil UUID")
	}

	var claims apiSessionClaims
	tok, _, err := jwt.NewParser().ParseUnverified(s.SessionToken, &claims)
	if err != nil {
		t.Fatalf("the session token is not a JWT: %v", err)
	}
	if alg := tok.Method.Alg(); alg != "HS256" {
		t.Errorf("alg = %s, want HS256", alg)
	}
	if claims.Subject != s.VerificationSessionId.String() {
		t.Errorf("sub = %q, want the session id %s", claims.Subject, s.VerificationSessionId)
	}
	if claims.Account != apiAccountA {
		t.Errorf("acc = %q, want %q", claims.Account, apiAccountA)
	}
	if claims.IssuedAt == nil || !claims.IssuedAt.Equal(frozenAt) {
		t.Errorf("iat = %v, want %s (the mock clock)", claims.IssuedAt, frozenAt)
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) != 15*time.Minute {
		t.Errorf("iat %v, exp %v: want exp 15 minutes after iat", claims.IssuedAt, claims.ExpiresAt)
	}

	// Every session is a new one.
	again := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("default")})
	if again.VerificationSessionId == s.VerificationSessionId {
		t.Error("two sessions got the same id")
	}
	// The name is trimmed like a verification's.
	m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("  default ")})
	if vs := m.requestViolations(); len(vs) != 0 {
		t.Errorf("the test sent requests that break the spec: %v", vs)
	}
}

func TestSessionTokenIsNotAnAPICredential(t *testing.T) {
	m := newMock(t)
	s := m.createSession(m.A, generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
		Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}})
	resp, err := m.A.GetAllVerificationsWithResponse(m.ctx, apiAuth("Bearer "+s.SessionToken))
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusUnauthorized, resp, resp.HTTPResponse, resp.Body)
}

func TestCreateSessionInline(t *testing.T) {
	tests := []struct {
		name string
		req  generated.CreateSessionRequest
	}{
		{"liveness only", generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
			Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}}},
		{"empty verifier configs", generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{}}},
		{"every verifier, webhook and external id", generated.CreateSessionRequest{
			ExternalId:      apiPtr("person-1"),
			VerifierConfigs: apiFullConfig().VerifierConfigs,
			WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: apiPtr("https://example.com/hook")},
		}},
		{"match verification with external id", generated.CreateSessionRequest{
			ExternalId: apiPtr("person-2"),
			VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
				Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: apiPtr("c")}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			s := m.createSession(m.A, tc.req)
			res, err := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: s.VerificationSessionId})
			if err != nil {
				t.Fatal(err)
			}
			if res.JSON200 == nil || res.JSON200.VerificationSessionId != s.VerificationSessionId {
				t.Errorf("result: status %d, body %s", res.StatusCode(), res.Body)
			}
		})
	}
}

func TestCreateSessionRejects(t *testing.T) {
	match := func(t generated.FaceRecognitionType) *generated.VerifierConfigs {
		return &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: t, CollectionId: apiPtr("c")}}
	}
	tests := []struct {
		name   string
		req    generated.CreateSessionRequest
		status int
		field  string // a key of errors
	}{
		{"unknown name without verifier configs", generated.CreateSessionRequest{Name: apiPtr("no such verification")}, http.StatusBadRequest, "verifierConfigs"},
		{"neither name nor verifier configs", generated.CreateSessionRequest{ExternalId: apiPtr("x")}, http.StatusBadRequest, "verifierConfigs"},
		{"empty request", generated.CreateSessionRequest{}, http.StatusBadRequest, "verifierConfigs"},
		{"blank name", generated.CreateSessionRequest{Name: apiPtr("   ")}, http.StatusBadRequest, "name"},
		{"match without external id", generated.CreateSessionRequest{VerifierConfigs: match(generated.FaceRecognitionTypeMatchVerification)}, http.StatusBadRequest, "externalId"},
		{"unique match without external id", generated.CreateSessionRequest{VerifierConfigs: match(generated.FaceRecognitionTypeUniqueMatchVerification)}, http.StatusBadRequest, "externalId"},
		{"inline threshold without threshold", generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
			Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification}}}, http.StatusBadRequest, "verifierConfigs.age.threshold"},
		{"inline face recognition without collection", generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification}}}, http.StatusBadRequest, "verifierConfigs.faceRecognition.collectionId"},
		{"webhook not http", generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{},
			WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: apiPtr("ftp://example.com")}}, http.StatusBadRequest, "webhookConfig.eventCallbackUrl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			resp, err := m.A.CreateSessionWithResponse(m.ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			p := apiProblemOf(t, tc.status, resp, resp.HTTPResponse, resp.Body, tc.field)
			for f, rules := range apiErrorsOf(p) {
				if len(slices.Compact(slices.Clone(rules))) != len(rules) {
					t.Errorf("errors[%s] repeats a rule: %q", f, rules)
				}
			}
		})
	}
}

// TestCreateSessionInlineOverBase: when a verification has the session's name, its configuration
// is the base and every inline verifier block replaces the base's block of the same name,
// whatever allowVerifierOverrides says (that flag governs the hosted link's reDisable…Verifier
// keys, not create-session). The completed result shows which blocks ran.
func TestCreateSessionInlineOverBase(t *testing.T) {
	// The base: liveness verifies, age is off, and two faces fail the session.
	base := generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
		Liveness:       &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
		Age:            &generated.AgeConfig{Type: generated.AgeTypeDisabled},
		CommonSettings: &generated.CommonSettings{FailOnMultipleFacesDetected: apiPtr(true)},
	}}
	// The inline blocks turn each of those around and add gender and face recognition.
	inline := func() *generated.VerifierConfigs {
		return &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeDisabled},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeCalculationOnly, CollectionId: apiPtr("people")},
			CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: apiPtr(false)},
		}
	}
	// A spoof in front of the camera with a second face behind it.
	subject := mockserver.SubjectSpec{Preset: "spoof", Subject: &mockserver.Subject{FaceCount: apiPtr(2)}}
	notExecuted := generated.VerifierResultNotExecuted

	for _, allow := range []*bool{apiPtr(true), apiPtr(false), nil} {
		name := "flag omitted"
		if allow != nil {
			name = fmt.Sprintf("allowVerifierOverrides %t", *allow)
		}
		t.Run(name, func(t *testing.T) {
			m := newMock(t)
			cfg := base
			if allow != nil {
				cfg.SessionOverrideConfig = &generated.SessionOverrideConfig{AllowVerifierOverrides: allow}
			}
			id := m.createVerification(m.A, generated.VerificationInput{Name: "base", VerificationConfig: cfg}).VerificationId
			before := m.getVerification(m.A, id)

			t.Run("inline blocks replace the base's", func(t *testing.T) {
				s := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("base"), VerifierConfigs: inline()})
				res := m.complete(s.VerificationSessionId, subject)
				if res.VerificationResult != generated.SessionStatusPass || len(*res.VerificationFailedReasons) != 0 {
					t.Errorf("result %s %v, want Pass: inline liveness Disabled and commonSettings override the base's", res.VerificationResult, *res.VerificationFailedReasons)
				}
				if *res.LivenessVerificationResult != notExecuted {
					t.Errorf("liveness %s, want NotExecuted (inline Disabled)", *res.LivenessVerificationResult)
				}
				if res.EstimatedAge == nil || *res.AgeVerificationResult != notExecuted {
					t.Errorf("age %s, estimatedAge %v: want NotExecuted with an estimate (inline CalculationOnly)", *res.AgeVerificationResult, res.EstimatedAge)
				}
				if res.EstimatedGender == nil {
					t.Error("no estimatedGender: the inline gender block was dropped")
				}
				if res.FaceId == nil {
					t.Error("no faceId: the inline faceRecognition block was dropped")
				}
				if *res.TotalFaceCount != 2 {
					t.Errorf("totalFaceCount %d, want 2", *res.TotalFaceCount)
				}
			})
			t.Run("without inline blocks the base runs", func(t *testing.T) {
				s := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("base")})
				res := m.complete(s.VerificationSessionId, subject)
				if res.VerificationResult != generated.SessionStatusFail || !slices.Contains(*res.VerificationFailedReasons, generated.MultipleFaces) {
					t.Errorf("result %s %v, want Fail with multipleFaces (the base's commonSettings)", res.VerificationResult, *res.VerificationFailedReasons)
				}
				if res.EstimatedAge != nil || res.EstimatedGender != nil || res.FaceId != nil {
					t.Errorf("estimates %v %v %v from verifiers the base does not run", res.EstimatedAge, res.EstimatedGender, res.FaceId)
				}
			})
			t.Run("inline blocks are checked", func(t *testing.T) {
				for _, tc := range []struct {
					name   string
					blocks *generated.VerifierConfigs
					field  string
				}{
					{"match mode needs an external id", &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
						Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: apiPtr("c")}}, "externalId"},
					{"threshold needs a threshold", &generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification}}, "verifierConfigs.age.threshold"},
				} {
					resp, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr("base"), VerifierConfigs: tc.blocks})
					if err != nil {
						t.Fatal(err)
					}
					p := apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, tc.field)
					for f, rules := range apiErrorsOf(p) {
						if len(slices.Compact(slices.Clone(rules))) != len(rules) {
							t.Errorf("%s: errors[%s] repeats a rule: %q", tc.name, f, rules)
						}
					}
				}
			})
			// A session never changes the verification it starts from.
			if after := m.getVerification(m.A, id); string(apiMustJSON(t, after)) != string(apiMustJSON(t, before)) {
				t.Errorf("the session changed the verification:\n%s\n%s", apiMustJSON(t, before), apiMustJSON(t, after))
			}
		})
	}
}

// TestCreateSessionUnknownName: a name no verification has is only a label; the inline
// configuration runs alone (the vendor's example sends "name": "default" on any account), and
// without one the 400 says why verifierConfigs is needed.
func TestCreateSessionUnknownName(t *testing.T) {
	m := newMock(t)
	s := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("default"), ExternalId: apiPtr("corr-1"), VerifierConfigs: &generated.VerifierConfigs{
		Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
		Age:      &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
		Gender:   &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
	}})
	res := m.complete(s.VerificationSessionId, mockserver.SubjectSpec{Preset: "pass"})
	if res.VerificationResult != generated.SessionStatusPass || *res.LivenessVerificationResult != generated.VerifierResultPass ||
		res.EstimatedAge == nil || res.EstimatedGender == nil || res.CorrelationId == nil || *res.CorrelationId != "corr-1" {
		t.Errorf("result %s, want Pass with liveness Pass, estimatedAge, estimatedGender and correlationId corr-1", apiMustJSON(t, res))
	}

	resp, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr(" default ")})
	if err != nil {
		t.Fatal(err)
	}
	p := apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "verifierConfigs")
	if rules := apiErrorsOf(p)["verifierConfigs"]; !slices.Contains(rules, `is required when no verification is named "default"`) {
		t.Errorf("errors[verifierConfigs] = %q, want the rule with the trimmed name", rules)
	}
}

func TestCreateSessionByNameNeedsExternalIDForMatchModes(t *testing.T) {
	m := newMock(t)
	m.createVerification(m.A, generated.VerificationInput{Name: "match", VerificationConfig: generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
			Type: generated.FaceRecognitionTypeUniqueMatchVerification, CollectionId: apiPtr("people")}}}})
	resp, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr("match")})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "externalId")
	m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("match"), ExternalId: apiPtr("person-1")})
}

func TestGetSessionResultPending(t *testing.T) {
	m := newMock(t)
	s := m.createSession(m.A, generated.CreateSessionRequest{ExternalId: apiPtr("corr"), VerifierConfigs: apiFullConfig().VerifierConfigs})
	resp, err := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: s.VerificationSessionId})
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
	}
	if resp.JSON200.VerificationResult != generated.SessionStatusPending || resp.JSON200.VerificationSessionId != s.VerificationSessionId {
		t.Errorf("result = %s, want Pending for %s", resp.Body, s.VerificationSessionId)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &fields); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"verificationResult", "verificationSessionId"}; !slices.Equal(keys, want) {
		t.Errorf("a pending result has fields %v, want only %v", keys, want)
	}
}

func TestGetSessionResultNotFound(t *testing.T) {
	m := newMock(t)
	sa := m.createSession(m.A, generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{}})

	get := func(c *generated.ClientWithResponses, id uuid.UUID) *generated.GetSessionResultResponse {
		t.Helper()
		resp, err := c.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: id})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	t.Run("unknown id", func(t *testing.T) {
		resp := get(m.A, apiMissingID)
		p := apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)
		if resp.ApplicationproblemJSON404 == nil || !strings.Contains(apiDetailOf(p), "verificationSessionId") {
			t.Errorf("the 404 does not name verificationSessionId: %s", resp.Body)
		}
	})
	t.Run("a verification id is not a session id", func(t *testing.T) {
		vid := m.createVerification(m.A, apiMinimalInput("v")).VerificationId
		resp := get(m.A, vid)
		apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)
	})
	t.Run("another account's session", func(t *testing.T) {
		resp := get(m.B, sa.VerificationSessionId)
		apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)
	})
	t.Run("malformed id", func(t *testing.T) {
		for _, bad := range []string{"nope", "a1b2c3d4e5f67890abcdef123456789", "{a1b2c3d4-e5f6-7890-abcd-ef1234567890", "[a1b2c3d4-e5f6-7890-abcd-ef1234567890]"} {
			r := m.send(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+bad, nil)
			r.problem(t, http.StatusBadRequest, "verificationSessionId")
		}
	})
	t.Run("the id in another form Guid.Parse takes", func(t *testing.T) {
		id := sa.VerificationSessionId.String()
		for _, form := range []string{strings.ReplaceAll(id, "-", ""), "{" + id + "}", "(" + strings.ToUpper(id) + ")"} {
			r := m.send(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+url.QueryEscape(form), nil)
			if r.status != http.StatusOK || !strings.Contains(r.header.Get("X-Mock-Warning"), "read in the forms production reads: verificationSessionId") {
				t.Errorf("%s: status %d, X-Mock-Warning %q, body %s", form, r.status, r.header.Get("X-Mock-Warning"), r.body)
			}
		}
	})
	t.Run("missing id", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get-session-result", nil)
		r.problem(t, http.StatusBadRequest, "verificationSessionId")
	})
}

func TestGetSessionResultRetention(t *testing.T) {
	m := newMock(t)
	s := m.createSession(m.A, generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{}})
	get := func() *generated.GetSessionResultResponse {
		t.Helper()
		resp, err := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: s.VerificationSessionId})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	m.clock().Advance(7 * 24 * time.Hour)
	if resp := get(); resp.StatusCode() != http.StatusOK {
		t.Errorf("exactly 7 days after creation: status %d, want 200", resp.StatusCode())
	}
	m.clock().Advance(time.Second)
	resp := get()
	apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)

	// A session created later is still readable: the window is per session.
	later := m.createSession(m.A, generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{}})
	r2, err := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: later.VerificationSessionId})
	if err != nil {
		t.Fatal(err)
	}
	if r2.StatusCode() != http.StatusOK {
		t.Errorf("a fresh session: status %d, want 200", r2.StatusCode())
	}
}
