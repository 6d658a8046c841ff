package contract

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

var (
	hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)
	hex64 = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

const opCreateSignature, opValidateSignature = "createSignature", "validateSignature"

// signWith calls create-signature and fails the scenario unless it answers 200.
func signWith(t *T, query string, settings *generated.SecuritySettings) generated.SignedQuery {
	resp, err := t.Client.CreateSignatureWithResponse(t.Context(), generated.CreateSignatureRequest{QueryString: query, SecuritySettings: settings})
	if err != nil {
		t.Fatalf("%s: %v", opCreateSignature, err)
	}
	if !t.Status(opCreateSignature, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
		t.Fatalf("%s: no signed query string", opCreateSignature)
	}
	return *resp.JSON200
}

// validate calls validate-signature and returns its result.
func validate(t *T, query string) generated.ValidationResult {
	resp, err := t.Client.ValidateSignatureWithResponse(t.Context(), generated.ValidateSignatureRequest{QueryString: query})
	if err != nil {
		t.Fatalf("%s: %v", opValidateSignature, err)
	}
	if !t.Status(opValidateSignature, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
		t.Fatalf("%s: no result", opValidateSignature)
	}
	return resp.JSON200.Result
}

// serverNow reads the target's clock from healthz.
func serverNow(t *T) time.Time {
	if t.Control != nil {
		// The run's account may have a clock of its own (a tenant's, say), which healthz, an
		// anonymous call, does not show.
		now, err := t.Control.Now(t.Context())
		if err != nil {
			t.Fatalf("control API: read the clock: %v", err)
		}
		return now
	}
	status, _, body := t.Raw(http.MethodGet, "/v1/healthz", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("getHealth: status = %d, want 200", status)
	}
	now, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(body)))
	if err != nil {
		t.Fatalf("getHealth: body %q is not a time: %v", body, err)
	}
	return now
}

// appended returns the keys of the parameters signing appended to query, in order.
func appended(query, signed string) []string {
	var keys []string
	for _, p := range signing.Parse(strings.TrimPrefix(signed, query)) {
		keys = append(keys, p.Key)
	}
	return keys
}

func within(got, want time.Time, slack time.Duration) bool {
	d := got.Sub(want)
	return d >= -slack && d <= slack
}

func b(v bool) *bool     { return &v }
func i32(v int32) *int32 { return &v }

func init() {
	register(
		Scenario{Name: "signatures/create-defaults-to-one-day-expiration", Needs: []Need{ReadOnly}, Run: func(t *T) {
			const q = "userId=User123&age=25&gender=Male"
			now := serverNow(t)
			s := signWith(t, q, nil)
			t.Equal(opCreateSignature, "appended parameters", strings.Join(appended(q, s.SignedQueryString), ","), "reExpiration,reSignature")
			t.True(strings.HasPrefix(s.SignedQueryString, q+"&"), opCreateSignature, "signedQueryString", s.SignedQueryString, "the input query string first")
			t.True(hex64.MatchString(s.Signature), opCreateSignature, "signature", s.Signature, "64 hex digits")
			t.True(strings.HasSuffix(s.SignedQueryString, "&reSignature="+s.Signature), opCreateSignature, "signedQueryString", s.SignedQueryString, "reSignature=<signature> last")
			t.Equal(opCreateSignature, "nonce", s.Nonce, (*string)(nil))
			if t.True(s.Expiration != nil, opCreateSignature, "expiration", s.Expiration, "present (expiration is on by default)") {
				t.True(within(time.Unix(*s.Expiration, 0), now.Add(86400*time.Second), 5*time.Minute), opCreateSignature, "expiration", *s.Expiration, "about now + 86400 s")
			}
		}},
		Scenario{Name: "signatures/create-with-nonce-and-expiration", Needs: []Need{ReadOnly}, Run: func(t *T) {
			const q = "key1=value1&key2=value2"
			now := serverNow(t)
			s := signWith(t, q, &generated.SecuritySettings{EnableNonce: b(true), ExpirationEnabled: b(true), ExpirationInSeconds: i32(3600)})
			t.Equal(opCreateSignature, "appended parameters", strings.Join(appended(q, s.SignedQueryString), ","), "reExpiration,reNonce,reSignature")
			if t.True(s.Nonce != nil, opCreateSignature, "nonce", s.Nonce, "present") {
				t.True(hex32.MatchString(*s.Nonce), opCreateSignature, "nonce", *s.Nonce, "32 lowercase hex digits")
			}
			if t.True(s.Expiration != nil, opCreateSignature, "expiration", s.Expiration, "present") {
				t.True(within(time.Unix(*s.Expiration, 0), now.Add(time.Hour), 5*time.Minute), opCreateSignature, "expiration", *s.Expiration, "about now + 3600 s")
			}
		}},
		Scenario{Name: "signatures/create-without-expiration", Needs: []Need{ReadOnly}, Run: func(t *T) {
			const q = "key1=value1"
			s := signWith(t, q, &generated.SecuritySettings{ExpirationEnabled: b(false)})
			t.Equal(opCreateSignature, "appended parameters", strings.Join(appended(q, s.SignedQueryString), ","), "reSignature")
			t.Equal(opCreateSignature, "expiration", s.Expiration, (*int64)(nil))
			if validate(t, s.SignedQueryString) != generated.Valid {
				t.Errorf("%s: a link without expiration does not validate", opValidateSignature)
			}
		}},
		Scenario{Name: "signatures/create-expiration-range", Needs: []Need{ReadOnly}, Run: func(t *T) {
			for _, ok := range []int32{1, 604800} {
				signWith(t, "a=1", &generated.SecuritySettings{ExpirationInSeconds: i32(ok)})
			}
			for _, bad := range []int32{0, -5, 604801} {
				status, h, body := t.rawJSON(http.MethodPost, "/v1/signature/create", map[string]any{
					"queryString": "a=1", "securitySettings": map[string]any{"expirationInSeconds": bad}})
				t.Problem(opCreateSignature, status, h, body, http.StatusBadRequest, "securitySettings.expirationInSeconds")
			}
		}},
		Scenario{Name: "signatures/create-rejects-nonce-without-expiration", Needs: []Need{ReadOnly}, Run: func(t *T) {
			status, h, body := t.rawJSON(http.MethodPost, "/v1/signature/create", map[string]any{
				"queryString": "a=1", "securitySettings": map[string]any{"enableNonce": true, "expirationEnabled": false}})
			t.Problem(opCreateSignature, status, h, body, http.StatusBadRequest, "securitySettings.enableNonce")
		}},
		Scenario{Name: "signatures/create-rejects-reserved-parameters", Needs: []Need{ReadOnly}, Probes: []string{"signing.reserved-parameters"}, Run: func(t *T) {
			for _, q := range []string{"a=1&reSignature=x", "a=1&reExpiration=1", "reNonce=abc&a=1"} {
				status, h, body := t.rawJSON(http.MethodPost, "/v1/signature/create", map[string]any{"queryString": q})
				t.Problem(opCreateSignature, status, h, body, http.StatusBadRequest, "queryString")
			}
		}},
		Scenario{Name: "signatures/validate-valid", Needs: []Need{ReadOnly}, Run: func(t *T) {
			for _, q := range []string{"userId=User123&age=25&gender=Male", "x=a%20b&y=%C3%BC&x=2", "single"} {
				s := signWith(t, q, &generated.SecuritySettings{EnableNonce: b(true), ExpirationInSeconds: i32(600)})
				t.Equal(opValidateSignature, "result for "+q, validate(t, s.SignedQueryString), generated.Valid)
			}
		}},
		Scenario{Name: "signatures/validate-is-read-only", Needs: []Need{ReadOnly}, Probes: []string{"signing.nonce-consumed-by-session-start"}, Run: func(t *T) {
			s := signWith(t, "userId=u1", &generated.SecuritySettings{EnableNonce: b(true), ExpirationInSeconds: i32(600)})
			for i := 1; i <= 3; i++ {
				if got := validate(t, s.SignedQueryString); got != generated.Valid {
					t.Errorf("%s: result of validation %d of a link with a nonce = %s, want Valid (validation must never consume the nonce)", opValidateSignature, i, got)
				}
			}
		}},
		Scenario{Name: "signatures/validate-tampered", Needs: []Need{ReadOnly}, Probes: []string{"signing.validate-result-names"}, Run: func(t *T) {
			s := signWith(t, "userId=User123&amount=10", &generated.SecuritySettings{EnableNonce: b(true), ExpirationInSeconds: i32(600)})
			tampered := map[string]string{
				"value":        strings.Replace(s.SignedQueryString, "amount=10", "amount=99", 1),
				"key":          strings.Replace(s.SignedQueryString, "amount=", "amounts=", 1),
				"reExpiration": strings.Replace(s.SignedQueryString, "reExpiration=", "reExpiration=9", 1),
				"reNonce":      strings.Replace(s.SignedQueryString, "reNonce="+*s.Nonce, "reNonce="+strings.Repeat("0", 32), 1),
				"added":        "extra=1&" + s.SignedQueryString,
			}
			for what, q := range tampered {
				t.Equal(opValidateSignature, "result with a tampered "+what, validate(t, q), generated.Invalid)
			}
		}},
		Scenario{Name: "signatures/validate-missing-signature", Needs: []Need{ReadOnly}, Probes: []string{"signing.validate-result-names"}, Run: func(t *T) {
			s := signWith(t, "userId=u1", nil)
			unsigned := s.SignedQueryString[:strings.Index(s.SignedQueryString, "&reSignature=")]
			t.Equal(opValidateSignature, "result without reSignature", validate(t, unsigned), generated.Invalid)
			t.Equal(opValidateSignature, "result with a malformed reSignature", validate(t, unsigned+"&reSignature=abc"), generated.Invalid)
		}},
		Scenario{Name: "signatures/validate-expired", Needs: []Need{ReadOnly}, Probes: []string{"signing.validate-result-names"}, Run: func(t *T) {
			// One link with a nonce, one without: expiration is checked before the nonce, and an
			// unused nonce does not keep an expired link valid.
			plain := signWith(t, "userId=u1", &generated.SecuritySettings{ExpirationInSeconds: i32(1)})
			nonced := signWith(t, "userId=u1", &generated.SecuritySettings{ExpirationInSeconds: i32(1), EnableNonce: b(true)})
			t.Advance(2100 * time.Millisecond)
			t.Equal(opValidateSignature, "result after reExpiration", validate(t, plain.SignedQueryString), generated.Expired)
			t.Equal(opValidateSignature, "result after reExpiration of a link with a nonce", validate(t, nonced.SignedQueryString), generated.Expired)
			// Signature is checked before expiration: an expired, tampered link is Invalid,
			// whatever was tampered with.
			q := plain.SignedQueryString
			flipped := "0"
			if strings.HasPrefix(plain.Signature, "0") {
				flipped = "1"
			}
			tampered := map[string]string{
				"value":        strings.Replace(q, "userId=u1", "userId=u2", 1),
				"reSignature":  strings.Replace(q, "reSignature="+plain.Signature, "reSignature="+flipped+plain.Signature[1:], 1),
				"reExpiration": strings.Replace(q, "reExpiration=", "reExpiration=9", 1), // moved far into the future
			}
			for _, what := range []string{"value", "reSignature", "reExpiration"} {
				t.Equal(opValidateSignature, "result of an expired link with a tampered "+what, validate(t, tampered[what]), generated.Invalid)
			}
		}},
		Scenario{Name: "signatures/validate-rejects-empty-query", Needs: []Need{ReadOnly}, Run: func(t *T) {
			status, h, body := t.rawJSON(http.MethodPost, "/v1/signature/validate", map[string]any{"queryString": ""})
			t.Problem(opValidateSignature, status, h, body, http.StatusBadRequest, "queryString")
		}},
		Scenario{Name: "signatures/nonce-consumed-by-hosted-session", Needs: []Need{WritesConfig, CreatesSessions, MockControl}, Run: func(t *T) {
			id := createVerification(t, t.Unique("nonce"), hostedConfig())
			s := signWith(t, "userId=u1", &generated.SecuritySettings{EnableNonce: b(true), ExpirationInSeconds: i32(600)})
			// Aimed at this verification, the subject is taken by no one else's session.
			if err := t.Control.AimSubject(t.Context(), id, "pass"); err != nil {
				t.Fatalf("control API: queue a subject: %v", err)
			}
			status, _, _ := t.Raw(http.MethodGet, "/verification/"+id.String()+"?"+s.SignedQueryString, nil, nil)
			t.Equal("hosted page", "status of the first use", status, http.StatusSeeOther)
			t.Equal(opValidateSignature, "result after a session started from the link", validate(t, s.SignedQueryString), generated.NonceAlreadyUsed)
			status, _, _ = t.Raw(http.MethodGet, "/verification/"+id.String()+"?"+s.SignedQueryString, nil, nil)
			t.Equal("hosted page", "status of the second use", status, http.StatusGone)
		}},
	)
}
