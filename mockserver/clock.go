package mockserver

import (
	"sync"
	"sync/atomic"
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

	mu    sync.Mutex                 // serialises changes; reading takes no lock
	state atomic.Pointer[clockState] // replaced whole on every change
}

// clockState is a Clock's setting. It is never changed once stored, so Now reads it with one
// atomic load: an account's clock, which every request of the account reads, costs no lock.
type clockState struct {
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
	c := &Clock{base: base}
	c.state.Store(&clockState{})
	return c
}

// NewFrozenClock returns a clock that stands still at t until it is advanced, set or unfrozen.
func NewFrozenClock(t time.Time) *Clock {
	c := NewClock(nil)
	c.state.Store(&clockState{frozen: true, at: toTick(t)})
	return c
}

// Now returns the current mock time in UTC, a whole number of .NET ticks.
func (c *Clock) Now() time.Time {
	st := c.state.Load()
	if st.frozen {
		return st.at
	}
	return toTick(c.base().Add(st.offset))
}

// at is what c shows when its base shows t: the time an event that happened at base time t has
// on c.
func (c *Clock) at(t time.Time) time.Time {
	st := c.state.Load()
	if st.frozen {
		return st.at
	}
	return toTick(t.Add(st.offset))
}

// change replaces c's setting with what f makes of the current one.
func (c *Clock) change(f func(now time.Time, st clockState) clockState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := *c.state.Load()
	next := f(c.Now(), st)
	c.state.Store(&next)
}

// Set moves the clock to t, rounded down to a whole .NET tick; a running clock keeps running
// from there.
func (c *Clock) Set(t time.Time) {
	t = toTick(t)
	c.change(func(_ time.Time, st clockState) clockState {
		if st.frozen {
			st.at = t
		} else {
			st.offset = t.Sub(c.base())
		}
		return st
	})
}

// Advance moves the clock forward by d (backward when d is negative); a frozen clock then shows
// a whole .NET tick, rounded down.
func (c *Clock) Advance(d time.Duration) {
	c.change(func(_ time.Time, st clockState) clockState {
		if st.frozen {
			st.at = toTick(st.at.Add(d))
		} else {
			st.offset += d
		}
		return st
	})
}

// Freeze stops the clock at its current time (freeze true) or lets it run on from the time it
// shows (freeze false).
func (c *Clock) Freeze(freeze bool) {
	c.change(func(now time.Time, st clockState) clockState {
		if freeze == st.frozen {
			return st
		}
		st.frozen = freeze
		if freeze {
			st.at = now
		} else {
			st.offset = now.Sub(c.base())
		}
		return st
	})
}

// Frozen reports whether the clock stands still.
func (c *Clock) Frozen() bool { return c.state.Load().frozen }
