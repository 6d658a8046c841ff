package signing

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// Algorithm computes the signature of a query string.
//
// Sign must ignore every reSignature parameter in query, so that a signed
// query string can be checked by signing it again, and must return the
// signature as 64 hexadecimal characters.
type Algorithm interface {
	Sign(query, secret string) string
}

// AlgorithmFunc adapts an ordinary function to the [Algorithm] interface.
type AlgorithmFunc func(query, secret string) string

// Sign returns f(query, secret).
func (f AlgorithmFunc) Sign(query, secret string) string {
	return f(query, secret)
}

// CanonicalSHA256 is the vendor's documented algorithm and the package
// default: the lowercase hex SHA-256 of the canonical form of the query
// (see [Canonicalize]) followed directly by the secret.
type CanonicalSHA256 struct{}

// Sign returns the signature of query under secret.
func (CanonicalSHA256) Sign(query, secret string) string {
	return signParams(Parse(query), secret)
}

// signParams is [CanonicalSHA256.Sign] of a query already parsed: the canonical form is built in
// one buffer with the secret after it and hashed there.
func signParams(params Params, secret string) string {
	var stack [512]byte
	buf := appendCanonical(stack[:0], params)
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Sign returns the signature of query under secret using [CanonicalSHA256].
// Any reSignature parameter in query is ignored.
func Sign(query, secret string) string {
	return CanonicalSHA256{}.Sign(query, secret)
}

// lowerSignature is ParamSignature as the canonical form compares keys.
const lowerSignature = "resignature"

// Canonicalize returns the canonical form of query that [CanonicalSHA256]
// hashes: the parameters as read by [Parse], without reSignature, lowercased,
// sorted by key and then value, re-encoded with [url.QueryEscape] and joined
// as "?k1=v1&k2=v2". A query with no parameters canonicalises to "?".
func Canonicalize(query string) string {
	return string(appendCanonical(nil, Parse(query)))
}

// appendCanonical appends the canonical form of params to b.
func appendCanonical(b []byte, params Params) []byte {
	var stack [16]Param
	kept := stack[:0]
	if len(params) > len(stack) {
		kept = make([]Param, 0, len(params))
	}
	for _, p := range params {
		key := strings.ToLower(p.Key)
		if key == lowerSignature {
			continue
		}
		kept = append(kept, Param{Key: key, Value: strings.ToLower(p.Value)})
	}
	slices.SortFunc(kept, func(a, b Param) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value))
	})

	b = append(b, '?')
	for i, p := range kept {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, url.QueryEscape(p.Key)...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(p.Value)...)
	}
	return b
}
