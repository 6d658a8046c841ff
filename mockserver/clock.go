package mockserver

import (
	"sync"
	"time"
)

// Clock is the mock's one source of time. Every expiry (signed links, nonces, Bearer and session
// tokens, the 7-day session window) is evaluated against it when a record is read, so tests move
// time instead of sleeping.
//
// A Clock follows a base clock (the wall clock unless NewClock is given another) shifted by an
// offset, or stands still while frozen. Its zero value is not usable; create one with NewClock.
type Clock struct {
	base func() time.Time

	mu     sync.Mutex
	offset time.Duration // added to base() while running
	frozen bool
	at     time.Time // the time shown while frozen
}

// NewClock returns a running clock that follows base, or the wall clock when base is nil.
func NewClock(base func() time.Time) *Clock {
	if base == nil {
		base = time.Now
	}
	return &Clock{base: base}
}

// NewFrozenClock returns a clock that stands still at t until it is advanced, set or unfrozen.
func NewFrozenClock(t time.Time) *Clock {
	c := NewClock(nil)
	c.frozen, c.at = true, t.UTC()
	return c
}

// Now returns the current mock time in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.frozen {
		return c.at
	}
	return c.base().Add(c.offset).UTC()
}

// Set moves the clock to t; a running clock keeps running from there.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = t.UTC()
		return
	}
	c.offset = t.Sub(c.base())
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = c.at.Add(d)
		return
	}
	c.offset += d
}

// Freeze stops the clock at its current time (freeze true) or lets it run on from the time it
// shows (freeze false).
func (c *Clock) Freeze(freeze bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if freeze == c.frozen {
		return
	}
	now := c.nowLocked()
	c.frozen = freeze
	if freeze {
		c.at = now
	} else {
		c.offset = now.Sub(c.base())
	}
}

// Frozen reports whether the clock stands still.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}
