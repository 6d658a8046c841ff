// Package signing signs and verifies VerifEye query strings offline, the way
// the VerifEye Service API's /v1/signature/create and /v1/signature/validate
// endpoints do, so a backend can build and check signed links to the hosted
// verification page without a network call.
//
// # Canonical-query SHA-256
//
// The vendor's documented scheme, [CanonicalSHA256], hashes a canonical form
// of the query built as the vendor's legacy C# sample builds it with ASP.NET
// Core and .NET calls. A query string is first read as QueryHelpers.ParseQuery
// reads it, so that no input is ever rejected (see [Parse]):
//
//   - one leading '?' is dropped;
//   - the rest is split on '&' and empty pieces are skipped;
//   - each piece is split on its first '='; a piece without '=' has an empty value;
//   - '+' is a space, then percent escapes are undone as Uri.UnescapeDataString
//     undoes them: a '%' without two hexadecimal digits after it stays a '%',
//     and escaped bytes that are not well-formed UTF-8 stay escaped.
//
// The parameters are then brought into canonical form (see [Canonicalize]):
//
//   - parameters whose keys are equal ignoring case (OrdinalIgnoreCase) form one key;
//   - the reSignature key is dropped, whatever its case;
//   - keys and values are lowercased as .NET's invariant culture does (U+0130 İ stays);
//   - the keys are ordered, and each key's values among themselves, stably, with the
//     variant's comparer: the ICU root collation (dotnet-icu, the default) or UTF-16
//     code units (dotnet-ordinal);
//   - each pair is written key=value with .NET's UrlEncoder.Default on both sides:
//     A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @ as they are, anything else %XX of its
//     UTF-8 bytes in upper-case hexadecimal, a space %20;
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
// # Variants
//
// Which comparer production's OrderBy uses depends on how its .NET runtime
// is deployed, so the canonical form comes in named variants ([Variants],
// [VariantByName]): dotnet-icu (the default, [DefaultVariant]),
// dotnet-ordinal, and go-queryescape, the form older versions of this package
// built with Go's url.QueryEscape, kept so that links they signed can still
// be checked. docs/signing.md gives the sources each rule comes from.
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
// The package-level functions use the default variant. A [Signer] with
// another variant's [Algorithm] (see [Variant.Signer]), or any other
// Algorithm, can be used instead.
package signing
