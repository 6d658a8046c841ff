package main

import (
	"strings"
	"testing"
)

// TestEvaluate: each target is judged from the measured figures, and the Prism target names
// the worst operation and how far the reference server itself gets.
func TestEvaluate(t *testing.T) {
	server := func(startup, rss float64, mixedRPS, mixedP99 float64, ops map[string]float64) *serverResults {
		s := &serverResults{StartupMed: startup, StartupMs: []float64{startup}, IdleRSSMiB: rss,
			Mixed: &runResult{Name: "mixed", RPS: mixedRPS, P99us: mixedP99}}
		for _, name := range []string{"healthz", "get"} {
			s.Ops = append(s.Ops, &runResult{Name: name, RPS: ops[name]})
		}
		return s
	}
	mock := server(17, 9, 28000, 6400, map[string]float64{"healthz": 45000, "get": 32000})
	ref := server(13, 6, 42000, 5100, map[string]float64{"healthz": 46000, "get": 44000})
	prism := server(1600, 150, 3900, 12000, map[string]float64{"healthz": 5000, "get": 3900})
	got := map[string]target{}
	for _, tg := range evaluate(mock, ref, prism) {
		got[tg.Name] = tg
	}
	for name, met := range map[string]bool{
		"startup to first healthy response": true,
		"idle RSS":                          true,
		"throughput vs Prism (every operation both serve)": false, // get: 32000 / 3900 = 8.2x
		"mixed throughput vs net/http reference":           true,  // 66.7%
		"mixed p99 vs net/http reference":                  true,  // 1.25x
	} {
		if tg, ok := got[name]; !ok || tg.Met != met {
			t.Errorf("%s: %+v, want met = %t", name, tg, met)
		}
	}
	p := got["throughput vs Prism (every operation both serve)"]
	if p.Value != 8.21 || !strings.Contains(p.Note, "lowest ratio, on get") ||
		!strings.Contains(p.Note, "the net/http reference: 10.8x mixed, below 10x on 1 of 2 operations") {
		t.Errorf("Prism target: %+v", p)
	}
	if tg := evaluate(mock, ref, nil); tg[2].Note != "not measured (no --prism)" || tg[2].Met {
		t.Errorf("without Prism: %+v", tg[2])
	}
}
