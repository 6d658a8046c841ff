package mockserver

import (
	"encoding/binary"
	"encoding/json"
	"iter"
	"reflect"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// An account's sessions are held where the garbage collector does not look into them. A mock
// that CI shares, or that a load test fills, may hold hundreds of thousands of sessions, and every
// collection marks the whole live heap: held as records with pointers (a configuration, strings,
// a result), 150,000 sessions made each collection take 14 ms (by create-session) to 120 ms (from
// hosted links), which on a machine of two cores is a pause every request behind it waits out
// (docs/performance.md). Held here, a session is one entry of a map whose keys and values hold no
// pointers, which the collector marks as a single object without reading it (its account's used
// nonces likewise, in a nonceSet):
//
//   - times as Unix seconds and nanoseconds, the verification's id by value;
//   - the configuration as a number in the account's configTable, where the sessions started by
//     one verification's name share one entry, as do sessions with equal blocks of their own;
//   - the external id (and a webhook URL that is not the configuration's own) in the account's
//     textArena;
//   - a completed session's result as its get-session-result answer, in the textArena too: every
//     reader after completion sees the result as JSON (the API, the control API, the data
//     directory), so it is decoded from those bytes when a reader wants it as a struct;
//   - a hosted link's custom input, its pairs one after the other in the textArena;
//   - only a result whose JSON would not decode to it exactly (which the mock does not make from
//     an API request), in a map of its own.
//
// The store's methods take and give sessionRecords, built from these parts on each read; none of
// them is changed once stored but by completion, which replaces the result.

// sessionTable is an account's sessions.
type sessionTable struct {
	byID    map[uuid.UUID]heldSession
	configs configTable
	text    textArena
	odd     map[uuid.UUID]*generated.SessionResult // results not held as JSON (setResult)
}

// heldSession is a session as its account's sessionTable holds it; it has no pointers.
type heldSession struct {
	verificationID     uuid.UUID // with fromVerification
	created, completed unixTime
	config             uint32 // in the table's configs; 0: none
	externalID         textRef
	webhookURL         textRef // unless webhookOfConfig
	result             textRef // the result's JSON, with resultJSON
	customInput        textRef // with hasCustomInput (appendPairs)
	flags              sessionFlags
}

type sessionFlags uint8

const (
	fromVerification sessionFlags = 1 << iota // started from a verification, verificationID
	startedHosted                             // sessionRecord.hosted
	webhookOfConfig                           // the webhook URL is the configuration's callback URL
	resultJSON                                // the result, as its JSON in result
	oddResult                                 // the result, in the table's odd
	hasCustomInput                            // customInput, which may hold no pair
)

// unixTime is a time in UTC as Unix seconds and nanoseconds: a time.Time without its location
// pointer.
type unixTime struct {
	sec  int64
	nsec int32
}

func toUnixTime(t time.Time) unixTime { return unixTime{t.Unix(), int32(t.Nanosecond())} }

// time is u as the store's times are: in UTC, which the clock and the data directory give.
func (u unixTime) time() time.Time { return time.Unix(u.sec, int64(u.nsec)).UTC() }

func newSessionTable() sessionTable {
	return sessionTable{byID: map[uuid.UUID]heldSession{}, odd: map[uuid.UUID]*generated.SessionResult{}}
}

func (t *sessionTable) len() int { return len(t.byID) }

// put stores s, in place of a session of its id if there is one.
func (t *sessionTable) put(s *sessionRecord) {
	if _, ok := t.byID[s.id]; ok {
		t.remove(s.id)
	}
	e := heldSession{
		created: toUnixTime(s.created), completed: toUnixTime(s.completed),
		config: t.configs.add(s.config), externalID: t.text.add(s.externalID),
	}
	if s.verificationID != nil {
		e.verificationID, e.flags = *s.verificationID, e.flags|fromVerification
	}
	if s.hosted {
		e.flags |= startedHosted
	}
	if s.webhookURL != "" && s.webhookURL == configWebhookURL(s.config) {
		e.flags |= webhookOfConfig
	} else {
		e.webhookURL = t.text.add(s.webhookURL)
	}
	if s.customInput != nil {
		e.customInput, e.flags = t.text.add(string(appendPairs(nil, s.customInput))), e.flags|hasCustomInput
	}
	t.setResult(s.id, &e, s.result)
	t.byID[s.id] = e
}

// setResult stores result (nil: none) for session id in e as its JSON, or in the table's odd
// when its JSON does not decode to it exactly (a result that does not encode, or holds a string
// that is not UTF-8, which JSON cannot carry; the mock makes neither from a request of the API).
func (t *sessionTable) setResult(id uuid.UUID, e *heldSession, result *generated.SessionResult) {
	if result == nil {
		return
	}
	if b, err := sessionResultJSON(result); err == nil && jsonExact(result) {
		e.result, e.flags = t.text.add(unsafe.String(unsafe.SliceData(b), len(b))), e.flags|resultJSON
		return
	}
	t.odd[id], e.flags = result, e.flags|oddResult
}

// appendPairs appends m's pairs to b, each key and value as its length (a uvarint) and its
// bytes; readPairs reads them back.
func appendPairs(b []byte, m map[string]string) []byte {
	for k, v := range m {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

func readPairs(s string) map[string]string {
	m := map[string]string{}
	next := func() string {
		n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		v := s[w : w+int(n)]
		s = s[w+int(n):]
		return v
	}
	for s != "" {
		k := next()
		m[k] = next()
	}
	return m
}

// jsonExact reports whether r's JSON (when it encodes: an age that is a number) decodes to r
// exactly: every string is UTF-8 (JSON writes U+FFFD for a byte that is not), and no pointer
// holds a nil map or slice (written null, which decodes to a nil pointer). A member added to
// SessionResult must be added here too (TestJSONExactIsRoundTrip).
func jsonExact(r *generated.SessionResult) bool {
	ok := utf8.ValidString(string(r.VerificationResult))
	for _, p := range []*generated.VerifierResult{r.AgeVerificationResult, r.FaceRecognitionResult,
		r.GenderVerificationResult, r.LivenessVerificationResult} {
		ok = ok && (p == nil || utf8.ValidString(string(*p)))
	}
	for _, p := range []*string{r.CorrelationId, r.FaceId, (*string)(r.EstimatedGender)} {
		ok = ok && (p == nil || utf8.ValidString(*p))
	}
	if m := r.CustomInputParameters; m != nil {
		ok = ok && *m != nil
		for k, v := range *m {
			ok = ok && utf8.ValidString(k) && utf8.ValidString(v)
		}
	}
	if l := r.VerificationFailedReasons; l != nil {
		ok = ok && *l != nil
		for _, v := range *l {
			ok = ok && utf8.ValidString(string(v))
		}
	}
	return ok
}

// complete gives the stored session id its result, completed at at, in place of any it had.
func (t *sessionTable) complete(id uuid.UUID, at time.Time, result *generated.SessionResult) {
	e := t.byID[id]
	t.text.release(e.result)
	delete(t.odd, id)
	e.result, e.flags = textRef{}, e.flags&^(resultJSON|oddResult)
	t.setResult(id, &e, result)
	e.completed = toUnixTime(at)
	t.byID[id] = e
}

// resultAnswer returns session id's result as its get-session-result answer, nil while it is
// pending, and whether the table holds the session and when it was created. The answer shares
// the table's bytes, which never change.
func (t *sessionTable) resultAnswer(id uuid.UUID) (answer []byte, created time.Time, ok bool, err error) {
	e, ok := t.byID[id]
	switch {
	case !ok:
		return nil, time.Time{}, false, nil
	case e.flags&resultJSON != 0:
		s := t.text.get(e.result)
		return unsafe.Slice(unsafe.StringData(s), len(s)), e.created.time(), true, nil
	case e.flags&oddResult != 0:
		answer, err = sessionResultJSON(t.odd[id])
		return answer, e.created.time(), true, err
	}
	return nil, e.created.time(), true, nil
}

// get returns session id of account acc as a record.
func (t *sessionTable) get(acc string, id uuid.UUID) (sessionRecord, bool) {
	e, ok := t.byID[id]
	if !ok {
		return sessionRecord{}, false
	}
	return t.record(acc, id, &e), true
}

func (t *sessionTable) record(acc string, id uuid.UUID, e *heldSession) sessionRecord {
	s := sessionRecord{
		id: id, account: acc, config: t.configs.get(e.config), externalID: t.text.get(e.externalID),
		hosted: e.flags&startedHosted != 0, created: e.created.time(), completed: e.completed.time(),
	}
	if e.flags&fromVerification != 0 {
		vid := e.verificationID
		s.verificationID = &vid
	}
	if e.flags&webhookOfConfig != 0 {
		s.webhookURL = configWebhookURL(s.config)
	} else {
		s.webhookURL = t.text.get(e.webhookURL)
	}
	if e.flags&hasCustomInput != 0 {
		s.customInput = readPairs(t.text.get(e.customInput))
	}
	if e.flags&oddResult != 0 {
		s.result = t.odd[id]
	}
	if e.flags&resultJSON != 0 {
		var res generated.SessionResult
		_ = json.Unmarshal([]byte(t.text.get(e.result)), &res) // setResult saw it decode to the result
		s.result = &res
	}
	return s
}

// remove forgets session id, and reports whether the table held it.
func (t *sessionTable) remove(id uuid.UUID) bool {
	e, ok := t.byID[id]
	if !ok {
		return false
	}
	t.configs.release(e.config)
	t.text.release(e.externalID)
	t.text.release(e.webhookURL)
	t.text.release(e.result)
	t.text.release(e.customInput)
	delete(t.odd, id)
	delete(t.byID, id)
	return true
}

// all yields account acc's sessions as records, in no particular order.
func (t *sessionTable) all(acc string) iter.Seq[sessionRecord] {
	return func(yield func(sessionRecord) bool) {
		for id, e := range t.byID {
			if !yield(t.record(acc, id, &e)) {
				return
			}
		}
	}
}

// configWebhookURL is cfg's webhook callback URL, empty when it has none.
func configWebhookURL(cfg *generated.VerificationConfig) string {
	if cfg == nil || cfg.WebhookConfig == nil || cfg.WebhookConfig.EventCallbackUrl == nil {
		return ""
	}
	return *cfg.WebhookConfig.EventCallbackUrl
}

// configTable holds the configurations of an account's sessions, each once however many sessions
// share it, and numbers them from 1. Sessions share a configuration by pointer (those started by
// one verification's name, see sessionConfig, or from its hosted links without overrides), or by
// content: a configuration of a session's own (inline blocks, a hosted link's overrides) equal to
// one of the few the table took that way last is held once. An entry goes when the last session
// holding it does.
type configTable struct {
	list   []*generated.VerificationConfig // number-1 → configuration; nil: free
	refs   []uint32                        // number-1 → sessions holding it
	index  map[*generated.VerificationConfig]uint32
	free   []uint32              // free numbers
	recent [recentConfigs]uint32 // the numbers of the last configurations added new; 0: none
}

// recentConfigs is how many configurations configTable.add compares a new one with.
const recentConfigs = 4

// add counts one more session holding cfg and returns its number; nil is 0.
func (c *configTable) add(cfg *generated.VerificationConfig) uint32 {
	if cfg == nil {
		return 0
	}
	if n, ok := c.index[cfg]; ok {
		c.refs[n-1]++
		return n
	}
	for _, n := range c.recent {
		if n != 0 && reflect.DeepEqual(*c.list[n-1], *cfg) {
			c.refs[n-1]++
			return n
		}
	}
	if c.index == nil {
		c.index = map[*generated.VerificationConfig]uint32{}
	}
	var n uint32
	if k := len(c.free); k > 0 {
		n, c.free = c.free[k-1], c.free[:k-1]
		c.list[n-1], c.refs[n-1] = cfg, 1
	} else {
		c.list, c.refs = append(c.list, cfg), append(c.refs, 1)
		n = uint32(len(c.list))
	}
	c.index[cfg] = n
	copy(c.recent[1:], c.recent[:])
	c.recent[0] = n
	return n
}

func (c *configTable) get(n uint32) *generated.VerificationConfig {
	if n == 0 {
		return nil
	}
	return c.list[n-1]
}

// release counts one session fewer holding configuration n.
func (c *configTable) release(n uint32) {
	if n == 0 {
		return
	}
	if c.refs[n-1]--; c.refs[n-1] > 0 {
		return
	}
	delete(c.index, c.list[n-1])
	c.list[n-1] = nil
	c.free = append(c.free, n)
	for i, r := range c.recent {
		if r == n {
			c.recent[i] = 0
		}
	}
}
