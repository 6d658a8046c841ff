package contract

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"

	"github.com/verifeye-twin/verifeye/generated"
)

// everyFieldConfig sets every field of a verification configuration, each to a value other
// than its documented (or assumed) default, so that a field production drops, renames or
// defaults differently shows up as the one that reads back differently.
func everyFieldConfig() generated.VerificationConfig {
	return generated.VerificationConfig{
		WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: str("https://example.com/contract-webhook-a")},
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: ptr(generated.Advanced)},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: i32(21), Direction: ptr(generated.Below)},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: str("contract-every-field-a")},
			CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: b(true)},
		},
		RedirectConfig: &generated.RedirectConfig{PassedUrl: str("https://example.com/passed-a"), FailedUrl: str("https://example.com/failed-a")},
		// Each flag the opposite of its default (includeSignature true, the rest false).
		ResultParameterConfig: &generated.ResultParameterConfig{
			IncludeSignature: b(false), IncludeSessionId: b(true), IncludeFaceId: b(true), IncludeAge: b(true),
			IncludeGender: b(true), IncludeVerificationResult: b(true), IncludeCustomInputParameters: b(true),
			IncludeLivenessCheckResult: b(true), IncludeAgeVerificationResult: b(true), IncludeGenderVerificationResult: b(true),
			IncludeFaceRecognitionResult: b(true), IncludeCorrelationId: b(true), IncludeTotalFaceCount: b(true), IncludeFailedReason: b(true),
		},
		SecurityConfig: &generated.SecurityConfig{ForceSignedInput: b(false)},
		SessionOverrideConfig: &generated.SessionOverrideConfig{
			AllowVerifierOverrides: b(true), AllowResultParameterOverrides: b(true), AllowRedirectOverrides: b(true),
		},
	}
}

// everyFieldUpdate changes every field of everyFieldConfig.
func everyFieldUpdate() generated.VerificationConfig {
	return generated.VerificationConfig{
		WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: str("https://example.com/contract-webhook-b")},
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: ptr(generated.Balanced)},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: i32(65), Direction: ptr(generated.Above)},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeDisabled},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: str("contract-every-field-b")},
			CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: b(false)},
		},
		RedirectConfig: &generated.RedirectConfig{PassedUrl: str("https://example.com/passed-b"), FailedUrl: str("https://example.com/failed-b")},
		ResultParameterConfig: &generated.ResultParameterConfig{
			IncludeSignature: b(true), IncludeSessionId: b(false), IncludeFaceId: b(false), IncludeAge: b(false),
			IncludeGender: b(false), IncludeVerificationResult: b(false), IncludeCustomInputParameters: b(false),
			IncludeLivenessCheckResult: b(false), IncludeAgeVerificationResult: b(false), IncludeGenderVerificationResult: b(false),
			IncludeFaceRecognitionResult: b(false), IncludeCorrelationId: b(false), IncludeTotalFaceCount: b(false), IncludeFailedReason: b(false),
		},
		SecurityConfig: &generated.SecurityConfig{ForceSignedInput: b(true)},
		SessionOverrideConfig: &generated.SessionOverrideConfig{
			AllowVerifierOverrides: b(false), AllowResultParameterOverrides: b(false), AllowRedirectOverrides: b(false),
		},
	}
}

// leaves flattens a JSON value into its leaf values by path ("a.b.c").
func leaves(prefix string, v any, out map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			leaves(p, x, out)
		}
	default:
		out[prefix] = v
	}
}

func flatten(t *T, what string, v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %s: %v", what, err)
	}
	var m any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", what, err)
	}
	out := map[string]any{}
	leaves("", m, out)
	return out
}

// readsBack checks, field by field, that the configuration read back has every field of want
// with the value written.
func readsBack(t *T, op, when string, want generated.VerificationConfig, got generated.StoredVerificationConfig) {
	w, g := flatten(t, "the written configuration", want), flatten(t, "the configuration read back", got)
	paths := make([]string, 0, len(w))
	for p := range w {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		gv, ok := g[p]
		if !ok {
			t.Errorf("%s: verification.verificationConfig.%s %s = <absent>, want %v", op, p, when, w[p])
			continue
		}
		if !reflect.DeepEqual(gv, w[p]) {
			t.Errorf("%s: verification.verificationConfig.%s %s = %v, want %v", op, p, when, gv, w[p])
		}
	}
}

// dateTime finds JSON strings holding an ISO-8601 date-time, their fractional digits and their
// zone.
var dateTime = regexp.MustCompile(`"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})"`)

// checkDateDigits checks that every date-time in a JSON answer is written as .NET writes a UTC
// DateTime: at most seven fractional digits and a Z. A client that parses dates with .NET's
// precision (or a fixed format) breaks on more digits.
func checkDateDigits(t *T, op string, body []byte) {
	for _, m := range dateTime.FindAllSubmatch(body, -1) {
		if len(m[1]) > 7 {
			t.Errorf("%s: date-time %s has %d fractional digits, want at most 7", op, m[0], len(m[1]))
		}
		if string(m[2]) != "Z" {
			t.Errorf("%s: date-time %s is in zone %s, want UTC written as Z", op, m[0], m[2])
		}
	}
}

func init() {
	register(
		Scenario{Name: "verifications/every-field-reads-back", Needs: []Need{WritesConfig},
			Probes: []string{"verifiers.age-threshold-fields", "verifiers.age-direction", "verifiers.gender-types", "dates.dotnet-seven-digits"}, Run: func(t *T) {
				name := t.Unique("every-field")
				cfg := everyFieldConfig()
				id := createVerification(t, name, cfg)
				get := func(when string) *generated.Verification {
					resp, err := t.Client.GetVerificationWithResponse(t.Context(), &generated.GetVerificationParams{VerificationId: id})
					if err != nil {
						t.Fatalf("%s: %v", opGetVerification, err)
					}
					if !t.Status(opGetVerification+" "+when, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
						t.Fatalf("%s: the verification cannot be read %s", opGetVerification, when)
					}
					checkDateDigits(t, opGetVerification, resp.Body)
					return &resp.JSON200.Verification
				}
				v := get("after create")
				t.Equal(opGetVerification, "verification.name after create", v.Name, name)
				readsBack(t, opGetVerification, "after create", cfg, v.VerificationConfig)

				renamed := t.Unique("every-field-renamed")
				upd := everyFieldUpdate()
				up, err := t.Client.UpdateVerificationWithResponse(t.Context(), generated.UpdateVerificationRequest{VerificationId: id, Name: renamed, VerificationConfig: upd})
				if err != nil {
					t.Fatalf("%s: %v", opUpdateVerification, err)
				}
				if !t.Status(opUpdateVerification, up.StatusCode(), up.Body, http.StatusOK) {
					return
				}
				v = get("after update")
				t.Equal(opGetVerification, "verification.name after update", v.Name, renamed)
				readsBack(t, opGetVerification, "after update", upd, v.VerificationConfig)
			}},
	)
}
