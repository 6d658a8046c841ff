package contract

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// Options choose what a run may do.
type Options struct {
	// AllowWrites lets writes-config scenarios run against a live target.
	AllowWrites bool
	// AllowSessions lets creates-sessions scenarios run against a live target.
	AllowSessions bool
	// Run, when set, keeps only the scenarios whose name it matches.
	Run *regexp.Regexp
	// RequestsPerSecond limits the request rate; zero means no limit.
	RequestsPerSecond float64
	// Timeout bounds the whole run; zero means no limit.
	Timeout time.Duration
	// ScenarioTimeout bounds each scenario; zero means one minute.
	ScenarioTimeout time.Duration
}

// skipReason says why s cannot run against target with opts, or "" when it can.
func skipReason(s Scenario, target Target, opts Options) string {
	if s.needs(MockControl) && target.Control == nil {
		return "needs the mock's control API, which this target does not have"
	}
	if target.Live && s.needs(WritesConfig) && !opts.AllowWrites {
		return "writes verification configurations on a live target; allow with --allow-writes"
	}
	if target.Live && s.needs(CreatesSessions) && !opts.AllowSessions {
		return "creates sessions (possibly billable) on a live target; allow with --allow-sessions"
	}
	return ""
}

// Run runs the suite (or the scenarios opts.Run selects) against target, one scenario after
// another, and reports how each went.
func Run(ctx context.Context, target Target, opts Options) *Report {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	if opts.ScenarioTimeout <= 0 {
		opts.ScenarioTimeout = time.Minute
	}
	base := target.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if opts.RequestsPerSecond > 0 {
		base = &limited{base: base, every: time.Duration(float64(time.Second) / opts.RequestsPerSecond)}
	}
	if target.Control != nil && target.Control.HTTP == nil {
		target.Control.HTTP = &http.Client{Transport: base}
	}
	runID := strconv.FormatInt(time.Now().UnixMilli()%1e8, 36)
	undo, err := ownAccounts(ctx, &target, runID)
	if err != nil {
		rep := newReport(target)
		rep.Error = err.Error()
		return rep
	}
	defer undo()
	rep := newReport(target)
	rec := &recorder{base: base, report: rep}
	var current atomic.Value // the running scenario's name, for violations
	checked, err := conformance.NewTransport(rec, conformance.OnViolation(func(v conformance.Violation) {
		name, _ := current.Load().(string)
		rep.addViolation(name, v)
	}))
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	// Redirects are answers to check (the hosted page's 303), not to follow.
	httpClient := &http.Client{Transport: checked, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seq := &atomic.Int64{}
	started := time.Now()

	for _, s := range Scenarios() {
		if opts.Run != nil && !opts.Run.MatchString(s.Name) {
			continue
		}
		res := ScenarioResult{Name: s.Name, Group: s.Group(), Needs: s.Needs}
		if why := skipReason(s, target, opts); why != "" {
			res.Status, res.Reason = StatusSkip, why
		} else if ctx.Err() != nil {
			res.Status, res.Reason = StatusSkip, "the run's time ran out"
		} else {
			current.Store(s.Name)
			res = runChecked(ctx, s, target, opts, httpClient, runID, seq, rep)
		}
		rep.add(res)
	}
	current.Store("")
	rep.finish(time.Since(started))
	all, err := Assumptions()
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	rep.Assumptions = verdicts(all, Scenarios(), rep.Scenarios, rep.decisions)
	return rep
}

// runChecked runs s and fails it for every response of its that breaks the spec. Requests that
// break it are the point of the bad-input scenarios, so they are only recorded.
func runChecked(ctx context.Context, s Scenario, target Target, opts Options, httpClient *http.Client, runID string, seq *atomic.Int64, rep *Report) ScenarioResult {
	before := len(rep.violationsOf(s.Name))
	res := runScenario(ctx, s, target, opts, httpClient, runID, seq, rep)
	if v := rep.violationsOf(s.Name); len(v) > before {
		for _, one := range v[before:] {
			if one.Phase == conformance.PhaseResponse {
				res.Failures = append(res.Failures, "schema: "+one.String())
			}
		}
	}
	if len(res.Failures) > 0 {
		res.Status = StatusFail
	}
	return res
}

func runScenario(ctx context.Context, s Scenario, target Target, opts Options, httpClient *http.Client, runID string, seq *atomic.Int64, rep *Report) ScenarioResult {
	sctx, cancel := context.WithTimeout(ctx, opts.ScenarioTimeout)
	defer cancel()
	client, _ := generated.NewClientWithResponses(target.BaseURL,
		generated.WithHTTPClient(httpClient),
		generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "ApiKey "+target.APIKey)
			return nil
		}))
	t := &T{ctx: sctx, name: s.Name, target: &target, Client: client, Control: target.Control,
		http: httpClient, seq: seq, runID: runID, probes: s.Probes, report: rep}
	start := time.Now()
	skipReason := ""
	func() {
		defer func() {
			if p := recover(); p != nil {
				switch p := p.(type) {
				case fatal:
				case skipped:
					skipReason = p.reason
				default:
					t.Errorf("scenario panicked: %v", p)
				}
			}
		}()
		s.Run(t)
	}()
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		func() {
			defer func() {
				if p := recover(); p != nil {
					if _, ok := p.(fatal); !ok {
						t.Errorf("cleanup panicked: %v", p)
					}
				}
			}()
			t.cleanups[i]()
		}()
	}
	res := ScenarioResult{Name: s.Name, Group: s.Group(), Needs: s.Needs, Status: StatusPass,
		Failures: t.failures, DurationMS: ms(time.Since(start))}
	if skipReason != "" && len(t.failures) == 0 {
		res.Status, res.Reason = StatusSkip, skipReason
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// limited spaces requests at least every apart, to keep a live run polite.
type limited struct {
	base  http.RoundTripper
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

func (l *limited) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	now := time.Now()
	wait := l.next.Sub(now)
	if wait < 0 {
		wait = 0
	}
	l.next = now.Add(wait + l.every)
	l.mu.Unlock()
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return l.base.RoundTrip(r)
}

// recorder counts each operation's statuses and latencies for the report.
type recorder struct {
	base   http.RoundTripper
	report *Report
}

func (rc *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := rc.base.RoundTrip(r)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	rc.report.addCall(operationOf(r.Method, r.URL.Path), status, time.Since(start), err)
	return resp, err
}

var (
	opsOnce sync.Once
	ops     map[string]string
)

// operationOf names the operation a request is for ("createSignature"), or METHOD PATH when it
// is none.
func operationOf(method, path string) string {
	opsOnce.Do(func() {
		ops = map[string]string{}
		if spec, err := openapidoc.GetSpec(); err == nil {
			for _, p := range spec.Paths.Keys() {
				for m, op := range spec.Paths.Value(p).Operations() {
					ops[m+" "+p] = strings.ToLower(op.OperationID[:1]) + op.OperationID[1:]
				}
			}
		}
	})
	if op, ok := ops[method+" "+path]; ok {
		return op
	}
	if strings.HasPrefix(path, "/verification/") {
		return "hosted page (" + method + ")"
	}
	return fmt.Sprintf("%s %s", method, path)
}

// sortedOps lists the report's operations in a stable order.
func sortedOps(m map[string]*OperationStats) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
