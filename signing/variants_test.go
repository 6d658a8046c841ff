package signing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/signing"
)

// variantVectors are canonical forms written by hand, one per variant, from the rules each variant
// follows (docs/signing.md), never computed by this package:
//
//   - decoding (dotnet-*): '+' is a space, then Uri.UnescapeDataString escape by escape: a '%'
//     without two hex digits stays '%', escaped bytes that are not UTF-8 stay escaped;
//   - lowercasing (dotnet-*): the invariant culture's simple mapping, U+0130 (İ) unchanged;
//   - escaping (dotnet-*): UrlEncoder.Default keeps A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @ and writes
//     anything else as %XX of its UTF-8 bytes, upper-case, a space as %20;
//   - ordering (dotnet-icu): the CLDR root collation chart (UCA DUCET order): space < '_' < '-' <
//     ',' ';' ':' '!' '?' '.' ”' '"' '(' ')' '[' ']' '{' '}' '@' '*' '/' '\' '&' '#' '%' '`' '^'
//     '+' '<' '=' '>' '|' < '~' < '$' < digits < letters < Han; symbols such as 😀 before digits;
//     an accent is a secondary difference (é sorts with e, after it); a proper prefix first;
//   - ordering (dotnet-ordinal): UTF-16 code units ('$' 0x24 < '-' 0x2D < '1' 0x31 < '_' 0x5F <
//     'b' 0x62 < '~' 0x7E < 'é' 0xE9; 😀 is 0xD83D 0xDE00, before U+FF41);
//   - go-queryescape: Go's url.QueryUnescape (the whole key or value kept raw on any bad escape),
//     strings.ToLower (invalid UTF-8 becomes U+FFFD, İ becomes i), byte order, url.QueryEscape
//     (keeps only A-Z a-z 0-9 - _ . ~; a space is '+').
var variantVectors = []struct {
	name, query           string
	icu, ordinal, goQuery string
}{
	{"vendor example", "userId=User123&age=25&gender=Male",
		"?age=25&gender=male&userid=user123", "?age=25&gender=male&userid=user123", "?age=25&gender=male&userid=user123"},
	{"space", "name=John Doe", "?name=john%20doe", "?name=john%20doe", "?name=john+doe"},
	{"plus is a space", "q=a+b", "?q=a%20b", "?q=a%20b", "?q=a+b"},
	{"percent-20 is a space", "q=a%20b", "?q=a%20b", "?q=a%20b", "?q=a+b"},
	{"at sign kept", "email=User@Example.com", "?email=user@example.com", "?email=user@example.com", "?email=user%40example.com"},
	{"sub-delims kept by UrlEncoder", "s=!$()*,;", "?s=!$()*,;", "?s=!$()*,;", "?s=%21%24%28%29%2A%2C%3B"},
	{"encoded & ' + = stay encoded", "s=%26%27%2B%3D", "?s=%26%27%2B%3D", "?s=%26%27%2B%3D", "?s=%26%27%2B%3D"},
	{"escaped percent", "p=100%25", "?p=100%25", "?p=100%25", "?p=100%25"},
	{"e acute", "city=Montr%C3%A9al", "?city=montr%C3%A9al", "?city=montr%C3%A9al", "?city=montr%C3%A9al"},
	{"u umlaut upper case", "name=J%C3%9CRGEN", "?name=j%C3%BCrgen", "?name=j%C3%BCrgen", "?name=j%C3%BCrgen"},
	{"Japanese", "k=%E6%97%A5%E6%9C%AC", "?k=%E6%97%A5%E6%9C%AC", "?k=%E6%97%A5%E6%9C%AC", "?k=%E6%97%A5%E6%9C%AC"},
	{"emoji", "e=%F0%9F%98%80", "?e=%F0%9F%98%80", "?e=%F0%9F%98%80", "?e=%F0%9F%98%80"},
	{"upper case", "A=B", "?a=b", "?a=b", "?a=b"},
	{"repeated key, values ordered", "k=a1&k=a_&k=a-", "?k=a_&k=a-&k=a1", "?k=a-&k=a1&k=a_", "?k=a-&k=a1&k=a_"},
	{"keys differing only in case", "B=2&b=1&A=x", "?a=x&b=1&b=2", "?a=x&b=1&b=2", "?a=x&b=1&b=2"},
	{"empty values", "b=&a=", "?a=&b=", "?a=&b=", "?a=&b="},
	{"piece without equals", "flag&a=1", "?a=1&flag=", "?a=1&flag=", "?a=1&flag="},
	{"empty key", "=v&a=1", "?=v&a=1", "?=v&a=1", "?=v&a=1"},
	{"keys with _ - digits ~", "a~=1&a1=2&a-=3&a_=4&ab=5",
		"?a_=4&a-=3&a~=1&a1=2&ab=5", "?a-=3&a1=2&a_=4&ab=5&a~=1", "?a-=3&a1=2&a_=4&ab=5&a~=1"},
	{"keys with $ and ~", "a$=1&a~=2", "?a~=2&a$=1", "?a$=1&a~=2", "?a%24=1&a~=2"},
	{"prefix first", "a1=2&a$=1&a=3", "?a=3&a$=1&a1=2", "?a=3&a$=1&a1=2", "?a=3&a%24=1&a1=2"},
	{"accented key", "%C3%A9a=1&eb=2&f=3", "?%C3%A9a=1&eb=2&f=3", "?eb=2&f=3&%C3%A9a=1", "?eb=2&f=3&%C3%A9a=1"},
	{"emoji and fullwidth letter", "k=%F0%9F%98%80&k=%EF%BC%A1",
		"?k=%F0%9F%98%80&k=%EF%BD%81", "?k=%F0%9F%98%80&k=%EF%BD%81", "?k=%EF%BD%81&k=%F0%9F%98%80"},
	{"invalid escapes", "a=%zz&b=x+%zz", "?a=%25zz&b=x%20%25zz", "?a=%25zz&b=x%20%25zz", "?a=%25zz&b=x%2B%25zz"},
	{"escaped byte that is not UTF-8", "k=%FF", "?k=%25ff", "?k=%25ff", "?k=%EF%BF%BD"},
	{"dotted capital I", "%C4%B0=1", "?%C4%B0=1", "?%C4%B0=1", "?i=1"},
	{"reSignature dropped", "a=1&ReSignature=abc", "?a=1", "?a=1", "?a=1"},
}

func TestVariantVectors(t *testing.T) {
	for _, tt := range variantVectors {
		for _, c := range []struct{ variant, want string }{
			{signing.VariantDotnetICU, tt.icu},
			{signing.VariantDotnetOrdinal, tt.ordinal},
			{signing.VariantGoQueryEscape, tt.goQuery},
		} {
			t.Run(c.variant+"/"+tt.name, func(t *testing.T) {
				v, err := signing.VariantByName(c.variant)
				if err != nil {
					t.Fatal(err)
				}
				if got := v.Algorithm.(signing.CanonicalSHA256).Canonicalize(tt.query); got != c.want {
					t.Errorf("%s: Canonicalize(%q) = %q, want %q", c.variant, tt.query, got, c.want)
				}
			})
		}
	}
}

// TestVariantSignatures checks whole signatures under the secret "your-secret-api-key". Each
// literal is sha256sum of the hand-written canonical form followed by the secret, e.g.
//
//	printf '%s' '?name=john%20doe''your-secret-api-key' | sha256sum
func TestVariantSignatures(t *testing.T) {
	const secret = "your-secret-api-key"
	tests := []struct{ variant, query, want string }{
		// ?age=25&gender=male&userid=user123
		{signing.VariantDotnetICU, "userId=User123&age=25&gender=Male", "dd915e836a19306b6edbfda10dbc533b40488eb7778a5a5661245a7160e373ac"},
		{signing.VariantDotnetOrdinal, "userId=User123&age=25&gender=Male", "dd915e836a19306b6edbfda10dbc533b40488eb7778a5a5661245a7160e373ac"},
		{signing.VariantGoQueryEscape, "userId=User123&age=25&gender=Male", "dd915e836a19306b6edbfda10dbc533b40488eb7778a5a5661245a7160e373ac"},
		// ?name=john%20doe
		{signing.VariantDotnetICU, "name=John+Doe", "3c40f0bd67f7b8664f17b311162b670c13a8e0df9b7d0642e2b313b4f1bc6f08"},
		// ?name=john+doe
		{signing.VariantGoQueryEscape, "name=John+Doe", "20361932b5b945d2cfd71fefe6ee1ee67d06ffa515f1f03511eeede60fd94927"},
		// ?a_=4&a-=3&a~=1&a1=2&ab=5
		{signing.VariantDotnetICU, "a~=1&a1=2&a-=3&a_=4&ab=5", "14a7aadc879c2e05e93c1ef88d0deabc9aa98ca265ae0831f2960b9808e3a159"},
		// ?a-=3&a1=2&a_=4&ab=5&a~=1
		{signing.VariantDotnetOrdinal, "a~=1&a1=2&a-=3&a_=4&ab=5", "a1e9337faf720da1d9b7d632b14a25e2d4ae7a9ef464677b3d6d6340224c66bb"},
		// ?%C3%A9a=1&eb=2&f=3
		{signing.VariantDotnetICU, "%C3%A9a=1&eb=2&f=3", "5351ddf0bf9c69b61ffffa288f4fbadb651402f0920b58f97542c7d21090c7f3"},
		// ?eb=2&f=3&%C3%A9a=1
		{signing.VariantDotnetOrdinal, "%C3%A9a=1&eb=2&f=3", "b0c7a2f811fc36b7b05ca3636128f5ff7b46fca4e2c9749d8ece9b99bbce7c89"},
		// ?email=user@example.com
		{signing.VariantDotnetICU, "email=User@Example.com", "d1f7d3b8bc21f7a8a50b53a25f4234040989f0b04f72bae0c00fae9c27b133a0"},
		// ?email=user%40example.com
		{signing.VariantGoQueryEscape, "email=User@Example.com", "70ca0def54036432acd77ad5a2b54eded3033882b440e52e7e07981923d31697"},
	}
	for _, tt := range tests {
		t.Run(tt.variant+"/"+tt.query, func(t *testing.T) {
			v, err := signing.VariantByName(tt.variant)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Algorithm.Sign(tt.query, secret); got != tt.want {
				t.Errorf("Sign(%q) = %s, want %s", tt.query, got, tt.want)
			}
		})
	}
}

// TestOrdinalAndICUDiffer shows the two .NET orderings disagreeing on the keys that tell them
// apart, so a production signature over such a query says which one production uses.
func TestOrdinalAndICUDiffer(t *testing.T) {
	icu, _ := signing.VariantByName(signing.VariantDotnetICU)
	ord, _ := signing.VariantByName(signing.VariantDotnetOrdinal)
	for _, q := range []string{"a_=1&a1=2", "a-=1&a_=2", "a~=1&a1=2", "a$=1&a~=2", "%C3%A9a=1&eb=2"} {
		if icu.Algorithm.Sign(q, "k") == ord.Algorithm.Sign(q, "k") {
			t.Errorf("dotnet-icu and dotnet-ordinal sign %q alike", q)
		}
	}
	for _, q := range []string{"userId=User123&age=25&gender=Male", "b=1&a=2&c=3"} {
		if icu.Algorithm.Sign(q, "k") != ord.Algorithm.Sign(q, "k") {
			t.Errorf("dotnet-icu and dotnet-ordinal sign %q differently; they agree on plain letters", q)
		}
	}
}

func TestVariantsAPI(t *testing.T) {
	vs := signing.Variants()
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
		if v.Summary == "" || v.Algorithm == nil {
			t.Errorf("variant %q lacks a summary or an algorithm", v.Name)
		}
	}
	if want := []string{"dotnet-icu", "dotnet-ordinal", "go-queryescape"}; !slices.Equal(names, want) {
		t.Errorf("Variants() names = %q, want %q", names, want)
	}
	if d := signing.DefaultVariant(); d.Name != vs[0].Name || d.Name != "dotnet-icu" {
		t.Errorf("DefaultVariant() = %q, want dotnet-icu, first of Variants()", d.Name)
	}
	vs[0].Name = "changed"
	if signing.Variants()[0].Name != "dotnet-icu" {
		t.Error("Variants() hands out its own slice")
	}
	_, err := signing.VariantByName("nope")
	if err == nil || !strings.Contains(err.Error(), "dotnet-icu, dotnet-ordinal, go-queryescape") {
		t.Errorf("VariantByName(nope) error = %v, want one listing the names", err)
	}
	// The package-level functions and the zero Signer use the default variant.
	q := "a_=1&a1=2"
	if signing.Sign(q, "k") != signing.DefaultVariant().Algorithm.Sign(q, "k") {
		t.Error("Sign does not use the default variant")
	}
}
