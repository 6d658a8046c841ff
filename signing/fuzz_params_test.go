package signing_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

// FuzzAppendThenParse checks the property the mock's redirect URLs rest on: Append leaves the
// query's own text as it is and adds parameters that Parse reads back exactly, after the query's
// own; and a query with no parameter the signing package reserves (reSignature, reExpiration,
// reNonce, in any case) validates once SignURLQuery has signed it.
func FuzzAppendThenParse(f *testing.F) {
	for _, s := range []struct{ query, key, value string }{
		{"", "a", "1"},
		{"?", "reVerificationSessionId", "a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
		{"result=passed", "reAge", "31"},
		{"a=1&", "k", "v"},
		{"??", "", ""},
		{"a=%zz&b=%", "key with spaces", "value&with=reserved+chars"},
		{"x=1", "Zürich", "J\u00dcRGEN"},
		{"x=\xff", "\xfe", "\x00"},
		{"reExpiration=1", "reFailedReason", "livenessFailed,ageVerificationFailed"},
		{"a=1&reSignature=" + strings.Repeat("0", 64), "b", "2"},
		{"&&&", "=", "="},
	} {
		f.Add(s.query, s.key, s.value)
	}
	reserved := []string{
		strings.ToLower(signing.ParamSignature), strings.ToLower(signing.ParamExpiration), strings.ToLower(signing.ParamNonce),
	}
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, query, key, value string) {
		added := signing.Param{Key: key, Value: value}
		got := signing.Append(query, added)
		if !strings.HasPrefix(got, query) {
			t.Fatalf("Append(%q, %+v) = %q, which does not start with the query", query, added, got)
		}
		// Append writes each byte of invalid UTF-8 as U+FFFD, as .NET's encoder writes a lone
		// surrogate; string([]rune(s)) does the same.
		want := append(signing.Parse(query), signing.Param{Key: string([]rune(key)), Value: string([]rune(value))})
		if back := signing.Parse(got); !slices.Equal(back, want) {
			t.Fatalf("Parse(Append(%q, %+v)) = %q, want %q", query, added, back, want)
		}
		for _, p := range want {
			if slices.Contains(reserved, strings.ToLower(p.Key)) {
				return // the signing parameters have rules of their own; FuzzSignThenValidate covers them
			}
		}
		signed := signing.SignURLQuery(got, secret)
		if r, err := signing.Validate(signed, secret, now, nil); r != signing.Valid || err != nil {
			t.Fatalf("Validate(SignURLQuery(%q)) = %v, %v; want Valid", got, r, err)
		}
	})
}
