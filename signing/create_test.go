package signing_test

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

const testNonce = "bf5c7f4e8a794e41a58e08dfd634f816"

var (
	testNow  = time.Unix(1_747_766_000, 0)
	nonceRE  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	fixNonce = func() string { return testNonce }
)

func TestCreateRules(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		settings signing.Settings
		want     error
		field    string
	}{
		{"empty", "", signing.Settings{}, signing.ErrEmptyQuery, "queryString"},
		{"question mark only", "?", signing.Settings{}, signing.ErrEmptyQuery, "queryString"},
		{"spaces only", "   ", signing.Settings{}, signing.ErrEmptyQuery, "queryString"},
		{"question mark and spaces", " ? ", signing.Settings{}, signing.ErrEmptyQuery, "queryString"},
		{"reSignature", "a=1&reSignature=x", signing.Settings{}, signing.ErrReservedSignature, "queryString"},
		{"reSignature other case", "RESIGNATURE=x", signing.Settings{}, signing.ErrReservedSignature, "queryString"},
		{"reSignature after extra question mark", "??reSignature=x", signing.Settings{}, signing.ErrReservedSignature, "queryString"},
		{"reSignature in another case", "RESIGNATURE=x", signing.Settings{}, signing.ErrReservedSignature, "queryString"},
		{"reExpiration", "reexpiration=1&a=1", signing.Settings{}, signing.ErrReservedExpiration, "queryString"},
		{"reNonce without value", "a=1&ReNonce", signing.Settings{}, signing.ErrReservedNonce, "queryString"},
		{"reNonce percent-encoded", "re%4Eonce=1", signing.Settings{}, signing.ErrReservedNonce, "queryString"},
		{"expiration zero", "a=1", signing.Settings{ExpirationInSeconds: new(0)}, signing.ErrExpirationOutOfRange, "securitySettings.expirationInSeconds"},
		{"expiration negative", "a=1", signing.Settings{ExpirationInSeconds: new(-5)}, signing.ErrExpirationOutOfRange, "securitySettings.expirationInSeconds"},
		{"expiration over 7 days", "a=1", signing.Settings{ExpirationInSeconds: new(604801)}, signing.ErrExpirationOutOfRange, "securitySettings.expirationInSeconds"},
		{"expiration checked while disabled", "a=1", signing.Settings{ExpirationEnabled: new(false), ExpirationInSeconds: new(0)}, signing.ErrExpirationOutOfRange, "securitySettings.expirationInSeconds"},
		{"nonce without expiration", "a=1", signing.Settings{ExpirationEnabled: new(false), EnableNonce: new(true)}, signing.ErrNonceRequiresExpiration, "securitySettings.enableNonce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signing.Create(tt.query, "secret", tt.settings, testNow, fixNonce)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Create(%q) error = %v, want %v", tt.query, err, tt.want)
			}
			var re *signing.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("Create(%q) error %T is not a *RuleError", tt.query, err)
			}
			if re.Field != tt.field {
				t.Errorf("Field = %q, want %q", re.Field, tt.field)
			}
			if want := re.Field + ": " + re.Rule; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestCreateRuleTexts(t *testing.T) {
	tests := []struct {
		err  *signing.RuleError
		rule string
	}{
		{signing.ErrEmptyQuery, "must not be empty"},
		{signing.ErrReservedSignature, "must not contain the reserved parameter reSignature"},
		{signing.ErrReservedExpiration, "must not contain the reserved parameter reExpiration"},
		{signing.ErrReservedNonce, "must not contain the reserved parameter reNonce"},
		{signing.ErrExpirationOutOfRange, fmt.Sprintf("must be between %d and %d", signing.MinExpirationSeconds, signing.MaxExpirationSeconds)},
		{signing.ErrNonceRequiresExpiration, "requires expirationEnabled"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if tt.err.Rule != tt.rule {
				t.Errorf("Rule = %q, want %q", tt.err.Rule, tt.rule)
			}
		})
	}
}

func TestCreateAcceptsExpirationBounds(t *testing.T) {
	for _, ttl := range []int{signing.MinExpirationSeconds, 3600, signing.MaxExpirationSeconds} {
		t.Run(strconv.Itoa(ttl), func(t *testing.T) {
			signed, err := signing.Create("a=1", "secret", signing.Settings{ExpirationInSeconds: new(ttl)}, testNow, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := testNow.Unix() + int64(ttl); signed.Expiration == nil || *signed.Expiration != want {
				t.Errorf("Expiration = %v, want %d", signed.Expiration, want)
			}
		})
	}
	// A valid lifetime is accepted, and ignored, with expiration disabled.
	signed, err := signing.Create("a=1", "secret", signing.Settings{ExpirationEnabled: new(false), ExpirationInSeconds: new(60)}, testNow, nil)
	if err != nil || signed.Expiration != nil {
		t.Errorf("disabled expiration with lifetime: Expiration = %v, err = %v; want nil, nil", signed.Expiration, err)
	}
}

func TestCreateOutput(t *testing.T) {
	exp := strconv.FormatInt(testNow.Unix()+signing.DefaultExpirationSeconds, 10)
	exp3600 := strconv.FormatInt(testNow.Unix()+3600, 10)
	tests := []struct {
		name       string
		query      string
		settings   signing.Settings
		unsigned   string // SignedQueryString without its reSignature
		expiration string // "" when absent
		nonce      string // "" when absent
	}{
		{
			name:       "defaults: expiration on for a day, no nonce",
			query:      vendorQuery,
			unsigned:   vendorQuery + "&reExpiration=" + exp,
			expiration: exp,
		},
		{
			name:     "expiration disabled",
			query:    vendorQuery,
			settings: signing.Settings{ExpirationEnabled: new(false)},
			unsigned: vendorQuery,
		},
		{
			name:       "expiration and nonce in order",
			query:      vendorQuery,
			settings:   signing.Settings{ExpirationEnabled: new(true), ExpirationInSeconds: new(3600), EnableNonce: new(true)},
			unsigned:   vendorQuery + "&reExpiration=" + exp3600 + "&reNonce=" + testNonce,
			expiration: exp3600,
			nonce:      testNonce,
		},
		{
			name:     "nonce explicitly off",
			query:    "a=1",
			settings: signing.Settings{EnableNonce: new(false), ExpirationEnabled: new(false)},
			unsigned: "a=1",
		},
		{
			name:     "leading question mark dropped, order and encoding kept",
			query:    "?b=%20x&a=1+2&C=%7e&&flag",
			settings: signing.Settings{ExpirationEnabled: new(false)},
			unsigned: "b=%20x&a=1+2&C=%7e&&flag",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed, err := signing.Create(tt.query, vendorSecret, tt.settings, testNow, fixNonce)
			if err != nil {
				t.Fatal(err)
			}
			if want := signing.Sign(tt.unsigned, vendorSecret); signed.Signature != want {
				t.Errorf("Signature = %q, want %q", signed.Signature, want)
			}
			if want := tt.unsigned + "&reSignature=" + signed.Signature; signed.SignedQueryString != want {
				t.Errorf("SignedQueryString = %q, want %q", signed.SignedQueryString, want)
			}
			if got := ptrString(signed.Expiration); got != tt.expiration {
				t.Errorf("Expiration = %q, want %q", got, tt.expiration)
			}
			if got := ptrString(signed.Nonce); got != tt.nonce {
				t.Errorf("Nonce = %q, want %q", got, tt.nonce)
			}
		})
	}
}

func ptrString[T any](p *T) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

func TestCreateVendorQueryWithoutExpiration(t *testing.T) {
	signed, err := signing.Create(vendorQuery, vendorSecret, signing.Settings{ExpirationEnabled: new(false)}, testNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if signed.Signature != vendorSignature {
		t.Errorf("Signature = %q, want the vendor's %q", signed.Signature, vendorSignature)
	}
}

func TestCreateNonce(t *testing.T) {
	withNonce := signing.Settings{EnableNonce: new(true)}

	t.Run("default generator", func(t *testing.T) {
		signed, err := signing.Create("a=1", "secret", withNonce, testNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		if signed.Nonce == nil || !nonceRE.MatchString(*signed.Nonce) {
			t.Fatalf("Nonce = %v, want 32 lowercase hex", signed.Nonce)
		}
		if !strings.Contains(signed.SignedQueryString, "&reNonce="+*signed.Nonce+"&reSignature=") {
			t.Errorf("SignedQueryString %q does not carry the nonce before the signature", signed.SignedQueryString)
		}
	})

	t.Run("not called when disabled", func(t *testing.T) {
		called := false
		gen := func() string { called = true; return testNonce }
		if _, err := signing.Create("a=1", "secret", signing.Settings{}, testNow, gen); err != nil {
			t.Fatal(err)
		}
		if called {
			t.Error("newNonce called with the nonce disabled")
		}
	})

	for _, bad := range []string{
		"",
		"BF5C7F4E8A794E41A58E08DFD634F816",
		"bf5c7f4e8a794e41a58e08dfd634f81",
		"bf5c7f4e8a794e41a58e08dfd634f8166",
		"bf5c7f4e-8a79-4e41-a58e-08dfd634f816",
		"zf5c7f4e8a794e41a58e08dfd634f816",
	} {
		t.Run("malformed "+strconv.Quote(bad), func(t *testing.T) {
			_, err := signing.Create("a=1", "secret", withNonce, testNow, func() string { return bad })
			if !errors.Is(err, signing.ErrMalformedNonce) {
				t.Errorf("error = %v, want ErrMalformedNonce", err)
			}
		})
	}
}

func TestRandomNonce(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		n := signing.RandomNonce()
		if !nonceRE.MatchString(n) {
			t.Fatalf("RandomNonce() = %q, want 32 lowercase hex", n)
		}
		if n[12] != '4' {
			t.Errorf("RandomNonce() = %q, version nibble %c, want 4", n, n[12])
		}
		if !strings.ContainsRune("89ab", rune(n[16])) {
			t.Errorf("RandomNonce() = %q, variant nibble %c, want one of 89ab", n, n[16])
		}
		if seen[n] {
			t.Fatalf("RandomNonce() repeated %q", n)
		}
		seen[n] = true
	}
}

func TestCreateSignatureCoversSigningParameters(t *testing.T) {
	signed, err := signing.Create(vendorQuery, vendorSecret, signing.Settings{EnableNonce: new(true)}, testNow, fixNonce)
	if err != nil {
		t.Fatal(err)
	}
	exp := "reExpiration=" + ptrString(signed.Expiration)
	nonce := "reNonce=" + testNonce
	tests := []struct {
		name     string
		from, to string
	}{
		{"expiration extended", exp, "reExpiration=" + strconv.FormatInt(*signed.Expiration+3600, 10)},
		{"expiration removed", "&" + exp, ""},
		{"nonce changed", nonce, "reNonce=00000000000000000000000000000000"},
		{"nonce removed", "&" + nonce, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tampered := strings.Replace(signed.SignedQueryString, tt.from, tt.to, 1)
			if tampered == signed.SignedQueryString {
				t.Fatalf("%q not found in %q", tt.from, signed.SignedQueryString)
			}
			if got, err := signing.Validate(tampered, vendorSecret, testNow, nil); got != signing.Invalid || err != nil {
				t.Errorf("Validate(%q) = %v, %v; want Invalid, nil", tampered, got, err)
			}
		})
	}
}

func TestSignURLQuery(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"", "reSignature=" + signing.Sign("", "k")},
		{"a=1", "a=1&reSignature=" + signing.Sign("a=1", "k")},
		{"result=Passed&sessionId=x%20y", "result=Passed&sessionId=x%20y&reSignature=" + signing.Sign("result=Passed&sessionId=x%20y", "k")},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := signing.SignURLQuery(tt.raw, "k")
			if got != tt.want {
				t.Fatalf("SignURLQuery(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if tt.raw == "" {
				return
			}
			if res, err := signing.Validate(got, "k", testNow, nil); res != signing.Valid || err != nil {
				t.Errorf("Validate(%q) = %v, %v; want Valid", got, res, err)
			}
		})
	}
}
