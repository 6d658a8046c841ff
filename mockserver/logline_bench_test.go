package mockserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequestLogLine is what one request's log line costs at info level, writing to
// io.Discard, with slog's own handlers (slog) and with the handlers the command configures
// (mock: NewTextHandler and NewJSONHandler), for --log-format text and json: an authenticated
// get answered 200, and a 400 with its problem's detail and field errors and a warning.
func BenchmarkRequestLogLine(b *testing.B) {
	r := newBenchRequest(http.MethodGet, "/v1/verification/get?verificationId=1b1e2f1a-7d4e-4a8e-9a43-2b6f0b7c5d11", "", "").get()
	ok := &exchange{Context: context.Background(), id: "00000000000000a1"}
	ok.rec.status = http.StatusOK
	bad := &exchange{Context: context.Background(), id: "00000000000000a2", detail: "verificationId: must be a UUID",
		fields: fieldErrors{"verificationId": {"must be a UUID"}}}
	bad.rec.status = http.StatusBadRequest
	cases := []struct {
		name    string
		ex      *exchange
		warning string
	}{{"ok", ok, ""}, {"problem", bad, "matched regardless of letter case: /v1/Verification/get as /v1/verification/get"}}
	ho := &slog.HandlerOptions{Level: slog.LevelInfo}
	handlers := []struct {
		name string
		h    slog.Handler
	}{
		{"text/slog", slog.NewTextHandler(io.Discard, ho)},
		{"text/mock", NewTextHandler(io.Discard, ho)},
		{"json/slog", slog.NewJSONHandler(io.Discard, ho)},
		{"json/mock", NewJSONHandler(io.Discard, ho)},
	}
	for _, h := range handlers {
		s := &Server{log: slog.New(h.h)}
		for _, c := range cases {
			b.Run(h.name+"/"+c.name, func(b *testing.B) {
				at := time.Now() // what finish read for the request's duration
				b.ReportAllocs()
				for range b.N {
					s.logRequest(c.ex, r, at, slog.LevelInfo, "request", 1234567*time.Nanosecond, DevAccountID, c.warning, false)
				}
			})
		}
	}
}
