package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The work budget (--budget): the reference server measured again with a fixed amount of CPU work
// added to every request (refserver --work: SHA-256 rounds, timed alone in its process at start,
// as an in-process benchmark times a handler). Its throughput against the bare reference's says
// what a given amount of per-request work costs a server under this load on this machine, whatever
// the work is; set against the mock's in-process cost per operation (BenchmarkRoundTrip), it tells
// how much of the mock's ratio its work explains.

// budgetRun is one amount of work and the reference server's results with it.
type budgetRun struct {
	Work   string         `json:"work"`
	Server *serverResults `json:"server"`
}

// parseBudget reads --budget: durations separated by commas, each above zero.
func parseBudget(v string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--budget: %q is not a positive duration such as 5us", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// measureBudget measures the reference server with each amount of work of --budget; with paced
// runs (pc not nil), at the mock's paced rates too, so that its latency at an equal offered rate
// can be set beside the mock's.
func measureBudget(c config, root, tmp, refBin string, canned []cannedResponse, pc *pacing) ([]budgetRun, error) {
	var runs []budgetRun
	for _, w := range c.budget {
		s, err := measureRef(c, root, tmp, refBin, canned, "net/http reference + "+w.String()+" of work", []string{"--work", w.String()},
			pc.follow(), func(string, []request) {})
		if err != nil {
			return nil, err
		}
		runs = append(runs, budgetRun{Work: w.String(), Server: s})
	}
	return runs, nil
}

// budgetRows is the budget's table: each case's throughput with each amount of work, its ratio
// to the bare reference's, and the ratio of their p99 latencies.
func budgetRows(ref *serverResults, runs []budgetRun) (header []string, body [][]string) {
	header = []string{"case", "reference req/s", "CPU µs/req"}
	for _, r := range runs {
		header = append(header, "+"+r.Work+" req/s", "CPU µs/req", "/ reference", "p99 / reference")
	}
	add := func(label string, base *runResult, pick func(*serverResults) *runResult) {
		row := []string{label, fmt.Sprintf("%.0f", base.RPS), fmt.Sprintf("%.1f", base.ServerCPUus)}
		for _, r := range runs {
			got := pick(r.Server)
			if got == nil {
				row = append(row, "–", "–", "–", "–")
				continue
			}
			row = append(row, fmt.Sprintf("%.0f", got.RPS), fmt.Sprintf("%.1f", got.ServerCPUus), fmt.Sprintf("%.2fx", ratio(got.RPS, base.RPS)),
				fmt.Sprintf("%.2fx", ratio(got.P99us, base.P99us)))
		}
		body = append(body, row)
	}
	for _, op := range ref.Ops {
		add(caseLabel(op.Name), op, func(s *serverResults) *runResult { return find(s.Ops, op.Name) })
	}
	if ref.Mixed != nil {
		add("mixed", ref.Mixed, func(s *serverResults) *runResult { return s.Mixed })
	}
	return header, body
}

// writeBudget writes the budget's table as Markdown (or as text rows with sep " | " left out).
func writeBudget(w io.Writer, res *results, md bool) {
	if len(res.Budget) == 0 || len(res.Servers) < 2 {
		return
	}
	header, body := budgetRows(res.Servers[1], res.Budget)
	t := table{header: header, body: body, firstWidth: 26, width: 15,
		text:     "work budget: the reference with CPU work added to every request (timed alone in process)",
		markdown: "Work budget: the reference server with CPU work added to every request (SHA-256 rounds timed alone in its process)."}
	t.write(w, md)
	if header, body = budgetPacedRows(res.Servers[0], res.Servers[1], res.Budget); len(body) > 0 {
		t = table{header: header, body: body, firstWidth: 26, width: 14,
			text:     "work budget at a fixed rate: p99 over the bare reference's at the same offered rate",
			markdown: "Work budget at a fixed rate: each server's p99 over the bare reference's at the same offered rate (the mock's paced rates)."}
		t.write(w, md)
	}
}

// table is a report's table with its title, written as aligned text or as Markdown.
type table struct {
	header            []string
	body              [][]string
	text, markdown    string // the title in each form
	firstWidth, width int    // the text form's column widths: the first (left-aligned) and the others
}

func (t table) write(w io.Writer, md bool) {
	if !md {
		fmt.Fprintln(w, "\n"+t.text)
		for _, r := range append([][]string{t.header}, t.body...) {
			fmt.Fprintf(w, "  %-*s", t.firstWidth, r[0])
			for _, c := range r[1:] {
				fmt.Fprintf(w, " %*s", t.width, c)
			}
			fmt.Fprintln(w)
		}
		return
	}
	fmt.Fprintf(w, "\n%s\n\n| %s |\n", t.markdown, strings.Join(t.header, " | "))
	seps := make([]string, len(t.header))
	for i := range seps {
		seps[i] = "---:"
	}
	seps[0] = "---"
	fmt.Fprintf(w, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range t.body {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

// budgetTargets are the closed-loop targets that compare a server's speed with the reference's,
// which compareBudget also measures for the reference with work (and the paced ones, by their
// prefix).
var budgetTargets = []string{targetOpShareName, targetGetAllName, targetP99Name}

// compareBudget adds to the notes of the targets that compare the mock's speed with the
// reference's the same figure for the reference with each amount of work (--budget), so that
// one run's report says whether a bare server doing that much work per request would meet each.
func compareBudget(ts []target, ref *serverResults, runs []budgetRun) {
	for _, r := range runs {
		theirs := map[string]target{}
		for _, t := range evaluate(r.Server, ref, nil, nil) {
			theirs[t.Name] = t
		}
		for i, t := range ts {
			b, ok := theirs[t.Name]
			if !ok || b.Unit == "" || !slices.Contains(budgetTargets, t.Name) && !strings.HasPrefix(t.Name, targetPacedPrefix) {
				continue
			}
			met := "not met"
			if b.Met {
				met = "met"
			}
			ts[i].Note += fmt.Sprintf("; reference + %s of work: %.2f%s, %s", r.Work, b.Value, b.Unit, met)
		}
	}
}

// budgetPacedRows is the budget's table at a fixed rate: per case and share, the p99 of the mock
// and of the reference with each amount of work, over the bare reference's p99 at the same
// offered rate, beside each server's CPU per request. It says whether the mock's latency at an
// equal rate is what its extra work per request costs any server, or more.
func budgetPacedRows(mock, ref *serverResults, runs []budgetRun) (header []string, body [][]string) {
	header = []string{"case", "share", "reference p99 µs", "CPU µs/req", "mock p99 / ref", "CPU µs/req"}
	for _, r := range runs {
		header = append(header, "+"+r.Work+" p99 / ref", "CPU µs/req")
	}
	for _, base := range ref.Paced {
		m := findPaced(mock.Paced, base.Name, base.Share)
		if m == nil {
			continue
		}
		row := []string{caseLabel(base.Name), percent(base.Share), fmt.Sprintf("%.0f", base.P99us), fmt.Sprintf("%.1f", base.ServerCPUus),
			fmt.Sprintf("%.2fx", ratio(m.P99us, base.P99us)), fmt.Sprintf("%.1f", m.ServerCPUus)}
		for _, r := range runs {
			if got := findPaced(r.Server.Paced, base.Name, base.Share); got != nil {
				row = append(row, fmt.Sprintf("%.2fx", ratio(got.P99us, base.P99us)), fmt.Sprintf("%.1f", got.ServerCPUus))
			} else {
				row = append(row, "–", "–")
			}
		}
		body = append(body, row)
	}
	return header, body
}
