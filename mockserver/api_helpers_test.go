package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/conformance"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// The HTTP tests of the mock run it under httptest with a frozen clock, a fixed seed and two
// accounts, and talk to it through the generated client over a conformance.Transport, so that
// every response the mock sends in these tests is also checked against openapi.yaml.

// frozenAt is the time the mock's clock is frozen at.
var frozenAt = time.Date(2026, 2, 8, 11, 34, 54, 0, time.UTC)

const (
	apiSeed = 42

	apiAccountA = "acct-a"
	apiAccountB = "acct-b"
	// Keys in the vendor's shape, base64 of accountHash:secret. Account A has two keys; its
	// signing secret is the first one, as the vendor's algorithm documents.
	apiKeyA1 = "YWNjdC1hOnNlY3JldC1hLW9uZQ"
	apiKeyA2 = "YWNjdC1hOnNlY3JldC1hLXR3bw"
	apiKeyB  = "YWNjdC1iOnNlY3JldC1i"
)

// testMock is a running mock and typed clients for its two accounts.
type testMock struct {
	t      *testing.T
	srv    *mockserver.Server
	http   *httptest.Server
	tr     *conformance.Transport
	client *http.Client // validating, unauthenticated
	// A and B are generated clients authenticated with the API key of account A and B.
	A, B *generated.ClientWithResponses
	// Anon is a generated client that sends no Authorization header of its own.
	Anon *generated.ClientWithResponses
	ctx  context.Context
	seq  int
}

type mockOption func(*mockserver.Options)

// apiWithSeed makes the mock draw its ids and token keys from seed.
func apiWithSeed(seed uint64) mockOption { return func(o *mockserver.Options) { o.Seed = seed } }

// apiWithSigningSecretA gives account A an explicit signing secret.
func apiWithSigningSecretA(secret string) mockOption {
	return func(o *mockserver.Options) { o.Accounts[0].SigningSecret = secret }
}

// newMock starts a mock for the test and checks, when the test ends, that every response it sent
// matched openapi.yaml and carried the X-Verifeye-Mock header.
func newMock(t *testing.T, opts ...mockOption) *testMock {
	t.Helper()
	o := mockserver.Options{
		Accounts: []mockserver.Account{
			{ID: apiAccountA, APIKeys: []string{apiKeyA1, apiKeyA2}},
			{ID: apiAccountB, APIKeys: []string{apiKeyB}},
		},
		Clock:   mockserver.NewFrozenClock(frozenAt),
		Seed:    apiSeed,
		Version: "test",
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := mockserver.New(o)
	if err != nil {
		t.Fatalf("mockserver.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	tr, err := conformance.NewTransport(hs.Client().Transport)
	if err != nil {
		t.Fatalf("conformance.NewTransport: %v", err)
	}
	hc := &apiHeaderCheck{next: tr}
	// Redirects (the hosted page's 303) are answers to check, not to follow.
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	m := &testMock{t: t, srv: srv, http: hs, tr: tr, client: &http.Client{Transport: hc, CheckRedirect: noFollow}, ctx: context.Background()}
	m.A = m.newClient("ApiKey " + apiKeyA1)
	m.B = m.newClient("ApiKey " + apiKeyB)
	m.Anon = m.newClient("")
	t.Cleanup(func() {
		hs.Close()
		for _, v := range tr.Violations() {
			if v.Phase == conformance.PhaseResponse {
				t.Errorf("the mock's response breaks openapi.yaml: %s", v)
			}
		}
		for _, miss := range hc.missing() {
			t.Errorf("response without X-Verifeye-Mock: %s", miss)
		}
	})
	return m
}

// newClient returns a generated client that sends authorization (if not empty) on every call.
func (m *testMock) newClient(authorization string) *generated.ClientWithResponses {
	m.t.Helper()
	opts := []generated.ClientOption{generated.WithHTTPClient(m.client)}
	if authorization != "" {
		opts = append(opts, generated.WithRequestEditorFn(apiAuth(authorization)))
	}
	c, err := generated.NewClientWithResponses(m.http.URL, opts...)
	if err != nil {
		m.t.Fatalf("NewClientWithResponses: %v", err)
	}
	return c
}

// apiAuth sets the Authorization header of one call; an empty value removes it.
func apiAuth(value string) generated.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if value == "" {
			req.Header.Del("Authorization")
		} else {
			req.Header.Set("Authorization", value)
		}
		return nil
	}
}

// requestViolations returns what the transport found wrong with the requests the test sent.
func (m *testMock) requestViolations() []conformance.Violation {
	var out []conformance.Violation
	for _, v := range m.tr.Violations() {
		if v.Phase == conformance.PhaseRequest {
			out = append(out, v)
		}
	}
	return out
}

// clock is the mock's clock.
func (m *testMock) clock() *mockserver.Clock { return m.srv.Clock() }

// apiHeaderCheck records responses that lack the X-Verifeye-Mock header.
type apiHeaderCheck struct {
	next http.RoundTripper
	mu   sync.Mutex
	miss []string
}

func (h *apiHeaderCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err == nil && !strings.HasPrefix(resp.Header.Get("X-Verifeye-Mock"), "verifeye-mock/") {
		h.mu.Lock()
		h.miss = append(h.miss, fmt.Sprintf("%s %s → %d", req.Method, req.URL.Path, resp.StatusCode))
		h.mu.Unlock()
	}
	return resp, err
}

func (h *apiHeaderCheck) missing() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.miss)
}

// apiResponse is an answer to a raw request.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// send makes a raw request through the validating transport, for inputs the typed client cannot
// produce. headers are name, value pairs; an empty value removes the header, and a name with a
// leading "+" adds the value beside the header's others instead of replacing them. Unless headers say
// otherwise the request carries account A's API key and, with a body, Content-Type
// application/json.
func (m *testMock) send(method, path string, body []byte, headers ...string) apiResponse {
	m.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(m.ctx, method, m.http.URL+path, r)
	if err != nil {
		m.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "ApiKey "+apiKeyA1)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(headers)%2 != 0 {
		m.t.Fatalf("headers must be name, value pairs: %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		switch name, added := strings.CutPrefix(headers[i], "+"); {
		case added:
			req.Header.Add(name, headers[i+1])
		case headers[i+1] == "":
			req.Header.Del(name)
		default:
			req.Header.Set(name, headers[i+1])
		}
	}
	resp, err := m.client.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		m.t.Fatalf("read the body of %s %s: %v", method, path, err)
	}
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// apiExpectProblem checks that an answer is an RFC 9457 problem with status: the HTTP status, the
// problem+json content type, the status and title fields, and an `errors` entry for each of
// fields. It returns the decoded problem.
func apiExpectProblem(t *testing.T, status int, gotStatus int, header http.Header, body []byte, fields ...string) generated.ProblemDetails {
	t.Helper()
	var p generated.ProblemDetails
	if gotStatus != status {
		t.Errorf("status = %d, want %d; body %s", gotStatus, status, body)
		return p
	}
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("the problem body does not decode: %v; body %s", err, body)
		return p
	}
	if int(p.Status) != status {
		t.Errorf("problem status = %d, want the HTTP status %d", p.Status, status)
	}
	if p.Title == "" {
		t.Error("the problem has no title")
	}
	for _, f := range fields {
		if p.Errors == nil || len((*p.Errors)[f]) == 0 {
			t.Errorf("errors %v do not name %q; detail %q", apiErrorsOf(p), f, apiDetailOf(p))
		}
	}
	return p
}

// apiProblemOf is apiExpectProblem for a typed response.
func apiProblemOf(t *testing.T, status int, resp interface {
	StatusCode() int
}, httpResp *http.Response, body []byte, fields ...string) generated.ProblemDetails {
	t.Helper()
	return apiExpectProblem(t, status, resp.StatusCode(), httpResp.Header, body, fields...)
}

func (r apiResponse) problem(t *testing.T, status int, fields ...string) generated.ProblemDetails {
	t.Helper()
	return apiExpectProblem(t, status, r.status, r.header, r.body, fields...)
}

func apiErrorsOf(p generated.ProblemDetails) map[string][]string {
	if p.Errors == nil {
		return nil
	}
	return *p.Errors
}

func apiDetailOf(p generated.ProblemDetails) string {
	if p.Detail == nil {
		return ""
	}
	return *p.Detail
}

// apiPtr returns a pointer to v.
func apiPtr[T any](v T) *T { return &v }

// uniqueName returns a verification name not used before in this test.
func (m *testMock) uniqueName(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s %d", prefix, m.seq)
}

// apiMinimalInput is the smallest valid verification: a name and an empty configuration.
func apiMinimalInput(name string) generated.VerificationInput {
	return generated.VerificationInput{Name: name}
}

// apiFullConfig is the vendor's example configuration, every block given.
func apiFullConfig() generated.VerificationConfig {
	return generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: apiPtr(generated.Advanced)},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(18)), Direction: apiPtr(generated.Below)},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: apiPtr("my-collection")},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
			CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: apiPtr(true)},
		},
		RedirectConfig: &generated.RedirectConfig{
			PassedUrl: apiPtr("https://example.com?result=passed"),
			FailedUrl: apiPtr("https://example.com?result=failed"),
		},
		ResultParameterConfig: &generated.ResultParameterConfig{
			IncludeSignature: apiPtr(false), IncludeSessionId: apiPtr(true), IncludeFaceId: apiPtr(true), IncludeAge: apiPtr(true),
			IncludeGender: apiPtr(true), IncludeVerificationResult: apiPtr(true), IncludeCustomInputParameters: apiPtr(true),
			IncludeLivenessCheckResult: apiPtr(true), IncludeAgeVerificationResult: apiPtr(true),
			IncludeGenderVerificationResult: apiPtr(true), IncludeFaceRecognitionResult: apiPtr(true),
			IncludeCorrelationId: apiPtr(true), IncludeTotalFaceCount: apiPtr(true), IncludeFailedReason: apiPtr(true),
		},
		SecurityConfig: &generated.SecurityConfig{ForceSignedInput: apiPtr(false)},
		SessionOverrideConfig: &generated.SessionOverrideConfig{
			AllowVerifierOverrides: apiPtr(true), AllowResultParameterOverrides: apiPtr(true), AllowRedirectOverrides: apiPtr(true),
		},
		WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: apiPtr("https://your-server.example.com/webhook")},
	}
}

// createVerification creates a verification with c and fails the test unless it succeeds.
func (m *testMock) createVerification(c *generated.ClientWithResponses, in generated.VerificationInput) generated.VerificationCreated {
	m.t.Helper()
	resp, err := c.CreateVerificationWithResponse(m.ctx, in)
	if err != nil {
		m.t.Fatalf("create verification: %v", err)
	}
	if resp.JSON200 == nil {
		m.t.Fatalf("create verification %q: status %d, body %s", in.Name, resp.StatusCode(), resp.Body)
	}
	return *resp.JSON200
}

// getVerification reads a verification with c and fails the test unless it succeeds.
func (m *testMock) getVerification(c *generated.ClientWithResponses, id generated.VerificationIdQuery) generated.Verification {
	m.t.Helper()
	resp, err := c.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: id})
	if err != nil {
		m.t.Fatalf("get verification: %v", err)
	}
	if resp.JSON200 == nil {
		m.t.Fatalf("get verification %s: status %d, body %s", id, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.Verification
}

// listBody returns the raw get-all answer of c, to compare state before and after a request.
func (m *testMock) listBody(c *generated.ClientWithResponses) string {
	m.t.Helper()
	resp, err := c.GetAllVerificationsWithResponse(m.ctx)
	if err != nil {
		m.t.Fatalf("get-all: %v", err)
	}
	if resp.StatusCode() != http.StatusOK {
		m.t.Fatalf("get-all: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	return string(resp.Body)
}

// createSession starts a session with c and fails the test unless it succeeds.
func (m *testMock) createSession(c *generated.ClientWithResponses, req generated.CreateSessionRequest) generated.SessionCreated {
	m.t.Helper()
	resp, err := c.CreateSessionWithResponse(m.ctx, req)
	if err != nil {
		m.t.Fatalf("create session: %v", err)
	}
	if resp.JSON200 == nil {
		m.t.Fatalf("create session: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	return *resp.JSON200
}

// apiMustJSON marshals v or fails the test.
func apiMustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// complete finishes session id with the subject spec describes and returns its stored result.
func (m *testMock) complete(id uuid.UUID, spec mockserver.SubjectSpec) generated.SessionResult {
	m.t.Helper()
	done, err := m.srv.CompleteSession(id, spec)
	if err != nil {
		m.t.Fatalf("complete session %s: %v", id, err)
	}
	return done.Result
}
