package signing_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

// The vendor's published example.
const (
	vendorQuery     = "userId=User123&age=25&gender=Male"
	vendorCanonical = "?age=25&gender=male&userid=user123"
	vendorSecret    = "your-secret-api-key"
	vendorSignature = "dd915e836a19306b6edbfda10dbc533b40488eb7778a5a5661245a7160e373ac"
)

func TestVendorVector(t *testing.T) {
	if got := signing.Canonicalize(vendorQuery); got != vendorCanonical {
		t.Errorf("Canonicalize(%q) = %q, want %q", vendorQuery, got, vendorCanonical)
	}
	if got := signing.Sign(vendorQuery, vendorSecret); got != vendorSignature {
		t.Errorf("Sign(%q, %q) = %q, want %q", vendorQuery, vendorSecret, got, vendorSignature)
	}
	if got := (signing.CanonicalSHA256{}).Sign(vendorQuery, vendorSecret); got != vendorSignature {
		t.Errorf("CanonicalSHA256.Sign = %q, want %q", got, vendorSignature)
	}
}

// TestCanonicalize pins the default variant (dotnet-icu). Each want was derived by hand from .NET's
// rules (docs/signing.md): '+' and %20 decode to a space, UrlEncoder.Default writes a space as %20
// and keeps A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @, Uri.UnescapeDataString keeps a bogus '%' literal
// escape by escape, invariant ToLower keeps U+0130.
func TestCanonicalize(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"vendor example", vendorQuery, vendorCanonical},
		{"empty", "", "?"},
		{"only question mark", "?", "?"},
		{"leading question mark dropped", "?b=2&a=1", "?a=1&b=2"},
		{"only one question mark dropped", "??a=1", "?%3Fa=1"},
		{"sorted by key", "b=1&ab=0&a=2", "?a=2&ab=0&b=1"},
		{"duplicate keys sorted by value", "a=3&a=1&a=2", "?a=1&a=2&a=3"},
		{"keys and values lowercased", "UserID=ABC&a=X", "?a=x&userid=abc"},
		{"keys differing in case merge", "A=y&a=X", "?a=x&a=y"},
		{"plus is a space", "q=hello+world", "?q=hello%20world"},
		{"percent-20 is a space", "q=hello%20world", "?q=hello%20world"},
		{"encoded plus stays a plus", "q=a%2Bb", "?q=a%2Bb"},
		{"needless escapes normalised", "%61=%41", "?a=a"},
		{"unreserved characters kept", "k=a~b.c-d_e", "?k=a~b.c-d_e"},
		{"reserved characters escaped", "k=a/b:c@d", "?k=a%2Fb%3Ac@d"},
		{"unicode escaped and lowercased", "name=J%C3%9CRGEN", "?name=j%C3%BCrgen"},
		{"raw unicode", "name=Ünï", "?name=%C3%BCn%C3%AF"},
		{"reSignature dropped", "a=1&reSignature=abc", "?a=1"},
		{"reSignature dropped case-insensitively", "RESIGNATURE=x&a=1&resignature&ReSiGnAtUrE=y", "?a=1"},
		{"encoded reSignature key dropped", "re%53ignature=x&a=1", "?a=1"},
		// İ is C4 B0 in UTF-8; the invariant culture's ToLower leaves it, so the key is not reSignature.
		{"dotted capital I stays: not reSignature", "reSİgnature=x&a=1", "?a=1&res%C4%B0gnature=x"},
		{"key only case-folding to reSignature kept", "reſignature=x", "?re%C5%BFignature=x"},
		{"other reserved parameters kept", "reNonce=N&reExpiration=5&a=1", "?a=1&reexpiration=5&renonce=n"},
		{"invalid escape in value kept raw", "a=%zz", "?a=%25zz"},
		{"invalid escape: plus still a space", "a=x+%zz", "?a=x%20%25zz"},
		{"trailing percent in key kept raw", "b%=1&a=2", "?a=2&b%25=1"},
		{"invalid escape affects only itself", "a%20b=%zz", "?a%20b=%25zz"},
		{"empty pieces skipped", "&&a=1&&b=2&", "?a=1&b=2"},
		{"piece without equals has empty value", "flag&a=1", "?a=1&flag="},
		{"split on first equals", "a=b=c", "?a=b%3Dc"},
		{"empty key", "=v", "?=v"},
		{"empty key and value", "=", "?="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signing.Canonicalize(tt.query); got != tt.want {
				t.Errorf("Canonicalize(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestSignDefinition(t *testing.T) {
	for _, q := range []string{"", "a=1", "B=2&a=1", "x=%zz&reSignature=ff"} {
		sum := sha256.Sum256([]byte(signing.Canonicalize(q) + "k"))
		if got, want := signing.Sign(q, "k"), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("Sign(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestSignEquivalences(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"reordered", "a=1&b=2", "b=2&a=1", true},
		{"case changed", "userId=User123", "USERID=user123", true},
		{"re-encoded", "q=a b", "q=a+b", true},
		{"leading question mark", "?a=1", "a=1", true},
		{"signature ignored", "a=1&reSignature=00", "a=1", true},
		{"value changed", "a=1", "a=2", false},
		{"key changed", "a=1", "b=1", false},
		{"parameter added", "a=1", "a=1&b=", false},
		{"plus versus encoded plus", "q=a+b", "q=a%2Bb", false},
		{"reExpiration signed", "a=1&reExpiration=1", "a=1&reExpiration=2", false},
		{"reNonce signed", "a=1&reNonce=1", "a=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa, sb := signing.Sign(tt.a, "secret"), signing.Sign(tt.b, "secret")
			if (sa == sb) != tt.same {
				t.Errorf("Sign(%q) == Sign(%q) is %v, want %v", tt.a, tt.b, sa == sb, tt.same)
			}
		})
	}
	if signing.Sign("a=1", "s1") == signing.Sign("a=1", "s2") {
		t.Error("signatures under different secrets are equal")
	}
}

func TestSignerWithOtherAlgorithm(t *testing.T) {
	// A stand-in for a future production algorithm: secret first.
	other := signing.AlgorithmFunc(func(query, secret string) string {
		sum := sha256.Sum256([]byte(secret + signing.Canonicalize(query)))
		return hex.EncodeToString(sum[:])
	})
	s := signing.Signer{Algorithm: other}
	now := time.Unix(1_700_000_000, 0)

	signed, err := s.Create(vendorQuery, vendorSecret, signing.Settings{}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := other.Sign(signed.SignedQueryString, vendorSecret); signed.Signature != want {
		t.Errorf("Signature = %q, want the plugged algorithm's %q", signed.Signature, want)
	}
	if got, _ := s.Validate(signed.SignedQueryString, vendorSecret, now, nil); got != signing.Valid {
		t.Errorf("Signer.Validate = %v, want Valid", got)
	}
	if got, _ := signing.Validate(signed.SignedQueryString, vendorSecret, now, nil); got != signing.Invalid {
		t.Errorf("default Validate of another algorithm's link = %v, want Invalid", got)
	}
	if got, want := s.SignURLQuery("a=1", "k"), "a=1&reSignature="+other.Sign("a=1", "k"); got != want {
		t.Errorf("Signer.SignURLQuery = %q, want %q", got, want)
	}
}
