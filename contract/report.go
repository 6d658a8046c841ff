package contract

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/verifeye-twin/verifeye/conformance"
)

// Outcomes of a scenario.
const (
	StatusPass = "pass"
	StatusFail = "fail"
	StatusSkip = "skip"
)

// ScenarioResult is how one scenario went.
type ScenarioResult struct {
	Name   string `json:"name"`
	Group  string `json:"group"`
	Needs  []Need `json:"needs"`
	Status string `json:"status"`
	// Reason says why a scenario was skipped.
	Reason string `json:"reason,omitempty"`
	// Failures name the operation, the field, and the expected and the actual value.
	Failures   []string `json:"failures,omitempty"`
	DurationMS float64  `json:"durationMs"`
}

// OperationStats sums up the calls of one operation during the run.
type OperationStats struct {
	Calls    int            `json:"calls"`
	Statuses map[string]int `json:"statuses"` // status code (or "error") → count
	P50MS    float64        `json:"p50Ms"`
	P99MS    float64        `json:"p99Ms"`
	MaxMS    float64        `json:"maxMs"`
	latency  []time.Duration
}

// ViolationRecord is a schema violation with the scenario that met it.
type ViolationRecord struct {
	Scenario string `json:"scenario"`
	conformance.Violation
	Text string `json:"text"`
}

// Report is the outcome of a run.
type Report struct {
	Target     string                     `json:"target"`
	Started    time.Time                  `json:"started"`
	DurationMS float64                    `json:"durationMs"`
	Passed     int                        `json:"passed"`
	Failed     int                        `json:"failed"`
	Skipped    int                        `json:"skipped"`
	Scenarios  []ScenarioResult           `json:"scenarios"`
	Operations map[string]*OperationStats `json:"operations"`
	// Violations are every schema violation seen, request or response: for a live target, how
	// production's real answers differ from openapi.yaml (such as an enum value it does not list).
	Violations []ViolationRecord `json:"violations"`
	// Assumptions give every x-mock-assumption of openapi.yaml its verdict in this run.
	Assumptions []AssumptionVerdict `json:"assumptions"`
	// Error is set when the run could not start.
	Error string `json:"error,omitempty"`

	mu        sync.Mutex
	secrets   []secret
	decisions map[string][]decision // by assumption id
}

func newReport(target Target) *Report {
	return &Report{Target: target.Name, Started: time.Now().UTC(), Operations: map[string]*OperationStats{},
		Scenarios: []ScenarioResult{}, Violations: []ViolationRecord{}, Assumptions: []AssumptionVerdict{}, secrets: target.secrets()}
}

func (r *Report) add(res ScenarioResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Scenarios = append(r.Scenarios, res)
	switch res.Status {
	case StatusPass:
		r.Passed++
	case StatusFail:
		r.Failed++
	case StatusSkip:
		r.Skipped++
	}
}

func (r *Report) decide(id string, d decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.decisions == nil {
		r.decisions = map[string][]decision{}
	}
	r.decisions[id] = append(r.decisions[id], d)
}

// AssumptionCounts returns how many assumptions got each verdict.
func (r *Report) AssumptionCounts() (confirmed, contradicted, notProbed int) {
	for _, a := range r.Assumptions {
		switch a.Verdict {
		case VerdictConfirmed:
			confirmed++
		case VerdictContradicted:
			contradicted++
		default:
			notProbed++
		}
	}
	return confirmed, contradicted, notProbed
}

// Assumption returns the verdict of the assumption id.
func (r *Report) Assumption(id string) (AssumptionVerdict, bool) {
	for _, a := range r.Assumptions {
		if a.ID == id {
			return a, true
		}
	}
	return AssumptionVerdict{}, false
}

func (r *Report) addCall(op string, status int, d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.Operations[op]
	if s == nil {
		s = &OperationStats{Statuses: map[string]int{}}
		r.Operations[op] = s
	}
	s.Calls++
	key := fmt.Sprint(status)
	if err != nil {
		key = "error"
	}
	s.Statuses[key]++
	s.latency = append(s.latency, d)
}

func (r *Report) addViolation(scenario string, v conformance.Violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Violations = append(r.Violations, ViolationRecord{Scenario: scenario, Violation: v, Text: v.String()})
}

func (r *Report) violationsOf(scenario string) []conformance.Violation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []conformance.Violation
	for _, v := range r.Violations {
		if v.Scenario == scenario {
			out = append(out, v.Violation)
		}
	}
	return out
}

func (r *Report) finish(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.DurationMS = ms(d)
	for _, s := range r.Operations {
		sort.Slice(s.latency, func(i, j int) bool { return s.latency[i] < s.latency[j] })
		pick := func(q float64) float64 { return ms(s.latency[int(q*float64(len(s.latency)-1))]) }
		s.P50MS, s.P99MS, s.MaxMS = pick(0.5), pick(0.99), pick(1)
	}
}

// Ok reports whether the run started and no scenario failed.
func (r *Report) Ok() bool { return r.Error == "" && r.Failed == 0 }

// Result returns the result of the named scenario.
func (r *Report) Result(name string) (ScenarioResult, bool) {
	for _, s := range r.Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return ScenarioResult{}, false
}

var tokenPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)

// redact removes the run's API keys, its Bearer token and anything that looks like a JWT from
// output.
func (r *Report) redact(b []byte) []byte {
	for _, s := range r.secrets {
		b = bytes.ReplaceAll(b, []byte(s.value), []byte(s.placeholder))
	}
	return tokenPattern.ReplaceAll(b, []byte("[redacted token]"))
}

func (r *Report) write(w io.Writer, render func(*bytes.Buffer) error) error {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	_, err := w.Write(r.redact(buf.Bytes()))
	return err
}

// WriteText writes a readable summary: a line per scenario, the failures under it, and the
// per-operation statistics.
func (r *Report) WriteText(w io.Writer) error {
	return r.write(w, func(b *bytes.Buffer) error {
		fmt.Fprintf(b, "contract suite against %s\n", r.Target)
		if r.Error != "" {
			fmt.Fprintf(b, "could not run: %s\n", r.Error)
		}
		for _, s := range r.Scenarios {
			switch s.Status {
			case StatusSkip:
				fmt.Fprintf(b, "SKIP %s: %s\n", s.Name, s.Reason)
			case StatusFail:
				fmt.Fprintf(b, "FAIL %s (%.0f ms)\n", s.Name, s.DurationMS)
				for _, f := range s.Failures {
					fmt.Fprintf(b, "     %s\n", f)
				}
			default:
				fmt.Fprintf(b, "ok   %s (%.0f ms)\n", s.Name, s.DurationMS)
			}
		}
		if len(r.Operations) > 0 {
			fmt.Fprintf(b, "\noperations:\n")
			for _, op := range sortedOps(r.Operations) {
				s := r.Operations[op]
				var st []string
				for k, n := range s.Statuses {
					st = append(st, fmt.Sprintf("%s×%d", k, n))
				}
				sort.Strings(st)
				fmt.Fprintf(b, "  %-28s %4d calls  p50 %6.1f ms  p99 %6.1f ms  %s\n", op, s.Calls, s.P50MS, s.P99MS, strings.Join(st, " "))
			}
		}
		r.writeAssumptions(b)
		fmt.Fprintf(b, "\n%d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
		confirmed, contradicted, notProbed := r.AssumptionCounts()
		fmt.Fprintf(b, "assumptions: %d confirmed, %d contradicted, %d not probed\n", confirmed, contradicted, notProbed)
		return nil
	})
}

// WriteJSON writes the whole report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	return r.write(w, func(b *bytes.Buffer) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		enc := json.NewEncoder(b)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the run as JUnit XML, a test suite per group, for CI systems.
func (r *Report) WriteJUnit(w io.Writer) error {
	return r.write(w, func(b *bytes.Buffer) error {
		groups := map[string]*junitSuite{}
		var order []string
		for _, s := range r.Scenarios {
			g := groups[s.Group]
			if g == nil {
				g = &junitSuite{Name: "contract/" + s.Group}
				groups[s.Group] = g
				order = append(order, s.Group)
			}
			c := junitCase{Name: s.Name, ClassName: "contract." + s.Group, Time: fmt.Sprintf("%.3f", s.DurationMS/1000)}
			g.Tests++
			switch s.Status {
			case StatusFail:
				g.Failures++
				c.Failure = &junitMessage{Message: s.Failures[0], Text: strings.Join(s.Failures, "\n")}
			case StatusSkip:
				g.Skipped++
				c.Skipped = &junitMessage{Message: s.Reason}
			}
			g.Cases = append(g.Cases, c)
		}
		out := junitSuites{}
		for _, name := range order {
			g := groups[name]
			var total float64
			for _, c := range g.Cases {
				var t float64
				fmt.Sscanf(c.Time, "%g", &t)
				total += t
			}
			g.Time = fmt.Sprintf("%.3f", total)
			out.Suites = append(out.Suites, *g)
		}
		b.WriteString(xml.Header)
		enc := xml.NewEncoder(b)
		enc.Indent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		b.WriteString("\n")
		return nil
	})
}

// writeAssumptions lists every assumption with its verdict: what it is, the scenarios that
// decided it, and what they found or why it was not probed.
func (r *Report) writeAssumptions(b *bytes.Buffer) {
	if len(r.Assumptions) == 0 {
		return
	}
	fmt.Fprintf(b, "\nassumptions (x-mock-assumption in openapi.yaml):\n")
	for _, a := range r.Assumptions {
		switch a.Verdict {
		case VerdictNotProbed:
			fmt.Fprintf(b, "  %-13s %s: %s\n", a.Verdict, a.ID, a.Reason)
		default:
			fmt.Fprintf(b, "  %-13s %s (%s)\n", a.Verdict, a.ID, strings.Join(a.Scenarios, ", "))
		}
		for _, d := range a.Details {
			fmt.Fprintf(b, "                %s\n", d)
		}
	}
}
