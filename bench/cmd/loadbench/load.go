package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// A load run: conns keep-alive connections, each a closed loop (send one request, read the whole
// response, record its latency, send the next), until a request count or a duration is reached.
// Two drivers run the connections, with the same semantics and the same results:
//
//   - goroutines (client.go): one goroutine per connection on blocking net.Conn calls. Portable,
//     but every read parks the goroutine and wakes it through the runtime's netpoller: about
//     19–24 µs of CPU per request on the 2-CPU benchmark machine, nearly what the bare net/http
//     reference server spends.
//   - epoll (epoll_linux.go): wrk's design, a few event loops, each on its own OS thread, owning
//     a share of the connections as non-blocking sockets watched by one epoll instance. One
//     epoll_wait returns every ready connection, and no goroutine is parked or woken per request:
//     about 13–15 µs per request, most of it the kernel's loopback TCP, which leaves more of the
//     machine to the server under test. Linux only.
//
// The CPU the generator spends per request is reported with every run (loadGenCpuUsPerRequest).

// Driver names, as given to --driver.
const (
	driverEpoll      = "epoll"
	driverGoroutines = "goroutines"
)

// driver is how the load generator runs its connections.
type driver struct {
	kind  string // driverEpoll or driverGoroutines
	loops int    // epoll: the number of event loops (OS threads)
}

func (d driver) String() string {
	if d.kind == driverEpoll {
		if d.loops == 1 {
			return "epoll driver, 1 event loop"
		}
		return fmt.Sprintf("epoll driver, %d event loops", d.loops)
	}
	return "goroutines driver, one per connection"
}

// defaultDriver is epoll where there is epoll (Linux), else goroutines.
func defaultDriver() string {
	if epollSupported {
		return driverEpoll
	}
	return driverGoroutines
}

// newDriver checks the --driver and --loops flags. Where epoll is not available (not Linux) an
// epoll driver falls back to goroutines, with a note on stderr.
func newDriver(kind string, loops int) (driver, error) {
	switch kind {
	case driverGoroutines:
		return driver{kind: kind}, nil
	case driverEpoll:
		if !epollSupported {
			fmt.Fprintln(os.Stderr, "loadbench: no epoll on this system, using the goroutines driver")
			return driver{kind: driverGoroutines}, nil
		}
		if loops < 1 {
			return driver{}, fmt.Errorf("--loops %d: want at least 1", loops)
		}
		return driver{kind: kind, loops: loops}, nil
	}
	return driver{}, fmt.Errorf("--driver %q: want %s or %s", kind, driverEpoll, driverGoroutines)
}

// kernelPerRequest is kernelCounts per request: the read- and write-class system calls and
// the context switches of the server's threads.
type kernelPerRequest struct {
	Reads       float64 `json:"reads"`
	Writes      float64 `json:"writes"`
	Voluntary   float64 `json:"voluntaryContextSwitches"`
	Involuntary float64 `json:"involuntaryContextSwitches"`
}

// runResult is what one load run measured.
type runResult struct {
	Name     string  `json:"name"`
	Label    string  `json:"label,omitempty"` // the case's name in the tables
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50Us"`
	P90us    float64 `json:"p90Us"`
	P99us    float64 `json:"p99Us"`
	P999us   float64 `json:"p999Us"`
	MaxUs    float64 `json:"maxUs"`
	// ServerCPUus is the CPU time the server used per request during the run (user + system, all
	// its threads), which the load generator sharing the machine does not blur.
	ServerCPUus float64 `json:"serverCpuUsPerRequest,omitempty"`
	// LoadGenCPUus is the CPU time the load generator used per request: what it took from the
	// server, with which it shares the machine.
	LoadGenCPUus float64 `json:"loadGenCpuUsPerRequest,omitempty"`
	// LoadGenCPU and OtherCPU are the shares of the machine's CPUs the load generator and every
	// other process (neither server nor load generator) used during the run: a run where other
	// processes were busy is not a clean measurement.
	LoadGenCPU float64 `json:"loadGenCpuShare"`
	// PeakRSSMiB is the server's peak RSS (VmHWM) at the end of the run: the peak across the
	// server's runs so far.
	PeakRSSMiB float64      `json:"peakRssMiB"`
	OtherCPU   float64      `json:"otherCpuShare"`
	PerOp      []*runResult `json:"perOp,omitempty"`
	// Kernel is what the kernel counted of the server per request during the run.
	Kernel *kernelPerRequest `json:"kernelPerRequest,omitempty"`
	// OfferedRPS is the rate a paced run offered (0: a closed loop); RPS is what was answered.
	// Share is the share of the mock's closed-loop throughput the rate was set at.
	OfferedRPS float64 `json:"offeredRps,omitempty"`
	Share      float64 `json:"share,omitempty"`
	// FirstError is the first failure, to tell a broken setup from a slow server.
	FirstError string `json:"firstError,omitempty"`
}

// sample is one successful request: which of the run's requests it was, and its latency in ns.
type sample struct {
	op  int
	lat int64
}

// loadRun is the state of a run that all its connections share, whichever the driver.
type loadRun struct {
	reqs []request
	// length is a closed loop's, counted from its first request: a run whose event loop is
	// scheduled late on a busy machine still sends its requests. deadline is in Unix ns, 0 until
	// a closed loop's first request begins; a paced run's is set with its schedule.
	length      time.Duration
	deadline    atomic.Int64
	maxRequests int64
	pace        *pace        // nil: a closed loop
	sent        atomic.Int64 // requests begun
	errs        atomic.Int64
	firstErr    atomic.Value // string
}

// pace makes a run open-loop, as wrk2 does: every connection sends its requests on a fixed
// schedule, whatever the server does, so that the run offers the same rate to any server. A
// request's latency is counted from the time it was due, not from the time it went out: a server
// that falls behind is charged for the wait of every request queued behind the slow one, which a
// closed loop hides (coordinated omission).
type pace struct {
	origin time.Time     // when connection 0's first request is due
	period time.Duration // between two requests of one connection: conns / rate
	conns  int
}

// newPace is the schedule of rate requests a second over conns connections, from now.
func newPace(rate float64, conns int) *pace {
	return &pace{origin: time.Now(), period: time.Duration(float64(conns) / rate * float64(time.Second)), conns: conns}
}

// due is when connection w's request number seq (from 0) is due: connections are spread evenly
// over one period, so that the whole run sends one request every period/conns.
func (p *pace) due(w int, seq int64) time.Time {
	return p.origin.Add(time.Duration(w)*p.period/time.Duration(p.conns) + time.Duration(seq)*p.period)
}

// rate is the schedule's requests a second.
func (p *pace) rate() float64 {
	return float64(p.conns) / p.period.Seconds()
}

// begin claims one more request for a connection and returns its start time; ok is false once
// the run is over (maxRequests begun, or the deadline passed), and the connection then stops.
func (r *loadRun) begin() (t0 time.Time, ok bool) {
	if r.sent.Add(1) > r.maxRequests {
		return time.Time{}, false
	}
	// Checking the clock every request costs little next to a round trip.
	t0 = time.Now()
	end := r.deadline.Load()
	if end == 0 {
		r.deadline.CompareAndSwap(0, t0.Add(r.length).UnixNano())
		end = r.deadline.Load()
	}
	return t0, t0.UnixNano() <= end
}

// beginAt is begin for a request due at t0 (a paced run): ok is false once maxRequests have
// begun or t0 is past the deadline.
func (r *loadRun) beginAt(t0 time.Time) bool {
	return r.sent.Add(1) <= r.maxRequests && t0.UnixNano() <= r.deadline.Load()
}

// fail counts a failed request and keeps the first failure.
func (r *loadRun) fail(err error) {
	r.errs.Add(1)
	r.firstErr.CompareAndSwap(nil, err.Error())
}

// statusError is the failure of request k answered with an unexpected status.
func (r *loadRun) statusError(k, status int) error {
	return fmt.Errorf("%s: status %d, want %d", r.reqs[k].op, status, r.reqs[k].status)
}

// load drives reqs over conns connections until maxRequests have been sent or d has passed,
// whichever comes first. Connection w sends reqs[w%len(reqs)], then the next one and so on, so a
// mixed run sends every operation equally often. Every connection redials once, and resends,
// when the server has closed it; a failed request is counted and the connection moves on to
// its next request (after a millisecond when it has no connection, so as not to spin).
func load(drv driver, name, addr string, reqs []request, conns int, d time.Duration, maxRequests int64) *runResult {
	return loadPaced(drv, name, addr, reqs, conns, d, maxRequests, 0)
}

// loadPaced is load at a fixed rate of requests a second (open loop, see pace), or in a closed
// loop when rate is 0.
func loadPaced(drv driver, name, addr string, reqs []request, conns int, d time.Duration, maxRequests int64, rate float64) *runResult {
	run := newLoadRun(reqs, conns, d, maxRequests, rate)
	start := time.Now()
	samples := drive(drv, run, addr, conns)
	elapsed := time.Since(start).Seconds()

	all := make([]int64, 0)
	perOp := make([][]int64, len(reqs))
	for _, s := range samples {
		for _, x := range s {
			all = append(all, x.lat)
			perOp[x.op] = append(perOp[x.op], x.lat)
		}
	}
	res := summarize(name, all, elapsed)
	if run.pace != nil {
		res.OfferedRPS = math.Round(run.pace.rate())
	}
	res.Errors = run.errs.Load()
	if e, ok := run.firstErr.Load().(string); ok {
		res.FirstError = e
	}
	if len(reqs) > 1 {
		for k, lats := range perOp {
			res.PerOp = append(res.PerOp, summarize(reqs[k].op, lats, elapsed))
		}
	}
	return res
}

// newLoadRun is the state of a run of d (from its first request, or from now when paced) and at
// most maxRequests, in a closed loop or (rate > 0) paced at rate requests a second over conns
// connections.
func newLoadRun(reqs []request, conns int, d time.Duration, maxRequests int64, rate float64) *loadRun {
	run := &loadRun{reqs: reqs, length: d, maxRequests: maxRequests}
	if rate > 0 {
		run.pace = newPace(rate, conns)
		run.deadline.Store(run.pace.origin.Add(d).UnixNano())
	}
	return run
}

// drive runs run's connections on drv and returns the samples of every connection (epoll: of
// every event loop).
func drive(drv driver, run *loadRun, addr string, conns int) [][]sample {
	if drv.kind == driverEpoll {
		samples, err := loadEpoll(run, addr, conns, drv.loops)
		if err != nil {
			run.fail(err) // the driver could not start: nothing was sent
		}
		return samples
	}
	return loadGoroutines(run, addr, conns)
}

func summarize(name string, lats []int64, seconds float64) *runResult {
	r := &runResult{Name: name, Requests: int64(len(lats)), Seconds: seconds}
	if len(lats) == 0 || seconds == 0 {
		return r
	}
	slices.Sort(lats)
	pct := func(p float64) float64 {
		i := int(p*float64(len(lats))+0.5) - 1
		i = max(0, min(i, len(lats)-1))
		return float64(lats[i]) / 1e3
	}
	r.RPS = float64(len(lats)) / seconds
	r.P50us, r.P90us, r.P99us, r.P999us = pct(0.50), pct(0.90), pct(0.99), pct(0.999)
	r.MaxUs = float64(lats[len(lats)-1]) / 1e3
	return r
}
