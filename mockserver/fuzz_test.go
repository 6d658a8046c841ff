package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// Fuzz targets of the mock's two parsers of untrusted input: the JSON bodies of the Service API
// (FuzzRequestDecoding) and the raw query string of the hosted page (FuzzHostedQuery). Each keeps
// one mock per fuzzing process, served in process (no sockets), and checks every answer against
// the mock's promises: never a 5xx, a rejected request changes nothing, the journal records what
// was answered. Run one for a while with
//
//	go test -run '^$' -fuzz '^FuzzRequestDecoding$' -fuzztime 30s ./mockserver/
//
// Seeds are the f.Add calls below and the files in testdata/fuzz/<FuzzName>/; plain `go test`
// runs every seed.
//
// These tests live in package mockserver (not mockserver_test) only to read how many sessions
// and nonces the store holds, which no API lists: see robStoreState.

// robFuzzNow is the frozen mock time of the fuzz targets.
var robFuzzNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// robFixtureConfigs are the verifications every fuzz mock starts with (and gets back on Reset),
// created through the API so they are stored exactly as a client's would be.
var robFixtureConfigs = []struct{ name, config string }{
	{"rob-basic", `{}`},
	{"rob-full", `{"verifierConfigs":{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":18},` +
		`"gender":{"type":"CalculationOnly"},"faceRecognition":{"type":"DuplicateVerification","collectionId":"rob-faces"}},` +
		`"redirectConfig":{"passedUrl":"https://app.example/done?r=passed","failedUrl":"https://app.example/done?r=failed"},` +
		`"resultParameterConfig":{"includeSignature":true,"includeSessionId":true,"includeFaceId":true,"includeAge":true,"includeGender":true,` +
		`"includeVerificationResult":true,"includeCustomInputParameters":true,"includeLivenessCheckResult":true,"includeAgeVerificationResult":true,` +
		`"includeGenderVerificationResult":true,"includeFaceRecognitionResult":true,"includeCorrelationId":true,"includeTotalFaceCount":true,"includeFailedReason":true},` +
		`"securityConfig":{"forceSignedInput":true},"sessionOverrideConfig":{"allowVerifierOverrides":true}}`},
	{"rob-open", `{"verifierConfigs":{"liveness":{"type":"Verification"}},` +
		`"redirectConfig":{"passedUrl":"https://app.example/done?r=passed","failedUrl":"https://app.example/done?r=failed"},` +
		`"resultParameterConfig":{"includeSignature":true,"includeSessionId":true,"includeCustomInputParameters":true,"includeVerificationResult":true},` +
		`"securityConfig":{"forceSignedInput":false},"sessionOverrideConfig":{"allowVerifierOverrides":true}}`},
	{"rob-open-no-redirect", `{"verifierConfigs":{"age":{"type":"CalculationOnly"}},"securityConfig":{"forceSignedInput":false}}`},
	{"rob-match", `{"verifierConfigs":{"faceRecognition":{"type":"MatchVerification","collectionId":"rob-faces"}},"securityConfig":{"forceSignedInput":false}}`},
}

// robFuzzEnv is a mock with the fixtures, and a conformance transport into it.
type robFuzzEnv struct {
	s    *Server
	conf *conformance.Transport
	ids  map[string]uuid.UUID // fixture name → id, read again after every Reset
	// responseViolations collects the response violations conformance finds during one call.
	responseViolations []conformance.Violation
	resets             int
}

// robInProcess is an http.RoundTripper that serves each request with a handler, in process.
type robInProcess struct{ h http.Handler }

func (p robInProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func robNewFuzzEnv(tb testing.TB, autoComplete string) *robFuzzEnv {
	tb.Helper()
	e := &robFuzzEnv{}
	s, err := New(Options{
		Clock: NewFrozenClock(robFuzzNow), Seed: 99, AutoComplete: autoComplete,
		StartState: robCreateFixtures, Logger: robLogger(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	e.s = s
	e.newTransport(tb)
	e.readIDs(tb)
	return e
}

func (e *robFuzzEnv) newTransport(tb testing.TB) {
	tb.Helper()
	tr, err := conformance.NewTransport(robInProcess{e.s}, conformance.OnViolation(func(v conformance.Violation) {
		if v.Phase == conformance.PhaseResponse {
			e.responseViolations = append(e.responseViolations, v)
		}
	}))
	if err != nil {
		tb.Fatal(err)
	}
	e.conf = tr
}

// robCreateFixtures is the mock's StartState: the fixture verifications, through the API.
func robCreateFixtures(s *Server) error {
	for _, f := range robFixtureConfigs {
		body := `{"name":"` + f.name + `","verificationConfig":` + f.config + `}`
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, robRequest(http.MethodPost, "/v1/verification/create", "application/json", []byte(body)))
		if rec.Code != http.StatusOK {
			return fmt.Errorf("fixture %s: %d %s", f.name, rec.Code, rec.Body)
		}
	}
	return nil
}

func robRequest(method, target, contentType string, body []byte) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://verifeye.test"+target, r)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "ApiKey "+DevAPIKey)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// readIDs learns the fixtures' ids from get-all.
func (e *robFuzzEnv) readIDs(tb testing.TB) {
	tb.Helper()
	var list generated.VerificationList
	if err := json.Unmarshal([]byte(e.getAll(tb)), &list); err != nil {
		tb.Fatal(err)
	}
	e.ids = map[string]uuid.UUID{}
	for _, v := range list.Verifications {
		e.ids[v.Name] = v.VerificationId
	}
	for _, f := range robFixtureConfigs {
		if _, ok := e.ids[f.name]; !ok {
			tb.Fatalf("fixture %s missing from get-all", f.name)
		}
	}
}

// reset brings the mock back to its fixtures.
func (e *robFuzzEnv) reset(tb testing.TB) {
	tb.Helper()
	if err := e.s.Reset(); err != nil {
		tb.Fatal(err)
	}
	e.resets++
	if e.resets%1000 == 0 { // conformance keeps every violation: start a new one now and then
		e.newTransport(tb)
	}
	e.readIDs(tb)
}

func (e *robFuzzEnv) getAll(tb testing.TB) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	e.s.ServeHTTP(rec, robRequest(http.MethodGet, "/v1/verification/get-all", "", nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("get-all: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// robStoreState describes everything the store holds, sessions and nonces included, so that two
// descriptions are equal exactly when nothing changed.
type robStoreState struct {
	digest   string
	sessions map[uuid.UUID]bool // session → completed
	nonces   int
	getAll   string
	faces    int
}

func (e *robFuzzEnv) state(tb testing.TB) robStoreState {
	tb.Helper()
	st := e.s.store
	out := robStoreState{sessions: map[uuid.UUID]bool{}}
	var b strings.Builder
	st.mu.RLock()
	accounts := make([]string, 0, len(st.accounts))
	for acc := range st.accounts {
		accounts = append(accounts, acc)
	}
	sort.Strings(accounts)
	for _, acc := range accounts {
		d := st.accounts[acc]
		fmt.Fprintf(&b, "account %s\n", acc)
		vs := make([]*verificationRecord, 0, len(d.verifications))
		for _, v := range d.verifications {
			vs = append(vs, v)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].seq < vs[j].seq })
		for _, v := range vs {
			cfg, _ := json.Marshal(v.config)
			fmt.Fprintf(&b, "v %s %q %s %s %s %d\n", v.id, v.name, cfg, v.created, v.lastModified, v.seq)
		}
		names := make([]string, 0, len(d.byName))
		for n, id := range d.byName {
			names = append(names, fmt.Sprintf("%q=%s", n, id))
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "names %s\n", strings.Join(names, ","))
		sessions := make([]string, 0, d.sessions.len())
		for s := range d.sessions.all(acc) {
			out.sessions[s.id] = s.result != nil
			// A session's result is set once, when it completes: whether it is set, and when,
			// tells every change.
			sessions = append(sessions, fmt.Sprintf("s %s %v %s", s.id, s.result != nil, s.completed))
		}
		sort.Strings(sessions)
		b.WriteString(strings.Join(sessions, "\n"))
		nonces := make([]string, 0, d.nonces.len())
		for n := range d.nonces.all() {
			nonces = append(nonces, n)
		}
		sort.Strings(nonces)
		out.nonces += len(nonces)
		fmt.Fprintf(&b, "\nnonces %s\n", strings.Join(nonces, ","))
	}
	fmt.Fprintf(&b, "seq %d owners %d %d\n", st.seq, len(st.verificationOwner), len(st.sessionOwner))
	st.mu.RUnlock()
	for _, c := range e.s.FaceCollections() {
		out.faces += len(c.Faces)
		fmt.Fprintf(&b, "collection %s/%s %v %v\n", c.Account, c.CollectionID, c.Faces, c.Enrolled)
	}
	sum := sha256.Sum256([]byte(b.String()))
	out.digest = hex.EncodeToString(sum[:])
	out.getAll = e.getAll(tb)
	return out
}

// robLastJournal checks that the journal's newest entry is the request just answered.
func (e *robFuzzEnv) robLastJournal(t *testing.T, method, path string, status int) {
	t.Helper()
	reqs := e.s.Requests()
	if len(reqs) == 0 {
		t.Fatalf("the journal is empty after %s %s", method, path)
	}
	last := reqs[len(reqs)-1]
	if last.Method != method || last.Path != path || last.Status != status {
		t.Fatalf("the journal's newest entry is %+v, want %s %s answered %d", last, method, path, status)
	}
}

// robBadHeaderValue returns the first response header whose value is not a valid HTTP
// field-value (RFC 9110 section 5.5: no control characters but horizontal tab): net/http's client
// refuses such a response as a malformed MIME header, and so do other clients and proxies.
func robBadHeaderValue(h http.Header) (string, bool) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			for i := 0; i < len(v); i++ {
				if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
					return k, true
				}
			}
		}
	}
	return "", false
}

// robBodyOps are the operations that take a JSON body.
var robBodyOps = []struct{ method, path string }{
	{http.MethodPost, "/v1/signature/create"},
	{http.MethodPost, "/v1/signature/validate"},
	{http.MethodPost, "/v1/verification/create"},
	{http.MethodPost, "/v1/verification/create-or-update"},
	{http.MethodPut, "/v1/verification/update"},
	{http.MethodPost, "/v1/verification/create-session"},
}

// robContentTypes are the Content-Type headers the fuzzer picks from ("" sends none).
var robContentTypes = []string{
	"application/json",
	"application/json; charset=utf-8",
	"APPLICATION/JSON",
	"",
	"text/plain",
	"application/x-www-form-urlencoded",
	"application/problem+json",
	"application/json; charset",
	"multipart/form-data; boundary=x",
	"application/json;;",
}

// robReadOnly reports whether an operation never changes state, even when it answers 200.
func robReadOnly(path string) bool { return strings.HasPrefix(path, "/v1/signature/") }

// FuzzRequestDecoding sends arbitrary bytes as the JSON body of every body operation, with a
// Content-Type from a small set. The answer is never a 5xx: it is a 200 with a JSON body, or a
// 4xx problem+json whose status is the HTTP status; every answer matches openapi.yaml; a rejected
// request changes nothing (the store, get-all, the face collections), and the journal records it
// with the status answered. Signatures never change state, even when they succeed.
//
// In a body, @BASIC@, @FULL@ and @MATCH@ stand for the ids of the fixtures rob-basic, rob-full
// and rob-match, so seeds (and the fuzzer) can reach updates of existing verifications.
func FuzzRequestDecoding(f *testing.F) {
	for _, s := range []struct {
		op, ct uint8
		body   string
	}{
		{0, 0, `{"queryString":"userId=User123&age=25"}`},
		{0, 0, `{"queryString":"a=1","securitySettings":{"enableNonce":true,"expirationInSeconds":60}}`},
		{0, 1, `{"queryString":"a=1","securitySettings":{"expirationEnabled":false,"enableNonce":true}}`},
		{0, 0, `{"queryString":"a=1&reSignature=x"}`},
		{0, 0, `{"queryString":"a=1","securitySettings":{"expirationInSeconds":1e309}}`},
		{0, 3, `{"queryString":"a=1"}`},
		{0, 4, `queryString=a%3D1`},
		{1, 0, `{"queryString":"a=1&reSignature=00"}`},
		{1, 0, `{"queryString":"  ? "}`},
		{1, 2, `{"queryString":"a=1","extra":{"nested":[1,2,{"x":null}]}}`},
		{2, 0, `{"name":"fz","verificationConfig":{}}`},
		{2, 0, `{"name":"rob-basic","verificationConfig":{}}`},
		{2, 0, `{"name":"   ","verificationConfig":{}}`},
		{2, 0, `{"name":"fz","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification"}}}}`},
		{2, 0, `{"name":"fz","verificationConfig":{"verifierConfigs":{"faceRecognition":{"type":"CalculationOnly"}}}}`},
		{2, 0, `{"name":"fz","verificationConfig":{"redirectConfig":{"passedUrl":"ftp://x"}}}`},
		{2, 0, `{"name":"fz","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"http://[::1"}}}`},
		{2, 0, `{"name":5,"name":"fz","verificationConfig":{}}`},
		{2, 0, "{\"name\":\"fz\xff\",\"verificationConfig\":{}}"},
		{2, 0, `{"name":"fz","verificationConfig":{"verifierConfigs":{"liveness":null}}}`},
		{3, 0, `{"name":"rob-basic","verificationConfig":{"verifierConfigs":{"gender":{"type":"Verification"}}}}`},
		{3, 0, `{"name":"fz2","verificationConfig":{"securityConfig":{"forceSignedInput":false}}}`},
		{3, 0, `{"name":"fz2","verificationConfig":{"sessionOverrideConfig":{"allowVerifierOverrides":"yes"}}}`},
		{4, 0, `{"verificationId":"@BASIC@","name":"rob-basic renamed","verificationConfig":{}}`},
		{4, 0, `{"verificationId":"@BASIC@","name":"rob-full","verificationConfig":{}}`},
		{4, 0, `{"verificationId":"39e00c96-6431-4b2e-8707-2fb80e561fbf","name":"x","verificationConfig":{}}`},
		{4, 0, `{"verificationId":"@FULL@","name":"rob-full","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":121}}}}`},
		{4, 0, `{}`},
		{5, 0, `{"name":"rob-full"}`},
		{5, 0, `{"name":"rob-full","verifierConfigs":{"age":{"type":"ThresholdVerification"}}}`},
		{5, 0, `{"name":"rob-full","verifierConfigs":{"faceRecognition":{"type":"MatchVerification","collectionId":"c"}}}`},
		{5, 0, `{"name":"rob-match"}`},
		{5, 0, `{"name":"rob-match","externalId":"ext-1"}`},
		{5, 0, `{"name":"nobody"}`},
		{5, 0, `{"verifierConfigs":{"liveness":{"type":"Verification","challengeType":"Advanced"}},"webhookConfig":{"eventCallbackUrl":"https://hooks.example/h"}}`},
		{5, 0, `{"verifierConfigs":{}, "externalId":""}`},
		{5, 0, `{}`},
		{5, 0, `null`},
		{5, 0, `[]`},
		{5, 0, ``},
		{0, 0, `{"queryString":"a=1","evil\u0001\r\nSet-Cookie: x=1":1}`},
		{0, 0, `{"QueryString":"a=1","SecuritySettings":{"EnableNonce":true,"ExpirationInSeconds":60}}`},
		{0, 0, "\xef\xbb\xbf" + `{"queryString":"a=1"}`},
		{2, 0, `{"Name":"fz","VerificationConfig":{"VerifierConfigs":{"Age":{"Type":"thresholdverification","Threshold":21,"Direction":"ABOVE"}}}}`},
		{4, 0, `{"VerificationId":"@BASIC@","name":"rob-basic","verificationConfig":{"verifierConfigs":{"liveness":{"type":"verification"}}}}`},
		{5, 0, `{"Name":"rob-full","verifierConfigs":{"liveness":{"type":"verification"}},"name":"nobody"}`},
	} {
		f.Add(s.op, s.ct, []byte(s.body))
	}
	e := robNewFuzzEnv(f, "")
	f.Fuzz(func(t *testing.T, opIndex, ctIndex uint8, body []byte) {
		op := robBodyOps[int(opIndex)%len(robBodyOps)]
		ct := robContentTypes[int(ctIndex)%len(robContentTypes)]
		for placeholder, name := range map[string]string{"@BASIC@": "rob-basic", "@FULL@": "rob-full", "@MATCH@": "rob-match"} {
			body = bytes.ReplaceAll(body, []byte(placeholder), []byte(e.ids[name].String()))
		}
		if body == nil {
			body = []byte{} // a server request's body is never nil (ReplaceAll turns an empty one into nil)
		}
		before := e.state(t)
		e.responseViolations = nil
		resp, err := e.conf.RoundTrip(robRequest(op.method, op.path, ct, body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		for _, v := range e.responseViolations {
			t.Errorf("the answer breaks openapi.yaml: %s", v)
		}
		e.robLastJournal(t, op.method, op.path, resp.StatusCode)
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		switch {
		case resp.StatusCode == http.StatusOK:
			if mt != "application/json" || !json.Valid(got) {
				t.Fatalf("200 with Content-Type %q and body %q", resp.Header.Get("Content-Type"), got)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			var p generated.ProblemDetails
			if mt != "application/problem+json" || json.Unmarshal(got, &p) != nil || int(p.Status) != resp.StatusCode || p.Title == "" {
				t.Fatalf("%d is not a problem+json of that status: Content-Type %q, body %s", resp.StatusCode, resp.Header.Get("Content-Type"), got)
			}
		default:
			t.Fatalf("%s %s answered %d, want 200 or a 4xx; body %s", op.method, op.path, resp.StatusCode, got)
		}
		after := e.state(t)
		changed := after.digest != before.digest || after.getAll != before.getAll
		switch {
		case resp.StatusCode != http.StatusOK && changed:
			t.Fatalf("a rejected request (%d %s) changed state:\nget-all before %s\nget-all after  %s", resp.StatusCode, got, before.getAll, after.getAll)
		case changed && robReadOnly(op.path):
			t.Fatalf("%s answered 200 and changed state", op.path)
		case changed:
			e.reset(t) // keep the state small and the fixtures intact for the next input
		}
		if name, bad := robBadHeaderValue(resp.Header); bad {
			t.Fatalf("response header %s has a value that is not a valid HTTP field value: %q", name, resp.Header.Values(name))
		}
	})
}

// robHostedTargets are the verifications FuzzHostedQuery opens links to.
var robHostedTargets = []struct {
	fixture  string // "" for an id no verification has
	forced   bool   // securityConfig.forceSignedInput
	redirect bool   // has redirect URLs (and signs them)
	match    bool   // face recognition in a match mode: reExternalId required
}{
	{fixture: "rob-full", forced: true, redirect: true},
	{fixture: "rob-open", redirect: true},
	{fixture: "rob-open-no-redirect"},
	{fixture: "rob-match", match: true},
	{fixture: ""},
}

// Sign modes of FuzzHostedQuery: what is done to the fuzzed query before it is opened.
const (
	robAsIs        = iota // opened as it is
	robSigned             // reSignature appended, signed with the account's secret
	robSignedNonce        // reExpiration (an hour ahead) and a reNonce appended, then signed
	robSignedStale        // reExpiration (a minute ago) appended, then signed
)

// FuzzHostedQuery opens GET /verification/{id}?<arbitrary raw query> on verifications with and
// without securityConfig.forceSignedInput, on a mock that shows the camera page and on one with
// --auto-complete. The answer is one of 200, 303, 400, 403, 404, 410, never a panic or a 5xx;
// it is the one the documented rules give (signature, then expiry and nonce, then reExternalId);
// a 400, 403, 404 or 410 starts no session and consumes no nonce; a 200 or 303 starts exactly one
// session (completed at once with --auto-complete) and consumes the link's nonce; the journal
// records the answer; and a redirect's signed query validates.
//
// mode: the low two bits pick a sign mode (robAsIs ... robSignedStale), bit 7 the mock with
// --auto-complete.
func FuzzHostedQuery(f *testing.F) {
	for _, s := range []struct {
		target, mode uint8
		query        string
	}{
		{0, robAsIs, ""},
		{0, robAsIs, "userId=u1"},
		{0, robSigned, "userId=u1&campaign=spring"},
		{0, robSignedNonce, "userId=u1"},
		{0, robSignedNonce | 0x80, "userId=u1&reExternalId=e-1"},
		{0, robSignedStale, "userId=u1"},
		{0, robSigned | 0x80, "reDisableLivenessVerifier=true&reDisableAgeVerifier=TRUE&reDisableGenderVerifier=1"},
		{0, robAsIs, "userId=u1&reSignature=" + strings.Repeat("0", 64)},
		{0, robSigned, "reSignature=x"},
		{0, robSigned, "reExpiration=abc"},
		{0, robSigned, "reNonce=zz"},
		{1, robAsIs, "userId=u1"},
		{1, robAsIs | 0x80, "userId=u1&a=%zz&&=&b==c"},
		{1, robAsIs | 0x80, "re=1&rex=2&reX=3&ReX=4"},
		{1, robAsIs, "resignature=" + strings.Repeat("a", 64)},
		{1, robSigned | 0x80, "userId=Zürich&emoji=%F0%9F%98%80"},
		{2, robAsIs | 0x80, "x=1"},
		{2, robSignedNonce, "x=1"},
		{3, robAsIs, "userId=u1"},
		{3, robAsIs | 0x80, "reExternalId=person-1"},
		{3, robAsIs, "reExternalId="},
		{4, robAsIs, "userId=u1"},
		{0, robAsIs, "%"},
		{1, robAsIs, "?a=1"},
		{1, robAsIs, "a=1;b=2"},
		{1, robAsIs | 0x80, "a=\x00\xff\r\n"},
		{1, robAsIs | 0x80, "userId=u1&reexpiration=1"},
		{1, robAsIs | 0x80, "RENONCE=zz"},
	} {
		f.Add(s.target, s.mode, s.query)
	}
	manual := robNewFuzzEnv(f, "")
	auto := robNewFuzzEnv(f, "pass")
	secret := DevAPIKey
	f.Fuzz(func(t *testing.T, target, mode uint8, query string) {
		e := manual
		if mode&0x80 != 0 {
			e = auto
		}
		tgt := robHostedTargets[int(target)%len(robHostedTargets)]
		id := uuid.MustParse("0f0e0d0c-0b0a-4908-8706-050403020100")
		if tgt.fixture != "" {
			id = e.ids[tgt.fixture]
		}
		now := e.s.clock.Now()
		q := query
		switch mode & 3 {
		case robSigned:
			q = signing.SignURLQuery(q, secret)
		case robSignedNonce:
			sum := sha256.Sum256([]byte(query))
			q = signing.Append(q,
				signing.Param{Key: signing.ParamExpiration, Value: strconv.FormatInt(now.Unix()+3600, 10)},
				signing.Param{Key: signing.ParamNonce, Value: hex.EncodeToString(sum[:16])})
			q = signing.SignURLQuery(q, secret)
		case robSignedStale:
			q = signing.Append(q, signing.Param{Key: signing.ParamExpiration, Value: strconv.FormatInt(now.Unix()-60, 10)})
			q = signing.SignURLQuery(q, secret)
		}

		// What the documented rules say the answer is.
		params := signing.Parse(q)
		nonceUsed := func(n string) bool { return e.s.store.nonceUsed(DevAccountID, n) }
		want := http.StatusOK
		_, signed := params.Get(signing.ParamSignature)
		checked := tgt.fixture != "" && (tgt.forced || signed)
		var verdict signing.Result
		if checked {
			verdict, _ = signing.Validate(q, secret, now, nonceUsed)
		}
		ext, _ := params.Get(keyExternalID)
		switch {
		case tgt.fixture == "":
			want = http.StatusNotFound
		case checked && (verdict == signing.Expired || verdict == signing.NonceAlreadyUsed):
			want = http.StatusGone
		case checked && verdict != signing.Valid:
			want = http.StatusForbidden
		case tgt.match && ext == "":
			want = http.StatusBadRequest
		case e == auto && tgt.redirect:
			want = http.StatusSeeOther
		}
		nonce, hasNonce := params.Get(signing.ParamNonce)
		consumes := checked && hasNonce && want < 400

		before := e.state(t)
		req, err := http.NewRequest(http.MethodGet, "http://verifeye.test/verification/"+id.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = q
		rec := httptest.NewRecorder()
		e.s.ServeHTTP(rec, req)
		page := rec.Body.String()
		switch rec.Code {
		case http.StatusOK, http.StatusSeeOther, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		default:
			t.Fatalf("GET /verification/%s?%q answered %d; page:\n%s", id, q, rec.Code, page)
		}
		if rec.Code != want {
			t.Fatalf("GET /verification/%s?%q (%+v) answered %d, want %d; page:\n%s", id, q, tgt, rec.Code, want, page)
		}
		e.robLastJournal(t, http.MethodGet, "/verification/"+id.String(), rec.Code)
		after := e.state(t)

		var started []uuid.UUID
		for s := range after.sessions {
			if _, ok := before.sessions[s]; !ok {
				started = append(started, s)
			}
		}
		if rec.Code >= 400 {
			if after.digest != before.digest || after.getAll != before.getAll {
				t.Fatalf("a %d changed state: %d new sessions, nonces %d → %d, faces %d → %d", rec.Code, len(started), before.nonces, after.nonces, before.faces, after.faces)
			}
			return
		}
		if len(started) != 1 {
			t.Fatalf("a %d started %d sessions, want 1", rec.Code, len(started))
		}
		if completed := after.sessions[started[0]]; completed != (e == auto) {
			t.Errorf("the new session completed = %v; want %v (auto-complete %v)", completed, e == auto, e == auto)
		}
		wantNonces := before.nonces
		if consumes {
			wantNonces++
			if !nonceUsed(nonce) {
				t.Errorf("the link's nonce %q is not consumed", nonce)
			}
		}
		if after.nonces != wantNonces {
			t.Errorf("nonces %d → %d, want %d", before.nonces, after.nonces, wantNonces)
		}
		if rec.Code == http.StatusOK && e == manual && !strings.Contains(page, started[0].String()) {
			t.Errorf("the camera page does not show the new session %s", started[0])
		}
		if rec.Code == http.StatusSeeOther {
			loc, err := url.Parse(rec.Header().Get("Location"))
			if err != nil || loc.Host != "app.example" {
				t.Fatalf("303 to %q (%v), want the verification's redirect URL", rec.Header().Get("Location"), err)
			}
			back := signing.Parse(loc.RawQuery)
			if got, _ := back.Get("reVerificationSessionId"); got != started[0].String() {
				t.Errorf("the redirect names session %q, want %s", got, started[0])
			}
			if verdict, _ := signing.Validate(loc.RawQuery, secret, now, nonceUsed); verdict != signing.Valid {
				t.Fatalf("the redirect's query %q validates as %s, want Valid", loc.RawQuery, verdict)
			}
		}
		if len(after.sessions) > 50 {
			e.reset(t)
		}
	})
}

// robLogger logs the fuzz mocks' requests to stderr when ROB_LOG is set, to debug a failing input.
func robLogger() *slog.Logger {
	if os.Getenv("ROB_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}
