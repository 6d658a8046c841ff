package signing_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

const secret = "test-secret"

// mustCreate signs query at testNow with expiration and the fixed nonce.
func mustCreate(t *testing.T, query string, settings signing.Settings) signing.Signed {
	t.Helper()
	signed, err := signing.Create(query, secret, settings, testNow, fixNonce)
	if err != nil {
		t.Fatalf("Create(%q): %v", query, err)
	}
	return signed
}

func TestValidateRoundTrip(t *testing.T) {
	queries := []string{
		vendorQuery,
		"?" + vendorQuery,
		"a=1",
		"flag",
		"&&a=1&&",
		"=",
		"a=1&a=1&a=0",
		"q=hello+world&r=hello%20world&s=a%2Bb",
		"name=J%C3%BCrgen&city=Zürich",
		"bad=%zz&worse=%&b%=1",
		"url=https%3A%2F%2Fexample.com%2F%3Fx%3D1%26y%3D2",
		"reExpirationX=1&xreNonce=2&re_signature=3",
		"reſignature=1",
		" a = 1 ",
		"??a=1",
	}
	settings := map[string]signing.Settings{
		"defaults":      {},
		"no expiration": {ExpirationEnabled: new(false)},
		"nonce":         {EnableNonce: new(true), ExpirationInSeconds: new(60)},
	}
	for _, q := range queries {
		for name, s := range settings {
			t.Run(name+"/"+q, func(t *testing.T) {
				signed := mustCreate(t, q, s)
				got, err := signing.Validate(signed.SignedQueryString, secret, testNow, func(string) bool { return false })
				if got != signing.Valid || err != nil {
					t.Errorf("Validate(%q) = %v, %v; want Valid", signed.SignedQueryString, got, err)
				}
			})
		}
	}
}

func TestValidateSignature(t *testing.T) {
	signed := mustCreate(t, vendorQuery, signing.Settings{ExpirationEnabled: new(false)})
	sq, sig := signed.SignedQueryString, signed.Signature
	body := strings.TrimSuffix(sq, "&reSignature="+sig)

	tests := []struct {
		name  string
		query string
		want  signing.Result
	}{
		{"untouched", sq, signing.Valid},
		{"with leading question mark", "?" + sq, signing.Valid},
		{"uppercase hex signature", body + "&reSignature=" + strings.ToUpper(sig), signing.Valid},
		{"signature key in other case", body + "&RESIGNATURE=" + sig, signing.Valid},
		{"signature moved to the front", "reSignature=" + sig + "&" + body, signing.Valid},
		{"parameters reordered", "gender=Male&age=25&userId=User123&reSignature=" + sig, signing.Valid},
		// The canonical form is lowercased, so a case-only change is
		// not detected; that is the vendor's scheme, not a bug here.
		{"value case changed", strings.Replace(sq, "User123", "USER123", 1), signing.Valid},
		{"value re-encoded", strings.Replace(sq, "User123", "User%31%32%33", 1), signing.Valid},
		{"tampered value", strings.Replace(sq, "age=25", "age=52", 1), signing.Invalid},
		{"tampered key", strings.Replace(sq, "age=25", "agx=25", 1), signing.Invalid},
		{"parameter added", body + "&admin=1&reSignature=" + sig, signing.Invalid},
		{"parameter removed", strings.Replace(sq, "&age=25", "", 1), signing.Invalid},
		{"missing signature", body, signing.Invalid},
		{"empty signature", body + "&reSignature=", signing.Invalid},
		{"duplicated signature", sq + "&reSignature=" + sig, signing.Invalid},
		{"duplicated signature in other case", sq + "&resignature=" + sig, signing.Invalid},
		{"signature too short", body + "&reSignature=" + sig[:63], signing.Invalid},
		{"signature too long", body + "&reSignature=" + sig + "0", signing.Invalid},
		{"signature not hex", body + "&reSignature=" + "g" + sig[1:], signing.Invalid},
		{"signature percent-encoded junk", body + "&reSignature=%zz" + sig[3:], signing.Invalid},
		{"signature of another secret", body + "&reSignature=" + signing.Sign(body, "other"), signing.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signing.Validate(tt.query, secret, testNow, nil)
			if got != tt.want || err != nil {
				t.Errorf("Validate(%q) = %v, %v; want %v, nil", tt.query, got, err, tt.want)
			}
		})
	}
	if got, _ := signing.Validate(sq, "other", testNow, nil); got != signing.Invalid {
		t.Errorf("Validate with the wrong secret = %v, want Invalid", got)
	}
}

func TestValidateExpiration(t *testing.T) {
	signed := mustCreate(t, "a=1", signing.Settings{ExpirationInSeconds: new(60)})
	exp := time.Unix(*signed.Expiration, 0)
	tests := []struct {
		name string
		now  time.Time
		want signing.Result
	}{
		{"at creation", testNow, signing.Valid},
		{"one second before", exp.Add(-time.Second), signing.Valid},
		{"exactly at expiration", exp, signing.Valid},
		{"late within the expiration second", exp.Add(999 * time.Millisecond), signing.Valid},
		{"one second after", exp.Add(time.Second), signing.Expired},
		{"a year after", exp.AddDate(1, 0, 0), signing.Expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := signing.Validate(signed.SignedQueryString, secret, tt.now, nil); got != tt.want || err != nil {
				t.Errorf("Validate at %v = %v, %v; want %v", tt.now, got, err, tt.want)
			}
		})
	}
}

// TestValidateSignedParameterShapes covers links whose signature is good but
// whose signing parameters are malformed, as only the secret's holder can make.
func TestValidateSignedParameterShapes(t *testing.T) {
	future := strconv.FormatInt(testNow.Unix()+60, 10)
	tests := []struct {
		name  string
		query string
		want  signing.Result
	}{
		{"no expiration nor nonce", "a=1", signing.Valid},
		{"expiration not a number", "a=1&reExpiration=soon", signing.Invalid},
		{"expiration empty", "a=1&reExpiration=", signing.Invalid},
		{"expiration fractional", "a=1&reExpiration=" + future + ".5", signing.Invalid},
		{"expiration too large", "a=1&reExpiration=99999999999999999999", signing.Invalid},
		{"expiration duplicated", "a=1&reExpiration=" + future + "&reExpiration=" + future, signing.Invalid},
		{"expiration negative", "a=1&reExpiration=-1", signing.Expired},
		{"expiration key in other case", "a=1&REEXPIRATION=1", signing.Expired},
		{"nonce uppercase", "a=1&reExpiration=" + future + "&reNonce=" + strings.ToUpper(testNonce), signing.Invalid},
		{"nonce too short", "a=1&reExpiration=" + future + "&reNonce=" + testNonce[1:], signing.Invalid},
		{"nonce duplicated", "a=1&reExpiration=" + future + "&reNonce=" + testNonce + "&renonce=" + testNonce, signing.Invalid},
		{"nonce without expiration", "a=1&reNonce=" + testNonce, signing.Valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := signing.SignURLQuery(tt.query, secret)
			if got, err := signing.Validate(q, secret, testNow, nil); got != tt.want || err != nil {
				t.Errorf("Validate(%q) = %v, %v; want %v", q, got, err, tt.want)
			}
		})
	}
}

func TestValidateNonce(t *testing.T) {
	signed := mustCreate(t, "a=1", signing.Settings{EnableNonce: new(true)})
	tests := []struct {
		name      string
		nonceUsed func(string) bool
		want      signing.Result
	}{
		{"nil store", nil, signing.Valid},
		{"unused", func(string) bool { return false }, signing.Valid},
		{"used", func(n string) bool { return n == testNonce }, signing.NonceAlreadyUsed},
		{"another nonce used", func(n string) bool { return n != testNonce }, signing.Valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := signing.Validate(signed.SignedQueryString, secret, testNow, tt.nonceUsed); got != tt.want || err != nil {
				t.Errorf("Validate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestValidateOrder(t *testing.T) {
	signed := mustCreate(t, "a=1", signing.Settings{ExpirationInSeconds: new(60), EnableNonce: new(true)})
	expired := testNow.Add(time.Hour)
	used := func(string) bool { return true }
	tampered := strings.Replace(signed.SignedQueryString, "a=1", "a=2", 1)

	tests := []struct {
		name  string
		query string
		now   time.Time
		want  signing.Result
	}{
		{"tampered, expired and nonce used", tampered, expired, signing.Invalid},
		{"expired and nonce used", signed.SignedQueryString, expired, signing.Expired},
		{"nonce used only", signed.SignedQueryString, testNow, signing.NonceAlreadyUsed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := signing.Validate(tt.query, secret, tt.now, used); got != tt.want || err != nil {
				t.Errorf("Validate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestValidateIsReadOnly checks that Validate only asks about the nonce, at
// most once and only once the earlier checks passed, and that validating
// again gives the same answer.
func TestValidateIsReadOnly(t *testing.T) {
	signed := mustCreate(t, "a=1", signing.Settings{ExpirationInSeconds: new(60), EnableNonce: new(true)})
	tests := []struct {
		name      string
		query     string
		now       time.Time
		want      signing.Result
		wantCalls int
	}{
		{"valid link", signed.SignedQueryString, testNow, signing.Valid, 1},
		{"invalid link", signed.SignedQueryString + "x", testNow, signing.Invalid, 0},
		{"expired link", signed.SignedQueryString, testNow.Add(time.Hour), signing.Expired, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			nonceUsed := func(n string) bool {
				asked = append(asked, n)
				return false
			}
			for i := range 3 {
				asked = nil
				got, err := signing.Validate(tt.query, secret, tt.now, nonceUsed)
				if got != tt.want || err != nil {
					t.Fatalf("call %d: Validate = %v, %v; want %v", i, got, err, tt.want)
				}
				if len(asked) != tt.wantCalls {
					t.Fatalf("call %d: nonceUsed called %d times, want %d", i, len(asked), tt.wantCalls)
				}
				if len(asked) == 1 && asked[0] != testNonce {
					t.Fatalf("call %d: nonceUsed(%q), want %q", i, asked[0], testNonce)
				}
			}
		})
	}
}

func TestValidateEmptyQuery(t *testing.T) {
	for _, q := range []string{"", "?", "  ", " ? "} {
		t.Run(strconv.Quote(q), func(t *testing.T) {
			got, err := signing.Validate(q, secret, testNow, nil)
			if !errors.Is(err, signing.ErrEmptyQuery) {
				t.Fatalf("Validate(%q) error = %v, want ErrEmptyQuery", q, err)
			}
			if got != signing.Invalid {
				t.Errorf("Validate(%q) = %v, want Invalid with the error", q, got)
			}
		})
	}
}

func TestResultStrings(t *testing.T) {
	for r, want := range map[signing.Result]string{
		signing.Valid:            "Valid",
		signing.Invalid:          "Invalid",
		signing.Expired:          "Expired",
		signing.NonceAlreadyUsed: "NonceAlreadyUsed",
	} {
		if string(r) != want {
			t.Errorf("Result %q, want %q", r, want)
		}
	}
}
