package mockserver

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// Errors of CompleteSession, for callers that use the Go API directly.
var (
	// ErrSessionNotFound: no session has this id (or it is older than SessionRetention).
	ErrSessionNotFound = errors.New("session not found")
	// ErrSessionCompleted: the session already has its result; a session completes once.
	ErrSessionCompleted = errors.New("session already completed")
	// ErrBadSubject: the subject spec names an unknown preset or an impossible field value.
	ErrBadSubject = errors.New("bad subject")
)

// Completion is the outcome of completing a session: its stored result and, when its
// configuration has redirect URLs, where the hosted page sends the person.
type Completion struct {
	Result      generated.SessionResult `json:"result"`
	RedirectURL string                  `json:"redirectUrl,omitempty"`
}

// CompleteSession finishes a session (started by the hosted page or by create-session) with the
// subject spec describes: it computes and stores every result field, indexes faces, sends the
// webhook in the background and returns the result with the redirect URL.
func (s *Server) CompleteSession(id uuid.UUID, spec SubjectSpec) (Completion, error) {
	if fe := spec.check(); fe != nil {
		return Completion{}, fmt.Errorf("%w: %w", ErrBadSubject, fe)
	}
	rec, err := s.store.completeSession(id, s.clock.Now(), func(rec sessionRecord, faces faceIndex) generated.SessionResult {
		// The faker draws only for a session that completes, so a refused completion does not
		// shift the values a seed gives later sessions.
		subj := s.faker.resolve(spec)
		return computeResult(sessionInput{id: rec.id, config: rec.config, externalID: rec.externalID, customInput: rec.customInput}, subj, faces)
	})
	switch {
	case errors.Is(err, errNotFound):
		return Completion{}, fmt.Errorf("%w: %s", ErrSessionNotFound, id)
	case errors.Is(err, errAlreadyCompleted):
		return Completion{}, fmt.Errorf("%w: %s", ErrSessionCompleted, id)
	case err != nil:
		return Completion{}, err
	}
	acc := s.auth.byID[rec.account]
	out := Completion{Result: *rec.result, RedirectURL: redirectURL(rec, acc.SigningSecret, s.signer)}
	if rec.webhookURL != "" {
		s.webhooks.send(rec.webhookURL, acc.APIKeys[0], rec.id.String())
	}
	s.log.Info("session completed", "session", rec.id.String(), "account", rec.account, "result", string(rec.result.VerificationResult))
	return out, nil
}

// urlValue is how a result value appears in the redirect URL: lowercase, NotExecuted as
// not_executed, as the vendor's result URLs show.
func urlValue(v *generated.VerifierResult) string {
	switch *v {
	case generated.VerifierResultPass:
		return "passed"
	case generated.VerifierResultFail:
		return "failed"
	default:
		return "not_executed"
	}
}

// redirectURL builds the URL the hosted page redirects to when a session it started completes: passedUrl
// or failedUrl with the result parameters resultParameterConfig enables, in the order of the
// vendor's example, the caller's own parameters, and reSignature last, signed with the account's
// secret over the whole query (the URL's own parameters included). Empty when the configuration
// has no URL for the outcome.
func redirectURL(rec sessionRecord, secret string, signer signing.Signer) string {
	res, cfg := rec.result, rec.config
	rc := cfg.RedirectConfig
	if rc == nil || !rec.hosted { // a Web SDK session (create-session) ends in the caller's page
		return ""
	}
	base := rc.FailedUrl
	if res.VerificationResult == generated.SessionStatusPass {
		base = rc.PassedUrl
	}
	if base == nil {
		return ""
	}
	u, err := url.Parse(*base)
	if err != nil {
		return ""
	}
	p := cfg.ResultParameterConfig
	on := func(b *bool) bool { return b != nil && *b }
	var add []signing.Param
	put := func(k, v string) { add = append(add, signing.Param{Key: k, Value: v}) }
	if on(p.IncludeSessionId) {
		put("reVerificationSessionId", res.VerificationSessionId.String())
	}
	if on(p.IncludeFaceId) && res.FaceId != nil {
		put("reFaceId", *res.FaceId)
	}
	if on(p.IncludeVerificationResult) {
		if res.VerificationResult == generated.SessionStatusPass {
			put("reVerificationResult", "passed")
		} else {
			put("reVerificationResult", "failed")
		}
	}
	if on(p.IncludeLivenessCheckResult) {
		put("reLivenessResult", urlValue(res.LivenessVerificationResult))
	}
	if on(p.IncludeFaceRecognitionResult) {
		put("reFaceRecognitionResult", urlValue(res.FaceRecognitionResult))
	}
	if on(p.IncludeAgeVerificationResult) {
		put("reAgeVerificationResult", urlValue(res.AgeVerificationResult))
	}
	if on(p.IncludeAge) && res.EstimatedAge != nil {
		put("reAge", strconv.Itoa(int(math.Floor(*res.EstimatedAge)))) // whole years, as age is told
	}
	if on(p.IncludeGenderVerificationResult) {
		put("reGenderVerificationResult", urlValue(res.GenderVerificationResult))
	}
	if on(p.IncludeGender) && res.EstimatedGender != nil {
		put("reGender", strings.ToLower(string(*res.EstimatedGender)))
	}
	if on(p.IncludeCorrelationId) && res.CorrelationId != nil {
		put("reCorrelationId", *res.CorrelationId)
	}
	if on(p.IncludeTotalFaceCount) && res.TotalFaceCount != nil {
		put("reTotalFaceCount", strconv.Itoa(int(*res.TotalFaceCount)))
	}
	if on(p.IncludeFailedReason) && res.VerificationFailedReasons != nil && len(*res.VerificationFailedReasons) > 0 {
		reasons := make([]string, 0, len(*res.VerificationFailedReasons))
		for _, r := range *res.VerificationFailedReasons {
			reasons = append(reasons, string(r))
		}
		put("reFailedReason", strings.Join(reasons, ","))
	}
	if on(p.IncludeCustomInputParameters) {
		add = append(add, sortedPairs(rec.customInput)...)
	}
	query := signing.Append(u.RawQuery, add...)
	if on(p.IncludeSignature) {
		query = signer.SignURLQuery(query, secret)
	}
	u.RawQuery = query
	return u.String()
}
