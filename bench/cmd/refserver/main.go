// Command refserver is the load benchmark's practical ceiling: a bare net/http server that
// answers each of the mock's paths with a fixed response (the very bytes the mock answered
// during the benchmark's setup), with no validation, state, logging or authentication.
//
//	refserver --addr 127.0.0.1:0 --responses responses.json
//
// It prints "listening on http://ADDR" once it accepts connections.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Response is one canned answer, keyed by method and path.
type Response struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	file := flag.String("responses", "", "JSON file with the canned responses ([]Response)")
	flag.Parse()
	if err := run(*addr, *file); err != nil {
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}

type canned struct {
	status int
	ct     []string
	body   []byte
}

func run(addr, file string) error {
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
			routes[r.Method+" "+r.Path] = canned{status: r.Status, ct: []string{r.ContentType}, body: []byte(r.Body)}
		}
	}
	if _, ok := routes["GET /v1/healthz"]; !ok {
		routes["GET /v1/healthz"] = canned{status: 200, ct: []string{"text/plain"}, body: []byte("2026-01-01T00:00:00.0000000Z")}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header()["Content-Type"] = c.ct
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
