package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
)

// Need is something a scenario requires of its target.
type Need string

const (
	// ReadOnly scenarios change nothing on the target.
	ReadOnly Need = "read-only"
	// WritesConfig scenarios create, change and delete verification configurations: only their
	// own, uniquely named ones, which they delete again even when they fail.
	WritesConfig Need = "writes-config"
	// CreatesSessions scenarios start verification sessions, which production may bill.
	CreatesSessions Need = "creates-sessions"
	// MockControl scenarios drive the mock's control API (clock, completion, webhooks): they run
	// only against a mock.
	MockControl Need = "mock-control"
)

// Scenario is one contract check.
type Scenario struct {
	// Name is "group/what-it-checks", unique within the suite.
	Name string
	// Needs says what the scenario requires of the target.
	Needs []Need
	// Probes are the ids of the x-mock-assumption marks of openapi.yaml that the scenario checks:
	// when it fails against production, those assumptions are contradicted. A scenario that needs
	// the mock's control API cannot run against production and probes nothing.
	Probes []string
	// Run performs the check; it reports problems with T.Errorf and T.Fatalf.
	Run func(t *T)
}

// Group is the part of the API the scenario touches: the part of its name before the slash.
func (s Scenario) Group() string {
	g, _, _ := strings.Cut(s.Name, "/")
	return g
}

func (s Scenario) needs(n Need) bool {
	for _, x := range s.Needs {
		if x == n {
			return true
		}
	}
	return false
}

var (
	registryMu sync.Mutex
	registry   []Scenario
)

// register adds scenarios to the suite; each scenario file calls it from init.
func register(ss ...Scenario) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, ss...)
}

// Scenarios returns every scenario of the suite, sorted by name.
func Scenarios() []Scenario {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := append([]Scenario{}, registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// T is a scenario's view of the run: clients for the target, the control API when there is one,
// and the means to report failures and clean up.
type T struct {
	ctx    context.Context
	name   string
	target *Target
	// Client calls the target with the run's credentials; every exchange is checked against
	// openapi.yaml.
	Client *generated.ClientWithResponses
	// Control drives the mock's control API; nil when the target has none.
	Control *Control

	http     *http.Client // the checked transport, no credentials added
	mu       sync.Mutex
	failures []string
	cleanups []func()
	seq      *atomic.Int64
	runID    string
	probes   []string
	report   *Report
}

type fatal struct{}

type skipped struct{ reason string }

// Skipf stops the scenario and reports it skipped, for a condition only known at run time.
func (t *T) Skipf(format string, args ...any) {
	panic(skipped{fmt.Sprintf(format, args...)})
}

// Live reports whether the target is production.
func (t *T) Live() bool { return t.target.Live }

// Context is cancelled when the run's time is up.
func (t *T) Context() context.Context { return t.ctx }

// Name is the scenario's name.
func (t *T) Name() string { return t.name }

// Errorf records a failure and lets the scenario go on.
func (t *T) Errorf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failures = append(t.failures, fmt.Sprintf(format, args...))
}

// Fatalf records a failure and stops the scenario; its cleanups still run.
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	panic(fatal{})
}

// Decide gives the assumption id a verdict with a detail that says what production showed, for
// a scenario that finds out more than pass or fail (which signing variant production's signatures
// match). The id must be one of the scenario's Probes. A scenario's decisions on an id count
// instead of its pass or fail for that id.
func (t *T) Decide(id string, confirmed bool, detail string) {
	if !slices.Contains(t.probes, id) {
		t.Errorf("contract suite: %s decides assumption %q, which it does not list in Probes", t.name, id)
		return
	}
	if t.report != nil {
		t.report.decide(id, decision{scenario: t.name, confirmed: confirmed, detail: detail})
	}
}

// Cleanup registers f to run when the scenario ends, last registered first, whether it passed
// or not.
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

// Unique returns a name no other scenario or run uses, for the verifications a scenario creates:
// "contract-<run>-<n>-<what>".
func (t *T) Unique(what string) string {
	return fmt.Sprintf("contract-%s-%d-%s", t.runID, t.seq.Add(1), what)
}

// Advance lets d pass on the target: the mock's clock is moved when its control API is there,
// otherwise the scenario waits.
func (t *T) Advance(d time.Duration) {
	if t.Control != nil {
		if err := t.Control.Advance(t.ctx, d); err != nil {
			t.Fatalf("control API: advance the clock: %v", err)
		}
		return
	}
	select {
	case <-time.After(d):
	case <-t.ctx.Done():
		t.Fatalf("the run's time ran out while waiting %s", d)
	}
}

// Raw sends a request exactly as given (no credentials are added unless headers has them) to
// path on the target, through the checking transport, and returns the status, the headers and
// the body.
func (t *T) Raw(method, path string, body []byte, headers map[string]string) (int, http.Header, []byte) {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	return t.RawHeader(method, path, body, h)
}

// RawHeader is Raw with headers that may repeat a name.
func (t *T) RawHeader(method, path string, body []byte, headers http.Header) (int, http.Header, []byte) {
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(t.ctx, method, t.target.BaseURL+path, r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, vs := range headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := t.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// rawJSON sends v as a JSON body with the run's credentials.
func (t *T) rawJSON(method, path string, v any) (int, http.Header, []byte) {
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %s body: %v", path, err)
	}
	return t.Raw(method, path, body, map[string]string{"Authorization": t.AuthHeader(), "Content-Type": "application/json"})
}

// AuthHeader is the Authorization header the run's credentials give.
func (t *T) AuthHeader() string { return "ApiKey " + t.target.APIKey }
