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
// A sweep looks at all of an account's sessions and nonces, but only once the account holds
// twice as many as the last sweep left (and at least pruneFloor), so its cost spread over the
// writes that led to it is constant, and an account holds at most twice its live records plus
// pruneFloor. A record pruned stays gone if the clock is later set back before its expiry, where
// an unpruned one would be readable again.

// pruneFloor is the fewest sessions and nonces an account holds before a sweep runs.
const pruneFloor = 64

// usedNonce is a nonce a session consumed: when, and when its link expires (zero: never).
type usedNonce struct {
	used, expires time.Time
}

// expired reports whether the nonce's link is refused as expired at now, as signing.Validate
// decides it: now is past the link's reExpiration second.
func (n usedNonce) expired(now time.Time) bool {
	return !n.expires.IsZero() && now.Unix() > n.expires.Unix()
}

// sweepDueLocked reports whether account d holds enough records for a sweep.
func (d *accountData) sweepDueLocked() bool {
	return len(d.sessions)+len(d.nonces) >= max(pruneFloor, d.sweepAt)
}

// expiredLocked lists the sessions and nonces of account d that are past their window at now.
func (d *accountData) expiredLocked(now time.Time) (sessions []uuid.UUID, nonces []string) {
	for id, s := range d.sessions {
		if !sessionReadable(s.created, now) {
			sessions = append(sessions, id)
		}
	}
	for n, u := range d.nonces {
		if u.expired(now) {
			nonces = append(nonces, n)
		}
	}
	return sessions, nonces
}

// sweepLocked finds what a sweep of account acc at now removes, when one is due: the ops that
// delete it from the data directory (written by the caller with its own change, in one
// transaction), and apply, which removes it from memory once that write succeeded.
func (st *store) sweepLocked(acc string, now time.Time) (ops []op, apply func()) {
	d := st.accountLocked(acc)
	if !d.sweepDueLocked() {
		return nil, func() {}
	}
	sessions, nonces := d.expiredLocked(now)
	if st.disk != nil {
		for _, id := range sessions {
			ops = append(ops, deleteSessionOp(acc, id))
		}
		for _, n := range nonces {
			ops = append(ops, deleteNonceOps(acc, n)...)
		}
	}
	return ops, func() {
		for _, id := range sessions {
			delete(d.sessions, id)
			delete(st.sessionOwner, id)
		}
		for _, n := range nonces {
			delete(d.nonces, n)
		}
		d.sweepAt = 2 * (len(d.sessions) + len(d.nonces))
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
