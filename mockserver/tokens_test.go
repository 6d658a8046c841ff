package mockserver

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestTokenSignerMatchesJWT: the mock's signer writes exactly the token golang-jwt writes for the
// same claims and key, for the shape the mock issues and for every shape it hands to golang-jwt
// (odd characters, sub-second or negative times, several audiences, nbf, jti).
func TestTokenSignerMatchesJWT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"acc-1", "verifeye-mock", "39e00c96-6431-4b2e-8707-2fb80e561fbf", "a<b", "q\"uote", "back\\slash",
		"é", "tab\t", "amp&", "", "x y z", "~!@#$%^*()_+`-={}|[]:;',./?"}
	pick := func() string { return strs[rng.IntN(len(strs))] }
	for i := range 5000 {
		key := make([]byte, 1+rng.IntN(64))
		for j := range key {
			key[j] = byte(rng.Uint32())
		}
		at := func() *jwt.NumericDate {
			switch rng.IntN(6) {
			case 0:
				return nil
			case 1:
				return jwt.NewNumericDate(time.Unix(-rng.Int64N(1e9), 0))
			case 2:
				return &jwt.NumericDate{Time: time.Unix(rng.Int64N(4e9), rng.Int64N(1e9))}
			}
			return jwt.NewNumericDate(time.Unix(rng.Int64N(4e9), 0))
		}
		c := tokenClaims{Account: pick(), RegisteredClaims: jwt.RegisteredClaims{
			Issuer: pick(), Subject: pick(), Audience: jwt.ClaimStrings{pick()}, ExpiresAt: at(), IssuedAt: at(),
		}}
		switch rng.IntN(8) {
		case 0:
			c.Audience = append(c.Audience, pick())
		case 1:
			c.NotBefore = at()
		case 2:
			c.ID = pick()
		case 3:
			c.Audience = nil
		}
		got, err := newTokenSigner(key).sign(c)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("claims %+v (case %d):\n signer  %s\n jwt     %s", c, i, got, want)
		}
	}
}

// TestTokenSignerWritesTheMocksTokensItself: the tokens the mock issues (one audience, whole
// seconds, plain strings) take the signer's own path, not golang-jwt's, which costs 33
// allocations a token: the signer's takes 3 (the claims' buffer stays on the stack), a few more
// under the race detector, which makes sync.Pool drop what it holds now and then.
func TestTokenSignerWritesTheMocksTokensItself(t *testing.T) {
	ts := newTokenSigner([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Unix(1_800_000_000, 0)
	for _, aud := range []string{sessionAud, bearerAud} {
		c := tokenClaims{Account: "acc-1", RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: "39e00c96-6431-4b2e-8707-2fb80e561fbf", Audience: jwt.ClaimStrings{aud},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
		}}
		if allocs := testing.AllocsPerRun(100, func() {
			if _, err := ts.sign(c); err != nil {
				t.Fatal(err)
			}
		}); allocs > 10 {
			t.Errorf("audience %s: %.0f allocations a token; the signer's own path takes 3, golang-jwt's 33", aud, allocs)
		}
	}
}

func BenchmarkTokenSigner(b *testing.B) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	c := tokenClaims{Account: "acc-1", RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Subject: "39e00c96-6431-4b2e-8707-2fb80e561fbf", Audience: jwt.ClaimStrings{sessionAud},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
	}}
	b.Run("signer", func(b *testing.B) {
		ts := newTokenSigner(key)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.sign(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("golang-jwt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key); err != nil {
				b.Fatal(err)
			}
		}
	})
}
