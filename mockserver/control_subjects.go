package mockserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"
)

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

// aimedSubjects are subjects queued for the next hosted sessions of one verification each.
type aimedSubjects struct {
	mu    sync.Mutex
	byVer map[uuid.UUID][]aimedSubject
	order []uuid.UUID // verifications in the order their first subject was aimed, for listing
}

type aimedSubject struct {
	spec    SubjectSpec
	account string // the verification's owner
}

func (a *aimedSubjects) push(account string, verification uuid.UUID, specs ...SubjectSpec) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byVer == nil {
		a.byVer = map[uuid.UUID][]aimedSubject{}
	}
	if len(a.byVer[verification]) == 0 {
		a.order = append(a.order, verification)
	}
	for _, sp := range specs {
		a.byVer[verification] = append(a.byVer[verification], aimedSubject{sp, account})
	}
}

func (a *aimedSubjects) pop(verification uuid.UUID) (SubjectSpec, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.byVer[verification]
	if len(q) == 0 {
		return SubjectSpec{}, false
	}
	if len(q) == 1 {
		delete(a.byVer, verification)
		a.order = filter(a.order, func(id uuid.UUID) bool { return id != verification })
	} else {
		a.byVer[verification] = q[1:]
	}
	return q[0].spec, true
}

// drop forgets the subjects aimed at verification.
func (a *aimedSubjects) drop(verification uuid.UUID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.byVer[verification]; ok {
		delete(a.byVer, verification)
		a.order = filter(a.order, func(id uuid.UUID) bool { return id != verification })
	}
}

// list returns the aimed subjects of account (every account's for nil).
func (a *aimedSubjects) list(account *Account) []QueuedSubject {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []QueuedSubject{}
	for _, v := range a.order {
		for _, sub := range a.byVer[v] {
			if account == nil || sub.account == account.ID {
				id := v.String()
				out = append(out, QueuedSubject{Preset: sub.spec.Preset, Subject: sub.spec.Subject, VerificationID: &id})
			}
		}
	}
	return out
}

// clear forgets the aimed subjects of account (every account's for nil).
func (a *aimedSubjects) clear(account *Account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for v, q := range a.byVer {
		if kept := filter(q, func(s aimedSubject) bool { return account != nil && s.account != account.ID }); len(kept) > 0 {
			a.byVer[v] = kept
		} else {
			delete(a.byVer, v)
		}
	}
	a.order = filter(a.order, func(id uuid.UUID) bool { return len(a.byVer[id]) > 0 })
}

// QueuedSubject is a subject for the control API's queue: a SubjectSpec, aimed at one
// verification's next hosted session or at one session when an id is given.
type QueuedSubject struct {
	Preset  string   `json:"preset,omitempty"`
	Subject *Subject `json:"subject,omitempty"`
	// VerificationID aims the subject at the next hosted session of this verification: no
	// other session takes it.
	VerificationID *string `json:"verificationId,omitempty"`
	// VerificationSessionID aims the subject at this pending session, which completes with it
	// at once (a hosted session waiting on its page included).
	VerificationSessionID *string `json:"verificationSessionId,omitempty"`
}

func (q QueuedSubject) spec() SubjectSpec { return SubjectSpec{Preset: q.Preset, Subject: q.Subject} }

// QueueSubjects queues subjects for the next hosted sessions, first in first out: a hosted link
// opened while a subject is queued completes at once and redirects, with no page. Either all are
// queued or, when one is wrong, none.
func (s *Server) QueueSubjects(specs ...SubjectSpec) error {
	return s.Global().QueueSubjects(specs...)
}

// QueuedSubjects returns the subjects waiting for hosted sessions of any account.
func (s *Server) QueuedSubjects() []SubjectSpec { return s.subjects.list() }

// ClearSubjects empties the subject queue and forgets every aimed subject.
func (s *Server) ClearSubjects() { s.Global().ClearSubjects() }

func checkSpecs(specs []SubjectSpec) error {
	for i, sp := range specs {
		if fe := sp.check(); fe != nil {
			if len(specs) > 1 {
				fe = fe.within(fmt.Sprintf("[%d]", i))
			}
			return fmt.Errorf("%w: %w", ErrBadSubject, fe)
		}
	}
	return nil
}

// QueueSubjects queues subjects for the next hosted sessions of the scope's account (of any
// account that has none queued of its own, for the whole mock). Either all are queued or none.
func (sc *Scope) QueueSubjects(specs ...SubjectSpec) error {
	if err := checkSpecs(specs); err != nil {
		return err
	}
	if sc.acc != nil {
		sc.acc.state.subjects.push(specs...)
	} else {
		sc.s.subjects.push(specs...)
	}
	return nil
}

// AimSubjects queues subjects for the next hosted sessions of verification id only, which must
// belong to the scope's account. Either all are queued or none.
func (sc *Scope) AimSubjects(verification uuid.UUID, specs ...SubjectSpec) error {
	if err := checkSpecs(specs); err != nil {
		return err
	}
	owner, ok := sc.s.store.verificationOwnerOf(verification)
	if !ok || (sc.acc != nil && owner != sc.acc.ID) {
		return verificationNotFound(verification)
	}
	sc.s.aimed.push(owner, verification, specs...)
	return nil
}

// QueuedSubjects returns the scope's queue, without the aimed subjects.
func (sc *Scope) QueuedSubjects() []SubjectSpec {
	if sc.acc != nil {
		return sc.acc.state.subjects.list()
	}
	return sc.s.subjects.list()
}

// AimedSubjects returns the subjects aimed at the scope's verifications, in the order aimed.
func (sc *Scope) AimedSubjects() []QueuedSubject { return sc.s.aimed.list(sc.acc) }

// ClearSubjects empties the scope's queue and forgets the subjects aimed at its verifications.
func (sc *Scope) ClearSubjects() {
	if sc.acc != nil {
		sc.acc.state.subjects.clear()
	} else {
		sc.s.subjects.clear()
	}
	sc.s.aimed.clear(sc.acc)
}

// nextSubject is who stands in front of the camera of a new hosted session of verification v of
// account acc: a subject aimed at v, else the next in the account's queue, else (for an account
// configured when the mock started) the next in the mock's queue, else the --auto-complete
// preset, else nobody yet (the camera page is shown). A tenant never takes a subject from the
// mock's queue: suites sharing a mock would otherwise take each other's subjects.
func (s *Server) nextSubject(acc *Account, v uuid.UUID) (SubjectSpec, bool) {
	if sp, ok := s.aimed.pop(v); ok {
		return sp, true
	}
	if sp, ok := acc.state.subjects.pop(); ok {
		return sp, true
	}
	if !acc.state.tenant {
		if sp, ok := s.subjects.pop(); ok {
			return sp, true
		}
	}
	if s.autoComplete != "" {
		return SubjectSpec{Preset: s.autoComplete}, true
	}
	return SubjectSpec{}, false
}

// subjectsAnswer is what the subject endpoints answer.
type subjectsAnswer struct {
	Queued    []SubjectSpec   `json:"queued"`
	Aimed     []QueuedSubject `json:"aimed"`
	Completed []Completion    `json:"completed,omitempty"`
}

func (sc *Scope) subjectsAnswer(done []Completion) subjectsAnswer {
	return subjectsAnswer{Queued: sc.QueuedSubjects(), Aimed: sc.AimedSubjects(), Completed: done}
}

// readQueuedSubjects reads one subject or an array of them.
func readQueuedSubjects(r *http.Request) ([]QueuedSubject, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, badRequest("body", "could not be read")
	}
	var subs []QueuedSubject
	if trimmed := strings.TrimSpace(string(body)); strings.HasPrefix(trimmed, "[") {
		if perr := decodeStrict(body, &subs); perr != nil {
			return nil, perr
		}
		if len(subs) == 0 {
			return nil, badRequest("body", "must hold at least one subject")
		}
		return subs, nil
	}
	var one QueuedSubject
	if perr := decodeStrict(body, &one); perr != nil {
		return nil, perr
	}
	return []QueuedSubject{one}, nil
}

// queueTarget is where one subject of a request goes: the plain queue, a verification, or a
// session.
type queueTarget struct {
	verification, session *uuid.UUID
}

// targetOf parses a queued subject's target; field prefixes the field names in errors.
func targetOf(q QueuedSubject, field string) (queueTarget, error) {
	var t queueTarget
	if q.VerificationID != nil && q.VerificationSessionID != nil {
		return t, fieldError(join(field, "verificationSessionId"), "give verificationId or verificationSessionId, not both")
	}
	for _, p := range []struct {
		name string
		raw  *string
		to   **uuid.UUID
	}{{"verificationId", q.VerificationID, &t.verification}, {"verificationSessionId", q.VerificationSessionID, &t.session}} {
		if p.raw == nil {
			continue
		}
		id, err := uuid.Parse(*p.raw)
		if err != nil {
			return t, fieldError(join(field, p.name), "must be a UUID")
		}
		*p.to = &id
	}
	return t, nil
}

// Queue queues subs as the control API's POST /_mock/subjects does: each subject into the plain
// queue, aimed at a verification, or completing a session at once. Every subject and target is
// checked before any is queued; completions that race with another completion can still fail.
func (sc *Scope) Queue(subs []QueuedSubject) ([]Completion, error) {
	targets := make([]queueTarget, len(subs))
	specs := make([]SubjectSpec, len(subs))
	for i, q := range subs {
		field := ""
		if len(subs) > 1 {
			field = fmt.Sprintf("[%d]", i)
		}
		t, err := targetOf(q, field)
		if err != nil {
			return nil, err
		}
		targets[i], specs[i] = t, q.spec()
		if fe := specs[i].check(); fe != nil {
			if field != "" {
				fe = fe.within(field)
			}
			return nil, fmt.Errorf("%w: %w", ErrBadSubject, fe)
		}
		if err := sc.checkTarget(t); err != nil {
			return nil, err
		}
	}
	var done []Completion
	for i, t := range targets {
		switch {
		case t.session != nil:
			c, err := sc.CompleteSession(*t.session, specs[i])
			if err != nil {
				return done, err
			}
			done = append(done, c)
		case t.verification != nil:
			sc.s.aimed.push(sc.ownerOfVerification(*t.verification), *t.verification, specs[i])
		default:
			_ = sc.QueueSubjects(specs[i])
		}
	}
	return done, nil
}

func (sc *Scope) ownerOfVerification(id uuid.UUID) string {
	owner, _ := sc.s.store.verificationOwnerOf(id)
	return owner
}

// checkTarget reports a target the scope cannot aim at: a verification or session of another
// account, or none; a session that already has its result.
func (sc *Scope) checkTarget(t queueTarget) error {
	mine := func(owner string, ok bool) bool { return ok && (sc.acc == nil || owner == sc.acc.ID) }
	switch {
	case t.verification != nil && !mine(sc.s.store.verificationOwnerOf(*t.verification)):
		return verificationNotFound(*t.verification)
	case t.session != nil && !mine(sc.s.store.sessionOwnerOf(*t.session)):
		return sessionNotFound(*t.session)
	}
	return nil
}

func (s *Server) ctlQueueSubjects(w http.ResponseWriter, r *http.Request) {
	subs, perr := readQueuedSubjects(r)
	if perr != nil {
		s.writeProblem(w, r, perr)
		return
	}
	sc := s.scopeOf(r)
	done, err := sc.Queue(subs)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sc.subjectsAnswer(done))
}

func (s *Server) ctlListSubjects(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.scopeOf(r).subjectsAnswer(nil))
}

func (s *Server) ctlClearSubjects(w http.ResponseWriter, r *http.Request) {
	sc := s.scopeOf(r)
	sc.ClearSubjects()
	writeJSON(w, http.StatusOK, sc.subjectsAnswer(nil))
}
