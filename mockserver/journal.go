package mockserver

import (
	"sync"
	"time"
)

// RequestRecord is one API request in the journal: what was asked, what was answered and why.
// Its bodies are cut at 4 KiB and never hold credentials (see redact).
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
	// RequestID is the request's X-Request-Id, the traceId of its problem body.
	RequestID string `json:"requestId,omitempty"`
	// Detail is the problem detail of a refused or failed request (the field and the rule), or
	// what the hosted page told its visitor.
	Detail string `json:"detail,omitempty"`
	// Errors is the problem body's field → rules map, when the problem has one.
	Errors map[string][]string `json:"errors,omitempty"`
	// Warning is the X-Mock-Warning the mock answered, when it warned.
	Warning string `json:"warning,omitempty"`
	// Cut is set when the response did not reach the client whole: the server's write timeout
	// passed (see Options.WriteTimeout) or the client went away. Status is then the status the
	// mock tried to answer, not one the client read.
	Cut bool `json:"cut,omitempty"`
	// RequestBody and ResponseBody are the bodies, redacted and cut at 4 KiB with a marker.
	RequestBody  string `json:"requestBody,omitempty"`
	ResponseBody string `json:"responseBody,omitempty"`
}

// journalEntry is a request as the journal keeps it: its bodies as captured, redacted the first
// time someone reads the journal, so a request the journal only holds costs no redaction.
type journalEntry struct {
	rec      RequestRecord
	req, res capture
	ready    bool
}

// record is e's RequestRecord with its bodies redacted.
func (e *journalEntry) record() RequestRecord {
	if !e.ready {
		e.rec.RequestBody, e.rec.ResponseBody = e.req.text(), e.res.text()
		e.req, e.res, e.ready = capture{}, capture{}, true
	}
	return e.rec
}

// journalLimit bounds the journal, so memory stays flat however long the mock runs.
const journalLimit = 1000

// journal keeps the most recent API requests.
type journal struct {
	mu      sync.Mutex
	entries *ring[*journalEntry]
}

func newJournal() *journal { return &journal{entries: newRing[*journalEntry](journalLimit)} }

func (j *journal) add(e *journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries.add(e)
}

func (j *journal) list() []RequestRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	items := j.entries.items()
	out := make([]RequestRecord, len(items))
	for i, e := range items {
		out[i] = e.record()
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = newRing[*journalEntry](journalLimit)
}

// clearAccount removes an account's entries.
func (j *journal) clearAccount(account string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries.keep(func(e *journalEntry) bool { return e.rec.Account != account })
}
