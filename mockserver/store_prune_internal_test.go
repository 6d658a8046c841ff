package mockserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var pruneStart = time.Date(2026, 2, 8, 11, 34, 54, 0, time.UTC)

// pruneWrites is a number of sessions that makes the sweep pass over an account's few records
// several times.
const pruneWrites = 64

// pruneCall sends one request to s as the development account and returns the answer.
func pruneCall(t *testing.T, s *Server, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(context.Background(), method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// pruneSession starts a session through create-session and returns its id.
func pruneSession(t *testing.T, s *Server) string {
	t.Helper()
	w := pruneCall(t, s, http.MethodPost, "/v1/verification/create-session", `{"verifierConfigs":{"liveness":{"type":"Verification"}}}`)
	var got struct {
		ID string `json:"verificationSessionId"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil {
		t.Fatalf("create-session: %d %s", w.Code, w.Body)
	}
	return got.ID
}

func pruneResultStatus(t *testing.T, s *Server, id string) int {
	t.Helper()
	return pruneCall(t, s, http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+id, "").Code
}

// TestExpiredSessionsArePruned: sessions older than SessionRetention by the account's clock are
// dropped from memory as the account adds sessions, sweepStep of them looked at per session
// added, and answer 404 as they did before they were dropped; sessions inside the window stay.
func TestExpiredSessionsArePruned(t *testing.T) {
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := make([]string, 16*sweepStep)
	for i := range old {
		old[i] = pruneSession(t, s)
	}
	// At exactly SessionRetention the oldest session is still readable; a tick later it is not.
	if err := clock.Advance(SessionRetention); err != nil {
		t.Fatal(err)
	}
	if got := pruneResultStatus(t, s, old[0]); got != http.StatusOK {
		t.Fatalf("result at the end of the window: %d, want 200", got)
	}
	if err := clock.Advance(dotnetTick); err != nil {
		t.Fatal(err)
	}
	if got := pruneResultStatus(t, s, old[0]); got != http.StatusNotFound {
		t.Fatalf("result past the window, before pruning: %d, want 404", got)
	}
	if n := s.store.sessionCount(); n != len(old) {
		t.Fatalf("sessions before a write: %d, want %d (an expired session is pruned only by a write)", n, len(old))
	}
	// Each write looks at sweepStep records, however many have expired: the work a write does
	// under the store's lock is bounded.
	fresh := pruneSession(t, s)
	if n, want := s.store.sessionCount(), len(old)-sweepStep+1; n != want {
		t.Fatalf("sessions after one write: %d, want %d (%d expired ones pruned, one added)", n, want, sweepStep)
	}
	for range len(old)/sweepStep - 1 {
		fresh = pruneSession(t, s)
	}
	if n, want := s.store.sessionCount(), len(old)/sweepStep; n != want {
		t.Errorf("sessions after a pass of the sweep: %d, want %d (the %d expired ones pruned)", n, want, len(old))
	}
	if got := pruneResultStatus(t, s, old[0]); got != http.StatusNotFound {
		t.Errorf("a pruned session's result: %d, want 404 as before it was pruned", got)
	}
	if got := pruneResultStatus(t, s, fresh); got != http.StatusOK {
		t.Errorf("the new session's result: %d, want 200", got)
	}
	if h := s.Global().Holdings(); len(h.Sessions) != len(old)/sweepStep {
		t.Errorf("control API lists %d sessions, want %d", len(h.Sessions), len(old)/sweepStep)
	}
}

// TestSweepKeepsSessionsInsideTheWindow: the sweep removes only what is past its window; the
// sessions created since stay readable, pass after pass.
func TestSweepKeepsSessionsInsideTheWindow(t *testing.T) {
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const half = 8 * sweepStep
	for range half {
		pruneSession(t, s)
	}
	if err := clock.Advance(SessionRetention / 2); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for range half {
		kept = append(kept, pruneSession(t, s))
	}
	if err := clock.Advance(SessionRetention/2 + time.Second); err != nil {
		t.Fatal(err)
	}
	// The first half is past the window, the second is not; the writes that pass over the first
	// half add half/sweepStep sessions, and three more passes go over all that is left.
	for range half/sweepStep + 3*(half+half/sweepStep) {
		pruneSession(t, s)
	}
	if n, want := s.store.sessionCount(), half+half/sweepStep+3*(half+half/sweepStep); n != want {
		t.Fatalf("sessions after the sweep: %d, want %d", n, want)
	}
	for _, id := range kept {
		if got := pruneResultStatus(t, s, id); got != http.StatusOK {
			t.Fatalf("session %s inside the window: %d, want 200", id, got)
		}
	}
}

// boltKeys counts the keys of bucket in the data directory dir's database.
func boltKeys(t *testing.T, dir string, bucket []byte) int {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPruningReachesTheDataDirectory: with --data-dir, a sweep deletes the pruned sessions from
// the database in the transaction that stores the new session, so a mock restarted on the
// directory never loads them again.
func TestPruningReachesTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old := make([]string, 16*sweepStep)
	for i := range old {
		old[i] = pruneSession(t, s)
	}
	if err := clock.Advance(SessionRetention + time.Second); err != nil {
		t.Fatal(err)
	}
	var fresh string
	for range len(old) / sweepStep {
		fresh = pruneSession(t, s)
	}
	s.Close()
	kept := len(old) / sweepStep
	if n := boltKeys(t, dir, bucketSessions); n != kept {
		t.Fatalf("the database holds %d sessions after the sweep, want %d", n, kept)
	}
	s, err = New(Options{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.store.sessionCount(); n != kept {
		t.Errorf("a restarted mock loads %d sessions, want %d", n, kept)
	}
	if got := pruneResultStatus(t, s, old[0]); got != http.StatusNotFound {
		t.Errorf("a pruned session after a restart: %d, want 404", got)
	}
	if got := pruneResultStatus(t, s, fresh); got != http.StatusOK {
		t.Errorf("the kept session after a restart: %d, want 200", got)
	}
	// The sessions loaded from the directory are swept like those made since.
	if err := clock.Advance(SessionRetention + time.Second); err != nil {
		t.Fatal(err)
	}
	for range kept / sweepStep {
		pruneSession(t, s)
	}
	if n := s.store.sessionCount(); n != kept/sweepStep {
		t.Errorf("after the loaded sessions' window and a pass: %d sessions, want %d", n, kept/sweepStep)
	}
}

// pruneLink signs query for the development account, with a nonce, expiring after seconds. With
// seconds 0 it signs the link itself, with a nonce and no expiry, which create-signature does not
// make but a client signing its own links may.
func pruneLink(t *testing.T, s *Server, query string, seconds int) string {
	t.Helper()
	if seconds == 0 {
		return s.signer.SignURLQuery(query+"&reNonce=0123456789abcdef0123456789abcdef", s.auth.account(DevAccountID).SigningSecret)
	}
	settings := `{"enableNonce":true,"expirationEnabled":true,"expirationInSeconds":` + strconv.Itoa(seconds) + `}`
	w := pruneCall(t, s, http.MethodPost, "/v1/signature/create", `{"queryString":"`+query+`","securitySettings":`+settings+`}`)
	var got struct {
		Signed string `json:"signedQueryString"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil {
		t.Fatalf("sign: %d %s", w.Code, w.Body)
	}
	return got.Signed
}

// pruneVerification creates a verification whose hosted links must be signed.
func pruneVerification(t *testing.T, s *Server, name string, signed bool) string {
	t.Helper()
	body := `{"name":"` + name + `","verificationConfig":{"securityConfig":{"forceSignedInput":` + strconv.FormatBool(signed) + `}}}`
	w := pruneCall(t, s, http.MethodPost, "/v1/verification/create", body)
	var got struct {
		ID string `json:"verificationId"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &got) != nil {
		t.Fatalf("create verification: %d %s", w.Code, w.Body)
	}
	return got.ID
}

// pruneOpen opens a hosted link and returns the page's status and body.
func pruneOpen(t *testing.T, s *Server, verification, query string) (int, string) {
	t.Helper()
	r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/verification/"+verification+"?"+query, nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// TestUsedNoncesArePrunedAfterTheirLink: a used nonce is kept while its link could still be
// opened, and pruned once the link's reExpiration has passed (the link then answers "Link
// expired", as it did before); a nonce of a link without expiry is kept. The data directory
// loses the pruned nonce too.
func TestUsedNoncesArePrunedAfterTheirLink(t *testing.T) {
	dir := t.TempDir()
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	vid := pruneVerification(t, s, "Signed", true)
	expiring, forever := pruneLink(t, s, "u=1", 60), pruneLink(t, s, "u=2", 0)
	for _, link := range []string{expiring, forever} {
		if code, body := pruneOpen(t, s, vid, link); code != http.StatusOK {
			t.Fatalf("first open: %d %s", code, body)
		}
	}
	// The links' expiries outlive a restart.
	s.Close()
	if s, err = New(Options{Clock: clock, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	for range pruneWrites {
		pruneSession(t, s) // inside the link's minute: the sweep keeps both nonces
	}
	if n := s.store.nonceCount(DevAccountID); n != 2 {
		t.Fatalf("used nonces while the links are live: %d, want 2", n)
	}
	if code, body := pruneOpen(t, s, vid, expiring); code != http.StatusGone || !strings.Contains(body, "Link already used") {
		t.Fatalf("reopening the live link: %d, want 410 Link already used", code)
	}
	if err := clock.Advance(61 * time.Second); err != nil {
		t.Fatal(err)
	}
	for range pruneWrites {
		pruneSession(t, s) // past the link's minute: the sweep prunes its nonce
	}
	if n := s.store.nonceCount(DevAccountID); n != 1 {
		t.Fatalf("used nonces after the link expired: %d, want 1 (the link without expiry)", n)
	}
	if code, body := pruneOpen(t, s, vid, expiring); code != http.StatusGone || !strings.Contains(body, "Link expired") {
		t.Errorf("the expired link after its nonce was pruned: %d, want 410 Link expired", code)
	}
	if code, body := pruneOpen(t, s, vid, forever); code != http.StatusGone || !strings.Contains(body, "Link already used") {
		t.Errorf("the link without expiry: %d, want 410 Link already used", code)
	}
	s.Close()
	if n, exp := boltKeys(t, dir, bucketNonces), boltKeys(t, dir, bucketNonceExpiries); n != 1 || exp != 0 {
		t.Errorf("the database holds %d used nonces and %d expiries, want 1 and 0", n, exp)
	}
}

// TestNoncesOfEarlierVersionsAreKept: a data directory written before nonces carried their
// link's expiry holds only the time each was used; such a nonce is read as never expiring, so
// its link stays refused.
func TestNoncesOfEarlierVersionsAreKept(t *testing.T) {
	dir := t.TempDir()
	clock := NewFrozenClock(pruneStart)
	s, err := New(Options{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old := op{bucketNonces, recordKey(DevAccountID, "0123456789abcdef0123456789abcdef"), mustJSON(pruneStart)}
	if err := s.store.disk.write([]op{old}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := clock.Advance(365 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	s, err = New(Options{Clock: clock, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range pruneWrites {
		pruneSession(t, s)
	}
	if !s.store.nonceUsed(DevAccountID, "0123456789abcdef0123456789abcdef") {
		t.Error("a nonce from an earlier version was pruned or not loaded")
	}
}

// TestPruningFollowsEachAccountsClock: a sweep judges an account's records by that account's
// clock. A tenant whose clock moved past the window prunes its own old sessions; the development
// account, whose clock did not move, keeps all of its sessions when it sweeps.
func TestPruningFollowsEachAccountsClock(t *testing.T) {
	s, err := New(Options{Clock: NewFrozenClock(pruneStart)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tn, err := s.CreateTenant("later")
	if err != nil {
		t.Fatal(err)
	}
	start := func(key string) {
		t.Helper()
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/verification/create-session",
			strings.NewReader(`{"verifierConfigs":{"liveness":{"type":"Verification"}}}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "ApiKey "+key)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("create-session: %d %s", w.Code, w.Body)
		}
	}
	const old = 16 * sweepStep
	for range old {
		start(DevAPIKey)
		start(tn.APIKey)
	}
	sc, err := s.Scope(tn.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Clock().Advance(SessionRetention + time.Second); err != nil {
		t.Fatal(err)
	}
	for range old / sweepStep {
		start(DevAPIKey)
		start(tn.APIKey)
	}
	count := func(acc string) int {
		s.store.mu.RLock()
		defer s.store.mu.RUnlock()
		return s.store.accounts[acc].sessions.len()
	}
	if n := count(tn.AccountID); n != old/sweepStep {
		t.Errorf("the tenant, past its window, holds %d sessions, want %d", n, old/sweepStep)
	}
	if n := count(DevAccountID); n != old+old/sweepStep {
		t.Errorf("the development account, inside its window, holds %d sessions, want %d", n, old+old/sweepStep)
	}
}
