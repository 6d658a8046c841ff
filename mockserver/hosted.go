package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
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
// a developer picks the simulated subject; its form completes that session with the token the
// page holds (hosted_complete.go).

// hostedError is a rejected hosted-page request: the status and what the page says.
type hostedError struct {
	status int
	title  string
	detail string
	fields fieldErrors // the form fields or headers at fault, if any
}

func (s *Server) hostedPage(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("render hosted page", "error", err)
	}
}

// hostedFail shows the error page; the request's log line and journal entry carry what it says.
func (s *Server) hostedFail(w http.ResponseWriter, r *http.Request, e *hostedError) {
	if ex := exchangeFrom(r.Context()); ex != nil {
		ex.detail, ex.fields = e.title+": "+e.detail, e.fields
	}
	s.hostedPage(w, e.status, "error", map[string]string{"title": e.title, "detail": e.detail})
}

// startHosted handles GET /verification/{verificationId}.
func (s *Server) startHosted(w http.ResponseWriter, r *http.Request) {
	rec, herr := s.startHostedSession(r)
	if herr != nil {
		s.hostedFail(w, r, herr)
		return
	}
	spec, ok := s.nextSubject(s.auth.account(rec.account), *rec.verificationID)
	if !ok {
		vid := *rec.verificationID
		s.hostedPage(w, http.StatusOK, "camera", cameraPage{
			Session: rec.id.String(), Verification: vid.String(),
			Config: prettyJSON(rec.config), Presets: PresetNames(),
			Action: fmt.Sprintf("/verification/%s/sessions/%s/complete", vid, rec.id),
			Token:  s.auth.pageToken(rec.account, vid, rec.id),
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
		return nil, &hostedError{http.StatusNotFound, "Verification not found", "The link does not name a verification.", nil}
	}
	acc, v, err := s.store.verificationAnyAccount(id)
	account := s.auth.account(acc)
	if err != nil || account == nil {
		return nil, s.hostedFailure(verificationNotFound(id), "Verification not found", "No verification has the id "+id.String()+".")
	}
	journalAs(r, account)
	params := signing.Parse(r.URL.RawQuery)
	nonce, herr := s.checkHostedLink(account, v.config, r.URL.RawQuery, params)
	if herr != nil {
		return nil, herr
	}
	rec := &sessionRecord{id: s.ids.uuid(), account: acc, verificationID: &v.id, hosted: true, created: account.state.clock.Now()}
	// Without an override the session runs the verification's own configuration, which it shares
	// with the record (never changed once stored) as sessions started by name do.
	rec.config = &v.config
	if cfg := applyHostedOverrides(v.config, params); cfg.VerifierConfigs != v.config.VerifierConfigs {
		rec.config = &cfg
	}
	externalID, _ := params.Get(keyExternalID)
	rec.externalID = strings.Clone(externalID) // not a slice of the query, which it would keep alive
	if rec.customInput, herr = customInput(params); herr != nil {
		return nil, herr
	}
	rec.webhookURL = configWebhookURL(rec.config)
	if t, needed := externalIDNeeded(*rec.config); needed && rec.externalID == "" {
		return nil, &hostedError{http.StatusBadRequest, "External id required",
			"This verification's face recognition (" + string(t) + ") needs the caller's id as reExternalId.", nil}
	}
	if err := s.store.startSession(rec, nonce, linkExpiry(params)); err != nil {
		return nil, s.hostedFailure(err, "", "")
	}
	return rec, nil
}

// linkUsed is the page for a link whose nonce an earlier session consumed: the link is gone,
// whether the signature check or the store (for a concurrent start) finds it used.
var linkUsed = &hostedError{http.StatusGone, "Link already used", "The link's reNonce was used by an earlier session; ask for a new link.", nil}

// checkHostedLink checks the link's signature when the verification requires one or the link
// has one, and returns its nonce (empty when unsigned or without one).
func (s *Server) checkHostedLink(account *Account, cfg generated.VerificationConfig, raw string, params signing.Params) (string, *hostedError) {
	_, signed := params.Get(signing.ParamSignature)
	if !*cfg.SecurityConfig.ForceSignedInput && !signed {
		return "", nil
	}
	// The link expires by its account's clock.
	result, _ := s.signer.Validate(raw, account.SigningSecret, account.state.clock.Now(), func(n string) bool { return s.store.nonceUsed(account.ID, n) })
	switch result {
	case signing.Valid:
	case signing.Expired:
		return "", &hostedError{http.StatusGone, "Link expired", "The link's reExpiration has passed; ask for a new link.", nil}
	case signing.NonceAlreadyUsed:
		return "", linkUsed
	default:
		return "", &hostedError{http.StatusForbidden, "Signature missing or invalid",
			"This verification requires a signed link (securityConfig.forceSignedInput), and the link's reSignature is missing or does not match.", nil}
	}
	nonce, _ := params.Get(signing.ParamNonce)
	return nonce, nil
}

// journalAs files a hosted-page request under the account that owns its verification, so the
// account's journal shows it.
func journalAs(r *http.Request, acc *Account) {
	if ex := exchangeFrom(r.Context()); ex != nil && acc != nil {
		ex.acc = acc
	}
}

// hostedFailure is the page for an error of the store or of CompleteSession: the status
// problemFor gives it, as the API would answer it, with words for the person at the page (title
// and detail when given, else the error's own). The mock's own faults and storage failures are
// logged.
func (s *Server) hostedFailure(err error, title, detail string) *hostedError {
	e, internal := problemFor(err)
	if internal {
		s.log.Error("hosted page", "status", e.status, "error", err)
	}
	switch {
	case errors.Is(err, errNonceUsed):
		return linkUsed
	case title != "":
	case errors.Is(err, ErrSessionNotFound):
		title, detail = "Session not found", err.Error()
	case errors.Is(err, ErrSessionCompleted):
		title, detail = "Session already completed", "A session completes once; start a new one from a new link."
	case errors.Is(err, ErrBadSubject):
		title, detail = "Bad subject", err.Error()
	case errors.Is(err, errStorage):
		title, detail = "Storage unavailable", "The mock could not write its data directory; nothing was changed."
	case internal:
		title, detail = "Mock failure", "See the mock's log."
	default:
		title, detail = http.StatusText(e.status), e.detailText()
	}
	return &hostedError{e.status, title, detail, e.fields}
}

// finishHosted completes a hosted session and redirects (303) to the result URL, or shows the
// result when the verification has no redirect URL for the outcome.
func (s *Server) finishHosted(w http.ResponseWriter, r *http.Request, id uuid.UUID, spec SubjectSpec) {
	done, err := s.CompleteSession(id, spec)
	if err != nil {
		s.hostedFail(w, r, s.hostedFailure(err, "", ""))
		return
	}
	s.showCompletion(w, r, id, done)
}

// showCompletion sends the browser to the result URL (303), or shows the result when the
// verification has no redirect URL for the outcome.
func (s *Server) showCompletion(w http.ResponseWriter, r *http.Request, id uuid.UUID, done Completion) {
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
			return spec, fieldError("age", fmt.Sprintf("must be a number (got %q)", v))
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
			return spec, fieldError("faceCount", fmt.Sprintf("must be a whole number (got %q)", v))
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
	Token                                 string // the page token (tokens.go), in the form's hidden field
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
<input type="hidden" name="token" value="{{.Token}}">
<label>Preset <select name="preset">{{range .Presets}}<option value="{{.}}"{{if eq . "pass"}} selected{{end}}>{{.}}</option>{{end}}<option value="custom">custom (fields below only)</option></select></label>
<fieldset><legend>Fields (override the preset; empty means the preset's value or a seeded random one)</legend>
<label>Age <input name="age" inputmode="decimal"></label>
<label>Gender <select name="gender"><option value=""></option><option>Male</option><option>Female</option></select></label>
<label>Live <select name="live"><option value=""></option><option value="true">live person</option><option value="false">spoof</option></select></label>
<label>Face count <input name="faceCount" inputmode="numeric"></label>
<label>Face identity (same text = same person) <input name="face"></label>
</fieldset>
<p><button type="submit">Complete session</button></p></form>
<p><small>The form carries this session's token in its hidden field <code>token</code>: the form's address completes this session only, and only with that token. A test can complete this session instead through the control API: <code>POST /_mock/subjects</code> with <code>{"preset": "pass", "verificationSessionId": "{{.Session}}"}</code>, or <code>POST /_mock/sessions/{{.Session}}/complete</code>. A session made by create-session completes at the same kind of address with its <code>sessionToken</code> as <code>Authorization: Bearer</code>.</small></p>
<h2>Effective configuration</h2><pre>{{.Config}}</pre></body></html>{{end}}
{{define "result"}}{{template "head"}}<h1>Session completed</h1><p>Session <code>{{.Session}}</code>. The verification has no redirect URL for this outcome, so the result is shown here.</p><pre>{{.Result}}</pre></body></html>{{end}}
`))
