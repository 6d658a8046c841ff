package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Paced runs (--paced): after its closed-loop runs, every case is run again open-loop (see pace)
// at a fixed rate, a share of the mock's closed-loop throughput for that case, and the reference
// server is offered the very same rate. A closed loop of N connections answers each request about
// N / throughput after it was sent (Little's law), so its latencies restate its throughput; at an
// equal offered rate that both servers sustain, the latencies say what a server adds to a request
// when it is not the bottleneck, which is what a test suite calling the mock waits for.

// pacing carries the paced runs' rates from the mock, which sets them, to the reference.
type pacing struct {
	share float64            // of the mock's closed-loop throughput
	lead  bool               // set the rates (the mock) rather than follow them (the reference)
	rates map[string]float64 // case → requests a second
}

// rateFor is the rate of a case's paced run: share × closed.RPS when leading, else the leader's
// rate for the case (0 when it has none: the case is not run).
func (p *pacing) rateFor(name string, closed *runResult) float64 {
	if p.lead {
		r := math.Round(p.share * closed.RPS)
		p.rates[name] = r
		return r
	}
	return p.rates[name]
}

// newPacing is the mock's pacing for --paced share, which leads; nil (no paced runs) when share
// is 0.
func newPacing(share float64) *pacing {
	if share <= 0 {
		return nil
	}
	return &pacing{share: share, lead: true, rates: map[string]float64{}}
}

// follow is the same pacing for the reference server (nil for nil: no paced runs).
func (p *pacing) follow() *pacing {
	if p == nil {
		return nil
	}
	return &pacing{share: p.share, rates: p.rates}
}

// measurePaced runs each case of the closed-loop runs again at its paced rate.
func measurePaced(c config, s *server, out *serverResults, pc *pacing, ok []request) {
	if pc == nil {
		return
	}
	fmt.Printf("paced: each case at a fixed rate, %.0f%% of the mock's closed-loop throughput\n", pc.share*100)
	for _, r := range ok {
		if rate := pc.rateFor(r.op, find(out.Ops, r.op)); rate > 0 {
			out.Paced = append(out.Paced, measureRun(c, s, r.op, []request{r}, c.duration, rate))
		}
	}
	if rate := pc.rateFor("mixed", out.Mixed); rate > 0 {
		out.Paced = append(out.Paced, measureRun(c, s, "mixed", ok, c.mixed, rate))
	}
}

// targetPacedName is the paced runs' latency comparison: the p99 of the target, at an
// equal offered rate instead of in a closed loop.
const targetPacedName = "p99 vs reference at the same fixed rate, every case and mixed"

// pacedTarget is the worst ratio of the mock's p99 to the reference's over the paced runs.
func pacedTarget(mock, ref *serverResults) (target, bool) {
	worst, worstOp := 0.0, ""
	for _, m := range mock.Paced {
		r := find(ref.Paced, m.Name)
		if r == nil {
			continue
		}
		if x := ratio(m.P99us, r.P99us); x > worst {
			worst, worstOp = x, m.Name
		}
	}
	if worstOp == "" {
		return target{}, false
	}
	return target{Name: targetPacedName, Want: fmt.Sprintf("<= %.1fx", targetP99), Value: round2(worst), Unit: "x", Met: worst <= targetP99,
		Note: "highest on " + caseLabel(worstOp)}, true
}

// pacedRows is the paced runs' table: per case, the offered rate, and for each server what it
// answered, its latencies from the time each request was due, and its CPU per request.
func pacedRows(mock, ref *serverResults) (header []string, body [][]string) {
	header = []string{"case", "offered req/s"}
	for _, s := range []*serverResults{mock, ref} {
		header = append(header, s.Name+" answered req/s", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs/req")
	}
	header = append(header, "p50 mock/ref", "p99 mock/ref", "CPU mock/ref")
	for _, m := range mock.Paced {
		r := find(ref.Paced, m.Name)
		if r == nil {
			continue
		}
		row := []string{caseLabel(m.Name), fmt.Sprintf("%.0f", m.OfferedRPS)}
		for _, x := range []*runResult{m, r} {
			row = append(row, fmt.Sprintf("%.0f", x.RPS), fmt.Sprintf("%.0f", x.P50us), fmt.Sprintf("%.0f", x.P99us),
				fmt.Sprintf("%.0f", x.P999us), fmt.Sprintf("%.1f", x.ServerCPUus))
		}
		row = append(row, fmt.Sprintf("%.2fx", ratio(m.P50us, r.P50us)), fmt.Sprintf("%.2fx", ratio(m.P99us, r.P99us)),
			fmt.Sprintf("%.2fx", ratio(m.ServerCPUus, r.ServerCPUus)))
		body = append(body, row)
	}
	return header, body
}

// writePaced writes the paced runs' table, as Markdown or as aligned text.
func writePaced(w io.Writer, res *results, md bool) {
	if len(res.Servers) < 2 || len(res.Servers[0].Paced) == 0 {
		return
	}
	header, body := pacedRows(res.Servers[0], res.Servers[1])
	if len(body) == 0 {
		return
	}
	const title = "at a fixed rate: both servers offered the same requests a second, open loop; latency from the time each request was due"
	if !md {
		fmt.Fprintln(w, "\n"+title)
		for _, r := range append([][]string{header}, body...) {
			fmt.Fprintf(w, "  %-20s", r[0])
			for _, c := range r[1:] {
				fmt.Fprintf(w, " %12s", c)
			}
			fmt.Fprintln(w)
		}
		return
	}
	fmt.Fprintf(w, "\nAt a fixed rate: both servers offered the same requests a second, open loop; latency from the time each request was due.\n\n| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---:"
	}
	seps[0] = "---"
	fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range body {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}
