package mockserver

import (
	"net/url"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
)

// The mock's rules live in the rules*.go files, each stated once as a small pure function the
// handlers call: this file has the checks openapi.yaml cannot express (they depend on another
// field, or on trimming) and the documented defaults; rules_sessions.go a session's retention,
// effective configuration and external id; rules_results.go result computation;
// rules_redirect.go the hosted page's redirect. A configuration in, the stored form or the
// broken rules (fieldErrors) out.

const maxNameLength = 200

// normalizeName trims the name and checks its length (1..200 characters after trimming).
func normalizeName(field, name string, e *fieldErrors) string {
	n := strings.TrimSpace(name)
	switch l := len([]rune(n)); {
	case l == 0:
		e.add(field, "must not be blank")
	case l > maxNameLength:
		e.add(field, "must be 1 to 200 characters long")
	}
	return n
}

// checkHTTPURL requires an absolute http(s) URL with a host.
func checkHTTPURL(field string, raw *string, e *fieldErrors) {
	if raw == nil {
		return
	}
	u, err := url.Parse(*raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.add(field, "must be an absolute http or https URL")
	}
}

func boolDefault(p **bool, def bool) {
	if *p == nil {
		v := def
		*p = &v
	}
}

// normalizeVerifiers checks the verifier blocks and fills in their documented defaults: liveness
// challenge Balanced and age direction Above. An omitted verifier stays omitted: it means Disabled.
func normalizeVerifiers(field string, vc *generated.VerifierConfigs, e *fieldErrors) {
	if vc == nil {
		return
	}
	if l := vc.Liveness; l != nil && l.ChallengeType == nil {
		c := generated.Balanced
		l.ChallengeType = &c
	}
	if a := vc.Age; a != nil && a.Type == generated.AgeTypeThresholdVerification {
		if a.Threshold == nil {
			e.add(field+".age.threshold", "is required when type is ThresholdVerification")
		}
		if a.Direction == nil {
			d := generated.Above
			a.Direction = &d
		}
	}
	if f := vc.FaceRecognition; f != nil && f.Type != generated.FaceRecognitionTypeDisabled {
		if f.CollectionId == nil || strings.TrimSpace(*f.CollectionId) == "" {
			e.add(field+".faceRecognition.collectionId", "is required when type is "+string(f.Type))
		}
	}
}

// normalizeConfig checks a verification configuration and returns it as it is stored and
// returned: as sent, with every documented default filled in.
func normalizeConfig(field string, c generated.VerificationConfig, e *fieldErrors) generated.VerificationConfig {
	normalizeVerifiers(join(field, "verifierConfigs"), c.VerifierConfigs, e)
	if vc := c.VerifierConfigs; vc != nil {
		if vc.CommonSettings == nil {
			vc.CommonSettings = &generated.CommonSettings{}
		}
		boolDefault(&vc.CommonSettings.FailOnMultipleFacesDetected, false)
	}
	if r := c.RedirectConfig; r != nil {
		checkHTTPURL(join(field, "redirectConfig.passedUrl"), r.PassedUrl, e)
		checkHTTPURL(join(field, "redirectConfig.failedUrl"), r.FailedUrl, e)
	}
	if w := c.WebhookConfig; w != nil {
		checkHTTPURL(join(field, "webhookConfig.eventCallbackUrl"), w.EventCallbackUrl, e)
	}
	if c.ResultParameterConfig == nil {
		c.ResultParameterConfig = &generated.ResultParameterConfig{}
	}
	rp := c.ResultParameterConfig
	boolDefault(&rp.IncludeSignature, true)
	for _, p := range []**bool{
		&rp.IncludeSessionId, &rp.IncludeFaceId, &rp.IncludeAge, &rp.IncludeGender,
		&rp.IncludeVerificationResult, &rp.IncludeCustomInputParameters, &rp.IncludeLivenessCheckResult,
		&rp.IncludeAgeVerificationResult, &rp.IncludeGenderVerificationResult,
		&rp.IncludeFaceRecognitionResult, &rp.IncludeCorrelationId, &rp.IncludeTotalFaceCount,
		&rp.IncludeFailedReason,
	} {
		boolDefault(p, false)
	}
	if c.SecurityConfig == nil {
		c.SecurityConfig = &generated.SecurityConfig{}
	}
	boolDefault(&c.SecurityConfig.ForceSignedInput, true)
	if c.SessionOverrideConfig == nil {
		c.SessionOverrideConfig = &generated.SessionOverrideConfig{}
	}
	so := c.SessionOverrideConfig
	boolDefault(&so.AllowVerifierOverrides, false)
	boolDefault(&so.AllowResultParameterOverrides, false)
	boolDefault(&so.AllowRedirectOverrides, false)
	return c
}
