package mockserver

import (
	"sync"
	"time"
)

// RequestRecord is one API request in the journal. It never holds credentials or bodies.
type RequestRecord struct {
	// Time is the mock clock's time when the request arrived.
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Operation  string    `json:"operation,omitempty"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"durationMs"`
	// Account is the authenticated account's id; empty when authentication failed or none is needed.
	Account string `json:"account,omitempty"`
}

// journalLimit bounds the journal, so memory stays flat however long the mock runs.
const journalLimit = 1000

// journal keeps the most recent API requests.
type journal struct {
	mu      sync.Mutex
	entries *ring[RequestRecord]
}

func newJournal() *journal { return &journal{entries: newRing[RequestRecord](journalLimit)} }

func (j *journal) add(r RequestRecord) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries.add(r)
}

func (j *journal) list() []RequestRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.entries.items()
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = newRing[RequestRecord](journalLimit)
}

// clearAccount removes an account's entries.
func (j *journal) clearAccount(account string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries.keep(func(r RequestRecord) bool { return r.Account != account })
}
