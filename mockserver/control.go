package mockserver

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The control API lets tests and developers drive what production leaves to people and time:
// the clock, the subjects in front of the camera, session completion, webhooks, faults. It lives
// under /_mock/ (or on its own listener), is described by control-openapi.yaml, is never behind
// the Service API's spec validator, and every endpoint is a thin wrapper over an exported method
// of Server, so Go tests can call the same thing without HTTP.

//go:embed control-openapi.yaml
var controlSpec []byte

// ControlSpec returns the OpenAPI document of the control API.
func ControlSpec() []byte { return controlSpec }

// ControlHandler serves only the control API, for a separate listener (--control-addr).
func (s *Server) ControlHandler() http.Handler { return s.control }

// requireControlToken guards the control API when Options.ControlToken is set.
func (s *Server) requireControlToken(next http.Handler) http.Handler {
	if s.controlToken == "" {
		return next
	}
	want := []byte(s.controlToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get(ControlTokenHeader))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			s.writeProblem(w, r, &apiError{status: http.StatusUnauthorized, detail: ControlTokenHeader + ": missing or wrong control token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ControlTokenHeader carries the control token when the mock was started with one.
const ControlTokenHeader = "X-Mock-Control-Token"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// --- scope

// Scope is the control API acting on one account (Server.Scope) or on the whole mock
// (Server.Global). A control call that carries an account's Authorization header acts on that
// account's scope; one without acts on the global scope, as the Server's own methods do.
//
// An account's scope has its own clock (an offset and freeze over the mock's clock), subject
// queue and faults, and sees only its own sessions, face collections, journal entries and
// webhook attempts; its Reset forgets only its own data.
type Scope struct {
	s   *Server
	acc *Account // nil: the whole mock
}

// Global returns the scope of the whole mock: what a control call without credentials acts on.
func (s *Server) Global() *Scope { return &Scope{s: s} }

// Scope returns the scope of the account accountID (a configured account or a tenant), or
// ErrAccountNotFound.
func (s *Server) Scope(accountID string) (*Scope, error) {
	acc := s.auth.account(accountID)
	if acc == nil {
		return nil, &storeError{kind: errNotFound, field: "accountId", is: ErrAccountNotFound, detail: fmt.Sprintf("no account %q", accountID)}
	}
	return &Scope{s: s, acc: acc}, nil
}

// ErrAccountNotFound: no account has this id.
var ErrAccountNotFound = errors.New("account not found")

// AccountID is the scope's account id; empty for the global scope.
func (sc *Scope) AccountID() string {
	if sc.acc == nil {
		return ""
	}
	return sc.acc.ID
}

// scopeOf is the scope a control call acts on: its account's, when it authenticated.
func (s *Server) scopeOf(r *http.Request) *Scope {
	return &Scope{s: s, acc: accountFrom(r.Context())}
}

// controlScope authenticates a control call that carries an Authorization header (401 when the
// credentials are wrong), so that it acts on that account only.
func (s *Server) controlScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header["Authorization"]
		if len(h) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if len(h) > 1 {
			s.writeProblem(w, r, unauthorized(`given more than once; send one "ApiKey <key>" or "Bearer <token>"`))
			return
		}
		acc, cred, err := s.auth.authenticate(h[0])
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withAccount(r.Context(), acc, cred)))
	})
}

// --- reset

// Reset brings the mock back to its start state: no verifications, sessions, nonces, face
// collections, queued subjects, faults, recorded webhooks or journal entries, then the
// Options.StartState data (fixtures) again. Accounts, tenants, the clocks and the seeded
// randomness carry on.
func (s *Server) Reset() error { return s.Global().Reset() }

// Reset forgets what the scope holds. For the whole mock see Server.Reset; for an account, its
// verifications, sessions, nonces, face collections, queued subjects, faults, journal entries
// and webhook attempts, while its clock and the other accounts' data stay.
func (sc *Scope) Reset() error {
	if sc.acc != nil {
		return sc.s.resetAccount(sc.acc)
	}
	s := sc.s
	if err := s.store.reset(); err != nil {
		return err
	}
	s.subjects.clear()
	s.aimed.clear(nil)
	s.faults.clear()
	for _, a := range s.auth.set.Load().order {
		a.state.subjects.clear()
		a.state.faults.clear()
	}
	s.webhooks.clear()
	s.sink.clear(nil)
	s.journal.clear()
	if s.startState != nil {
		return s.loadStartState()
	}
	return nil
}

// resetAccount forgets everything acc owns but its clock.
func (s *Server) resetAccount(acc *Account) error {
	err := s.store.resetAccount(acc.ID)
	acc.state.subjects.clear()
	acc.state.faults.clear()
	s.aimed.clear(acc)
	s.webhooks.clearAccount(acc.ID)
	s.sink.clear(acc)
	s.journal.clearAccount(acc.ID)
	return err
}

func (s *Server) ctlSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(controlSpec)
}

func (s *Server) ctlReset(w http.ResponseWriter, r *http.Request) {
	if err := s.scopeOf(r).Reset(); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}

// --- clock

// ClockState is the control API's view of the clock.
type ClockState struct {
	Now    time.Time `json:"now"`
	Frozen bool      `json:"frozen"`
}

// ClockChange moves the clock; see ChangeClock for the order.
type ClockChange struct {
	Set     *time.Time `json:"set,omitempty"`
	Advance *Duration  `json:"advance,omitempty"`
	Freeze  *bool      `json:"freeze,omitempty"`
}

// ChangeClock applies c to the mock's clock and returns the new state. A freeze happens before
// set and advance, an unfreeze after them, so {"set": T, "freeze": true} stops at exactly T.
// Every account's clock follows the mock's, shifted by its own offset unless it is frozen. A set
// or advance that would leave the clock outside clockMin..clockMax is refused with an error
// naming the field, and the clock is left as it was.
func (s *Server) ChangeClock(c ClockChange) (ClockState, error) { return s.Global().ChangeClock(c) }

// Clock returns the scope's clock: the mock's, or the account's own over it.
func (sc *Scope) Clock() *Clock {
	if sc.acc != nil {
		return sc.acc.state.clock
	}
	return sc.s.clock
}

// ChangeClock applies c to the scope's clock as Server.ChangeClock does; an account's clock
// moves alone.
func (sc *Scope) ChangeClock(c ClockChange) (ClockState, error) {
	err := sc.Clock().change(c.Set, (*time.Duration)(c.Advance), c.Freeze)
	return sc.ClockState(), err
}

// ClockState returns the time the scope's clock shows and whether it stands still: an account's
// clock stands still when it is frozen or when the mock's clock, which it follows, is.
func (sc *Scope) ClockState() ClockState {
	clock := sc.Clock()
	return ClockState{Now: clock.Now(), Frozen: clock.Frozen() || sc.s.clock.Frozen()}
}

func (s *Server) ctlGetClock(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.scopeOf(r).ClockState())
}

func (s *Server) ctlSetClock(w http.ResponseWriter, r *http.Request) {
	var c ClockChange
	if err := decodeControl(r, &c); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	if c.Set == nil && c.Advance == nil && c.Freeze == nil {
		s.writeProblem(w, r, badRequest("body", `give at least one of "set", "advance", "freeze"`))
		return
	}
	state, err := s.scopeOf(r).ChangeClock(c)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, state)
}

// --- sessions

// CompleteSession finishes a session of the scope's account (any session for the whole mock);
// a session of another account is not found. See Server.CompleteSession.
func (sc *Scope) CompleteSession(id uuid.UUID, spec SubjectSpec) (Completion, error) {
	if sc.acc != nil {
		if owner, ok := sc.s.store.sessionOwnerOf(id); !ok || owner != sc.acc.ID {
			return Completion{}, sessionNotFound(id)
		}
	}
	return sc.s.CompleteSession(id, spec)
}

func (s *Server) ctlComplete(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("verificationSessionId"))
	if err != nil {
		s.writeProblem(w, r, badRequest("verificationSessionId", "must be a UUID"))
		return
	}
	var spec SubjectSpec
	if perr := decodeControl(r, &spec); perr != nil {
		s.writeProblem(w, r, perr)
		return
	}
	done, err := s.scopeOf(r).CompleteSession(id, spec)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, done)
}

// --- webhooks, journal, collections

// Webhooks returns the recorded webhook delivery attempts, oldest first (the last 1000).
func (s *Server) Webhooks() []WebhookAttempt { return s.webhooks.list() }

// Webhooks returns the scope's recorded webhook delivery attempts, oldest first.
func (sc *Scope) Webhooks() []WebhookAttempt {
	all := sc.s.webhooks.list()
	if sc.acc == nil {
		return all
	}
	return filter(all, func(a WebhookAttempt) bool { return a.Account == sc.acc.ID })
}

// WaitWebhooks blocks until every queued webhook has been delivered or dropped, or ctx ends:
// tests call it instead of sleeping.
func (s *Server) WaitWebhooks(ctx context.Context) error { return s.webhooks.wait(ctx) }

// Requests returns the journal of recent API requests, oldest first (the last 1000).
func (s *Server) Requests() []RequestRecord { return s.journal.list() }

// Requests returns the scope's journal entries, oldest first: for an account, the requests made
// with its credentials and the hosted-page requests for its verifications.
func (sc *Scope) Requests() []RequestRecord {
	all := sc.s.journal.list()
	if sc.acc == nil {
		return all
	}
	return filter(all, func(r RequestRecord) bool { return r.Account == sc.acc.ID })
}

// FaceCollections returns a snapshot of every account's face collections.
func (s *Server) FaceCollections() []FaceCollection { return s.store.faceCollections() }

// FaceCollections returns a snapshot of the scope's face collections.
func (sc *Scope) FaceCollections() []FaceCollection {
	all := sc.s.store.faceCollections()
	if sc.acc == nil {
		return all
	}
	return filter(all, func(c FaceCollection) bool { return c.Account == sc.acc.ID })
}

func filter[T any](items []T, keep func(T) bool) []T {
	out := make([]T, 0, len(items))
	for _, v := range items {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) ctlWebhooks(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("wait") == "true" {
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		_ = s.WaitWebhooks(ctx)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": s.scopeOf(r).Webhooks()})
}

func (s *Server) ctlRequests(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"requests": s.scopeOf(r).Requests()})
}

func (s *Server) ctlCollections(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"collections": s.scopeOf(r).FaceCollections()})
}

// --- faults

// AddFault makes an operation misbehave as f describes, for every account. It fails with
// ErrTooManyFaults when the mock already holds MaxFaults of its own.
func (s *Server) AddFault(f Fault) error { return s.Global().AddFault(f) }

// Faults returns the faults active for every account.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ClearFaults removes the faults active for every account (an account's own stay).
func (s *Server) ClearFaults() { s.faults.clear() }

// RemoveFault removes the fault for every account with this id (Fault.ID), and reports
// whether there was one.
func (s *Server) RemoveFault(id uint64) bool { _, ok := s.Global().RemoveFault(id); return ok }

func (sc *Scope) faults() *faults {
	if sc.acc != nil {
		return sc.acc.state.faults
	}
	return sc.s.faults
}

// AddFault makes an operation misbehave as f describes: for the scope's account only, or for
// every account. A latency must be shorter than Options.WriteTimeout, when set. It fails with
// ErrTooManyFaults when the scope already holds MaxFaults.
func (sc *Scope) AddFault(f Fault) error {
	_, err := sc.addFault(f)
	return err
}

// addFault is AddFault, returning the fault as kept, with its id.
func (sc *Scope) addFault(f Fault) (Fault, error) {
	if err := f.check(); err != nil {
		return Fault{}, err
	}
	if op := operationID(f.Operation); sc.acc != nil && isPublicOperation(op) {
		// Accepted, it would wait for a call that never comes: the operation has no account.
		return Fault{}, fieldError("operation", op+" takes no credentials, so an account's fault never reaches it; add the fault without credentials (for every account's calls), with requestHeaders to keep it to calls that carry them")
	}
	if wt := sc.s.writeTimeout; wt > 0 && time.Duration(f.Latency) >= wt {
		// The answer would come after the server has given up on the response: the client
		// would read nothing at all, not the fault's status.
		return Fault{}, fieldError("latency", fmt.Sprintf("must be shorter than the mock's write timeout, %s: a response after it is cut", wt))
	}
	return sc.faults().add(f)
}

// RemoveFault removes the scope's fault with this id (Fault.ID) and returns it, or reports that
// the scope holds none: another scope's faults are not looked at.
func (sc *Scope) RemoveFault(id uint64) (Fault, bool) { return sc.faults().remove(id) }

// Faults returns the scope's active faults.
func (sc *Scope) Faults() []Fault { return sc.faults().list() }

// ClearFaults removes the scope's faults.
func (sc *Scope) ClearFaults() { sc.faults().clear() }

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if perr := decodeControl(r, &f); perr != nil {
		s.writeProblem(w, r, perr)
		return
	}
	added, err := s.scopeOf(r).addFault(f)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	// The fault added, with its id, not the whole list: a list of MaxFaults would be sent back
	// on every add.
	writeJSON(w, http.StatusOK, added)
}

func (s *Server) ctlRemoveFault(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		s.writeProblem(w, r, fieldError("id", fmt.Sprintf("must be a fault's id, a whole number from 1 (got %q)", r.PathValue("id"))))
		return
	}
	f, ok := s.scopeOf(r).RemoveFault(id)
	if !ok {
		s.writeProblem(w, r, &apiError{status: http.StatusNotFound, detail: fmt.Sprintf("no fault with id %d in this scope (GET /_mock/faults lists them)", id),
			fields: fieldErrors{"id": {"names no fault of this scope"}}})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) ctlListFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.scopeOf(r).Faults()})
}

func (s *Server) ctlClearFaults(w http.ResponseWriter, r *http.Request) {
	s.scopeOf(r).ClearFaults()
	writeJSON(w, http.StatusOK, map[string]any{"faults": []Fault{}})
}
