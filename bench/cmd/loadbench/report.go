package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// evaluate checks the mock's targets: startup < 30 ms, idle RSS < 20 MiB, ≥ 10x Prism's
// throughput on every operation both serve, ≥ 60% of the reference server's mixed throughput,
// and a mixed p99 within 1.5x the reference server's.
func evaluate(mock, ref, prism *serverResults) []target {
	ts := []target{
		{Name: "startup to first healthy response", Want: "< 30 ms", Value: mock.StartupMed, Unit: "ms", Met: mock.StartupMed < 30,
			Note: fmt.Sprintf("median of %d spawns", len(mock.StartupMs))},
		{Name: "idle RSS", Want: "< 20 MiB", Value: mock.IdleRSSMiB, Unit: "MiB", Met: mock.IdleRSSMiB < 20},
	}
	if prism != nil {
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
		ts = append(ts, target{Name: "throughput vs Prism (every operation both serve)", Want: ">= 10x", Value: round2(worst), Unit: "x",
			Met: worst >= 10, Note: fmt.Sprintf("lowest ratio, on %s; mixed workload %.1fx (the net/http reference: %.1fx mixed, below 10x on %d of %d operations)",
				worstOp, mixed, ratio(ref.Mixed.RPS, prism.Mixed.RPS), refBelow, len(ref.Ops))})
	} else {
		ts = append(ts, target{Name: "throughput vs Prism (every operation both serve)", Want: ">= 10x", Note: "not measured (no --prism)"})
	}
	share := ratio(mock.Mixed.RPS, ref.Mixed.RPS)
	ts = append(ts, target{Name: "mixed throughput vs net/http reference", Want: ">= 60%", Value: round2(share * 100), Unit: "%", Met: share >= 0.6,
		Note: fmt.Sprintf("%.0f vs %.0f req/s", mock.Mixed.RPS, ref.Mixed.RPS)})
	p99 := ratio(mock.Mixed.P99us, ref.Mixed.P99us)
	ts = append(ts, target{Name: "mixed p99 vs net/http reference", Want: "<= 1.5x", Value: round2(p99), Unit: "x", Met: p99 <= 1.5,
		Note: fmt.Sprintf("%.0f vs %.0f µs", mock.Mixed.P99us, ref.Mixed.P99us)})
	return ts
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

// rows is the comparison table: one row per operation and one for the mixed run.
func rows(res *results) (header []string, body [][]string) {
	header = []string{"operation"}
	for _, s := range res.Servers {
		header = append(header, s.Name+" req/s", "p50 µs", "p99 µs", "CPU µs/req")
	}
	mock, ref := res.Servers[0], res.Servers[1]
	header = append(header, "mock/ref")
	var prism *serverResults
	if len(res.Servers) > 2 {
		prism = res.Servers[2]
		header = append(header, "mock/Prism")
	}
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
		row := []string{name}
		for _, s := range res.Servers {
			if r := get(s, name); r != nil {
				row = append(row, fmt.Sprintf("%.0f", r.RPS), fmt.Sprintf("%.0f", r.P50us), fmt.Sprintf("%.0f", r.P99us), fmt.Sprintf("%.1f", r.ServerCPUus))
			} else {
				row = append(row, "–", "–", "–", "–")
			}
		}
		m := get(mock, name)
		if r := get(ref, name); r != nil && m != nil {
			row = append(row, fmt.Sprintf("%.0f%%", ratio(m.RPS, r.RPS)*100))
		} else {
			row = append(row, "–")
		}
		if prism != nil {
			if p := get(prism, name); p != nil && m != nil {
				row = append(row, fmt.Sprintf("%.1fx", ratio(m.RPS, p.RPS)))
			} else {
				row = append(row, "–")
			}
		}
		body = append(body, row)
	}
	return header, body
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
		fmt.Fprintf(w, "%-20s startup %8.1f ms (median)  idle RSS %6.1f MiB  peak RSS %6.1f MiB  CPU share: load generator %3.0f%% (%.1f µs/req), other processes %3.0f%%\n",
			s.Name, s.StartupMed, s.IdleRSSMiB, s.PeakRSSMiB, lg*100, loadGenPerRequest(s), other*100)
	}
	fmt.Fprintln(w, "\ntargets")
	for _, t := range res.Targets {
		verdict := "MISSED"
		if t.Met {
			verdict = "met"
		}
		if t.Unit == "" {
			verdict = "n/a"
		}
		fmt.Fprintf(w, "  %-50s %-9s %8.2f %-3s %-6s %s\n", t.Name, t.Want, t.Value, t.Unit, verdict, t.Note)
	}
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
	fmt.Fprintf(&b, "%v keep-alive connections, each operation alone for %v, then all mixed for %v (after a %v warm-up); load generator on the same machine (%s).\n\n",
		res.Config["connections"], res.Config["opDuration"], res.Config["mixedDuration"], res.Config["warmup"], driverText(res.Config))
	header, body := rows(res)
	fmt.Fprintf(&b, "| %s |\n", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---:"
	}
	seps[0] = "---"
	fmt.Fprintf(&b, "| %s |\n", strings.Join(seps, " | "))
	for _, r := range body {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	b.WriteString("\n| server | startup (median) | idle RSS | peak RSS | errors | load generator CPU | load generator CPU µs/req | other processes' CPU |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, s := range res.Servers {
		lg, other := cpuShares(s)
		fmt.Fprintf(&b, "| %s | %.1f ms | %.1f MiB | %.1f MiB | %d | %.0f%% | %.1f | %.0f%% |\n", s.Name, s.StartupMed, s.IdleRSSMiB, s.PeakRSSMiB, totalErrors(s), lg*100, loadGenPerRequest(s), other*100)
	}
	b.WriteString("\n| target | wanted | measured | met |\n| --- | --- | ---: | --- |\n")
	for _, t := range res.Targets {
		met := "no"
		if t.Met {
			met = "yes"
		}
		if t.Unit == "" {
			met = "not measured"
		}
		note := ""
		if t.Note != "" {
			note = " (" + t.Note + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %.2f %s%s | %s |\n", t.Name, t.Want, t.Value, t.Unit, note, met)
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
