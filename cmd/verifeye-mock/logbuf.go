package main

import (
	"io"
	"sync"
	"time"
)

// The log writes one line per request. Written straight to stderr, each line is a write system
// call, which under load costs more than making the line (docs/performance.md, "What a log line
// costs"). logBuffer gathers the lines and writes them together: at most logFlushDelay after the
// first line of a batch, at once when logFlushBytes have gathered, and when the mock stops. A
// line is never held longer than logFlushDelay; a mock killed with SIGKILL loses at most that
// much of its log. The start-up lines (fixtures, listening, warnings) are written as they come:
// batching starts with serving.
const (
	logFlushDelay = 20 * time.Millisecond
	logFlushBytes = 32 << 10
)

// logBuffer is an io.Writer for the logger that writes to w in batches; see above. Close
// writes what is left.
type logBuffer struct {
	w     io.Writer
	delay time.Duration

	mu        sync.Mutex
	buf       []byte
	scheduled bool // a flush is due within delay
	direct    bool // before Batch and after Close: every Write goes straight to w
}

// newLogBuffer writes straight to w until Batch is called.
func newLogBuffer(w io.Writer, delay time.Duration) *logBuffer {
	return &logBuffer{w: w, delay: delay, direct: true}
}

// Batch starts gathering lines.
func (b *logBuffer) Batch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = false
	if b.buf == nil {
		b.buf = make([]byte, 0, logFlushBytes)
	}
}

// Write takes one log line (slog's handlers write each record with one call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.direct {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logFlushBytes {
		return len(p), b.flushLocked()
	}
	if !b.scheduled {
		b.scheduled = true
		time.AfterFunc(b.delay, b.flush)
	}
	return len(p), nil
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scheduled = false
	_ = b.flushLocked() // a log that cannot be written has nowhere to say so
}

func (b *logBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close writes what is gathered; later lines are written as they come.
func (b *logBuffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = true
	return b.flushLocked()
}
