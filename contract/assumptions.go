package contract

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// Every choice the mock makes where the vendor's documents are silent is marked in openapi.yaml
// with `x-mock-assumption: <id>` (or a list of ids). A run of the suite gives each id a verdict:
// confirmed when every scenario that probes it passed, contradicted when one failed (or decided
// against it with T.Decide), not-probed when none ran, with the reason. The marks in the spec are
// the list; the scenarios name the ids they probe (Scenario.Probes); unprobed says why the rest
// cannot be probed. TestEveryAssumptionIsProbedOrExplained keeps the three in step.

// Verdicts of an assumption.
const (
	VerdictConfirmed    = "confirmed"
	VerdictContradicted = "contradicted"
	VerdictNotProbed    = "not-probed"
)

// Assumption is one x-mock-assumption id of openapi.yaml.
type Assumption struct {
	ID string `json:"id"`
	// Where lists the places in openapi.yaml that carry the id, as JSON pointers.
	Where []string `json:"where"`
}

// unprobed says, for each assumption no scenario can check against production, why.
var unprobed = map[string]string{
	"results.session-status-values":  "a session's outcome needs a person in front of the hosted page's camera; the suite cannot finish a session in production",
	"results.verifier-result-values": "verifier results need a finished session, which needs a person in front of a camera",
	"results.failed-reason-names":    "failed reasons need a finished session, which needs a person in front of a camera",
	"errors.throttling-and-failures": "production cannot be made to throttle or fail on purpose; against the mock, errors/throttling-and-failures-are-problems injects each",
	"results.face-id-format":         "a face id needs a finished session, which needs a person in front of a camera",
	"webhooks.delivery":              "a webhook is sent when a session ends, which needs a person in front of a camera",
	"hosted.completion-token":        "the completion address is the mock's stand-in for the camera; production finishes a session in the Web SDK with a person in front of a camera",
	"hosted.link-checks":             "the hosted page lives on another host and answers a browser; the suite calls the Service API only",
	"hosted.custom-input-limits":     "the hosted page lives on another host and answers a browser; the suite calls the Service API only",
	"hosted.result-redirect":         "the result redirect follows a finished session, which needs a person in front of a camera",
	"verifiers.omitted-is-disabled":  "an omitted verifier is neither stored nor answered; its effect shows only in a finished session's result, which needs a camera",
}

// AssumptionVerdict is an assumption's outcome in a run.
type AssumptionVerdict struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	// Scenarios are the scenarios that decided the verdict: the failing ones for contradicted,
	// the passing ones for confirmed, the skipped ones for not-probed.
	Scenarios []string `json:"scenarios,omitempty"`
	// Reason says why a not-probed assumption was not probed.
	Reason string `json:"reason,omitempty"`
	// Details are what the deciding scenarios found (for the signing assumptions: which
	// canonical form production's signatures match).
	Details []string `json:"details,omitempty"`
}

// decision is a verdict a scenario gave an assumption with T.Decide.
type decision struct {
	scenario  string
	confirmed bool
	detail    string
}

var (
	assumptionsOnce sync.Once
	assumptions     []Assumption
	assumptionsErr  error
)

// Assumptions returns every x-mock-assumption id of the embedded openapi.yaml, sorted.
func Assumptions() ([]Assumption, error) {
	assumptionsOnce.Do(func() {
		raw, err := openapidoc.GetSpecJSON()
		if err != nil {
			assumptionsErr = err
			return
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			assumptionsErr = err
			return
		}
		where := map[string][]string{}
		var bad []string
		walkMarks(doc, "", func(pointer string, mark any) {
			ids := markIDs(mark)
			if len(ids) == 0 {
				bad = append(bad, pointer)
			}
			for _, id := range ids {
				where[id] = append(where[id], pointer)
			}
		})
		if len(bad) > 0 {
			sort.Strings(bad)
			assumptionsErr = fmt.Errorf("openapi.yaml: x-mock-assumption without an id at %s", strings.Join(bad, ", "))
			return
		}
		for id, w := range where {
			sort.Strings(w)
			assumptions = append(assumptions, Assumption{ID: id, Where: w})
		}
		sort.Slice(assumptions, func(i, j int) bool { return assumptions[i].ID < assumptions[j].ID })
	})
	return assumptions, assumptionsErr
}

// walkMarks calls mark for every x-mock-assumption in the JSON value v, with the JSON pointer of
// the object that carries it.
func walkMarks(v any, pointer string, mark func(pointer string, value any)) {
	switch v := v.(type) {
	case map[string]any:
		if m, ok := v["x-mock-assumption"]; ok {
			mark(pointer, m)
		}
		for k, child := range v {
			walkMarks(child, pointer+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), mark)
		}
	case []any:
		for i, child := range v {
			walkMarks(child, fmt.Sprintf("%s/%d", pointer, i), mark)
		}
	}
}

// markIDs reads an x-mock-assumption value: one id or a list of ids. Anything else gives none.
func markIDs(v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var ids []string
		for _, x := range v {
			if id, ok := x.(string); ok && id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == len(v) {
			return ids
		}
	}
	return nil
}

// verdicts works out every assumption's verdict from the scenarios' results and decisions.
func verdicts(all []Assumption, scenarios []Scenario, results []ScenarioResult, decisions map[string][]decision) []AssumptionVerdict {
	status := map[string]ScenarioResult{}
	for _, r := range results {
		status[r.Name] = r
	}
	probes := map[string][]Scenario{}
	for _, s := range scenarios {
		for _, id := range s.Probes {
			probes[id] = append(probes[id], s)
		}
	}
	out := make([]AssumptionVerdict, 0, len(all))
	for _, a := range all {
		v := AssumptionVerdict{ID: a.ID}
		byScenario := map[string][]decision{}
		for _, d := range decisions[a.ID] {
			byScenario[d.scenario] = append(byScenario[d.scenario], d)
			if d.detail != "" {
				v.Details = append(v.Details, d.scenario+": "+d.detail)
			}
		}
		var confirmed, contradicted, skipped, skipReasons []string
		for _, s := range probes[a.ID] {
			r, ran := status[s.Name]
			// A scenario that decided this assumption with T.Decide counts by its decisions,
			// whatever else it checked; the others count by how they went.
			if ds := byScenario[s.Name]; len(ds) > 0 {
				ok := true
				for _, d := range ds {
					ok = ok && d.confirmed
				}
				if ok {
					confirmed = append(confirmed, s.Name)
				} else {
					contradicted = append(contradicted, s.Name)
				}
				continue
			}
			switch {
			case !ran:
				skipped = append(skipped, s.Name)
				skipReasons = append(skipReasons, s.Name+": not selected in this run")
			case r.Status == StatusPass:
				confirmed = append(confirmed, s.Name)
			case r.Status == StatusFail:
				contradicted = append(contradicted, s.Name)
			default:
				skipped = append(skipped, s.Name)
				skipReasons = append(skipReasons, s.Name+": "+r.Reason)
			}
		}
		switch {
		case len(contradicted) > 0:
			v.Verdict, v.Scenarios = VerdictContradicted, contradicted
		case len(confirmed) > 0:
			v.Verdict, v.Scenarios = VerdictConfirmed, confirmed
		default:
			v.Verdict, v.Scenarios = VerdictNotProbed, skipped
			switch {
			case unprobed[a.ID] != "":
				v.Reason = unprobed[a.ID]
			case len(skipReasons) > 0:
				v.Reason = strings.Join(skipReasons, "; ")
			default:
				v.Reason = "no scenario probes it"
			}
		}
		out = append(out, v)
	}
	return out
}
