package mockserver

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// pointerFree reports the path to the first pointer-holding part of t, or "" when t holds none.
func pointerFree(t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Pointer, reflect.UnsafePointer, reflect.String, reflect.Slice, reflect.Map,
		reflect.Chan, reflect.Func, reflect.Interface:
		return path + " (" + t.Kind().String() + ")"
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return pointerFree(t.Elem(), path+"[]")
	case reflect.Struct:
		for i := range t.NumField() {
			if p := pointerFree(t.Field(i).Type, path+"."+t.Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}

// The garbage collector skips memory whose type holds no pointers: what a stored session costs
// every collection depends on these types staying so.
func TestStoredSessionsHoldNoPointers(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[map[uuid.UUID]heldSession](),
		reflect.TypeFor[map[uuid.UUID]uint32](), // store.sessionOwner
		reflect.TypeFor[sweptSession](),
		reflect.TypeFor[map[[16]byte]heldNonce](), // nonceSet.packed
	} {
		switch typ.Kind() {
		case reflect.Map:
			for _, part := range []reflect.Type{typ.Key(), typ.Elem()} {
				if p := pointerFree(part, part.String()); p != "" {
					t.Errorf("%s holds a pointer at %s", typ, p)
				}
			}
		default:
			if p := pointerFree(typ, typ.String()); p != "" {
				t.Errorf("%s holds a pointer at %s", typ, p)
			}
		}
	}
	if f, _ := reflect.TypeFor[sessionTable]().FieldByName("byID"); f.Type != reflect.TypeFor[map[uuid.UUID]heldSession]() {
		t.Errorf("sessionTable.byID is %s", f.Type)
	}
	if f, _ := reflect.TypeFor[nonceSet]().FieldByName("packed"); f.Type != reflect.TypeFor[map[[16]byte]heldNonce]() {
		t.Errorf("nonceSet.packed is %s", f.Type)
	}
	if f, _ := reflect.TypeFor[store]().FieldByName("sessionOwner"); f.Type != reflect.TypeFor[map[uuid.UUID]uint32]() {
		t.Errorf("store.sessionOwner is %s", f.Type)
	}
}

// randomSession is a session with every part the store keeps varied: with and without a
// verification, hosted or not, webhook URLs that are and are not the configuration's, custom
// input nil, empty and full, a result or none, and times before 1970, zero and far ahead.
func randomSession(t *testing.T, r *rand.Rand, configs []*generated.VerificationConfig) *sessionRecord {
	s := &sessionRecord{id: randomUUID(r), account: "acct", config: configs[r.IntN(len(configs))],
		hosted: r.IntN(2) == 0, created: randomTime(r)}
	if r.IntN(2) == 0 {
		vid := randomUUID(r)
		s.verificationID = &vid
	}
	switch r.IntN(4) {
	case 0:
		s.externalID = oddString(r)
	case 1:
		s.externalID = strings.Repeat("x", textChunkSize/4+1+r.IntN(100)) // a chunk of its own
	case 2:
		s.externalID = "user-" + oddString(r)
	}
	switch r.IntN(3) {
	case 0:
		s.webhookURL = configWebhookURL(s.config)
	case 1:
		s.webhookURL = "https://hooks.example.com/" + oddString(r)
	}
	switch r.IntN(3) {
	case 0:
		s.customInput = map[string]string{}
	case 1:
		s.customInput = map[string]string{"a": oddString(r), oddString(r): "b"}
	}
	switch r.IntN(4) {
	case 0:
		res := randomResult(r)
		s.result, s.completed = &res, randomTime(r)
	case 1:
		s.created = time.Date(1001+r.IntN(900), 3, 4, 5, 6, 7, r.IntN(1e7)*100, time.UTC)
	case 2:
		s.created = time.Time{}
	}
	return s
}

func sessionConfigs(t *testing.T, r *rand.Rand) []*generated.VerificationConfig {
	withHook := randomConfig(t, r)
	hook := "https://hooks.example.com/own"
	withHook.WebhookConfig = &generated.WebhookConfig{EventCallbackUrl: &hook}
	plain := randomConfig(t, r)
	return []*generated.VerificationConfig{nil, &withHook, &plain, &withHook}
}

// A session reads back from the table as it was put, field for field, and its configuration is
// the very one it was stored with; completion changes the result and time only; a removed
// session is gone.
func TestSessionTableKeepsEveryPart(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 4))
	configs := sessionConfigs(t, r)
	tab := newSessionTable()
	want := map[uuid.UUID]sessionRecord{}
	for range 2000 {
		s := randomSession(t, r, configs)
		tab.put(s)
		want[s.id] = *s
	}
	check := func() {
		t.Helper()
		if tab.len() != len(want) {
			t.Fatalf("table holds %d sessions, want %d", tab.len(), len(want))
		}
		for id, w := range want {
			got, ok := tab.get("acct", id)
			if !ok {
				t.Fatalf("session %s is missing", id)
			}
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("session %s reads back as\n%+v\nwant\n%+v", id, got, w)
			}
			if got.config != w.config {
				t.Fatalf("session %s has a copy of its configuration, not the one stored", id)
			}
			answer, created, ok, err := tab.resultAnswer(id)
			var want []byte
			if w.result != nil {
				want, _ = sessionResultJSON(w.result)
			}
			if !ok || err != nil || created != w.created || !bytes.Equal(answer, want) {
				t.Fatalf("session %s answers get-session-result with %s (%v, %v, created %v), want %s", id, answer, ok, err, created, want)
			}
		}
		seen := 0
		for s := range tab.all("acct") {
			if !reflect.DeepEqual(s, want[s.id]) {
				t.Fatalf("all yields session %s as %+v", s.id, s)
			}
			seen++
		}
		if seen != len(want) {
			t.Fatalf("all yields %d sessions, want %d", seen, len(want))
		}
	}
	check()
	n := 0
	for id, w := range want {
		switch n++; n % 3 {
		case 0:
			res := randomResult(r)
			at := randomTime(r)
			tab.complete(id, at, &res)
			w.result, w.completed = &res, at
			want[id] = w
		case 1:
			if !tab.remove(id) {
				t.Fatalf("remove(%s) found nothing", id)
			}
			delete(want, id)
		}
	}
	check()
	if tab.remove(randomUUID(r)) {
		t.Error("remove of an unknown id reports a session")
	}
	// Put again in place of a stored session: the old one's parts are let go of.
	for id, w := range want {
		w.externalID = "again"
		tab.put(&w)
		want[id] = w
	}
	check()
	for id := range want {
		tab.remove(id)
	}
	if tab.len() != 0 || len(tab.odd) != 0 || len(tab.configs.index) != 0 {
		t.Errorf("an empty table still holds %d sessions, %d results, %d configurations", tab.len(), len(tab.odd), len(tab.configs.index))
	}
	if live := liveChunks(&tab.text); live > 1 {
		t.Errorf("an empty table's text holds %d chunks", live)
	}
}

func liveChunks(a *textArena) int {
	n := 0
	for _, c := range a.chunks {
		if c != nil {
			n++
		}
	}
	return n
}

// Strings released in the order they were added free their chunks as they go, so an arena
// whose oldest strings keep going holds only the chunks of the live ones; a string handed out
// keeps its bytes after its chunk is let go of and after more strings are added.
func TestTextArenaLetsGoOfChunks(t *testing.T) {
	var a textArena
	var refs []textRef
	var held []string
	var copies []string
	for i := range 200_000 {
		s := "user-" + strings.Repeat("é", i%7) + string(rune('a'+i%26))
		r := a.add(s)
		refs = append(refs, r)
		if i%1000 == 0 {
			held, copies = append(held, a.get(r)), append(copies, strings.Clone(s))
		}
		if len(refs) > 10_000 { // keep the newest 10,000
			a.release(refs[0])
			refs = refs[1:]
		}
	}
	// 10,000 strings of at most 19 bytes fill at most 12 chunks of 16 KiB, and one is partly held.
	if live := liveChunks(&a); live > 13 {
		t.Errorf("the arena holds %d chunks for 10,000 strings", live)
	}
	if len(a.chunks) > 16 {
		t.Errorf("the arena numbered %d chunks: freed numbers are not reused", len(a.chunks))
	}
	for i := range held {
		if held[i] != copies[i] {
			t.Fatalf("string %d handed out as %q reads %q after its chunk was let go of", i, copies[i], held[i])
		}
	}
	for _, r := range refs {
		a.release(r)
	}
	if live := liveChunks(&a); live > 1 {
		t.Errorf("the arena holds %d chunks with no string", live)
	}
	long := strings.Repeat("y", textChunkSize)
	r := a.add(long)
	if a.get(r) != long {
		t.Error("a string longer than a chunk does not read back")
	}
	a.release(r)
	if a.chunks[r.chunk] != nil {
		t.Error("a released long string keeps its chunk")
	}
	if got := a.get(a.add("")); got != "" {
		t.Errorf("the empty string reads back as %q", got)
	}
}

// Sessions holding one configuration share one entry, whether they hold the same pointer or an
// equal configuration of their own among the few added last; an entry goes with the last session
// holding it, and its number is given again.
func TestConfigTableSharesAndFrees(t *testing.T) {
	config := func(threshold int32) *generated.VerificationConfig {
		return &generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
			Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: &threshold}}}
	}
	var c configTable
	a, b := config(18), config(21)
	na := c.add(a)
	for range 2 {
		if c.add(a) != na {
			t.Fatal("one configuration got two numbers")
		}
	}
	nb := c.add(b)
	if nb == na || c.get(na) != a || c.get(nb) != b {
		t.Fatalf("numbers %d and %d give %p and %p, want %p and %p", na, nb, c.get(na), c.get(nb), a, b)
	}
	if same := config(18); c.add(same) != na || c.get(na) != a {
		t.Fatal("a configuration equal to one just added got a number of its own")
	}
	if c.add(nil) != 0 || c.get(0) != nil {
		t.Error("no configuration is not number 0")
	}
	for range 3 {
		c.release(na)
	}
	if c.get(na) != a {
		t.Fatal("a configuration went while a session still held it")
	}
	c.release(na)
	if c.get(na) != nil || len(c.index) != 1 {
		t.Fatalf("a configuration no session holds is kept (index %d)", len(c.index))
	}
	d := config(18) // equal to a, which went: a new entry, under the freed number
	if nd := c.add(d); nd != na || c.get(nd) != d {
		t.Errorf("a freed number is not given again: got %d (%p), want %d (%p)", nd, c.get(nd), na, d)
	}
	// Only the last few configurations added are compared with: an equal one older than that
	// gets an entry of its own.
	for i := range recentConfigs {
		c.add(config(30 + int32(i)))
	}
	if nd := c.add(config(18)); nd == na {
		t.Errorf("a configuration was compared with one %d additions back", recentConfigs+1)
	}
	c.release(0) // no configuration: nothing to do
}

// A result the mock computes is held as its JSON, not as a struct the collector reads, and reads
// back as it was computed, through the API and through the store.
func TestCompletedSessionsHoldTheirResultAsJSON(t *testing.T) {
	e := newBenchEnv(t, Options{}) // its verification "bench", and a session it completed
	s := e.s
	var created generated.SessionCreated
	e.mustJSON(t, e.do("POST", "/v1/verification/create-session", `{"name":"bench","externalId":"user-1"}`), &created)
	id := created.VerificationSessionId
	done, err := s.CompleteSession(id, SubjectSpec{Preset: "pass"})
	if err != nil {
		t.Fatal(err)
	}
	tab := &s.store.accounts[DevAccountID].sessions
	if held := tab.byID[id]; held.flags&resultJSON == 0 || held.flags&oddResult != 0 || len(tab.odd) != 0 {
		t.Fatalf("the result is not held as JSON alone (flags %b, %d held as structs)", held.flags, len(tab.odd))
	}
	got, err := s.store.getSession(DevAccountID, id, s.clock.Now())
	if err != nil || !reflect.DeepEqual(*got.result, done.Result) {
		t.Fatalf("the stored result reads back as %+v (%v), want %+v", got.result, err, done.Result)
	}
	want, _ := sessionResultJSON(&done.Result)
	body := e.do("GET", "/v1/verification/get-session-result?verificationSessionId="+id.String(), "").body.Bytes()
	if !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(want)) {
		t.Fatalf("get-session-result answers %s, want %s", body, want)
	}
}

// jsonExact says a result's JSON decodes to it exactly when, and only when, it does: checked
// against encoding and decoding over random results, with strings that are not UTF-8, nil maps
// and slices behind pointers, and every member set and unset.
func TestJSONExactIsRoundTrip(t *testing.T) {
	if n := reflect.TypeFor[generated.SessionResult]().NumField(); n != 13 {
		t.Fatalf("SessionResult has %d fields; jsonExact knows 13", n)
	}
	r := rand.New(rand.NewPCG(5, 21))
	seen := map[bool]int{}
	for range 20_000 {
		res := randomResult(r)
		roundTrips := false
		if b, err := sessionResultJSON(&res); err == nil {
			var back generated.SessionResult
			roundTrips = json.Unmarshal(b, &back) == nil && reflect.DeepEqual(back, res)
		}
		if got := jsonExact(&res); got != roundTrips {
			t.Fatalf("jsonExact(%+v) = %v; its JSON decodes to it: %v", res, got, roundTrips)
		}
		seen[roundTrips]++
	}
	if seen[true] < 100 || seen[false] < 100 {
		t.Fatalf("random results round-trip %d times and not %d times: too few of one to tell", seen[true], seen[false])
	}
}

// A session started from a hosted link runs its verification's configuration, shared with the
// verification's record, unless the link disables a verifier the verification has and allows
// overriding; then it runs a copy with that verifier disabled, and the verification keeps its own.
func TestHostedSessionsShareTheirVerificationsConfiguration(t *testing.T) {
	e := newBenchEnv(t, Options{})
	s := e.s
	acc := s.auth.set.Load().order[0]
	verification := func(name string, overrides bool) *verificationRecord {
		t.Helper()
		var v struct {
			ID uuid.UUID `json:"verificationId"`
		}
		e.mustJSON(t, e.do("POST", "/v1/verification/create", `{"name":"`+name+`","verificationConfig":{"verifierConfigs":`+
			`{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":18}},`+
			`"sessionOverrideConfig":{"allowVerifierOverrides":`+strconv.FormatBool(overrides)+`}}}`), &v)
		rec, err := s.store.getVerification(DevAccountID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	start := func(v *verificationRecord, query string) sessionRecord {
		t.Helper()
		link, err := signing.Create(query, acc.SigningSecret, signing.Settings{}, s.clock.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		before := map[uuid.UUID]bool{}
		for rec := range s.store.accounts[DevAccountID].sessions.all(DevAccountID) {
			before[rec.id] = true
		}
		if w := e.do("GET", "/verification/"+v.id.String()+"?"+link.SignedQueryString, ""); w.code >= 400 {
			t.Fatalf("hosted page: %d %s", w.code, w.body.String())
		}
		for rec := range s.store.accounts[DevAccountID].sessions.all(DevAccountID) {
			if !before[rec.id] {
				return rec
			}
		}
		t.Fatal("the link started no session")
		return sessionRecord{}
	}
	open, closed := verification("open", true), verification("closed", false)
	for _, c := range []struct {
		v        *verificationRecord
		query    string
		disabled bool
	}{
		{open, "userId=1", false},
		{open, "userId=2&reDisableGenderVerifier=true", false}, // it has no gender verifier
		{open, "userId=3&reDisableAgeVerifier=true", true},
		{closed, "userId=4&reDisableAgeVerifier=true", false},
	} {
		rec := start(c.v, c.query)
		shares := rec.config == &c.v.config
		ageType := rec.config.VerifierConfigs.Age.Type
		if shares == c.disabled || (ageType == generated.AgeTypeDisabled) != c.disabled {
			t.Errorf("%s with %q: shares the verification's configuration %v, age %s", c.v.name, c.query, shares, ageType)
		}
		if c.v.config.VerifierConfigs.Age.Type == generated.AgeTypeDisabled {
			t.Fatalf("%s with %q disabled the verification's own age verifier", c.v.name, c.query)
		}
	}
}

// A nonce of the shape the signature check accepts is held as 16 bytes and any other by its
// string; both read back with their times, are listed by their names, and are pruned once their
// link has expired, those without an expiry never.
func TestNonceSetHoldsEveryNonce(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 1234500, time.UTC)
	expires := at.Add(time.Hour)
	nonces := map[string]usedNonce{
		"0123456789abcdef0123456789abcdef":  {used: at, expires: expires},
		"fedcba9876543210fedcba9876543210":  {used: at},
		"0123456789ABCDEF0123456789ABCDEF":  {used: at, expires: expires}, // upper case: not the shape
		"0123456789abcdef0123456789abcde":   {used: at},                   // 31 characters
		"0123456789abcdef0123456789abcdefa": {used: at, expires: expires}, // 33
		"g123456789abcdef0123456789abcdef":  {used: at},
	}
	s := newNonceSet()
	for n, u := range nonces {
		s.put(n, u)
		s.put(n, u) // again: one entry
	}
	if len(s.packed) != 2 || len(s.other) != 4 || s.len() != 6 {
		t.Fatalf("held %d packed and %d other nonces", len(s.packed), len(s.other))
	}
	if s.sweptPacked.n != 2 || s.sweptOther.n != 4 {
		t.Fatalf("sweep lists of %d and %d for nonces put twice", s.sweptPacked.n, s.sweptOther.n)
	}
	for n, u := range nonces {
		if got, ok := s.get(n); !ok || got != u {
			t.Errorf("nonce %q reads back as %+v (%v), want %+v", n, got, ok, u)
		}
	}
	if _, ok := s.get("00000000000000000000000000000000"); ok {
		t.Error("a nonce never used reads as used")
	}
	listed := map[string]usedNonce{}
	for n, u := range s.all() {
		listed[n] = u
	}
	if !reflect.DeepEqual(listed, nonces) {
		t.Errorf("all lists %v, want %v", listed, nonces)
	}
	later := expires.Add(time.Second)
	var gone []string
	for range 3 { // two passes over lists of at most four
		expired, apply := s.sweep(later)
		gone = append(gone, expired...)
		apply()
	}
	slices.Sort(gone)
	want := []string{"0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdefa"}
	if !slices.Equal(gone, want) {
		t.Errorf("swept %v, want %v", gone, want)
	}
	for n, u := range nonces {
		if _, held := s.get(n); held != u.expires.IsZero() {
			t.Errorf("nonce %q held %v after the sweep", n, held)
		}
	}
}

// sliceSweep is the sweep list as one slice, the model sweepList is held to.
type sliceSweep struct {
	entries      []string
	cursor, kept int
}

func (l *sliceSweep) next() []string {
	return l.entries[l.cursor:min(len(l.entries), l.cursor+sweepStep)]
}

func (l *sliceSweep) advance(keep *[sweepStep]bool) {
	to := min(len(l.entries), l.cursor+sweepStep)
	for i := l.cursor; i < to; i++ {
		if keep[i-l.cursor] {
			l.entries[l.kept] = l.entries[i]
			l.kept++
		}
	}
	l.cursor = to
	if l.cursor == len(l.entries) {
		l.entries = l.entries[:l.kept]
		l.cursor, l.kept = 0, 0
	}
}

// A sweep list in blocks looks at, keeps and drops the same entries as the same list in one
// slice, across block boundaries and passes, and never moves a block as it grows; what it drops
// at a pass's end it lets go of.
func TestSweepListMatchesOneSlice(t *testing.T) {
	// A pass that keeps 10 of 1,500 entries lets go of the second block and clears the first's
	// dropped entries.
	var short sweepList[string]
	for i := range 1500 {
		short.add(strconv.Itoa(i))
	}
	for short.cursor != 0 || short.kept == 0 && short.n == 1500 {
		var keep [sweepStep]bool
		keep[0] = short.cursor < 40 && short.cursor%4 == 0
		short.advance(&keep)
	}
	if short.n != 10 || len(short.blocks) != 1 || slices.ContainsFunc(short.blocks[0][10:], func(s string) bool { return s != "" }) {
		t.Fatalf("after a pass keeping 10 of 1,500: %d entries in %d blocks, dropped ones held: %v",
			short.n, len(short.blocks), slices.ContainsFunc(short.blocks[0][10:], func(s string) bool { return s != "" }))
	}

	r := rand.New(rand.NewPCG(9, 9))
	var l sweepList[string]
	var m sliceSweep
	first := (*string)(nil)
	longest := 0
	for step := range 200_000 {
		if r.IntN(3) > 0 || step < 5000 {
			e := strconv.Itoa(step)
			l.add(e)
			m.entries = append(m.entries, e)
			if first == nil {
				first = &l.blocks[0][0]
			}
		}
		got, want := l.next(), m.next()
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: next %v, want %v", step, got, want)
		}
		var keep [sweepStep]bool
		for i := range keep { // the list grows over the first half, and shrinks over the second
			keep[i] = step < 100_000 && r.IntN(32) > 0 || step >= 100_000 && r.IntN(4) > 0
		}
		l.advance(&keep)
		m.advance(&keep)
		longest = max(longest, l.n)
		if l.n != len(m.entries) || l.cursor != m.cursor || l.kept != m.kept {
			t.Fatalf("step %d: n %d cursor %d kept %d, want %d %d %d", step, l.n, l.cursor, l.kept, len(m.entries), m.cursor, m.kept)
		}
		if l.n > 0 && &l.blocks[0][0] != first {
			t.Fatalf("step %d: the first block moved", step)
		}
		if l.n == 0 {
			first = nil
		}
	}
	if longest < 20*sweepBlock {
		t.Fatalf("the list held at most %d entries: too few blocks to tell", longest)
	}
	for i := range l.n {
		if *l.at(i) != m.entries[i] {
			t.Fatalf("entry %d is %q, want %q", i, *l.at(i), m.entries[i])
		}
	}
	if want := (l.n + sweepBlock - 1) / sweepBlock; len(l.blocks) != want {
		t.Errorf("%d entries in %d blocks, want %d", l.n, len(l.blocks), want)
	}
	if l.n%sweepBlock == 0 {
		t.Fatalf("the list ends with %d entries, a whole number of blocks: nothing to tell of what it dropped", l.n)
	}
	if tail := l.blocks[len(l.blocks)-1][l.n%sweepBlock:]; slices.ContainsFunc(tail, func(s string) bool { return s != "" }) {
		t.Error("the last block still holds dropped entries")
	}
}

// all yields every used nonce, in no particular order (for tests that look at the store).
func (s *nonceSet) all() iter.Seq2[string, usedNonce] {
	return func(yield func(string, usedNonce) bool) {
		for k, h := range s.packed {
			if !yield(hex.EncodeToString(k[:]), h.usedNonce()) {
				return
			}
		}
		for n, h := range s.other {
			if !yield(n, h.usedNonce()) {
				return
			}
		}
	}
}
