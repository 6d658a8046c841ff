package mockserver

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// The persisted forms pruning writes and reads (store_prune.go).

// storedNonce is the persisted form of a used nonce. Versions before pruning wrote only the
// time it was used, as a JSON string; such a nonce is read as one whose link never expires, so
// it is kept as it always was.
type storedNonce struct {
	Used    time.Time  `json:"used"`
	Expires *time.Time `json:"expires,omitempty"`
}

func nonceOp(acc, nonce string, u usedNonce) op {
	r := storedNonce{Used: u.used}
	if !u.expires.IsZero() {
		r.Expires = &u.expires
	}
	return op{bucketNonces, recordKey(acc, nonce), mustJSON(r)}
}

// decodeNonce reads a used nonce in either persisted form.
func decodeNonce(v []byte) (usedNonce, error) {
	var r storedNonce
	if err := json.Unmarshal(v, &r); err != nil {
		var at time.Time
		if err := json.Unmarshal(v, &at); err != nil {
			return usedNonce{}, err
		}
		return usedNonce{used: toTick(at)}, nil
	}
	u := usedNonce{used: toTick(r.Used)}
	if r.Expires != nil {
		u.expires = r.Expires.UTC()
	}
	return u, nil
}

func deleteSessionOp(acc string, id uuid.UUID) op {
	return op{bucketSessions, recordKey(acc, id.String()), nil}
}

func deleteNonceOp(acc, nonce string) op {
	return op{bucketNonces, recordKey(acc, nonce), nil}
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
