package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The drivers under test: the epoll driver with one and with two loops, and the goroutines
// driver, which every test also runs so that the two are seen to agree.
var testDrivers = []driver{
	{kind: driverEpoll, loops: 1},
	{kind: driverEpoll, loops: 2},
	{kind: driverGoroutines},
}

// runBoth runs fn once per driver, as a subtest.
func runBoth(t *testing.T, fn func(t *testing.T, drv driver)) {
	for _, drv := range testDrivers {
		t.Run(strings.ReplaceAll(drv.String(), " ", "_"), func(t *testing.T) { fn(t, drv) })
	}
}

// loadN sends exactly n requests (no time limit that a test could reach).
func loadN(drv driver, addr string, reqs []request, conns int, n int64) *runResult {
	return load(drv, "test", addr, reqs, conns, time.Minute, n)
}

func getRequest(op, addr, target string, status int) request {
	return buildRequest(op, addr, "GET", target, "", "", status)
}

// TestDriverCompletesRequests: a mixed run sends exactly the number of requests asked for, every
// operation about as often as the others (each connection cycles through them, and the faster
// connections send more), and all of them answered with their expected status.
func TestDriverCompletesRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/created":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id":"x"}`))
		case "/post":
			body := make([]byte, r.ContentLength)
			_, _ = r.Body.Read(body)
			_, _ = w.Write(body)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	reqs := []request{
		getRequest("ok", addr, "/ok", 200),
		getRequest("created", addr, "/created", 201),
		buildRequest("post", addr, "POST", "/post", "", `{"echo":true}`, 200),
		getRequest("missing", addr, "/missing", 200), // answered 200 too
	}
	runBoth(t, func(t *testing.T, drv driver) {
		const n, conns = 2000, 8
		res := loadN(drv, addr, reqs, conns, n)
		if res.Errors != 0 || res.Requests != n {
			t.Fatalf("%d requests, %d errors (%s); want %d, 0", res.Requests, res.Errors, res.FirstError, n)
		}
		for _, op := range res.PerOp {
			if d := op.Requests - n/int64(len(reqs)); d < -conns || d > conns {
				t.Errorf("%s: %d requests, want %d ± %d", op.Name, op.Requests, n/len(reqs), conns)
			}
		}
		if res.P50us <= 0 || res.P99us < res.P50us {
			t.Errorf("latencies p50 %v µs, p99 %v µs", res.P50us, res.P99us)
		}
	})
}

// TestDriverCountsWrongStatus: a status other than the expected one is an error, not a sample,
// and the connection carries on.
func TestDriverCountsWrongStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	runBoth(t, func(t *testing.T, drv driver) {
		res := loadN(drv, addr, []request{getRequest("nope", addr, "/nope", 200)}, 4, 100)
		if res.Requests != 0 || res.Errors != 100 || res.FirstError != "nope: status 404, want 200" {
			t.Fatalf("%d requests, %d errors (%q); want 0, 100 (status 404)", res.Requests, res.Errors, res.FirstError)
		}
	})
}

// TestDriverDuration: a run bounded by time ends soon after it.
func TestDriverDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	runBoth(t, func(t *testing.T, drv driver) {
		start := time.Now()
		res := load(drv, "test", addr, []request{getRequest("ok", addr, "/", 200)}, 4, 200*time.Millisecond, 1<<40)
		if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
			t.Errorf("took %v for a 200ms run", took)
		}
		if res.Errors != 0 || res.Requests == 0 {
			t.Errorf("%d requests, %d errors (%s)", res.Requests, res.Errors, res.FirstError)
		}
	})
}

// TestDriverChunked: chunked responses (a handler that flushes before it is done) are read whole.
func TestDriverChunked(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 5 {
			fmt.Fprintf(w, "part %d;", i)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	// The handler does send chunks.
	c := &conn{addr: addr}
	defer c.close()
	if err := c.dial(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.c.Write(getRequest("chunked", addr, "/", 200).raw); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if head.WriteString(line); line == "\r\n" {
			break
		}
	}
	if !strings.Contains(strings.ToLower(head.String()), "transfer-encoding: chunked") {
		t.Fatalf("not a chunked response:\n%s", head.String())
	}
	runBoth(t, func(t *testing.T, drv driver) {
		res := loadN(drv, addr, []request{getRequest("chunked", addr, "/", 200)}, 4, 300)
		if res.Errors != 0 || res.Requests != 300 {
			t.Fatalf("%d requests, %d errors (%s); want 300, 0", res.Requests, res.Errors, res.FirstError)
		}
	})
}

// TestDriverRedialsClosedConnection: a server that closes connections, with Connection: close
// or silently after a response (as a server closing an idle keep-alive connection does), costs
// redials but no failed request.
func TestDriverRedialsClosedConnection(t *testing.T) {
	t.Run("connection close header", func(t *testing.T) {
		var accepted atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("bye"))
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				accepted.Add(1)
			}
		}
		srv.Start()
		defer srv.Close()
		addr := srv.Listener.Addr().String()
		runBoth(t, func(t *testing.T, drv driver) {
			before := accepted.Load()
			res := loadN(drv, addr, []request{getRequest("close", addr, "/", 200)}, 4, 200)
			if res.Errors != 0 || res.Requests != 200 {
				t.Fatalf("%d requests, %d errors (%s); want 200, 0", res.Requests, res.Errors, res.FirstError)
			}
			if n := accepted.Load() - before; n < 200 {
				t.Errorf("%d connections for 200 requests each closed by the server", n)
			}
		})
	})
	t.Run("silent close", func(t *testing.T) {
		// Every connection is closed after its third response, without a word.
		addr, accepted := rawServer(t, func(w *bufio.Writer, i int) bool {
			fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			return i < 2
		})
		runBoth(t, func(t *testing.T, drv driver) {
			before := accepted.Load()
			res := loadN(drv, addr, []request{getRequest("silent", addr, "/", 200)}, 4, 300)
			if res.Errors != 0 || res.Requests != 300 {
				t.Fatalf("%d requests, %d errors (%s); want 300, 0", res.Requests, res.Errors, res.FirstError)
			}
			if n := accepted.Load() - before; n < 100 {
				t.Errorf("%d connections for 300 requests, 3 a connection", n)
			}
		})
	})
}

// TestDriverSmallReads: a response that arrives a few bytes at a time (each write flushed, with
// a pause) is put together across many reads, chunked or not.
func TestDriverSmallReads(t *testing.T) {
	responses := []string{
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"verificationId\":\"abc-12\"}",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nTrailer: t\r\n\r\n",
	}
	for _, resp := range responses {
		addr, _ := rawServer(t, func(w *bufio.Writer, _ int) bool {
			for i := 0; i < len(resp); i += 3 {
				_, _ = w.WriteString(resp[i:min(i+3, len(resp))])
				_ = w.Flush()
				time.Sleep(20 * time.Microsecond)
			}
			return true
		})
		runBoth(t, func(t *testing.T, drv driver) {
			res := loadN(drv, addr, []request{getRequest("dribble", addr, "/", 200)}, 4, 100)
			if res.Errors != 0 || res.Requests != 100 {
				t.Fatalf("%d requests, %d errors (%s); want 100, 0", res.Requests, res.Errors, res.FirstError)
			}
		})
	}
}

// TestDriverRefusedDial: with no server, every request fails (a dial error), none is retried
// more than once, and the run still ends.
func TestDriverRefusedDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	runBoth(t, func(t *testing.T, drv driver) {
		res := loadN(drv, addr, []request{getRequest("refused", addr, "/", 200)}, 2, 20)
		if res.Requests != 0 || res.Errors != 20 || !strings.Contains(res.FirstError, "refused") {
			t.Fatalf("%d requests, %d errors (%q); want 0, 20, connection refused", res.Requests, res.Errors, res.FirstError)
		}
	})
}

// TestNewDriver checks the flags.
func TestNewDriver(t *testing.T) {
	if d, err := newDriver("epoll", 2); err != nil || d.kind != driverEpoll || d.loops != 2 {
		t.Errorf("epoll 2: %+v %v", d, err)
	}
	if d, err := newDriver("goroutines", 0); err != nil || d.kind != driverGoroutines {
		t.Errorf("goroutines: %+v %v", d, err)
	}
	if _, err := newDriver("epoll", 0); err == nil {
		t.Error("epoll with 0 loops accepted")
	}
	if _, err := newDriver("threads", 1); err == nil {
		t.Error("unknown driver accepted")
	}
	if defaultDriver() != driverEpoll {
		t.Errorf("default driver on Linux: %s", defaultDriver())
	}
}

// rawServer is a minimal HTTP/1.1 server for the cases net/http does not produce: it reads each
// request's head (the tests' requests have no body) and lets respond write the answer to the
// i-th request of the connection; respond returns whether to keep the connection open. It
// returns the server's address and a count of the connections it accepted.
func rawServer(t *testing.T, respond func(w *bufio.Writer, i int) bool) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted := &atomic.Int64{}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer nc.Close()
				br, bw := bufio.NewReader(nc), bufio.NewWriter(nc)
				for i := 0; ; i++ {
					for {
						line, err := br.ReadString('\n')
						if err != nil {
							return
						}
						if line == "\r\n" {
							break
						}
					}
					keep := respond(bw, i)
					if bw.Flush() != nil || !keep {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), accepted
}
