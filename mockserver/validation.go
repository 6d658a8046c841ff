package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// uuidPattern accepts any canonical UUID. The vendor's own example session id
// (a1b2c3d4-e5f6-7890-abcd-ef1234567890) is not an RFC 4122 version 1-5 UUID, so the mock must
// not be stricter than that.
var uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

var filterOptions = &openapi3filter.Options{
	MultiError:         true,
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // requireAuth has already run
	// Keep the body as the client sent it: the handlers apply the documented defaults themselves
	// so that stored configurations are "as sent, with defaults filled in".
	SkipSettingDefaults: true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.EnableFormatValidation(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(uuidPattern)),
		openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
			if u, err := url.Parse(s); err != nil || !u.IsAbs() {
				return errors.New("must be an absolute URI")
			}
			return nil
		})),
	},
}

// validator checks one operation's requests against openapi.yaml before its handler runs.
type validator struct {
	route   *routers.Route
	hasBody bool
	maxBody int64
}

// validate checks r and returns the request to hand on (its body re-readable) and the names of
// body fields the spec does not know, or the problem to answer.
func (v *validator) validate(r *http.Request) (*http.Request, []string, *apiError) {
	if err := v.checkQueryOnce(r.URL.RawQuery); err != nil {
		return nil, nil, err
	}
	var body []byte
	var unknown []string
	if v.hasBody {
		var err *apiError
		if body, err = v.readBody(r); err != nil {
			return nil, nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		unknown = v.unknownFields(body)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, Route: v.route, Options: filterOptions}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return nil, nil, requestProblem(err)
	}
	if v.hasBody { // hand the handler the body exactly as it was sent
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return r, unknown, nil
}

// checkQueryOnce rejects a repeated query parameter of the operation: every parameter of the API
// is a single value, and silently picking one of two ids would hide a client bug. An operation
// without parameters ignores its query, as production does.
func (v *validator) checkQueryOnce(raw string) *apiError {
	params := v.route.Operation.Parameters
	if raw == "" || len(params) == 0 {
		return nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// A bad escape could hide the value of a declared parameter: refuse rather than guess.
		return badRequest("query", "must be a valid URL query string")
	}
	var e *apiError
	for _, p := range params {
		if p.Value.In == "query" && len(q[p.Value.Name]) > 1 {
			if e == nil {
				e = &apiError{status: http.StatusBadRequest}
			}
			e.add(p.Value.Name, "must be given at most once")
		}
	}
	if e != nil {
		return e
	}
	return nil
}

func (v *validator) readBody(r *http.Request) ([]byte, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		got := ct
		if got == "" {
			got = "nothing"
		}
		return nil, &apiError{status: http.StatusUnsupportedMediaType,
			detail: fmt.Sprintf("Content-Type: must be application/json, got %s", got)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, v.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge,
				detail: fmt.Sprintf("body: must not exceed %d bytes", v.maxBody)}
		}
		return nil, badRequest("body", "could not be read completely")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("body", "is required")
	}
	if !json.Valid(body) {
		return nil, badRequest("body", "must be valid JSON: "+jsonSyntaxError(body))
	}
	return body, nil
}

func jsonSyntaxError(body []byte) string {
	var anything any
	err := json.Unmarshal(body, &anything)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "unexpected content"
}

// unknownFields lists the body's fields that the request schema does not declare. ASP.NET ignores
// them, and so does the mock, but a misspelt field silently ignored is a classic integration bug,
// so the mock names them in an X-Mock-Warning header and in its log.
func (v *validator) unknownFields(body []byte) []string {
	mt := v.route.Operation.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return nil
	}
	var out []string
	walkUnknown(mt.Schema.Value, doc, "", &out)
	sort.Strings(out)
	return out
}

func walkUnknown(s *openapi3.Schema, v any, path string, out *[]string) {
	obj, ok := v.(map[string]any)
	if !ok || s == nil {
		return
	}
	if s.AdditionalProperties.Schema != nil {
		for k, child := range obj {
			walkUnknown(s.AdditionalProperties.Schema.Value, child, join(path, k), out)
		}
		return
	}
	for k, child := range obj {
		p, known := s.Properties[k]
		if !known {
			*out = append(*out, join(path, k))
			continue
		}
		walkUnknown(p.Value, child, join(path, k), out)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// requestProblem turns kin-openapi's validation errors into one 400 that names every offending
// field with the rule it broke.
func requestProblem(err error) *apiError {
	e := &apiError{status: http.StatusBadRequest}
	collectRequestErrors(err, e)
	if len(e.fields) == 0 {
		e.add("request", err.Error())
	}
	return e
}

func collectRequestErrors(err error, e *apiError) {
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

func addRequestError(reqErr *openapi3filter.RequestError, e *apiError) {
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
func addSchemaError(base string, isParam bool, err error, e *apiError) {
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
