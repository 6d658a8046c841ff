package mockserver

import (
	"time"

	"github.com/google/uuid"
)

// Pruning. Expiry is decided when a record is read (sessionReadable, a link's reExpiration), so
// a record past its window already answers as if it were gone; pruning only frees what such
// records hold, in memory and in the data directory. It runs in the store's write path, when an
// account adds a session, against that account's own clock, so it needs no goroutine and keeps
// a seeded mock deterministic:
//
//   - a session (and its result) created more than SessionRetention (7 days) before the
//     account's time goes: its result answers 404 either way;
//   - a used nonce goes once its link's reExpiration has passed: the link is refused as expired
//     from then on, before its nonce is looked at. A nonce of a link without reExpiration never
//     expires, so it is kept until a reset.
//
// The sweep is incremental: an account keeps its sessions and used nonces in a list, in the
// order they were added, and every session it adds first looks at the next sweepStep entries of
// that list, removing those past their window, and starts over at the end. Each write does a
// small fixed amount of work under the store's lock, so no request waits behind a sweep of the
// whole account (which, at a hundred thousand sessions, held the lock for milliseconds), and an
// expired record is gone within one pass: a write adds at most two entries and looks at four, so
// a pass over N entries ends within N/2 writes, and an account holds at most about twice its
// live records. A record pruned stays gone if the clock is later set back before its expiry,
// where an unpruned one would be readable again.

// sweepStep is how many entries of an account's sweep list each added session looks at.
const sweepStep = 4

// usedNonce is a nonce a session consumed: when, and when its link expires (zero: never).
type usedNonce struct {
	used, expires time.Time
}

// expired reports whether the nonce's link is refused as expired at now, as signing.Validate
// decides it: now is past the link's reExpiration second.
func (n usedNonce) expired(now time.Time) bool {
	return !n.expires.IsZero() && now.Unix() > n.expires.Unix()
}

// sweepEntry is an entry of an account's sweep list: a session, with the time it was created
// (which never changes), or a used nonce.
type sweepEntry struct {
	session uuid.UUID
	created time.Time
	nonce   string // "" for a session
}

// sweepList is an account's sessions and used nonces in the order they were added, and how far
// the current pass has come: entries[:kept] are those it kept, entries[cursor:] those it has not
// looked at yet.
type sweepList struct {
	entries      []sweepEntry
	cursor, kept int
}

func (l *sweepList) addSession(id uuid.UUID, created time.Time) {
	l.entries = append(l.entries, sweepEntry{session: id, created: created})
}

func (l *sweepList) addNonce(nonce string) {
	l.entries = append(l.entries, sweepEntry{nonce: nonce})
}

// What the sweep decides for an entry it looks at.
const (
	sweepKeep    = iota // inside its window
	sweepDrop           // gone already (a nonce pruned through an earlier entry of the same value)
	sweepExpired        // past its window: removed
)

// sweepLocked looks at the next sweepStep entries of account acc's sweep list at now, and
// returns what removes those past their window: the ops that delete them from the data directory
// (written by the caller with its own change, in one transaction), and apply, which removes them
// from memory and moves the pass on once that write succeeded.
func (st *store) sweepLocked(acc string, now time.Time) (ops []op, apply func()) {
	d := st.accountLocked(acc)
	l := &d.sweep
	from, to := l.cursor, min(len(l.entries), l.cursor+sweepStep)
	var verdicts [sweepStep]uint8
	for i := from; i < to; i++ {
		e := &l.entries[i]
		switch {
		case e.nonce == "" && !sessionReadable(e.created, now):
			verdicts[i-from] = sweepExpired
			if st.disk != nil {
				ops = append(ops, deleteSessionOp(acc, e.session))
			}
		case e.nonce != "":
			u, ok := d.nonces[e.nonce]
			switch {
			case !ok:
				verdicts[i-from] = sweepDrop
			case u.expired(now):
				verdicts[i-from] = sweepExpired
				if st.disk != nil {
					ops = append(ops, deleteNonceOps(acc, e.nonce)...)
				}
			}
		}
	}
	return ops, func() {
		for i := from; i < to; i++ {
			e := l.entries[i]
			switch verdicts[i-from] {
			case sweepKeep:
				l.entries[l.kept] = e
				l.kept++
			case sweepExpired:
				if e.nonce != "" {
					delete(d.nonces, e.nonce)
				} else {
					delete(d.sessions, e.session)
					delete(st.sessionOwner, e.session)
				}
			}
		}
		l.cursor = to
		if l.cursor == len(l.entries) {
			clear(l.entries[l.kept:]) // let go of the nonces' strings
			l.entries = l.entries[:l.kept]
			l.cursor, l.kept = 0, 0
		}
	}
}

// sessionCount is how many sessions the store holds for every account, expired ones not yet
// pruned included.
func (st *store) sessionCount() int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.sessionOwner)
}

// nonceCount is how many used nonces the store holds for account acc.
func (st *store) nonceCount(acc string) int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if d := st.accounts[acc]; d != nil {
		return len(d.nonces)
	}
	return 0
}
