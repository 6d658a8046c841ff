package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The epoll driver (see load.go), in the style of wrk: a few event loops, each locked to its own
// OS thread, each owning a share of the connections as non-blocking sockets registered with its
// own epoll instance. A loop waits in epoll_wait for any of its connections to become ready, then
// moves each ready one forward: finish writing the request, or read what has arrived of the
// response and, once it is whole, record the latency and write the next request. No goroutine is
// parked or woken per request, and one epoll_wait often returns several ready connections, so a
// request costs one write, one read and a share of an epoll_wait (about 2 requests per wait
// against the mock, 32 connections, 1 loop). On the 2-CPU machine the benchmark runs on, one
// loop costs less CPU per request than two (about 14 against 22 µs), hence --loops 1.
//
// A connection's life, one request after the other:
//
//	next ─▶ [dial ─▶ connecting] ─▶ writing ─▶ reading ─▶ complete ─▶ next …
//
// It is registered for EPOLLOUT while it connects or waits to write the rest of its request,
// and for EPOLLIN while it waits for the response (level-triggered: a connection with unread
// bytes is reported again). A round trip that breaks (the server closed the connection, a read
// or write error, a malformed response, a timeout) closes the connection and resends the request
// once on a new one; a dial that fails, or a second break, fails the request, and the
// connection, left without a socket, sleeps 1 ms before its next request. All as conn.do and
// loadGoroutines do.

const epollSupported = true

const (
	dialTimeout      = 5 * time.Second  // as conn.dial
	roundTripTimeout = 30 * time.Second // as conn.roundTrip
	timeoutCheck     = 100 * time.Millisecond
	readBufferSize   = 64 << 10 // as conn's bufio.Reader, which also bounds a line's length
)

// connState is where a connection is in its closed loop.
type connState uint8

const (
	stateConnecting connState = iota + 1 // a non-blocking connect is under way (EPOLLOUT)
	stateWriting                         // the request is partly written (EPOLLOUT)
	stateReading                         // waiting for (the rest of) the response (EPOLLIN)
	stateSleeping                        // a failed request left it without a connection: waits 1 ms
	stateHeld                            // a paced run: its next request is not due yet
	stateDone                            // the run is over for it
)

// econn is one connection of an event loop.
type econn struct {
	id     int                // index in its loop's conns, kept in its epoll registration
	fd     int                // the socket, -1 when not connected
	gen    int32              // counts the sockets the connection has had, to drop an event of an old one
	events uint32             // what fd is registered for; 0: not registered
	ev     syscall.EpollEvent // the registration, kept here so that epoll_ctl does not allocate
	state  connState

	num     int       // the connection's number in the run (0 ≤ num < conns), for its pace
	seq     int64     // a paced run: the connection's requests scheduled so far
	next    int       // the request counter: the next request is reqs[next%len(reqs)]
	k       int       // the request in flight
	attempt int       // 1 once the request has been resent on a new connection
	written int       // bytes of the request written
	t0      time.Time // when the request began
	timeout time.Time // of the connect or the round trip under way
	wake    time.Time // when a sleeping or held connection sends its next request

	in   []byte // read buffer; in[r:w] has arrived and is not parsed yet
	r, w int
	p    respParser
}

// epollLoop is one event loop and the connections it owns.
type epollLoop struct {
	run       *loadRun
	addr      string
	family    int
	sa        syscall.Sockaddr
	epfd      int
	conns     []*econn
	active    int // connections not done
	sleeping  int // connections in stateSleeping or stateHeld
	nextCheck time.Time
	samples   []sample
}

// loadEpoll runs the load on loops event loops; connection w (0 ≤ w < conns) belongs to loop
// w%loops and starts with request w, like the goroutine driver's connection w. It returns the
// samples of every loop.
func loadEpoll(run *loadRun, addr string, conns, loops int) ([][]sample, error) {
	loops = max(1, min(loops, conns))
	ls := make([]*epollLoop, loops)
	for i := range ls {
		var err error
		if ls[i], err = newEpollLoop(run, addr); err != nil {
			for _, l := range ls[:i] {
				_ = syscall.Close(l.epfd)
			}
			return nil, err
		}
	}
	for w := range conns {
		l := ls[w%loops]
		l.conns = append(l.conns, &econn{id: len(l.conns), fd: -1, num: w, next: w, in: make([]byte, readBufferSize)})
	}
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The loop owns its thread: it blocks in epoll_wait itself, not in the netpoller.
			runtime.LockOSThread()
			if run.pace != nil {
				// The thread's timers lose their slack; it ends with the loop (a goroutine
				// that exits locked takes its thread with it), so no other goroutine runs on it.
				preciseTimers()
			} else {
				defer runtime.UnlockOSThread()
			}
			l.loop()
		}()
	}
	wg.Wait()
	samples := make([][]sample, loops)
	for i, l := range ls {
		samples[i] = l.samples
	}
	return samples, nil
}

// newEpollLoop makes an event loop, with no connections yet.
func newEpollLoop(run *loadRun, addr string) (*epollLoop, error) {
	// Each loop has a socket address of its own: connect(2) writes into a Sockaddr's buffer.
	family, sa, err := resolveSockaddr(addr)
	if err != nil {
		return nil, err
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	return &epollLoop{run: run, addr: addr, family: family, sa: sa, epfd: epfd, samples: make([]sample, 0, 1<<16)}, nil
}

// resolveSockaddr turns host:port into the socket address connect(2) takes.
func resolveSockaddr(addr string) (family int, sa syscall.Sockaddr, err error) {
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return 0, nil, err
	}
	if ip4 := ta.IP.To4(); ip4 != nil {
		s := &syscall.SockaddrInet4{Port: ta.Port}
		copy(s.Addr[:], ip4)
		return syscall.AF_INET, s, nil
	}
	s := &syscall.SockaddrInet6{Port: ta.Port}
	copy(s.Addr[:], ta.IP.To16()) // no IP: the unspecified address, which connect takes as loopback
	if ta.Zone != "" {
		if ifi, err := net.InterfaceByName(ta.Zone); err == nil {
			s.ZoneId = uint32(ifi.Index)
		}
	}
	return syscall.AF_INET6, s, nil
}

// loop runs the loop's connections until the run is over for all of them.
func (l *epollLoop) loop() {
	defer syscall.Close(l.epfd)
	events := make([]syscall.EpollEvent, len(l.conns))
	l.active = len(l.conns)
	l.nextCheck = time.Now().Add(timeoutCheck)
	for _, c := range l.conns {
		l.next(c)
	}
	for l.active > 0 {
		n, err := epollWait(l.epfd, events, l.waitFor())
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Cannot happen with a valid epoll fd and buffer; end the run of every connection.
			l.run.fail(fmt.Errorf("epoll_wait: %w", err))
			for _, c := range l.conns {
				if c.state != stateDone {
					l.finish(c)
				}
			}
			return
		}
		for _, ev := range events[:n] {
			c := l.conns[ev.Fd]
			if ev.Pad != c.gen || c.fd < 0 {
				continue // an event of a socket the connection has since closed
			}
			switch c.state {
			case stateConnecting:
				l.connected(c)
			case stateWriting:
				l.write(c)
			case stateReading:
				l.read(c)
			case stateHeld:
				// Between two requests nothing should arrive: the server closed the idle
				// connection (EOF) or sent what was not asked for. The next request goes out
				// on a new connection; the socket is closed so that the level-triggered event
				// does not come back.
				l.closeSocket(c)
			}
		}
		l.timers(time.Now())
	}
}

// timers wakes the sleeping connections that are due and, every timeoutCheck, fails the
// connects and round trips that have run out of time.
func (l *epollLoop) timers(now time.Time) {
	if l.sleeping > 0 {
		for _, c := range l.conns {
			if now.Before(c.wake) {
				continue
			}
			switch c.state {
			case stateSleeping:
				l.sleeping--
				l.next(c)
			case stateHeld:
				l.sleeping--
				l.send(c)
			}
		}
	}
	if now.Before(l.nextCheck) {
		return
	}
	l.nextCheck = now.Add(timeoutCheck)
	for _, c := range l.conns {
		if !now.After(c.timeout) {
			continue
		}
		switch c.state {
		case stateConnecting:
			l.failed(c, fmt.Errorf("dial tcp %s: %w", l.addr, os.ErrDeadlineExceeded))
		case stateWriting, stateReading:
			l.broken(c, os.ErrDeadlineExceeded)
		}
	}
}

// next begins the connection's next request, or ends its run. In a paced run a request that
// is not due yet is held until it is.
func (l *epollLoop) next(c *econn) {
	var t0 time.Time
	if p := l.run.pace; p != nil {
		t0 = p.due(c.num, c.seq)
		c.seq++
		if !l.run.beginAt(t0) {
			l.finish(c)
			return
		}
	} else {
		var ok bool
		if t0, ok = l.run.begin(); !ok {
			l.finish(c)
			return
		}
	}
	c.t0 = t0
	c.k = c.next % len(l.run.reqs)
	c.next++
	c.attempt = 0
	if l.run.pace != nil && time.Now().Before(t0) {
		c.state = stateHeld
		c.wake = t0
		l.sleeping++
		return
	}
	l.send(c)
}

// waitFor is how long epoll_wait may block: until the first sleeping or held connection is due,
// and at most timeoutCheck.
func (l *epollLoop) waitFor() time.Duration {
	wait := timeoutCheck
	if l.sleeping > 0 {
		now := time.Now()
		for _, c := range l.conns {
			if c.state == stateSleeping || c.state == stateHeld {
				wait = max(0, min(wait, c.wake.Sub(now)))
			}
		}
	}
	return wait
}

// send writes the request in flight, on a new connection if there is none.
func (l *epollLoop) send(c *econn) {
	c.written = 0
	if c.fd < 0 {
		l.dial(c)
		return
	}
	c.timeout = c.t0.Add(roundTripTimeout)
	l.write(c)
}

// dial starts a non-blocking connect; the connection is writable once it is established.
func (l *epollLoop) dial(c *econn) {
	fd, err := syscall.Socket(l.family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		l.failed(c, fmt.Errorf("dial tcp %s: socket: %w", l.addr, err))
		return
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1) // as net.Dial
	c.fd = fd
	c.gen++
	c.events = 0
	if err := syscall.Connect(fd, l.sa); err != nil && err != syscall.EINPROGRESS {
		l.failed(c, fmt.Errorf("dial tcp %s: %w", l.addr, err))
		return
	}
	c.state = stateConnecting
	c.timeout = time.Now().Add(dialTimeout)
	l.want(c, syscall.EPOLLOUT)
}

// connected handles the end of a connect: the request goes out, or the dial failed.
func (l *epollLoop) connected(c *econn) {
	soerr, err := syscall.GetsockoptInt(c.fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err == nil && soerr != 0 {
		err = syscall.Errno(soerr)
	}
	if err != nil {
		l.failed(c, fmt.Errorf("dial tcp %s: %w", l.addr, err))
		return
	}
	c.timeout = time.Now().Add(roundTripTimeout)
	l.write(c)
}

// write writes what is left of the request; once it is all out, the connection waits for the
// response.
func (l *epollLoop) write(c *econn) {
	raw := l.run.reqs[c.k].raw
	for c.written < len(raw) {
		n, err := syscall.Write(c.fd, raw[c.written:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			c.state = stateWriting
			l.want(c, syscall.EPOLLOUT)
			return
		case err != nil:
			l.broken(c, fmt.Errorf("write: %w", err))
			return
		}
		c.written += n
	}
	c.state = stateReading
	if !l.want(c, syscall.EPOLLIN) {
		return
	}
	if c.r < c.w {
		l.parse(c) // bytes that came after the previous response start this one
	}
}

// read reads what has arrived of the response and parses it.
func (l *epollLoop) read(c *econn) {
	if c.w == len(c.in) {
		if c.r == 0 {
			// A line longer than the buffer, which conn's bufio.Reader refuses too.
			l.broken(c, bufio.ErrBufferFull)
			return
		}
		c.w = copy(c.in, c.in[c.r:c.w])
		c.r = 0
	}
	n, err := syscall.Read(c.fd, c.in[c.w:])
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
		return // nothing after all; epoll reports the connection again when there is
	case err != nil:
		l.broken(c, fmt.Errorf("read: %w", err))
		return
	case n == 0:
		// The server closed the connection: the end of a body without length, or a failure.
		if err := c.p.eof(); err != nil {
			l.broken(c, err)
			return
		}
		l.complete(c)
		return
	}
	c.w += n
	l.parse(c)
}

// parse feeds the unparsed bytes to the response parser.
func (l *epollLoop) parse(c *econn) {
	n, done, err := c.p.feed(c.in[c.r:c.w])
	c.r += n
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	switch {
	case err != nil:
		l.broken(c, err)
	case done:
		l.complete(c)
	}
}

// complete records a whole response and moves on to the next request.
func (l *epollLoop) complete(c *econn) {
	lat := time.Since(c.t0)
	status, closeAfter := c.p.status, c.p.f.closeAfter
	c.p.reset()
	if closeAfter {
		l.closeSocket(c)
	}
	if status != l.run.reqs[c.k].status {
		l.run.fail(l.run.statusError(c.k, status))
		if c.fd < 0 {
			// The goroutine driver pauses after any failure that left it without a connection.
			l.sleep(c)
			return
		}
	} else {
		l.samples = append(l.samples, sample{op: c.k, lat: int64(lat)})
	}
	l.next(c)
}

// broken handles a round trip that failed on an established connection (the server closed it,
// a read or write error, a malformed response, a timeout): the connection is closed, and the
// request resent once on a new one.
func (l *epollLoop) broken(c *econn, err error) {
	l.closeSocket(c)
	if c.attempt == 0 {
		c.attempt = 1
		l.send(c)
		return
	}
	l.failed(c, err)
}

// failed counts the request in flight as failed; the connection, closed, sends its next
// request after a millisecond.
func (l *epollLoop) failed(c *econn, err error) {
	l.closeSocket(c)
	l.run.fail(err)
	l.sleep(c)
}

func (l *epollLoop) sleep(c *econn) {
	c.state = stateSleeping
	c.wake = time.Now().Add(time.Millisecond)
	l.sleeping++
}

// finish ends the connection's run.
func (l *epollLoop) finish(c *econn) {
	l.closeSocket(c)
	c.state = stateDone
	l.active--
}

// want registers the connection's socket for events (EPOLLIN or EPOLLOUT), and reports whether
// that worked; on failure the round trip is broken.
func (l *epollLoop) want(c *econn, events uint32) bool {
	if c.events == events {
		return true
	}
	op := syscall.EPOLL_CTL_MOD
	if c.events == 0 {
		op = syscall.EPOLL_CTL_ADD
	}
	c.ev = syscall.EpollEvent{Events: events, Fd: int32(c.id), Pad: c.gen}
	if err := syscall.EpollCtl(l.epfd, op, c.fd, &c.ev); err != nil {
		err = fmt.Errorf("epoll_ctl: %w", err)
		if c.state == stateConnecting {
			l.failed(c, err)
		} else {
			l.broken(c, err)
		}
		return false
	}
	c.events = events
	return true
}

// closeSocket closes the connection's socket, if any (which also removes it from the epoll
// set), and forgets what was read from it.
func (l *epollLoop) closeSocket(c *econn) {
	if c.fd >= 0 {
		_ = syscall.Close(c.fd)
		c.fd = -1
	}
	c.events = 0
	c.r, c.w = 0, 0
	c.p.reset()
}

// sysEpollPwait2 is epoll_pwait2(2)'s number, the same on every architecture (Linux 5.11 on).
const sysEpollPwait2 = 441

// epollPwait2Missing is set once the kernel has refused epoll_pwait2.
var epollPwait2Missing atomic.Bool

// epollWait is epoll_wait with a timeout in nanoseconds (epoll_pwait2), so that a paced run
// sends its requests when they are due rather than on the next millisecond. On a kernel without
// epoll_pwait2 the timeout is rounded up to a millisecond.
func epollWait(epfd int, events []syscall.EpollEvent, timeout time.Duration) (int, error) {
	if !epollPwait2Missing.Load() {
		ts := syscall.NsecToTimespec(int64(timeout))
		n, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(&ts)), 0, 0)
		if errno != syscall.ENOSYS {
			if errno != 0 {
				return 0, errno
			}
			return int(n), nil
		}
		epollPwait2Missing.Store(true)
	}
	return syscall.EpollWait(epfd, events, int((timeout+time.Millisecond-1)/time.Millisecond))
}

// preciseTimers asks the kernel to wake the calling thread within a microsecond of a timeout
// instead of within its default 50 µs of slack (prctl PR_SET_TIMERSLACK), for a paced run's
// schedule. The event loop calls it on its own locked thread.
func preciseTimers() {
	const prSetTimerslack = 29
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, uintptr(time.Microsecond), 0)
}
