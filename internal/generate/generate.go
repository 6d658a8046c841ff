// Package generate runs the project's code generators (`go generate ./...`, or `make generate`)
// on openapi.yaml; it holds no code. What they write is committed and never edited by hand:
//
//   - generated (oapi-codegen, oapi-codegen.yaml): the wire types of the VerifEye Service API,
//     the standard-library server and its strict interface (implemented by the mock), and the
//     typed client with parsed responses.
//   - generated/openapidoc (oapi-codegen, oapi-codegen-spec.yaml): openapi.yaml embedded;
//     GetSpec parses it with kin-openapi, GetSpecJSON returns it as JSON. The conformance
//     checker, the contract suite and the tests read the spec from there; the mock itself does
//     not parse it at run time.
//   - generated/mocks (mockery, .mockery.yaml): testify mocks of
//     generated.ClientWithResponsesInterface, for unit tests of code that depends on the client:
//     create one with mocks.NewClientWithResponsesInterface(t), program it through EXPECT(), and
//     it fails the test when an expected call is not made.
//
// The request rules the mock checks are compiled from the same spec into internal/reqcheck
// (spec.gen.go, by internal/cmd/requestspecgen; see internal/reqcheck/doc.go).
package generate

//go:generate go tool oapi-codegen -config ../../oapi-codegen.yaml ../../openapi.yaml
//go:generate go tool oapi-codegen -config ../../oapi-codegen-spec.yaml ../../openapi.yaml
//go:generate go tool mockery --config ../../.mockery.yaml
