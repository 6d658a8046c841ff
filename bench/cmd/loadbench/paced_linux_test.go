package main

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The paced (open-loop) runs of both drivers, against local servers.

// pacedTestRun runs reqs on drv, paced at rate over conns connections for d (rate 0: a closed
// loop of at most maxRequests), and returns the run, with the latencies of every sample.
func pacedTestRun(drv driver, addr string, reqs []request, conns int, d time.Duration, maxRequests int64, rate float64) (*loadRun, []time.Duration) {
	run := newLoadRun(reqs, conns, d, maxRequests, rate)
	var lats []time.Duration
	for _, s := range drive(drv, run, addr, conns) {
		for _, x := range s {
			lats = append(lats, time.Duration(x.lat))
		}
	}
	return run, lats
}

// atLeast counts the latencies of at least min.
func atLeast(lats []time.Duration, min time.Duration) int {
	n := 0
	for _, l := range lats {
		if l >= min {
			n++
		}
	}
	return n
}

// TestPacedChargesTheStall: against a server that answers at once but holds one response for
// 300 ms, a paced run (400 req/s over 4 connections, one request every 10 ms per connection, for
// 1 s) sends what its schedule says, about 400 requests, whatever the server does; and the
// requests that were due on the stalled connection while it waited are charged for the wait,
// since their latency counts from when they were due: the one due 10k ms after the stalled one
// cannot be answered before the stall ends, so it took at least 300 − 10k ms, and the stall with
// the 19 after it make at least 20 samples of 100 ms or more. A closed loop on the same server
// (which does not send the next request until the slow one is answered) has just one such
// sample on a quiet machine, the stall's own: the stall hides the requests it held back. (A
// busy machine, with other processes on every CPU, adds a few; half the paced run's 20 are
// allowed, which still tells the two apart.)
func TestPacedChargesTheStall(t *testing.T) {
	const stall, stallAt, slow = 300 * time.Millisecond, 20, 100 * time.Millisecond // the 20th request, some 50 ms into a paced run
	var received atomic.Int64
	addr, _ := rawServer(t, func(w *bufio.Writer, _ int) bool {
		if received.Add(1) == stallAt {
			time.Sleep(stall)
		}
		fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	reqs := []request{getRequest("stall", addr, "/", 200)}
	runBoth(t, func(t *testing.T, drv driver) {
		received.Store(0)
		const rate, conns, d = 400, 4, time.Second
		run, lats := pacedTestRun(drv, addr, reqs, conns, d, 1<<40, rate)
		n := received.Load()
		if errs := run.errs.Load(); errs != 0 || int64(len(lats)) != n {
			t.Fatalf("paced: %d samples, %d errors (%v) for %d requests received", len(lats), errs, run.firstErr.Load(), n)
		}
		if want := rate * d.Seconds(); float64(n) < 0.98*want || float64(n) > 1.02*want {
			t.Errorf("paced: the server received %d requests, want %.0f ± 2%%", n, want)
		}
		if n := atLeast(lats, slow); n < 20 || atLeast(lats, stall) < 1 {
			t.Errorf("paced: %d samples of %v or more (want at least 20), longest %v", n, slow, slices.Max(lats))
		}

		received.Store(0)
		run, lats = pacedTestRun(drv, addr, reqs, conns, time.Minute, 2000, 0)
		if errs := run.errs.Load(); errs != 0 || len(lats) != 2000 {
			t.Fatalf("closed loop: %d samples, %d errors (%v), want 2000, 0", len(lats), errs, run.firstErr.Load())
		}
		if n := atLeast(lats, slow); n < 1 || n >= 10 {
			t.Errorf("closed loop: %d samples of %v or more, want the stall's alone (and fewer than 10)", n, slow)
		}
	})
}

// arrival is a request as a server saw it: when its head was read, and its target.
type arrival struct {
	at     time.Time
	target string
}

// arrivalServer answers every request at once and records, per connection, when each request
// arrived. It returns its address and the arrivals of each connection so far.
func arrivalServer(t *testing.T) (string, func() [][]arrival) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var mu sync.Mutex
	var conns []*[]arrival
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mine := &[]arrival{}
			mu.Lock()
			conns = append(conns, mine)
			mu.Unlock()
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					first, err := br.ReadString('\n')
					at := time.Now()
					for line := first; err == nil && line != "\r\n"; {
						line, err = br.ReadString('\n')
					}
					if err != nil {
						return
					}
					mu.Lock()
					*mine = append(*mine, arrival{at: at, target: strings.Fields(first)[1]})
					mu.Unlock()
					if _, err := nc.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() [][]arrival {
		mu.Lock()
		defer mu.Unlock()
		out := make([][]arrival, len(conns))
		for i, c := range conns {
			out[i] = slices.Clone(*c)
		}
		return out
	}
}

// TestPacedKeepsTheSchedule: a paced run against a server that could answer far faster sends
// each request no earlier than it is due, and most of them soon after (within half a period,
// the median), so that the run offers its rate, no more and no less: about rate × duration
// requests. Each connection w sends reqs[(w+j) % 4] as its j-th request; with 4 requests on 4
// connections the target a server connection sees as its j-th names w, hence when the request
// was due: origin + w × period/4 + j × period. A pause of a busy machine can make a whole run
// late, so a late run is tried again, up to 3 times; a driver that sends late by design is late
// every time.
func TestPacedKeepsTheSchedule(t *testing.T) {
	addr, arrivals := arrivalServer(t)
	const conns = 4
	var reqs []request
	for i := range conns {
		reqs = append(reqs, getRequest("r"+strconv.Itoa(i), addr, "/"+strconv.Itoa(i), 200))
	}
	check := func(t *testing.T, drv driver) {
		const period = 10 * time.Millisecond
		for try := 1; ; try++ {
			med := scheduledRun(t, drv, addr, reqs, arrivals)
			if med <= period/2 {
				return
			}
			if try == 3 {
				t.Fatalf("requests arrived a median %v after they were due (period %v), in each of 3 runs", med, period)
			}
			t.Logf("run %d: requests arrived a median %v after they were due (period %v); again", try, med, period)
		}
	}
	runBoth(t, check)
	t.Run("epoll_wait_in_milliseconds", func(t *testing.T) {
		// A kernel without epoll_pwait2: the event loop waits in whole milliseconds.
		missing := epollPwait2Missing.Load()
		epollPwait2Missing.Store(true)
		defer epollPwait2Missing.Store(missing)
		check(t, driver{kind: driverEpoll, loops: 1})
	})
}

// scheduledRun is a run of TestPacedKeepsTheSchedule, 400 req/s over len(reqs) connections for
// 0.5 s: it checks that no request arrived before it was due and that the schedule's requests
// all arrived, and returns how late they arrived, the median.
func scheduledRun(t *testing.T, drv driver, addr string, reqs []request, arrivals func() [][]arrival) time.Duration {
	t.Helper()
	conns := len(reqs)
	before := len(arrivals())
	const rate, d = 400, 500 * time.Millisecond
	period := time.Second * time.Duration(conns) / rate
	run, lats := pacedTestRun(drv, addr, reqs, conns, d, 1<<40, rate)
	if errs := run.errs.Load(); errs != 0 {
		t.Fatalf("%d errors (%v)", errs, run.firstErr.Load())
	}
	got := arrivals()[before:]
	if len(got) != conns {
		t.Fatalf("%d connections, want %d (no redials)", len(got), conns)
	}
	var late []time.Duration
	for _, as := range got {
		for j, a := range as {
			k, _ := strconv.Atoi(a.target[1:])
			w := ((k-j)%conns + conns) % conns
			due := run.pace.origin.Add(time.Duration(w)*period/time.Duration(conns) + time.Duration(j)*period)
			if a.at.Before(due) {
				t.Errorf("connection %d, request %d arrived %v before it was due", w, j, due.Sub(a.at))
			}
			late = append(late, a.at.Sub(due))
		}
	}
	if n, want := len(late), rate*d.Seconds(); float64(n) < 0.98*want || float64(n) > 1.02*want || len(lats) != n {
		t.Errorf("%d requests arrived, %d samples; want %.0f ± 2%%", n, len(lats), want)
	}
	slices.Sort(late)
	return late[len(late)/2]
}
