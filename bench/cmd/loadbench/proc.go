package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server is a server under test, running as a child process.
type server struct {
	name    string
	cmd     *exec.Cmd
	addr    string        // host:port
	startup time.Duration // spawn → first 200 on /v1/healthz
	stderr  *tailBuffer
}

// startServer spawns argv and measures the time from the spawn to the first 200 on
// /v1/healthz. When addr is empty the server chooses its port and announces it with a line
// "listening on http://HOST:PORT" on stdout; otherwise it is polled on addr.
func startServer(name string, argv []string, env []string, dir, addr string, timeout time.Duration) (*server, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so stop can signal the whole group
	s := &server{name: name, cmd: cmd, stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = s.stderr
	var stdout io.ReadCloser
	if addr == "" {
		var err error
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stdout = s.stderr
	}
	announced := make(chan string, 1)
	spawned := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if stdout != nil {
		go func() {
			sc := bufio.NewScanner(stdout)
			sent := false
			for sc.Scan() {
				line := sc.Text()
				if i := strings.Index(line, "listening on http://"); i >= 0 && !sent {
					announced <- strings.Fields(line[i+len("listening on http://"):])[0]
					sent = true
				}
			}
		}()
	} else {
		announced <- addr
	}
	deadline := spawned.Add(timeout)
	select {
	case s.addr = <-announced:
	case <-time.After(timeout):
		s.stop()
		return nil, fmt.Errorf("%s did not announce its address within %s; stderr:\n%s", name, timeout, s.stderr)
	}
	// Poll tightly: a failed dial is retried at once (or after 2 ms when a port is being waited
	// for, as Prism's is, so as not to steal its CPU).
	pause := time.Duration(0)
	if addr != "" {
		pause = 2 * time.Millisecond
	}
	health := buildRequest("health", s.addr, "GET", "/v1/healthz", "", "", 200)
	for {
		c := &conn{addr: s.addr}
		status, _, err := c.do(health.raw, false)
		c.close()
		if err == nil && status == 200 {
			s.startup = time.Since(spawned)
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not healthy within %s (last: %d %v); stderr:\n%s", name, timeout, status, err, s.stderr)
		}
		if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// stop ends the server and its children (npm-installed CLIs may fork) and waits for it.
func (s *server) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// memory returns VmRSS and VmHWM (peak) in bytes of the server's process and its descendants.
func (s *server) memory() (rss, hwm uint64) {
	for _, pid := range processTree(s.cmd.Process.Pid) {
		r, h := procStatus(pid)
		rss += r
		hwm += h
	}
	return rss, hwm
}

// cpuTicks returns the CPU time (user + system) process pid has used so far, in clockTicks.
func cpuTicks(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	st := string(b)
	f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	// After "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
	u, _ := strconv.ParseUint(f[11], 10, 64)
	sy, _ := strconv.ParseUint(f[12], 10, 64)
	return u + sy
}

// machineBusy returns the CPU time all processes of the machine have used (every CPU's user,
// nice, system, irq and softirq time from /proc/stat).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var ticks uint64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 7 { // steal, guest, guest_nice (guest time is already in user)
			break
		}
		n, _ := strconv.ParseUint(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// selfCPU returns the CPU time the load generator itself has used.
func selfCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	st := string(b)
	f := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
	u, _ := strconv.ParseUint(f[11], 10, 64)
	sy, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+sy) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux everywhere).
const clockTicks = 100

func procStatus(pid int) (rss, hwm uint64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			hwm = kb << 10
		}
	}
	return rss, hwm
}

// processTree lists pid and its descendants.
func processTree(root int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so parse after the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// freePort returns a loopback address that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written to it, and counts the lines and bytes. It drains a
// server's stderr (the mock's log) for the whole run: exec copies the pipe into it.
type tailBuffer struct {
	mu           sync.Mutex
	max          int
	buf          []byte
	lines, bytes int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines += int64(bytes.Count(p, []byte("\n")))
	t.bytes += int64(len(p))
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if len(t.buf)+len(p) > t.max {
		n := copy(t.buf, t.buf[len(t.buf)+len(p)-t.max:])
		t.buf = t.buf[:n]
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// counts returns the lines and bytes written so far.
func (t *tailBuffer) counts() (lines, bytes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lines, t.bytes
}

// machine describes where the benchmark ran.
type machine struct {
	CPU         string  `json:"cpu"`
	CPUs        int     `json:"cpus"`
	MemoryGiB   float64 `json:"memoryGiB"`
	Kernel      string  `json:"kernel"`
	Go          string  `json:"go"`
	LoadAverage string  `json:"loadAverageAtStart"`
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				m.MemoryGiB = float64(int(kb/(1<<20)*10+0.5)) / 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAverage = strings.Join(f[:3], " ")
		}
	}
	return m
}

// loadAverage1 is the 1-minute load average, to wait for a quiet machine.
func loadAverage1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

var errNoNPM = errors.New("npm is not on PATH")

// kernelCounts are what the kernel counts of a server's processes: their CPU time (user +
// system, in clockTicks), the read- and write-class system calls (/proc/PID/io syscr and syscw:
// read, write, readv, writev and the like on files and sockets) and the context switches of
// every thread (/proc/PID/task/TID/status), voluntary (the thread slept: epoll_wait, a futex)
// and not (it was preempted).
type kernelCounts struct {
	ticks, reads, writes, voluntary, involuntary uint64
}

// cpu is the CPU time counted.
func (k kernelCounts) cpu() time.Duration {
	return time.Duration(k.ticks) * time.Second / clockTicks
}

// kernelCounts reads the server's counts so far, in one walk of its process tree.
func (s *server) kernelCounts() kernelCounts {
	var k kernelCounts
	for _, pid := range processTree(s.cmd.Process.Pid) {
		k.ticks += cpuTicks(pid)
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
			for line := range strings.SplitSeq(string(b), "\n") {
				name, value, _ := strings.Cut(line, ": ")
				n, _ := strconv.ParseUint(value, 10, 64)
				switch name {
				case "syscr":
					k.reads += n
				case "syscw":
					k.writes += n
				}
			}
		}
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		for _, t := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, t.Name()))
			if err != nil {
				continue
			}
			for line := range strings.SplitSeq(string(b), "\n") {
				name, value, _ := strings.Cut(line, ":")
				n, _ := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
				switch name {
				case "voluntary_ctxt_switches":
					k.voluntary += n
				case "nonvoluntary_ctxt_switches":
					k.involuntary += n
				}
			}
		}
	}
	return k
}

func (k kernelCounts) sub(o kernelCounts) kernelCounts {
	return kernelCounts{k.ticks - o.ticks, k.reads - o.reads, k.writes - o.writes, k.voluntary - o.voluntary, k.involuntary - o.involuntary}
}
