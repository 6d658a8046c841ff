package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// The hosted page. In production a person opens
// https://verifeye-service-<region>.realeyes.ai/verification/<verificationId>?<signed query>,
// does the camera check and is redirected with signed result parameters. The mock serves the same
// path: it checks the link as production does, starts the session, and then either completes it
// at once (a queued subject, or --auto-complete) with a 303 redirect, or shows a plain page where
// a developer picks the simulated subject.

// Hosted-page query keys with a meaning of their own.
const (
	keyExternalID      = "reExternalId"
	keyDisableLiveness = "reDisableLivenessVerifier"
	keyDisableAge      = "reDisableAgeVerifier"
	keyDisableGender   = "reDisableGenderVerifier"
)

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

func sortedPairs(m map[string]string) []signing.Param {
	out := make([]signing.Param, 0, len(m))
	for k, v := range m {
		out = append(out, signing.Param{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// hostedError is a rejected hosted-page request: the status and what the page says.
type hostedError struct {
	status int
	title  string
	detail string
}

func (s *Server) hostedPage(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render hosted page", "error", err)
	}
}

func (s *Server) hostedFail(w http.ResponseWriter, e *hostedError) {
	s.hostedPage(w, e.status, "error", map[string]string{"title": e.title, "detail": e.detail})
}

// startHosted handles GET /verification/{verificationId}.
func (s *Server) startHosted(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.startHostedSession(r)
	if herr != nil {
		s.hostedFail(w, herr)
		return
	}
	spec, ok := s.nextSubject()
	if !ok {
		s.hostedPage(w, http.StatusOK, "camera", cameraPage{
			Session: rec.id.String(), Verification: r.PathValue("verificationId"),
			Config: prettyJSON(rec.config), Presets: PresetNames(),
			Action: fmt.Sprintf("/verification/%s/sessions/%s/complete", r.PathValue("verificationId"), rec.id),
		})
		return
	}
	s.finishHosted(w, r, rec.id, spec)
}

// startHostedSession checks the link and starts its session, consuming the nonce. The vendor
// writes that "the first successful session start consumes the nonce"; the mock reads that as a
// session that started, whatever its outcome later, so the nonce is spent here, before any
// result, and a link refused above (or for a missing reExternalId below) keeps it. openapi.yaml
// marks this reading as an assumption (securitySettings.enableNonce).
func (s *Server) startHostedSession(r *http.Request) (*sessionRecord, *hostedError) {
	id, err := uuid.Parse(r.PathValue("verificationId"))
	if err != nil {
		return nil, &hostedError{http.StatusNotFound, "Verification not found", "The link does not name a verification."}
	}
	acc, v, err := s.store.verificationAnyAccount(id)
	if err != nil {
		return nil, &hostedError{http.StatusNotFound, "Verification not found", "No verification has the id " + id.String() + "."}
	}
	account := s.auth.byID[acc]
	raw := r.URL.RawQuery
	params := signing.Parse(raw)
	cfg := v.config
	_, signed := params.Get(signing.ParamSignature)
	nonce := ""
	if *cfg.SecurityConfig.ForceSignedInput || signed {
		now := s.clock.Now()
		result, _ := s.signer.Validate(raw, account.SigningSecret, now, func(n string) bool { return s.store.nonceUsed(acc, n) })
		switch result {
		case signing.Valid:
		case signing.Expired:
			return nil, &hostedError{http.StatusGone, "Link expired", "The link's reExpiration has passed; ask for a new link."}
		case signing.NonceAlreadyUsed:
			return nil, &hostedError{http.StatusGone, "Link already used", "The link's reNonce was used by an earlier session; ask for a new link."}
		default:
			return nil, &hostedError{http.StatusForbidden, "Signature missing or invalid",
				"This verification requires a signed link (securityConfig.forceSignedInput), and the link's reSignature is missing or does not match."}
		}
		nonce, _ = params.Get(signing.ParamNonce)
	}

	rec := &sessionRecord{id: s.ids.uuid(), account: acc, verificationID: &v.id, hosted: true, created: s.clock.Now()}
	rec.config = applyHostedOverrides(cfg, params)
	rec.externalID, _ = params.Get(keyExternalID)
	rec.customInput = map[string]string{}
	for _, p := range params {
		if !reservedKey(p.Key) {
			if _, dup := rec.customInput[p.Key]; !dup {
				rec.customInput[p.Key] = p.Value
			}
		}
	}
	if w := rec.config.WebhookConfig; w != nil && w.EventCallbackUrl != nil {
		rec.webhookURL = *w.EventCallbackUrl
	}
	if vc := rec.config.VerifierConfigs; vc != nil && vc.FaceRecognition != nil && rec.externalID == "" {
		switch vc.FaceRecognition.Type {
		case generated.FaceRecognitionTypeMatchVerification, generated.FaceRecognitionTypeUniqueMatchVerification:
			return nil, &hostedError{http.StatusBadRequest, "External id required",
				"This verification's face recognition (" + string(vc.FaceRecognition.Type) + ") needs the caller's id as reExternalId."}
		}
	}
	switch err := s.store.startSession(rec, nonce); {
	case errors.Is(err, errNonceUsed):
		return nil, &hostedError{http.StatusGone, "Link already used", "The link's reNonce was used by an earlier session; ask for a new link."}
	case err != nil:
		s.log.Error("start hosted session", "error", err)
		return nil, &hostedError{http.StatusServiceUnavailable, "Storage unavailable", "The mock could not write its data directory; see its log."}
	}
	return rec, nil
}

// applyHostedOverrides applies the reDisable…Verifier keys of the link, which count only when
// the verification allows verifier overrides (otherwise they are ignored, as documented).
func applyHostedOverrides(cfg generated.VerificationConfig, params signing.Params) generated.VerificationConfig {
	if !*cfg.SessionOverrideConfig.AllowVerifierOverrides || cfg.VerifierConfigs == nil {
		return cfg
	}
	on := func(k string) bool { v, _ := params.Get(k); return strings.EqualFold(v, "true") }
	vc := *cfg.VerifierConfigs
	if on(keyDisableLiveness) && vc.Liveness != nil {
		vc.Liveness = &generated.LivenessConfig{Type: generated.LivenessTypeDisabled}
	}
	if on(keyDisableAge) && vc.Age != nil {
		vc.Age = &generated.AgeConfig{Type: generated.AgeTypeDisabled}
	}
	if on(keyDisableGender) && vc.Gender != nil {
		vc.Gender = &generated.GenderConfig{Type: generated.GenderTypeDisabled}
	}
	cfg.VerifierConfigs = &vc
	return cfg
}

// completeHosted handles the camera page's form: POST
// /verification/{verificationId}/sessions/{sessionId}/complete.
func (s *Server) completeHosted(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("sessionId"))
	if err != nil {
		s.hostedFail(w, &hostedError{http.StatusNotFound, "Session not found", "The address does not name a session."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.hostedFail(w, &hostedError{http.StatusBadRequest, "Bad form", err.Error()})
		return
	}
	spec, err := subjectFromForm(r.PostForm)
	if err != nil {
		s.hostedFail(w, &hostedError{http.StatusBadRequest, "Bad subject", err.Error()})
		return
	}
	s.finishHosted(w, r, id, spec)
}

// finishHosted completes a hosted session and redirects (303) to the result URL, or shows the
// result when the verification has no redirect URL for the outcome.
func (s *Server) finishHosted(w http.ResponseWriter, r *http.Request, id uuid.UUID, spec SubjectSpec) {
	done, err := s.CompleteSession(id, spec)
	switch {
	case errors.Is(err, ErrSessionNotFound):
		s.hostedFail(w, &hostedError{http.StatusNotFound, "Session not found", err.Error()})
		return
	case errors.Is(err, ErrSessionCompleted):
		s.hostedFail(w, &hostedError{http.StatusConflict, "Session already completed", "A session completes once; start a new one from a new link."})
		return
	case errors.Is(err, ErrBadSubject):
		s.hostedFail(w, &hostedError{http.StatusBadRequest, "Bad subject", err.Error()})
		return
	case errors.Is(err, errStorage):
		s.hostedFail(w, &hostedError{http.StatusServiceUnavailable, "Storage unavailable", "The mock could not write its data directory; nothing was changed."})
		s.log.Error("complete hosted session", "error", err)
		return
	case err != nil:
		s.hostedFail(w, &hostedError{http.StatusInternalServerError, "Mock failure", "See the mock's log."})
		s.log.Error("complete hosted session", "error", err)
		return
	}
	if done.RedirectURL != "" {
		http.Redirect(w, r, done.RedirectURL, http.StatusSeeOther)
		return
	}
	s.hostedPage(w, http.StatusOK, "result", resultPage{Session: id.String(), Result: prettyJSON(done.Result)})
}

// subjectFromForm reads the camera page's form. Empty fields are left to the faker.
func subjectFromForm(f url.Values) (SubjectSpec, error) {
	var spec SubjectSpec
	if p := f.Get("preset"); p != "" && p != "custom" {
		spec.Preset = p
	}
	var subj Subject
	set := false
	if v := strings.TrimSpace(f.Get("age")); v != "" {
		age, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return spec, fmt.Errorf("age: must be a number (got %q)", v)
		}
		subj.Age, set = &age, true
	}
	if v := f.Get("gender"); v != "" {
		subj.Gender, set = &v, true
	}
	if v := f.Get("live"); v != "" {
		live := v == "true"
		subj.Live, set = &live, true
	}
	if v := strings.TrimSpace(f.Get("faceCount")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return spec, fmt.Errorf("faceCount: must be a whole number (got %q)", v)
		}
		subj.FaceCount, set = &n, true
	}
	if v := strings.TrimSpace(f.Get("face")); v != "" {
		subj.Face, set = &v, true
	}
	if set {
		spec.Subject = &subj
	}
	if spec.Preset == "" && spec.Subject == nil {
		spec.Preset = "pass"
	}
	if fe := spec.check(); fe != nil {
		return spec, fe
	}
	return spec, nil
}

func prettyJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

type cameraPage struct {
	Session, Verification, Config, Action string
	Presets                               []string
}

type resultPage struct{ Session, Result string }

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>VerifEye mock</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}label{display:block;margin:.4rem 0}</style></head><body>{{end}}
{{define "error"}}{{template "head"}}<h1>{{.title}}</h1><p>{{.detail}}</p><p><small>VerifEye offline mock: this page stands in for the hosted verification page.</small></p></body></html>{{end}}
{{define "camera"}}{{template "head"}}<h1>Verification session</h1>
<p>This page stands in for the camera check. Choose who is in front of the camera, then complete the session.</p>
<p>Session <code>{{.Session}}</code> of verification <code>{{.Verification}}</code>.</p>
<form method="post" action="{{.Action}}">
<label>Preset <select name="preset">{{range .Presets}}<option value="{{.}}"{{if eq . "pass"}} selected{{end}}>{{.}}</option>{{end}}<option value="custom">custom (fields below only)</option></select></label>
<fieldset><legend>Fields (override the preset; empty means the preset's value or a seeded random one)</legend>
<label>Age <input name="age" inputmode="decimal"></label>
<label>Gender <select name="gender"><option value=""></option><option>Male</option><option>Female</option></select></label>
<label>Live <select name="live"><option value=""></option><option value="true">live person</option><option value="false">spoof</option></select></label>
<label>Face count <input name="faceCount" inputmode="numeric"></label>
<label>Face identity (same text = same person) <input name="face"></label>
</fieldset>
<p><button type="submit">Complete session</button></p></form>
<h2>Effective configuration</h2><pre>{{.Config}}</pre></body></html>{{end}}
{{define "result"}}{{template "head"}}<h1>Session completed</h1><p>Session <code>{{.Session}}</code>. The verification has no redirect URL for this outcome, so the result is shown here.</p><pre>{{.Result}}</pre></body></html>{{end}}
`))
