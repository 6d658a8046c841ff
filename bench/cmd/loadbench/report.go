package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Targets against the reference server and for memory.
const (
	targetOpShare      = 0.85 // every single operation, but get-all (100): mock req/s / reference req/s
	targetGetAll100    = 0.80 // get-all with 100 verifications
	targetP99          = 1.3  // every case and the mixed run: mock p99 / reference p99
	targetPeakRSSMiB   = 100  // the mock's peak RSS across the closed-loop runs
	getAll100          = "get-all-100"
	targetOpShareName  = "throughput vs reference, every operation but get-all (100)"
	targetGetAllName   = "throughput vs reference, get-all (100)"
	targetP99Name      = "p99 vs reference, every case and mixed"
	targetPeakRSSName  = "peak RSS of the mock, closed-loop runs"
	targetBodiesName   = "reference answers equal the mock's, every case"
	targetPrismName    = "throughput vs Prism (every operation both serve)"
	targetStartupName  = "startup to first healthy response"
	targetIdleRSSName  = "idle RSS"
	notMeasuredNoPrism = "not measured (no --prism)"
)

// evaluate checks the mock's targets: startup < 30 ms, idle RSS < 20 MiB, ≥ 10x Prism's
// throughput on every operation both serve, ≥ 0.85x the reference server's throughput on every
// operation but get-all (100), ≥ 0.8x on get-all (100), a p99 within 1.3x the reference's on
// every case and the mixed run, a peak RSS ≤ 100 MiB, and reference answers equal to the mock's.
func evaluate(mock, ref, prism *serverResults, checks []bodyCheck) []target {
	ts := []target{
		{Name: targetStartupName, Want: "< 30 ms", Value: mock.StartupMed, Unit: "ms", Met: mock.StartupMed < 30,
			Note: fmt.Sprintf("median of %d spawns", len(mock.StartupMs))},
		{Name: targetIdleRSSName, Want: "< 20 MiB", Value: mock.IdleRSSMiB, Unit: "MiB", Met: mock.IdleRSSMiB < 20},
		prismTarget(mock, ref, prism),
	}
	share, shareOp, below := math.Inf(1), "", []string{}
	getAll := 0.0
	for _, m := range mock.Ops {
		r := find(ref.Ops, m.Name)
		if r == nil {
			continue
		}
		x := ratio(m.RPS, r.RPS)
		if m.Name == getAll100 {
			getAll = x
			continue
		}
		if x < share {
			share, shareOp = x, m.Name
		}
		if x < targetOpShare {
			below = append(below, fmt.Sprintf("%s %.2fx", caseLabel(m.Name), x))
		}
	}
	if math.IsInf(share, 1) {
		share = 0
	}
	note := fmt.Sprintf("lowest on %s; mixed %.2fx", caseLabel(shareOp), ratio(mock.Mixed.RPS, ref.Mixed.RPS))
	if len(below) > 0 {
		note += "; below: " + strings.Join(below, ", ")
	}
	ts = append(ts, target{Name: targetOpShareName, Want: fmt.Sprintf(">= %.2fx", targetOpShare), Value: round2(share), Unit: "x",
		Met: share >= targetOpShare, Note: note})
	if m, r := find(mock.Ops, getAll100), find(ref.Ops, getAll100); m != nil && r != nil {
		ts = append(ts, target{Name: targetGetAllName, Want: fmt.Sprintf(">= %.2fx", targetGetAll100), Value: round2(getAll), Unit: "x",
			Met: getAll >= targetGetAll100, Note: fmt.Sprintf("%.0f vs %.0f req/s", m.RPS, r.RPS)})
	} else {
		ts = append(ts, target{Name: targetGetAllName, Want: fmt.Sprintf(">= %.2fx", targetGetAll100), Note: "not measured"})
	}
	ts = append(ts, p99Target(mock, ref))
	ts = append(ts, pacedTargets(mock, ref)...)
	ts = append(ts,
		peakRSSTarget(mock, ref))
	ok := 0
	for _, c := range checks {
		if c.OK {
			ok++
		}
	}
	return append(ts, target{Name: targetBodiesName, Want: "all", Value: float64(ok), Unit: "cases", Met: bodiesOK(checks),
		Note: fmt.Sprintf("%d of %d cases", ok, len(checks))})
}

// peakRSSTarget is the mock's peak RSS over the closed-loop runs (the cases and the mixed run,
// read after the mixed run): the paced runs that follow store more sessions (create-session and
// the mix, again), so the whole run's peak, given in the note, grows with the state they add.
func peakRSSTarget(mock, ref *serverResults) target {
	peak, note := mock.PeakRSSMiB, fmt.Sprintf("reference %.1f MiB", ref.PeakRSSMiB)
	if mock.Mixed != nil && mock.Mixed.PeakRSSMiB > 0 {
		peak = mock.Mixed.PeakRSSMiB
		if len(mock.Paced) > 0 {
			note += fmt.Sprintf("; %.1f MiB at the end of the paced runs, with the sessions they stored", mock.PeakRSSMiB)
		}
	}
	return target{Name: targetPeakRSSName, Want: fmt.Sprintf("<= %d MiB", targetPeakRSSMiB), Value: peak, Unit: "MiB",
		Met: peak <= targetPeakRSSMiB, Note: note}
}

// p99Target is the worst p99 ratio of the mock to the reference over the cases and the mixed run.
func p99Target(mock, ref *serverResults) target {
	worst, worstOp := 0.0, ""
	for _, m := range append(append([]*runResult{}, mock.Ops...), mock.Mixed) {
		r := find(append(append([]*runResult{}, ref.Ops...), ref.Mixed), m.Name)
		if r == nil {
			continue
		}
		if x := ratio(m.P99us, r.P99us); x > worst {
			worst, worstOp = x, m.Name
		}
	}
	return target{Name: targetP99Name, Want: fmt.Sprintf("<= %.1fx", targetP99), Value: round2(worst), Unit: "x", Met: worst <= targetP99,
		Note: "highest on " + caseLabel(worstOp)}
}

// prismTarget is the lowest throughput ratio of the mock to Prism over the operations both serve.
func prismTarget(mock, ref, prism *serverResults) target {
	if prism == nil {
		return target{Name: targetPrismName, Want: ">= 10x", Note: notMeasuredNoPrism}
	}
	worst, worstOp := math.Inf(1), ""
	for _, m := range mock.Ops {
		if p := find(prism.Ops, m.Name); p != nil && p.RPS > 0 {
			if r := m.RPS / p.RPS; r < worst {
				worst, worstOp = r, m.Name
			}
		}
	}
	mixed := ratio(mock.Mixed.RPS, prism.Mixed.RPS)
	// The ceiling: how many operations the bare reference server itself serves at 10x Prism.
	refBelow := 0
	for _, r := range ref.Ops {
		if p := find(prism.Ops, r.Name); p != nil && p.RPS > 0 && r.RPS/p.RPS < 10 {
			refBelow++
		}
	}
	return target{Name: targetPrismName, Want: ">= 10x", Value: round2(worst), Unit: "x",
		Met: worst >= 10, Note: fmt.Sprintf("lowest ratio, on %s; mixed workload %.1fx (the net/http reference: %.1fx mixed, below 10x on %d of %d operations)",
			caseLabel(worstOp), mixed, ratio(ref.Mixed.RPS, prism.Mixed.RPS), refBelow, len(ref.Ops))}
}

func find(rs []*runResult, name string) *runResult {
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// rows is the comparison table: one row per case and one for the mixed run. Each server's peak
// RSS is VmHWM read after the row's run: the peak of the whole run up to that case.
func rows(res *results) (header []string, body [][]string) {
	header = []string{"case"}
	for _, s := range res.Servers {
		header = append(header, s.Name+" req/s", "p50 µs", "p99 µs", "CPU µs/req", "peak RSS MiB")
	}
	mock, ref := res.Servers[0], res.Servers[1]
	header = append(header, "mock/ref", "p99 mock/ref")
	var prism *serverResults
	if len(res.Servers) > 2 {
		prism = res.Servers[2]
		header = append(header, "mock/Prism")
	}
	header = append(header, "body bytes", "reference body")
	names := []string{}
	for _, r := range mock.Ops {
		names = append(names, r.Name)
	}
	names = append(names, "mixed")
	get := func(s *serverResults, name string) *runResult {
		if name == "mixed" {
			return s.Mixed
		}
		return find(s.Ops, name)
	}
	for _, name := range names {
		row := []string{caseLabel(name)}
		for _, s := range res.Servers {
			if r := get(s, name); r != nil {
				row = append(row, fmt.Sprintf("%.0f", r.RPS), fmt.Sprintf("%.0f", r.P50us), fmt.Sprintf("%.0f", r.P99us),
					fmt.Sprintf("%.1f", r.ServerCPUus), fmt.Sprintf("%.1f", r.PeakRSSMiB))
			} else {
				row = append(row, "–", "–", "–", "–", "–")
			}
		}
		m := get(mock, name)
		if r := get(ref, name); r != nil && m != nil {
			row = append(row, fmt.Sprintf("%.2fx", ratio(m.RPS, r.RPS)), fmt.Sprintf("%.2fx", ratio(m.P99us, r.P99us)))
		} else {
			row = append(row, "–", "–")
		}
		if prism != nil {
			if p := get(prism, name); p != nil && m != nil {
				row = append(row, fmt.Sprintf("%.1fx", ratio(m.RPS, p.RPS)))
			} else {
				row = append(row, "–")
			}
		}
		row = append(row, bodyColumns(res.BodyChecks, name)...)
		body = append(body, row)
	}
	return header, body
}

// bodyColumns are a case's body size and the verdict of its body check.
func bodyColumns(checks []bodyCheck, name string) []string {
	for _, c := range checks {
		if c.Case != name {
			continue
		}
		verdict := "DIFFERENT"
		switch {
		case c.OK && c.Varies != "":
			verdict = "same size and shape"
		case c.OK:
			verdict = "identical"
		}
		return []string{fmt.Sprint(c.Bytes), verdict}
	}
	return []string{"–", "–"}
}

func printReport(w io.Writer, res *results) {
	header, body := rows(res)
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len([]rune(h))
	}
	for _, r := range body {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				fmt.Fprint(w, c+pad+"  ")
			} else {
				fmt.Fprint(w, pad+c+"  ")
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nthroughput and latency, %v connections, %s (errors: ", res.Config["connections"], driverText(res.Config))
	for i, s := range res.Servers {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s %d", s.Name, totalErrors(s))
	}
	fmt.Fprintln(w, ")")
	line(header)
	for _, r := range body {
		line(r)
	}
	fmt.Fprintln(w)
	for _, s := range res.Servers {
		lg, other := cpuShares(s)
		fmt.Fprintf(w, "%-20s startup %8.1f ms (median)  idle RSS %6.1f MiB  peak RSS %6.1f MiB  CPU share: load generator %3.0f%% (%.1f µs/req), other processes %3.0f%%  stderr %d lines\n",
			s.Name, s.StartupMed, s.IdleRSSMiB, s.PeakRSSMiB, lg*100, loadGenPerRequest(s), other*100, s.LogLines)
	}
	writePaced(w, res, false)
	writeBudget(w, res, false)
	fmt.Fprintln(w, "\nreference bodies")
	for _, c := range res.BodyChecks {
		fmt.Fprintf(w, "  %-26s %6d bytes  %s\n", caseLabel(c.Case), c.Bytes, c.Detail)
	}
	fmt.Fprintln(w, "\ntargets")
	for _, t := range res.Targets {
		fmt.Fprintf(w, "  %-60s %-10s %8s %-5s %-12s %s\n", t.Name, t.Want, measured(t), t.Unit, verdict(t), t.Note)
	}
}

// stateText describes the state the set-up makes (setup.go).
var stateText = fmt.Sprintf("%d verifications with complete configurations in the dev account, %d in a tenant, "+
	"a hosted session completed through the control API with every result field", devVerifications, tenantVerifications)

// measured is a target's value, "–" when it was not measured.
func measured(t target) string {
	if t.Unit == "" {
		return "–"
	}
	return strconv.FormatFloat(t.Value, 'f', -1, 64)
}

// verdict is met, not met, or not measured.
func verdict(t target) string {
	switch {
	case t.Unit == "":
		return "not measured"
	case t.Met:
		return "met"
	}
	return "not met"
}

func totalErrors(s *serverResults) int64 {
	n := s.Mixed.Errors
	for _, r := range s.Ops {
		n += r.Errors
	}
	return n
}

func markdown(res *results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "Load benchmark of %s: %s, %d CPUs, %.1f GiB, Linux %s, %s; load average at start %s.\n",
		res.Time.Format("2006-01-02 15:04 UTC"), m.CPU, m.CPUs, m.MemoryGiB, m.Kernel, m.Go, m.LoadAverage)
	fmt.Fprintf(&b, "%v keep-alive connections, each case alone for %v, then all mixed for %v (after a %v warm-up); load generator on the same machine (%s).\n",
		res.Config["connections"], res.Config["opDuration"], res.Config["mixedDuration"], res.Config["warmup"], driverText(res.Config))
	fmt.Fprintf(&b, "State made through the API before the load: %s.\n", stateText)
	for _, s := range res.Servers {
		fmt.Fprintf(&b, "%s: `%s`.\n", s.Name, s.Command)
	}
	b.WriteString("\n")
	header, body := rows(res)
	fmt.Fprintf(&b, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---:"
	}
	seps[0], seps[len(seps)-1] = "---", "---"
	fmt.Fprintf(&b, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range body {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	b.WriteString("\n| server | startup (median) | idle RSS | peak RSS | errors | load generator CPU | load generator CPU µs/req | other processes' CPU | stderr lines |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range res.Servers {
		lg, other := cpuShares(s)
		fmt.Fprintf(&b, "| %s | %.1f ms | %.1f MiB | %.1f MiB | %d | %.0f%% | %.1f | %.0f%% | %d |\n", s.Name, s.StartupMed, s.IdleRSSMiB, s.PeakRSSMiB, totalErrors(s), lg*100, loadGenPerRequest(s), other*100, s.LogLines)
	}
	writePaced(&b, res, true)
	writeBudget(&b, res, true)
	b.WriteString("\n| case | body bytes | reference's body |\n| --- | ---: | --- |\n")
	for _, c := range res.BodyChecks {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", caseLabel(c.Case), c.Bytes, c.Detail)
	}
	b.WriteString("\n| target | wanted | measured | met |\n| --- | --- | ---: | --- |\n")
	for _, t := range res.Targets {
		met := verdict(t)
		note := ""
		if t.Note != "" {
			note = " (" + t.Note + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s%s | %s |\n", t.Name, t.Want, measured(t), t.Unit, note, met)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	return b.String()
}

// cpuShares averages, over a server's runs, the shares of the machine's CPUs the load generator
// and other processes used.
func cpuShares(s *serverResults) (loadGen, other float64) {
	runs := append(append([]*runResult{}, s.Ops...), s.Mixed)
	var secs float64
	for _, r := range runs {
		loadGen += r.LoadGenCPU * r.Seconds
		other += r.OtherCPU * r.Seconds
		secs += r.Seconds
	}
	if secs == 0 {
		return 0, 0
	}
	return loadGen / secs, other / secs
}

// loadGenPerRequest averages, over a server's runs, the load generator's CPU µs per request.
func loadGenPerRequest(s *serverResults) float64 {
	var us, n float64
	for _, r := range append(append([]*runResult{}, s.Ops...), s.Mixed) {
		k := float64(r.Requests + r.Errors)
		us += r.LoadGenCPUus * k
		n += k
	}
	if n == 0 {
		return 0
	}
	return us / n
}

// driverText names the load generator's driver of a report's configuration.
func driverText(config map[string]any) string {
	switch config["driver"] {
	case driverEpoll:
		if loops, ok := config["epollLoops"].(int); ok {
			return driver{kind: driverEpoll, loops: loops}.String()
		}
		return "epoll driver"
	case driverGoroutines:
		return driver{kind: driverGoroutines}.String()
	}
	return "driver not recorded"
}
