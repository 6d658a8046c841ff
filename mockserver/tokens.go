package mockserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// tokenSigner signs the mock's HS256 tokens (Bearer tokens and session tokens). A token the
// mock issues has one shape (acc, iss, sub, one aud, exp, iat, whole seconds), which it writes
// straight into one buffer, with a pooled HMAC: the same bytes golang-jwt's
// NewWithClaims(SigningMethodHS256, claims).SignedString(key) gives
// (TestTokenSignerMatchesJWT), for a quarter of the cost, on every create-session. Any other
// shape is signed by golang-jwt.
type tokenSigner struct {
	key  []byte
	macs sync.Pool // of hash.Hash: HMAC-SHA256 with key
}

func newTokenSigner(key []byte) *tokenSigner {
	ts := &tokenSigner{key: key}
	ts.macs.New = func() any { return hmac.New(sha256.New, key) }
	return ts
}

// jwtHeader is the encoded header golang-jwt writes for HS256: {"alg":"HS256","typ":"JWT"}.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (ts *tokenSigner) sign(c tokenClaims) (string, error) {
	rc := c.RegisteredClaims
	if rc.Issuer == "" || rc.Subject == "" || len(rc.Audience) != 1 || rc.ExpiresAt == nil || rc.IssuedAt == nil ||
		rc.NotBefore != nil || rc.ID != "" || !jwt.MarshalSingleStringAsArray || jwt.TimePrecision != 1e9 ||
		!plainJSONString(c.Account) || !plainJSONString(rc.Issuer) || !plainJSONString(rc.Subject) || !plainJSONString(rc.Audience[0]) ||
		rc.ExpiresAt.Unix() < 0 || rc.ExpiresAt.Nanosecond() != 0 || rc.IssuedAt.Unix() < 0 || rc.IssuedAt.Nanosecond() != 0 {
		return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(ts.key)
	}
	var claims [256]byte
	j := append(claims[:0], `{"acc":"`...)
	j = append(j, c.Account...)
	j = append(j, `","iss":"`...)
	j = append(j, rc.Issuer...)
	j = append(j, `","sub":"`...)
	j = append(j, rc.Subject...)
	j = append(j, `","aud":["`...)
	j = append(j, rc.Audience[0]...)
	j = append(j, `"],"exp":`...)
	j = strconv.AppendInt(j, rc.ExpiresAt.Unix(), 10)
	j = append(j, `,"iat":`...)
	j = strconv.AppendInt(j, rc.IssuedAt.Unix(), 10)
	j = append(j, '}')

	enc := base64.RawURLEncoding
	out := make([]byte, 0, len(jwtHeader)+1+enc.EncodedLen(len(j))+1+enc.EncodedLen(sha256.Size))
	out = append(out, jwtHeader...)
	out = append(out, '.')
	out = enc.AppendEncode(out, j)
	mac := ts.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(out)
	var sum [sha256.Size]byte
	sig := mac.Sum(sum[:0])
	ts.macs.Put(mac)
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return string(out), nil
}

// plainJSONString reports whether encoding/json writes s as it is between quotes: printable
// ASCII without '"', '\\', '<', '>' and '&' (which it escapes).
func plainJSONString(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
