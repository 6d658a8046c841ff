package mockserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// MaxQueuedSubjects bounds every subject queue: the mock's queue, each account's queue, and the
// subjects aimed at the verifications of one account (all its verifications together). A
// request that would take one past it is refused whole with a 409 naming the queue and the
// limit (ErrQueueFull), so a suite that queues more than its links take fills no more memory.
const MaxQueuedSubjects = 10000

// ErrQueueFull: queuing the subjects would take a queue past MaxQueuedSubjects.
var ErrQueueFull = errors.New("subject queue full")

// queueFull is the conflict of a request that adds adding subjects to a queue (named which)
// that holds held.
func queueFull(which string, held, adding int) error {
	return &storeError{kind: errConflict, field: "body", is: ErrQueueFull,
		rule: fmt.Sprintf("must not take %s past %d subjects", which, MaxQueuedSubjects),
		detail: fmt.Sprintf("%s holds %d subjects and the request adds %d; it holds at most %d (clear it with DELETE /_mock/subjects, or let hosted sessions take them)",
			which, held, adding, MaxQueuedSubjects)}
}

// subjectQueue holds subjects queued for the next hosted sessions, first in first out.
type subjectQueue struct {
	mu    sync.Mutex
	specs []SubjectSpec
}

// room reports a conflict when adding n subjects would take the queue past MaxQueuedSubjects.
func (q *subjectQueue) room(n int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.roomLocked(n)
}

func (q *subjectQueue) roomLocked(n int) error {
	if len(q.specs)+n > MaxQueuedSubjects {
		return queueFull("the subject queue", len(q.specs), n)
	}
	return nil
}

// push queues specs, all or (past MaxQueuedSubjects) none.
func (q *subjectQueue) push(specs ...SubjectSpec) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.roomLocked(len(specs)); err != nil {
		return err
	}
	q.specs = append(q.specs, specs...)
	return nil
}

func (q *subjectQueue) pop() (SubjectSpec, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.specs) == 0 {
		return SubjectSpec{}, false
	}
	sp := q.specs[0]
	q.specs[0] = SubjectSpec{} // the backing array keeps no subject it no longer holds
	q.specs = q.specs[1:]
	if len(q.specs) == 0 {
		q.specs = nil
	}
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
	order []uuid.UUID    // verifications in the order their first subject was aimed, for listing
	held  map[string]int // subjects aimed at each account's verifications
}

type aimedSubject struct {
	spec    SubjectSpec
	account string // the verification's owner
}

// aim is one subject to aim at a verification.
type aim struct {
	verification uuid.UUID
	aimedSubject
}

// roomLocked reports a conflict when aiming adds would take an account past MaxQueuedSubjects.
func (a *aimedSubjects) roomLocked(adds []aim) error {
	n := map[string]int{}
	for _, x := range adds {
		n[x.account]++
	}
	for acc, k := range n {
		if a.held[acc]+k > MaxQueuedSubjects {
			return queueFull("the subjects aimed at the account's verifications", a.held[acc], k)
		}
	}
	return nil
}

// push aims every subject of adds, all or (past MaxQueuedSubjects for an account) none.
func (a *aimedSubjects) push(adds ...aim) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.roomLocked(adds); err != nil {
		return err
	}
	if a.byVer == nil {
		a.byVer, a.held = map[uuid.UUID][]aimedSubject{}, map[string]int{}
	}
	for _, x := range adds {
		if len(a.byVer[x.verification]) == 0 {
			a.order = append(a.order, x.verification)
		}
		a.byVer[x.verification] = append(a.byVer[x.verification], x.aimedSubject)
		a.held[x.account]++
	}
	return nil
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
	a.forgetLocked(q[:1])
	return q[0].spec, true
}

// forgetLocked counts gone as no longer held.
func (a *aimedSubjects) forgetLocked(gone []aimedSubject) {
	for _, sub := range gone {
		if a.held[sub.account]--; a.held[sub.account] <= 0 {
			delete(a.held, sub.account)
		}
	}
}

// drop forgets the subjects aimed at verification.
func (a *aimedSubjects) drop(verification uuid.UUID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if q, ok := a.byVer[verification]; ok {
		a.forgetLocked(q)
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
		mine := func(s aimedSubject) bool { return account == nil || s.account == account.ID }
		a.forgetLocked(filter(q, mine))
		if kept := filter(q, func(s aimedSubject) bool { return !mine(s) }); len(kept) > 0 {
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
// account that has none queued of its own, for the whole mock). Either all are queued or none:
// none when one is wrong (ErrBadSubject) or when they would take the queue past
// MaxQueuedSubjects (ErrQueueFull).
func (sc *Scope) QueueSubjects(specs ...SubjectSpec) error {
	if err := checkSpecs(specs); err != nil {
		return err
	}
	return sc.queue().push(specs...)
}

// queue is the scope's subject queue: its account's, or the mock's.
func (sc *Scope) queue() *subjectQueue {
	if sc.acc != nil {
		return &sc.acc.state.subjects
	}
	return &sc.s.subjects
}

// AimSubjects queues subjects for the next hosted sessions of verification id only, which must
// belong to the scope's account. Either all are queued or none (ErrQueueFull past
// MaxQueuedSubjects aimed at the account's verifications).
func (sc *Scope) AimSubjects(verification uuid.UUID, specs ...SubjectSpec) error {
	if err := checkSpecs(specs); err != nil {
		return err
	}
	owner, ok := sc.s.store.verificationOwnerOf(verification)
	if !ok || (sc.acc != nil && owner != sc.acc.ID) {
		return verificationNotFound(verification)
	}
	adds := make([]aim, len(specs))
	for i, sp := range specs {
		adds[i] = aim{verification, aimedSubject{sp, owner}}
	}
	return sc.s.aimed.push(adds...)
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

// subjectsAnswer is what listing and clearing the subjects answer.
type subjectsAnswer struct {
	Queued []SubjectSpec   `json:"queued"`
	Aimed  []QueuedSubject `json:"aimed"`
}

func (sc *Scope) subjectsAnswer() subjectsAnswer {
	return subjectsAnswer{Queued: sc.QueuedSubjects(), Aimed: sc.AimedSubjects()}
}

// Queued is what queuing subjects did (the answer of POST /_mock/subjects): the subjects it
// queued or aimed at a verification, in the order given, and the completions of the sessions it
// completed at once. It does not repeat the whole queue, which GET /_mock/subjects lists.
type Queued struct {
	Added     []QueuedSubject `json:"added"`
	Completed []Completion    `json:"completed,omitempty"`
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
// checked, and the queues' room (MaxQueuedSubjects), before any is queued; the subjects are
// queued before the sessions complete, and a completion that races with another can still fail.
func (sc *Scope) Queue(subs []QueuedSubject) (Queued, error) {
	out := Queued{Added: []QueuedSubject{}}
	targets, specs, err := sc.checkQueue(subs)
	if err != nil {
		return out, err
	}
	var plain []SubjectSpec
	var aims []aim
	for i, t := range targets {
		switch {
		case t.session != nil:
		case t.verification != nil:
			aims = append(aims, aim{*t.verification, aimedSubject{specs[i], sc.ownerOfVerification(*t.verification)}})
			id := t.verification.String()
			out.Added = append(out.Added, QueuedSubject{Preset: specs[i].Preset, Subject: specs[i].Subject, VerificationID: &id})
		default:
			plain = append(plain, specs[i])
			out.Added = append(out.Added, QueuedSubject{Preset: specs[i].Preset, Subject: specs[i].Subject})
		}
	}
	if err := sc.queue().room(len(plain)); err != nil {
		return Queued{}, err
	}
	if err := sc.s.aimed.push(aims...); err != nil {
		return Queued{}, err
	}
	if err := sc.queue().push(plain...); err != nil {
		return out, err // filled meanwhile by another request: the aimed subjects stay
	}
	for i, t := range targets {
		if t.session != nil {
			c, err := sc.CompleteSession(*t.session, specs[i])
			if err != nil {
				return out, err
			}
			out.Completed = append(out.Completed, c)
		}
	}
	return out, nil
}

// checkQueue checks every subject of subs and its target, naming the first wrong one's field.
func (sc *Scope) checkQueue(subs []QueuedSubject) ([]queueTarget, []SubjectSpec, error) {
	targets := make([]queueTarget, len(subs))
	specs := make([]SubjectSpec, len(subs))
	for i, q := range subs {
		field := ""
		if len(subs) > 1 {
			field = fmt.Sprintf("[%d]", i)
		}
		t, err := targetOf(q, field)
		if err != nil {
			return nil, nil, err
		}
		targets[i], specs[i] = t, q.spec()
		if fe := specs[i].check(); fe != nil {
			if field != "" {
				fe = fe.within(field)
			}
			return nil, nil, fmt.Errorf("%w: %w", ErrBadSubject, fe)
		}
		if err := sc.checkTarget(t); err != nil {
			return nil, nil, err
		}
	}
	return targets, specs, nil
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
	added, err := sc.Queue(subs)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, added)
}

func (s *Server) ctlListSubjects(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.scopeOf(r).subjectsAnswer())
}

func (s *Server) ctlClearSubjects(w http.ResponseWriter, r *http.Request) {
	sc := s.scopeOf(r)
	sc.ClearSubjects()
	writeJSON(w, http.StatusOK, sc.subjectsAnswer())
}
