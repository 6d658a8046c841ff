package mockserver

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// Benchmarks of the store, of the API at scale, and of the memory a stored session costs. Run
// with
//
//	go test -run '^$' -bench 'Store|Scale|SessionMemory' -benchmem ./mockserver/
//
// The scale benchmarks fill the store directly (benchPopulate), which takes about a second per
// million sessions, instead of sending millions of create-session requests.

// benchUUID is a deterministic, well-spread id for record i of a populated store.
func benchUUID(kind byte, i uint64) uuid.UUID {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], i*0x9E3779B97F4A7C15)
	binary.LittleEndian.PutUint64(u[8:], i)
	u[15] = kind
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// benchPopulate inserts verifications and sessions into account acc directly, under the store's
// lock, as the API would have stored them: every session uses cfg; every other session is
// completed with result and every fourth consumed a nonce.
func benchPopulate(tb testing.TB, s *Server, acc string, verifications, sessions int, cfg generated.VerificationConfig, result *generated.SessionResult) {
	tb.Helper()
	st := s.store
	now := s.clock.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.accountLocked(acc)
	for i := range verifications {
		id := benchUUID('v', uint64(i))
		if _, err := st.insertLocked(acc, d, id, "scale-"+strconv.Itoa(i), cfg, now); err != nil {
			tb.Fatal(err)
		}
	}
	var nonce [16]byte
	for i := range sessions {
		rec := &sessionRecord{
			id: benchUUID('s', uint64(i)), account: acc, config: &cfg,
			created: now.Add(-time.Duration(i%3600) * time.Second),
		}
		if i%2 == 1 {
			r := *result
			r.VerificationSessionId = rec.id
			rec.result, rec.completed = &r, now
		}
		st.addSessionLocked(rec)
		if i%4 == 0 {
			binary.LittleEndian.PutUint64(nonce[:], uint64(i))
			d.nonces.put(hex.EncodeToString(nonce[:]), usedNonce{used: now})
		}
	}
}

func BenchmarkStore(b *testing.B) {
	e := newBenchEnv(b, Options{})
	v := e.verification(b)
	res, err := e.s.store.getSession(DevAccountID, e.sessionID, e.s.clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	benchPopulate(b, e.s, DevAccountID, 99, 10_000, v.config, res.result)
	st, now := e.s.store, e.s.clock.Now()

	b.Run("getVerification", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.getVerification(DevAccountID, e.verificationID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verificationByName", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.verificationByName(DevAccountID, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("listVerifications-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got := st.listVerifications(DevAccountID); len(got) != 100 {
				b.Fatalf("listed %d", len(got))
			}
		}
	})
	b.Run("createVerification", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			name := "v-" + strconv.FormatInt(benchSeq.Add(1), 10)
			if _, err := st.createVerification("acct-create", e.s.ids.uuid(), name, v.config, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("addSession", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := st.addSession(&sessionRecord{id: e.s.ids.uuid(), account: "acct-create", config: &v.config, created: now}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("getSession", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.getSession(DevAccountID, e.sessionID, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nonceUsed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st.nonceUsed(DevAccountID, "bf5c7f4e8a794e41a58e08dfd634f816")
		}
	})
}

// scaleSizes are the store sizes of BenchmarkScale: sessions, and verifications capped at
// 100,000.
var scaleSizes = []struct{ sessions, verifications int }{
	{1_000, 1_000},
	{10_000, 10_000},
	{100_000, 100_000},
	{1_000_000, 100_000},
}

// BenchmarkScale sends getVerification, getSessionResult and validateSignature through the whole
// pipeline with the store holding 1,000 to 1,000,000 sessions (and up to 100,000
// verifications) of the same account: every lookup is a map access, so the time per request
// must stay flat. The ids asked for are spread over the whole store.
func BenchmarkScale(b *testing.B) {
	for _, size := range scaleSizes {
		b.Run(fmt.Sprintf("sessions=%d", size.sessions), func(b *testing.B) {
			e := newBenchEnv(b, Options{})
			v := e.verification(b)
			res, err := e.s.store.getSession(DevAccountID, e.sessionID, e.s.clock.Now())
			if err != nil {
				b.Fatal(err)
			}
			benchPopulate(b, e.s, DevAccountID, size.verifications, size.sessions, v.config, res.result)
			runtime.GC()
			const spread = 1024
			var getV, getS [spread]*benchRequest
			for i := range spread {
				vid := benchUUID('v', uint64(i*size.verifications/spread))
				sid := benchUUID('s', uint64(i*size.sessions/spread))
				getV[i] = newBenchRequest("GET", "/v1/verification/get?verificationId="+vid.String(), "", e.auth)
				getS[i] = newBenchRequest("GET", "/v1/verification/get-session-result?verificationSessionId="+sid.String(), "", e.auth)
			}
			validate := newBenchRequest("POST", "/v1/signature/validate", `{"queryString":"`+e.signed+`"}`, e.auth)
			send := func(b *testing.B, reqs func(i int) *benchRequest) {
				w := newBenchWriter()
				w.keep = false
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					w.reset()
					e.s.ServeHTTP(w, reqs(i).get())
					if w.code != http.StatusOK {
						b.Fatalf("status %d", w.code)
					}
				}
			}
			b.Run("getVerification", func(b *testing.B) { send(b, func(i int) *benchRequest { return getV[i%spread] }) })
			b.Run("getSessionResult", func(b *testing.B) { send(b, func(i int) *benchRequest { return getS[i%spread] }) })
			b.Run("validateSignature", func(b *testing.B) { send(b, func(int) *benchRequest { return validate }) })
		})
	}
}

// BenchmarkSessionMemory measures what a stored session costs in memory: it creates b.N
// sessions through the create-session handler (the typed request in, the stored record out, no
// HTTP), and reports the live heap they add per session (runtime.MemStats after a GC, before and
// after) as B/session. "completed" also completes each session, which stores its full result.
func BenchmarkSessionMemory(b *testing.B) {
	for _, completed := range []bool{false, true} {
		name := "pending"
		if completed {
			name = "completed"
		}
		b.Run(name, func(b *testing.B) {
			e := newBenchEnv(b, Options{})
			h := &handlers{s: e.s}
			acc := e.s.auth.account(DevAccountID)
			ctx := withAccount(b.Context(), acc, viaAPIKey)
			name, ext := "bench", "user-42"
			req := generated.CreateSessionRequestObject{Body: &generated.CreateSessionRequest{Name: &name, ExternalId: &ext}}
			before := benchHeap()
			b.ResetTimer()
			for range b.N {
				resp, err := h.CreateSession(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if completed {
					var created generated.SessionCreated
					if err := json.Unmarshal(resp.(createSessionAnswer), &created); err != nil {
						b.Fatal(err)
					}
					if _, err := e.s.CompleteSession(created.VerificationSessionId, SubjectSpec{Preset: "pass"}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			after := benchHeap()
			b.ReportMetric(float64(after-before)/float64(b.N), "B/session")
			runtime.KeepAlive(e)
		})
	}
}

// benchHeap returns the live heap after a full collection.
func benchHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkCollectionWithSessions measures what stored sessions cost the garbage collector: it
// stores 150,000 sessions, then times full collections (runtime.GC). Each collection marks the
// whole live heap, so its time is the mark work the stored sessions add to every collection the
// mock runs under load; "mark-ms" is the CPU the collector's mark phase spent per collection
// (runtime/metrics). "pending" creates them through the create-session handler (by a
// verification's name, with an external id, as the load benchmark does), "completed=10%" also
// completes every tenth, and "hosted" starts each from a signed hosted-page link with a nonce
// and two custom parameters, as a browser would; "inline" creates them without a name, each
// with the same verifier blocks of its own.
func BenchmarkCollectionWithSessions(b *testing.B) {
	for _, kind := range []string{"pending", "completed=10%", "hosted", "inline"} {
		b.Run(kind, func(b *testing.B) {
			// Not newBenchEnv: its cleanup would keep this run's sessions alive into the next.
			s, err := New(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
			var v struct {
				ID uuid.UUID `json:"verificationId"`
			}
			e.mustJSON(b, e.do(http.MethodPost, "/v1/verification/create", `{"name":"bench","verificationConfig":`+benchVerificationConfig+`}`), &v)
			storeSessions(b, e, v.ID, kind, 150_000)
			runtime.GC()
			mark := []metrics.Sample{{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
				{Name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"}, {Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}}
			markCPU := func() float64 {
				metrics.Read(mark)
				return mark[0].Value.Float64() + mark[1].Value.Float64() + mark[2].Value.Float64()
			}
			before := markCPU()
			n := 0
			for b.Loop() {
				runtime.GC()
				n++
			}
			b.ReportMetric((markCPU()-before)*1e3/float64(n), "mark-ms")
			b.ReportMetric(float64(benchHeap())/(1<<20), "heap-MiB")
			runtime.KeepAlive(e)
		})
	}
}

// storeSessions stores n sessions of kind (see BenchmarkCollectionWithSessions) of verification
// vid, named "bench".
func storeSessions(b *testing.B, e *benchEnv, vid uuid.UUID, kind string, n int) {
	h := &handlers{s: e.s}
	ctx := withAccount(b.Context(), e.s.auth.account(DevAccountID), viaAPIKey)
	acc := e.s.auth.set.Load().order[0]
	vname := "bench"
	for i := range n {
		if kind == "hosted" {
			link, err := signing.Create("userId=User"+strconv.Itoa(i)+"&campaignId=camp456", acc.SigningSecret,
				signing.Settings{EnableNonce: &[]bool{true}[0]}, e.s.clock.Now(), nil)
			if err != nil {
				b.Fatal(err)
			}
			if w := e.do(http.MethodGet, "/verification/"+vid.String()+"?"+link.SignedQueryString, ""); w.code >= 400 {
				b.Fatalf("hosted page: %d %s", w.code, w.body.String())
			}
			continue
		}
		ext := "user-" + strconv.Itoa(i)
		req := generated.CreateSessionRequestObject{Body: &generated.CreateSessionRequest{Name: &vname, ExternalId: &ext}}
		if kind == "inline" {
			req.Body = &generated.CreateSessionRequest{ExternalId: &ext, VerifierConfigs: &generated.VerifierConfigs{
				Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
				Age:      &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: &[]int32{18}[0]},
			}}
		}
		resp, err := h.CreateSession(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if kind == "completed=10%" && i%10 == 0 {
			var created generated.SessionCreated
			if err := json.Unmarshal(resp.(createSessionAnswer), &created); err != nil {
				b.Fatal(err)
			}
			if _, err := e.s.CompleteSession(created.VerificationSessionId, SubjectSpec{Preset: "pass"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if got := e.s.store.sessionCount(); got < n {
		b.Fatalf("stored %d sessions, want %d", got, n)
	}
}

// BenchmarkCompletionWithFaces measures a completion that indexes a new face, with a data
// directory, against a collection already holding faces=N faces: create-session by name, then
// CompleteSession, each written to the directory in its own transaction. Its time must not grow
// with the collection.
func BenchmarkCompletionWithFaces(b *testing.B) {
	for _, n := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprintf("faces=%d", n), func(b *testing.B) {
			s, err := New(Options{DataDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
			e.do(http.MethodPost, "/v1/verification/create", `{"name":"f","verificationConfig":{"verifierConfigs":`+
				`{"faceRecognition":{"type":"DuplicateVerification","collectionId":"faces"}}}}`)
			fill := &collection{faces: map[string]string{}, enrolled: map[string]string{}}
			for i := range n {
				face := "filled-" + strconv.Itoa(i)
				fill.faces[face] = stableFaceID(DevAccountID, "faces", face)
			}
			if err := s.store.disk.write(faceEntryOps(DevAccountID, map[string]*collection{"faces": fill})); err != nil {
				b.Fatal(err)
			}
			s.store.accounts[DevAccountID].collections["faces"] = fill
			h := &handlers{s: s}
			ctx := withAccount(b.Context(), s.auth.account(DevAccountID), viaAPIKey)
			name := "f"
			req := generated.CreateSessionRequestObject{Body: &generated.CreateSessionRequest{Name: &name}}
			for b.Loop() {
				resp, err := h.CreateSession(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				var created generated.SessionCreated
				if err := json.Unmarshal(resp.(createSessionAnswer), &created); err != nil {
					b.Fatal(err)
				}
				if _, err := s.CompleteSession(created.VerificationSessionId, SubjectSpec{Preset: "pass"}); err != nil {
					b.Fatal(err)
				}
			}
			if got := len(s.FaceCollections()[0].Faces); got < n+b.N {
				b.Fatalf("the collection holds %d faces, want %d", got, n+b.N)
			}
		})
	}
}

// BenchmarkSessionStoreGrowth creates 400,000 sessions through the create-session handler (by
// name, with an external id) and reports the slowest single create-session as "worst-ms", and the
// number that took more than a millisecond as "over-1ms": a store that copies a growing list now
// and then, under its lock, shows there as a pause every other request waits out.
func BenchmarkSessionStoreGrowth(b *testing.B) {
	for b.Loop() {
		s, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
		e.do(http.MethodPost, "/v1/verification/create", `{"name":"bench","verificationConfig":`+benchVerificationConfig+`}`)
		h := &handlers{s: s}
		ctx := withAccount(b.Context(), s.auth.account(DevAccountID), viaAPIKey)
		name := "bench"
		var worst time.Duration
		over := 0
		for i := range 400_000 {
			ext := "user-" + strconv.Itoa(i)
			req := generated.CreateSessionRequestObject{Body: &generated.CreateSessionRequest{Name: &name, ExternalId: &ext}}
			start := time.Now()
			if _, err := h.CreateSession(ctx, req); err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			worst = max(worst, d)
			if d > time.Millisecond {
				over++
			}
		}
		b.ReportMetric(float64(worst)/1e6, "worst-ms")
		b.ReportMetric(float64(over), "over-1ms")
		s.Close()
	}
}
