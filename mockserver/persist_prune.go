package mockserver

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// The persisted forms pruning writes and reads (store_prune.go).

// bucketNonceExpiries keeps, for each used nonce whose link has a reExpiration, that expiry,
// under the nonce's key. The nonces bucket keeps what it always kept (the time the nonce was
// used, a JSON time), so a directory written before keeps its meaning: a nonce without an expiry
// here never expires, and is kept as it always was.
var bucketNonceExpiries = []byte("nonceExpiries")

// nonceOps are the writes that store a used nonce.
func nonceOps(acc, nonce string, u usedNonce) []op {
	ops := []op{{bucketNonces, recordKey(acc, nonce), mustJSON(u.used)}}
	if !u.expires.IsZero() {
		ops = append(ops, op{bucketNonceExpiries, recordKey(acc, nonce), mustJSON(u.expires)})
	}
	return ops
}

// loadNonceExpiries gives the loaded nonces their links' expiries.
func loadNonceExpiries(tx *bolt.Tx, st *store) error {
	b := tx.Bucket(bucketNonceExpiries)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		acc, nonce := splitKey(k)
		var at time.Time
		if err := json.Unmarshal(v, &at); err != nil {
			return fmt.Errorf("nonce expiry %q: %w", k, err)
		}
		if d := st.accounts[acc]; d != nil {
			if u, ok := d.nonces.get(nonce); ok {
				u.expires = at.UTC()
				d.nonces.put(nonce, u)
			}
		}
		return nil
	})
}

func deleteSessionOp(acc string, id uuid.UUID) op {
	return op{bucketSessions, recordKey(acc, id.String()), nil}
}

// deleteNonceOps are the deletes that forget a used nonce.
func deleteNonceOps(acc, nonce string) []op {
	return []op{{bucketNonces, recordKey(acc, nonce), nil}, {bucketNonceExpiries, recordKey(acc, nonce), nil}}
}

// storedCustomInput is what a session's record keeps of its custom input: nothing once the
// session has its result, whose customInputParameters hold the same parameters, so they are
// written once.
func storedCustomInput(s *sessionRecord) map[string]string {
	if s.result != nil && s.result.CustomInputParameters != nil {
		return nil
	}
	return s.customInput
}

// loadedCustomInput is a loaded session's custom input: its own, or its result's.
func loadedCustomInput(r storedSession) map[string]string {
	if r.CustomInput == nil && r.Result != nil && r.Result.CustomInputParameters != nil {
		return *r.Result.CustomInputParameters
	}
	return r.CustomInput
}
