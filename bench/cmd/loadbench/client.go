package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator: N keep-alive connections, each driven by one goroutine that writes a
// prebuilt HTTP/1.1 request and reads the whole response before sending the next (closed loop,
// like wrk). The client does as little as it can (no http.Client, no header maps) so that, on a
// machine it shares with the server, most of the CPU goes to the server under test.

// request is a prebuilt HTTP/1.1 request and the status that counts as a success.
type request struct {
	op     string
	raw    []byte
	status int
}

func buildRequest(op, host, method, target, auth, body string, status int) request {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: verifeye-loadbench\r\n", method, target, host)
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
	}
	if body != "" || method == "POST" || method == "PUT" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return request{op: op, raw: b.Bytes(), status: status}
}

// conn is one keep-alive connection.
type conn struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c = nil
	}
}

func (c *conn) dial() error {
	nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c.c = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 64<<10)
	} else {
		c.br.Reset(nc)
	}
	return nil
}

// do sends raw and reads the response; it returns the status and the body when keep is set.
// A connection the server closed is redialled once.
func (c *conn) do(raw []byte, keep bool) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		if c.c == nil {
			if err := c.dial(); err != nil {
				return 0, nil, err
			}
		}
		status, body, closeAfter, err := c.roundTrip(raw, keep)
		if err == nil {
			if closeAfter {
				c.close()
			}
			return status, body, nil
		}
		c.close()
		if attempt > 0 {
			return 0, nil, err
		}
	}
}

var errMalformed = errors.New("malformed response")

func (c *conn) roundTrip(raw []byte, keep bool) (status int, body []byte, closeAfter bool, err error) {
	_ = c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err = c.c.Write(raw); err != nil {
		return
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, errMalformed
	}
	length, chunked := -1, false
	for {
		h, err2 := c.br.ReadSlice('\n')
		if err2 != nil {
			return 0, nil, false, err2
		}
		if len(h) <= 2 { // the blank line
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, nil, false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "content-length"):
			length, err = strconv.Atoi(string(value))
			if err != nil {
				return 0, nil, false, errMalformed
			}
		case asciiEqualFold(name, "transfer-encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "connection"):
			closeAfter = asciiEqualFold(value, "close")
		}
	}
	var sink io.Writer = io.Discard
	var buf *bytes.Buffer
	if keep {
		buf = &bytes.Buffer{}
		sink = buf
	}
	switch {
	case chunked:
		for {
			sizeLine, err2 := c.br.ReadSlice('\n')
			if err2 != nil {
				return 0, nil, false, err2
			}
			sizeText, _, _ := bytes.Cut(bytes.TrimSpace(sizeLine), []byte(";"))
			n, err2 := strconv.ParseInt(string(sizeText), 16, 64)
			if err2 != nil {
				return 0, nil, false, errMalformed
			}
			if n == 0 {
				// Trailers, then the blank line.
				for {
					t, err3 := c.br.ReadSlice('\n')
					if err3 != nil {
						return 0, nil, false, err3
					}
					if len(t) <= 2 {
						break
					}
				}
				break
			}
			if _, err = io.CopyN(sink, c.br, n); err != nil {
				return
			}
			if _, err = c.br.Discard(2); err != nil {
				return
			}
		}
	case length >= 0:
		if _, err = io.CopyN(sink, c.br, int64(length)); err != nil {
			return
		}
	default:
		// No length: the body runs to the end of the connection.
		if _, err = io.Copy(sink, c.br); err != nil {
			return
		}
		closeAfter = true
	}
	if buf != nil {
		body = buf.Bytes()
	}
	return status, body, closeAfter, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// runResult is what one load run measured.
type runResult struct {
	Name     string  `json:"name"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50Us"`
	P90us    float64 `json:"p90Us"`
	P99us    float64 `json:"p99Us"`
	MaxUs    float64 `json:"maxUs"`
	// ServerCPUus is the CPU time the server used per request during the run (user + system, all
	// its threads), which the load generator sharing the machine does not blur.
	ServerCPUus float64 `json:"serverCpuUsPerRequest,omitempty"`
	// LoadGenCPU and OtherCPU are the shares of the machine's CPUs the load generator and every
	// other process (neither server nor load generator) used during the run: a run where other
	// processes were busy is not a clean measurement.
	LoadGenCPU float64      `json:"loadGenCpuShare"`
	OtherCPU   float64      `json:"otherCpuShare"`
	PerOp      []*runResult `json:"perOp,omitempty"`
	// FirstError is the first failure, to tell a broken setup from a slow server.
	FirstError string `json:"firstError,omitempty"`
}

// load drives reqs over conns connections until maxRequests have been sent or d has passed,
// whichever comes first. Each connection cycles through reqs starting at its own offset, so a
// mixed run sends every operation equally often.
func load(name, addr string, reqs []request, conns int, d time.Duration, maxRequests int64) *runResult {
	type sample struct {
		op  int
		lat int64
	}
	var sent atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	samples := make([][]sample, conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &conn{addr: addr}
			defer c.close()
			local := make([]sample, 0, 1<<14)
			for i := w; ; i++ {
				if sent.Add(1) > maxRequests {
					break
				}
				// Checking the clock every request costs little next to a round trip.
				t0 := time.Now()
				if t0.After(deadline) {
					break
				}
				k := i % len(reqs)
				status, _, err := c.do(reqs[k].raw, false)
				lat := time.Since(t0)
				if err != nil || status != reqs[k].status {
					errs.Add(1)
					if err == nil {
						err = fmt.Errorf("%s: status %d, want %d", reqs[k].op, status, reqs[k].status)
					}
					firstErr.CompareAndSwap(nil, err.Error())
					if err != nil && c.c == nil {
						time.Sleep(time.Millisecond) // a refused dial: do not spin
					}
					continue
				}
				local = append(local, sample{op: k, lat: int64(lat)})
			}
			samples[w] = local
		}()
	}
	wg.Wait()
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
	res.Errors = errs.Load()
	if e, ok := firstErr.Load().(string); ok {
		res.FirstError = e
	}
	if len(reqs) > 1 {
		for k, lats := range perOp {
			res.PerOp = append(res.PerOp, summarize(reqs[k].op, lats, elapsed))
		}
	}
	return res
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
	r.P50us, r.P90us, r.P99us = pct(0.50), pct(0.90), pct(0.99)
	r.MaxUs = float64(lats[len(lats)-1]) / 1e3
	return r
}
