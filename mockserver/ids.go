package mockserver

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"sync"

	"github.com/google/uuid"
)

// ids is the mock's one source of randomness (ids, nonces, token keys), seeded so that the same
// seed and the same sequence of requests give the same ids.
type ids struct {
	mu  sync.Mutex
	rng *rand.ChaCha8
}

// newIDs returns the source for seed. stream tells apart the runs of a mock restarted on the
// same data directory (0 for the first), so none repeats an id of an earlier one.
func newIDs(seed, stream uint64) *ids {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	binary.LittleEndian.PutUint64(s[8:], stream)
	copy(s[16:], "verifeye-mock-id")
	return &ids{rng: rand.NewChaCha8(s)}
}

func (r *ids) uint64() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Uint64()
}

func (r *ids) read(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.rng.Read(b)
}

// uuid returns a random (version 4) UUID.
func (r *ids) uuid() uuid.UUID {
	var u uuid.UUID
	r.read(u[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// nonce returns 32 lowercase hex digits: a UUID without its dashes, the vendor's nonce shape.
func (r *ids) nonce() string {
	u := r.uuid()
	return hex.EncodeToString(u[:])
}
