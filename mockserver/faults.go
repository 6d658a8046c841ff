package mockserver

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault makes an operation misbehave on purpose, so users can test their retries and timeouts:
// it adds latency and/or answers a forced status (in the API's error format, with no effect on
// state) for the next Count calls, or for a Fraction of calls, or both (the next Count calls
// that the fraction picks).
type Fault struct {
	// ID is the fault's number in its scope, given by the mock when the fault is added and never
	// given again there; DELETE /_mock/faults/{id} (Scope.RemoveFault) removes that fault alone.
	// A fault to add must not carry one.
	ID uint64 `json:"id,omitempty"`
	// Operation is the operationId from openapi.yaml (createSession, getSessionResult, ...), or
	// "*" for every operation.
	Operation string `json:"operation"`
	// Status, when set (400..599), is answered instead of calling the operation.
	Status int `json:"status,omitempty"`
	// Latency is waited before answering, e.g. "250ms" or "2s".
	Latency Duration `json:"latency,omitempty"`
	// Count limits the fault to the next Count calls; zero means no limit.
	Count int `json:"count,omitempty"`
	// Fraction, between 0 and 1, applies the fault to that share of calls (seeded, so
	// reproducible); zero means every call.
	Fraction float64 `json:"fraction,omitempty"`
	// RequestHeaders, when set, limits the fault to calls that carry every one of these headers
	// with exactly this value (names in any letter case); other calls pass it by without using
	// it up. One suite of several sharing a mock tags its own calls this way, so that a fault of
	// the whole mock (the only kind that reaches getHealth, which takes no credentials) is never
	// taken by another suite's call.
	RequestHeaders map[string]string `json:"requestHeaders,omitempty"`
}

// MaxFaultHeaders bounds Fault.RequestHeaders; maxFaultHeaderValue bounds each value.
const (
	MaxFaultHeaders     = 8
	maxFaultHeaderValue = 1024
)

// Duration is a time.Duration written as a Go duration string ("1.5s") in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a duration string such as \"250ms\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a duration string such as \"250ms\" (got %q)", s)
	}
	*d = Duration(v)
	return nil
}

func (f Fault) check() error {
	switch {
	case f.ID != 0:
		return fieldError("id", "is given by the mock when the fault is added; leave it out")
	case f.Operation == "":
		return fieldError("operation", `is required (an operationId such as "createSession", or "*")`)
	case operationID(f.Operation) == "":
		return fieldError("operation", fmt.Sprintf("%q is not an operation of the API", f.Operation))
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fieldError("status", "must be between 400 and 599")
	case f.Latency < 0 || time.Duration(f.Latency) > 5*time.Minute:
		return fieldError("latency", "must be between 0 and 5m")
	case f.Count < 0:
		return fieldError("count", "must not be negative")
	case f.Fraction < 0 || f.Fraction > 1:
		return fieldError("fraction", "must be between 0 and 1")
	case f.Status == 0 && f.Latency == 0:
		return fieldError("status or latency", "give at least one")
	case len(f.RequestHeaders) > MaxFaultHeaders:
		return fieldError("requestHeaders", fmt.Sprintf("must name at most %d headers (got %d)", MaxFaultHeaders, len(f.RequestHeaders)))
	}
	for _, name := range slices.Sorted(maps.Keys(f.RequestHeaders)) {
		value := f.RequestHeaders[name]
		switch {
		case !isHeaderName(name):
			return fieldError("requestHeaders", fmt.Sprintf("%q is not a header name (letters, digits and !#$%%&'*+-.^_`|~ only)", name))
		case len(value) > maxFaultHeaderValue:
			return fieldError("requestHeaders."+name, fmt.Sprintf("must be at most %d bytes long", maxFaultHeaderValue))
		case !isHeaderValue(value):
			return fieldError("requestHeaders."+name, "must be a header value: visible characters, spaces and tabs, not at either end")
		}
	}
	return nil
}

// isHeaderName reports whether s is a field name of RFC 9110 (a token).
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// isHeaderValue reports whether s is a value a request can carry as it is: net/http strips the
// spaces and tabs around a value it reads, so a value with them at either end would never match.
func isHeaderValue(s string) bool {
	if s != strings.Trim(s, " \t") {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// matches reports whether the call's headers carry every header the fault asks for.
func (f *Fault) matches(h http.Header) bool {
	for name, want := range f.RequestHeaders {
		if !slices.Contains(h.Values(name), want) {
			return false
		}
	}
	return true
}

// operationID is the route id op names regardless of letter case ("*" for "*"), or "" when op
// is not an operation of the API.
func operationID(op string) string {
	if op == "*" {
		return op
	}
	for _, rt := range apiRoutes {
		if strings.EqualFold(rt.id, op) {
			return rt.id
		}
	}
	return ""
}

// isPublicOperation reports whether the operation (a route id) is served without credentials,
// so that no account's fault reaches it.
func isPublicOperation(op string) bool {
	for _, rt := range apiRoutes {
		if rt.id == op {
			return rt.public
		}
	}
	return false
}

// MaxFaults bounds the faults active in one scope (the mock's own, or one account's): adding one
// more fails with ErrTooManyFaults. A call looks only at the faults of its operation and those
// for every operation, so matching stays cheap, but a list this long is already far past what a
// test needs.
const MaxFaults = 1000

// ErrTooManyFaults: the scope already holds MaxFaults faults.
var ErrTooManyFaults = errors.New("too many faults")

// activeFault is a fault as the set keeps it, with the operation's route id. Its ID is also the
// order it was added in, which decides which fault a call takes when several apply.
type activeFault struct {
	Fault
	op string // operationID(Fault.Operation)
}

// faults holds the active faults of one scope, indexed by operation.
type faults struct {
	mu    sync.Mutex
	byOp  map[string][]*activeFault // route id, or "*", to its faults in the order added
	total int
	seq   uint64 // the last id given
	rng   *rand.Rand
	// n is total, read without the lock so that a call with no fault active (nearly every
	// call) costs one atomic load per set of faults, not a lock.
	n atomic.Int32
}

func newFaults(seed uint64) *faults {
	return &faults{rng: rand.New(rand.NewPCG(seed, 0x6661756c7473)), byOp: map[string][]*activeFault{}}
}

// add keeps f (checked: its operation is known) under the scope's next id and returns it as
// kept, or fails with ErrTooManyFaults.
func (fs *faults) add(f Fault) (Fault, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.total >= MaxFaults {
		return Fault{}, fmt.Errorf("%w: this scope holds %d faults, the limit; remove them with DELETE /_mock/faults (ClearFaults) or one by one with DELETE /_mock/faults/{id} first", ErrTooManyFaults, MaxFaults)
	}
	fs.seq++
	op := operationID(f.Operation)
	f.ID = fs.seq
	f.RequestHeaders = maps.Clone(f.RequestHeaders) // the caller's map stays the caller's
	fs.byOp[op] = append(fs.byOp[op], &activeFault{Fault: f, op: op})
	fs.total++
	fs.n.Store(int32(fs.total))
	f.RequestHeaders = maps.Clone(f.RequestHeaders)
	return f, nil
}

// remove drops the fault with this id and returns it, or reports that the scope holds none.
func (fs *faults) remove(id uint64) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, l := range fs.byOp {
		for _, f := range l {
			if f.ID == id {
				fs.removeLocked(f)
				return f.Fault, true
			}
		}
	}
	return Fault{}, false
}

// list returns the active faults in the order they were added.
func (fs *faults) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	all := make([]*activeFault, 0, fs.total)
	for _, l := range fs.byOp {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(a, b *activeFault) int { return cmp.Compare(a.ID, b.ID) })
	out := make([]Fault, 0, len(all))
	for _, f := range all {
		g := f.Fault
		g.RequestHeaders = maps.Clone(g.RequestHeaders)
		out = append(out, g)
	}
	return out
}

func (fs *faults) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	clear(fs.byOp)
	fs.total = 0
	fs.n.Store(0)
}

// take returns the fault that applies to this call of operation (a route id) with these request
// headers, if any, using up one of its calls. The faults looked at are the operation's own and
// those for every operation, oldest first, as if they were one list in the order added; a fault
// whose requestHeaders the call does not carry is passed by.
func (fs *faults) take(operation string, h http.Header) (Fault, bool) {
	if fs.n.Load() == 0 {
		return Fault{}, false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	own, every := fs.byOp[operation], fs.byOp["*"]
	for len(own) > 0 || len(every) > 0 {
		var f *activeFault
		if len(every) == 0 || (len(own) > 0 && own[0].ID < every[0].ID) {
			f, own = own[0], own[1:]
		} else {
			f, every = every[0], every[1:]
		}
		if !f.matches(h) || f.Fraction > 0 && fs.rng.Float64() >= f.Fraction {
			continue
		}
		applied := f.Fault
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				fs.removeLocked(f)
			}
		}
		return applied, true
	}
	return Fault{}, false
}

// removeLocked drops a used-up fault.
func (fs *faults) removeLocked(f *activeFault) {
	l := fs.byOp[f.op]
	if i := slices.Index(l, f); i >= 0 {
		fs.byOp[f.op] = slices.Delete(l, i, i+1)
	}
	if len(fs.byOp[f.op]) == 0 {
		delete(fs.byOp, f.op)
	}
	fs.total--
	fs.n.Store(int32(fs.total))
}

// withFaults applies a fault injected for the whole mock before the operation runs; an account's
// own faults are applied by withAccountFaults once the request has authenticated.
func (s *Server) withFaults(operation string, next http.Handler) http.Handler {
	return s.applyFaults(operation, func(*http.Request) *faults { return s.faults }, next)
}

// withAccountFaults applies a fault injected for the request's account.
func (s *Server) withAccountFaults(operation string, next http.Handler) http.Handler {
	return s.applyFaults(operation, func(r *http.Request) *faults {
		if acc := accountFrom(r.Context()); acc != nil {
			return acc.state.faults
		}
		return nil
	}, next)
}

func (s *Server) applyFaults(operation string, set func(*http.Request) *faults, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs := set(r)
		if fs == nil {
			next.ServeHTTP(w, r)
			return
		}
		f, ok := fs.take(operation, r.Header)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if f.Latency > 0 && !sleepCtx(r.Context(), time.Duration(f.Latency)) {
			return // the client gave up
		}
		if f.Status != 0 {
			s.writeProblem(w, r, &apiError{status: f.Status,
				detail: fmt.Sprintf("fault injected by the control API for %s", operation)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
