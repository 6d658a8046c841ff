package signing_test

import (
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

func FuzzSignThenValidate(f *testing.F) {
	f.Add(vendorQuery, 3600, true, true)
	f.Add("?a=1&b=2", 86400, true, false)
	f.Add("flag&&=&a==b", 1, false, false)
	f.Add("bad=%zz&q=a+b%2B&name=Zürich", 604800, true, true)
	f.Add("??reSignature=1", 60, true, false)
	f.Add(" ? x", 60, true, false)
	f.Add("a=\xff\xfe&%C4%B0=1", 60, true, true)
	f.Fuzz(func(t *testing.T, query string, lifetime int, expiration, nonce bool) {
		now := time.Unix(1_700_000_000, 0)
		settings := signing.Settings{
			ExpirationEnabled:   &expiration,
			ExpirationInSeconds: &lifetime,
			EnableNonce:         &nonce,
		}
		signed, err := signing.Create(query, secret, settings, now, fixNonce)
		if err != nil {
			return
		}
		got, err := signing.Validate(signed.SignedQueryString, secret, now, nil)
		if got != signing.Valid || err != nil {
			t.Fatalf("Create(%q) gave %q, which validates as %v, %v", query, signed.SignedQueryString, got, err)
		}
		if nonce {
			used := func(string) bool { return true }
			if got, _ := signing.Validate(signed.SignedQueryString, secret, now, used); got != signing.NonceAlreadyUsed {
				t.Fatalf("Validate(%q) with the nonce used = %v, want NonceAlreadyUsed", signed.SignedQueryString, got)
			}
		}
	})
}
