// Command refserver is the load benchmark's practical ceiling: a bare net/http server that
// answers each of the benchmark's requests with a fixed response (the mock's own answer to the
// same request during the benchmark's set-up: its status, headers and body, byte for byte), with
// no validation, state, logging or authentication. A request is matched by its method, its
// request target (path and query, as sent) and its Authorization header, so that two cases on
// one path (get-all of two accounts) get their own answers.
//
//	refserver --addr 127.0.0.1:0 --responses responses.json [--work 5us]
//
// It prints "listening on http://ADDR" once it accepts connections. --work adds that much CPU work
// to every request (SHA-256 rounds, timed alone in this process at start): the load benchmark's
// --budget measures what a given amount of work per request costs a bare server's throughput.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// Response is one canned answer, keyed by method, target and Authorization.
type Response struct {
	Method        string            `json:"method"`
	Target        string            `json:"target"` // path and query, as the request line has it
	Authorization string            `json:"authorization,omitempty"`
	Status        int               `json:"status"`
	ContentType   string            `json:"contentType"`
	Headers       map[string]string `json:"headers,omitempty"` // but Date, Content-Length and Content-Type
	// ContentLength: the mock declared the body's length, so the reference does too; otherwise
	// net/http frames the body as it framed the mock's (a length up to 2 KiB, else chunked).
	ContentLength bool   `json:"contentLength"`
	Body          string `json:"body"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	file := flag.String("responses", "", "JSON file with the canned responses ([]Response)")
	work := flag.Duration("work", 0, "CPU work added to every request, as timed alone at start (0: none)")
	flag.Parse()
	if err := run(*addr, *file, roundsFor(*work)); err != nil {
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}

type canned struct {
	status int
	header map[string][]string // Content-Type and the other headers
	body   []byte
}

func key(method, target, auth string) string { return method + " " + target + " " + auth }

func run(addr, file string, rounds int) error {
	routes := map[string]canned{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var rs []Response
		if err := json.Unmarshal(data, &rs); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		for _, r := range rs {
			h := map[string][]string{"Content-Type": {r.ContentType}}
			for k, v := range r.Headers {
				h[http.CanonicalHeaderKey(k)] = []string{v}
			}
			if r.ContentLength {
				h["Content-Length"] = []string{strconv.Itoa(len(r.Body))}
			}
			routes[key(r.Method, r.Target, r.Authorization)] = canned{status: r.Status, header: h, body: []byte(r.Body)}
		}
	}
	if _, ok := routes[key("GET", "/v1/healthz", "")]; !ok {
		routes[key("GET", "/v1/healthz", "")] = canned{status: 200, header: map[string][]string{"Content-Type": {"text/plain"}},
			body: []byte("2026-01-01T00:00:00.0000000Z")}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := routes[key(r.Method, r.RequestURI, r.Header.Get("Authorization"))]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if rounds > 0 {
			burn(rounds)
		}
		wh := w.Header()
		for k, v := range c.header {
			wh[k] = v
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// burn does rounds of SHA-256 over a 32-byte block, the work --work adds to a request.
func burn(rounds int) {
	var b [32]byte
	for range rounds {
		b = sha256.Sum256(b[:])
	}
	burnt.Add(uint64(b[0])) // the result is used, so the work cannot be left out
}

var burnt atomic.Uint64

// roundsFor is the number of burn rounds that take d of CPU alone in this process: the best of
// five timings of a fixed number of rounds.
func roundsFor(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	const probe = 20000
	best := time.Duration(1<<63 - 1)
	for range 5 {
		start := time.Now()
		burn(probe)
		best = min(best, time.Since(start))
	}
	return max(1, int(float64(probe)*float64(d)/float64(best)))
}
