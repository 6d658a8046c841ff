// Package logbuffer gathers a log's lines and writes them in batches, so that a server that logs
// a line per request does not pay a write system call per request.
package logbuffer

import (
	"io"
	"sync"
	"time"
)

// The mock logs one line per request. Written straight to stderr, each line is a write system
// call, which under load costs more than making the line (docs/performance.md). A Buffer gathers
// the lines and writes them together: at most FlushDelay after the first line of a batch, at once
// when FlushBytes have gathered, and on Close. A line is never held longer than FlushDelay; a
// process killed with SIGKILL loses at most that much of its log. Until Batch is called (the
// mock calls it when it starts serving) lines are written as they come, so start-up lines are
// never held.
const (
	FlushDelay = 20 * time.Millisecond
	FlushBytes = 32 << 10
)

// Buffer is an io.Writer for a logger that writes to w in batches; see above. Close writes what
// is left.
type Buffer struct {
	w     io.Writer
	delay time.Duration

	mu        sync.Mutex
	buf       []byte
	scheduled bool // a flush is due within delay
	direct    bool // before Batch and after Close: every Write goes straight to w
}

// New returns a Buffer that writes straight to w until Batch is called, then in batches of at
// most delay.
func New(w io.Writer, delay time.Duration) *Buffer {
	return &Buffer{w: w, delay: delay, direct: true}
}

// Batch starts gathering lines.
func (b *Buffer) Batch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = false
	if b.buf == nil {
		b.buf = make([]byte, 0, FlushBytes)
	}
}

// Write takes one log line (slog's handlers write each record with one call).
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.direct {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= FlushBytes {
		return len(p), b.flushLocked()
	}
	if !b.scheduled {
		b.scheduled = true
		time.AfterFunc(b.delay, b.flush)
	}
	return len(p), nil
}

func (b *Buffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scheduled = false
	_ = b.flushLocked() // a log that cannot be written has nowhere to say so
}

func (b *Buffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close writes what is gathered; later lines are written as they come.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = true
	return b.flushLocked()
}
