package mockserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/verifeye-twin/verifeye/generated"
)

// TestFailedWriteChangesNothing: when the data directory cannot be written, the API answers 503
// and neither memory nor disk changes: nothing is half-applied.
func TestFailedWriteChangesNothing(t *testing.T) {
	s, err := New(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	post := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/verification/create", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	if w := post(`{"name":"kept","verificationConfig":{}}`); w.Code != http.StatusOK {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if err := s.store.disk.db.Close(); err != nil { // the disk goes away
		t.Fatal(err)
	}
	w := post(`{"name":"lost","verificationConfig":{}}`)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "nothing was changed") {
		t.Errorf("create with a failing disk: %d %s, want 503", w.Code, w.Body)
	}
	names := []string{}
	for _, v := range s.store.listVerifications(DevAccountID) {
		names = append(names, v.name)
	}
	if strings.Join(names, ",") != "kept" {
		t.Errorf("verifications after a failed write: %v, want only the one before", names)
	}
	if _, err := s.store.verificationByName(DevAccountID, "lost"); err == nil {
		t.Error("the failed create left its name taken")
	}
}

// TestLoadedTimesAreWholeTicks: a data directory written with nanosecond times (as versions
// before the clock kept to .NET's 100 ns ticks wrote them) answers with at most 7 fractional
// digits after a restart.
func TestLoadedTimesAreWholeTicks(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// 123456789 ns is 1234567 whole ticks of 100 ns and 89 ns more; .NET keeps the ticks, so the
	// stamp reads .1234567 (derived by hand).
	at := time.Date(2026, 2, 8, 11, 34, 54, 123456789, time.UTC)
	const want = "2026-02-08T11:34:54.1234567Z"
	v := &verificationRecord{id: uuid.MustParse("39e00c96-6431-4b2e-8707-2fb80e561fbf"), name: "Old", created: at, lastModified: at, seq: 1}
	if err := s.store.disk.write([]op{verificationOp(DevAccountID, v)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/verification/get-all", nil)
	r.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if body := w.Body.String(); w.Code != http.StatusOK || strings.Count(body, `"`+want+`"`) != 2 {
		t.Errorf("get-all: %d %s; want created and lastModified %s", w.Code, body, want)
	}
}

// Sessions loaded from a data directory share their configurations as they did when they were
// started: those started by a verification's name share its normalized configuration, those
// started before it was updated share one copy of the configuration they ran, sessions with the
// same blocks of their own share one, and the others keep their own. Each reads back as it was
// stored.
func TestLoadedSessionsShareTheirConfigurations(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
	var v struct {
		ID uuid.UUID `json:"verificationId"`
	}
	e.mustJSON(t, e.do("POST", "/v1/verification/create", `{"name":"shared","verificationConfig":`+benchVerificationConfig+`}`), &v)
	create := func(n int, body string) {
		for range n {
			if w := e.do("POST", "/v1/verification/create-session", body); w.code != http.StatusOK {
				t.Fatalf("create-session: %d %s", w.code, w.body.String())
			}
		}
	}
	create(20, `{"name":"shared","externalId":"before"}`)
	if w := e.do("PUT", "/v1/verification/update", `{"verificationId":"`+v.ID.String()+`","name":"shared","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"}}}}`); w.code != http.StatusOK {
		t.Fatalf("update: %d %s", w.code, w.body.String())
	}
	create(30, `{"name":"shared","externalId":"after"}`)
	create(5, `{"verifierConfigs":{"age":{"type":"CalculationOnly"}},"externalId":"own"}`)
	// More configurations of one verification than loading compares with: each keeps its own.
	e.do("POST", "/v1/verification/create", `{"name":"many","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"}},"sessionOverrideConfig":{"allowVerifierOverrides":true}}}`)
	for i := range maxLoadedConfigs + 4 {
		create(1, `{"name":"many","verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":`+strconv.Itoa(18+i)+`}},"externalId":"many"}`)
	}
	before := map[uuid.UUID]sessionRecord{}
	for rec := range s.store.accounts[DevAccountID].sessions.all(DevAccountID) {
		before[rec.id] = rec
	}
	s.Close()

	s, err = New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := s.store.accounts[DevAccountID]
	if got, want := len(d.sessions.configs.index), 1+1+1+maxLoadedConfigs+4; got != want {
		t.Errorf("the loaded sessions hold %d configurations, want %d (one before the update, one after, one for the five with the same blocks of their own, and one each of the others)", got, want)
	}
	current := d.verifications[v.ID].normalizedConfig()
	held := map[string]int{}
	for rec := range d.sessions.all(DevAccountID) {
		want, ok := before[rec.id]
		if !ok {
			t.Fatalf("session %s was not stored", rec.id)
		}
		if !reflect.DeepEqual(*rec.config, *want.config) {
			t.Errorf("session %s runs %+v after loading, want %+v", rec.id, *rec.config, *want.config)
		}
		rec.config, want.config = nil, nil
		if !reflect.DeepEqual(rec, want) {
			t.Errorf("session %s loads as %+v, want %+v", rec.id, rec, want)
		}
		if c, _ := d.sessions.get(DevAccountID, rec.id); rec.externalID == "after" && c.config != current {
			t.Errorf("session %s started by name does not share the verification's configuration", rec.id)
		}
		held[rec.externalID]++
	}
	if held["before"] != 20 || held["after"] != 30 || held["own"] != 5 || held["many"] != maxLoadedConfigs+4 {
		t.Errorf("loaded sessions by external id: %v", held)
	}
}

// With a data directory, a completion writes the face entries it adds, not its collection: after
// n completions that each index a new face and enroll an external id, the directory holds 2n
// entries and no whole collection, and a restart reads back every collection as it was. A
// collection written whole by an earlier version is read too, with the entries over it.
func TestFaceCollectionsAreWrittenAnEntryAtATime(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// A collection as an earlier version wrote it: whole, in the collections bucket.
	old := &collection{faces: map[string]string{"carol": "c-id"}, enrolled: map[string]string{"ext-carol": "carol"}}
	if err := s.store.disk.write([]op{{bucketCollections, recordKey(DevAccountID, "faces"),
		mustJSON(storedCollection{Faces: old.faces, Enrolled: old.enrolled})}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = New(Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
	e.do("POST", "/v1/verification/create", `{"name":"f","verificationConfig":{"verifierConfigs":`+
		`{"faceRecognition":{"type":"MatchVerification","collectionId":"faces"}}}}`)
	const n = 30
	for i := range n {
		var c generated.SessionCreated
		e.mustJSON(t, e.do("POST", "/v1/verification/create-session", `{"name":"f","externalId":"u`+strconv.Itoa(i)+`"}`), &c)
		if _, err := s.CompleteSession(c.VerificationSessionId, SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.FaceCollections()
	if len(before) != 1 || len(before[0].Faces) != n+1 || len(before[0].Enrolled) != n+1 {
		t.Fatalf("collections after %d completions: %+v", n, before)
	}
	count := func(bucket []byte) int {
		k := 0
		err := s.store.disk.db.View(func(tx *bolt.Tx) error {
			return eachRecord(tx, bucket, func(_, _ []byte) error { k++; return nil })
		})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if entries, whole := count(bucketFaceEntries), count(bucketCollections); entries != 2*n || whole != 1 {
		t.Errorf("the directory holds %d face entries and %d whole collections, want %d and the earlier version's 1", entries, whole, 2*n)
	}
	s.Close()
	if s, err = New(Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if after := s.FaceCollections(); !reflect.DeepEqual(after, before) {
		t.Errorf("collections after a restart:\n%+v\nwant\n%+v", after, before)
	}
}
