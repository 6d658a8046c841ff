package mockserver

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
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

// --- reset

// Reset brings the mock back to its start state: no verifications, sessions, nonces, face
// collections, queued subjects, faults, recorded webhooks or journal entries, then the
// Options.StartState data (fixtures) again. Accounts, the clock and the seeded randomness carry
// on.
func (s *Server) Reset() error {
	if err := s.store.reset(); err != nil {
		return err
	}
	s.subjects.clear()
	s.faults.clear()
	s.webhooks.clear()
	s.journal.clear()
	if s.startState != nil {
		if err := s.startState(s); err != nil {
			return err
		}
		s.journal.clear() // loading the start state is not the users' traffic
	}
	return nil
}

func (s *Server) ctlSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(controlSpec)
}

func (s *Server) ctlReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(); err != nil {
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
func (s *Server) ChangeClock(c ClockChange) ClockState {
	if c.Freeze != nil && *c.Freeze {
		s.clock.Freeze(true)
	}
	if c.Set != nil {
		s.clock.Set(*c.Set)
	}
	if c.Advance != nil {
		s.clock.Advance(time.Duration(*c.Advance))
	}
	if c.Freeze != nil && !*c.Freeze {
		s.clock.Freeze(false)
	}
	return ClockState{Now: s.clock.Now(), Frozen: s.clock.Frozen()}
}

func (s *Server) ctlGetClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, ClockState{Now: s.clock.Now(), Frozen: s.clock.Frozen()})
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
	writeJSON(w, http.StatusOK, s.ChangeClock(c))
}

// --- sessions

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
	done, err := s.CompleteSession(id, spec)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, done)
}

// --- subjects

// subjectQueue holds subjects queued for the next hosted sessions, first in first out.
type subjectQueue struct {
	mu    sync.Mutex
	specs []SubjectSpec
}

func (q *subjectQueue) push(specs ...SubjectSpec) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.specs = append(q.specs, specs...)
}

func (q *subjectQueue) pop() (SubjectSpec, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.specs) == 0 {
		return SubjectSpec{}, false
	}
	sp := q.specs[0]
	q.specs = q.specs[1:]
	return sp, true
}

func (q *subjectQueue) list() []SubjectSpec {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]SubjectSpec{}, q.specs...)
}

func (q *subjectQueue) clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.specs = nil
}

// QueueSubjects queues subjects for the next hosted sessions, first in first out: a hosted link
// opened while a subject is queued completes at once and redirects, with no page. Either all are
// queued or, when one is wrong, none.
func (s *Server) QueueSubjects(specs ...SubjectSpec) error {
	for i, sp := range specs {
		if fe := sp.check(); fe != nil {
			if len(specs) > 1 {
				fe = fe.within(fmt.Sprintf("[%d]", i))
			}
			return fmt.Errorf("%w: %w", ErrBadSubject, fe)
		}
	}
	s.subjects.push(specs...)
	return nil
}

// QueuedSubjects returns the subjects waiting for hosted sessions.
func (s *Server) QueuedSubjects() []SubjectSpec { return s.subjects.list() }

// ClearSubjects empties the subject queue.
func (s *Server) ClearSubjects() { s.subjects.clear() }

// nextSubject is who stands in front of the camera of a new hosted session: the next queued
// subject, else the --auto-complete preset, else nobody yet (the camera page is shown).
func (s *Server) nextSubject() (SubjectSpec, bool) {
	if sp, ok := s.subjects.pop(); ok {
		return sp, true
	}
	if s.autoComplete != "" {
		return SubjectSpec{Preset: s.autoComplete}, true
	}
	return SubjectSpec{}, false
}

func (s *Server) ctlQueueSubjects(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.writeProblem(w, r, badRequest("body", "could not be read"))
		return
	}
	var specs []SubjectSpec
	if trimmed := strings.TrimSpace(string(body)); strings.HasPrefix(trimmed, "[") {
		if perr := decodeStrict(body, &specs); perr != nil {
			s.writeProblem(w, r, perr)
			return
		}
		if len(specs) == 0 {
			s.writeProblem(w, r, badRequest("body", "must hold at least one subject"))
			return
		}
	} else {
		var one SubjectSpec
		if perr := decodeStrict(body, &one); perr != nil {
			s.writeProblem(w, r, perr)
			return
		}
		specs = []SubjectSpec{one}
	}
	if err := s.QueueSubjects(specs...); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queued": s.QueuedSubjects()})
}

func (s *Server) ctlListSubjects(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"queued": s.QueuedSubjects()})
}

func (s *Server) ctlClearSubjects(w http.ResponseWriter, _ *http.Request) {
	s.ClearSubjects()
	writeJSON(w, http.StatusOK, map[string]any{"queued": []SubjectSpec{}})
}

// --- webhooks, journal, collections

// Webhooks returns the recorded webhook delivery attempts, oldest first (the last 1000).
func (s *Server) Webhooks() []WebhookAttempt { return s.webhooks.list() }

// WaitWebhooks blocks until every queued webhook has been delivered or dropped, or ctx ends:
// tests call it instead of sleeping.
func (s *Server) WaitWebhooks(ctx context.Context) error { return s.webhooks.wait(ctx) }

// Requests returns the journal of recent API requests, oldest first (the last 1000).
func (s *Server) Requests() []RequestRecord { return s.journal.list() }

// FaceCollections returns a snapshot of every account's face collections.
func (s *Server) FaceCollections() []FaceCollection { return s.store.faceCollections() }

func (s *Server) ctlWebhooks(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("wait") == "true" {
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		_ = s.WaitWebhooks(ctx)
	}
	writeJSON(w, http.StatusOK, map[string]any{"attempts": s.Webhooks()})
}

func (s *Server) ctlRequests(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"requests": s.Requests()})
}

func (s *Server) ctlCollections(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"collections": s.FaceCollections()})
}

// --- faults

// AddFault makes an operation misbehave as f describes.
func (s *Server) AddFault(f Fault) error {
	if err := f.check(); err != nil {
		return err
	}
	s.faults.add(f)
	return nil
}

// Faults returns the active faults.
func (s *Server) Faults() []Fault { return s.faults.list() }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.clear() }

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if perr := decodeControl(r, &f); perr != nil {
		s.writeProblem(w, r, perr)
		return
	}
	if err := s.AddFault(f); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

func (s *Server) ctlListFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.Faults()})
}

func (s *Server) ctlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, map[string]any{"faults": []Fault{}})
}
