// Package generated holds the code generated from openapi.yaml by oapi-codegen: the wire types of
// the VerifEye Service API, the standard-library server and its strict interface (implemented by
// the mock), the typed client with parsed responses, and the embedded spec.
//
// Everything in verifeye.gen.go is generated; change openapi.yaml and run `go generate ./...`.
package generated

//go:generate go tool oapi-codegen -config ../oapi-codegen.yaml ../openapi.yaml
