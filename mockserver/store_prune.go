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
// The sweep is incremental: an account keeps its sessions, and its used nonces (two lists, one for
// each way a nonce is held: store_nonces.go), in lists in the order they were added, and every
// session it adds first looks at the next sweepStep entries of each list, removing those past their
// window, and starts over at a list's end. Each write does a small fixed amount of work under the
// store's lock, so no request waits behind a sweep of the whole account (which, at a hundred
// thousand sessions, held the lock for milliseconds), and an expired record is gone within one
// pass: a write adds at most one entry to a list and looks at four, so a pass over N entries ends
// within N/3 writes, and an account holds at most about twice its live records. A record pruned
// stays gone if the clock is later set back before its expiry, where an unpruned one would be
// readable again. The session list holds no pointers (32 bytes a session), nor does the list of
// nonces of the usual shape (16 bytes a nonce), so the garbage collector does not look into them.

// sweepStep is how many entries of each of an account's sweep lists every added session looks at.
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

// sweptSession is a session in its account's sweep list: its id and the time it was created
// (which never changes).
type sweptSession struct {
	id      uuid.UUID
	created unixTime
}

// sweepList is one of an account's lists of records in the order they were added, and how far
// the current pass has come: entries [0, kept) are those it kept, [cursor, n) those it has not
// looked at yet. The entries are held in blocks of sweepBlock, so that the list grows without
// ever copying it: a slice grown by append copies all of itself now and then, which at a few
// hundred thousand sessions held the store's lock for several milliseconds.
type sweepList[T any] struct {
	blocks       [][]T // each sweepBlock long; the list is their first n entries
	n            int
	cursor, kept int
}

// sweepBlock is how many entries a block of a sweepList holds.
const sweepBlock = 1024

func (l *sweepList[T]) at(i int) *T { return &l.blocks[i/sweepBlock][i%sweepBlock] }

func (l *sweepList[T]) add(e T) {
	if l.n == len(l.blocks)*sweepBlock {
		l.blocks = append(l.blocks, make([]T, sweepBlock))
	}
	*l.at(l.n) = e
	l.n++
}

// next is the entries the next write looks at. It may share the list's memory: it is read before
// advance moves the entries.
func (l *sweepList[T]) next() []T {
	to := min(l.n, l.cursor+sweepStep)
	if to == l.cursor {
		return nil
	}
	if b, o := l.cursor/sweepBlock, l.cursor%sweepBlock; o+to-l.cursor <= sweepBlock {
		return l.blocks[b][o : o+to-l.cursor]
	}
	out := make([]T, 0, sweepStep) // the entries span two blocks
	for i := l.cursor; i < to; i++ {
		out = append(out, *l.at(i))
	}
	return out
}

// advance moves the pass past next(), keeping the entries whose keep is set, and starts the
// pass over at the list's end.
func (l *sweepList[T]) advance(keep *[sweepStep]bool) {
	to := min(l.n, l.cursor+sweepStep)
	for i := l.cursor; i < to; i++ {
		if keep[i-l.cursor] {
			*l.at(l.kept) = *l.at(i)
			l.kept++
		}
	}
	l.cursor = to
	if l.cursor == l.n {
		// Let go of the blocks past the kept entries, and of what the dropped entries in the
		// last block refer to.
		blocks := (l.kept + sweepBlock - 1) / sweepBlock
		clear(l.blocks[blocks:])
		l.blocks = l.blocks[:blocks]
		if blocks > 0 {
			clear(l.blocks[blocks-1][l.kept-(blocks-1)*sweepBlock:])
		}
		l.n, l.cursor, l.kept = l.kept, 0, 0
	}
}

// sweepLocked looks at the next sweepStep entries of account acc's sweep lists at now, and
// returns what removes those past their window: the ops that delete them from the data directory
// (written by the caller with its own change, in one transaction), and apply, which removes them
// from memory and moves the passes on once that write succeeded.
func (st *store) sweepLocked(acc string, now time.Time) (ops []op, apply func()) {
	d := st.accountLocked(acc)
	var keepSessions [sweepStep]bool
	sessions := d.sweptSessions.next()
	for i, e := range sessions {
		if keepSessions[i] = sessionReadable(e.created.time(), now); !keepSessions[i] && st.disk != nil {
			ops = append(ops, deleteSessionOp(acc, e.id))
		}
	}
	expiredNonces, forgetNonces := d.nonces.sweep(now)
	if st.disk != nil {
		for _, n := range expiredNonces {
			ops = append(ops, deleteNonceOps(acc, n)...)
		}
	}
	return ops, func() {
		for i, e := range sessions {
			if !keepSessions[i] {
				d.sessions.remove(e.id)
				delete(st.sessionOwner, e.id)
			}
		}
		forgetNonces()
		d.sweptSessions.advance(&keepSessions)
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
		return d.nonces.len()
	}
	return 0
}
