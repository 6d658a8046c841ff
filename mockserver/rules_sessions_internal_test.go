package mockserver

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
)

// sessionConfigByMerge is sessionConfig as it read before a record kept its normalized
// configuration: every session's configuration merged and normalized afresh. It is the oracle
// for the shortcut.
func sessionConfigByMerge(body *generated.CreateSessionRequest, name string, base *generated.VerificationConfig) (generated.VerificationConfig, error) {
	var e fieldErrors
	var cfg generated.VerificationConfig
	switch {
	case base != nil:
		cfg = *base
		cfg.VerifierConfigs = overrideVerifiers(cfg.VerifierConfigs, body.VerifierConfigs)
	case body.VerifierConfigs == nil && body.Name != nil:
		return cfg, fieldError("verifierConfigs", fmt.Sprintf("is required when no verification is named %q", name))
	case body.VerifierConfigs == nil:
		return cfg, fieldError("verifierConfigs", "is required when name is not given")
	default:
		cfg.VerifierConfigs = body.VerifierConfigs
	}
	if body.WebhookConfig != nil {
		cfg.WebhookConfig = body.WebhookConfig
	}
	cfg = normalizeConfig("", cfg, &e)
	if t, needed := externalIDNeeded(cfg); needed && body.ExternalId == nil {
		e.add("externalId", "is required when faceRecognition.type is "+string(t))
	}
	return cfg, e.err()
}

func decodeJSON[T any](t *testing.T, s string) *T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// TestSessionConfigShortcutAgreesWithMerge: a session named after a stored verification without
// inline blocks gets the configuration the full merge gives, whether the record was normalized
// when stored (a request) or not (an older data directory), and the same errors.
func TestSessionConfigShortcutAgreesWithMerge(t *testing.T) {
	bases := []string{
		benchVerificationConfig,
		`{"verifierConfigs":{"liveness":{"type":"Verification"}}}`,
		`{"verifierConfigs":{"faceRecognition":{"type":"MatchVerification","collectionId":"c1"}},"webhookConfig":{"eventCallbackUrl":"https://hooks.example.com/x"}}`,
		`{"verifierConfigs":{"faceRecognition":{"type":"UniqueMatchVerification"}}}`,
		`{"verifierConfigs":{"age":{"type":"ThresholdVerification"}},"redirectConfig":{"passedUrl":"not a url"}}`,
		`{}`,
	}
	bodies := []string{
		`{"name":"v"}`,
		`{"name":"v","externalId":"user-1"}`,
		`{"name":"v","webhookConfig":{"eventCallbackUrl":"https://other.example.com/h"}}`,
		`{"name":"v","verifierConfigs":{"gender":{"type":"Verification","expected":"Female"}}}`,
	}
	for i, baseJSON := range bases {
		for _, normalizedWhenStored := range []bool{true, false} {
			for _, bodyJSON := range bodies {
				stored := *decodeJSON[generated.VerificationConfig](t, baseJSON)
				if normalizedWhenStored {
					var e fieldErrors
					stored = normalizeConfig("verificationConfig", stored, &e)
				}
				rec := &verificationRecord{name: "v", config: stored}
				oracleBase := decodeJSON[generated.VerificationConfig](t, asJSON(t, stored))
				want, wantErr := sessionConfigByMerge(decodeJSON[generated.CreateSessionRequest](t, bodyJSON), "v", oracleBase)
				for range 2 { // the first call makes the record's normalized configuration, the second reads it
					got, err := sessionConfig(decodeJSON[generated.CreateSessionRequest](t, bodyJSON), "v", rec)
					if fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Fatalf("base %d (normalized when stored: %v), body %s: error %v, want %v", i, normalizedWhenStored, bodyJSON, err, wantErr)
					}
					if err == nil && !reflect.DeepEqual(asJSON(t, got), asJSON(t, want)) {
						t.Fatalf("base %d (normalized when stored: %v), body %s:\n got %s\nwant %s", i, normalizedWhenStored, bodyJSON, asJSON(t, got), asJSON(t, want))
					}
				}
			}
		}
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSessionsShareTheirVerificationsConfiguration: sessions started by a verification's name
// without inline blocks hold its normalized configuration itself, one pointer for a stored
// session to keep, not a copy of its six; a session with inline blocks gets one of its own.
func TestSessionsShareTheirVerificationsConfiguration(t *testing.T) {
	var e fieldErrors
	rec := &verificationRecord{name: "v", config: normalizeConfig("verificationConfig",
		*decodeJSON[generated.VerificationConfig](t, `{"verifierConfigs":{"liveness":{"type":"Verification"}}}`), &e)}
	a, errA := sessionConfig(decodeJSON[generated.CreateSessionRequest](t, `{"name":"v","externalId":"a"}`), "v", rec)
	b, errB := sessionConfig(decodeJSON[generated.CreateSessionRequest](t, `{"name":"v"}`), "v", rec)
	if errA != nil || errB != nil || a != b || a != rec.normalizedConfig() {
		t.Errorf("two sessions by name: %p %v, %p %v; the verification's normalized configuration is %p", a, errA, b, errB, rec.normalizedConfig())
	}
	c, err := sessionConfig(decodeJSON[generated.CreateSessionRequest](t, `{"name":"v","verifierConfigs":{"age":{"type":"Verification","threshold":18}}}`), "v", rec)
	if err != nil || c == a {
		t.Errorf("a session with inline blocks: %p %v, shares the verification's %p", c, err, a)
	}
}
