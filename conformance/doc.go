// Package conformance checks HTTP exchanges against the VerifEye Service API's OpenAPI document,
// openapi.yaml, as embedded in package generated.
//
// Its [Transport] is an [http.RoundTripper] that sits between a client (the generated one, or any
// other) and a server (the mock, or production). For every exchange it validates the request and
// the response with kin-openapi's openapi3filter and records each way they break the spec as a
// [Violation]: a request to a method and path the spec does not have, a parameter or body field of
// the wrong type, missing or out of range, a response status the operation does not declare, a
// response of the wrong content type, or a response body that does not match its schema. Every
// error is reported, not just the first.
//
// The Transport never fails a call because of a violation: the caller sees the server's response
// exactly as it was sent, body included, and asks the Transport afterwards what was wrong:
//
//	tr, err := conformance.NewTransport(nil)
//	if err != nil { ... }
//	client, err := generated.NewClientWithResponses(baseURL,
//		generated.WithHTTPClient(&http.Client{Transport: tr}))
//	...
//	for _, v := range tr.Violations() {
//		t.Error(v)
//	}
//
// Requests are routed to their operation by method and path alone (the host, and any base path
// of the spec's servers, are ignored), so the same Transport checks the offline mock and the EU or
// US production API. Authentication is not checked: the security requirements are accepted as
// met, so tests can send bad credentials on purpose and check the 401 themselves.
//
// Format validation is on ("uuid", "uri", "date-time", ...), with per-call validators rather
// than kin-openapi's global registry: "uuid" accepts any 8-4-4-4-12 hex string (the vendor's own
// example ids are not RFC 4122 version 1-5 UUIDs) and "uri" accepts any absolute URI.
package conformance
