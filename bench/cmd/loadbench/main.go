// Command loadbench is the mock's load benchmark (`make bench`; not part of the test suite).
//
// It builds and starts the real verifeye-mock binary as users run it (--addr 127.0.0.1:0 and
// otherwise its defaults: info logging, to a pipe this program drains), measures its startup
// (spawn → first 200 on /v1/healthz), idle RSS and peak RSS, makes the state the cases read
// through the mock's API and control API (setup.go: 100 verifications with complete
// configurations, a tenant with 20, a completed hosted session with every result field), and
// drives the cases (ops.go: healthz, get-all (20), get-all (100), get (full), signature create
// and validate, get-session-result (full), create-session) over keep-alive connections with its
// own load generator: each alone, then all of them mixed. It measures a bare net/http server
// (bench/cmd/refserver) answering the same requests with the mock's own answers, checked byte
// for byte (identity.go), the same way, as the practical ceiling, and, with --prism, Stoplight
// Prism mocking the same openapi.yaml. It prints a table and writes bench/results/latest.json and
// bench/results/latest.md. --quick runs the whole pipeline in a few seconds (for tests).
//
// The load generator shares the machine with the server under test, so every µs of CPU it spends
// per request is taken from the server. Its default driver on Linux is therefore an epoll event
// loop in the style of wrk (--driver epoll, --loops); --driver goroutines runs one goroutine per
// connection instead, portable but about 1.5 times as costly per request (see load.go).
//
//	go run ./bench/cmd/loadbench [--conns 32] [--duration 3s] [--mixed 10s] [--driver epoll] [--prism]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

const devAPIKey = "ZGV2LWFjY291bnQ6dmVyaWZleWUtbW9jay1kZXYtc2VjcmV0" // mockserver.DevAPIKey

type config struct {
	root        string
	conns       int
	duration    time.Duration
	mixed       time.Duration
	warmup      time.Duration
	maxRequests int64
	startups    int
	prism       bool
	prismDir    string
	out         string
	mockBin     string
	refBin      string
	mockEnv     multiFlag
	ops         string
	noRef       bool
	budget      []time.Duration
	quiet       float64
	driver      driver
	quick       bool
	paced       []float64
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var c config
	flag.StringVar(&c.root, "root", ".", "the repository root (where openapi.yaml is)")
	flag.IntVar(&c.conns, "conns", 32, "keep-alive connections")
	flag.DurationVar(&c.duration, "duration", 3*time.Second, "length of each single-operation run")
	flag.DurationVar(&c.mixed, "mixed", 10*time.Second, "length of the mixed run")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "mixed warm-up before the measured runs of each server")
	flag.Int64Var(&c.maxRequests, "requests", 5_000_000, "at most this many requests per run")
	flag.IntVar(&c.startups, "startups", 5, "spawns per server for the startup time (the median is reported)")
	flag.BoolVar(&c.prism, "prism", false, "also measure Stoplight Prism (installed with npm into --prism-dir)")
	flag.StringVar(&c.prismDir, "prism-dir", "bench/.prism", "where Prism is installed")
	flag.StringVar(&c.out, "out", "bench/results", "directory for latest.json and latest.md")
	flag.StringVar(&c.mockBin, "mock-bin", "", "a verifeye-mock binary to measure instead of building ./cmd/verifeye-mock")
	flag.StringVar(&c.refBin, "ref-bin", "", "a reference server binary to measure instead of building ./bench/cmd/refserver (for profiling it under the same load)")
	flag.Var(&c.mockEnv, "mock-env", "KEY=VALUE for the mock's environment only, e.g. GOGC=400 (repeatable; for experiments)")
	flag.StringVar(&c.ops, "ops", "", "comma-separated cases to run (default: all): healthz,get-all-20,get-all-100,get,signature-create,signature-validate,get-session-result,create-session")
	flag.BoolVar(&c.noRef, "no-ref", false, "skip the reference server (for profiling the mock alone)")
	flag.Func("budget", "comma-separated amounts of CPU work, e.g. 2us,5us,10us: also measure the reference server with that much work added to every request (timed alone in process), to show what per-request work costs a bare server", func(v string) (err error) {
		c.budget, err = parseBudget(v)
		return err
	})
	flag.Float64Var(&c.quiet, "wait-quiet", 0, "before starting, wait (up to 2 min) until the 1-minute load average is below this (0: do not wait)")
	driverName := flag.String("driver", defaultDriver(), "how the load generator runs its connections: epoll (Linux: event loops on non-blocking sockets, cheapest) or goroutines (one per connection)")
	loops := flag.Int("loops", 1, "event loops (OS threads) of the epoll driver (on 2 CPUs, 1 costs the least CPU per request)")
	c.paced = defaultPaced
	flag.Func("paced", "shares of the mock's closed-loop throughput, separated by commas (default 0.1,0.5): also run every case open-loop at each share, and the reference at the same rates, to compare latencies at an equal offered load (0: none)", func(v string) (err error) {
		c.paced, err = parseShares(v)
		return err
	})
	flag.BoolVar(&c.quick, "quick", false, "a short run of the whole pipeline, for tests: "+quickText+" (overrides those flags)")
	flag.Parse()
	if c.quick {
		c = quickConfig(c)
	}
	var err error
	if c.driver, err = newDriver(*driverName, *loops); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

// results is the whole report, as written to latest.json.
type results struct {
	Time    time.Time        `json:"time"`
	Machine machine          `json:"machine"`
	Config  map[string]any   `json:"config"`
	Servers []*serverResults `json:"servers"`
	Targets []target         `json:"targets"`
	// BodyChecks compare, case by case, the reference server's answer with the mock's.
	BodyChecks []bodyCheck `json:"bodyChecks"`
	// Budget is the reference server again with work added to every request (--budget).
	Budget []budgetRun `json:"budget,omitempty"`
	Notes  []string    `json:"notes,omitempty"`
}

type serverResults struct {
	Name       string       `json:"name"`
	Command    string       `json:"command"`
	StartupMs  []float64    `json:"startupMs"`
	StartupMed float64      `json:"startupMedianMs"`
	IdleRSSMiB float64      `json:"idleRssMiB"`
	PeakRSSMiB float64      `json:"peakRssMiB"`
	Ops        []*runResult `json:"ops"`
	Mixed      *runResult   `json:"mixed"`
	// Paced are the cases and the mixed run again at a fixed rate (--paced).
	Paced       []*runResult `json:"paced,omitempty"`
	Unsupported []string     `json:"unsupported,omitempty"`
	// LogLines and LogBytes are what the server wrote to stderr (the mock's log) during the run.
	LogLines int64 `json:"logLines"`
	LogBytes int64 `json:"logBytes"`
}

type target struct {
	Name  string  `json:"name"`
	Want  string  `json:"want"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Met   bool    `json:"met"`
	Note  string  `json:"note,omitempty"`
}

func run(c config) error {
	root, err := filepath.Abs(c.root)
	if err != nil {
		return err
	}
	spec := filepath.Join(root, "openapi.yaml")
	if _, err := os.Stat(spec); err != nil {
		return fmt.Errorf("no openapi.yaml in %s (use --root)", root)
	}
	tmp, err := os.MkdirTemp("", "loadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bins, err := buildServers(c, root, tmp)
	if err != nil {
		return err
	}

	waitQuiet(c.quiet)
	res := newResults(c)
	fmt.Printf("machine: %s, %d CPUs, %.1f GiB, %s, load average %s\n", res.Machine.CPU, res.Machine.CPUs,
		res.Machine.MemoryGiB, res.Machine.Go, res.Machine.LoadAverage)
	fmt.Printf("load generator: %d connections, %s\n", c.conns, c.driver)

	// The mock first: its answers become the reference server's canned responses. It runs with
	// its defaults, as users run it: info logging to stderr (a pipe drained by this program).
	mockArgv := []string{bins.mock, "--addr", "127.0.0.1:0"}
	var canned []cannedResponse
	var samples map[string]answer
	pc := newPacing(c.paced)
	mock, err := measure(c, "verifeye-mock", mockArgv, c.mockEnv, root, "", pc, func(s *server) ([]request, error) {
		reqs, cr, sm, err := setupMock(s.addr)
		canned, samples = cr, sm
		return reqs, err
	})
	if err != nil {
		return err
	}
	res.Servers = append(res.Servers, mock)

	if c.noRef {
		printReport(os.Stdout, &results{Machine: res.Machine, Config: res.Config, Servers: []*serverResults{mock, mock}})
		return nil
	}
	ref, err := measureReference(c, root, tmp, bins.ref, canned, pc.follow(), func(addr string, reqs []request) {
		res.BodyChecks = checkBodies(addr, reqs, canned, samples)
	})
	if err != nil {
		return err
	}
	res.Servers = append(res.Servers, ref)
	if res.Budget, err = measureBudget(c, root, tmp, bins.ref, canned, pc); err != nil {
		return err
	}

	var prism *serverResults
	if bins.prism != "" {
		if prism, err = measurePrism(c, root, bins.prism, spec); err != nil {
			return err
		}
		res.Servers = append(res.Servers, prism)
	}

	res.Targets = evaluate(mock, ref, prism, res.BodyChecks)
	compareBudget(res.Targets, ref, res.Budget)
	if prism == nil {
		res.Notes = append(res.Notes, "Prism was not measured (run with --prism, which needs npm).")
	}
	printReport(os.Stdout, res)
	if err := writeResults(c, root, res); err != nil {
		return err
	}
	if !bodiesOK(res.BodyChecks) {
		return errors.New("the reference server's answers are not the mock's (see the body check)")
	}
	return nil
}

// waitQuiet waits, up to 2 minutes, until the 1-minute load average is below quiet (0: does not
// wait).
func waitQuiet(quiet float64) {
	if quiet <= 0 {
		return
	}
	for end := time.Now().Add(2 * time.Minute); loadAverage1() >= quiet && time.Now().Before(end); {
		time.Sleep(5 * time.Second)
	}
}

// quickText describes --quick.
const quickText = "8 connections, 200ms per case, 400ms mixed, 100ms warm-up, 1 spawn, no Prism"

// quickConfig is c for --quick.
func quickConfig(c config) config {
	c.conns, c.duration, c.mixed, c.warmup, c.startups, c.prism = 8, 200*time.Millisecond, 400*time.Millisecond, 100*time.Millisecond, 1, false
	return c
}

// serverBins are the servers under test: the mock's binary, the reference server's and Prism's
// (empty without --prism).
type serverBins struct{ mock, ref, prism string }

// buildServers builds the mock (unless --mock-bin names one) and the reference server into tmp,
// and with --prism installs Prism.
func buildServers(c config, root, tmp string) (serverBins, error) {
	bins := serverBins{mock: c.mockBin, ref: filepath.Join(tmp, "refserver")}
	if bins.mock == "" {
		bins.mock = filepath.Join(tmp, "verifeye-mock")
		if err := goBuild(root, bins.mock, "./cmd/verifeye-mock"); err != nil {
			return bins, err
		}
	}
	if c.refBin != "" {
		bins.ref = c.refBin
	} else if err := goBuild(root, bins.ref, "./bench/cmd/refserver"); err != nil {
		return bins, err
	}
	if c.prism {
		var err error
		if bins.prism, err = installPrism(root, c.prismDir); err != nil {
			return bins, err
		}
	}
	return bins, nil
}

// newResults starts the results of a run: its time, the machine and the settings.
func newResults(c config) *results {
	res := &results{Time: time.Now().UTC(), Machine: describeMachine(), Config: map[string]any{
		"connections": c.conns, "opDuration": c.duration.String(), "mixedDuration": c.mixed.String(),
		"warmup": c.warmup.String(), "maxRequestsPerRun": c.maxRequests, "startupSpawns": c.startups,
		"driver": c.driver.kind, "pacedShares": c.paced,
	}}
	if c.driver.kind == driverEpoll {
		res.Config["epollLoops"] = c.driver.loops
	}
	return res
}

// measureReference measures the reference server answering with the mock's canned answers;
// check is called once it is up, before the load, with its address and the workload.
func measureReference(c config, root, tmp, refBin string, canned []cannedResponse, pc *pacing, check func(addr string, reqs []request)) (*serverResults, error) {
	return measureRef(c, root, tmp, refBin, canned, "net/http reference", nil, pc, check)
}

// measureRef is measureReference under another name, with extra arguments for the server.
func measureRef(c config, root, tmp, refBin string, canned []cannedResponse, name string, extra []string, pc *pacing, check func(addr string, reqs []request)) (*serverResults, error) {
	responses := filepath.Join(tmp, "responses.json")
	if err := writeJSON(responses, canned); err != nil {
		return nil, err
	}
	// The reference server runs with the garbage collector settings the mock's binary defaults to
	// (unless GOGC or GOMEMLIMIT is set for the whole benchmark), so that the ratio compares the
	// servers' work rather than their runtime settings.
	var refEnv []string
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		refEnv = []string{"GOGC=" + mockDefaultGOGC, "GOMEMLIMIT=" + mockDefaultMemoryLimit}
	}
	return measure(c, name, append([]string{refBin, "--addr", "127.0.0.1:0", "--responses", responses}, extra...), refEnv, root, "", pc,
		func(s *server) ([]request, error) {
			reqs := workload(s.addr, fixedIDs, statusOK)
			check(s.addr, reqs)
			return reqs, nil
		})
}

// measurePrism measures Prism serving spec on a port chosen for it.
func measurePrism(c config, root, prismBin, spec string) (*serverResults, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	argv := []string{prismBin, "mock", "-h", "127.0.0.1", "-p", port, "-v", "error", spec}
	return measure(c, "Stoplight Prism", argv, nil, root, addr, nil,
		func(s *server) ([]request, error) { return workload(s.addr, fixedIDs, statusOK), nil })
}

// writeResults writes res to latest.json and latest.md in --out.
func writeResults(c config, root string, res *results) error {
	out := c.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "latest.json"), res); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "latest.md"), []byte(markdown(res)), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(c.out, "latest.json"), filepath.Join(c.out, "latest.md"))
	return nil
}

// measure spawns a server c.startups times for its startup time, keeps the last one running,
// prepares its workload with setup, and runs the load against it: each case alone, then mixed,
// in closed loops, then (with pc) each again at a fixed rate.
func measure(c config, name string, argv, env []string, dir, fixedAddr string, pc *pacing, setup func(*server) ([]request, error)) (*serverResults, error) {
	fmt.Printf("\n== %s\n", name)
	out := &serverResults{Name: name, Command: strings.TrimSpace(strings.Join(env, " ") + " " + strings.Join(append([]string{filepath.Base(argv[0])}, argv[1:]...), " "))}
	timeout := 10 * time.Second
	if fixedAddr != "" {
		timeout = 60 * time.Second // Prism loads Node.js and compiles the spec
	}
	var s *server
	for i := range max(1, c.startups) {
		var err error
		if s, err = startServer(name, argv, env, dir, fixedAddr, timeout); err != nil {
			return nil, err
		}
		out.StartupMs = append(out.StartupMs, ms(s.startup))
		if i < c.startups-1 {
			s.stop()
			if fixedAddr != "" {
				time.Sleep(200 * time.Millisecond) // let the port go
			}
		}
	}
	defer s.stop()
	out.StartupMed = median(out.StartupMs)
	time.Sleep(250 * time.Millisecond) // idle: started, nothing asked yet
	rss, _ := s.memory()
	out.IdleRSSMiB = mib(rss)
	fmt.Printf("startup %.1f ms (median of %d: %v), idle RSS %.1f MiB\n", out.StartupMed, len(out.StartupMs), roundAll(out.StartupMs), out.IdleRSSMiB)

	reqs, err := setup(s)
	if err != nil {
		return nil, fmt.Errorf("%s: setup: %w", name, err)
	}
	ok := probe(c, s, out, reqs)
	if len(ok) == 0 {
		return nil, fmt.Errorf("%s answers none of the operations", name)
	}
	load(c.driver, name+" warm-up", s.addr, ok, c.conns, c.warmup, c.maxRequests)
	for _, r := range ok {
		out.Ops = append(out.Ops, measureRun(c, s, r.op, []request{r}, c.duration, 0))
	}
	out.Mixed = measureRun(c, s, "mixed", ok, c.mixed, 0)
	measurePaced(c, s, out, pc, ok)
	_, hwm := s.memory()
	out.PeakRSSMiB = mib(hwm)
	out.LogLines, out.LogBytes = s.stderr.counts()
	fmt.Printf("peak RSS %.1f MiB; stderr (the log): %d lines, %d bytes\n", out.PeakRSSMiB, out.LogLines, out.LogBytes)
	return out, nil
}

// probe sends every request of the workload once (those --ops picks) and returns those the
// server answers as expected; the others are left out and listed in out.Unsupported.
func probe(c config, s *server, out *serverResults, reqs []request) []request {
	var ok []request
	for _, r := range reqs {
		if c.ops != "" && !slices.Contains(strings.Split(c.ops, ","), r.op) {
			continue
		}
		cn := &conn{addr: s.addr}
		status, body, err := cn.do(r.raw, true)
		cn.close()
		if err != nil || status != r.status {
			out.Unsupported = append(out.Unsupported, r.op)
			fmt.Printf("  %s: %d %v %.200s (left out)\n", r.op, status, err, body)
			continue
		}
		ok = append(ok, r)
	}
	return ok
}

// measureRun drives reqs against s for d, in a closed loop or (rate > 0) at rate requests a
// second, and measures the server's CPU time per request, the load generator's and other
// processes' shares of the machine, and the server's peak RSS so far.
func measureRun(c config, s *server, name string, reqs []request, d time.Duration, rate float64) *runResult {
	k0, self0, busy0, t0 := s.kernelCounts(), selfCPU(), machineBusy(), time.Now()
	rr := loadPaced(c.driver, name, s.addr, reqs, c.conns, d, c.maxRequests, rate)
	rr.Label = caseLabel(name)
	k, self, busy := s.kernelCounts().sub(k0), selfCPU()-self0, machineBusy()-busy0
	server := k.cpu()
	capacity := float64(time.Since(t0)) * float64(runtime.NumCPU())
	if n := rr.Requests + rr.Errors; n > 0 {
		rr.ServerCPUus = math.Round(float64(server.Microseconds())/float64(n)*10) / 10
		rr.LoadGenCPUus = math.Round(float64(self.Microseconds())/float64(n)*10) / 10
		per := func(v uint64) float64 { return math.Round(float64(v)/float64(n)*1000) / 1000 }
		rr.Kernel = &kernelPerRequest{Reads: per(k.reads), Writes: per(k.writes), Voluntary: per(k.voluntary), Involuntary: per(k.involuntary)}
	}
	rr.LoadGenCPU = math.Round(float64(self)/capacity*1000) / 1000
	rr.OtherCPU = math.Round(max(0, float64(busy-server-self))/capacity*1000) / 1000
	_, hwm := s.memory()
	rr.PeakRSSMiB = mib(hwm)
	if rate > 0 {
		fmt.Printf("  %-26s offered %.0f req/s (open loop), p99.9 %.0f µs\n", caseLabel(name)+" (paced)", rate, rr.P999us)
	}
	fmt.Printf("  %-26s %9.0f req/s  p50 %7.0f µs  p99 %7.0f µs  server CPU %5.1f µs/req  peak RSS %6.1f MiB  loadgen %5.1f µs/req %3.0f%%  other %3.0f%%  errors %d %s\n",
		caseLabel(name), rr.RPS, rr.P50us, rr.P99us, rr.ServerCPUus, rr.PeakRSSMiB, rr.LoadGenCPUus, rr.LoadGenCPU*100, rr.OtherCPU*100, rr.Errors, rr.FirstError)
	if rr.Kernel != nil {
		fmt.Printf("  %-26s per request: %.2f reads, %.2f writes, %.2f voluntary and %.2f involuntary context switches\n",
			"", rr.Kernel.Reads, rr.Kernel.Writes, rr.Kernel.Voluntary, rr.Kernel.Involuntary)
	}
	return rr
}

// mockDefaultGOGC is cmd/verifeye-mock's defaultGCPercent (TestRefGOGCIsTheMocks keeps them equal).
const mockDefaultGOGC = "400"

// mockDefaultMemoryLimit is cmd/verifeye-mock's defaultMemoryLimit, in GOMEMLIMIT's form
// (TestRefGOGCIsTheMocks keeps them equal).
const mockDefaultMemoryLimit = "80MiB"

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// installPrism installs @stoplight/prism-cli@5 into dir (once) and returns its binary.
func installPrism(root, dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errNoNPM
	}
	fmt.Printf("installing @stoplight/prism-cli@5 into %s\n", dir)
	cmd := exec.Command(npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", "@stoplight/prism-cli@5")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install @stoplight/prism-cli@5: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", errors.New("npm installed no prism binary")
	}
	return bin, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }
func mib(b uint64) float64       { return math.Round(float64(b)/(1<<20)*10) / 10 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func roundAll(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x*10) / 10
	}
	return out
}
