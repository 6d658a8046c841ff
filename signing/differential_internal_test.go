package signing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The canonical forms, Create and Validate take fast paths for ordinary queries (ASCII text,
// few parameters). These tests compare them, for every form, with the implementation they
// replaced (oracle_internal_test.go) over random queries built to reach the general paths too:
// non-ASCII text, U+0130 and the other characters .NET cases specially, mixed case, repeated
// keys, percent escapes valid and not, '+', empty keys and values, invalid UTF-8, controls and
// more parameters than the stack arrays hold.

// queryTokens are the pieces random keys and values are made of.
var queryTokens = []string{
	"a", "A", "b", "B", "z", "Z", "i", "I", "k", "K", "s", "S", "0", "9", "12", "user", "User", "ID",
	"İ", "ı", "ſ", "\u212a", "é", "É", "ß", "ẞ", "Ω", "ω", "ǅ", "😀", "\U00010400", "\ue000", "\uffff",
	"%", "%41", "%61", "%c4%b0", "%C4%B0", "%e2%82%ac", "%e2", "%e2%82", "%ff", "%zz", "%4", "%25", "%2B", "%26", "%3D",
	"+", "?", " ", "-", "_", "~", ".", "!", "$", "(", "*", ",", ";", "@", "#", "/", ":", "[", "^", "`", "{", "|", "'", "\"", "<", "\\",
	"\t", "\x00", "\x7f", "\xff", "\xc4", "\xed\xa0\x80",
}

// queryKeys are the keys random queries draw from, so that keys repeat, in several cases.
var queryKeys = []string{
	"", "a", "A", "b", "userId", "USERID", "UserId", "age", "Age", "reSignature", "RESIGNATURE", "reExpiration",
	"reNonce", "İd", "id", "ıd", "Id", "\u212a", "k", "K", "ſ", "s", "S", "key+1", "key%201", "key 1", "%C4%B0",
}

func randomText(r *rand.Rand, maxTokens int) string {
	var b strings.Builder
	for range r.IntN(maxTokens + 1) {
		b.WriteString(queryTokens[r.IntN(len(queryTokens))])
	}
	return b.String()
}

func randomKey(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return randomText(r, 3)
	}
	return queryKeys[r.IntN(len(queryKeys))]
}

// randomQuery returns a query of up to 24 pieces, sometimes with a leading '?'.
func randomQuery(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString([]string{"", "", "?", "??", "&"}[r.IntN(5)])
	n, key := r.IntN(8), ""
	if r.IntN(8) == 0 {
		n = 8 + r.IntN(17)
		if r.IntN(2) == 0 {
			key = randomKey(r) // one key with many values
		}
	}
	for i := range n {
		if i > 0 {
			b.WriteString([]string{"&", "&", "&", "&&"}[r.IntN(4)])
		}
		k := key
		if k == "" {
			k = randomKey(r)
		}
		switch r.IntN(8) {
		case 0: // a key without '='
			b.WriteString(k)
		case 1: // an empty value
			b.WriteString(k + "=")
		default:
			b.WriteString(k + "=" + randomText(r, 4))
		}
	}
	return b.String()
}

var forms = []Form{FormDotnetICU, FormDotnetOrdinal, FormGoQueryEscape}

// checkCanonicalMatchesOracle fails t when Parse, Canonicalize or Sign of query differ from the
// oracle's for any form.
func checkCanonicalMatchesOracle(t *testing.T, query string) {
	t.Helper()
	if got, want := Parse(query), oldParse(query); !slices.Equal(got, want) {
		t.Fatalf("Parse(%q) = %q, the oracle says %q", query, got, want)
	}
	for _, form := range forms {
		a := CanonicalSHA256{Form: form}
		if got, want := a.Canonicalize(query), oldCanonicalize(a, query); got != want {
			t.Fatalf("form %d: Canonicalize(%q) = %q, the oracle says %q", form, query, got, want)
		}
		if got, want := a.Sign(query, "k3y"), oldSign(a, query, "k3y"); got != want {
			t.Fatalf("form %d: Sign(%q) = %s, the oracle says %s", form, query, got, want)
		}
	}
}

// checkCreateValidateMatchOracle fails t when Create or Validate differ from the oracle's for
// query under any form.
func checkCreateValidateMatchOracle(t *testing.T, r *rand.Rand, query string) {
	t.Helper()
	now := time.Unix(1_700_000_000, 0)
	nonce := func() string { return "0123456789abcdef0123456789abcdef" }
	if r.IntN(8) == 0 {
		nonce = func() string { return "0123456789ABCDEF0123456789ABCDEF" }
	}
	for _, form := range forms {
		s := Signer{Algorithm: CanonicalSHA256{Form: form}}
		if form == FormDotnetICU && r.IntN(2) == 0 {
			s = Signer{}
		}
		exp, nonceOn, lifetime := r.IntN(4) != 0, r.IntN(2) == 0, []int{0, 1, 60, 604800, 604801}[r.IntN(5)]
		settings := Settings{ExpirationEnabled: &exp, EnableNonce: &nonceOn, ExpirationInSeconds: &lifetime}
		got, gotErr := s.Create(query, "k3y", settings, now, nonce)
		want, wantErr := s.oldCreate(query, "k3y", settings, now, nonce)
		if !reflect.DeepEqual(got, want) || !sameError(gotErr, wantErr) {
			t.Fatalf("form %d: Create(%q) with expiration %v for %ds, nonce %v = %s, %v; the oracle says %s, %v",
				form, query, exp, lifetime, nonceOn, describe(got), gotErr, describe(want), wantErr)
		}
		for _, q := range validateCases(r, s, query, got.SignedQueryString) {
			used := r.IntN(2) == 0
			nonceUsed := func(string) bool { return used }
			at := now.Add(time.Duration(r.IntN(3)-1) * time.Duration(lifetime+1) * time.Second)
			gotR, gotErr := s.Validate(q, "k3y", at, nonceUsed)
			wantR, wantErr := s.oldValidate(q, "k3y", at, nonceUsed)
			if gotR != wantR || !sameError(gotErr, wantErr) {
				t.Fatalf("form %d: Validate(%q) = %v, %v; the oracle says %v, %v", form, q, gotR, gotErr, wantR, wantErr)
			}
		}
	}
}

// validateCases are queries to validate: the signed one, the query signed by the oracle with its
// signature in upper case or spoiled, and with random signing parameters.
func validateCases(r *rand.Rand, s Signer, query, signed string) []string {
	sig := oldAlgSign(s.algorithm(), query, "k3y")
	qs := []string{
		query,
		Append(query, Param{Key: ParamSignature, Value: sig}),
		Append(query, Param{Key: "RESIGNATURE", Value: strings.ToUpper(sig)}),
		Append(query, Param{Key: ParamSignature, Value: "0" + sig[1:]}),
		Append(query, Param{Key: ParamNonce, Value: randomText(r, 2)}, Param{Key: ParamSignature, Value: sig}),
		Append(query, Param{Key: ParamExpiration, Value: fmt.Sprint(1_700_000_000 + r.IntN(3) - 1)}, Param{Key: ParamSignature, Value: sig}),
	}
	if signed != "" {
		qs = append(qs, signed, strings.ToUpper(signed), signed+"&"+randomKey(r)+"="+randomText(r, 2))
	}
	return qs
}

// describe shows what s's pointers point to.
func describe(s Signed) string {
	d := fmt.Sprintf("{Signature:%s SignedQueryString:%q", s.Signature, s.SignedQueryString)
	if s.Expiration != nil {
		d += fmt.Sprintf(" Expiration:%d", *s.Expiration)
	}
	if s.Nonce != nil {
		d += fmt.Sprintf(" Nonce:%s", *s.Nonce)
	}
	return d + "}"
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error() && errors.Is(a, ErrMalformedNonce) == errors.Is(b, ErrMalformedNonce)
}

func TestFastPathsMatchOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 6000
	if testing.Short() {
		n = 1000
	}
	for range n {
		q := randomQuery(r)
		checkCanonicalMatchesOracle(t, q)
		checkCreateValidateMatchOracle(t, r, q)
	}
}

func FuzzFastPathsMatchOracle(f *testing.F) {
	for _, q := range []string{
		"userId=User123&age=25", "?a=1&A=2&a=0", "İ=1&i=2&I=3&ı=4", "\u212a=0&k", "a=%zz&b=%&c=%C4%B0&d=+%2B",
		"x=\xff&\xff=\xc4", "RESIGNATURE=1&reSignature", "a=\t&a=\x00&a=~&a=!", "k=😀&k=\ue000&k=\uffff",
		strings.Repeat("k=v&", 20) + "K=V", "=&=&&=x",
	} {
		f.Add(q, uint64(1))
	}
	f.Fuzz(func(t *testing.T, query string, seed uint64) {
		checkCanonicalMatchesOracle(t, query)
		checkCreateValidateMatchOracle(t, rand.New(rand.NewPCG(seed, 0)), query)
	})
}
