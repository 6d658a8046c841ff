package contract

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// How production signs. The vendor documents the legacy algorithm (lowercase, sort, re-encode,
// append the secret, SHA-256) but not the exact escaping, the comparer that orders the keys, nor
// whether the secret is still the API key. Each query string below is chosen so that the
// candidates the signing package knows (signing.Variants) sign it differently; signing it on the
// target with expiration off leaves nothing but the query string under the signature, so the
// target's signature can be recomputed here and the variant that produced it named.

// canonicalCase is one query string of the canonical-form probe.
type canonicalCase struct {
	query string
	// bears is the assumption a differing signature of this query string contradicts: its keys
	// sort alike under every comparer (escaping), or it escapes alike under every encoder
	// (order). Empty: it tells both apart, or neither (the vendor's own example).
	bears string
}

const (
	probeEscaping = "signing.canonical-escaping"
	probeKeyOrder = "signing.key-order"
	probeSecret   = "signing.secret-is-api-key"
)

var canonicalCases = []canonicalCase{
	// The vendor's worked example.
	{"userId=User123&age=25&gender=Male", ""},
	// '@' and a space: UrlEncoder.Default keeps '@' and writes %20; url.QueryEscape writes %40, '+'.
	{"email=User@Example.com&name=John Doe", probeEscaping},
	// '+' and %20 both decode to a space; '%' must come back as %25; UrlEncoder.Default keeps
	// "!$()*,;" where url.QueryEscape escapes them.
	{"q=a+b&r=c%20d&s=%25&t=!$()*,;", probeEscaping},
	// An empty value and a key without '=' (both read as empty); an upper-case key.
	{"empty=&novalue&Z=1", probeEscaping},
	// A non-ASCII value: %C3%A9 of its UTF-8 bytes, upper-case hex.
	{"f=2&g=é", probeEscaping},
	// A non-ASCII key sorts after "f" by ordinal, before it under a culture's collation.
	{"é=1&f=2", ""},
	// '-' (0x2D) < '1' < '_' (0x5F) < 'b' by ordinal; a culture's collation orders them otherwise.
	{"a_b=1&a-b=2&a1=3&ab=4", probeKeyOrder},
	// One key in two cases with several values: the values are ordered within the key.
	{"k=B&k=a&K=c", probeKeyOrder},
	// '~' (0x7E) sorts after letters by ordinal and before them under a culture's collation.
	{"x~=1&xb=2", probeKeyOrder},
	// Sorted before lowercasing, "B" comes before "a".
	{"B=1&a=2", probeKeyOrder},
	// Values of one key: "10" before "2" by ordinal.
	{"n=2&n=10&n=1", probeKeyOrder},
}

// canonicalForm is the signatures/canonical-form scenario.
func canonicalForm(t *T) {
	vs := signing.Variants()
	def := vs[0]
	r := signCanonicalCases(t, vs)
	if len(r.signed) == 0 {
		return
	}
	if len(r.mismatched) == 0 {
		detail := fmt.Sprintf("the default signing variant %q with the API key as secret reproduces the signatures of %s", def.Name, strings.Join(r.signed, ", "))
		t.Decide(probeEscaping, true, detail)
		t.Decide(probeKeyOrder, true, detail)
		t.Decide(probeSecret, true, detail)
		return
	}
	var matching []string
	for i, v := range vs {
		if r.matchesAll[i] {
			matching = append(matching, fmt.Sprintf("%q (%s)", v.Name, v.Summary))
		}
	}
	if len(matching) == 0 {
		t.Errorf("%s: no signing variant (%s) reproduces the signatures of %s: either production's algorithm is none of them, or its secret is not the API key (%s)",
			opCreateSignature, variantNames(vs), strings.Join(r.signed, ", "), probeSecret)
		return
	}
	which := strings.Join(matching, " or ")
	t.Errorf("%s: the signatures match signing variant %s, not the default %q: switch the mock with --signing-variant", opCreateSignature, which, def.Name)
	t.Decide(probeSecret, true, fmt.Sprintf("signing variant %s with the API key as secret reproduces the signatures of %s", which, strings.Join(r.signed, ", ")))
	decideEscapingAndOrder(t, r.mismatched, def.Name, which)
}

// canonicalSigning is what the target's signatures of canonicalCases showed.
type canonicalSigning struct {
	signed     []string        // the quoted query strings the target signed
	mismatched []canonicalCase // the cases whose signature the default variant does not reproduce
	matchesAll []bool          // per variant: it reproduces every signature
}

// signCanonicalCases asks the target to sign each of canonicalCases with expiration off, and
// recomputes each signature with every variant in vs, the API key as secret. A case that vs[0],
// the default, signs differently is an error.
func signCanonicalCases(t *T, vs []signing.Variant) canonicalSigning {
	secret := t.target.APIKey
	def := vs[0]
	r := canonicalSigning{matchesAll: make([]bool, len(vs))}
	for i := range r.matchesAll {
		r.matchesAll[i] = true
	}
	for _, c := range canonicalCases {
		resp, err := t.Client.CreateSignatureWithResponse(t.Context(), generated.CreateSignatureRequest{
			QueryString: c.query, SecuritySettings: &generated.SecuritySettings{ExpirationEnabled: b(false)}})
		if err != nil {
			t.Fatalf("%s: %v", opCreateSignature, err)
		}
		if !t.Status(opCreateSignature+" of "+strconv.Quote(c.query), resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
			clear(r.matchesAll)
			continue
		}
		s := resp.JSON200
		r.signed = append(r.signed, strconv.Quote(c.query))
		for i, v := range vs {
			if !strings.EqualFold(v.Algorithm.Sign(s.SignedQueryString, secret), s.Signature) {
				r.matchesAll[i] = false
			}
		}
		if want := def.Algorithm.Sign(s.SignedQueryString, secret); !strings.EqualFold(want, s.Signature) {
			r.mismatched = append(r.mismatched, c)
			t.Errorf("%s: signature of %q = %s, want %s (signing variant %q with the API key as secret)",
				opCreateSignature, c.query, s.Signature, want, def.Name)
		}
	}
	return r
}

// decideEscapingAndOrder decides the escaping and key-order probes from the cases the default
// variant (named def) signs differently, once the target is known to match the variant(s) which:
// a probe is contradicted by a differing case that bears on it alone.
func decideEscapingAndOrder(t *T, mismatched []canonicalCase, def, which string) {
	differs := map[string][]string{}
	both := false
	for _, c := range mismatched {
		if c.bears == "" {
			both = true
			continue
		}
		differs[c.bears] = append(differs[c.bears], strconv.Quote(c.query))
	}
	other := map[string]string{probeEscaping: probeKeyOrder, probeKeyOrder: probeEscaping}
	for _, id := range []string{probeEscaping, probeKeyOrder} {
		switch {
		case len(differs[id]) > 0:
			t.Decide(id, false, fmt.Sprintf("the signatures of %s differ from the default variant %q's; production matches signing variant %s",
				strings.Join(differs[id], ", "), def, which))
		case !both || len(differs[other[id]]) > 0:
			// A query string that tells both apart differs, but the other assumption's own
			// query strings already account for it.
			t.Decide(id, true, fmt.Sprintf("every query string that tells %s apart signs as the default variant %q does; production matches signing variant %s",
				id, def, which))
		default:
			t.Decide(id, false, fmt.Sprintf("only query strings that tell escaping and key order apart together differ from the default variant %q's, so either may be wrong; production matches signing variant %s",
				def, which))
		}
	}
}

func variantNames(vs []signing.Variant) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = strconv.Quote(v.Name)
	}
	return strings.Join(names, ", ")
}

func init() {
	register(
		Scenario{Name: "signatures/canonical-form", Needs: []Need{ReadOnly}, Probes: []string{probeEscaping, probeKeyOrder, probeSecret}, Run: canonicalForm},
		Scenario{Name: "signatures/response-echoes-query", Needs: []Need{ReadOnly}, Probes: []string{"signing.response-echoes-query"}, Run: func(t *T) {
			for _, settings := range []*generated.SecuritySettings{
				{EnableNonce: b(true), ExpirationInSeconds: i32(600)},
				{ExpirationInSeconds: i32(600)},
				{ExpirationEnabled: b(false)},
			} {
				const q = "userId=User123&age=25"
				s := signWith(t, q, settings)
				ps := signing.Parse(strings.TrimPrefix(s.SignedQueryString, q))
				reExp, hasExp := ps.Get(signing.ParamExpiration)
				reNonce, hasNonce := ps.Get(signing.ParamNonce)
				reSig, _ := ps.Get(signing.ParamSignature)
				what := describeSettings(settings)
				if s.Expiration != nil {
					t.Equal(opCreateSignature, "reExpiration in signedQueryString "+what, reExp, strconv.FormatInt(*s.Expiration, 10))
				} else {
					t.True(!hasExp, opCreateSignature, "reExpiration in signedQueryString "+what, reExp, "absent, as expiration is")
				}
				if s.Nonce != nil {
					t.Equal(opCreateSignature, "reNonce in signedQueryString "+what, reNonce, *s.Nonce)
				} else {
					t.True(!hasNonce, opCreateSignature, "reNonce in signedQueryString "+what, reNonce, "absent, as nonce is")
				}
				t.Equal(opCreateSignature, "reSignature in signedQueryString "+what, reSig, s.Signature)
			}
		}},
	)
}

func describeSettings(s *generated.SecuritySettings) string {
	var parts []string
	if s.EnableNonce != nil && *s.EnableNonce {
		parts = append(parts, "nonce")
	}
	if s.ExpirationEnabled != nil && !*s.ExpirationEnabled {
		parts = append(parts, "no expiration")
	} else {
		parts = append(parts, "expiration")
	}
	return "(with " + strings.Join(parts, " and ") + ")"
}
