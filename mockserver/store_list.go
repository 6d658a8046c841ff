package mockserver

import (
	"cmp"
	"slices"
)

// get-all's answer is kept per account: made from the records' own summaries (encode.go) on the
// first get-all after a change, and dropped by every change of the account's verifications
// (verificationsChanged, under the store's write lock). It belongs to the account's data, so
// accounts never see each other's, and a reset or a deleted tenant drops it with the data.

// listCache is an account's get-all answer, as of generation gen of its verifications.
type listCache struct {
	gen uint64
	b   []byte
}

// emptyListJSON is get-all's answer for an account without verifications.
var emptyListJSON = []byte("{\"verifications\":[]}\n")

// verificationsChanged drops the account's get-all answer. Every write of d.verifications calls
// it with the store's write lock held.
func (d *accountData) verificationsChanged() {
	d.listGen++
	d.listJSON.Store(nil)
}

// verificationListJSON returns get-all's answer for the account acc.
func (st *store) verificationListJSON(acc string) ([]byte, error) {
	st.mu.RLock()
	d := st.accounts[acc]
	if d == nil || len(d.verifications) == 0 {
		st.mu.RUnlock()
		return emptyListJSON, nil
	}
	if c := d.listJSON.Load(); c != nil {
		st.mu.RUnlock()
		return c.b, nil
	}
	gen := d.listGen
	list := make([]*verificationRecord, 0, len(d.verifications))
	for _, v := range d.verifications {
		list = append(list, v)
	}
	st.mu.RUnlock()
	slices.SortFunc(list, func(a, b *verificationRecord) int { return cmp.Compare(a.seq, b.seq) })
	b, err := verificationListJSON(list)
	if err != nil {
		return nil, err
	}
	// Kept only if no write came in between: writes change listGen under the write lock.
	st.mu.RLock()
	if d.listGen == gen {
		d.listJSON.CompareAndSwap(nil, &listCache{gen: gen, b: b})
	}
	st.mu.RUnlock()
	return b, nil
}
