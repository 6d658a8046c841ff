package mockserver

import (
	"encoding/hex"
	"time"
)

// nonceSet is an account's used nonces, held where the garbage collector does not look into them,
// as its sessions are (sessionTable): a nonce of the shape the signature check accepts (32
// lowercase hexadecimal characters; signing.Validate refuses a link with any other) as its 16
// bytes, in a map with no pointers; any other, which only a data directory written by hand can
// hold, by its string. Each kind keeps its nonces in the order they were used, for pruning.
type nonceSet struct {
	packed      map[[16]byte]heldNonce
	other       map[string]heldNonce
	sweptPacked sweepList[[16]byte]
	sweptOther  sweepList[string]
}

// heldNonce is a usedNonce without the location pointers of its times.
type heldNonce struct {
	used, expires unixTime
}

func (h heldNonce) usedNonce() usedNonce {
	return usedNonce{used: h.used.time(), expires: h.expires.time()}
}

func newNonceSet() nonceSet {
	return nonceSet{packed: map[[16]byte]heldNonce{}, other: map[string]heldNonce{}}
}

// packNonce returns nonce as its 16 bytes, when it is 32 lowercase hexadecimal characters.
func packNonce(nonce string) (k [16]byte, ok bool) {
	if len(nonce) != 32 {
		return k, false
	}
	for i := range len(nonce) {
		if c := nonce[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return k, false
		}
	}
	_, err := hex.Decode(k[:], []byte(nonce))
	return k, err == nil
}

func (s *nonceSet) len() int { return len(s.packed) + len(s.other) }

func (s *nonceSet) get(nonce string) (usedNonce, bool) {
	var h heldNonce
	var ok bool
	if k, packed := packNonce(nonce); packed {
		h, ok = s.packed[k]
	} else {
		h, ok = s.other[nonce]
	}
	return h.usedNonce(), ok
}

// put records nonce as used (u), adding it to its sweep list when it is new.
func (s *nonceSet) put(nonce string, u usedNonce) {
	h := heldNonce{used: toUnixTime(u.used), expires: toUnixTime(u.expires)}
	if k, packed := packNonce(nonce); packed {
		if _, ok := s.packed[k]; !ok {
			s.sweptPacked.add(k)
		}
		s.packed[k] = h
		return
	}
	if _, ok := s.other[nonce]; !ok {
		s.sweptOther.add(nonce)
	}
	s.other[nonce] = h
}

// sweep looks at the next sweepStep entries of each of the set's sweep lists at now, and returns
// the names of those past their window (see store.sweepLocked) and apply, which forgets them and
// moves the passes on.
func (s *nonceSet) sweep(now time.Time) (expired []string, apply func()) {
	var keepPacked, keepOther [sweepStep]bool
	packed, other := s.sweptPacked.next(), s.sweptOther.next()
	for i, k := range packed {
		// A nonce no longer held was pruned through an earlier entry of the same value.
		h, held := s.packed[k]
		if keepPacked[i] = held && !h.usedNonce().expired(now); held && !keepPacked[i] {
			expired = append(expired, hex.EncodeToString(k[:]))
		}
	}
	for i, n := range other {
		h, held := s.other[n]
		if keepOther[i] = held && !h.usedNonce().expired(now); held && !keepOther[i] {
			expired = append(expired, n)
		}
	}
	return expired, func() {
		for i, k := range packed {
			if !keepPacked[i] {
				delete(s.packed, k)
			}
		}
		for i, n := range other {
			if !keepOther[i] {
				delete(s.other, n)
			}
		}
		s.sweptPacked.advance(&keepPacked)
		s.sweptOther.advance(&keepOther)
	}
}
