package mockserver

import "github.com/verifeye-twin/verifeye/generated"

// storedConfig is a configuration as the API returns it (openapi.yaml's StoredVerificationConfig):
// c as normalizeConfig left it, every documented default filled in, with the defaulted fields
// present rather than optional. A block that was not sent (verifiers, redirect, webhook) stays
// omitted.
func storedConfig(c generated.VerificationConfig) generated.StoredVerificationConfig {
	out := generated.StoredVerificationConfig{
		RedirectConfig: c.RedirectConfig,
		WebhookConfig:  c.WebhookConfig,
	}
	if vc := c.VerifierConfigs; vc != nil {
		svc := &generated.StoredVerifierConfigs{Age: vc.Age, Gender: vc.Gender, FaceRecognition: vc.FaceRecognition}
		if l := vc.Liveness; l != nil {
			svc.Liveness = &generated.StoredLivenessConfig{Type: l.Type, ChallengeType: valueOr(l.ChallengeType, generated.Balanced)}
		}
		if cs := vc.CommonSettings; cs != nil {
			svc.CommonSettings.FailOnMultipleFacesDetected = valueOr(cs.FailOnMultipleFacesDetected, false)
		}
		out.VerifierConfigs = svc
	}
	if rp := c.ResultParameterConfig; rp != nil {
		out.ResultParameterConfig = generated.StoredResultParameterConfig{
			IncludeSignature:                valueOr(rp.IncludeSignature, true),
			IncludeSessionId:                valueOr(rp.IncludeSessionId, false),
			IncludeFaceId:                   valueOr(rp.IncludeFaceId, false),
			IncludeAge:                      valueOr(rp.IncludeAge, false),
			IncludeGender:                   valueOr(rp.IncludeGender, false),
			IncludeVerificationResult:       valueOr(rp.IncludeVerificationResult, false),
			IncludeCustomInputParameters:    valueOr(rp.IncludeCustomInputParameters, false),
			IncludeLivenessCheckResult:      valueOr(rp.IncludeLivenessCheckResult, false),
			IncludeAgeVerificationResult:    valueOr(rp.IncludeAgeVerificationResult, false),
			IncludeGenderVerificationResult: valueOr(rp.IncludeGenderVerificationResult, false),
			IncludeFaceRecognitionResult:    valueOr(rp.IncludeFaceRecognitionResult, false),
			IncludeCorrelationId:            valueOr(rp.IncludeCorrelationId, false),
			IncludeTotalFaceCount:           valueOr(rp.IncludeTotalFaceCount, false),
			IncludeFailedReason:             valueOr(rp.IncludeFailedReason, false),
		}
	} else {
		out.ResultParameterConfig.IncludeSignature = true
	}
	out.SecurityConfig.ForceSignedInput = true
	if sc := c.SecurityConfig; sc != nil {
		out.SecurityConfig.ForceSignedInput = valueOr(sc.ForceSignedInput, true)
	}
	if so := c.SessionOverrideConfig; so != nil {
		out.SessionOverrideConfig = generated.StoredSessionOverrideConfig{
			AllowVerifierOverrides:        valueOr(so.AllowVerifierOverrides, false),
			AllowResultParameterOverrides: valueOr(so.AllowResultParameterOverrides, false),
			AllowRedirectOverrides:        valueOr(so.AllowRedirectOverrides, false),
		}
	}
	return out
}

// valueOr is *p, or def when p is nil.
func valueOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
