// Package reqcheck checks the requests of the VerifEye Service API as production reads them,
// before the mock's handlers see them: a request and its operation go in (Checker.Check), and
// the request to hand on (its query and body respelt to the spec's spelling, the body carrying
// its decoded value), the warning to give the client, or the problem to answer come out.
//
// What is checked is each operation's rules in openapi.yaml, compiled at generate time into
// spec.gen.go (Operations: method, path, query parameters and JSON body schema in a few plain Go
// values) by internal/cmd/requestspecgen, so the mock neither parses the spec nor links a
// generic validator when it starts. The generator accepts only the schema keywords Schema can
// express and fails on any other, so the spec cannot grow a rule the mock would silently skip.
// The checks and the problems they answer are those of kin-openapi's
// openapi3filter.ValidateRequest (OpenAPI 3.0, every error, formats checked, defaults not
// written into the body), which the tests keep as the reference: validation_kin_test.go runs
// both on the same requests and fails on any difference.
//
// How production's stack reads a request before the API sees it (ASP.NET Core's routing and
// System.Text.Json's web defaults) is in reading.go; the body's JSON is parsed by jsonvalue.go
// (with encoding/json as its reference); the control API's bodies are decoded strictly by
// decode.go.
package reqcheck

//go:generate go run ../cmd/requestspecgen -o spec.gen.go -control ../../mockserver/control-openapi.yaml -control-schemas SubjectSpec ../../openapi.yaml
