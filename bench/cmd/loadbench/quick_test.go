package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseBudget(t *testing.T) {
	got, err := parseBudget("2us, 10µs,1ms")
	if err != nil || len(got) != 3 || got[0] != 2*time.Microsecond || got[1] != 10*time.Microsecond || got[2] != time.Millisecond {
		t.Fatalf("parseBudget: %v, %v", got, err)
	}
	for _, bad := range []string{"", "5", "0us", "-1us", "2us,,3us", "fast"} {
		if _, err := parseBudget(bad); err == nil {
			t.Errorf("parseBudget(%q) accepted", bad)
		}
	}
}

// TestQuickRun runs the whole benchmark briefly (--quick): it builds the mock and the reference
// server, makes the state, measures both, and writes the report. The report has every case for
// both servers, the reference's answers passed the body check on every case, the mock ran at
// info level (its log has a line per request), and every target has a verdict. Nothing here is
// about speed.
func TestQuickRun(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the benchmark reads /proc")
	}
	if testing.Short() {
		t.Skip("builds and runs two servers")
	}
	drv, err := newDriver(defaultDriver(), 1)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	c := quickConfig(config{root: "../../..", out: out, driver: drv, maxRequests: 2000, startups: 5, prismDir: "bench/.prism",
		budget: []time.Duration{2 * time.Microsecond}, paced: []float64{0.1, 0.5}})
	if err := run(c); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Servers) != 2 || res.Servers[0].Name != "verifeye-mock" || res.Servers[1].Name != "net/http reference" {
		t.Fatalf("servers: %+v", res.Servers)
	}
	md, err := os.ReadFile(filepath.Join(out, "latest.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bc := range cases(fixedIDs) {
		for _, s := range res.Servers {
			if r := find(s.Ops, bc.id); r == nil || r.Requests == 0 || r.PeakRSSMiB == 0 {
				t.Errorf("%s: case %s: %+v", s.Name, bc.id, r)
			}
		}
		if !strings.Contains(string(md), "| "+bc.label+" |") {
			t.Errorf("latest.md has no row %q", bc.label)
		}
		var check *bodyCheck
		for i := range res.BodyChecks {
			if res.BodyChecks[i].Case == bc.id {
				check = &res.BodyChecks[i]
			}
		}
		switch {
		case check == nil:
			t.Errorf("no body check for %s", bc.id)
		case !check.OK || !check.Identical || (bc.varies != "") != check.SameShape:
			t.Errorf("body check of %s: %+v", bc.id, check)
		}
	}
	for _, s := range res.Servers {
		if s.Mixed == nil || s.Mixed.Requests == 0 || s.PeakRSSMiB == 0 {
			t.Errorf("%s: mixed %+v, peak RSS %.1f", s.Name, s.Mixed, s.PeakRSSMiB)
		}
	}
	checkPacedAndKernel(t, &res, string(md))
	if mock := res.Servers[0]; mock.LogLines < mock.Mixed.Requests {
		t.Errorf("the mock logged %d lines for %d mixed requests: not at info level", mock.LogLines, mock.Mixed.Requests)
	}
	names := map[string]bool{}
	for _, tg := range res.Targets {
		names[tg.Name] = true
		if tg.Name == targetPrismName {
			continue // no Prism in --quick
		}
		if tg.Unit == "" || !strings.Contains(string(md), "| "+tg.Name+" |") {
			t.Errorf("target %+v: not measured, or not in latest.md", tg)
		}
	}
	for _, want := range []string{targetOpShareName, targetGetAllName, targetP99Name, targetPeakRSSName, targetBodiesName} {
		if !names[want] {
			t.Errorf("no target %q", want)
		}
	}
	// --budget: the reference again, with work, every case, and its table.
	if len(res.Budget) != 1 || res.Budget[0].Work != "2µs" || !strings.Contains(res.Budget[0].Server.Command, "--work 2µs") {
		t.Fatalf("budget: %+v", res.Budget)
	}
	for _, bc := range cases(fixedIDs) {
		if r := find(res.Budget[0].Server.Ops, bc.id); r == nil || r.Requests == 0 {
			t.Errorf("budget run: case %s: %+v", bc.id, r)
		}
	}
	if !strings.Contains(string(md), "| +2µs req/s | CPU µs/req | / reference | p99 / reference |") || !strings.Contains(string(md), "| mixed | ") {
		t.Errorf("latest.md has no budget table:\n%s", md)
	}
	// ... and at the mock's paced rates, every case at every share, with its table.
	for _, m := range res.Servers[0].Paced {
		if r := findPaced(res.Budget[0].Server.Paced, m.Name, m.Share); r == nil || r.OfferedRPS != m.OfferedRPS || r.Requests == 0 {
			t.Errorf("budget run at %s: case %s: %+v, want the mock's rate %.0f", percent(m.Share), m.Name, r, m.OfferedRPS)
		}
	}
	if !strings.Contains(string(md), "| mock p99 / ref | CPU µs/req | +2µs p99 / ref | CPU µs/req |") || !strings.Contains(string(md), "| mixed | 50% | ") {
		t.Errorf("latest.md has no budget table at a fixed rate:\n%s", md)
	}
	if tg := res.Targets[len(res.Targets)-1]; tg.Name != targetBodiesName || !tg.Met {
		t.Errorf("body target: %+v", tg)
	}
}

// checkPacedAndKernel: both servers ran every case and the mixed run paced, the reference at the
// very rate the mock was offered, and latest.md has their table; every closed-loop run of the
// mock has the kernel's counts, with at least 0.9 write system calls per request (each response
// is written; Linux, where /proc/PID/io has them).
func checkPacedAndKernel(t *testing.T, res *results, md string) {
	t.Helper()
	mock, ref := res.Servers[0], res.Servers[1]
	if len(mock.Paced) != 2*(len(mock.Ops)+1) || len(ref.Paced) != len(mock.Paced) {
		t.Errorf("paced runs: %d of the mock, %d of the reference, for %d cases and mixed at two shares", len(mock.Paced), len(ref.Paced), len(mock.Ops))
	}
	for _, m := range mock.Paced {
		r := findPaced(ref.Paced, m.Name, m.Share)
		if r == nil {
			t.Errorf("paced %s: no run of the reference", m.Name)
		} else if m.OfferedRPS <= 0 || m.Requests == 0 || r.OfferedRPS != m.OfferedRPS || r.Requests == 0 {
			t.Errorf("paced %s: mock offered %v req/s, answered %d; reference offered %v, answered %d",
				m.Name, m.OfferedRPS, m.Requests, r.OfferedRPS, r.Requests)
		}
	}
	if !strings.Contains(md, "| case | share | offered req/s | verifeye-mock answered req/s |") || !strings.Contains(md, "| mixed | 10% | ") ||
		!strings.Contains(md, "| mixed | 50% | ") {
		t.Errorf("latest.md has no paced table")
	}
	for _, r := range append(slices.Clone(mock.Ops), mock.Mixed) {
		if k := r.Kernel; k == nil || k.Writes < 0.9 {
			t.Errorf("%s: kernel counts per request %+v, want at least 0.9 writes", r.Name, k)
		}
	}
}
