package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paced runs (--paced): after its closed-loop runs, every case is run again open-loop (see pace)
// at a fixed rate, a share of the mock's closed-loop throughput for that case (each share of the
// list in turn), and the reference server is offered the very same rates. A closed loop of N
// connections answers each request about N / throughput after it was sent (Little's law), so its
// latencies restate its throughput; at an equal offered rate that both servers sustain, the
// latencies say what a server adds to a request when it is not the bottleneck, which is what a
// test suite calling the mock waits for.

// defaultPaced are --paced's shares: a tenth of the mock's throughput (a mock well within its
// capacity) and half (a busy one).
var defaultPaced = []float64{0.1, 0.5}

// pacing carries the paced runs' rates from the mock, which sets them, to the reference.
type pacing struct {
	shares []float64 // of the mock's closed-loop throughput, one set of paced runs each
	lead   bool      // set the rates (the mock) rather than follow them (the reference)
	rates  map[pacedKey]float64
}

// pacedKey names a paced run: its case, at a share of the mock's throughput.
type pacedKey struct {
	name  string
	share float64
}

// rateFor is the rate of a case's paced run at share: share × closed.RPS when leading, else the
// leader's rate for it (0 when it has none: the case is not run).
func (p *pacing) rateFor(share float64, name string, closed *runResult) float64 {
	k := pacedKey{name, share}
	if p.lead {
		r := math.Round(share * closed.RPS)
		p.rates[k] = r
		return r
	}
	return p.rates[k]
}

// parseShares reads --paced: shares of the mock's throughput separated by commas, each above 0
// and at most 1; "0" (or nothing) is none.
func parseShares(v string) ([]float64, error) {
	if v = strings.TrimSpace(v); v == "" || v == "0" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(v, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || x <= 0 || x > 1 || slices.Contains(out, x) {
			return nil, fmt.Errorf("--paced: %q is not a share above 0 and at most 1, once (e.g. 0.1,0.5; 0 for none)", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// newPacing is the mock's pacing for the --paced shares, which leads; nil (no paced runs) when
// there are none.
func newPacing(shares []float64) *pacing {
	if len(shares) == 0 {
		return nil
	}
	return &pacing{shares: shares, lead: true, rates: map[pacedKey]float64{}}
}

// follow is the same pacing for the reference server (nil for nil: no paced runs).
func (p *pacing) follow() *pacing {
	if p == nil {
		return nil
	}
	return &pacing{shares: p.shares, rates: p.rates}
}

// measurePaced runs each case of the closed-loop runs again at its paced rate, for each share.
func measurePaced(c config, s *server, out *serverResults, pc *pacing, ok []request) {
	if pc == nil {
		return
	}
	run := func(share float64, name string, reqs []request, closed *runResult, d time.Duration) {
		if rate := pc.rateFor(share, name, closed); rate > 0 {
			rr := measureRun(c, s, name, reqs, d, rate)
			rr.Share = share
			out.Paced = append(out.Paced, rr)
		}
	}
	for _, share := range pc.shares {
		fmt.Printf("paced: each case at a fixed rate, %s of the mock's closed-loop throughput\n", percent(share))
		for _, r := range ok {
			run(share, r.op, []request{r}, find(out.Ops, r.op), c.duration)
		}
		run(share, "mixed", ok, out.Mixed, c.mixed)
	}
}

// percent is a share as a percentage: 0.5 is 50%, 0.05 is 5%, 0.125 is 12.5%.
func percent(share float64) string {
	return strconv.FormatFloat(share*100, 'f', -1, 64) + "%"
}

// findPaced is the paced run of case name at share.
func findPaced(rs []*runResult, name string, share float64) *runResult {
	for _, r := range rs {
		if r.Name == name && r.Share == share {
			return r
		}
	}
	return nil
}

// targetPacedName is the paced runs' latency comparison at a share of the mock's throughput: the
// p99 target, at an equal offered rate instead of in a closed loop.
func targetPacedName(share float64) string {
	return targetPacedPrefix + " (" + percent(share) + " of the mock's req/s), every case and mixed"
}

// targetPacedPrefix begins the name of every paced target.
const targetPacedPrefix = "p99 vs reference at the same fixed rate"

// pacedTargets are the worst ratios of the mock's p99 to the reference's over the paced runs,
// one for each share, in the order run.
func pacedTargets(mock, ref *serverResults) []target {
	var shares []float64
	worst, worstOp := map[float64]float64{}, map[float64]string{}
	for _, m := range mock.Paced {
		r := findPaced(ref.Paced, m.Name, m.Share)
		if r == nil {
			continue
		}
		if !slices.Contains(shares, m.Share) {
			shares = append(shares, m.Share)
		}
		if x := ratio(m.P99us, r.P99us); x > worst[m.Share] || worstOp[m.Share] == "" {
			worst[m.Share], worstOp[m.Share] = x, m.Name
		}
	}
	var ts []target
	for _, sh := range shares {
		ts = append(ts, target{Name: targetPacedName(sh), Want: fmt.Sprintf("<= %.1fx", targetP99), Value: round2(worst[sh]), Unit: "x",
			Met: worst[sh] <= targetP99, Note: "highest on " + caseLabel(worstOp[sh])})
	}
	return ts
}

// pacedRows is the paced runs' table: per case, the offered rate, and for each server what it
// answered, its latencies from the time each request was due, and its CPU per request.
func pacedRows(mock, ref *serverResults) (header []string, body [][]string) {
	header = []string{"case", "share", "offered req/s"}
	for _, s := range []*serverResults{mock, ref} {
		header = append(header, s.Name+" answered req/s", "p50 µs", "p99 µs", "p99.9 µs", "CPU µs/req")
	}
	header = append(header, "p50 mock/ref", "p99 mock/ref", "CPU mock/ref")
	for _, m := range mock.Paced {
		r := findPaced(ref.Paced, m.Name, m.Share)
		if r == nil {
			continue
		}
		row := []string{caseLabel(m.Name), percent(m.Share), fmt.Sprintf("%.0f", m.OfferedRPS)}
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
	t := table{header: header, body: body, firstWidth: 20, width: 12,
		text:     "at a fixed rate: both servers offered the same requests a second, open loop; latency from the time each request was due",
		markdown: "At a fixed rate: both servers offered the same requests a second, open loop; latency from the time each request was due."}
	t.write(w, md)
}
