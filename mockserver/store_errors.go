package mockserver

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// The kinds of store failure. Every store method that fails returns a *storeError of kind
// errNotFound or errConflict, or an error wrapping errStorage (persist.go) when the data
// directory could not be written; problemFor gives each kind its one status.
var (
	errNotFound = errors.New("not found")
	errConflict = errors.New("conflict")
	// errNonceUsed: a hosted link's nonce was consumed by an earlier session (a conflict).
	errNonceUsed = errors.New("nonce already used")
)

// storeError is a record the store could not find or could not change as asked: its kind, the
// request field that names the record, the rule a conflict broke, and what the client is told.
type storeError struct {
	kind   error  // errNotFound or errConflict
	field  string // e.g. "verificationId", "name"
	rule   string // for a conflict, e.g. "must be unique within the account"
	detail string // e.g. "no verification 8d0f…"
	// is is a more specific sentinel the error also is (ErrSessionNotFound, errNonceUsed, …),
	// for callers of the Go API and for the hosted page's wording.
	is error
	// text is what Error says when it is not "field: detail" (CompleteSession's errors keep
	// their documented "session not found: <id>" form).
	text string
}

func (e *storeError) Error() string {
	if e.text != "" {
		return e.text
	}
	return e.field + ": " + e.detail
}

func (e *storeError) Unwrap() []error {
	if e.is != nil {
		return []error{e.kind, e.is}
	}
	return []error{e.kind}
}

func verificationNotFound(id uuid.UUID) error {
	return &storeError{kind: errNotFound, field: "verificationId", detail: fmt.Sprintf("no verification %s", id)}
}

func verificationNameNotFound(name string) error {
	return &storeError{kind: errNotFound, field: "name", detail: fmt.Sprintf("no verification named %q", name)}
}

func nameTaken(name string) error {
	return &storeError{kind: errConflict, field: "name", rule: "must be unique within the account",
		detail: fmt.Sprintf("a verification named %q already exists", name)}
}

func sessionNotFound(id uuid.UUID) error {
	return &storeError{kind: errNotFound, field: "verificationSessionId", is: ErrSessionNotFound,
		detail: fmt.Sprintf("no session %s created in the last 7 days", id),
		text:   fmt.Sprintf("%s: %s", ErrSessionNotFound, id)}
}

func sessionCompleted(id uuid.UUID) error {
	return &storeError{kind: errConflict, field: "verificationSessionId", rule: "must be a pending session", is: ErrSessionCompleted,
		detail: fmt.Sprintf("session %s is already completed", id),
		text:   fmt.Sprintf("%s: %s", ErrSessionCompleted, id)}
}

func nonceUsed() error {
	return &storeError{kind: errConflict, field: "reNonce", rule: "must not have started an earlier session", is: errNonceUsed,
		detail: "the link's nonce was used by an earlier session"}
}
