package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/signing"
)

// Benchmarks of a full in-process HTTP round trip: every operation of openapi.yaml (and the
// hosted page with --auto-complete) through Server.ServeHTTP, with the whole pipeline on: request
// id, journal, fault check, authentication, validation against openapi.yaml, the strict handler,
// the store. Run with
//
//	go test -run '^$' -bench RoundTrip -benchmem ./mockserver/
//
// The helpers here (benchEnv, benchWriter, benchRequest) are shared by the other
// *_bench_test.go files of the package.

// benchVerificationConfig is a realistic configuration: every verifier, redirect URLs, some
// result parameters and a forced signature (the default).
const benchVerificationConfig = `{"verifierConfigs":{"liveness":{"type":"Verification"},` +
	`"age":{"type":"ThresholdVerification","threshold":18},"gender":{"type":"CalculationOnly"}},` +
	`"redirectConfig":{"passedUrl":"https://shop.example.com/passed","failedUrl":"https://shop.example.com/failed"},` +
	`"resultParameterConfig":{"includeSessionId":true,"includeVerificationResult":true,"includeAge":true}}`

// benchEnv is a mock with the development account, one named verification, one completed
// session and a signed hosted-page link, ready for every operation.
type benchEnv struct {
	s              *Server
	auth           string // the Authorization header value
	verificationID uuid.UUID
	sessionID      uuid.UUID
	signed         string // a signed query string from create-signature (with a nonce)
	hostedPath     string // /verification/{id}?<signed link without nonce>
}

func newBenchEnv(tb testing.TB, opts Options) *benchEnv {
	tb.Helper()
	s, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	e := &benchEnv{s: s, auth: "ApiKey " + DevAPIKey}
	if len(opts.Accounts) > 0 {
		e.auth = "ApiKey " + opts.Accounts[0].APIKeys[0]
	}
	var created struct {
		VerificationID uuid.UUID `json:"verificationId"`
	}
	e.mustJSON(tb, e.do(http.MethodPost, "/v1/verification/create", `{"name":"bench","verificationConfig":`+benchVerificationConfig+`}`), &created)
	e.verificationID = created.VerificationID
	var session struct {
		ID uuid.UUID `json:"verificationSessionId"`
	}
	e.mustJSON(tb, e.do(http.MethodPost, "/v1/verification/create-session", `{"name":"bench"}`), &session)
	e.sessionID = session.ID
	if _, err := s.CompleteSession(e.sessionID, SubjectSpec{Preset: "pass"}); err != nil {
		tb.Fatal(err)
	}
	var sig struct {
		Signed string `json:"signedQueryString"`
	}
	e.mustJSON(tb, e.do(http.MethodPost, "/v1/signature/create", `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`), &sig)
	e.signed = sig.Signed
	acc := s.auth.set.Load().order[0] // the account of e.auth
	link, err := signing.Create("userId=User123&campaignId=camp456", acc.SigningSecret, signing.Settings{}, s.clock.Now(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	e.hostedPath = "/verification/" + e.verificationID.String() + "?" + link.SignedQueryString
	return e
}

// do sends one request in process and returns the recorded response.
func (e *benchEnv) do(method, target, body string) *benchWriter {
	w := newBenchWriter()
	e.s.ServeHTTP(w, newBenchRequest(method, target, body, e.auth).get())
	return w
}

func (e *benchEnv) mustJSON(tb testing.TB, w *benchWriter, v any) {
	tb.Helper()
	if w.code != http.StatusOK {
		tb.Fatalf("status %d: %s", w.code, w.body.String())
	}
	if err := json.Unmarshal(w.body.Bytes(), v); err != nil {
		tb.Fatal(err)
	}
}

// benchWriter is a minimal http.ResponseWriter, so the benchmarks measure the mock and not
// httptest.ResponseRecorder. It keeps the body only when asked to.
type benchWriter struct {
	h       http.Header
	code    int
	n       int
	keep    bool
	body    bytes.Buffer
	headers int
}

func newBenchWriter() *benchWriter { return &benchWriter{h: http.Header{}, keep: true} }

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
		w.headers = len(w.h)
	}
}

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.n += len(p)
	if w.keep {
		w.body.Write(p)
	}
	return len(p), nil
}

// reset makes the writer ready for the next request without allocating.
func (w *benchWriter) reset() {
	clear(w.h)
	w.code, w.n = 0, 0
	w.body.Reset()
}

// benchRequest is a request template: get returns a fresh request with its own body reader,
// sharing the URL and headers (the mock never changes them).
type benchRequest struct {
	tmpl *http.Request
	body []byte
}

func newBenchRequest(method, target, body, auth string) *benchRequest {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	r := &http.Request{
		Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: "127.0.0.1", RemoteAddr: "127.0.0.1:40000", RequestURI: target,
		ContentLength: int64(len(body)), Body: http.NoBody,
	}
	return &benchRequest{tmpl: r.WithContext(context.Background()), body: []byte(body)}
}

func (b *benchRequest) get() *http.Request {
	r := b.tmpl.WithContext(context.Background())
	if len(b.body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(b.body))
	}
	return r
}

// benchSeq numbers the names of created verifications across benchmark runs.
var benchSeq atomic.Int64

// benchOp is one operation as the round-trip benchmarks send it.
type benchOp struct {
	name   string
	method string
	target string
	body   string
	status int
	// vary, when set, gives the body of call i (for operations that need a fresh name).
	vary func(i int) string
	// prepare, when set, runs before the timer starts with the number of calls to come and
	// returns the target of call i (delete needs its verifications to exist).
	prepare func(tb testing.TB, e *benchEnv, n int) func(i int) string
}

// benchOps lists every operation of openapi.yaml (and the hosted page) with a valid request.
func benchOps(e *benchEnv) []benchOp {
	vid, sid := e.verificationID.String(), e.sessionID.String()
	signed, _ := json.Marshal(e.signed)
	return []benchOp{
		{name: "getHealth", method: "GET", target: "/v1/healthz", status: 200},
		{name: "getToken", method: "GET", target: "/v1/token/get?expirationInSeconds=900", status: 200},
		{name: "createSignature", method: "POST", target: "/v1/signature/create", status: 200,
			body: `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`},
		{name: "validateSignature", method: "POST", target: "/v1/signature/validate", status: 200,
			body: `{"queryString":` + string(signed) + `}`},
		{name: "getVerification", method: "GET", target: "/v1/verification/get?verificationId=" + vid, status: 200},
		{name: "getAllVerifications", method: "GET", target: "/v1/verification/get-all", status: 200},
		{name: "createVerification", method: "POST", target: "/v1/verification/create", status: 200,
			vary: func(i int) string {
				return `{"name":"bench-` + strconv.Itoa(i) + `","verificationConfig":` + benchVerificationConfig + `}`
			}},
		{name: "createOrUpdateVerification", method: "POST", target: "/v1/verification/create-or-update", status: 200,
			body: `{"name":"bench","verificationConfig":` + benchVerificationConfig + `}`},
		{name: "updateVerification", method: "PUT", target: "/v1/verification/update", status: 200,
			body: `{"verificationId":"` + vid + `","name":"bench","verificationConfig":` + benchVerificationConfig + `}`},
		{name: "deleteVerification", method: "DELETE", status: 200,
			prepare: func(tb testing.TB, e *benchEnv, n int) func(int) string {
				ids := make([]string, n)
				for i := range ids {
					v, err := e.s.store.createVerification(DevAccountID, e.s.ids.uuid(), "doomed-"+strconv.FormatInt(benchSeq.Add(1), 10), e.verification(tb).config, e.s.clock.Now())
					if err != nil {
						tb.Fatal(err)
					}
					ids[i] = "/v1/verification/delete?verificationId=" + v.id.String()
				}
				return func(i int) string { return ids[i] }
			}},
		{name: "createSession", method: "POST", target: "/v1/verification/create-session", status: 200,
			body: `{"name":"bench","externalId":"user-42"}`},
		{name: "getSessionResult", method: "GET", target: "/v1/verification/get-session-result?verificationSessionId=" + sid, status: 200},
		{name: "hostedAutoComplete", method: "GET", target: e.hostedPath, status: http.StatusSeeOther},
		// Two error paths: a request that breaks the spec, and one without credentials.
		{name: "getVerification-400", method: "GET", target: "/v1/verification/get?verificationId=nope", status: 400},
		{name: "getAllVerifications-401", method: "GET", target: "/v1/verification/get-all", status: 401},
	}
}

func (e *benchEnv) verification(tb testing.TB) *verificationRecord {
	v, err := e.s.store.getVerification(DevAccountID, e.verificationID)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// run sends op b.N times and fails on an unexpected status.
func (op benchOp) run(b *testing.B, e *benchEnv) {
	auth := e.auth
	if op.status == http.StatusUnauthorized {
		auth = ""
	}
	var req *benchRequest
	var target func(int) string
	if op.prepare != nil {
		target = op.prepare(b, e, b.N)
	} else {
		req = newBenchRequest(op.method, op.target, op.body, auth)
	}
	w := newBenchWriter()
	w.keep = false
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := req
		switch {
		case op.vary != nil:
			r = newBenchRequest(op.method, op.target, op.vary(int(benchSeq.Add(1))), auth)
		case target != nil:
			r = newBenchRequest(op.method, target(i), "", auth)
		}
		w.reset()
		e.s.ServeHTTP(w, r.get())
		if w.code != op.status {
			b.Fatalf("%s: status %d, want %d", op.name, w.code, op.status)
		}
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	e := newBenchEnv(b, Options{AutoComplete: "pass"})
	for _, op := range benchOps(e) {
		b.Run(op.name, func(b *testing.B) { op.run(b, e) })
	}
}

// BenchmarkRoundTripParallel sends the cheap operations from every P at once, to show how the
// pipeline scales past one core (the store's lock, the journal's lock, the id source).
func BenchmarkRoundTripParallel(b *testing.B) {
	e := newBenchEnv(b, Options{})
	for _, op := range benchOps(e) {
		switch op.name {
		case "getHealth", "getVerification", "validateSignature", "getSessionResult", "createSignature":
		default:
			continue
		}
		b.Run(op.name, func(b *testing.B) {
			req := newBenchRequest(op.method, op.target, op.body, e.auth)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				w := newBenchWriter()
				w.keep = false
				for pb.Next() {
					w.reset()
					e.s.ServeHTTP(w, req.get())
					if w.code != op.status {
						panic(fmt.Sprintf("%s: status %d", op.name, w.code))
					}
				}
			})
		})
	}
}

// TestBenchOpsAnswerAsExpected runs every benchmark request once, so `go test` keeps the
// benchmarks honest (a request that starts failing validation would otherwise only show up as a
// suspiciously fast benchmark).
func TestBenchOpsAnswerAsExpected(t *testing.T) {
	e := newBenchEnv(t, Options{AutoComplete: "pass"})
	for _, op := range benchOps(e) {
		t.Run(op.name, func(t *testing.T) {
			auth := e.auth
			if op.status == http.StatusUnauthorized {
				auth = ""
			}
			target, body := op.target, op.body
			if op.vary != nil {
				body = op.vary(0)
			}
			if op.prepare != nil {
				target = op.prepare(t, e, 1)(0)
			}
			w := newBenchWriter()
			e.s.ServeHTTP(w, newBenchRequest(op.method, target, body, auth).get())
			if w.code != op.status {
				t.Fatalf("status %d, want %d: %s", w.code, op.status, w.body.String())
			}
			if op.status == http.StatusSeeOther && !strings.HasPrefix(w.h.Get("Location"), "https://shop.example.com/passed") {
				t.Errorf("Location = %q", w.h.Get("Location"))
			}
		})
	}
}
