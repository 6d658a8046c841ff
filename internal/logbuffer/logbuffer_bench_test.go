package logbuffer

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"
)

// BenchmarkLogLineToPipe: what one request's log line costs when it goes to a pipe, as the
// binary's stderr usually does under a process manager, CI runner or container engine: written
// straight through (a write system call per line) or gathered by Buffer. A goroutine drains
// the pipe, as the reader on the other end would.
func BenchmarkLogLineToPipe(b *testing.B) {
	for _, mode := range []string{"direct", "batched"} {
		b.Run(mode, func(b *testing.B) {
			r, w, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			drained := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, r); close(drained) }()
			var out io.Writer = w
			buf := New(w, FlushDelay)
			if mode == "batched" {
				buf.Batch()
				out = buf
			}
			logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
			b.ReportAllocs()
			for b.Loop() {
				logger.LogAttrs(b.Context(), slog.LevelInfo, "request", slog.String("id", "5f0c3e3b2b1a4d6e"),
					slog.String("method", "GET"), slog.String("path", "/v1/verification/get-all"),
					slog.Int("status", 200), slog.Duration("duration", 41*time.Microsecond), slog.String("account", "dev"))
			}
			b.StopTimer()
			_ = buf.Close()
			_ = w.Close()
			<-drained
			_ = r.Close()
		})
	}
}

// BenchmarkWriteParallel: Buffer.Write of a request's line (150 bytes) from every P at once, to
// io.Discard (what gathering costs) and to a pipe drained by a goroutine (where writing a batch
// takes a system call that the lines meanwhile should not wait for).
func BenchmarkWriteParallel(b *testing.B) {
	line := []byte(`time=2026-12-07T05:22:03.123Z level=INFO msg=request id=5f0c3e3b2b1a4d6e method=GET path=/v1/verification/get-all status=200 duration=41µs account=dev` + "\n")
	for _, to := range []string{"discard", "pipe"} {
		b.Run(to, func(b *testing.B) {
			var w io.Writer = io.Discard
			drained := make(chan struct{})
			var r, pw *os.File
			if to == "pipe" {
				var err error
				if r, pw, err = os.Pipe(); err != nil {
					b.Fatal(err)
				}
				go func() { _, _ = io.Copy(io.Discard, r); close(drained) }()
				w = pw
			}
			buf := New(w, FlushDelay)
			buf.Batch()
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = buf.Write(line)
				}
			})
			b.StopTimer()
			_ = buf.Close()
			if to == "pipe" {
				_ = pw.Close()
				<-drained
				_ = r.Close()
			}
		})
	}
}
