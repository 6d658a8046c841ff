package mockserver

import (
	"github.com/google/uuid"
)

// resetAccount forgets one account's data (verifications, sessions, nonces, face collections),
// in memory and in the data directory; the other accounts' data stays.
func (st *store) resetAccount(acc string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disk != nil {
		if err := st.disk.wipeAccount(acc); err != nil {
			return err
		}
	}
	d := st.accounts[acc]
	if d == nil {
		return nil
	}
	for id := range d.verifications {
		delete(st.verificationOwner, id)
	}
	for id := range d.sessions.byID {
		delete(st.sessionOwner, id)
	}
	delete(st.accounts, acc)
	st.numbered[d.num] = nil
	st.freeNums = append(st.freeNums, d.num)
	return nil
}

// sessionOwnerOf returns the account that owns session id.
func (st *store) sessionOwnerOf(id uuid.UUID) (string, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	d, ok := st.sessionAccountLocked(id)
	if !ok {
		return "", false
	}
	return d.id, true
}

// verificationOwnerOf returns the account that owns verification id.
func (st *store) verificationOwnerOf(id uuid.UUID) (string, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	acc, ok := st.verificationOwner[id]
	return acc, ok
}
