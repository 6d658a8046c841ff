package main

import (
	"strings"
	"testing"
)

// TestEvaluate: each target is judged from the measured figures; the throughput target against
// the reference names the worst operation, get-all (100) has its own, lower bar, the p99 target
// takes the worst case, and the Prism target says how far the reference server itself gets.
func TestEvaluate(t *testing.T) {
	type fig struct{ rps, p99 float64 }
	server := func(startup, rss, peak float64, mixed fig, ops map[string]fig) *serverResults {
		s := &serverResults{StartupMed: startup, StartupMs: []float64{startup}, IdleRSSMiB: rss, PeakRSSMiB: peak,
			Mixed: &runResult{Name: "mixed", RPS: mixed.rps, P99us: mixed.p99}}
		for _, name := range []string{"healthz", "get", "get-all-100"} {
			s.Ops = append(s.Ops, &runResult{Name: name, RPS: ops[name].rps, P99us: ops[name].p99})
		}
		return s
	}
	mock := server(17, 9, 120, fig{28000, 6400}, map[string]fig{"healthz": {45000, 5000}, "get": {36000, 6000}, "get-all-100": {33000, 7000}})
	ref := server(13, 6, 25, fig{42000, 5100}, map[string]fig{"healthz": {46000, 4900}, "get": {44000, 5000}, "get-all-100": {40000, 5000}})
	prism := server(1600, 150, 160, fig{3900, 12000}, map[string]fig{"healthz": {4000, 1}, "get": {3900, 1}, "get-all-100": {3000, 1}})
	checks := []bodyCheck{{Case: "healthz", OK: true}, {Case: "get", OK: true}, {Case: "get-all-100", OK: false}}
	got := map[string]target{}
	for _, tg := range evaluate(mock, ref, prism, checks) {
		got[tg.Name] = tg
	}
	for name, met := range map[string]bool{
		targetStartupName: true,
		targetIdleRSSName: true,
		targetPrismName:   false, // get: 36000 / 3900 = 9.2x
		targetOpShareName: false, // get: 36000 / 44000 = 0.82x
		targetGetAllName:  true,  // 33000 / 40000 = 0.83x
		targetP99Name:     false, // get-all (100): 7000 / 5000 = 1.4x
		targetPeakRSSName: false, // 120 MiB
		targetBodiesName:  false, // one case differs
	} {
		if tg, ok := got[name]; !ok || tg.Met != met {
			t.Errorf("%s: %+v, want met = %t", name, tg, met)
		}
	}
	if s := got[targetOpShareName]; s.Value != 0.82 || !strings.Contains(s.Note, "lowest on get (full)") || !strings.Contains(s.Note, "below: get (full) 0.82x") {
		t.Errorf("share target: %+v", s)
	}
	if p := got[targetP99Name]; p.Value != 1.4 || p.Note != "highest on get-all (100)" {
		t.Errorf("p99 target: %+v", p)
	}
	if b := got[targetBodiesName]; b.Value != 2 || b.Note != "2 of 3 cases" {
		t.Errorf("bodies target: %+v", b)
	}
	p := got[targetPrismName]
	if p.Value != 9.23 || !strings.Contains(p.Note, "lowest ratio, on get (full);") ||
		!strings.Contains(p.Note, "the net/http reference: 10.8x mixed, below 10x on 0 of 3 operations") {
		t.Errorf("Prism target: %+v", p)
	}
	// The RSS target is the peak of the closed-loop runs, read after the mixed run; the paced
	// runs' peak is in the note.
	mock.Mixed.PeakRSSMiB, mock.Paced = 95, []*runResult{{Name: "mixed"}}
	if r := peakRSSTarget(mock, ref); !r.Met || r.Value != 95 || !strings.Contains(r.Note, "120.0 MiB at the end of the paced runs") {
		t.Errorf("RSS target with paced runs: %+v", r)
	}
	mock.Mixed.PeakRSSMiB, mock.Paced = 0, nil
	for _, tg := range evaluate(mock, ref, nil, checks) {
		if tg.Name == targetPrismName && (tg.Note != notMeasuredNoPrism || tg.Met || verdict(tg) != "not measured") {
			t.Errorf("without Prism: %+v", tg)
		}
	}
}

// TestShape: two answers that differ only in their values have the same shape; a member more,
// a value of another type or a longer array changes it.
func TestShape(t *testing.T) {
	a := shape([]byte(`{"verificationSessionId":"d6b7308e","sessionToken":"eyJ.a.b"}`))
	if b := shape([]byte(`{"sessionToken":"eyJ.c.d","verificationSessionId":"0f1e2d3c"}`)); a != b {
		t.Errorf("same members: %q != %q", a, b)
	}
	for _, other := range []string{`{"verificationSessionId":"d6b7308e"}`, `{"verificationSessionId":1,"sessionToken":"x"}`,
		`{"verificationSessionId":"d","sessionToken":"x","extra":true}`} {
		if shape([]byte(other)) == a {
			t.Errorf("%s has the shape of the answer", other)
		}
	}
	if shape([]byte(`{"a":[1]}`)) == shape([]byte(`{"a":[1,2]}`)) {
		t.Error("arrays of different lengths have one shape")
	}
	if shape([]byte("2026-12-07T01:45:18.4524059Z")) != shape([]byte("2027-01-01T00:00:00.0000001Z")) {
		t.Error("two times differ in shape")
	}
}

// TestCompareBudget: each speed target's note gains the same figure for the reference with each
// amount of work, judged by the same bar; the other targets' notes stay as they were.
func TestCompareBudget(t *testing.T) {
	server := func(rps, p99 float64, paced ...float64) *serverResults {
		s := &serverResults{StartupMs: []float64{5}, StartupMed: 5, Mixed: &runResult{Name: "mixed", RPS: rps, P99us: p99}}
		for _, name := range []string{"get", getAll100} {
			s.Ops = append(s.Ops, &runResult{Name: name, RPS: rps, P99us: p99})
		}
		for i, p := range paced {
			s.Paced = append(s.Paced, &runResult{Name: "get", Share: []float64{0.1, 0.5}[i], P99us: p})
		}
		return s
	}
	ref := server(40000, 1000, 300, 1000)
	mock := server(24000, 1500, 330, 2000)
	ts := evaluate(mock, ref, nil, nil)
	before := map[string]string{}
	for _, tg := range ts {
		before[tg.Name] = tg.Note
	}
	compareBudget(ts, ref, []budgetRun{
		{Work: "5µs", Server: server(36000, 1100, 300, 1200)},
		{Work: "20µs", Server: server(32400, 1200, 600, 3000)},
	})
	want := map[string]string{
		targetOpShareName:    "; reference + 5µs of work: 0.90x, met; reference + 20µs of work: 0.81x, not met",
		targetGetAllName:     "; reference + 5µs of work: 0.90x, met; reference + 20µs of work: 0.81x, met",
		targetP99Name:        "; reference + 5µs of work: 1.10x, met; reference + 20µs of work: 1.20x, met",
		targetPacedName(0.1): "; reference + 5µs of work: 1.00x, met; reference + 20µs of work: 2.00x, not met",
		targetPacedName(0.5): "; reference + 5µs of work: 1.20x, met; reference + 20µs of work: 3.00x, not met",
	}
	for _, tg := range ts {
		if added := strings.TrimPrefix(tg.Note, before[tg.Name]); added != want[tg.Name] {
			t.Errorf("%s: the note gained %q, want %q", tg.Name, added, want[tg.Name])
		}
	}
}
