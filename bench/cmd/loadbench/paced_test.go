package main

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPace: a schedule of 400 req/s over 4 connections sends one request every 10 ms on each
// connection, the connections a quarter period apart, so that the run as a whole sends one
// every 2.5 ms; its rate is what was asked, also when the period is not a whole number of
// nanoseconds.
func TestPace(t *testing.T) {
	p := newPace(400, 4)
	if p.period != 10*time.Millisecond || p.rate() != 400 {
		t.Fatalf("400 req/s over 4: period %v, rate %v", p.period, p.rate())
	}
	for _, c := range []struct {
		w    int
		seq  int64
		want time.Duration
	}{{0, 0, 0}, {1, 0, 2500 * time.Microsecond}, {3, 0, 7500 * time.Microsecond}, {0, 1, 10 * time.Millisecond},
		{3, 2, 27500 * time.Microsecond}, {2, 100, time.Second + 5*time.Millisecond}} {
		if got := p.due(c.w, c.seq).Sub(p.origin); got != c.want {
			t.Errorf("due(%d, %d) = origin + %v, want + %v", c.w, c.seq, got, c.want)
		}
	}
	var all []time.Duration
	for w := range 4 {
		for seq := range int64(25) {
			all = append(all, p.due(w, seq).Sub(p.origin))
		}
	}
	slices.Sort(all)
	for i := 1; i < len(all); i++ {
		if d := all[i] - all[i-1]; d != 2500*time.Microsecond {
			t.Fatalf("requests %d and %d of the run are due %v apart, want 2.5ms", i-1, i, d)
		}
	}
	if q := newPace(3, 2); math.Abs(q.rate()-3) > 1e-6 || q.period != 666666666*time.Nanosecond {
		t.Errorf("3 req/s over 2: period %v, rate %v", q.period, q.rate())
	}
}

// TestPacing: the mock leads, its rate for a case at a share the share of its closed-loop
// throughput; the reference follows, offered the mock's rate at that share whatever its own
// throughput; a case the mock did not pace (it did not run) is not run on the reference either.
// --paced 0 paces neither.
func TestPacing(t *testing.T) {
	if p := newPacing(nil); p != nil || p.follow() != nil {
		t.Fatalf("--paced 0: %+v", p)
	}
	lead := newPacing([]float64{0.1, 0.5})
	follow := lead.follow()
	if follow.lead || !slices.Equal(follow.shares, []float64{0.1, 0.5}) {
		t.Fatalf("follower: %+v", follow)
	}
	// In order: the leader sets each rate from its own throughput, the follower takes the
	// leader's whatever its own, and has none where the leader has none.
	for _, c := range []struct {
		what  string
		p     *pacing
		share float64
		name  string
		rps   float64
		want  float64
	}{
		{"leader, get at 10001 req/s, half", lead, 0.5, "get", 10001, 5001},
		{"leader, get at 10001 req/s, a tenth", lead, 0.1, "get", 10001, 1000},
		{"leader, healthz at 20000 req/s, half", lead, 0.5, "healthz", 20000, 10000},
		{"follower, get at half", follow, 0.5, "get", 99999, 5001},
		{"follower, get at a tenth", follow, 0.1, "get", 99999, 1000},
		{"follower, healthz at half", follow, 0.5, "healthz", 1, 10000},
		{"follower, healthz at a tenth (the leader has no rate)", follow, 0.1, "healthz", 1, 0},
		{"follower, mixed (the leader has no rate)", follow, 0.5, "mixed", 8000, 0},
	} {
		if r := c.p.rateFor(c.share, c.name, &runResult{RPS: c.rps}); r != c.want {
			t.Errorf("%s: rate %v, want %v", c.what, r, c.want)
		}
	}
	if _, ok := lead.rates[pacedKey{"mixed", 0.5}]; ok || len(lead.rates) != 3 {
		t.Errorf("the follower changed the leader's rates: %v", lead.rates)
	}
}

// TestParseShares: --paced takes shares above 0 and at most 1, each once; 0 or nothing is none.
func TestParseShares(t *testing.T) {
	for in, want := range map[string][]float64{"0.1,0.5": {0.1, 0.5}, " 1 ": {1}, "0.05": {0.05}, "0": nil, "": nil} {
		if got, err := parseShares(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0.5,0.5", "1.5", "-0.1", "0,0.5", "half", "0.1,"} {
		if got, err := parseShares(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
	if percent(0.5) != "50%" || percent(0.05) != "5%" || percent(0.125) != "12.5%" {
		t.Errorf("percent: %s %s %s", percent(0.5), percent(0.05), percent(0.125))
	}
}

// pacedServers are two servers' paced runs: get and mixed on both, healthz on the mock alone
// and signature-create on the reference alone (neither has a row).
func pacedServers(p99get, p99mixed float64) (mock, ref *serverResults) {
	run := func(name string, offered, rps, p50, p99, p999, cpu float64) *runResult {
		return &runResult{Name: name, OfferedRPS: offered, RPS: rps, P50us: p50, P99us: p99, P999us: p999, ServerCPUus: cpu, Share: 0.5}
	}
	mock = &serverResults{Name: "verifeye-mock", Paced: []*runResult{
		run("healthz", 9000, 9000, 100, 200, 300, 10),
		run("get", 5000, 4990, 300, p99get, 2000, 20),
		run("mixed", 4000, 4000, 400, p99mixed, 3000, 25.5),
	}}
	ref = &serverResults{Name: "net/http reference", Paced: []*runResult{
		run("get", 5000, 4995, 250, 600, 1000, 16),
		run("signature-create", 3000, 3000, 1, 1, 1, 1),
		run("mixed", 4000, 3998, 200, 1000, 2000, 17),
	}}
	return mock, ref
}

// TestPacedTable: a row per case both servers ran paced, in the mock's order, with the offered
// rate, each server's figures and the mock/reference ratios; the target is the worst p99 ratio
// and names its case.
func TestPacedTable(t *testing.T) {
	mock, ref := pacedServers(1500, 1500)
	header, body := pacedRows(mock, ref)
	wantHeader := []string{"case", "share", "offered req/s",
		"verifeye-mock answered req/s", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs/req",
		"net/http reference answered req/s", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs/req",
		"p50 mock/ref", "p99 mock/ref", "CPU mock/ref"}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header:\n%q\nwant\n%q", header, wantHeader)
	}
	wantBody := [][]string{
		{"get (full)", "50%", "5000", "4990", "300", "1500", "2000", "20.0", "4995", "250", "600", "1000", "16.0", "1.20x", "2.50x", "1.25x"},
		{"mixed", "50%", "4000", "4000", "400", "1500", "3000", "25.5", "3998", "200", "1000", "2000", "17.0", "2.00x", "1.50x", "1.50x"},
	}
	if !slices.EqualFunc(body, wantBody, slices.Equal) {
		t.Errorf("rows:\n%q\nwant\n%q", body, wantBody)
	}
	ts := pacedTargets(mock, ref)
	if want := (target{Name: targetPacedName(0.5), Want: "<= 1.3x", Value: 2.5, Unit: "x", Met: false, Note: "highest on get (full)"}); len(ts) != 1 || ts[0] != want {
		t.Errorf("targets: %+v; want %+v", ts, want)
	}
	if ts := pacedTargets(pacedServers(700, 1250)); len(ts) != 1 || ts[0].Value != 1.25 || !ts[0].Met || ts[0].Note != "highest on mixed" {
		t.Errorf("target, p99 within 1.3x: %+v", ts)
	}
	if ts := pacedTargets(&serverResults{}, ref); len(ts) != 0 {
		t.Errorf("target without paced runs: %+v", ts)
	}
	// A second share has its own target, and runs of one share are not compared with the other's.
	mock.Paced = append(mock.Paced, &runResult{Name: "get", Share: 0.1, P99us: 500}, &runResult{Name: "mixed", Share: 0.1, P99us: 400})
	ref.Paced = append(ref.Paced, &runResult{Name: "get", Share: 0.1, P99us: 400})
	ts = pacedTargets(mock, ref)
	if len(ts) != 2 || ts[1].Name != targetPacedName(0.1) || ts[1].Value != 1.25 || !ts[1].Met || ts[1].Note != "highest on get (full)" ||
		ts[0].Value != 2.5 {
		t.Errorf("targets of two shares: %+v", ts)
	}
	mock.Paced, ref.Paced = mock.Paced[:3], ref.Paced[:3]

	var md bytes.Buffer
	writePaced(&md, &results{Servers: []*serverResults{mock, ref}}, true)
	for _, want := range []string{"| " + strings.Join(wantHeader, " | ") + " |\n| --- | ---: |",
		"| " + strings.Join(wantBody[0], " | ") + " |\n| " + strings.Join(wantBody[1], " | ") + " |\n"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown table has no %q:\n%s", want, md.String())
		}
	}
	var text bytes.Buffer
	writePaced(&text, &results{Servers: []*serverResults{mock, ref}}, false)
	if lines := strings.Split(strings.TrimSpace(text.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[2], "  get (full)  ") {
		t.Errorf("text table:\n%s", text.String())
	}
	md.Reset()
	writePaced(&md, &results{Servers: []*serverResults{{Name: "verifeye-mock"}, ref}}, true)
	if md.Len() != 0 {
		t.Errorf("a table without paced runs:\n%s", md.String())
	}
}
