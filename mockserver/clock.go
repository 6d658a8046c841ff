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
//
// A running clock's offset from its base is kept as seconds and nanoseconds rather than a
// time.Duration, which spans only ±292 years: the clock's range (clockMin to clockMax) is wider.
type clockState struct {
	offSec, offNsec int64 // added to base() while running
	frozen          bool
	at              time.Time // the time shown while frozen
}

// show is the time st shows when its base shows base, not yet held to the clock's range.
func (st clockState) show(base time.Time) time.Time {
	if st.frozen {
		return st.at
	}
	return time.Unix(base.Unix()+st.offSec, int64(base.Nanosecond())+st.offNsec).UTC()
}

// place makes st show t while its base shows base.
func (st *clockState) place(t, base time.Time) {
	if st.frozen {
		st.at = toTick(t)
		return
	}
	st.offSec = t.Unix() - base.Unix()
	st.offNsec = int64(t.Nanosecond() - base.Nanosecond())
}

// longestLifetime is the most the API adds to the clock in a time it writes: a session's 7-day
// result window and a signed link's longest expiry (604800 s) are 7 days; a token's 3600 s is
// less.
const longestLifetime = 7 * 24 * time.Hour

// clockMin and clockMax are the earliest and latest times a Clock shows: every time the API
// writes, the clock's time give or take the longest lifetime it adds (longestLifetime), then
// stays within years 0001 to 9999, which is all a .NET DateTime (and an RFC 3339 date) can hold.
// Setting or advancing a clock past them is refused; a running clock stops at clockMax rather
// than run past it, and an account's clock over the mock's is held inside them too.
var (
	clockMin = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(longestLifetime)
	clockMax = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Add(-longestLifetime - dotnetTick)
)

// ClockRange returns the earliest and latest times a Clock shows: years 0001 to 9999 less the
// longest lifetime the API adds to a time (7 days) at each end. Setting or advancing a clock
// outside them is refused; a running clock stops at the latest.
func ClockRange() (earliest, latest time.Time) { return clockMin, clockMax }

// inClockRange is t held to clockMin..clockMax.
func inClockRange(t time.Time) time.Time {
	switch {
	case t.Before(clockMin):
		return clockMin
	case t.After(clockMax):
		return clockMax
	}
	return t
}

// clockRule is the rule a set or advance outside the clock's range breaks.
var clockRule = "must leave the clock between " + clockMin.Format(time.RFC3339Nano) + " and " +
	clockMax.Format(time.RFC3339Nano) + ", so that every time the API writes (the clock's time " +
	"give or take 7 days) stays within years 0001 to 9999"

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

// NewFrozenClock returns a clock that stands still at t until it is advanced, set or unfrozen. A
// t outside clockMin..clockMax is held to the nearer end.
func NewFrozenClock(t time.Time) *Clock {
	c := NewClock(nil)
	c.state.Store(&clockState{frozen: true, at: toTick(inClockRange(t))})
	return c
}

// Now returns the current mock time in UTC, a whole number of .NET ticks.
func (c *Clock) Now() time.Time {
	st := c.state.Load()
	if st.frozen {
		return st.at
	}
	return toTick(inClockRange(st.show(c.base())))
}

// at is what c shows when its base shows t: the time an event that happened at base time t has
// on c.
func (c *Clock) at(t time.Time) time.Time {
	st := c.state.Load()
	if st.frozen {
		return st.at
	}
	return toTick(inClockRange(st.show(t)))
}

// change applies freeze, set and advance (any may be nil) to c as one change: a freeze before
// set and advance, an unfreeze after them. It is the one place a clock moves, and refuses, with
// the field and the rule and leaving c as it was, a set or advance whose result is outside
// clockMin..clockMax.
func (c *Clock) change(set *time.Time, advance *time.Duration, freeze *bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := *c.state.Load()
	base := c.base()
	now := func() time.Time { return toTick(inClockRange(st.show(base))) }
	if freeze != nil && *freeze && !st.frozen {
		st.at, st.frozen = now(), true
	}
	if set != nil {
		t := toTick(*set)
		if t.Before(clockMin) || t.After(clockMax) {
			return fieldError("set", clockRule)
		}
		st.place(t, base)
	}
	if advance != nil {
		t := now().Add(*advance)
		if t.Before(clockMin) || t.After(clockMax) {
			return fieldError("advance", clockRule)
		}
		st.place(t, base)
	}
	if freeze != nil && !*freeze && st.frozen {
		at := st.at
		st.frozen = false
		st.place(at, base)
	}
	c.state.Store(&st)
	return nil
}

// Set moves the clock to t, rounded down to a whole .NET tick; a running clock keeps running
// from there. It refuses a time outside clockMin..clockMax, leaving the clock as it was.
func (c *Clock) Set(t time.Time) error { return c.change(&t, nil, nil) }

// Advance moves the clock forward by d (backward when d is negative); a frozen clock then shows
// a whole .NET tick, rounded down. It refuses a result outside clockMin..clockMax, leaving the
// clock as it was.
func (c *Clock) Advance(d time.Duration) error { return c.change(nil, &d, nil) }

// Freeze stops the clock at its current time (freeze true) or lets it run on from the time it
// shows (freeze false).
func (c *Clock) Freeze(freeze bool) { _ = c.change(nil, nil, &freeze) }

// Frozen reports whether the clock stands still.
func (c *Clock) Frozen() bool { return c.state.Load().frozen }
