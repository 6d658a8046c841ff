// Package generated holds the code generated from openapi.yaml by oapi-codegen: the wire types of
// the VerifEye Service API, the standard-library server and its strict interface (implemented by
// the mock), and the typed client with parsed responses. Two packages beside it are generated
// from the same spec: openapidoc (the embedded spec) and requestspec (the request rules the mock
// checks).
//
// Everything in *.gen.go is generated; change openapi.yaml and run `go generate ./...`.
package generated

//go:generate go tool oapi-codegen -config ../oapi-codegen.yaml ../openapi.yaml
//go:generate go tool oapi-codegen -config ../oapi-codegen-spec.yaml ../openapi.yaml
//go:generate go run ../internal/cmd/requestspecgen -o requestspec/requestspec.gen.go -control ../mockserver/control-openapi.yaml -control-schemas SubjectSpec ../openapi.yaml
