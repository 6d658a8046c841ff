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
	var stack [16]Param
	params := appendParsed(stack[:0], query)

	sp := findSigningParams(params)
	sig, n := sp.values[0], sp.counts[0]
	if n != 1 || len(sig) != signatureLen || !isHex(sig, true) {
		return Invalid, nil
	}
	if !s.signatureMatches(params, query, secret, sig) {
		return Invalid, nil
	}

	switch exp, n := sp.values[1], sp.counts[1]; n {
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

	switch nonce, n := sp.values[2], sp.counts[2]; n {
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

// signatureMatches reports whether sig, 64 hexadecimal digits in either case, is the signature of
// query, read as params. Both sides are lowercased so that the comparison is case-insensitive yet
// still constant-time over the signature bytes.
func (s Signer) signatureMatches(params Params, query, secret, sig string) bool {
	form, ok := s.dotnetForm()
	if !ok {
		return constantTimeEqual(strings.ToLower(sig), strings.ToLower(s.algorithm().Sign(query, secret)))
	}
	var got [signatureLen]byte
	for i := range signatureLen {
		c := sig[i]
		if 'A' <= c && c <= 'F' {
			c += 'a' - 'A'
		}
		got[i] = c
	}
	want := sumParams(params, secret, form) // the same as Sign(query, secret), parsed once
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// signingParams is, for reSignature, reExpiration and reNonce in this order, the first value of
// each and how many parameters have it: what a search with sameKey for each finds, in one pass.
type signingParams struct {
	values [3]string
	counts [3]int
}

var signingNames = [3]string{ParamSignature, ParamExpiration, ParamNonce}

// findSigningParams looks the signing parameters up in params in one pass. An ASCII key can match
// only the name of its length; other keys are compared as sameKey compares them.
func findSigningParams(params Params) signingParams {
	var sp signingParams
	for _, p := range params {
		ascii := isASCII(p.Key)
		for i, name := range signingNames {
			if ascii {
				if !asciiEqualFold(p.Key, name) {
					continue
				}
			} else if !sameKey(p.Key, name) {
				continue
			}
			if sp.counts[i] == 0 {
				sp.values[i] = p.Value
			}
			sp.counts[i]++
			break
		}
	}
	return sp
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
