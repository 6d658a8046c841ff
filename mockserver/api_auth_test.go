package mockserver_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// apiTypedResponse is what every generated ...WithResponse answer offers.
type apiTypedResponse interface {
	StatusCode() int
}

// apiFixture is data of account A that the authenticated operations work on.
type apiFixture struct {
	verificationID uuid.UUID
	sessionID      uuid.UUID
	name           string
	signed         string
}

func apiNewFixture(m *testMock) *apiFixture {
	m.t.Helper()
	fx := &apiFixture{name: "fixture"}
	fx.verificationID = m.createVerification(m.A, apiMinimalInput(fx.name)).VerificationId
	fx.sessionID = m.createSession(m.A, generated.CreateSessionRequest{Name: &fx.name}).VerificationSessionId
	fx.signed = m.sign(m.A, "userId=User123", nil).SignedQueryString
	return fx
}

// apiAuthedOp is an operation that needs authentication, called with otherwise valid input on
// account A's data; ok is what a successful call must show.
type apiAuthedOp struct {
	name string
	call func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte)
	ok   func(t *testing.T, body []byte)
}

// apiAuthedOps lists every operation but healthz.
var apiAuthedOps = []apiAuthedOp{
	{"createSignature", func(m *testMock, _ *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.CreateSignatureWithResponse(m.ctx, generated.CreateSignatureRequest{QueryString: "a=1"}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"validateSignature", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.ValidateSignatureWithResponse(m.ctx, generated.ValidateSignatureRequest{QueryString: fx.signed}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, func(t *testing.T, body []byte) {
		// Valid only for account A's secret.
		if !strings.Contains(string(body), `"Valid"`) {
			t.Errorf("validate = %s, want Valid", body)
		}
	}},
	{"getVerification", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: fx.verificationID}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"getAllVerifications", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.GetAllVerificationsWithResponse(m.ctx, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, func(t *testing.T, body []byte) {
		if !strings.Contains(string(body), `"fixture"`) {
			t.Errorf("get-all = %s, want account A's verification", body)
		}
	}},
	{"createVerification", func(m *testMock, _ *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.CreateVerificationWithResponse(m.ctx, apiMinimalInput(m.uniqueName("created")), auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"createOrUpdateVerification", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.CreateOrUpdateVerificationWithResponse(m.ctx, apiMinimalInput(fx.name), auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, func(t *testing.T, body []byte) {
		// An update of A's verification, not a creation in another account.
		if !strings.Contains(string(body), `"wasCreated":false`) {
			t.Errorf("create-or-update = %s, want wasCreated false", body)
		}
	}},
	{"updateVerification", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: fx.verificationID, Name: fx.name}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"deleteVerification", func(m *testMock, _ *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		id := m.createVerification(m.A, apiMinimalInput(m.uniqueName("doomed"))).VerificationId
		r, err := m.A.DeleteVerificationWithResponse(m.ctx, &generated.DeleteVerificationParams{VerificationId: id}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"createSession", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: &fx.name}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"getSessionResult", func(m *testMock, fx *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: fx.sessionID}, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
	{"getToken", func(m *testMock, _ *apiFixture, auth generated.RequestEditorFn) (apiTypedResponse, *http.Response, []byte) {
		r, err := m.A.GetTokenWithResponse(m.ctx, nil, auth)
		apiMust(m, err)
		return r, r.HTTPResponse, r.Body
	}, nil},
}

func apiMust(m *testMock, err error) {
	m.t.Helper()
	if err != nil {
		m.t.Fatal(err)
	}
}

func TestEveryOperationNeedsValidCredentials(t *testing.T) {
	m := newMock(t)
	fx := apiNewFixture(m)
	other := newMock(t, apiWithSeed(apiSeed+1)) // another mock: its tokens are signed with another key
	foreignToken := apiBearerToken(t, other, nil)
	validToken := apiBearerToken(t, m, nil)
	tampered := apiTamper(validToken)

	bad := []struct{ name, header string }{
		{"missing", ""},
		{"scheme without value", "ApiKey"},
		{"scheme with blank value", "ApiKey   "},
		{"only a key, no scheme", apiKeyA1},
		{"basic", "Basic xyz"},
		{"basic with the key", "Basic " + apiKeyA1},
		{"unknown scheme with the key", "Token " + apiKeyA1},
		{"wrong key", "ApiKey not-a-key"},
		{"key of another case", "ApiKey " + strings.ToLower(apiKeyA1)},
		{"key with a suffix", "ApiKey " + apiKeyA1 + "x"},
		{"key prefix", "ApiKey " + apiKeyA1[:len(apiKeyA1)-1]},
		{"bearer without token", "Bearer"},
		{"bearer garbage", "Bearer not.a.jwt"},
		{"bearer with the API key", "Bearer " + apiKeyA1},
		{"tampered bearer token", "Bearer " + tampered},
		{"bearer token of another mock", "Bearer " + foreignToken},
		{"unsigned bearer token", "Bearer " + apiUnsignedToken(t, validToken)},
	}
	for _, op := range apiAuthedOps {
		for _, b := range bad {
			t.Run(op.name+"/"+b.name, func(t *testing.T) {
				resp, hr, body := op.call(m, fx, apiAuth(b.header))
				p := apiExpectProblem(t, http.StatusUnauthorized, resp.StatusCode(), hr.Header, body)
				if !strings.HasPrefix(apiDetailOf(p), "Authorization:") {
					t.Errorf("detail %q does not name the Authorization header", apiDetailOf(p))
				}
				if got := hr.Header.Get("WWW-Authenticate"); got == "" {
					t.Error("a 401 without WWW-Authenticate")
				}
				if strings.Contains(string(body), apiKeyA1) {
					t.Error("the 401 echoes the API key")
				}
			})
		}
	}
}

func TestAuthorizationGivenTwice(t *testing.T) {
	m := newMock(t)
	for _, second := range []string{"ApiKey " + apiKeyA1, "ApiKey " + apiKeyB, "Bearer " + apiBearerToken(t, m, nil)} {
		r := m.send(http.MethodGet, "/v1/verification/get-all", nil, "Authorization", "ApiKey "+apiKeyA1, "+Authorization", second)
		p := r.problem(t, http.StatusUnauthorized)
		if want := `Authorization: given more than once; send one "ApiKey <key>" or "Bearer <token>"`; apiDetailOf(p) != want {
			t.Errorf("second header %.12q…: detail %q, want %q", second, apiDetailOf(p), want)
		}
	}
}

func TestCredentialsAccepted(t *testing.T) {
	good := []struct{ name, header string }{
		{"ApiKey, first key", "ApiKey " + apiKeyA1},
		{"ApiKey, second key", "ApiKey " + apiKeyA2},
		{"scheme in lower case", "apikey " + apiKeyA1},
		{"scheme in upper case", "APIKEY " + apiKeyA1},
		{"extra spaces around the key", "ApiKey   " + apiKeyA1 + " "},
		{"Bearer token", "Bearer <token>"},
		{"bearer scheme in lower case", "bearer <token>"},
	}
	for _, g := range good {
		t.Run(g.name, func(t *testing.T) {
			m := newMock(t)
			fx := apiNewFixture(m)
			header := strings.Replace(g.header, "<token>", apiBearerToken(t, m, nil), 1)
			for _, op := range apiAuthedOps {
				if op.name == "getToken" && strings.HasPrefix(strings.ToLower(header), "bearer") {
					continue // only an API key can ask for a token
				}
				resp, _, body := op.call(m, fx, apiAuth(header))
				if resp.StatusCode() != http.StatusOK {
					t.Errorf("%s: status %d, body %s; want 200", op.name, resp.StatusCode(), body)
					continue
				}
				if op.ok != nil {
					op.ok(t, body)
				}
			}
		})
	}
}

// apiBearerToken asks m for a token with account A's key.
func apiBearerToken(t *testing.T, m *testMock, lifetime *int32) string {
	t.Helper()
	resp, err := m.A.GetTokenWithResponse(m.ctx, &generated.GetTokenParams{ExpirationInSeconds: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("get token: status %d, body %s", resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.Token
}

// apiTamper changes one character in the middle of a JWT's signature.
func apiTamper(token string) string {
	i := strings.LastIndex(token, ".") + 10
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// apiUnsignedToken re-encodes token's claims with alg "none".
func apiUnsignedToken(t *testing.T, token string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGetToken(t *testing.T) {
	tests := []struct {
		name     string
		lifetime *int32
		want     time.Duration
	}{
		{"default", nil, 900 * time.Second},
		{"shortest", apiPtr(int32(60)), time.Minute},
		{"longest", apiPtr(int32(3600)), time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			resp, err := m.A.GetTokenWithResponse(m.ctx, &generated.GetTokenParams{ExpirationInSeconds: tc.lifetime})
			if err != nil {
				t.Fatal(err)
			}
			if resp.JSON200 == nil {
				t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
			}
			if want := frozenAt.Add(tc.want); !resp.JSON200.ExpirationUtcTime.Equal(want) {
				t.Errorf("expirationUtcTime = %s, want %s", resp.JSON200.ExpirationUtcTime, want)
			}
			if !strings.Contains(string(resp.Body), `"expirationUtcTime":"`+frozenAt.Add(tc.want).Format(time.RFC3339)+`"`) {
				t.Errorf("expirationUtcTime is not written as UTC: %s", resp.Body)
			}
			var claims jwt.RegisteredClaims
			if _, _, err := jwt.NewParser().ParseUnverified(resp.JSON200.Token, &claims); err != nil {
				t.Fatalf("the token is not a JWT: %v", err)
			}
			if claims.ExpiresAt == nil || !claims.ExpiresAt.Equal(resp.JSON200.ExpirationUtcTime) {
				t.Errorf("exp = %v, want expirationUtcTime %s", claims.ExpiresAt, resp.JSON200.ExpirationUtcTime)
			}

			// The token authenticates until it expires, then answers 401.
			bearer := apiAuth("Bearer " + resp.JSON200.Token)
			list := func() int {
				t.Helper()
				r, err := m.A.GetAllVerificationsWithResponse(m.ctx, bearer)
				if err != nil {
					t.Fatal(err)
				}
				if r.StatusCode() == http.StatusUnauthorized {
					apiProblemOf(t, http.StatusUnauthorized, r, r.HTTPResponse, r.Body)
				}
				return r.StatusCode()
			}
			m.clock().Advance(tc.want - time.Second)
			if got := list(); got != http.StatusOK {
				t.Errorf("one second before expiry: status %d, want 200", got)
			}
			m.clock().Advance(2 * time.Second)
			if got := list(); got != http.StatusUnauthorized {
				t.Errorf("one second after expiry: status %d, want 401", got)
			}
		})
	}
}

func TestGetTokenRejects(t *testing.T) {
	m := newMock(t)
	for _, v := range []int32{59, 3601, 0, -1} {
		resp, err := m.A.GetTokenWithResponse(m.ctx, &generated.GetTokenParams{ExpirationInSeconds: apiPtr(v)})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "expirationInSeconds")
		if resp.ApplicationproblemJSON400 == nil {
			t.Error("the generated client did not decode the 400")
		}
	}
	for _, raw := range []string{"abc", "60.5", "", "1e3"} {
		r := m.send(http.MethodGet, "/v1/token/get?expirationInSeconds="+raw, nil)
		r.problem(t, http.StatusBadRequest, "expirationInSeconds")
	}
	t.Run("a Bearer token cannot request a token", func(t *testing.T) {
		resp, err := m.A.GetTokenWithResponse(m.ctx, nil, apiAuth("Bearer "+apiBearerToken(t, m, nil)))
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusUnauthorized, resp, resp.HTTPResponse, resp.Body)
		if resp.ApplicationproblemJSON401 == nil {
			t.Error("the generated client did not decode the 401")
		}
		// RFC 9110 section 15.5.2: a 401 must carry WWW-Authenticate, like every other 401.
		if got := resp.HTTPResponse.Header.Get("WWW-Authenticate"); got == "" {
			t.Error("a 401 without WWW-Authenticate")
		}
	})
}

func TestBearerTokenActsAsItsAccount(t *testing.T) {
	m := newMock(t)
	m.createVerification(m.A, apiMinimalInput("A's"))
	m.createVerification(m.B, apiMinimalInput("B's"))
	respB, err := m.B.GetTokenWithResponse(m.ctx, nil)
	if err != nil || respB.JSON200 == nil {
		t.Fatalf("B's token: %v %s", err, respB.Body)
	}
	// B's token on the client configured with A's key: the header of the call decides.
	list, err := m.A.GetAllVerificationsWithResponse(m.ctx, apiAuth("Bearer "+respB.JSON200.Token))
	if err != nil {
		t.Fatal(err)
	}
	if list.JSON200 == nil || len(list.JSON200.Verifications) != 1 || list.JSON200.Verifications[0].Name != "B's" {
		t.Errorf("B's token lists %s, want only B's verification", list.Body)
	}
	// A verification created with B's token belongs to B.
	created, err := m.Anon.CreateVerificationWithResponse(m.ctx, apiMinimalInput("via token"), apiAuth("Bearer "+respB.JSON200.Token))
	if err != nil || created.JSON200 == nil {
		t.Fatalf("create with B's token: %v %s", err, created.Body)
	}
	m.getVerification(m.B, created.JSON200.VerificationId)
	get, _ := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: created.JSON200.VerificationId})
	apiProblemOf(t, http.StatusNotFound, get, get.HTTPResponse, get.Body)
}

func TestTokensAreDeterministicPerSeed(t *testing.T) {
	a, b := newMock(t), newMock(t)
	if ta, tb := apiBearerToken(t, a, nil), apiBearerToken(t, b, nil); ta != tb {
		t.Errorf("two mocks with the same seed, clock and requests issued different tokens:\n%s\n%s", ta, tb)
	}
	// And the token of one works on the other: they share the seeded key.
	tok := apiBearerToken(t, a, nil)
	resp, err := b.A.GetAllVerificationsWithResponse(b.ctx, apiAuth("Bearer "+tok))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode())
	}
}
