package mockserver

import (
	"log/slog"
	"net/http"
	"runtime"
	"sync/atomic"
	"time"
)

// logRequest writes the request's log line, as Logger.LogAttrs would but without reading the
// clock again (the line's time is at, when the request finished, read once for its duration too)
// or looking up its caller on every line: the line's source (for a handler with AddSource) is
// this function, whose program counter is looked up once. With a handler of NewTextHandler or
// NewJSONHandler the line is formatted by the handler's writeLine, without a slog.Record.
func (s *Server) logRequest(ex *exchange, r *http.Request, at time.Time, level slog.Level, msg string, elapsed time.Duration, account, warning string, cut bool) {
	var held [12]slog.Attr
	attrs := append(held[:0],
		slog.String("id", ex.id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", ex.rec.status),
		slog.Duration("duration", elapsed),
		slog.String("account", account),
	)
	if ex.detail != "" {
		attrs = append(attrs, slog.String("detail", ex.detail))
	}
	if len(ex.fields) > 0 {
		attrs = append(attrs, slog.String("errors", ex.fields.Error()))
	}
	if warning != "" {
		attrs = append(attrs, slog.String("warning", warning))
	}
	if s.log.Enabled(ex, slog.LevelDebug) {
		if b := ex.body.got.text(); b != "" {
			attrs = append(attrs, slog.String("requestBody", b))
		}
		if b := ex.rec.body.text(); b != "" {
			attrs = append(attrs, slog.String("responseBody", b))
		}
	}
	if cut {
		attrs = append(attrs, slog.Bool("cut", true))
		if ex.rec.err != nil {
			attrs = append(attrs, slog.String("error", ex.rec.err.Error()))
		}
	}
	if h, ok := s.log.Handler().(*logHandler); ok {
		if done, _ := h.writeLine(at, level, msg, attrs); done {
			return
		}
	}
	pc := logLinePC.Load()
	if pc == 0 {
		var pcs [1]uintptr
		runtime.Callers(1, pcs[:]) // within this function, as LogAttrs would find its caller
		pc = pcs[0]
		logLinePC.Store(pc)
	}
	rec := slog.NewRecord(at, level, msg, pc)
	rec.AddAttrs(attrs...)
	_ = s.log.Handler().Handle(ex, rec) // as Logger.LogAttrs does, once finish has checked Enabled
}

// logLinePC is the program counter of logRequest's lines, looked up by the first one.
var logLinePC atomic.Uintptr
