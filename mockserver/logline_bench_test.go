package mockserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequestLogLine is what one request's log line costs at info level, with the handlers
// the command configures (--log-format text and json) writing to io.Discard: an authenticated
// get answered 200, and a 400 with its problem's detail and field errors and a warning.
func BenchmarkRequestLogLine(b *testing.B) {
	for _, format := range []string{"text", "json"} {
		ho := &slog.HandlerOptions{Level: slog.LevelInfo}
		h := slog.Handler(slog.NewTextHandler(io.Discard, ho))
		if format == "json" {
			h = slog.NewJSONHandler(io.Discard, ho)
		}
		s := &Server{log: slog.New(h)}
		r := newBenchRequest(http.MethodGet, "/v1/verification/get?verificationId=1b1e2f1a-7d4e-4a8e-9a43-2b6f0b7c5d11", "", "").get()
		ok := &exchange{Context: context.Background(), id: "00000000000000a1"}
		ok.rec.status = http.StatusOK
		bad := &exchange{Context: context.Background(), id: "00000000000000a2", detail: "verificationId: must be a UUID",
			fields: fieldErrors{"verificationId": {"must be a UUID"}}}
		bad.rec.status = http.StatusBadRequest
		for _, c := range []struct {
			name    string
			ex      *exchange
			warning string
		}{{"ok", ok, ""}, {"problem", bad, "matched regardless of letter case: /v1/Verification/get as /v1/verification/get"}} {
			b.Run(format+"/"+c.name, func(b *testing.B) {
				at := time.Now() // what finish read for the request's duration
				b.ReportAllocs()
				for range b.N {
					s.logRequest(c.ex, r, at, slog.LevelInfo, "request", 1234567*time.Nanosecond, DevAccountID, c.warning, false)
				}
			})
		}
	}
}
