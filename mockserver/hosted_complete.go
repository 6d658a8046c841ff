package mockserver

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// The hosted page's completion: POST /verification/{verificationId}/sessions/{sessionId}/complete.
// In production the camera check runs in the browser with the session's own token; the mock's
// stand-in page posts its form here. The address completes one session only, and only with that
// session's credential (tokens.go says which and why), as the form field "token" or as
// "Authorization: Bearer <token>":
//
//   - a session its verification's hosted link started: the page token the camera page holds;
//   - a session made by create-session: its sessionToken. Its address names the verification of
//     the session's name when it has one; a session from inline configuration alone has none,
//     and its sessionToken alone names it.
//
// Anything else is refused before the session changes and before any webhook: 404 for an unknown
// session, a session of another verification, or one not started by a hosted link that comes
// without a credential; 403 for a missing or wrong credential. Every session still completes
// through the control API (POST /_mock/sessions/{id}/complete), which keeps --control-token.

// completeHosted handles the completion. A browser gets pages and the result redirect, as
// before; a program (see apiStyle) gets problem+json and, on success, the completion as JSON, as
// the control API answers it.
func (s *Server) completeHosted(w http.ResponseWriter, r *http.Request) {
	api := apiStyle(r)
	id, spec, herr := s.hostedCompletion(w, r)
	var done Completion
	if herr == nil {
		var err error
		if done, err = s.CompleteSession(id, spec); err != nil {
			herr = s.hostedFailure(err, "", "")
		}
	}
	switch {
	case herr != nil && api:
		s.writeProblem(w, r, &apiError{status: herr.status, detail: herr.title + ": " + herr.detail, fields: herr.fields})
	case herr != nil:
		s.hostedFail(w, r, herr)
	case api:
		writeJSON(w, http.StatusOK, done)
	default:
		s.showCompletion(w, r, id, done)
	}
}

// apiStyle reports whether a request comes from a program rather than a browser's form: it has
// an Authorization header, or accepts JSON and not HTML.
func apiStyle(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	accept := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	return strings.Contains(accept, "json") && !strings.Contains(accept, "text/html")
}

// hostedCompletion reads the request and returns the session it may complete with the subject
// its form describes, or why it may not.
func (s *Server) hostedCompletion(w http.ResponseWriter, r *http.Request) (uuid.UUID, SubjectSpec, *hostedError) {
	vid, errV := uuid.Parse(r.PathValue("verificationId"))
	id, errS := uuid.Parse(r.PathValue("sessionId"))
	if errV != nil || errS != nil {
		return id, SubjectSpec{}, &hostedError{http.StatusNotFound, "Session not found", "The address does not name a session.", nil}
	}
	owner, found := s.store.sessionOwnerOf(id)
	acc := s.auth.account(owner)
	if found && acc != nil {
		journalAs(r, acc)
	}
	if herr := readCompletionForm(w, r); herr != nil {
		return id, SubjectSpec{}, herr
	}
	if !found || acc == nil {
		return id, SubjectSpec{}, sessionNotHere(vid, id)
	}
	rec, err := s.store.getSession(owner, id, acc.state.clock.Now())
	if err != nil {
		return id, SubjectSpec{}, s.hostedFailure(err, "", "")
	}
	if herr := s.authorizeCompletion(r, rec, acc, vid); herr != nil {
		return id, SubjectSpec{}, herr
	}
	spec, err := subjectFromForm(r.PostForm)
	if err != nil {
		var fe fieldErrors
		errors.As(err, &fe)
		return id, spec, &hostedError{http.StatusBadRequest, "Bad subject", err.Error(), fe}
	}
	return id, spec, nil
}

// formType is the body the completion reads: what a browser's form posts.
const formType = "application/x-www-form-urlencoded"

// MaxCompletionFormBytes bounds the body of the hosted page's completion form (a 413 past it):
// the form holds a token and a subject, a few hundred bytes.
const MaxCompletionFormBytes = 64 << 10

// readCompletionForm parses the form (at most MaxCompletionFormBytes). A body of another type is refused rather
// than read as an empty form, which would complete the session with the default subject.
func readCompletionForm(w http.ResponseWriter, r *http.Request) *hostedError {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != formType {
			return &hostedError{http.StatusUnsupportedMediaType, "Not a form", "The body must be a form (" + formType + ").",
				fieldError("Content-Type", "must be "+formType)}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxCompletionFormBytes)
	if err := r.ParseForm(); err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			rule := fmt.Sprintf("must not exceed %d bytes", MaxCompletionFormBytes)
			return &hostedError{http.StatusRequestEntityTooLarge, "Form too large", "The form " + rule + ".", fieldError("body", rule)}
		}
		return &hostedError{http.StatusBadRequest, "Bad form", err.Error(), fieldError("body", err.Error())}
	}
	return nil
}

// sessionNotHere is the answer for a session the address does not complete: unknown, of another
// verification, or not started by a hosted link and sent without a credential.
func sessionNotHere(vid, id uuid.UUID) *hostedError {
	return &hostedError{http.StatusNotFound, "Session not found",
		"Verification " + vid.String() + " has no session " + id.String() + " started by its hosted link. " +
			"A session made by create-session completes with its sessionToken (Authorization: Bearer <sessionToken>) or through the control API.", nil}
}

// authorizeCompletion decides whether the request may complete rec at verification vid's
// address: 404 when the session is not this verification's (see sessionNotHere), 403 unless the
// credential is the session's own.
func (s *Server) authorizeCompletion(r *http.Request, rec sessionRecord, acc *Account, vid uuid.UUID) *hostedError {
	ofVerification := rec.verificationID != nil && *rec.verificationID == vid
	cred, field, rule := completionCredential(r)
	switch {
	case rec.hosted && !ofVerification,
		!rec.hosted && rec.verificationID != nil && !ofVerification,
		!rec.hosted && cred == "" && rule == "":
		return sessionNotHere(vid, rec.id)
	case rule != "":
	case cred == "":
		rule = "required: the session's token (the camera page's hidden field), or Authorization: Bearer <token>"
	case rec.hosted:
		if !s.auth.checkPageToken(cred, rec.account, vid, rec.id) {
			rule = "must be this session's page token"
		}
	default:
		if err := s.auth.checkSessionToken(cred, rec.id, acc); err != nil {
			rule = err.Error()
		}
	}
	if rule == "" {
		return nil
	}
	return &hostedError{http.StatusForbidden, "Session token missing or wrong",
		field + ": " + rule + ". Only the session's own page, or the holder of its sessionToken, completes it here.",
		fieldError(field, rule)}
}

// completionCredential is the credential the request carries and where: the Authorization
// header's Bearer token when the header is sent, else the form field "token". rule says what is
// wrong with an Authorization header that is not "Bearer <token>".
func completionCredential(r *http.Request) (cred, field, rule string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return strings.TrimSpace(r.PostForm.Get("token")), "token", ""
	}
	scheme, value, _ := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !strings.EqualFold(scheme, "Bearer") || value == "" {
		return "", "Authorization", `must be "Bearer <token>" with the session's sessionToken or page token`
	}
	return value, "Authorization", ""
}
