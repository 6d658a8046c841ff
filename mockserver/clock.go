package mockserver

import (
	"sync"
	"time"
)

// Clock is the mock's one source of time. Every expiry (signed links, nonces, Bearer and session
// tokens, the 7-day session window) is evaluated against it when a record is read, so tests move
// time instead of sleeping.
//
// Every time a Clock shows is a whole number of .NET ticks (see dotnetTick), so every date the
// mock writes has at most 7 fractional digits, as production's do.
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

// dotnetTick is the resolution of .NET's DateTime and DateTimeOffset: one tick is 100 ns, and
// .NET writes a date with at most 7 fractional digits (healthz shows 2026-02-08T11:34:54.3015450Z;
// System.Text.Json writes the same fraction with trailing zeros trimmed). Go's times carry
// nanoseconds, which encoding/json would write as 9 digits that no .NET-made response has. The
// mock therefore cuts every time to a whole tick where it enters the mock: the clock, times set
// on it, and times read back from a data directory, rather than in each encoder.
const dotnetTick = 100 * time.Nanosecond

// toTick returns t in UTC, rounded down to a whole .NET tick. Go's Truncate counts from the zero
// time, 0001-01-01T00:00:00Z, which is also where .NET's ticks start, so the result is exactly the
// DateTime that .NET would hold for t.
func toTick(t time.Time) time.Time { return t.UTC().Truncate(dotnetTick) }

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
	c.frozen, c.at = true, toTick(t)
	return c
}

// Now returns the current mock time in UTC, a whole number of .NET ticks.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.frozen {
		return c.at
	}
	return toTick(c.base().Add(c.offset))
}

// Set moves the clock to t, rounded down to a whole .NET tick; a running clock keeps running
// from there.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t = toTick(t)
	if c.frozen {
		c.at = t
		return
	}
	c.offset = t.Sub(c.base())
}

// Advance moves the clock forward by d (backward when d is negative); a frozen clock then shows
// a whole .NET tick, rounded down.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		c.at = toTick(c.at.Add(d))
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
