package signing

import "errors"

// RuleError reports a request field that breaks one of the API's rules. Its
// Field is the dotted JSON path of the field, and Rule says what was wrong,
// in the words the API's problem details use.
type RuleError struct {
	Field string
	Rule  string
}

// Error returns "field: rule", the form of the API's problem detail.
func (e *RuleError) Error() string {
	return e.Field + ": " + e.Rule
}

// The rules [Create] enforces. Each is returned as is, so it can be matched
// with [errors.Is]; use [errors.As] with a *[RuleError] to read its field and
// rule. [Validate] returns only ErrEmptyQuery.
var (
	ErrEmptyQuery = &RuleError{Field: "queryString", Rule: "must not be empty"}

	ErrReservedSignature  = &RuleError{Field: "queryString", Rule: "must not contain the reserved parameter " + ParamSignature}
	ErrReservedExpiration = &RuleError{Field: "queryString", Rule: "must not contain the reserved parameter " + ParamExpiration}
	ErrReservedNonce      = &RuleError{Field: "queryString", Rule: "must not contain the reserved parameter " + ParamNonce}

	ErrExpirationOutOfRange    = &RuleError{Field: "securitySettings.expirationInSeconds", Rule: "must be between 1 and 604800"}
	ErrNonceRequiresExpiration = &RuleError{Field: "securitySettings.enableNonce", Rule: "requires expirationEnabled"}
)

// ErrMalformedNonce is returned, wrapped, by [Create] when its nonce
// generator returns something other than 32 lowercase hexadecimal
// characters. It signals a faulty generator, not a bad request.
var ErrMalformedNonce = errors.New("signing: nonce generator returned a malformed nonce")
