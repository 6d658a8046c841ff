package signing

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"
)

// Result is the outcome of [Validate], spelled as the API reports it.
type Result string

// The possible results of [Validate].
const (
	// Valid means the signature, expiration and nonce are all good.
	Valid Result = "Valid"
	// Invalid means the signature is missing, repeated, malformed or wrong,
	// or a signed reExpiration or reNonce is malformed or repeated.
	Invalid Result = "Invalid"
	// Expired means the link's reExpiration is in the past.
	Expired Result = "Expired"
	// NonceAlreadyUsed means the link's reNonce has been consumed.
	NonceAlreadyUsed Result = "NonceAlreadyUsed"
)

// signatureLen is the length of a hex-encoded SHA-256 signature.
const signatureLen = 64

// Validate checks query with the default variant; see [Signer.Validate].
func Validate(query, secret string, now time.Time, nonceUsed func(nonce string) bool) (Result, error) {
	return Signer{}.Validate(query, secret, now, nonceUsed)
}

// Validate checks a signed query string the way POST /v1/signature/validate
// does. The checks run in the order signature, expiration, nonce, and the
// first that fails decides the result:
//
//   - query must hold exactly one reSignature of 64 hexadecimal characters,
//     in either case, equal to the signature of query; otherwise Invalid.
//   - If reExpiration is present it must appear once and be a base-10
//     integer, otherwise Invalid; the link is Expired when now is past that
//     unix second, and still valid during it.
//   - If reNonce is present it must appear once and be 32 lowercase
//     hexadecimal characters, otherwise Invalid; the link is
//     NonceAlreadyUsed when nonceUsed reports the nonce as used.
//
// nonceUsed only asks; Validate never consumes a nonce. It is called at
// most once, only for a link whose signature and expiration are good, and
// may be nil when no nonce has ever been used.
//
// The only error is [ErrEmptyQuery], returned with Invalid, for a query that
// is empty once spaces and a leading '?' are removed.
func (s Signer) Validate(query, secret string, now time.Time, nonceUsed func(nonce string) bool) (Result, error) {
	if isBlank(query) {
		return Invalid, ErrEmptyQuery
	}
	params := Parse(query)

	sig, n := params.lookup(ParamSignature)
	if n != 1 || len(sig) != signatureLen || !isHex(sig, true) {
		return Invalid, nil
	}
	// Lowercase both sides so the comparison is case-insensitive yet still
	// constant-time over the signature bytes.
	got := strings.ToLower(sig)
	var want string
	if form, ok := s.dotnetForm(); ok {
		want = signParams(params, secret, form) // the same as Sign(query, secret), parsed once
	} else {
		want = strings.ToLower(s.algorithm().Sign(query, secret))
	}
	if !constantTimeEqual(got, want) {
		return Invalid, nil
	}

	switch exp, n := params.lookup(ParamExpiration); n {
	case 0:
	case 1:
		exp, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return Invalid, nil
		}
		if now.Unix() > exp {
			return Expired, nil
		}
	default:
		return Invalid, nil
	}

	switch nonce, n := params.lookup(ParamNonce); n {
	case 0:
	case 1:
		if !isNonce(nonce) {
			return Invalid, nil
		}
		if nonceUsed != nil && nonceUsed(nonce) {
			return NonceAlreadyUsed, nil
		}
	default:
		return Invalid, nil
	}
	return Valid, nil
}

// constantTimeEqual is subtle.ConstantTimeCompare for strings; signatures fit the stack buffers.
func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) <= signatureLen {
		var x, y [signatureLen]byte
		copy(x[:], a)
		copy(y[:], b)
		return subtle.ConstantTimeCompare(x[:len(a)], y[:len(b)]) == 1
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
