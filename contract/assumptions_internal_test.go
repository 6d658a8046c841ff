package contract

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// A run can only give a verdict to an assumption some scenario probes; the rest need a written
// reason. Ids in Probes and in the reasons must be marks of openapi.yaml, so a renamed mark
// cannot leave a scenario probing nothing.
func TestEveryAssumptionIsProbedOrExplained(t *testing.T) {
	all, err := Assumptions()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 30 {
		t.Fatalf("found %d assumption ids in openapi.yaml; the walk is missing marks", len(all))
	}
	marked := map[string]bool{}
	for _, a := range all {
		marked[a.ID] = true
	}
	probed := map[string][]string{}
	for _, s := range Scenarios() {
		if len(s.Probes) > 0 && s.needs(MockControl) {
			t.Errorf("%s needs the mock's control API, so it never runs against production, yet probes %v", s.Name, s.Probes)
		}
		for _, id := range s.Probes {
			if !marked[id] {
				t.Errorf("%s probes %q, which no x-mock-assumption in openapi.yaml names", s.Name, id)
			}
			probed[id] = append(probed[id], s.Name)
		}
	}
	for id, why := range unprobed {
		if !marked[id] {
			t.Errorf("unprobed gives a reason for %q, which no x-mock-assumption in openapi.yaml names", id)
		}
		if strings.TrimSpace(why) == "" {
			t.Errorf("unprobed[%q] is empty", id)
		}
		if len(probed[id]) > 0 {
			t.Errorf("%q is probed by %v and also has a reason for not being probed", id, probed[id])
		}
	}
	for _, a := range all {
		if len(probed[a.ID]) == 0 && unprobed[a.ID] == "" {
			t.Errorf("assumption %s (openapi.yaml %s) has no scenario that probes it and no reason why", a.ID, strings.Join(a.Where, ", "))
		}
	}
}

func TestAssumptionMarksCarryIDs(t *testing.T) {
	for _, c := range []struct {
		mark any
		want []string
	}{
		{"signing.key-order", []string{"signing.key-order"}},
		{[]any{"a.b", "c.d"}, []string{"a.b", "c.d"}},
		{true, nil},
		{"", nil},
		{[]any{"a.b", true}, nil},
	} {
		if got := markIDs(c.mark); !reflect.DeepEqual(got, c.want) {
			t.Errorf("markIDs(%#v) = %v, want %v", c.mark, got, c.want)
		}
	}
	var found []string
	walkMarks(map[string]any{
		"paths": map[string]any{"/v1/a/b": map[string]any{"get": map[string]any{"x-mock-assumption": "x.one"}}},
		"list":  []any{map[string]any{"x-mock-assumption": []any{"x.two"}}},
	}, "", func(pointer string, v any) { found = append(found, pointer+"="+strings.Join(markIDs(v), ",")) })
	sort.Strings(found)
	want := []string{"/list/0=x.two", "/paths/~1v1~1a~1b/get=x.one"}
	if !slices.Equal(found, want) {
		t.Errorf("walkMarks found %v, want %v", found, want)
	}
}

func TestVerdicts(t *testing.T) {
	all := []Assumption{{ID: "a.passed"}, {ID: "b.failed"}, {ID: "c.skipped"}, {ID: "d.explained"}, {ID: "e.decided"}, {ID: "f.unrun"}, {ID: "g.mixed"}}
	scenarios := []Scenario{
		{Name: "s/pass", Probes: []string{"a.passed", "g.mixed"}},
		{Name: "s/fail", Probes: []string{"b.failed", "g.mixed"}},
		{Name: "s/skip", Probes: []string{"c.skipped"}},
		{Name: "s/decides", Probes: []string{"e.decided"}},
		{Name: "s/not-selected", Probes: []string{"f.unrun"}},
	}
	results := []ScenarioResult{
		{Name: "s/pass", Status: StatusPass},
		{Name: "s/fail", Status: StatusFail},
		{Name: "s/skip", Status: StatusSkip, Reason: "writes verification configurations on a live target; allow with --allow-writes"},
		// The scenario failed for another reason, but its decision on e.decided says production
		// matched.
		{Name: "s/decides", Status: StatusFail},
	}
	saved := unprobed
	unprobed = map[string]string{"d.explained": "needs a camera"}
	defer func() { unprobed = saved }()
	got := verdicts(all, scenarios, results, map[string][]decision{
		"e.decided": {{scenario: "s/decides", confirmed: false, detail: "matched variant dotnet-ordinal"}},
	})
	want := []AssumptionVerdict{
		{ID: "a.passed", Verdict: VerdictConfirmed, Scenarios: []string{"s/pass"}},
		{ID: "b.failed", Verdict: VerdictContradicted, Scenarios: []string{"s/fail"}},
		{ID: "c.skipped", Verdict: VerdictNotProbed, Scenarios: []string{"s/skip"}, Reason: "s/skip: writes verification configurations on a live target; allow with --allow-writes"},
		{ID: "d.explained", Verdict: VerdictNotProbed, Reason: "needs a camera"},
		{ID: "e.decided", Verdict: VerdictContradicted, Scenarios: []string{"s/decides"}, Details: []string{"s/decides: matched variant dotnet-ordinal"}},
		{ID: "f.unrun", Verdict: VerdictNotProbed, Scenarios: []string{"s/not-selected"}, Reason: "s/not-selected: not selected in this run"},
		{ID: "g.mixed", Verdict: VerdictContradicted, Scenarios: []string{"s/fail"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("verdicts:\n got %+v\nwant %+v", got, want)
	}
	confirmedByDecision := verdicts([]Assumption{{ID: "e.decided"}}, scenarios, results, map[string][]decision{
		"e.decided": {{scenario: "s/decides", confirmed: true}},
	})
	if v := confirmedByDecision[0]; v.Verdict != VerdictConfirmed {
		t.Errorf("a scenario's confirming decision gave %s, want confirmed whatever the scenario's status", v.Verdict)
	}
}

// vendorCodes reads, from the vendor's document, the response codes it lists for each endpoint
// ("POST /v1/signature/create" → 200, 400, 401).
func vendorCodes(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile("../docs/vendor/verifeye-service-api.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	endpoint := regexp.MustCompile(`^Endpoint: ([A-Z]+) (\S+)$`)
	code := regexp.MustCompile(`(\d{3})- `)
	lines := strings.Split(string(raw), "\n")
	current := ""
	for i, line := range lines {
		if m := endpoint.FindStringSubmatch(line); m != nil {
			current = m[1] + " " + m[2]
		}
		if line == "Response Codes:" && current != "" && i+1 < len(lines) {
			for _, m := range code.FindAllStringSubmatch(lines[i+1], -1) {
				out[current] = append(out[current], m[1])
			}
			current = ""
		}
	}
	if len(out) != 11 {
		t.Fatalf("read response codes of %d endpoints from the vendor's document, want 11: %v", len(out), out)
	}
	return out
}

// The mock answers only the statuses the vendor lists for an operation, unless the spec marks
// the answer as an assumption (on the response, or on the operation for one the vendor does not
// document at all).
func TestUndocumentedStatusesAreMarked(t *testing.T) {
	vendor := vendorCodes(t)
	doc, err := openapidoc.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, path := range doc.Paths.Keys() {
		for method, op := range doc.Paths.Value(path).Operations() {
			listed, documented := vendor[method+" "+path]
			if !documented {
				if len(markIDs(op.Extensions["x-mock-assumption"])) == 0 {
					t.Errorf("%s %s is not in the vendor's document and its operation has no x-mock-assumption id", method, path)
				}
				continue
			}
			for code, resp := range op.Responses.Map() {
				checked++
				if slices.Contains(listed, code) {
					continue
				}
				if len(markIDs(resp.Value.Extensions["x-mock-assumption"])) == 0 {
					t.Errorf("%s %s answers %s, which the vendor does not list (%s), and the response has no x-mock-assumption id", method, path, code, strings.Join(listed, ", "))
				}
			}
		}
	}
	if checked < 30 {
		t.Errorf("checked %d responses; the walk is missing operations", checked)
	}
}

// tableIDs returns the assumption ids in the first column of the Markdown tables of file (only
// after heading, when given), sorted.
func tableIDs(t *testing.T, file, heading string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if heading != "" {
		start := strings.Index(text, heading)
		if start < 0 {
			t.Fatalf("%s has no %q section", file, heading)
		}
		text = text[start+len(heading):]
		if end := strings.Index(text, "\n## "); end >= 0 {
			text = text[:end]
		}
	}
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+\\.[a-z0-9.-]+)` \\|").FindAllStringSubmatch(text, -1) {
		listed = append(listed, m[1])
	}
	sort.Strings(listed)
	return listed
}

// markedIDs returns the ids openapi.yaml marks that start with prefix, sorted.
func markedIDs(t *testing.T, prefix string) []string {
	t.Helper()
	all, err := Assumptions()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range all {
		if strings.HasPrefix(a.ID, prefix) {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// The README's list of assumptions is the spec's: every id once, no other.
func TestReadmeListsEveryAssumption(t *testing.T) {
	if listed, ids := tableIDs(t, "../README.md", "## Assumptions awaiting confirmation"), markedIDs(t, ""); !slices.Equal(listed, ids) {
		t.Errorf("README's assumption table lists\n%v\nopenapi.yaml marks\n%v", listed, ids)
	}
}

// docs/signing.md's table names every signing assumption the spec marks, and no other.
func TestSigningDocListsEverySigningAssumption(t *testing.T) {
	if listed, ids := tableIDs(t, "../docs/signing.md", "## What production must confirm"), markedIDs(t, "signing."); !slices.Equal(listed, ids) {
		t.Errorf("docs/signing.md lists\n%v\nopenapi.yaml marks\n%v", listed, ids)
	}
}
