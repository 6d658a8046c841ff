package conformance_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
)

// canned is a fake server answer.
type canned struct {
	status      int
	contentType string
	body        string
}

// fakeServer answers every request with c and records the request bodies it received.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newFakeServer(t *testing.T, c canned) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		if c.contentType != "" {
			w.Header().Set("Content-Type", c.contentType)
		}
		w.WriteHeader(c.status)
		_, _ = io.WriteString(w, c.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func newTransport(t *testing.T, opts ...conformance.Option) *conformance.Transport {
	t.Helper()
	tr, err := conformance.NewTransport(nil, opts...)
	if err != nil {
		t.Fatalf("NewTransport: %v", err)
	}
	return tr
}

// send makes one raw request through tr and returns the response body the caller reads.
func send(t *testing.T, tr http.RoundTripper, method, url, contentType, body string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "ApiKey test")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(got)
}

// find returns the violations of phase about field.
func find(vs []conformance.Violation, phase, field string) []conformance.Violation {
	var out []conformance.Violation
	for _, v := range vs {
		if v.Phase == phase && v.Field == field {
			out = append(out, v)
		}
	}
	return out
}

func TestCorrectExchangeHasNoViolations(t *testing.T) {
	srv := newFakeServer(t, canned{200, "application/json", `{"result":"Valid"}`})
	tr := newTransport(t)
	client, err := generated.NewClientWithResponses(srv.URL, generated.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.ValidateSignatureWithResponse(context.Background(), generated.ValidateSignatureRequest{QueryString: "a=b&reSignature=00"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil || resp.JSON200.Result != generated.Valid {
		t.Errorf("the client did not see the response: status %d body %q", resp.StatusCode(), resp.Body)
	}
	if vs := tr.Violations(); len(vs) != 0 {
		t.Errorf("violations of a correct exchange: %v", vs)
	}
	if got := srv.received(); len(got) != 1 || !strings.Contains(got[0], `"queryString":"a=b\u0026reSignature=00"`) {
		t.Errorf("the server received %q, want the client's body", got)
	}
}

func TestBodiesStayReadable(t *testing.T) {
	const answer = `{"result":"Valid"}`
	srv := newFakeServer(t, canned{200, "application/json", answer})
	tr := newTransport(t)
	const sent = `{"queryString":"x=1&reSignature=ab"}`
	_, got := send(t, tr, http.MethodPost, srv.URL+"/v1/signature/validate", "application/json", sent)
	if got != answer {
		t.Errorf("the caller read %q, want %q", got, answer)
	}
	if rec := srv.received(); len(rec) != 1 || rec[0] != sent {
		t.Errorf("the server read %q, want %q", rec, sent)
	}
	if vs := tr.Violations(); len(vs) != 0 {
		t.Errorf("unexpected violations: %v", vs)
	}
}

func TestReportsResponseViolations(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		answer  canned
		field   string
		message string
	}{
		{
			name: "wrong field type", method: "POST", path: "/v1/signature/validate", body: `{"queryString":"a=b"}`,
			answer: canned{200, "application/json", `{"result":5}`},
			field:  "result", message: "got 5",
		},
		{
			name: "unknown enum value", method: "POST", path: "/v1/signature/validate", body: `{"queryString":"a=b"}`,
			answer: canned{200, "application/json", `{"result":"Maybe"}`},
			field:  "result", message: `got "Maybe"`,
		},
		{
			name: "missing required field", method: "POST", path: "/v1/signature/create", body: `{"queryString":"a=b"}`,
			answer: canned{200, "application/json", `{"signature":"abc"}`},
			field:  "signedQueryString", message: "required property is missing",
		},
		{
			name: "missing nested required field", method: "GET", path: "/v1/verification/get-all",
			answer: canned{200, "application/json", `{"verifications":[{"verificationId":"39e00c96-6431-4b2e-8707-2fb80e561fbf","name":"x","created":"2026-02-08T11:34:54Z"}]}`},
			field:  "verifications.0.lastModified", message: "required property is missing",
		},
		{
			name: "undeclared status", method: "GET", path: "/v1/verification/get-all",
			answer: canned{418, "application/problem+json", `{"title":"teapot","status":418}`},
			field:  "status", message: "418 is not declared",
		},
		{
			name: "wrong content type", method: "POST", path: "/v1/signature/validate", body: `{"queryString":"a=b"}`,
			answer: canned{200, "text/plain", `Valid`},
			field:  "Content-Type", message: "expected application/json, got text/plain",
		},
		{
			name: "problem as plain JSON", method: "GET", path: "/v1/verification/get-all",
			answer: canned{401, "application/json", `{"title":"Unauthorized","status":401}`},
			field:  "Content-Type", message: "expected application/problem+json",
		},
		{
			name: "problem without status", method: "GET", path: "/v1/verification/get-all",
			answer: canned{401, "application/problem+json", `{"title":"Unauthorized"}`},
			field:  "status", message: "required property is missing",
		},
		{
			name: "text body breaking its pattern", method: "GET", path: "/v1/healthz",
			answer: canned{200, "text/plain; charset=utf-8", `2026-02-08T11:34:54Z`},
			field:  "", message: "regular expression",
		},
		{
			name: "malformed UUID", method: "POST", path: "/v1/verification/create", body: `{"name":"n","verificationConfig":{}}`,
			answer: canned{200, "application/json", `{"verificationId":"not-a-uuid"}`},
			field:  "verificationId", message: `got "not-a-uuid"`,
		},
		{
			name: "malformed date-time", method: "GET", path: "/v1/token/get",
			answer: canned{200, "application/json", `{"token":"t","expirationUtcTime":"yesterday"}`},
			field:  "expirationUtcTime", message: `got "yesterday"`,
		},
		{
			name: "body where none is declared", method: "DELETE", path: "/v1/verification/delete?verificationId=39e00c96-6431-4b2e-8707-2fb80e561fbf",
			answer: canned{200, "application/json", `{}`},
			field:  "body", message: "no body is declared",
		},
		{
			name: "invalid JSON", method: "GET", path: "/v1/verification/get-all",
			answer: canned{200, "application/json", `{"verifications":`},
			field:  "body", message: "decode",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeServer(t, tc.answer)
			tr := newTransport(t)
			ct := ""
			if tc.body != "" {
				ct = "application/json"
			}
			_, got := send(t, tr, tc.method, srv.URL+tc.path, ct, tc.body)
			if got != tc.answer.body {
				t.Errorf("the caller read %q, want the server's %q", got, tc.answer.body)
			}
			vs := tr.Violations()
			if req := find(vs, conformance.PhaseRequest, tc.field); len(req) > 0 {
				t.Errorf("unexpected request violations: %v", req)
			}
			matched := find(vs, conformance.PhaseResponse, tc.field)
			if len(matched) != 1 {
				t.Fatalf("want one response violation about %q, got %v", tc.field, vs)
			}
			v := matched[0]
			if !strings.Contains(v.Message, tc.message) {
				t.Errorf("message %q does not contain %q", v.Message, tc.message)
			}
			if v.Status != tc.answer.status || v.Method != tc.method || v.Operation == "" {
				t.Errorf("violation %+v lacks the exchange's operation, method or status", v)
			}
			if s := v.String(); !strings.Contains(s, v.Operation) || !strings.Contains(s, tc.message) {
				t.Errorf("String() = %q, want the operation and the message", s)
			}
		})
	}
}

func TestReportsEveryErrorOfOneResponse(t *testing.T) {
	srv := newFakeServer(t, canned{200, "application/json", `{"signature":1,"signedQueryString":true,"nonce":"XYZ"}`})
	tr := newTransport(t)
	send(t, tr, "POST", srv.URL+"/v1/signature/create", "application/json", `{"queryString":"a=b"}`)
	vs := tr.Violations()
	for _, field := range []string{"signature", "signedQueryString", "nonce"} {
		if len(find(vs, conformance.PhaseResponse, field)) != 1 {
			t.Errorf("no violation about %s in %v", field, vs)
		}
	}
}

func TestReportsRequestViolations(t *testing.T) {
	const sessionID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890" // the vendor's example: not RFC 4122 v1-5
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		want        map[string]string // field → part of the message
	}{
		{
			name: "invalid body, every error", method: "POST", path: "/v1/signature/create", contentType: "application/json",
			body: `{"queryString":5,"securitySettings":{"expirationInSeconds":0,"enableNonce":"yes"}}`,
			want: map[string]string{
				"queryString":                          "got 5",
				"securitySettings.expirationInSeconds": "got 0",
				"securitySettings.enableNonce":         `got "yes"`,
			},
		},
		{
			name: "missing required body field", method: "POST", path: "/v1/verification/create", contentType: "application/json",
			body: `{"name":"x"}`,
			want: map[string]string{"verificationConfig": "required property is missing"},
		},
		{
			name: "missing body", method: "POST", path: "/v1/signature/validate", contentType: "application/json",
			want: map[string]string{"body": "required request body is missing"},
		},
		{
			name: "wrong content type", method: "POST", path: "/v1/signature/validate", contentType: "text/plain",
			body: `queryString=x`,
			want: map[string]string{"Content-Type": "expected application/json, got text/plain"},
		},
		{
			name: "missing query parameter", method: "GET", path: "/v1/verification/get",
			want: map[string]string{"verificationId": "required query parameter is missing"},
		},
		{
			name: "malformed UUID parameter", method: "GET", path: "/v1/verification/get-session-result?verificationSessionId=123",
			want: map[string]string{"verificationSessionId": `got "123"`},
		},
		{
			name: "parameter out of range", method: "GET", path: "/v1/token/get?expirationInSeconds=59",
			want: map[string]string{"expirationInSeconds": "got 59"},
		},
		{
			name: "unknown path", method: "GET", path: "/v1/nothing-here",
			want: map[string]string{"": "no such operation"},
		},
		{
			name: "wrong method", method: "DELETE", path: "/v1/healthz",
			want: map[string]string{"": "no such operation: the path has GET, not DELETE"},
		},
		{
			name: "valid non-RFC-4122 UUID", method: "GET", path: "/v1/verification/get-session-result?verificationSessionId=" + sessionID,
			want: map[string]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A well-formed problem answer, so only the request can be at fault.
			srv := newFakeServer(t, canned{400, "application/problem+json", `{"title":"Bad","status":400}`})
			tr := newTransport(t)
			send(t, tr, tc.method, srv.URL+tc.path, tc.contentType, tc.body)
			var reqs []conformance.Violation
			for _, v := range tr.Violations() {
				if v.Phase == conformance.PhaseRequest {
					reqs = append(reqs, v)
				}
			}
			if len(reqs) != len(tc.want) {
				t.Errorf("got %d request violations, want %d: %v", len(reqs), len(tc.want), reqs)
			}
			for field, msg := range tc.want {
				got := find(reqs, conformance.PhaseRequest, field)
				if len(got) != 1 || !strings.Contains(got[0].Message, msg) {
					t.Errorf("want one violation of %q containing %q, got %v", field, msg, got)
				}
				if len(got) == 1 && got[0].Status != 0 {
					t.Errorf("a request violation carries status %d", got[0].Status)
				}
			}
		})
	}
}

func TestUnroutedProblemIsChecked(t *testing.T) {
	srv := newFakeServer(t, canned{404, "application/problem+json", `{"title":"Not Found","status":"404"}`})
	tr := newTransport(t)
	send(t, tr, "GET", srv.URL+"/v2/unknown", "", "")
	vs := tr.Violations()
	if len(find(vs, conformance.PhaseRequest, "")) != 1 {
		t.Errorf("want the unknown path reported: %v", vs)
	}
	if got := find(vs, conformance.PhaseResponse, "status"); len(got) != 1 || got[0].Status != 404 {
		t.Errorf("want the string status of the problem reported: %v", vs)
	}

	off := newTransport(t, conformance.WithUnroutedProblemSchema(""))
	send(t, off, "GET", srv.URL+"/v2/unknown", "", "")
	if got := find(off.Violations(), conformance.PhaseResponse, "status"); len(got) != 0 {
		t.Errorf("the check is off, yet: %v", got)
	}
}

func TestUnroutedHeadHasNoBodyToCheck(t *testing.T) {
	srv := newFakeServer(t, canned{405, "application/problem+json", `{"title":"Method Not Allowed","status":405}`})
	tr := newTransport(t)
	send(t, tr, "HEAD", srv.URL+"/v1/verification/get-all", "", "")
	for _, v := range tr.Violations() {
		if v.Phase == conformance.PhaseResponse {
			t.Errorf("the answer to HEAD has no body, yet: %v", v)
		}
	}
}

func TestBasePathIsIgnored(t *testing.T) {
	srv := newFakeServer(t, canned{200, "text/plain", `2026-02-08T11:34:54.0000000Z`})
	tr := newTransport(t, conformance.WithBasePath("/verifeye/"))
	send(t, tr, "GET", srv.URL+"/verifeye/v1/healthz", "", "")
	if vs := tr.Violations(); len(vs) != 0 {
		t.Errorf("a request under the base path was not routed: %v", vs)
	}
}

func TestOnViolationResetAndConcurrency(t *testing.T) {
	srv := newFakeServer(t, canned{200, "application/json", `{"result":1}`})
	var mu sync.Mutex
	var seen []conformance.Violation
	tr := newTransport(t, conformance.OnViolation(func(v conformance.Violation) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, v)
	}))
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			send(t, tr, "POST", srv.URL+"/v1/signature/validate", "application/json", `{"queryString":"q=`+uuid.NewString()+`"}`)
		})
	}
	wg.Wait()
	if got := len(tr.Violations()); got != n {
		t.Errorf("recorded %d violations, want %d", got, n)
	}
	mu.Lock()
	if len(seen) != n {
		t.Errorf("OnViolation saw %d violations, want %d", len(seen), n)
	}
	mu.Unlock()
	tr.Reset()
	if got := tr.Violations(); len(got) != 0 {
		t.Errorf("after Reset: %v", got)
	}
}

func TestViolationString(t *testing.T) {
	v := conformance.Violation{
		Operation: "CreateSignature", Method: "POST", Path: "/v1/signature/create", Status: 200,
		Phase: conformance.PhaseResponse, Field: "signature", Message: "value must be a string; got 5",
	}
	const want = "CreateSignature (POST /v1/signature/create) response 200: signature: value must be a string; got 5"
	if got := v.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	v = conformance.Violation{Method: "GET", Path: "/x", Phase: conformance.PhaseRequest, Message: "no such operation"}
	if got, want := v.String(), "no operation (GET /x) request: no such operation"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestTransportErrorPassesThrough(t *testing.T) {
	srv := newFakeServer(t, canned{200, "text/plain", "x"})
	url := srv.URL
	srv.Close()
	tr := newTransport(t)
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/healthz", nil)
	if _, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		t.Fatal("a closed server answered")
	}
	if vs := tr.Violations(); len(vs) != 0 {
		t.Errorf("a failed call recorded violations: %v", vs)
	}
}
