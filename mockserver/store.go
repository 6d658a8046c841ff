package mockserver

import (
	"cmp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// verificationRecord is a stored verification. Records are immutable once stored: an update
// stores a new record, so readers may hold one without a lock.
type verificationRecord struct {
	id           uuid.UUID
	name         string
	config       generated.VerificationConfig
	created      time.Time
	lastModified time.Time
	seq          uint64 // creation order, for a stable get-all
	// enc is the record's encoded answers (encode.go), made on first read.
	enc atomic.Pointer[recordJSON]
	// sessCfg is config as a session named after the record without inline blocks runs it
	// (verificationRecord.normalizedConfig), made on first use.
	sessCfg atomic.Pointer[generated.VerificationConfig]
}

func (v *verificationRecord) wire() generated.Verification {
	return generated.Verification{
		VerificationId: v.id, Name: v.name, VerificationConfig: storedConfig(v.config),
		Created: v.created, LastModified: v.lastModified,
	}
}

// sessionRecord is a session as the store takes and gives it (it holds it in a sessionTable). The
// result is nil while the session is pending; completion sets it under the store's lock.
type sessionRecord struct {
	id             uuid.UUID
	account        string
	verificationID *uuid.UUID // the verification it was started from, if any
	// config is the session's effective configuration, never changed once stored: a session
	// named after a verification without inline blocks shares the verification's normalized
	// configuration, so that a stored session holds one pointer to it rather than its six.
	config      *generated.VerificationConfig
	externalID  string
	webhookURL  string
	customInput map[string]string
	hosted      bool // started from the hosted page, which redirects when it completes
	created     time.Time
	completed   time.Time
	result      *generated.SessionResult
}

// accountData is everything one account owns.
type accountData struct {
	id            string
	num           uint32 // its number in store.numbered, which sessionOwner holds
	verifications map[uuid.UUID]*verificationRecord
	byName        map[string]uuid.UUID
	sessions      sessionTable
	nonces        nonceSet // consumed nonce → when a session consumed it, and when its link expires
	collections   map[string]*collection
	// The sessions in the order added, for pruning (store_prune.go); nonces keeps its own.
	sweptSessions sweepList[sweptSession]
	// listJSON is get-all's answer as of the verifications' generation listGen (store_list.go).
	listJSON atomic.Pointer[listCache]
	listGen  uint64
}

// store holds the state of every account behind one lock. Methods take the account id first; an
// id of another account is simply not found. A method that fails returns a store error
// (store_errors.go) or a storage failure (errStorage), never a status: problemFor decides that.
type store struct {
	mu       sync.RWMutex
	accounts map[string]*accountData
	// The hosted page and the control API know a verification or session only by its id, so the
	// store also maps ids to their owners. A session's owner is its account's number (which, like
	// the id, holds no pointer: see sessionTable), numbered[n] is the account of number n, and
	// freeNums the numbers of accounts forgotten since.
	verificationOwner map[uuid.UUID]string
	sessionOwner      map[uuid.UUID]uint32
	numbered          []*accountData
	freeNums          []uint32
	seq               uint64
	// disk, when set, is written (in one transaction per change) before memory changes.
	disk *disk
}

// persistLocked makes ops durable before the caller changes memory; without a disk it does
// nothing.
func (st *store) persistLocked(ops func() []op) error {
	if st.disk == nil {
		return nil // without a data directory, the records are not even encoded
	}
	return st.disk.write(ops())
}

func newStore() *store {
	return &store{
		accounts:          map[string]*accountData{},
		verificationOwner: map[uuid.UUID]string{},
		sessionOwner:      map[uuid.UUID]uint32{},
	}
}

// reset forgets every account's data: back to the state of a new mock.
func (st *store) reset() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.disk != nil {
		if err := st.disk.wipe(); err != nil {
			return err
		}
	}
	st.accounts = map[string]*accountData{}
	st.verificationOwner = map[uuid.UUID]string{}
	st.sessionOwner = map[uuid.UUID]uint32{}
	st.numbered, st.freeNums = nil, nil
	return nil
}

func (st *store) accountLocked(acc string) *accountData {
	d := st.accounts[acc]
	if d == nil {
		d = &accountData{
			id:            acc,
			verifications: map[uuid.UUID]*verificationRecord{},
			byName:        map[string]uuid.UUID{},
			sessions:      newSessionTable(),
			nonces:        newNonceSet(),
			collections:   map[string]*collection{},
		}
		if k := len(st.freeNums); k > 0 {
			d.num, st.freeNums = st.freeNums[k-1], st.freeNums[:k-1]
			st.numbered[d.num] = d
		} else {
			d.num = uint32(len(st.numbered))
			st.numbered = append(st.numbered, d)
		}
		st.accounts[acc] = d
	}
	return d
}

// sessionAccountLocked returns the account that owns session id.
func (st *store) sessionAccountLocked(id uuid.UUID) (*accountData, bool) {
	n, ok := st.sessionOwner[id]
	if !ok {
		return nil, false
	}
	return st.numbered[n], true
}

func (st *store) getVerification(acc string, id uuid.UUID) (*verificationRecord, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if d := st.accounts[acc]; d != nil {
		if v := d.verifications[id]; v != nil {
			return v, nil
		}
	}
	return nil, verificationNotFound(id)
}

func (st *store) verificationByName(acc, name string) (*verificationRecord, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if d := st.accounts[acc]; d != nil {
		if id, ok := d.byName[name]; ok {
			return d.verifications[id], nil
		}
	}
	return nil, verificationNameNotFound(name)
}

// listVerifications returns the account's verifications in creation order.
func (st *store) listVerifications(acc string) []*verificationRecord {
	st.mu.RLock()
	d := st.accounts[acc]
	var out []*verificationRecord
	if d != nil {
		out = make([]*verificationRecord, 0, len(d.verifications))
		for _, v := range d.verifications {
			out = append(out, v)
		}
	}
	st.mu.RUnlock()
	slices.SortFunc(out, func(a, b *verificationRecord) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

// createVerification stores a new verification named name, or fails with a conflict when the
// name is taken.
func (st *store) createVerification(acc string, id uuid.UUID, name string, cfg generated.VerificationConfig, now time.Time) (*verificationRecord, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accountLocked(acc)
	if _, taken := d.byName[name]; taken {
		return nil, nameTaken(name)
	}
	return st.insertLocked(acc, d, id, name, cfg, now)
}

func (st *store) insertLocked(acc string, d *accountData, id uuid.UUID, name string, cfg generated.VerificationConfig, now time.Time) (*verificationRecord, error) {
	v := &verificationRecord{id: id, name: name, config: cfg, created: now, lastModified: now, seq: st.seq + 1}
	if err := st.persistLocked(func() []op { return []op{verificationOp(acc, v)} }); err != nil {
		return nil, err
	}
	st.seq = v.seq
	d.verifications[id] = v
	d.verificationsChanged()
	d.byName[name] = id
	st.verificationOwner[id] = acc
	return v, nil
}

// upsertVerification replaces the configuration of the verification named name, or creates it
// with id when there is none; created reports which.
func (st *store) upsertVerification(acc string, id uuid.UUID, name string, cfg generated.VerificationConfig, now time.Time) (v *verificationRecord, created bool, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accountLocked(acc)
	if existing, ok := d.byName[name]; ok {
		old := d.verifications[existing]
		v := &verificationRecord{id: old.id, name: name, config: cfg, created: old.created, lastModified: now, seq: old.seq}
		if err := st.persistLocked(func() []op { return []op{verificationOp(acc, v)} }); err != nil {
			return nil, false, err
		}
		d.verifications[existing] = v
		d.verificationsChanged()
		return v, false, nil
	}
	v, err = st.insertLocked(acc, d, id, name, cfg, now)
	return v, err == nil, err
}

// updateVerification replaces the name and configuration of verification id. It fails with
// not found for an unknown id and with a conflict when another verification has the new name.
func (st *store) updateVerification(acc string, id uuid.UUID, name string, cfg generated.VerificationConfig, now time.Time) (*verificationRecord, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accountLocked(acc)
	old := d.verifications[id]
	if old == nil {
		return nil, verificationNotFound(id)
	}
	if other, taken := d.byName[name]; taken && other != id {
		return nil, nameTaken(name)
	}
	v := &verificationRecord{id: id, name: name, config: cfg, created: old.created, lastModified: now, seq: old.seq}
	if err := st.persistLocked(func() []op { return []op{verificationOp(acc, v)} }); err != nil {
		return nil, err
	}
	delete(d.byName, old.name)
	d.byName[name] = id
	d.verifications[id] = v
	d.verificationsChanged()
	return v, nil
}

func (st *store) deleteVerification(acc string, id uuid.UUID) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accounts[acc]
	if d == nil || d.verifications[id] == nil {
		return verificationNotFound(id)
	}
	if err := st.persistLocked(func() []op { return []op{deleteVerificationOp(acc, id)} }); err != nil {
		return err
	}
	delete(d.byName, d.verifications[id].name)
	delete(d.verifications, id)
	d.verificationsChanged()
	delete(st.verificationOwner, id)
	return nil
}

// verificationAnyAccount finds a verification by id alone, for the hosted page.
func (st *store) verificationAnyAccount(id uuid.UUID) (string, *verificationRecord, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	acc, ok := st.verificationOwner[id]
	if !ok {
		return "", nil, verificationNotFound(id)
	}
	return acc, st.accounts[acc].verifications[id], nil
}

// addSession stores a new session, pruning the account's expired sessions and nonces when a
// sweep is due (store_prune.go) in the same step.
func (st *store) addSession(s *sessionRecord) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	pruned, prune := st.sweepLocked(s.account, s.created)
	if err := st.persistLocked(func() []op { return append([]op{sessionOp(s)}, pruned...) }); err != nil {
		return err
	}
	prune()
	st.addSessionLocked(s)
	return nil
}

func (st *store) addSessionLocked(s *sessionRecord) {
	d := st.accountLocked(s.account)
	d.sessions.put(s)
	d.sweptSessions.add(sweptSession{id: s.id, created: toUnixTime(s.created)})
	st.sessionOwner[s.id] = d.num
}

// startSession stores a session started from a hosted-page link, consuming its nonce (when it
// has one; linkExpires is the link's reExpiration, zero when it has none) in the same step: of
// any number of concurrent starts with one nonce, exactly one succeeds and the others fail with
// a conflict that is errNonceUsed. Like addSession, it prunes when a sweep is due.
func (st *store) startSession(s *sessionRecord, nonce string, linkExpires time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accountLocked(s.account)
	if nonce != "" {
		if _, used := d.nonces.get(nonce); used {
			return nonceUsed()
		}
	}
	u := usedNonce{used: s.created, expires: linkExpires}
	pruned, prune := st.sweepLocked(s.account, s.created)
	err := st.persistLocked(func() []op {
		ops := []op{sessionOp(s)}
		if nonce != "" {
			ops = append(ops, nonceOps(s.account, nonce, u)...)
		}
		return append(ops, pruned...)
	})
	if err != nil {
		return err
	}
	prune()
	if nonce != "" {
		d.nonces.put(nonce, u)
	}
	st.addSessionLocked(s)
	return nil
}

// completeSession gives session id its result, computed by compute while the lock is held so
// that the face collections and the result change together. A session completes once; a second
// completion fails with a conflict that is ErrSessionCompleted and changes nothing.
func (st *store) completeSession(id uuid.UUID, now time.Time, compute func(sessionRecord, faceIndex) generated.SessionResult) (sessionRecord, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d, ok := st.sessionAccountLocked(id)
	if !ok {
		return sessionRecord{}, sessionNotFound(id)
	}
	acc := d.id
	s, _ := d.sessions.get(acc, id)
	if !sessionReadable(s.created, now) {
		return sessionRecord{}, sessionNotFound(id)
	}
	if s.result != nil {
		return s, sessionCompleted(id)
	}
	// With a disk, the faces indexed are gathered apart, written with the result, and only then
	// made current, so a failed write leaves the collections as they were.
	faces := &accountFaces{account: acc, collections: d.collections}
	if st.disk != nil {
		faces.pending = map[string]*collection{}
	}
	res := compute(s, faces)
	done := s
	done.result = &res
	done.completed = now
	err := st.persistLocked(func() []op {
		return append([]op{sessionOp(&done)}, faceEntryOps(acc, faces.pending)...)
	})
	if err != nil {
		return sessionRecord{}, err
	}
	faces.apply()
	d.sessions.complete(id, now, done.result)
	return done, nil
}

// faceCollections returns a snapshot of every account's face collections, sorted.
func (st *store) faceCollections() []FaceCollection {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := []FaceCollection{}
	for acc, d := range st.accounts {
		for name, c := range d.collections {
			fc := FaceCollection{Account: acc, CollectionID: name, Faces: map[string]string{}, Enrolled: map[string]string{}}
			for k, v := range c.faces {
				fc.Faces[k] = v
			}
			for k, v := range c.enrolled {
				fc.Enrolled[k] = v
			}
			out = append(out, fc)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].CollectionID < out[j].CollectionID
	})
	return out
}

// getSession returns a copy of the account's session id if it was created within
// SessionRetention of now. Expiry is decided here, on read, against the mock's clock.
func (st *store) getSession(acc string, id uuid.UUID, now time.Time) (sessionRecord, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	d := st.accounts[acc]
	if d == nil {
		return sessionRecord{}, sessionNotFound(id)
	}
	s, ok := d.sessions.get(acc, id)
	if !ok || !sessionReadable(s.created, now) {
		return sessionRecord{}, sessionNotFound(id)
	}
	return s, nil
}

// sessionResultAnswer returns the account's session id's get-session-result answer when it is
// completed, nil while it is pending, if it was created within SessionRetention of now (see
// getSession).
func (st *store) sessionResultAnswer(acc string, id uuid.UUID, now time.Time) ([]byte, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	d := st.accounts[acc]
	if d == nil {
		return nil, sessionNotFound(id)
	}
	answer, created, ok, err := d.sessions.resultAnswer(id)
	if !ok || !sessionReadable(created, now) {
		return nil, sessionNotFound(id)
	}
	return answer, err
}

// nonceUsed reports whether a started session has consumed the account's nonce.
func (st *store) nonceUsed(acc, nonce string) bool {
	st.mu.RLock()
	defer st.mu.RUnlock()
	d := st.accounts[acc]
	if d == nil {
		return false
	}
	_, used := d.nonces.get(nonce)
	return used
}
