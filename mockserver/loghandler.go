package mockserver

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// NewTextHandler returns a log handler that writes what slog.NewTextHandler(w, opts) writes,
// byte for byte, for every record. A Server whose Options.Logger has this handler itself (not one
// derived from it by Logger.With or WithGroup), with opts that set neither ReplaceAttr nor
// AddSource, writes its line per request without slog's general formatting, several times
// faster; the line is the same. Each line is one Write to w, and writes are serialized as
// slog's handlers serialize them, so w need not be safe for concurrent use.
func NewTextHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	lw := &lockedWriter{w: w}
	return newLogHandler(slog.NewTextHandler(lw, opts), lw, false, opts)
}

// NewJSONHandler is NewTextHandler for slog.NewJSONHandler's format.
func NewJSONHandler(w io.Writer, opts *slog.HandlerOptions) slog.Handler {
	lw := &lockedWriter{w: w}
	return newLogHandler(slog.NewJSONHandler(lw, opts), lw, true, opts)
}

func newLogHandler(inner slog.Handler, w *lockedWriter, json bool, opts *slog.HandlerOptions) *logHandler {
	direct := opts == nil || (opts.ReplaceAttr == nil && !opts.AddSource)
	return &logHandler{inner: inner, w: w, json: json, direct: direct}
}

// logHandler is slog's text or JSON handler, inner, writing through w, plus writeLine, which
// formats a record of plain attributes as inner would.
type logHandler struct {
	inner  slog.Handler
	w      *lockedWriter
	json   bool
	direct bool // the options leave the format alone: no ReplaceAttr, no AddSource
}

func (h *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

// WithAttrs and WithGroup return slog's own handler: writeLine formats records of a handler
// without attributes or groups of its own.
func (h *logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.inner.WithAttrs(attrs)
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.inner.WithGroup(name)
}

// lockedWriter serializes the writes of slog's handler and of writeLine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lineBuffers holds the buffers writeLine formats lines in.
var lineBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

// maxPooledLine is the largest buffer put back in lineBuffers; a debug line with large bodies
// gets a buffer of its own.
const maxPooledLine = 16 << 10

// writeLine writes what Handle writes for a record of t, level, msg and attrs (with no source),
// and reports whether it did. It does not (and writes nothing) when the handler's options change
// the format, or when a value or the time is one it leaves to slog: it formats strings, ints,
// bools and durations, and times of years 0 to 9999.
func (h *logHandler) writeLine(t time.Time, level slog.Level, msg string, attrs []slog.Attr) (bool, error) {
	if !h.direct {
		return false, nil
	}
	if y := t.Year(); !t.IsZero() && (y < 0 || y > 9999) {
		return false, nil
	}
	for _, a := range attrs {
		switch a.Value.Kind() {
		case slog.KindString, slog.KindInt64, slog.KindBool, slog.KindDuration:
		default:
			return false, nil
		}
	}
	bp := lineBuffers.Get().(*[]byte)
	b := h.appendLine((*bp)[:0], t, level, msg, attrs)
	_, err := h.w.Write(b)
	if cap(b) <= maxPooledLine {
		*bp = b
		lineBuffers.Put(bp)
	}
	return true, err
}

// appendLine appends the line of a record writeLine takes.
func (h *logHandler) appendLine(b []byte, t time.Time, level slog.Level, msg string, attrs []slog.Attr) []byte {
	if h.json {
		b = append(b, '{')
	}
	sep := false
	if !t.IsZero() {
		b = h.appendKey(b, slog.TimeKey, sep)
		sep = true
		if h.json {
			b = append(b, '"')
			b = appendTime(b, t, false)
			b = append(b, '"')
		} else {
			b = appendTime(b, t, true)
		}
	}
	b = h.appendKey(b, slog.LevelKey, sep)
	b = h.appendString(b, level.String())
	b = h.appendKey(b, slog.MessageKey, true)
	b = h.appendString(b, msg)
	for _, a := range attrs {
		b = h.appendKey(b, a.Key, true)
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			b = h.appendString(b, v.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		case slog.KindDuration:
			if h.json {
				b = strconv.AppendInt(b, int64(v.Duration()), 10) // as encoding/json writes a Duration
			} else {
				b = append(b, v.Duration().String()...)
			}
		}
	}
	if h.json {
		b = append(b, '}')
	}
	return append(b, '\n')
}

// appendKey appends an attribute's key with the separator before it (when sep) and after it.
func (h *logHandler) appendKey(b []byte, key string, sep bool) []byte {
	if h.json {
		if sep {
			b = append(b, ',')
		}
		return append(h.appendString(b, key), ':')
	}
	if sep {
		b = append(b, ' ')
	}
	return append(h.appendString(b, key), '=')
}

// appendString appends a string key or value: in JSON, quoted and escaped; in text, quoted
// with strconv.Quote when it needs quoting.
func (h *logHandler) appendString(b []byte, s string) []byte {
	if h.json {
		b = append(b, '"')
		b = appendJSONEscaped(b, s)
		return append(b, '"')
	}
	return appendTextString(b, s)
}
