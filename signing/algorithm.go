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

// Form is one way of building the canonical form that [CanonicalSHA256]
// hashes. The zero Form is the default variant's.
type Form int

// The forms of the variants; see [Variants].
const (
	// FormDotnetICU is .NET with ICU: culture ordering under the ICU root collation.
	FormDotnetICU Form = iota
	// FormDotnetOrdinal is .NET in invariant globalization mode: ordinal UTF-16 ordering.
	FormDotnetOrdinal
	// FormGoQueryEscape is the form older versions of the mock built, with Go's url.QueryEscape.
	FormGoQueryEscape
)

// CanonicalSHA256 is the vendor's documented algorithm: the lowercase hex
// SHA-256 of the canonical form of the query followed directly by the
// secret. Form chooses how the canonical form is built; the zero value is
// the default variant (see [DefaultVariant]).
type CanonicalSHA256 struct {
	Form Form
}

// Sign returns the signature of query under secret.
func (a CanonicalSHA256) Sign(query, secret string) string {
	if a.Form == FormGoQueryEscape {
		return signCanonical(appendCanonicalGo(nil, parseGo(query)), secret)
	}
	var stack [16]Param
	return signParams(appendParsed(stack[:0], query), secret, a.Form)
}

// Canonicalize returns the canonical form of query that a's Sign hashes
// before the secret; see the package documentation for each form's rules.
// A query with no parameters canonicalises to "?".
func (a CanonicalSHA256) Canonicalize(query string) string {
	if a.Form == FormGoQueryEscape {
		return string(appendCanonicalGo(nil, parseGo(query)))
	}
	var stack [16]Param
	var buf [256]byte
	return string(appendCanonicalDotnet(buf[:0], appendParsed(stack[:0], query), a.Form))
}

// signParams is Sign of a query already read by [Parse], for the .NET forms.
func signParams(params Params, secret string, form Form) string {
	h := sumParams(params, secret, form)
	return string(h[:])
}

// signCanonical appends secret to the canonical form buf and returns the hex SHA-256 of both.
func signCanonical(buf []byte, secret string) string {
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Sign returns the signature of query under secret with the default
// variant's algorithm. Any reSignature parameter in query is ignored.
func Sign(query, secret string) string {
	return CanonicalSHA256{}.Sign(query, secret)
}

// Canonicalize returns the canonical form of query under the default
// variant: see [CanonicalSHA256.Canonicalize].
func Canonicalize(query string) string {
	return CanonicalSHA256{}.Canonicalize(query)
}

// lowerSignature is ParamSignature as the canonical form compares keys.
const lowerSignature = "resignature"

// parseGo reads a query string as older versions of the mock did, for [FormGoQueryEscape]: like
// [Parse], except that a key or value is decoded with Go's url.QueryUnescape and kept as its raw
// text, whole, when it holds any invalid escape.
func parseGo(query string) Params {
	return parseWith(query, decodeGo)
}

func decodeGo(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// appendCanonicalGo appends the canonical form older versions of the mock built: reSignature
// dropped (keys compared after strings.ToLower), keys and values lowercased with strings.ToLower,
// sorted by key then value in byte order, each escaped with url.QueryEscape ('@' is "%40", a
// space '+').
func appendCanonicalGo(b []byte, params Params) []byte {
	kept := make([]Param, 0, len(params))
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
