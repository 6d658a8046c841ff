package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// The blocking HTTP/1.1 client and the "goroutines" driver of the load generator: N keep-alive
// connections, each driven by one goroutine that writes a prebuilt HTTP/1.1 request and reads the
// whole response before sending the next (closed loop, like wrk). The client does as little as it
// can (no http.Client, no header maps) so that, on a machine it shares with the server, most of
// the CPU goes to the server under test. The setup, the probes and the health checks always use
// this client; the load itself may instead run on the cheaper epoll driver (epoll_linux.go).

// request is a prebuilt HTTP/1.1 request and the status that counts as a success.
type request struct {
	op     string
	raw    []byte
	status int
	// method, target (path and query) and auth (the Authorization header, "" when none) are
	// what the reference server matches a request by.
	method, target, auth string
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
	return request{op: op, raw: b.Bytes(), status: status, method: method, target: target, auth: auth}
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
	if status, err = parseStatusLine(line); err != nil {
		return 0, nil, false, err
	}
	f := newFraming()
	for {
		h, err2 := c.br.ReadSlice('\n')
		if err2 != nil {
			return 0, nil, false, err2
		}
		if len(h) <= 2 { // the blank line
			break
		}
		if err = f.header(h); err != nil {
			return 0, nil, false, err
		}
	}
	closeAfter = f.closeAfter
	var sink io.Writer = io.Discard
	var buf *bytes.Buffer
	if keep {
		buf = &bytes.Buffer{}
		sink = buf
	}
	switch {
	case f.chunked:
		for {
			sizeLine, err2 := c.br.ReadSlice('\n')
			if err2 != nil {
				return 0, nil, false, err2
			}
			n, err2 := parseChunkSize(sizeLine)
			if err2 != nil {
				return 0, nil, false, err2
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
	case f.length >= 0:
		if _, err = io.CopyN(sink, c.br, int64(f.length)); err != nil {
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

// The helpers below parse the pieces of a response; both drivers use them, so that they accept
// and reject exactly the same responses. Lines are passed with their line ending.

// parseStatusLine returns the status code of a status line such as "HTTP/1.1 200 OK\r\n".
func parseStatusLine(line []byte) (int, error) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, errMalformed
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errMalformed
	}
	return status, nil
}

// framing is what a response's headers say about its body and its connection.
type framing struct {
	length     int  // Content-Length, or -1 when absent
	chunked    bool // Transfer-Encoding: chunked
	closeAfter bool // Connection: close
}

func newFraming() framing { return framing{length: -1} }

// header applies one header line ("Name: value\r\n") to f; other headers are ignored.
func (f *framing) header(h []byte) error {
	name, value, ok := bytes.Cut(h, []byte(":"))
	if !ok {
		return errMalformed
	}
	value = bytes.TrimSpace(value)
	switch {
	case asciiEqualFold(name, "content-length"):
		n, err := strconv.Atoi(string(value))
		if err != nil {
			return errMalformed
		}
		f.length = n
	case asciiEqualFold(name, "transfer-encoding"):
		f.chunked = asciiEqualFold(value, "chunked")
	case asciiEqualFold(name, "connection"):
		f.closeAfter = asciiEqualFold(value, "close")
	}
	return nil
}

// parseChunkSize returns the size of a chunk from its size line ("1a;ext=1\r\n").
func parseChunkSize(line []byte) (int64, error) {
	sizeText, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
	n, err := strconv.ParseInt(string(sizeText), 16, 64)
	if err != nil {
		return 0, errMalformed
	}
	return n, nil
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

// loadGoroutines is the portable driver: one goroutine per connection, each blocking on its
// connection through the Go runtime's netpoller. It returns the samples of every connection.
func loadGoroutines(run *loadRun, addr string, conns int) [][]sample {
	samples := make([][]sample, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &conn{addr: addr}
			defer c.close()
			local := make([]sample, 0, 1<<14)
			for i := w; ; i++ {
				var t0 time.Time
				if p := run.pace; p != nil {
					t0 = p.due(w, int64(i-w))
					if !run.beginAt(t0) {
						break
					}
					time.Sleep(time.Until(t0))
				} else {
					var ok bool
					if t0, ok = run.begin(); !ok {
						break
					}
				}
				k := i % len(run.reqs)
				status, _, err := c.do(run.reqs[k].raw, false)
				lat := time.Since(t0)
				if err != nil || status != run.reqs[k].status {
					if err == nil {
						err = run.statusError(k, status)
					}
					run.fail(err)
					if c.c == nil {
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
	return samples
}
