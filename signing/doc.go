// Package signing signs and verifies VerifEye query strings offline, the way
// the VerifEye Service API's /v1/signature/create and /v1/signature/validate
// endpoints do, so a backend can build and check signed links to the hosted
// verification page without a network call.
//
// # Canonical-query SHA-256
//
// The default [Algorithm], [CanonicalSHA256], is the vendor's documented
// scheme. A query string is first parsed leniently, as ASP.NET parses one,
// so that no input is ever rejected (see [Parse]):
//
//   - one leading '?' is dropped;
//   - the rest is split on '&' and empty pieces are skipped;
//   - each piece is split on its first '='; a piece without '=' has an empty value;
//   - key and value are percent-decoded with '+' meaning space; a key or value
//     holding an invalid escape such as "%zz" is kept as its raw text.
//
// The parameters are then brought into canonical form (see [Canonicalize]):
//
//   - every reSignature parameter is dropped, whatever the case of its key;
//   - keys and values are lowercased;
//   - the parameters are sorted by key and, within a key, by value, comparing
//     the decoded, lowercased text byte by byte;
//   - each is re-encoded as key=value with [url.QueryEscape] on both sides;
//   - the pairs are joined with '&' and prefixed with '?'.
//
// The signature is the lowercase hex SHA-256 of the canonical form followed
// directly by the secret API key, with no separator:
//
//	hex(sha256("?age=25&gender=male&userid=user123" + "your-secret-api-key"))
//
// Because the canonical form is lowercased and sorted, a signature survives
// reordering the parameters, changing their case and re-encoding them, but
// not changing what they say.
//
// # Signed links
//
// [Create] appends the signing parameters to a query string, in this order:
// reExpiration (unix seconds after which the link is expired), reNonce (a
// single-use 32-character lowercase hex value) and reSignature. The signature
// covers every parameter except reSignature itself, so the expiration and the
// nonce cannot be altered without invalidating the link.
//
// [Validate] checks the signature, then the expiration, then the nonce, and
// reports the first failure as a [Result]. It is read-only: it asks whether a
// nonce has been used but never consumes one; consuming is left to the caller
// when a session is actually started from the link.
//
// The package-level functions use [CanonicalSHA256]. A [Signer] with another
// [Algorithm] can be used instead should production turn out to sign
// differently.
package signing
