package generated_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// documented lists every operation of the API with the status codes the vendor documents (plus
// the ones the mock's decisions add, marked in the spec) and whether it needs authentication.
// Every API operation declares apiErrorStatuses besides.
var documented = []struct {
	method, path, operationID string
	statuses                  []string
	authenticated             bool
}{
	{"POST", "/v1/signature/create", "createSignature", []string{"200", "400", "401", "413", "414", "415", "431"}, true},
	{"POST", "/v1/signature/validate", "validateSignature", []string{"200", "400", "401", "413", "414", "415", "431"}, true},
	{"GET", "/v1/verification/get", "getVerification", []string{"200", "400", "401", "404", "414", "431"}, true},
	{"GET", "/v1/verification/get-all", "getAllVerifications", []string{"200", "401", "414", "431"}, true},
	{"POST", "/v1/verification/create", "createVerification", []string{"200", "400", "401", "409", "413", "414", "415", "431"}, true},
	{"POST", "/v1/verification/create-or-update", "createOrUpdateVerification", []string{"200", "400", "401", "413", "414", "415", "431"}, true},
	{"PUT", "/v1/verification/update", "updateVerification", []string{"200", "400", "401", "404", "409", "413", "414", "415", "431"}, true},
	{"DELETE", "/v1/verification/delete", "deleteVerification", []string{"200", "400", "401", "404", "414", "431"}, true},
	{"POST", "/v1/verification/create-session", "createSession", []string{"200", "400", "401", "413", "414", "415", "431"}, true},
	{"GET", "/v1/verification/get-session-result", "getSessionResult", []string{"200", "400", "401", "404", "414", "431"}, true},
	{"GET", "/v1/healthz", "getHealth", []string{"200", "414", "431"}, false},
	// The Security API's token operation, served by the mock so Bearer flows work offline.
	{"GET", "/v1/token/get", "getToken", []string{"200", "400", "401", "414", "431"}, true},
	// The hosted page a browser opens, described so that its statuses are part of the contract.
	{"GET", "/verification/{verificationId}", "openHostedPage", []string{"200", "303", "400", "403", "404", "410"}, false},
}

// apiErrorStatuses are declared on every operation of the API (not the hosted page), so that
// validators accept a throttled or failed call, and the faults the mock injects to test retries.
var apiErrorStatuses = []string{"429", "500", "503"}

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapidoc.GetSpec()
	if err != nil {
		t.Fatalf("decode embedded spec: %v", err)
	}
	return doc
}

func TestEmbeddedSpecIsValid(t *testing.T) {
	doc := loadSpec(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("embedded spec is invalid: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi version = %q, want 3.0.3", doc.OpenAPI)
	}
}

// The embedded copy must be the file in the repository, so that nobody reads one spec while the
// code was generated from another.
func TestEmbeddedSpecMatchesFile(t *testing.T) {
	loader := openapi3.NewLoader()
	fromFile, err := loader.LoadFromFile("../openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := fromFile.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	// oapi-codegen embeds the document with operation ids in Go's exported form.
	for _, path := range fromFile.Paths.Keys() {
		for _, op := range fromFile.Paths.Value(path).Operations() {
			op.OperationID = strings.ToUpper(op.OperationID[:1]) + op.OperationID[1:]
		}
	}
	a, _ := fromFile.MarshalJSON()
	b, _ := loadSpec(t).MarshalJSON()
	if string(a) != string(b) {
		t.Fatal("the embedded spec differs from openapi.yaml: run `go generate ./...`")
	}
}

func TestServersAndSecuritySchemes(t *testing.T) {
	doc := loadSpec(t)
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
	}
	for _, want := range []string{"https://verifeye-service-api-eu.realeyes.ai", "https://verifeye-service-api-us.realeyes.ai"} {
		if !slices.Contains(urls, want) {
			t.Errorf("servers %v lack %s", urls, want)
		}
	}
	// One scheme carries both forms of the header (ApiKey and Bearer): generated clients that
	// apply every listed scheme would otherwise write the header twice, the bearer scheme's
	// prefix in front of the API key.
	if len(doc.Components.SecuritySchemes) != 1 {
		t.Errorf("security schemes = %v, want only Authorization", keys(doc.Components.SecuritySchemes))
	}
	auth := doc.Components.SecuritySchemes["Authorization"]
	if auth == nil || auth.Value.Type != "apiKey" || auth.Value.In != "header" || auth.Value.Name != "Authorization" {
		t.Errorf("Authorization scheme = %+v, want an apiKey in the Authorization header", auth)
	} else {
		for _, form := range []string{"`ApiKey <key>`", "`Bearer <token>`"} {
			if !strings.Contains(auth.Value.Description, form) {
				t.Errorf("Authorization scheme's description does not name the form %s", form)
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestEveryOperationWithItsStatusesAndSecurity(t *testing.T) {
	doc := loadSpec(t)
	seen := 0
	for _, path := range doc.Paths.Keys() {
		seen += len(doc.Paths.Value(path).Operations())
	}
	if seen != len(documented) {
		t.Errorf("spec has %d operations, want %d", seen, len(documented))
	}
	for _, want := range documented {
		t.Run(want.operationID, func(t *testing.T) {
			item := doc.Paths.Value(want.path)
			if item == nil {
				t.Fatalf("path %s missing", want.path)
			}
			op := item.GetOperation(want.method)
			if op == nil {
				t.Fatalf("%s %s missing", want.method, want.path)
			}
			if !strings.EqualFold(op.OperationID, want.operationID) {
				t.Errorf("operationId = %q, want %q", op.OperationID, want.operationID)
			}
			got := op.Responses.Map()
			var codes []string
			for code := range got {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			wantCodes := slices.Clone(want.statuses)
			if !slices.Contains(op.Tags, "Hosted") {
				wantCodes = append(wantCodes, apiErrorStatuses...)
			}
			sort.Strings(wantCodes)
			if !slices.Equal(codes, wantCodes) {
				t.Errorf("statuses = %v, want %v", codes, wantCodes)
			}
			for _, code := range codes {
				// The API's errors are problem details; the hosted page answers a browser in HTML.
				if code[0] < '4' || slices.Contains(op.Tags, "Hosted") {
					continue
				}
				mt := got[code].Value.Content.Get("application/problem+json")
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/ProblemDetails" {
					t.Errorf("%s response is not application/problem+json ProblemDetails", code)
				}
			}
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			if !want.authenticated {
				if len(security) != 0 {
					t.Errorf("security = %v, want none", security)
				}
				return
			}
			if len(security) != 1 || len(security[0]) != 1 || security[0]["Authorization"] == nil {
				t.Errorf("security = %v, want the Authorization scheme alone", security)
			}
		})
	}
}

// Every operation carries an example for its request body and for its success response, and every
// example in the document (operations, parameters, headers, callbacks, component responses,
// schemas and their properties at any depth) is valid against its own schema, formats included,
// and keeps the rules across fields that the descriptions state (exampleRules).
func TestEveryExampleMatchesItsSchema(t *testing.T) {
	doc := loadSpec(t)
	ex := &exampleWalk{t: t, seen: map[*openapi3.Schema]bool{}}
	for _, path := range doc.Paths.Keys() {
		for method, op := range doc.Paths.Value(path).Operations() {
			name := fmt.Sprintf("%s %s", method, path)
			if rb := op.RequestBody; rb != nil {
				mt := rb.Value.Content.Get("application/json")
				if mt == nil || mt.Example == nil {
					t.Errorf("%s: request body has no example", name)
				}
			}
			ok := op.Responses.Status(http.StatusOK)
			if ok == nil {
				t.Errorf("%s: no 200 response", name)
			} else {
				for ct, mt := range ok.Value.Content {
					if mt.Example == nil {
						t.Errorf("%s: 200 %s has no example", name, ct)
					}
				}
			}
			ex.operation(name, op)
			for cbName, cb := range op.Callbacks {
				for _, cbPath := range cb.Value.Keys() {
					for cbMethod, cbOp := range cb.Value.Value(cbPath).Operations() {
						ex.operation(name+" callback "+cbName+" "+cbMethod, cbOp)
					}
				}
			}
		}
	}
	for name, p := range doc.Components.Parameters {
		ex.check("parameter "+name, p.Value.Schema, p.Value.Example)
	}
	for name, r := range doc.Components.Responses {
		ex.content("response "+name, r.Value.Content)
	}
	for _, name := range keys(doc.Components.Schemas) {
		ex.schema("schema "+name, doc.Components.Schemas[name])
	}
	if ex.checked < 150 {
		t.Errorf("checked only %d examples; the walk is missing parts of the document", ex.checked)
	}
}

// exampleWalk validates the examples it meets.
type exampleWalk struct {
	t       *testing.T
	seen    map[*openapi3.Schema]bool
	checked int
}

func (w *exampleWalk) operation(name string, op *openapi3.Operation) {
	if rb := op.RequestBody; rb != nil {
		w.content(name+" request", rb.Value.Content)
	}
	for _, p := range op.Parameters {
		w.check(name+" parameter "+p.Value.Name, p.Value.Schema, p.Value.Example)
	}
	for code, resp := range op.Responses.Map() {
		w.content(fmt.Sprintf("%s %s", name, code), resp.Value.Content)
		for hName, h := range resp.Value.Headers {
			w.check(fmt.Sprintf("%s %s header %s", name, code, hName), h.Value.Schema, h.Value.Example)
		}
	}
}

func (w *exampleWalk) content(name string, content openapi3.Content) {
	for ct, mt := range content {
		w.check(name+" "+ct, mt.Schema, mt.Example)
		for exName, e := range mt.Examples {
			w.check(name+" "+ct+" example "+exName, mt.Schema, e.Value.Value)
		}
	}
}

// schema checks the example of s and, once per schema, of every property and item below it.
func (w *exampleWalk) schema(where string, s *openapi3.SchemaRef) {
	if s == nil || s.Value == nil || w.seen[s.Value] {
		return
	}
	w.seen[s.Value] = true
	w.check(where, s, s.Value.Example)
	for _, prop := range keys(s.Value.Properties) {
		w.schema(where+"."+prop, s.Value.Properties[prop])
	}
	if s.Value.Items != nil {
		w.schema(where+"[]", s.Value.Items)
	}
	if ap := s.Value.AdditionalProperties.Schema; ap != nil {
		w.schema(where+"{}", ap)
	}
}

func (w *exampleWalk) check(where string, schema *openapi3.SchemaRef, example any) {
	w.t.Helper()
	if schema == nil || example == nil {
		return
	}
	w.checked++
	if err := schema.Value.VisitJSON(example, exampleFormats...); err != nil {
		w.t.Errorf("%s: example does not match its schema: %v", where, err)
	}
	if rule := exampleRules[strings.TrimPrefix(schema.Ref, "#/components/schemas/")]; rule != nil {
		if obj, ok := example.(map[string]any); ok {
			if msg := rule(obj); msg != "" {
				w.t.Errorf("%s: example breaks a rule its description states: %s", where, msg)
			}
		}
	}
}

// exampleFormats checks formats as the conformance transport does: uuid as 8-4-4-4-12 hex of any
// version, uri as an absolute URI.
var exampleFormats = []openapi3.SchemaValidationOption{
	openapi3.EnableFormatValidation(),
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)),
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			return fmt.Errorf("not an absolute URI: %q", s)
		}
		return nil
	})),
}

// exampleRules are the rules across fields that descriptions state and OpenAPI 3.0 cannot (without
// a oneOf that would turn the Go types into unions), applied to the examples of those schemas.
var exampleRules = map[string]func(map[string]any) string{
	"SessionResult": func(v map[string]any) string {
		reasons, _ := v["verificationFailedReasons"].([]any)
		switch v["verificationResult"] {
		case "Pass":
			if len(reasons) > 0 {
				return "a passed session has no verificationFailedReasons"
			}
		case "Fail":
			if len(reasons) == 0 {
				return "a failed session has at least one verificationFailedReason"
			}
		}
		return ""
	},
	"AgeConfig": func(v map[string]any) string {
		if _, ok := v["threshold"]; v["type"] == "ThresholdVerification" && !ok {
			return "ThresholdVerification needs a threshold"
		}
		return ""
	},
	"FaceRecognitionConfig": func(v map[string]any) string {
		if id, _ := v["collectionId"].(string); v["type"] != "Disabled" && strings.TrimSpace(id) == "" {
			return "face recognition other than Disabled needs a collectionId"
		}
		return ""
	},
}

// Each decision of ours (not confirmed by the vendor) is marked with the id the contract suite
// gives a verdict, so readers and the suite know which parts production must still confirm.
func TestDecisionsAreMarked(t *testing.T) {
	doc := loadSpec(t)
	for _, name := range []string{"ProblemDetails", "ValidationResult", "SessionStatus", "VerifierResult", "FailedReason", "AgeConfig", "ResultParameterConfig", "SessionOverrideConfig", "VerificationName"} {
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("schema %s missing", name)
			continue
		}
		if len(markIDs(s.Value.Extensions["x-mock-assumption"])) == 0 {
			t.Errorf("schema %s is a decision but has no x-mock-assumption id", name)
		}
	}
	for _, op := range []string{"/v1/verification/create-session", "/v1/verification/get-session-result", "/v1/token/get", "/v1/verification/delete", "/verification/{verificationId}"} {
		for _, o := range doc.Paths.Value(op).Operations() {
			if len(markIDs(o.Extensions["x-mock-assumption"])) == 0 {
				t.Errorf("%s has no x-mock-assumption id", op)
			}
		}
	}
}

// markIDs reads an x-mock-assumption value: one id, or a list of ids. Anything else (such as the
// bare true of a mark without an id) gives none.
func markIDs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var ids []string
		for _, x := range v {
			if id, ok := x.(string); ok {
				ids = append(ids, id)
			}
		}
		return ids
	}
	return nil
}

// A request field with a server default is optional, and its default is stated in its
// description, not as a `default` keyword: openapi-typescript (by default) and other generators
// make a property with a `default` required, so a natural partial request would not type-check.
// The answers carry such fields always (the Stored… schemas require them).
func TestRequestPropertiesHaveNoDefaultKeyword(t *testing.T) {
	doc := loadSpec(t)
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		seen[s.Value] = true
		for _, name := range keys(s.Value.Properties) {
			p := s.Value.Properties[name]
			if p.Value != nil && p.Value.Default != nil && p.Ref == "" {
				t.Errorf("%s.%s has default %v; state it in the description instead", where, name, p.Value.Default)
			}
			walk(where+"."+name, p)
		}
	}
	walked := 0
	for _, path := range doc.Paths.Keys() {
		for method, op := range doc.Paths.Value(path).Operations() {
			if op.RequestBody == nil {
				continue
			}
			for _, mt := range op.RequestBody.Value.Content {
				walk(method+" "+path, mt.Schema)
				walked++
			}
		}
	}
	if walked < 6 {
		t.Errorf("walked %d request bodies; the walk is missing parts of the document", walked)
	}
}

// Each request field whose description gives the value an omitted field means is required in
// the Stored… schema that answers it, so a generated client reads it without a check for absent.
func TestDefaultedRequestFieldsArePresentInAnswers(t *testing.T) {
	doc := loadSpec(t)
	pairs := 0
	for _, name := range keys(doc.Components.Schemas) {
		stored := doc.Components.Schemas["Stored"+name]
		if stored == nil {
			continue
		}
		pairs++
		for _, prop := range keys(doc.Components.Schemas[name].Value.Properties) {
			p := doc.Components.Schemas[name].Value.Properties[prop]
			if strings.Contains(p.Value.Description, "Omitted means") && !slices.Contains(stored.Value.Required, prop) {
				t.Errorf("%s.%s has a server default, but Stored%s does not require it", name, prop, name)
			}
		}
	}
	if pairs < 6 {
		t.Errorf("found %d request schemas with a Stored… answer; want the configuration's blocks", pairs)
	}
}
