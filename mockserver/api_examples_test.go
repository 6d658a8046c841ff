package mockserver_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// Every request example in openapi.yaml is a request the mock accepts: beyond the schema (which
// TestEveryExampleMatchesItsSchema checks), it keeps the rules only descriptions can state, such as
// a collectionId with face recognition or a threshold with ThresholdVerification. The update
// example is sent for the verification the create example made.
func TestRequestExamplesAreAccepted(t *testing.T) {
	m := newMock(t)
	spec, err := openapidoc.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	example := func(path, method string) map[string]any {
		t.Helper()
		op := spec.Paths.Value(path).GetOperation(method)
		mt := op.RequestBody.Value.Content.Get("application/json")
		out, ok := mt.Example.(map[string]any)
		if !ok {
			t.Fatalf("%s %s: the request example is %T, want an object", method, path, mt.Example)
		}
		return out
	}
	send := func(method, path string, body map[string]any) apiResponse {
		t.Helper()
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r := m.send(method, path, raw)
		if r.status != http.StatusOK {
			t.Errorf("%s %s with its example: status %d, want 200; body %s", method, path, r.status, r.body)
		}
		return r
	}
	sent := 0
	// In this order: create makes the verification that update changes.
	var created generated.VerificationCreated
	r := send(http.MethodPost, "/v1/verification/create", example("/v1/verification/create", http.MethodPost))
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatalf("create: %v", err)
	}
	sent++
	upd := example("/v1/verification/update", http.MethodPut)
	upd["verificationId"] = created.VerificationId.String()
	send(http.MethodPut, "/v1/verification/update", upd)
	sent++
	for _, path := range spec.Paths.Keys() {
		for method, op := range spec.Paths.Value(path).Operations() {
			if op.RequestBody == nil || path == "/v1/verification/create" || path == "/v1/verification/update" {
				continue
			}
			send(method, path, example(path, method))
			sent++
		}
	}
	if sent < 6 {
		t.Errorf("sent %d examples; the walk is missing operations", sent)
	}
	if vs := m.requestViolations(); len(vs) != 0 {
		t.Errorf("the examples break the spec: %v", vs)
	}
}
