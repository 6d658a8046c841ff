package mockserver_test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

var apiNonceShape = regexp.MustCompile(`^[0-9a-f]{32}$`)

// sign creates a signature with c and fails the test unless it succeeds.
func (m *testMock) sign(c *generated.ClientWithResponses, query string, settings *generated.SecuritySettings) generated.SignedQuery {
	m.t.Helper()
	resp, err := c.CreateSignatureWithResponse(m.ctx, generated.CreateSignatureRequest{QueryString: query, SecuritySettings: settings})
	if err != nil {
		m.t.Fatalf("create signature: %v", err)
	}
	if resp.JSON200 == nil {
		m.t.Fatalf("create signature of %q: status %d, body %s", query, resp.StatusCode(), resp.Body)
	}
	return *resp.JSON200
}

// validate validates query with c and returns the result, failing the test unless the call
// answers 200.
func (m *testMock) validate(c *generated.ClientWithResponses, query string) generated.ValidationResult {
	m.t.Helper()
	resp, err := c.ValidateSignatureWithResponse(m.ctx, generated.ValidateSignatureRequest{QueryString: query})
	if err != nil {
		m.t.Fatalf("validate signature: %v", err)
	}
	if resp.JSON200 == nil {
		m.t.Fatalf("validate %q: status %d, body %s", query, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.Result
}

// apiParamKeys lists the keys of a query string in order.
func apiParamKeys(query string) []string {
	var keys []string
	for _, p := range signing.Parse(query) {
		keys = append(keys, p.Key)
	}
	return keys
}

func TestCreateSignatureSecuritySettings(t *testing.T) {
	const query = "userId=User123&age=25&gender=Male"
	tests := []struct {
		name       string
		query      string
		settings   *generated.SecuritySettings
		expiration int64 // seconds after frozenAt; 0: no expiration
		nonce      bool
		appended   []string // the keys appended after the input's own
	}{
		{name: "settings omitted: expiration on, one day", settings: nil,
			expiration: 86400, appended: []string{"reExpiration", "reSignature"}},
		{name: "settings empty: the same defaults", settings: &generated.SecuritySettings{},
			expiration: 86400, appended: []string{"reExpiration", "reSignature"}},
		{name: "expiration enabled, lifetime omitted", settings: &generated.SecuritySettings{ExpirationEnabled: apiPtr(true)},
			expiration: 86400, appended: []string{"reExpiration", "reSignature"}},
		{name: "expiration disabled", settings: &generated.SecuritySettings{ExpirationEnabled: apiPtr(false)},
			appended: []string{"reSignature"}},
		{name: "custom lifetime", settings: &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(3600))},
			expiration: 3600, appended: []string{"reExpiration", "reSignature"}},
		{name: "shortest lifetime", settings: &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(1))},
			expiration: 1, appended: []string{"reExpiration", "reSignature"}},
		{name: "longest lifetime, seven days", settings: &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(604800))},
			expiration: 604800, appended: []string{"reExpiration", "reSignature"}},
		{name: "nonce with default expiration", settings: &generated.SecuritySettings{EnableNonce: apiPtr(true)},
			expiration: 86400, nonce: true, appended: []string{"reExpiration", "reNonce", "reSignature"}},
		{name: "nonce with explicit expiration", settings: &generated.SecuritySettings{EnableNonce: apiPtr(true), ExpirationEnabled: apiPtr(true), ExpirationInSeconds: apiPtr(int32(900))},
			expiration: 900, nonce: true, appended: []string{"reExpiration", "reNonce", "reSignature"}},
		{name: "nonce off explicitly", settings: &generated.SecuritySettings{EnableNonce: apiPtr(false)},
			expiration: 86400, appended: []string{"reExpiration", "reSignature"}},
		{name: "leading question mark dropped", query: "?" + query,
			expiration: 86400, appended: []string{"reExpiration", "reSignature"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			in := tc.query
			if in == "" {
				in = query
			}
			got := m.sign(m.A, in, tc.settings)

			if !strings.HasPrefix(got.SignedQueryString, query+"&") {
				t.Errorf("signedQueryString %q does not start with the input %q", got.SignedQueryString, query)
			}
			keys := apiParamKeys(got.SignedQueryString)
			if want := append([]string{"userId", "age", "gender"}, tc.appended...); strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("parameters %v, want %v", keys, want)
			}
			params := signing.Parse(got.SignedQueryString)
			if sig, _ := params.Get("reSignature"); sig != got.Signature || len(sig) != 64 {
				t.Errorf("reSignature %q, signature %q: want the same 64 hex digits", sig, got.Signature)
			}
			if tc.expiration == 0 {
				if got.Expiration != nil {
					t.Errorf("expiration = %d, want none", *got.Expiration)
				}
			} else {
				want := frozenAt.Unix() + tc.expiration
				if got.Expiration == nil || *got.Expiration != want {
					t.Errorf("expiration = %v, want %d (the clock plus %d s)", got.Expiration, want, tc.expiration)
				}
				if v, _ := params.Get("reExpiration"); v != strconv.FormatInt(want, 10) {
					t.Errorf("reExpiration = %q, want %d", v, want)
				}
			}
			if tc.nonce {
				if got.Nonce == nil || !apiNonceShape.MatchString(*got.Nonce) {
					t.Errorf("nonce = %v, want 32 lowercase hex digits", got.Nonce)
				} else if v, _ := params.Get("reNonce"); v != *got.Nonce {
					t.Errorf("reNonce = %q, want the nonce %q", v, *got.Nonce)
				}
			} else if got.Nonce != nil {
				t.Errorf("nonce = %q, want none", *got.Nonce)
			}
			// The signature covers everything before reSignature, under account A's first key.
			unsigned := strings.TrimSuffix(got.SignedQueryString, "&reSignature="+got.Signature)
			if want := signing.Sign(unsigned, apiKeyA1); got.Signature != want {
				t.Errorf("signature %s, want %s (signing.Sign with account A's first key)", got.Signature, want)
			}
			if res, err := signing.Validate(got.SignedQueryString, apiKeyA1, frozenAt, nil); err != nil || res != signing.Valid {
				t.Errorf("signing.Validate = %v, %v; want Valid", res, err)
			}
			if res := m.validate(m.A, got.SignedQueryString); res != generated.Valid {
				t.Errorf("validate = %s, want Valid", res)
			}
			if v := m.requestViolations(); len(v) != 0 {
				t.Errorf("the test sent requests that break the spec: %v", v)
			}
		})
	}
}

func TestCreateSignatureRejects(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		settings *generated.SecuritySettings
		field    string
	}{
		{"lifetime zero", "a=1", &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(0))}, "securitySettings.expirationInSeconds"},
		{"lifetime over seven days", "a=1", &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(604801))}, "securitySettings.expirationInSeconds"},
		{"negative lifetime", "a=1", &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(-60))}, "securitySettings.expirationInSeconds"},
		{"lifetime out of range with expiration disabled", "a=1", &generated.SecuritySettings{ExpirationEnabled: apiPtr(false), ExpirationInSeconds: apiPtr(int32(0))}, "securitySettings.expirationInSeconds"},
		{"nonce without expiration", "a=1", &generated.SecuritySettings{EnableNonce: apiPtr(true), ExpirationEnabled: apiPtr(false)}, "securitySettings.enableNonce"},
		{"reserved reSignature", "a=1&reSignature=abc", nil, "queryString"},
		{"reserved reExpiration", "a=1&reExpiration=1", nil, "queryString"},
		{"reserved reNonce", "reNonce=00&a=1", nil, "queryString"},
		{"reserved parameter in another case", "a=1&RESIGNATURE=abc", nil, "queryString"},
		{"reserved parameter after a question mark", "?reExpiration=5", nil, "queryString"},
		{"empty query string", "", nil, "queryString"},
		{"blank query string", "  ", nil, "queryString"},
		{"just a question mark", "?", nil, "queryString"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			resp, err := m.A.CreateSignatureWithResponse(m.ctx, generated.CreateSignatureRequest{QueryString: tc.query, SecuritySettings: tc.settings})
			if err != nil {
				t.Fatal(err)
			}
			p := apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, tc.field)
			if resp.ApplicationproblemJSON400 == nil {
				t.Error("the generated client did not decode the 400 problem")
			}
			if !strings.Contains(apiDetailOf(p), tc.field) {
				t.Errorf("detail %q does not name %s", apiDetailOf(p), tc.field)
			}
		})
	}
}

func TestValidateSignature(t *testing.T) {
	m := newMock(t)
	withNonce := m.sign(m.A, "userId=User123&age=25", &generated.SecuritySettings{EnableNonce: apiPtr(true), ExpirationInSeconds: apiPtr(int32(3600))})
	noExpiry := m.sign(m.A, "userId=User123", &generated.SecuritySettings{ExpirationEnabled: apiPtr(false)})

	tests := []struct {
		name  string
		query string
		want  generated.ValidationResult
	}{
		{"as signed", withNonce.SignedQueryString, generated.Valid},
		{"without expiration", noExpiry.SignedQueryString, generated.Valid},
		{"with a leading question mark", "?" + withNonce.SignedQueryString, generated.Valid},
		{"parameters reordered", apiReorder(withNonce.SignedQueryString), generated.Valid},
		{"own parameters recased", strings.Replace(withNonce.SignedQueryString, "userId=User123", "USERID=user123", 1), generated.Valid},
		{"value tampered", strings.Replace(withNonce.SignedQueryString, "User123", "User124", 1), generated.Invalid},
		{"parameter added", withNonce.SignedQueryString + "&admin=true", generated.Invalid},
		{"expiration extended", strings.Replace(withNonce.SignedQueryString, "reExpiration=", "reExpiration=9", 1), generated.Invalid},
		{"nonce changed", strings.Replace(withNonce.SignedQueryString, "reNonce="+*withNonce.Nonce, "reNonce="+strings.Repeat("0", 32), 1), generated.Invalid},
		{"signature missing", strings.TrimSuffix(withNonce.SignedQueryString, "&reSignature="+withNonce.Signature), generated.Invalid},
		{"signature malformed", strings.TrimSuffix(withNonce.SignedQueryString, withNonce.Signature) + "xyz", generated.Invalid},
		{"signature repeated", withNonce.SignedQueryString + "&reSignature=" + withNonce.Signature, generated.Invalid},
		{"no signing parameters at all", "userId=User123", generated.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.validate(m.A, tc.query); got != tc.want {
				t.Errorf("validate(%q) = %s, want %s", tc.query, got, tc.want)
			}
		})
	}

	t.Run("empty query string", func(t *testing.T) {
		for _, q := range []string{"", " ", "?"} {
			resp, err := m.A.ValidateSignatureWithResponse(m.ctx, generated.ValidateSignatureRequest{QueryString: q})
			if err != nil {
				t.Fatal(err)
			}
			apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "queryString")
		}
	})
}

// apiReorder reverses the parameters of a query string, which the canonical form undoes.
func apiReorder(query string) string {
	parts := strings.Split(query, "&")
	slices.Reverse(parts)
	return strings.Join(parts, "&")
}

func TestValidateSignatureIsReadOnly(t *testing.T) {
	m := newMock(t)
	s := m.sign(m.A, "userId=User123", &generated.SecuritySettings{EnableNonce: apiPtr(true)})
	for i := range 3 {
		if got := m.validate(m.A, s.SignedQueryString); got != generated.Valid {
			t.Fatalf("validation %d = %s, want Valid: validation must not consume the nonce", i+1, got)
		}
	}
}

func TestValidateSignatureExpiry(t *testing.T) {
	m := newMock(t)
	s := m.sign(m.A, "userId=User123", &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(60)), EnableNonce: apiPtr(true)})
	tampered := strings.Replace(s.SignedQueryString, "User123", "User999", 1)

	m.clock().Advance(60 * time.Second) // the last second of the link's life
	if got := m.validate(m.A, s.SignedQueryString); got != generated.Valid {
		t.Errorf("at reExpiration: %s, want Valid (a link is valid during its last second)", got)
	}
	m.clock().Advance(time.Second)
	if got := m.validate(m.A, s.SignedQueryString); got != generated.Expired {
		t.Errorf("after reExpiration: %s, want Expired", got)
	}
	// The signature is checked first: an expired link that was also tampered with is Invalid.
	if got := m.validate(m.A, tampered); got != generated.Invalid {
		t.Errorf("expired and tampered: %s, want Invalid", got)
	}
	m.clock().Advance(-time.Minute)
	if got := m.validate(m.A, s.SignedQueryString); got != generated.Valid {
		t.Errorf("after moving the clock back: %s, want Valid", got)
	}
}

func TestSignatureVerifiesOffline(t *testing.T) {
	m := newMock(t)
	// Signed through account A's second key: the secret is still the account's first key.
	viaSecondKey := m.newClient("ApiKey " + apiKeyA2)
	s := m.sign(viaSecondKey, "userId=User123&age=25&gender=Male", nil)
	if res, err := signing.Validate(s.SignedQueryString, apiKeyA1, frozenAt, nil); err != nil || res != signing.Valid {
		t.Errorf("signing.Validate with the first key = %v, %v; want Valid", res, err)
	}
	if res, _ := signing.Validate(s.SignedQueryString, apiKeyA2, frozenAt, nil); res != signing.Invalid {
		t.Errorf("signing.Validate with the second key = %v, want Invalid: the secret is the first key", res)
	}
	if res, _ := signing.Validate(s.SignedQueryString, apiKeyB, frozenAt, nil); res != signing.Invalid {
		t.Errorf("signing.Validate with B's key = %v, want Invalid", res)
	}
	// And a query string signed offline validates on the mock.
	offline := signing.SignURLQuery("userId=User123&campaign=c1", apiKeyA1)
	if got := m.validate(m.A, offline); got != generated.Valid {
		t.Errorf("a query signed offline with A's secret: %s, want Valid", got)
	}
	if got := m.validate(m.B, offline); got != generated.Invalid {
		t.Errorf("a query signed offline with A's secret, validated by B: %s, want Invalid", got)
	}
}

func TestSigningSecretOption(t *testing.T) {
	m := newMock(t)
	// A mock whose account A signs with an explicit secret.
	custom := newMock(t, apiWithSigningSecretA("explicit-secret"))
	s := custom.sign(custom.A, "userId=User123", nil)
	if res, _ := signing.Validate(s.SignedQueryString, "explicit-secret", frozenAt, nil); res != signing.Valid {
		t.Errorf("signing.Validate with the configured secret = %v, want Valid", res)
	}
	if got := m.validate(m.A, s.SignedQueryString); got != generated.Invalid {
		t.Errorf("a link signed with another secret = %s, want Invalid", got)
	}
}

func TestSignatureOfAnotherAccountIsInvalid(t *testing.T) {
	m := newMock(t)
	s := m.sign(m.A, "userId=User123", &generated.SecuritySettings{EnableNonce: apiPtr(true)})
	if got := m.validate(m.B, s.SignedQueryString); got != generated.Invalid {
		t.Errorf("A's link validated by B = %s, want Invalid", got)
	}
	sb := m.sign(m.B, "userId=User123", &generated.SecuritySettings{EnableNonce: apiPtr(true)})
	if got := m.validate(m.A, sb.SignedQueryString); got != generated.Invalid {
		t.Errorf("B's link validated by A = %s, want Invalid", got)
	}
	if sb.Signature == s.Signature {
		t.Error("A and B made the same signature")
	}
}
