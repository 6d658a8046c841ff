package mockserver

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
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
	// The session completes at its account's time.
	now := s.clock.Now()
	if owner, ok := s.store.sessionOwnerOf(id); ok {
		now = s.accountNow(owner)
	}
	rec, err := s.store.completeSession(id, now, func(rec sessionRecord, faces faceIndex) generated.SessionResult {
		// The faker draws only for a session that completes, so a refused completion does not
		// shift the values a seed gives later sessions.
		subj := s.faker.resolve(spec)
		return computeResult(sessionInput{id: rec.id, config: *rec.config, externalID: rec.externalID, customInput: rec.customInput}, subj, faces)
	})
	if err != nil {
		return Completion{}, err // ErrSessionNotFound, ErrSessionCompleted or a storage failure
	}
	acc := s.auth.account(rec.account)
	if acc == nil {
		return Completion{}, sessionNotFound(id) // its tenant was deleted meanwhile
	}
	out := Completion{Result: *rec.result, RedirectURL: redirectURL(rec, acc.SigningSecret, s.signer)}
	if rec.webhookURL != "" {
		s.webhooks.send(rec.webhookURL, acc.APIKeys[0], rec.id.String(), acc.ID)
	}
	s.log.Info("session completed", "session", rec.id.String(), "account", rec.account, "result", string(rec.result.VerificationResult))
	return out, nil
}
