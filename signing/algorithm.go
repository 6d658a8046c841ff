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
	sum := sha256.Sum256([]byte(Canonicalize(query) + secret))
	return hex.EncodeToString(sum[:])
}

// Sign returns the signature of query under secret using [CanonicalSHA256].
// Any reSignature parameter in query is ignored.
func Sign(query, secret string) string {
	return CanonicalSHA256{}.Sign(query, secret)
}

// Canonicalize returns the canonical form of query that [CanonicalSHA256]
// hashes: the parameters as read by [Parse], without reSignature, lowercased,
// sorted by key and then value, re-encoded with [url.QueryEscape] and joined
// as "?k1=v1&k2=v2". A query with no parameters canonicalises to "?".
func Canonicalize(query string) string {
	params := Parse(query)
	kept := make([]Param, 0, len(params))
	for _, p := range params {
		key := strings.ToLower(p.Key)
		if key == strings.ToLower(ParamSignature) {
			continue
		}
		kept = append(kept, Param{Key: key, Value: strings.ToLower(p.Value)})
	}
	slices.SortFunc(kept, func(a, b Param) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value))
	})

	var b strings.Builder
	b.WriteByte('?')
	for i, p := range kept {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}
