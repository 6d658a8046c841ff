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
// when FlushBytes have gathered, and on Close. A line is never held longer than FlushDelay (if
// the previous batch is still being written then, the line's batch follows it as soon as the
// writer takes it); a process killed with SIGKILL loses at most that much of its log. Until Batch
// is called (the mock calls it when it starts serving) lines are written as they come, so
// start-up lines are never held.
//
// A batch is written without holding up the lines that come meanwhile: they gather in a second
// buffer. (A full batch is written by a goroutine of its own, not by the request whose line
// filled it; a batch whose delay is up, by the timer's.) stderr is often a pipe, and a write to a
// pipe waits while the pipe is full, that is while its reader (a terminal, `| tee`, a CI runner
// or container engine collecting the log) is slow. A line waits for the writer only when that second buffer has also filled before the first
// is written, so the log takes at most two batches of memory and, when its reader cannot keep
// up, slows the server down to the reader's pace instead of growing.
const (
	FlushDelay = 20 * time.Millisecond
	FlushBytes = 32 << 10
)

// Buffer is an io.Writer for a logger that writes to w in batches; see above. Close writes what
// is left. Lines are written to w whole and in the order their Write calls took them, and w is
// written by one goroutine at a time.
type Buffer struct {
	w     io.Writer
	delay time.Duration

	mu        sync.Mutex
	moved     sync.Cond // on mu: a batch was written, or the batch being gathered was taken
	buf       []byte    // the lines being gathered
	spare     []byte    // the other buffer, empty; nil while it holds the batch being written
	writing   bool      // a batch is being written (outside mu); only one at a time
	due       bool      // the gathered lines' delay is up: write them once the batch in hand is written
	scheduled bool      // a flush is due within delay
	direct    bool      // before Batch and after Close: every Write goes straight to w
	err       error     // an error writing a batch, not yet returned
}

// New returns a Buffer that writes straight to w until Batch is called, then in batches of at
// most delay.
func New(w io.Writer, delay time.Duration) *Buffer {
	b := &Buffer{w: w, delay: delay, direct: true}
	b.moved.L = &b.mu
	return b
}

// Batch starts gathering lines.
func (b *Buffer) Batch() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = false
	if b.buf == nil {
		b.buf = make([]byte, 0, FlushBytes)
	}
	if b.spare == nil && !b.writing {
		b.spare = make([]byte, 0, FlushBytes)
	}
}

// Write takes one log line (slog's handlers write each record with one call). In batches, it
// returns the error of an earlier batch's write that no call has returned yet.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for !b.direct && len(b.buf) >= FlushBytes {
		b.moved.Wait() // both buffers are full: wait for the writer
	}
	if b.direct {
		return b.writeDirectLocked(p)
	}
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= FlushBytes:
		if !b.writing { // else the batch in hand is followed by this one
			go b.writeBatches(b.takeLocked())
		}
	case !b.scheduled:
		b.scheduled = true
		time.AfterFunc(b.delay, b.flush)
	}
	err := b.err
	b.err = nil
	return len(p), err
}

// writeDirectLocked writes p straight to w, after what is gathered.
func (b *Buffer) writeDirectLocked(p []byte) (int, error) {
	err := b.drainLocked()
	n, werr := b.w.Write(p)
	if werr != nil {
		return n, werr
	}
	return n, err
}

// flush writes the gathered lines when their delay is up, or has them follow the batch being
// written.
func (b *Buffer) flush() {
	b.mu.Lock()
	b.scheduled = false
	if b.writing {
		b.due = true
		b.mu.Unlock()
		return
	}
	if len(b.buf) == 0 {
		b.mu.Unlock()
		return
	}
	batch := b.takeLocked()
	b.mu.Unlock()
	b.writeBatches(batch)
}

// takeLocked takes the gathered lines as the batch to write, gathers the next lines in the spare
// buffer and marks the batch as being written; the caller writes it with writeBatches.
func (b *Buffer) takeLocked() []byte {
	batch := b.buf
	b.buf, b.spare = b.spare, nil
	b.writing = true
	b.due = false
	b.moved.Broadcast()
	return batch
}

// writeBatches writes batch to w without holding mu, then the lines gathered meanwhile if they
// are due or fill a batch.
func (b *Buffer) writeBatches(batch []byte) {
	for {
		_, err := b.w.Write(batch)
		b.mu.Lock()
		if err != nil && b.err == nil {
			b.err = err // a log that cannot be written has nowhere else to say so
		}
		b.spare = batch[:0]
		if len(b.buf) == 0 || !b.due && len(b.buf) < FlushBytes {
			b.writing = false
			b.due = false
			b.moved.Broadcast()
			b.mu.Unlock()
			return
		}
		batch = b.takeLocked()
		b.mu.Unlock()
	}
}

// drainLocked waits for the batch being written, then writes the gathered lines, holding mu.
func (b *Buffer) drainLocked() error {
	for b.writing {
		b.moved.Wait()
	}
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// Close writes what is gathered, after the batch being written; later lines are written as they
// come. It returns the error of that write, or of an earlier batch's that no Write returned.
func (b *Buffer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.direct = true
	err := b.drainLocked()
	if err == nil {
		err = b.err
	}
	b.err = nil
	return err
}
