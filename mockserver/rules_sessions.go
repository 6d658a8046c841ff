package mockserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// The session rules: how long a session stays readable, a session's effective configuration (create-session's merge over a named
// verification, a hosted link's verifier overrides), the external id face recognition needs, and
// which keys of a hosted link are the caller's own.

// SessionRetention is how long a session's result stays readable: get-session-result answers 404
// for a session created longer ago than this.
const SessionRetention = 7 * 24 * time.Hour

// sessionReadable reports whether a session created at created is still within the retention
// window at now. The store asks it whenever it reads a session, so expiry needs no janitor.
func sessionReadable(created, now time.Time) bool {
	return now.Sub(created) <= SessionRetention
}

// sessionConfig works out a create-session request's effective configuration; base is the
// configuration of the account's verification named name (already trimmed), nil when it has none.
//
// The vendor documents create-session with two examples that must both start a session on an
// account with no verifications: `"name": "default"` with a complete inline verifierConfigs and
// webhookConfig, and verifierConfigs alone; its status list is 200/400/401, with no 404. So the
// mock reads `name` as a label for the session that also picks a base: when the account has a
// verification of that name, its configuration (redirect, result parameters, security, webhook,
// verifiers) is the base and the request's verifier blocks replace the base's block by block;
// otherwise the inline configuration stands alone. allowVerifierOverrides does not apply here:
// it governs what a hosted-page link may change (the reDisable…Verifier keys, see
// applyHostedOverrides), not what the account's own server-side call asks for, and inline
// blocks are never dropped. An inline webhookConfig replaces the base's. verifierConfigs is
// required only when there is no base to run.
//
// The configuration returned is shared (the base's normalized configuration) when the request
// has no inline blocks; it is never to be changed.
func sessionConfig(body *generated.CreateSessionRequest, name string, base *verificationRecord) (*generated.VerificationConfig, error) {
	if base != nil && body.VerifierConfigs == nil && body.WebhookConfig == nil {
		if normalized := base.normalizedConfig(); normalized != nil { // the base as it is, normalized once
			if t, needed := externalIDNeeded(*normalized); needed && body.ExternalId == nil {
				return nil, fieldError("externalId", "is required when faceRecognition.type is "+string(t))
			}
			return normalized, nil
		}
	}
	return mergedSessionConfig(body, name, base)
}

// mergedSessionConfig is sessionConfig for a request with inline blocks, or with no base, or
// with a base whose configuration normalizing faults: a configuration of the session's own.
func mergedSessionConfig(body *generated.CreateSessionRequest, name string, base *verificationRecord) (*generated.VerificationConfig, error) {
	var e fieldErrors
	cfg := new(generated.VerificationConfig)
	switch {
	case base != nil:
		*cfg = base.config
		cfg.VerifierConfigs = overrideVerifiers(cfg.VerifierConfigs, body.VerifierConfigs)
	case body.VerifierConfigs == nil && body.Name != nil:
		return nil, fieldError("verifierConfigs", fmt.Sprintf("is required when no verification is named %q", name))
	case body.VerifierConfigs == nil:
		return nil, fieldError("verifierConfigs", "is required when name is not given")
	default:
		cfg.VerifierConfigs = body.VerifierConfigs
	}
	if body.WebhookConfig != nil {
		cfg.WebhookConfig = body.WebhookConfig
	}
	*cfg = normalizeConfig("", *cfg, &e)
	if t, needed := externalIDNeeded(*cfg); needed && body.ExternalId == nil {
		e.add("externalId", "is required when faceRecognition.type is "+string(t))
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// normalizedConfig is the record's configuration normalized as sessionConfig normalizes a
// session's (made on first use; a record never changes once stored), or nil when normalizing finds
// a fault, which sessionConfig then reports.
func (v *verificationRecord) normalizedConfig() *generated.VerificationConfig {
	if c := v.sessCfg.Load(); c != nil {
		return c
	}
	var e fieldErrors
	c := normalizeConfig("", v.config, &e)
	if e.err() != nil {
		return nil
	}
	v.sessCfg.Store(&c)
	return &c
}

// overrideVerifiers applies a session's verifier blocks over the verification's: each block the
// session gives replaces the verification's block of the same name. The caller decides whether
// overrides are allowed at all.
func overrideVerifiers(base *generated.VerifierConfigs, session *generated.VerifierConfigs) *generated.VerifierConfigs {
	if session == nil {
		return base
	}
	if base == nil {
		return session
	}
	out := *base
	if session.Liveness != nil {
		out.Liveness = session.Liveness
	}
	if session.Age != nil {
		out.Age = session.Age
	}
	if session.Gender != nil {
		out.Gender = session.Gender
	}
	if session.FaceRecognition != nil {
		out.FaceRecognition = session.FaceRecognition
	}
	if session.CommonSettings != nil {
		out.CommonSettings = session.CommonSettings
	}
	return &out
}

// externalIDNeeded reports whether cfg's face recognition needs the caller's external id, and
// which type needs it: MatchVerification and UniqueMatchVerification enrol a face under that id
// and match later sessions against it, so a session without one has nothing to match.
func externalIDNeeded(cfg generated.VerificationConfig) (generated.FaceRecognitionType, bool) {
	vc := cfg.VerifierConfigs
	if vc == nil || vc.FaceRecognition == nil {
		return "", false
	}
	switch t := vc.FaceRecognition.Type; t {
	case generated.FaceRecognitionTypeMatchVerification, generated.FaceRecognitionTypeUniqueMatchVerification:
		return t, true
	}
	return "", false
}

// Hosted-page query keys with a meaning of their own.
const (
	keyExternalID      = "reExternalId"
	keyDisableLiveness = "reDisableLivenessVerifier"
	keyDisableAge      = "reDisableAgeVerifier"
	keyDisableGender   = "reDisableGenderVerifier"
)

// applyHostedOverrides applies the reDisable…Verifier keys of the link, which count only when
// the verification allows verifier overrides (otherwise they are ignored, as documented).
func applyHostedOverrides(cfg generated.VerificationConfig, params signing.Params) generated.VerificationConfig {
	if !*cfg.SessionOverrideConfig.AllowVerifierOverrides || cfg.VerifierConfigs == nil {
		return cfg
	}
	on := func(k string) bool { v, _ := params.Get(k); return strings.EqualFold(v, "true") }
	vc := *cfg.VerifierConfigs
	changed := false
	if on(keyDisableLiveness) && vc.Liveness != nil {
		vc.Liveness, changed = &generated.LivenessConfig{Type: generated.LivenessTypeDisabled}, true
	}
	if on(keyDisableAge) && vc.Age != nil {
		vc.Age, changed = &generated.AgeConfig{Type: generated.AgeTypeDisabled}, true
	}
	if on(keyDisableGender) && vc.Gender != nil {
		vc.Gender, changed = &generated.GenderConfig{Type: generated.GenderTypeDisabled}, true
	}
	if changed { // otherwise cfg keeps its own VerifierConfigs, which tells the caller
		cfg.VerifierConfigs = &vc
	}
	return cfg
}

// serviceKeys are the query keys with a meaning to the service, lower-cased.
var serviceKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{
		signing.ParamSignature, signing.ParamExpiration, signing.ParamNonce,
		keyExternalID, keyDisableLiveness, keyDisableAge, keyDisableGender,
		"reVerificationSessionId", "reVerificationResult", "reLivenessResult", "reAgeVerificationResult",
		"reGenderVerificationResult", "reFaceRecognitionResult", "reFaceId", "reAge", "reGender",
		"reCorrelationId", "reTotalFaceCount", "reFailedReason",
	} {
		m[strings.ToLower(k)] = true
	}
	return m
}()

// reservedKey reports whether a query key is the service's own rather than the caller's: `re`
// followed by an upper-case letter (reSignature, reExternalId), or any spelling of one of the
// service's keys (signing reads keys without regard to case, so "reexpiration" is reExpiration).
// The caller's keys are passed through as custom input parameters; reserved ones never are, so
// a link cannot smuggle result parameters into the signed redirect.
func reservedKey(k string) bool {
	if len(k) > 2 && strings.HasPrefix(k, "re") && k[2] >= 'A' && k[2] <= 'Z' {
		return true
	}
	return serviceKeys[strings.ToLower(k)]
}

// MaxCustomInputParams is the most custom input parameters (distinct keys) a hosted link may
// carry. The vendor documents no bound; the mock sets one (openapi.yaml, x-mock-assumption
// hosted.custom-input-limits) so that what every session holds for up to SessionRetention stays
// small, and refuses a link past it with a 400 page naming the limit rather than drop parameters
// the redirect would then lack. Their bytes need no bound of their own: the request line's
// (MaxRequestLineBytes, a 414 past it) already keeps names and values, decoded, under 8 KiB.
const MaxCustomInputParams = 50

// customInput is a hosted link's own parameters, the first value of each key, without the
// service's keys, or the page refusing a link with more than MaxCustomInputParams of them. Each name and value is copied, so the session does not keep
// the whole query string alive.
func customInput(params signing.Params) (map[string]string, *hostedError) {
	out := map[string]string{}
	for _, p := range params {
		if reservedKey(p.Key) {
			continue
		}
		if _, dup := out[p.Key]; dup {
			continue
		}
		if len(out) == MaxCustomInputParams {
			return nil, &hostedError{status: http.StatusBadRequest, title: "Too many custom input parameters", detail: fmt.Sprintf(
				"The link carries more than %d parameters of its own (custom input parameters); a session keeps at most %d.",
				MaxCustomInputParams, MaxCustomInputParams)}
		}
		out[strings.Clone(p.Key)] = strings.Clone(p.Value)
	}
	return out, nil
}

// linkExpiry is a signed link's reExpiration as a time, zero when it has none (or one past the
// clock's range, which no clock reaches). The store keeps a link's used nonce until then.
func linkExpiry(params signing.Params) time.Time {
	v, ok := params.Get(signing.ParamExpiration)
	if !ok {
		return time.Time{}
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec > clockMax.Unix() || sec < clockMin.Unix() {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}
