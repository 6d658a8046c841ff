package mockserver_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Concurrency under -race: many goroutines on one mock through one shared HTTP client, each test
// well under 10 s on two cores. Every answer is checked as it arrives (t.Error is safe from any
// goroutine); the state is checked once the load is over.

// robLoad is a mock on an httptest server and a client for many goroutines at once.
type robLoad struct {
	srv    *mockserver.Server
	http   *httptest.Server
	client *http.Client
}

func newRobLoad(t *testing.T, opts mockserver.Options) *robLoad {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = mockserver.NewFrozenClock(frozenAt)
	}
	srv, err := mockserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tr := hs.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 64, 64, 64
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() { tr.CloseIdleConnections(); hs.Close(); srv.Close() })
	return &robLoad{srv: srv, http: hs, client: client}
}

// robReply is an answer read in full.
type robReply struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request with the development API key; it reports a transport error as status 0.
func (l *robLoad) do(method, target, body string) (robReply, error) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, l.http.URL+target, r)
	if err != nil {
		return robReply{}, err
	}
	req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return robReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return robReply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// isProblem reports whether r is a problem+json whose status is the HTTP status.
func (r robReply) isProblem() bool {
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	var p generated.ProblemDetails
	return mt == "application/problem+json" && json.Unmarshal(r.body, &p) == nil && int(p.Status) == r.status
}

// namesIn counts the verifications called name in a get-all answer and returns their ids.
func robNamesIn(t *testing.T, getAll []byte, name string) []uuid.UUID {
	t.Helper()
	var list generated.VerificationList
	if err := json.Unmarshal(getAll, &list); err != nil {
		t.Fatalf("get-all: %v: %s", err, getAll)
	}
	var ids []uuid.UUID
	for _, v := range list.Verifications {
		if v.Name == name {
			ids = append(ids, v.VerificationId)
		}
	}
	return ids
}

// robRun runs n goroutines of f and waits for them.
func robRun(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start // all at once
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// TestRobConcurrentCreatesOfOneName: 1,000 concurrent creates of one name: exactly one 200 and
// 999 409 problems, and get-all lists the name once, with the id the 200 gave.
func TestRobConcurrentCreatesOfOneName(t *testing.T) {
	l := newRobLoad(t, mockserver.Options{Seed: 1})
	const n = 1000
	var created atomic.Int64
	var winner atomic.Value
	var conflicts, others atomic.Int64
	robRun(n, func(int) {
		r, err := l.do(http.MethodPost, "/v1/verification/create", `{"name":"rob-one","verificationConfig":{}}`)
		switch {
		case err != nil:
			t.Errorf("create: %v", err)
			others.Add(1)
		case r.status == http.StatusOK:
			created.Add(1)
			var v generated.VerificationCreated
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Errorf("200 body %s: %v", r.body, err)
			}
			winner.Store(v.VerificationId)
		case r.status == http.StatusConflict && r.isProblem():
			conflicts.Add(1)
		default:
			t.Errorf("create answered %d: %s", r.status, r.body)
			others.Add(1)
		}
	})
	if created.Load() != 1 || conflicts.Load() != n-1 || others.Load() != 0 {
		t.Fatalf("%d × 200, %d × 409, %d other; want 1, %d, 0", created.Load(), conflicts.Load(), others.Load(), n-1)
	}
	r, err := l.do(http.MethodGet, "/v1/verification/get-all", "")
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("get-all: %v %d", err, r.status)
	}
	if ids := robNamesIn(t, r.body, "rob-one"); len(ids) != 1 || ids[0] != winner.Load().(uuid.UUID) {
		t.Errorf("get-all lists rob-one as %v, want once as %v", ids, winner.Load())
	}
}

// TestRobConcurrentHostedNonce: 1,000 concurrent opens of one signed link with a nonce, on a
// mock with --auto-complete pass: exactly one session starts (one 303 to the passed URL with a
// passed result, one face indexed), the 999 others are 410 Gone, the journal shows the same, and
// the nonce is used.
func TestRobConcurrentHostedNonce(t *testing.T) {
	l := newRobLoad(t, mockserver.Options{Seed: 2, AutoComplete: "pass"})
	cfg := generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: apiPtr("rob-once")},
		},
		RedirectConfig:        &generated.RedirectConfig{PassedUrl: apiPtr("https://app.example/ok"), FailedUrl: apiPtr("https://app.example/ko")},
		ResultParameterConfig: &generated.ResultParameterConfig{IncludeSessionId: apiPtr(true), IncludeVerificationResult: apiPtr(true)},
		SecurityConfig:        &generated.SecurityConfig{ForceSignedInput: apiPtr(true)},
	}
	r, err := l.do(http.MethodPost, "/v1/verification/create", string(apiMustJSON(t, generated.VerificationInput{Name: "rob-gate", VerificationConfig: cfg})))
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("create: %v %d %s", err, r.status, r.body)
	}
	var v generated.VerificationCreated
	_ = json.Unmarshal(r.body, &v)
	r, err = l.do(http.MethodPost, "/v1/signature/create", `{"queryString":"userId=u1","securitySettings":{"enableNonce":true,"expirationInSeconds":3600}}`)
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("sign: %v %d %s", err, r.status, r.body)
	}
	var signed generated.SignedQuery
	_ = json.Unmarshal(r.body, &signed)
	path := "/verification/" + v.VerificationId.String()

	const n = 1000
	var mu sync.Mutex
	statuses := map[int]int{}
	var location string
	robRun(n, func(int) {
		r, err := l.do(http.MethodGet, path+"?"+signed.SignedQueryString, "")
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		statuses[r.status]++
		if r.status == http.StatusSeeOther {
			location = r.header.Get("Location")
		}
	})
	// Read the journal first: it keeps the last 1000 requests, exactly the opens.
	journal := map[int]int{}
	for _, rec := range l.srv.Requests() {
		if rec.Path == path {
			journal[rec.Status]++
		}
	}
	if statuses[http.StatusSeeOther] != 1 || statuses[http.StatusGone] != n-1 || len(statuses) != 2 {
		t.Fatalf("statuses %v, want one 303 and %d 410", statuses, n-1)
	}
	if journal[http.StatusSeeOther] != 1 || journal[http.StatusGone] != n-1 || len(journal) != 2 {
		t.Errorf("the journal has %v for %s, want one 303 and %d 410", journal, path, n-1)
	}
	loc, err := url.Parse(location)
	if err != nil || loc.Host != "app.example" || loc.Path != "/ok" || loc.Query().Get("reVerificationResult") != "passed" {
		t.Fatalf("the 303 goes to %q, want the passed URL with reVerificationResult=passed", location)
	}
	session := loc.Query().Get("reVerificationSessionId")
	r, err = l.do(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+session, "")
	var res generated.SessionResult
	if err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &res) != nil || res.VerificationResult != generated.SessionStatusPass {
		t.Errorf("the session's result: %v %d %s; want Pass", err, r.status, r.body)
	}
	faces := 0
	for _, c := range l.srv.FaceCollections() {
		if c.CollectionID == "rob-once" {
			faces += len(c.Faces)
		}
	}
	if faces != 1 {
		t.Errorf("the collection holds %d faces, want the one session's", faces)
	}
	r, err = l.do(http.MethodPost, "/v1/signature/validate", string(apiMustJSON(t, generated.ValidateSignatureRequest{QueryString: signed.SignedQueryString})))
	if err != nil || !bytes.Contains(r.body, []byte(`"NonceAlreadyUsed"`)) {
		t.Errorf("validate after the opens: %v %s, want NonceAlreadyUsed", err, r.body)
	}
}

// TestRobConcurrentUpsertAndDelete: goroutines create-or-update, delete, get and list one name at
// once. No answer is a 5xx; at the end get-all lists the name at most once, the id it lists is one
// that create-or-update answered and the only one get still finds, and a last create-or-update
// agrees (wasCreated exactly when the name was gone).
func TestRobConcurrentUpsertAndDelete(t *testing.T) {
	l := newRobLoad(t, mockserver.Options{Seed: 3})
	const name = "rob-flip"
	var mu sync.Mutex
	ids := map[uuid.UUID]bool{}
	var last atomic.Value // the newest id create-or-update answered
	last.Store(uuid.Nil)
	check := func(what string, r robReply, err error, allowed ...int) bool {
		switch {
		case err != nil:
			t.Errorf("%s: %v", what, err)
		case r.status >= 500:
			t.Errorf("%s answered %d: %s", what, r.status, r.body)
		case !containsInt(allowed, r.status):
			t.Errorf("%s answered %d, want one of %v: %s", what, r.status, allowed, r.body)
		case r.status != http.StatusOK && !r.isProblem():
			t.Errorf("%s answered %d without a problem: %s", what, r.status, r.body)
		default:
			return r.status == http.StatusOK
		}
		return false
	}
	robRun(16, func(g int) {
		rng := rand.New(rand.NewPCG(uint64(g), 7))
		for range 60 {
			id := last.Load().(uuid.UUID)
			switch rng.IntN(4) {
			case 0, 1:
				body := fmt.Sprintf(`{"name":%q,"verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":%d}}}}`, name, 1+rng.IntN(120))
				r, err := l.do(http.MethodPost, "/v1/verification/create-or-update", body)
				if check("create-or-update", r, err, http.StatusOK) {
					var u generated.VerificationUpserted
					if err := json.Unmarshal(r.body, &u); err != nil {
						t.Errorf("create-or-update body %s: %v", r.body, err)
						continue
					}
					mu.Lock()
					ids[u.VerificationId] = true
					mu.Unlock()
					last.Store(u.VerificationId)
				}
			case 2:
				r, err := l.do(http.MethodDelete, "/v1/verification/delete?verificationId="+id.String(), "")
				check("delete", r, err, http.StatusOK, http.StatusNotFound)
			case 3:
				r, err := l.do(http.MethodGet, "/v1/verification/get?verificationId="+id.String(), "")
				if check("get", r, err, http.StatusOK, http.StatusNotFound) {
					var env generated.VerificationEnvelope
					if json.Unmarshal(r.body, &env) != nil || env.Verification.Name != name || env.Verification.VerificationId != id {
						t.Errorf("get %s answered %s", id, r.body)
					}
				}
				r, err = l.do(http.MethodGet, "/v1/verification/get-all", "")
				if check("get-all", r, err, http.StatusOK) {
					if n := len(robNamesIn(t, r.body, name)); n > 1 {
						t.Errorf("get-all lists %s %d times", name, n)
					}
				}
			}
		}
	})
	r, err := l.do(http.MethodGet, "/v1/verification/get-all", "")
	if err != nil || r.status != http.StatusOK {
		t.Fatalf("get-all: %v %d", err, r.status)
	}
	listed := robNamesIn(t, r.body, name)
	if len(listed) > 1 {
		t.Fatalf("get-all lists %s %d times", name, len(listed))
	}
	if len(listed) == 1 && !ids[listed[0]] {
		t.Errorf("get-all lists %s as %s, which no create-or-update answered", name, listed[0])
	}
	for id := range ids {
		r, err := l.do(http.MethodGet, "/v1/verification/get?verificationId="+id.String(), "")
		live := len(listed) == 1 && listed[0] == id
		switch {
		case err != nil:
			t.Errorf("get %s: %v", id, err)
		case live && r.status != http.StatusOK:
			t.Errorf("get of the listed %s answered %d", id, r.status)
		case !live && r.status != http.StatusNotFound:
			t.Errorf("get of %s, not listed, answered %d: %s", id, r.status, r.body)
		}
	}
	r, err = l.do(http.MethodPost, "/v1/verification/create-or-update", `{"name":"`+name+`","verificationConfig":{}}`)
	var u generated.VerificationUpserted
	if err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &u) != nil {
		t.Fatalf("last create-or-update: %v %d %s", err, r.status, r.body)
	}
	if u.WasCreated != (len(listed) == 0) || (len(listed) == 1 && u.VerificationId != listed[0]) {
		t.Errorf("last create-or-update = %+v, with %v listed before", u, listed)
	}
	t.Logf("%d ids created over the run; %d listed at the end", len(ids), len(listed))
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestRobMixedLoadWhileClockMoves: creates, gets, signatures and validations, sessions, results
// and completions (Server.CompleteSession) from many goroutines while another moves the clock.
// No answer is a 5xx, nothing races, and a session's result is only ever Pending (its id and
// status, nothing else) or the complete result its completion stored: never a mix.
func TestRobMixedLoadWhileClockMoves(t *testing.T) {
	l := newRobLoad(t, mockserver.Options{Seed: 4})
	stop := make(chan struct{})
	var ticks atomic.Int64
	var clockDone sync.WaitGroup
	clockDone.Add(1)
	go func() {
		defer clockDone.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			l.srv.Clock().Advance(time.Minute) // a day's worth over the test at most: well inside the 7-day retention
			ticks.Add(1)
			time.Sleep(200 * time.Microsecond)
		}
	}()

	var mu sync.Mutex
	var sessions []uuid.UUID
	var verifications []uuid.UUID
	completed := map[uuid.UUID]generated.SessionResult{} // what CompleteSession stored
	seen := map[uuid.UUID][][]byte{}                     // completed results read through the API
	pick := func(rng *rand.Rand, from *[]uuid.UUID) (uuid.UUID, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(*from) == 0 {
			return uuid.Nil, false
		}
		return (*from)[rng.IntN(len(*from))], true
	}
	ok := func(what string, r robReply, err error) bool {
		switch {
		case err != nil:
			t.Errorf("%s: %v", what, err)
		case r.status != http.StatusOK:
			t.Errorf("%s answered %d: %s", what, r.status, r.body)
		default:
			return true
		}
		return false
	}
	var created atomic.Int64
	robRun(8, func(g int) {
		rng := rand.New(rand.NewPCG(uint64(g), 11))
		for i := range 150 {
			switch rng.IntN(7) {
			case 0:
				r, err := l.do(http.MethodPost, "/v1/verification/create", fmt.Sprintf(`{"name":"rob-mixed-%d-%d","verificationConfig":{}}`, g, i))
				if ok("create", r, err) {
					var v generated.VerificationCreated
					_ = json.Unmarshal(r.body, &v)
					mu.Lock()
					verifications = append(verifications, v.VerificationId)
					mu.Unlock()
				}
			case 1:
				if id, found := pick(rng, &verifications); found {
					r, err := l.do(http.MethodGet, "/v1/verification/get?verificationId="+id.String(), "")
					ok("get", r, err)
				}
			case 2:
				r, err := l.do(http.MethodPost, "/v1/signature/create", `{"queryString":"u=`+fmt.Sprint(g)+`","securitySettings":{"expirationInSeconds":3600,"enableNonce":true}}`)
				if ok("sign", r, err) {
					var s generated.SignedQuery
					_ = json.Unmarshal(r.body, &s)
					r, err := l.do(http.MethodPost, "/v1/signature/validate", string(apiMustJSON(t, generated.ValidateSignatureRequest{QueryString: s.SignedQueryString})))
					if ok("validate", r, err) && !bytes.Contains(r.body, []byte(`"Valid"`)) && !bytes.Contains(r.body, []byte(`"Expired"`)) {
						t.Errorf("validate of a fresh signature: %s", r.body)
					}
				}
			case 3:
				r, err := l.do(http.MethodPost, "/v1/verification/create-session",
					`{"verifierConfigs":{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":18},"faceRecognition":{"type":"DuplicateVerification","collectionId":"rob-mixed"}},"externalId":"g`+fmt.Sprint(g)+`"}`)
				if ok("create-session", r, err) {
					var s generated.SessionCreated
					_ = json.Unmarshal(r.body, &s)
					created.Add(1)
					mu.Lock()
					sessions = append(sessions, s.VerificationSessionId)
					mu.Unlock()
				}
			case 4, 5:
				id, found := pick(rng, &sessions)
				if !found {
					continue
				}
				r, err := l.do(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+id.String(), "")
				if !ok("get-session-result", r, err) {
					continue
				}
				var fields map[string]any
				if err := json.Unmarshal(r.body, &fields); err != nil {
					t.Errorf("result body %s: %v", r.body, err)
					continue
				}
				if fields["verificationResult"] == string(generated.SessionStatusPending) {
					if len(fields) != 2 || fields["verificationSessionId"] != id.String() {
						t.Errorf("a pending result has more than its id and status: %s", r.body)
					}
					continue
				}
				mu.Lock()
				seen[id] = append(seen[id], r.body)
				mu.Unlock()
			case 6:
				id, found := pick(rng, &sessions)
				if !found {
					continue
				}
				done, err := l.srv.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"})
				switch {
				case err == nil:
					mu.Lock()
					if _, twice := completed[id]; twice {
						t.Errorf("session %s completed twice", id)
					}
					completed[id] = done.Result
					mu.Unlock()
				case !strings.Contains(err.Error(), mockserver.ErrSessionCompleted.Error()):
					t.Errorf("complete %s: %v", id, err)
				}
			}
		}
	})
	close(stop)
	clockDone.Wait()

	// Every completed result read while the load ran is the result its completion stored.
	for id, bodies := range seen {
		want, done := completed[id]
		if !done {
			t.Errorf("session %s read as completed, but no completion succeeded", id)
			continue
		}
		wantJSON := robCanonicalJSON(t, apiMustJSON(t, want))
		for _, b := range bodies {
			if got := robCanonicalJSON(t, b); !reflect.DeepEqual(got, wantJSON) {
				t.Errorf("session %s read as\n%s\nbut its completion stored\n%s", id, b, apiMustJSON(t, want))
			}
		}
	}
	reads := 0
	for _, b := range seen {
		reads += len(b)
	}
	if created.Load() == 0 || len(completed) == 0 || reads == 0 || ticks.Load() == 0 {
		t.Errorf("the load did too little to tell: %d sessions, %d completed, %d completed reads, %d clock moves", created.Load(), len(completed), reads, ticks.Load())
	}
	t.Logf("%d sessions, %d completed, %d completed results read, %d verifications, %d clock moves", created.Load(), len(completed), reads, len(verifications), ticks.Load())
}

// robCanonicalJSON decodes a JSON document so two can be compared whatever their key order.
func robCanonicalJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}
