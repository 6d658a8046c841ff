package signing_test

import (
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/signing"
)

// Benchmarks of the signing algorithm: run with
//
//	go test -run '^$' -bench . -benchmem ./signing/
//
// The inputs are the vendor's example query and a longer, typical hosted-page link.

const (
	benchSecret = "ZGV2LWFjY291bnQ6dmVyaWZleWUtbW9jay1kZXYtc2VjcmV0"
	benchShort  = "userId=User123&age=25&gender=male"
	benchLong   = "userId=User%20123&campaignId=camp-456&reExternalId=ext-0042&Language=en-GB&returnTo=https%3A%2F%2Fshop.example.com%2Fcheckout%3Fstep%3D3&reExpiration=1747852400&reNonce=bf5c7f4e8a794e41a58e08dfd634f816"
)

var benchNow = time.Unix(1_747_766_000, 0)

var sinkString string

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct{ name, q string }{{"short", benchShort}, {"long", benchLong}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = signing.Parse(c.q)
			}
		})
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	for _, c := range []struct{ name, q string }{{"short", benchShort}, {"long", benchLong}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkString = signing.Canonicalize(c.q)
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	for _, c := range []struct{ name, q string }{{"short", benchShort}, {"long", benchLong}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkString = signing.Sign(c.q, benchSecret)
			}
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	nonce := func() string { return "bf5c7f4e8a794e41a58e08dfd634f816" }
	on := true
	for _, c := range []struct {
		name     string
		settings signing.Settings
	}{
		{"default", signing.Settings{}},
		{"nonce", signing.Settings{EnableNonce: &on}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := signing.Create(benchShort, benchSecret, c.settings, benchNow, nonce)
				if err != nil {
					b.Fatal(err)
				}
				sinkString = s.SignedQueryString
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	on := true
	signed, err := signing.Create(benchShort, benchSecret, signing.Settings{EnableNonce: &on}, benchNow,
		func() string { return "bf5c7f4e8a794e41a58e08dfd634f816" })
	if err != nil {
		b.Fatal(err)
	}
	unused := func(string) bool { return false }
	for _, c := range []struct {
		name, q string
		want    signing.Result
	}{
		{"valid", signed.SignedQueryString, signing.Valid},
		{"invalid", signed.SignedQueryString[:len(signed.SignedQueryString)-1] + "0", signing.Invalid},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, _ := signing.Validate(c.q, benchSecret, benchNow, unused)
				if got != c.want {
					b.Fatalf("Validate = %s, want %s", got, c.want)
				}
			}
		})
	}
}

// BenchmarkLoadRequests signs and checks what the mock's load benchmark sends to
// /v1/signature/create and /v1/signature/validate: a short query with the nonce enabled, and the
// signed query string that create returned.
func BenchmarkLoadRequests(b *testing.B) {
	const query = "userId=User123&age=25"
	on := true
	settings := signing.Settings{EnableNonce: &on}
	nonce := func() string { return "bf5c7f4e8a794e41a58e08dfd634f816" }
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := signing.Create(query, benchSecret, settings, benchNow, nonce)
			if err != nil {
				b.Fatal(err)
			}
			sinkString = s.SignedQueryString
		}
	})
	signed, err := signing.Create(query, benchSecret, settings, benchNow, nonce)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("validate", func(b *testing.B) {
		b.ReportAllocs()
		unused := func(string) bool { return false }
		for b.Loop() {
			if got, _ := signing.Validate(signed.SignedQueryString, benchSecret, benchNow, unused); got != signing.Valid {
				b.Fatalf("Validate = %s, want Valid", got)
			}
		}
	})
}
