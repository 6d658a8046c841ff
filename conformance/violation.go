package conformance

import (
	"fmt"
	"strings"
)

// Violation is one way an exchange broke the spec.
type Violation struct {
	// Operation is the operationId of the operation the request was routed to; empty when it
	// matched none.
	Operation string
	// Method and Path are the request's method and URL path.
	Method, Path string
	// Status is the response's status code; 0 for a violation of the request.
	Status int
	// Phase is PhaseRequest or PhaseResponse.
	Phase string
	// Field is what the violation is about, when known: a parameter's name, a dotted JSON path
	// into the body ("securitySettings.expirationInSeconds"), "body", "status" or a header name.
	Field string
	// Message says which rule was broken, with the expected and the actual value where known.
	Message string
}

// String describes the violation on one line, for example
//
//	CreateSignature (POST /v1/signature/create) response 200: signature: value must be a string; got 5
func (v Violation) String() string {
	var b strings.Builder
	op := v.Operation
	if op == "" {
		op = "no operation"
	}
	fmt.Fprintf(&b, "%s (%s %s) %s", op, v.Method, v.Path, v.Phase)
	if v.Phase == PhaseResponse && v.Status != 0 {
		fmt.Fprintf(&b, " %d", v.Status)
	}
	b.WriteString(": ")
	if v.Field != "" {
		b.WriteString(v.Field + ": ")
	}
	b.WriteString(v.Message)
	return b.String()
}
