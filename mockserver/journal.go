package mockserver

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	size     int // what the entry holds, in bytes, as counted when it was added (see bytes)
}

// record is e's RequestRecord with its bodies redacted.
func (e *journalEntry) record() RequestRecord {
	if !e.ready {
		e.rec.RequestBody, e.rec.ResponseBody = e.req.text(), e.res.text()
		e.req, e.res, e.ready = capture{}, capture{}, true
	}
	return e.rec
}

// The journal's bounds, so memory stays flat however long the mock runs and however large its
// requests: the last journalLimit requests, and of those the most recent that fit in
// journalMaxBytes, the oldest going first. Each entry is bounded too: its bodies at bodyLimit
// (4 KiB each), its X-Mock-Warning at MaxWarningBytes (4 KiB), and its path, detail and errors
// as journalText and journalErrors cut them.
const (
	journalLimit    = 1000
	journalMaxBytes = 8 << 20
	// journalText bounds a record's path and detail, in bytes.
	journalText = 1 << 10
	// journalErrors bounds a record's errors (field names and rules, added up), in bytes.
	journalErrors = 2 << 10
	// journalEntryOverhead is what an entry costs besides its text: the record's fixed fields
	// and the pointers that hold it.
	journalEntryOverhead = 256
)

// journal keeps the most recent API requests, oldest first from head.
type journal struct {
	mu      sync.Mutex
	entries []*journalEntry
	head    int
	bytes   int // the sizes of entries[head:], added up
}

func newJournal() *journal { return &journal{} }

// newJournalEntry is the journal's entry for rec and its captured bodies, with the record's
// path, detail and errors cut to the journal's bounds and its size counted.
func newJournalEntry(rec RequestRecord, req, res capture) *journalEntry {
	// The path is copied: net/http's is a slice of the request line, query string included,
	// which the journal would otherwise keep alive.
	rec.Path = strings.Clone(cutText(rec.Path, journalText))
	return journalEntryOf(rec, req, res)
}

// journalEntryOf is newJournalEntry for a record whose path is within journalText bytes and
// already a copy of the request's own.
func journalEntryOf(rec RequestRecord, req, res capture) *journalEntry {
	rec.Detail = cutText(rec.Detail, journalText)
	rec.Errors = cutErrors(rec.Errors)
	e := &journalEntry{rec: rec, req: req, res: res}
	e.size = journalEntryOverhead + len(rec.Method) + len(rec.Path) + len(rec.Operation) + len(rec.Account) +
		len(rec.RequestID) + len(rec.Detail) + len(rec.Warning) + errorsSize(rec.Errors) + cap(req.buf) + cap(res.buf)
	return e
}

func (j *journal) add(e *journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, e)
	j.bytes += e.size
	for n := len(j.entries) - j.head; n > journalLimit || (j.bytes > journalMaxBytes && n > 1); n-- {
		j.bytes -= j.entries[j.head].size
		j.entries[j.head] = nil
		j.head++
	}
	if j.head > len(j.entries)/2 { // the dropped entries' slots are given back now and then
		j.entries = append([]*journalEntry(nil), j.entries[j.head:]...)
		j.head = 0
	}
}

func (j *journal) list() []RequestRecord {
	j.mu.Lock()
	defer j.mu.Unlock()
	items := j.entries[j.head:]
	out := make([]RequestRecord, len(items))
	for i, e := range items {
		out[i] = e.record()
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries, j.head, j.bytes = nil, 0, 0
}

// clearAccount removes an account's entries.
func (j *journal) clearAccount(account string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	kept := filter(j.entries[j.head:], func(e *journalEntry) bool { return e.rec.Account != account })
	j.entries, j.head, j.bytes = kept, 0, 0
	for _, e := range kept {
		j.bytes += e.size
	}
}

// cutText is s cut at n bytes (on a character boundary), with a marker naming its full size.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	keep := s[:n]
	for len(keep) > 0 && !utf8.RuneStart(s[len(keep)]) {
		keep = keep[:len(keep)-1]
	}
	return keep + "…[cut at " + strconv.Itoa(len(keep)) + " of " + strconv.Itoa(len(s)) + " bytes]"
}

// cutErrors is errs within journalErrors bytes: the fields in order while they fit, each name
// and rule cut at journalText/4 bytes, and under "…" how many fields were left out.
func cutErrors(errs map[string][]string) map[string][]string {
	if errorsSize(errs) <= journalErrors {
		return errs
	}
	fields := make([]string, 0, len(errs))
	for f := range errs {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	out := map[string][]string{}
	size := 0
	for i, f := range fields {
		name := cutText(f, journalText/4)
		rules := make([]string, len(errs[f]))
		for k, r := range errs[f] {
			rules[k] = cutText(r, journalText/4)
		}
		if size += errorsSize(map[string][]string{name: rules}); size > journalErrors {
			out["…"] = []string{strconv.Itoa(len(fields)-i) + " more fields not kept in the journal"}
			break
		}
		out[name] = rules
	}
	return out
}

// errorsSize is the bytes of errs' field names and rules, added up.
func errorsSize(errs map[string][]string) int {
	n := 0
	for f, rules := range errs {
		n += len(f)
		for _, r := range rules {
			n += len(r)
		}
	}
	return n
}
