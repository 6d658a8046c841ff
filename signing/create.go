package signing

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits and default of [Settings.ExpirationInSeconds].
const (
	MinExpirationSeconds     = 1
	MaxExpirationSeconds     = 604800 // 7 days
	DefaultExpirationSeconds = 86400  // 1 day
)

// Settings are the security settings of a signature request. A nil field
// means the field was omitted and takes its default.
type Settings struct {
	// ExpirationEnabled appends reExpiration to the signed query string.
	// Default true.
	ExpirationEnabled *bool
	// ExpirationInSeconds is the lifetime of the link, between
	// MinExpirationSeconds and MaxExpirationSeconds. It is checked even when
	// expiration is disabled. Default DefaultExpirationSeconds.
	ExpirationInSeconds *int
	// EnableNonce appends a single-use reNonce to the signed query string.
	// It requires expiration to be enabled. Default false.
	EnableNonce *bool
}

// Signed is the outcome of [Create].
type Signed struct {
	// Signature is the signature, also appended as reSignature.
	Signature string
	// SignedQueryString is the input query string followed by the signing
	// parameters, without a leading '?'.
	SignedQueryString string
	// Expiration is the reExpiration value in unix seconds, or nil when
	// expiration is disabled.
	Expiration *int64
	// Nonce is the reNonce value, or nil when the nonce is disabled.
	Nonce *string
}

// Signer creates and validates signed query strings with a chosen
// [Algorithm], such as a [Variant]'s (see [Variant.Signer]). The zero Signer
// uses the default variant, as do the package-level functions.
type Signer struct {
	// Algorithm computes signatures; nil means the default variant's.
	Algorithm Algorithm
}

func (s Signer) algorithm() Algorithm {
	if s.Algorithm == nil {
		return CanonicalSHA256{}
	}
	return s.Algorithm
}

// dotnetForm reports the form s signs with when it is one of the .NET forms of CanonicalSHA256,
// whose signature can be computed from parameters already read by Parse.
func (s Signer) dotnetForm() (Form, bool) {
	if s.Algorithm == nil {
		return FormDotnetICU, true
	}
	a, ok := s.Algorithm.(CanonicalSHA256)
	return a.Form, ok && a.Form != FormGoQueryEscape
}

// Create signs query with the default variant; see [Signer.Create].
func Create(query, secret string, settings Settings, now time.Time, newNonce func() string) (Signed, error) {
	return Signer{}.Create(query, secret, settings, now, newNonce)
}

// reservedErrs maps the lowercased reserved parameter names to the error for
// a query string that already contains them.
var reservedErrs = map[string]*RuleError{
	strings.ToLower(ParamSignature):  ErrReservedSignature,
	strings.ToLower(ParamExpiration): ErrReservedExpiration,
	strings.ToLower(ParamNonce):      ErrReservedNonce,
}

// Create signs query the way POST /v1/signature/create does.
//
// The returned SignedQueryString is query, less one leading '?', with its
// parameters in their original order and encoding, followed by
// "&reExpiration=<now+lifetime in unix seconds>" when expiration is enabled,
// "&reNonce=<nonce>" when the nonce is enabled, and "&reSignature=<signature>"
// last. The signature covers everything before reSignature.
//
// newNonce supplies the nonce and may be nil, meaning [RandomNonce]; it is
// called only when the nonce is enabled and must return 32 lowercase
// hexadecimal characters, or Create fails with [ErrMalformedNonce].
//
// Create returns one of the *[RuleError] values of this package when the
// request breaks a rule: an empty query string, a query string already
// holding reSignature, reExpiration or reNonce (keys compared
// case-insensitively), an ExpirationInSeconds out of range, or the nonce
// enabled without expiration.
func (s Signer) Create(query, secret string, settings Settings, now time.Time, newNonce func() string) (Signed, error) {
	if isBlank(query) {
		return Signed{}, ErrEmptyQuery
	}
	body := strings.TrimPrefix(query, "?")
	// Check the parameters as Validate will later read them from the signed
	// string, which begins with body rather than query.
	var stack [16]Param
	params := appendParsed(stack[:0], body)
	for _, p := range params {
		if err, ok := reservedErr(p.Key); ok {
			return Signed{}, err
		}
	}

	expirationEnabled, lifetime, nonceEnabled, err := settings.resolve()
	if err != nil {
		return Signed{}, err
	}

	var out Signed
	var fields *signedFields
	if expirationEnabled || nonceEnabled {
		fields = new(signedFields) // one allocation for both of out's pointers
	}
	var b strings.Builder
	// One buffer holds the signed query string; the unsigned part is its prefix, and the
	// expiration and the signature are substrings of it.
	b.Grow(len(body) + len("&"+ParamExpiration+"=") + 20 + len("&"+ParamNonce+"=") + 32 + len("&"+ParamSignature+"=") + signatureLen)
	b.WriteString(body)
	var exp string
	if expirationEnabled {
		fields.expiration = now.Unix() + int64(lifetime)
		out.Expiration = &fields.expiration
		b.WriteString("&" + ParamExpiration + "=")
		start := b.Len()
		var digits [20]byte
		b.Write(strconv.AppendInt(digits[:0], fields.expiration, 10))
		exp = b.String()[start:]
	}
	if nonceEnabled {
		if newNonce == nil {
			newNonce = RandomNonce
		}
		fields.nonce = newNonce()
		if !isNonce(fields.nonce) {
			return Signed{}, fmt.Errorf("%w: %q", ErrMalformedNonce, fields.nonce)
		}
		out.Nonce = &fields.nonce
		b.WriteString("&" + ParamNonce + "=")
		b.WriteString(fields.nonce)
	}
	b.WriteString("&" + ParamSignature + "=")
	if form, ok := s.dotnetForm(); ok {
		// Parse of the unsigned string is params followed by the parameters just added, which
		// need no decoding: sign those instead of parsing the string again.
		if expirationEnabled {
			params = append(params, Param{Key: ParamExpiration, Value: exp})
		}
		if nonceEnabled {
			params = append(params, Param{Key: ParamNonce, Value: fields.nonce})
		}
		sum := sumParams(params, secret, form)
		b.Write(sum[:])
		out.SignedQueryString = b.String()
		out.Signature = out.SignedQueryString[len(out.SignedQueryString)-signatureLen:]
		return out, nil
	}
	unsigned := strings.TrimSuffix(b.String(), "&"+ParamSignature+"=")
	out.Signature = s.algorithm().Sign(unsigned, secret)
	b.WriteString(out.Signature)
	out.SignedQueryString = b.String()
	return out, nil
}

// resolve returns the settings with their defaults applied, or the rule they break.
func (settings Settings) resolve() (expirationEnabled bool, lifetime int, nonceEnabled bool, err error) {
	expirationEnabled = settings.ExpirationEnabled == nil || *settings.ExpirationEnabled
	lifetime = DefaultExpirationSeconds
	if settings.ExpirationInSeconds != nil {
		lifetime = *settings.ExpirationInSeconds
		if lifetime < MinExpirationSeconds || lifetime > MaxExpirationSeconds {
			return false, 0, false, ErrExpirationOutOfRange
		}
	}
	nonceEnabled = settings.EnableNonce != nil && *settings.EnableNonce
	if nonceEnabled && !expirationEnabled {
		return false, 0, false, ErrNonceRequiresExpiration
	}
	return expirationEnabled, lifetime, nonceEnabled, nil
}

// signedFields holds what the pointers of a [Signed] point to.
type signedFields struct {
	expiration int64
	nonce      string
}

// reservedErr returns the error for a query string holding key, when key is one of the reserved
// parameters compared case-insensitively (as the canonical form's ToLower sees them).
func reservedErr(key string) (*RuleError, bool) {
	if isASCII(key) {
		for i, name := range signingNames {
			if asciiEqualFold(key, name) {
				return reservedErrList[i], true
			}
		}
		return nil, false
	}
	err, ok := reservedErrs[lowerDotnet(key)]
	return err, ok
}

// reservedErrList is reservedErrs in the order of signingNames.
var reservedErrList = [3]*RuleError{ErrReservedSignature, ErrReservedExpiration, ErrReservedNonce}

// RandomNonce returns a fresh random nonce from crypto/rand: a version 4 UUID
// written as 32 lowercase hexadecimal characters without dashes.
func RandomNonce() string {
	var u [16]byte
	// Since Go 1.24 rand.Read never returns an error; it crashes instead.
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return hex.EncodeToString(u[:])
}

// SignURLQuery signs rawQuery, a query string without its '?' as in
// [url.URL.RawQuery], with the default variant and returns it with
// "&reSignature=<signature>" appended. rawQuery must not already contain
// reSignature.
func SignURLQuery(rawQuery, secret string) string {
	return Signer{}.SignURLQuery(rawQuery, secret)
}

// SignURLQuery signs rawQuery, a query string without its '?' as in
// [url.URL.RawQuery], and returns it with "&reSignature=<signature>" appended
// (just "reSignature=<signature>" when rawQuery is empty). rawQuery must not
// already contain reSignature.
func (s Signer) SignURLQuery(rawQuery, secret string) string {
	return Append(rawQuery, Param{Key: ParamSignature, Value: s.algorithm().Sign(rawQuery, secret)})
}

// isBlank reports whether query has nothing in it once surrounding spaces
// and one leading '?' are removed.
func isBlank(query string) bool {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(query), "?")) == ""
}

// isNonce reports whether s has the nonce shape: 32 lowercase hexadecimal
// characters.
func isNonce(s string) bool {
	return len(s) == 32 && isHex(s, false)
}

// isHex reports whether s is non-empty and made only of hexadecimal digits,
// accepting 'A'-'F' when upper is set.
func isHex(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case upper && 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
