// Command profmock serves the mock like verifeye-mock does (same handler, same http.Server
// limits, a text log on stderr at info level unless --log-level says otherwise) and records a CPU
// profile of its whole run, for profiling the mock under the load benchmark:
//
//	go build -o /tmp/profmock ./bench/cmd/profmock
//	PROFMOCK_CPU=/tmp/mock.pprof go run ./bench/cmd/loadbench --mock-bin /tmp/profmock --startups 1
//	go tool pprof -top /tmp/profmock /tmp/mock.pprof
//
// It accepts --addr (which loadbench passes) and --log-level, and prints the same "listening on"
// line. PROFMOCK_MEM names a heap profile written at exit, PROFMOCK_TRACE an execution trace of
// the whole run (go tool trace).
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"

	"github.com/verifeye-twin/verifeye/internal/logbuffer"
	"github.com/verifeye-twin/verifeye/mockserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	level := flag.String("log-level", "info", "the least severe log records written to stderr: debug, info, warn or error")
	flag.Parse()
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "--log-level:", err)
		os.Exit(2)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400) // as verifeye-mock does (its defaultGCPercent)
	}
	if f := os.Getenv("PROFMOCK_CPU"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(out)
		defer func() {
			pprof.StopCPUProfile()
			out.Close()
		}()
	}
	if f := os.Getenv("PROFMOCK_TRACE"); f != "" {
		out, err := os.Create(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = trace.Start(out)
		defer func() {
			trace.Stop()
			out.Close()
		}()
	}
	// The log is gathered and written in batches once serving starts, as verifeye-mock writes it.
	logs := logbuffer.New(os.Stderr, logbuffer.FlushDelay)
	defer logs.Close()
	logger := slog.New(mockserver.NewTextHandler(logs, &slog.HandlerOptions{Level: lv}))
	srv, err := mockserver.New(mockserver.Options{Logger: logger, Version: "profmock"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	fmt.Printf("listening on http://%s\n", ln.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	logs.Batch()
	go func() { _ = hs.Serve(ln) }()
	<-stop
	_ = hs.Close()
	if f := os.Getenv("PROFMOCK_MEM"); f != "" {
		if out, err := os.Create(f); err == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(out)
			out.Close()
		}
	}
}
