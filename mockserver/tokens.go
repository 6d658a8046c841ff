package mockserver

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"sync"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
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

// The hosted complete endpoint (POST /verification/{verificationId}/sessions/{sessionId}/complete)
// takes the session's own credential, as the real Web SDK holds its session's token:
//
//   - a session started by a hosted link: the page token its camera page holds in a hidden form
//     field. It is an HMAC of the account, the verification and the session under a key drawn from
//     crypto/rand when the mock starts. Not the session's JWT: the JWT key comes from --seed (a
//     seeded mock issues the same tokens on every run), and seeded session ids are predictable
//     too, so anyone who knows the seed could forge a JWT for a session on another person's page.
//     The page key is never seeded, so a page token is known only to whoever was shown the page.
//     It is kept in memory only: after a restart with --data-dir a page opened before it is
//     refused (403) and its session completes through the control API.
//   - a session made by create-session: its sessionToken (HS256 JWT, 15 minutes), as the Web SDK
//     would present it.

// newPageKey is a fresh key for page tokens, from crypto/rand (which never fails).
func newPageKey() []byte {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return key
}

// pageToken is the token of the camera page for session of verification in account.
func (a *authenticator) pageToken(account string, verification, session uuid.UUID) string {
	mac := hmac.New(sha256.New, a.pageKey)
	mac.Write([]byte("verifeye-mock hosted page\x00" + account + "\x00"))
	mac.Write(verification[:])
	mac.Write(session[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkPageToken reports whether tok is the page token of session of verification in account.
func (a *authenticator) checkPageToken(tok, account string, verification, session uuid.UUID) bool {
	return hmac.Equal([]byte(tok), []byte(a.pageToken(account, verification, session)))
}

// checkSessionToken says why raw is not a valid sessionToken of session in acc (nil when it is):
// signed by the mock, for the Web SDK, about that session and account, and not expired by the
// account's clock.
func (a *authenticator) checkSessionToken(raw string, session uuid.UUID, acc *Account) error {
	var claims tokenClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return a.tokenKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(acc.state.clock.Now),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(sessionAud),
		jwt.WithSubject(session.String()),
		jwt.WithExpirationRequired(),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return errors.New("has expired (a sessionToken lives 15 minutes); complete the session through the control API")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return errors.New("must be a token the mock issued")
	case errors.Is(err, jwt.ErrTokenInvalidSubject):
		return errors.New("is another session's token")
	case err != nil:
		return errors.New("must be this session's token")
	case claims.Account != acc.ID:
		return errors.New("is a token of another account")
	}
	return nil
}
