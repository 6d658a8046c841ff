package reqcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// The reference for the mock's request validation: kin-openapi's openapi3filter.ValidateRequest
// on the embedded openapi.yaml, with the options the mock used when it validated through
// kin-openapi at run time, and the same wording of its errors. The mock now checks requests
// against rules compiled from the spec (spec.gen.go); the tests and fuzzers of
// check_test.go run both on the same requests and fail on any difference in outcome,
// problem, unknown fields or bound body.

// kinUUIDPattern accepts any canonical UUID (the vendor's example id is not RFC 4122).
const kinUUIDPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

var filterOptions = &openapi3filter.Options{
	MultiError:          true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc, // requireAuth has already run
	SkipSettingDefaults: true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.EnableFormatValidation(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(kinUUIDPattern)),
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			if u, err := url.Parse(s); err != nil || !u.IsAbs() {
				return errors.New("must be an absolute URI")
			}
			return nil
		})),
	},
}

// kinRoutes are the spec's operations as kin-openapi routes, by ServeMux pattern.
var kinRoutes = sync.OnceValues(func() (map[string]*routers.Route, error) {
	spec, err := openapidoc.GetSpec()
	if err != nil {
		return nil, err
	}
	spec.Servers = nil
	out := map[string]*routers.Route{}
	for _, path := range spec.Paths.Keys() {
		item := spec.Paths.Value(path)
		for method, op := range item.Operations() {
			out[method+" "+path] = &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	return out, nil
})

// kinValidate validates r as v does, with kin-openapi deciding and wording the schema checks:
// the same query, body and unknown-field checks first, then openapi3filter.ValidateRequest.
func kinValidate(t testing.TB, v *Checker, r *http.Request) (*http.Request, fieldNotes, *Problem) {
	t.Helper()
	routes, err := kinRoutes()
	if err != nil {
		t.Fatal(err)
	}
	route := routes[v.op.Method+" "+v.op.Path]
	if route == nil {
		t.Fatalf("openapi.yaml has no %s %s", v.op.Method, v.op.Path)
	}
	r, foldedQuery, forms := v.foldQuery(r)
	if _, qErr := v.checkQueryOnce(r.URL.RawQuery); qErr != nil {
		return nil, fieldNotes{}, qErr
	}
	var body []byte
	var doc any
	var notes fieldNotes
	if v.hasBody {
		var bErr *Problem
		if body, doc, _, bErr = v.readBody(r); bErr != nil {
			return nil, fieldNotes{}, bErr
		}
		// The spec lists application/json; the mock reads application/*+json as that too.
		r.Header.Set("Content-Type", strings.Replace(r.Header.Get("Content-Type"), mediaTypeOf(r), "application/json", 1))
		notes = fieldNotes{unknown: v.unknownFields(doc), folded: foldedQuery, forms: forms}
		body, doc, notes = v.respell(body, doc, notes) // always: the mock looks only when it must
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	} else {
		notes.folded, notes.forms = foldedQuery, forms
	}
	in := &openapi3filter.RequestValidationInput{Request: r, Route: route, Options: filterOptions}
	e := &Problem{Status: http.StatusBadRequest}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		e = requestProblem(err)
	}
	if v.hasBody && e.Detail == "" {
		integerForms(v.op.Body.Schema, doc, "", e) // production's rule beyond JSON Schema's
	}
	if len(e.Fields) > 0 || e.Detail != "" {
		return nil, fieldNotes{}, e
	}
	if v.hasBody {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r, notes, nil
}

// mediaTypeOf is the media type of r's Content-Type as sent, without its parameters.
func mediaTypeOf(r *http.Request) string {
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.TrimSpace(mt)
}

// requestProblem turns kin-openapi's validation errors into one 400 that names every offending
// field with the rule it broke.
func requestProblem(err error) *Problem {
	e := &Problem{Status: http.StatusBadRequest}
	collectRequestErrors(err, e)
	if len(e.Fields) == 0 {
		e.add("request", err.Error())
	}
	return e
}

func collectRequestErrors(err error, e *Problem) {
	// A RequestError unwraps to its cause, itself often a MultiError, so it is matched first.
	var reqErr *openapi3filter.RequestError
	if errors.As(err, &reqErr) {
		var multi openapi3.MultiError
		if top, ok := err.(openapi3.MultiError); ok {
			multi = top
		}
		if multi == nil {
			addRequestError(reqErr, e)
			return
		}
	}
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, one := range multi {
			collectRequestErrors(one, e)
		}
		return
	}
	e.add("request", err.Error())
}

func addRequestError(reqErr *openapi3filter.RequestError, e *Problem) {
	field := "body"
	if reqErr.Parameter != nil {
		field = reqErr.Parameter.Name
	}
	switch {
	case errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired):
		e.add(field, "is required")
	case errors.Is(reqErr.Err, openapi3filter.ErrInvalidEmptyValue):
		e.add(field, "must not be empty")
	case reqErr.Err == nil:
		e.add(field, reqErr.Reason)
	default:
		var inner openapi3.MultiError
		if errors.As(reqErr.Err, &inner) {
			for _, one := range inner {
				addSchemaError(field, reqErr.Parameter != nil, one, e)
			}
			return
		}
		addSchemaError(field, reqErr.Parameter != nil, reqErr.Err, e)
	}
}

// addSchemaError records a schema violation under its field: the parameter's name, or for the
// body the dotted path of the offending value.
func addSchemaError(base string, isParam bool, err error, e *Problem) {
	var schemaErr *openapi3.SchemaError
	if !errors.As(err, &schemaErr) {
		e.add(base, "is not valid: "+err.Error())
		return
	}
	field := base
	if !isParam {
		field = strings.Join(schemaErr.JSONPointer(), ".")
	}
	if schemaErr.SchemaField == "required" {
		if m := missingProperty.FindStringSubmatch(schemaErr.Reason); m != nil {
			// kin-openapi's pointer may or may not already end at the missing property.
			if ptr := schemaErr.JSONPointer(); isParam || len(ptr) == 0 || ptr[len(ptr)-1] != m[1] {
				field = join(field, m[1])
			}
			e.add(field, "is required")
			return
		}
	}
	if field == "" {
		field = base
	}
	e.add(field, schemaRule(schemaErr))
}

var missingProperty = regexp.MustCompile(`property "([^"]+)" is missing`)

// schemaRule phrases a schema violation as the rule the value broke.
func schemaRule(se *openapi3.SchemaError) string {
	s := se.Schema
	switch se.SchemaField {
	case "type":
		if s != nil && s.Type != nil && len(*s.Type) > 0 {
			t := (*s.Type)[0]
			switch t {
			case "object", "array", "integer":
				return "must be an " + t
			default:
				return "must be a " + t
			}
		}
	case "minimum", "maximum":
		if s != nil && s.Min != nil && s.Max != nil {
			return fmt.Sprintf("must be between %v and %v", *s.Min, *s.Max)
		}
	case "minLength", "maxLength":
		if s != nil && s.MaxLength != nil {
			return fmt.Sprintf("must be %d to %d characters long", s.MinLength, *s.MaxLength)
		}
		if s != nil && s.MinLength > 0 {
			return fmt.Sprintf("must be at least %d characters long", s.MinLength)
		}
	case "enum":
		if s != nil {
			vals := make([]string, 0, len(s.Enum))
			for _, v := range s.Enum {
				vals = append(vals, fmt.Sprint(v))
			}
			return "must be one of: " + strings.Join(vals, ", ")
		}
	case "format":
		if s != nil {
			switch s.Format {
			case "uuid":
				return "must be a UUID (8-4-4-4-12 hex digits)"
			case "uri":
				return "must be an absolute URI"
			}
			return "must be a valid " + s.Format
		}
	case "nullable":
		return "must not be null"
	case "pattern":
		if s != nil {
			return "must match the pattern " + s.Pattern
		}
	}
	return se.Reason
}
