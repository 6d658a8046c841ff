package mockserver_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Tests that pin choices the vendor's documentation leaves open; openapi.yaml marks each with
// x-mock-assumption, and the contract suite tells when production differs.

// TestGenderVerifyingModeIsRefused: production has a verifying gender mode (its result example
// shows genderVerificationResult Pass) but documents no configuration for it, so the mock takes
// only Disabled and CalculationOnly and says so in the 400.
func TestGenderVerifyingModeIsRefused(t *testing.T) {
	const rule = "must be one of: Disabled, CalculationOnly"
	for _, typ := range []string{"Verification", "ThresholdVerification", "MatchVerification"} {
		t.Run(typ, func(t *testing.T) {
			m := newMock(t)
			gender := `{"gender":{"type":"` + typ + `"}}`
			for _, tc := range []struct {
				path, body, field string
			}{
				{"/v1/verification/create", `{"name":"g","verificationConfig":{"verifierConfigs":` + gender + `}}`, "verificationConfig.verifierConfigs.gender.type"},
				{"/v1/verification/create-or-update", `{"name":"g","verificationConfig":{"verifierConfigs":` + gender + `}}`, "verificationConfig.verifierConfigs.gender.type"},
				{"/v1/verification/create-session", `{"verifierConfigs":` + gender + `}`, "verifierConfigs.gender.type"},
			} {
				p := m.send(http.MethodPost, tc.path, []byte(tc.body)).problem(t, http.StatusBadRequest, tc.field)
				if rules := apiErrorsOf(p)[tc.field]; !slices.Contains(rules, rule) {
					t.Errorf("%s: errors[%s] = %q, want %q", tc.path, tc.field, rules, rule)
				}
			}
		})
	}
}

// TestStartedSessionConsumesNonce: the vendor writes that "the first successful session start
// consumes the nonce". The mock reads a successful start as a session that started from the
// link, whatever its verification outcome; a link refused before any session starts keeps its
// nonce.
func TestStartedSessionConsumesNonce(t *testing.T) {
	t.Run("a session that fails", func(t *testing.T) {
		e := newFlowEnv(t, mockserver.Options{AutoComplete: "underage"})
		vid := e.createHostedVerification("Gate", "")
		link := e.sign("u=1", true, 3600)
		resp, _ := e.open(vid, link)
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "reVerificationResult=failed") {
			t.Fatalf("first open: status %d, Location %q; want 303 to the failed URL", resp.StatusCode, loc)
		}
		if got := e.validate(link); got != generated.NonceAlreadyUsed {
			t.Errorf("validate after a failed session = %s, want NonceAlreadyUsed", got)
		}
		if resp, _ := e.open(vid, link); resp.StatusCode != http.StatusGone {
			t.Errorf("second open: %d, want 410", resp.StatusCode)
		}
	})
	t.Run("a session that has not finished", func(t *testing.T) {
		e := newFlowEnv(t, mockserver.Options{})
		vid := e.createHostedVerification("Gate", "")
		link := e.sign("u=1", true, 3600)
		if resp, body := e.open(vid, link); resp.StatusCode != http.StatusOK || !formAction.MatchString(body) {
			t.Fatalf("first open: status %d; want the camera page", resp.StatusCode)
		}
		if got := e.validate(link); got != generated.NonceAlreadyUsed {
			t.Errorf("validate after a started session = %s, want NonceAlreadyUsed", got)
		}
		if resp, _ := e.open(vid, link); resp.StatusCode != http.StatusGone {
			t.Errorf("second open: %d, want 410", resp.StatusCode)
		}
	})
	t.Run("a link refused before a session starts", func(t *testing.T) {
		e := newFlowEnv(t, mockserver.Options{AutoComplete: "pass"})
		// A match mode needs reExternalId, which the link lacks: no session starts.
		resp, err := e.client.CreateVerificationWithResponse(context.Background(), generated.VerificationInput{Name: "Match",
			VerificationConfig: generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
				Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: ptrTo("people")}}}})
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("create verification: %v", err)
		}
		link := e.sign("u=1", true, 3600)
		if r, _ := e.open(resp.JSON200.VerificationId, link); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("open without reExternalId: %d, want 400", r.StatusCode)
		}
		if got := e.validate(link); got != generated.Valid {
			t.Errorf("validate after a refused start = %s, want Valid (the nonce is unused)", got)
		}
		// The link still starts a session once.
		other := e.createHostedVerification("Gate", "")
		if r, _ := e.open(other, link); r.StatusCode != http.StatusSeeOther {
			t.Errorf("open on another verification: %d, want 303", r.StatusCode)
		}
		if got := e.validate(link); got != generated.NonceAlreadyUsed {
			t.Errorf("validate after the session = %s, want NonceAlreadyUsed", got)
		}
	})
}

// TestRulesTheVendorDoesNotState: limits the mock enforces on its own, each with a 400 that names
// the field and the rule.
func TestRulesTheVendorDoesNotState(t *testing.T) {
	m := newMock(t)
	long := strings.Repeat("x", 201)
	for _, tc := range []struct {
		name, path, body, field string
		ok                      bool
	}{
		{"externalId of 200 characters", "/v1/verification/create-session", `{"externalId":"` + long[:200] + `","verifierConfigs":{}}`, "", true},
		{"externalId of 201 characters", "/v1/verification/create-session", `{"externalId":"` + long + `","verifierConfigs":{}}`, "externalId", false},
		{"webhook over ftp", "/v1/verification/create-session", `{"verifierConfigs":{},"webhookConfig":{"eventCallbackUrl":"ftp://example.com/hook"}}`, "webhookConfig.eventCallbackUrl", false},
		{"relative webhook", "/v1/verification/create", `{"name":"w","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"/hook"}}}`, "verificationConfig.webhookConfig.eventCallbackUrl", false},
		{"passedUrl over ftp", "/v1/verification/create", `{"name":"r","verificationConfig":{"redirectConfig":{"passedUrl":"ftp://example.com/ok"}}}`, "verificationConfig.redirectConfig.passedUrl", false},
		{"failedUrl javascript:", "/v1/verification/create", `{"name":"r","verificationConfig":{"redirectConfig":{"failedUrl":"javascript:alert(1)"}}}`, "verificationConfig.redirectConfig.failedUrl", false},
		{"no verifierConfigs and no such name", "/v1/verification/create-session", `{"name":"nobody"}`, "verifierConfigs", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := m.send(http.MethodPost, tc.path, []byte(tc.body))
			if tc.ok {
				if r.status != http.StatusOK {
					t.Errorf("status %d, want 200; body %s", r.status, r.body)
				}
				return
			}
			r.problem(t, http.StatusBadRequest, tc.field)
		})
	}
}
