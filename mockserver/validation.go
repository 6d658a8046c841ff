package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// uuidPattern accepts any canonical UUID. The vendor's own example session id
// (a1b2c3d4-e5f6-7890-abcd-ef1234567890) is not an RFC 4122 version 1-5 UUID, so the mock must
// not be stricter than that.
var uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// stringFormats are the mock's string formats: a UUID by uuidPattern, a URI that is absolute.
// Both the full validation and the fast path use them; the map is only ever read.
var stringFormats = map[string]openapi3.StringFormatValidator{
	"uuid": openapi3.NewRegexpFormatValidator(uuidPattern),
	"uri": openapi3.NewCallbackValidator(func(s string) error {
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			return errors.New("must be an absolute URI")
		}
		return nil
	}),
}

var filterOptions = &openapi3filter.Options{
	MultiError:         true,
	AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // requireAuth has already run
	// Keep the body as the client sent it: the handlers apply the documented defaults themselves
	// so that stored configurations are "as sent, with defaults filled in".
	SkipSettingDefaults: true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.EnableFormatValidation(),
		openapi3.WithStringFormatValidator("uuid", stringFormats["uuid"]),
		openapi3.WithStringFormatValidator("uri", stringFormats["uri"]),
	},
}

// fastSchemaOptions are filterOptions.SchemaValidationOptions with both formats given as one
// shared map: the same settings, without the map WithStringFormatValidator makes on every
// schema visit.
var fastSchemaOptions = []openapi3.SchemaValidationOption{
	openapi3.EnableFormatValidation(),
	openapi3.WithStringFormatValidators(stringFormats),
}

// validator checks one operation's requests against openapi.yaml before its handler runs.
type validator struct {
	route   *routers.Route
	hasBody bool
	maxBody int64
	// fast is the operation's fast path (nil: none), which only ever decides that a request is
	// valid; a request it does not accept goes through kin-openapi's full validation, which
	// decides and words the problem. See newValidator.
	fast *fastPath
}

// fastPath is what an operation's requests need to be accepted without kin-openapi's generic
// openapi3filter.ValidateRequest: its security requirements pass for every request (they are
// checked by requireAuth, with NoopAuthenticationFunc here), its parameters are simple query
// parameters checked here, and its body is checked by the very schema visit ValidateRequest
// makes, with the same options, on the same decoded value.
type fastPath struct {
	params    []fastParam
	mediaType *openapi3.MediaType // the body's application/json content, when the operation has a body
	bodyOpts  []openapi3.SchemaValidationOption
}

// fastParam is a query parameter whose schema is a plain uuid string or a bounded integer.
type fastParam struct {
	name     string
	required bool
	isInt    bool
	bits     int // int32 or int64
	min, max int64
}

// newValidator builds the validator of one operation and, when every part of the operation
// allows it, its fast path.
func newValidator(route *routers.Route, maxBody int64) *validator {
	v := &validator{route: route, hasBody: route.Operation.RequestBody != nil, maxBody: maxBody}
	v.fast = newFastPath(route)
	return v
}

func newFastPath(route *routers.Route) *fastPath {
	op := route.Operation
	security := op.Security
	if security == nil {
		security = &route.Spec.Security
	}
	for _, req := range *security {
		for name := range req {
			if route.Spec.Components == nil || route.Spec.Components.SecuritySchemes[name] == nil {
				return nil // ValidateRequest would refuse every request
			}
		}
	}
	if len(route.PathItem.Parameters) > 0 {
		return nil
	}
	f := &fastPath{}
	for _, ref := range op.Parameters {
		p, ok := simpleQueryParam(ref.Value)
		if !ok {
			return nil
		}
		f.params = append(f.params, p)
	}
	if op.RequestBody != nil {
		rb := op.RequestBody.Value
		mt := rb.Content["application/json"]
		if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || len(mt.Encoding) > 0 {
			return nil
		}
		if openapi3filter.RegisteredBodyDecoder("application/json") == nil {
			return nil
		}
		f.mediaType = mt
		// The options ValidateRequestBody passes to VisitJSON, in its order, for filterOptions.
		f.bodyOpts = append(f.bodyOpts, openapi3.VisitAsRequest())
		if !filterOptions.SkipSettingDefaults {
			return nil // defaults would be written into the body
		}
		if filterOptions.MultiError {
			f.bodyOpts = append(f.bodyOpts, openapi3.MultiErrors())
		}
		if filterOptions.ExcludeReadOnlyValidations || filterOptions.RegexCompiler != nil {
			return nil
		}
		f.bodyOpts = append(f.bodyOpts, fastSchemaOptions...)
		if route.Spec.IsOpenAPI31OrLater() {
			f.bodyOpts = append(f.bodyOpts, openapi3.EnableJSONSchema2020())
		}
	}
	return f
}

// simpleQueryParam recognises a query parameter (form style, exploded, no empty value) whose
// schema says no more than "a uuid string" or "an int32/int64 between minimum and maximum"; a
// schema with any other keyword that validates is not simple.
func simpleQueryParam(p *openapi3.Parameter) (fastParam, bool) {
	if p.In != openapi3.ParameterInQuery || p.Schema == nil || p.Schema.Value == nil || p.Content != nil ||
		p.AllowEmptyValue || (p.Style != "" && p.Style != openapi3.SerializationForm) || (p.Explode != nil && !*p.Explode) {
		return fastParam{}, false
	}
	c := *p.Schema.Value
	// Keywords that do not validate.
	c.Extensions, c.Origin, c.Title, c.Description, c.Example, c.Examples, c.ExternalDocs = nil, nil, "", "", nil, nil, nil
	c.Default, c.Deprecated, c.Comment = nil, false, ""
	format, minimum, maximum := c.Format, c.Min, c.Max
	c.Format, c.Min, c.Max = "", nil, nil
	fp := fastParam{name: p.Name, required: p.Required}
	switch {
	case reflect.DeepEqual(c, openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}) && format == "uuid" &&
		minimum == nil && maximum == nil:
		return fp, true
	case reflect.DeepEqual(c, openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}}) &&
		(format == "int32" || format == "int64") && minimum != nil && maximum != nil:
		fp.isInt, fp.bits = true, 64
		lo, hi := float64(math.MinInt64), float64(math.MaxInt64)
		if format == "int32" {
			fp.bits, lo, hi = 32, math.MinInt32, math.MaxInt32
		}
		if *minimum != math.Trunc(*minimum) || *maximum != math.Trunc(*maximum) || *minimum < lo || *maximum > hi {
			return fastParam{}, false
		}
		fp.min, fp.max = int64(*minimum), int64(*maximum)
		return fp, true
	}
	return fastParam{}, false
}

// acceptsParams reports whether every fast parameter is valid in q (each given at most once,
// which checkQueryOnce has made sure of).
func (f *fastPath) acceptsParams(q url.Values) bool {
	for _, p := range f.params {
		vals, found := q[p.name]
		if !found {
			if p.required {
				return false
			}
			continue
		}
		if len(vals) != 1 {
			return false
		}
		if p.isInt {
			// The parse ValidateParameter makes, then the bounds.
			n, err := strconv.ParseInt(vals[0], 10, p.bits)
			if err != nil || n < p.min || n > p.max {
				return false
			}
		} else if !isUUID(vals[0]) {
			return false
		}
	}
	return true
}

// acceptsPlainQuery accepts a query with no escapes, no '+' and no ';' (for which url.ParseQuery
// returns the pieces between '&' as they are, and no error) when it gives every declared
// parameter at most once and acceptsParams would accept it; it decides nothing otherwise. It
// reads the query in place, without the map url.ParseQuery builds.
func (f *fastPath) acceptsPlainQuery(raw string) bool {
	if len(f.params) == 0 {
		return true // checkQueryOnce ignores the query of an operation without parameters
	}
	if len(f.params) > 4 || strings.ContainsAny(raw, "%+;") {
		return false
	}
	var seen [4]int
	var vals [4]string
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		for i, p := range f.params {
			if key == p.name {
				seen[i]++
				vals[i] = value
			}
		}
	}
	for i, p := range f.params {
		switch {
		case seen[i] > 1:
			return false // checkQueryOnce words the problem
		case seen[i] == 0:
			if p.required {
				return false
			}
		case p.isInt:
			n, err := strconv.ParseInt(vals[i], 10, p.bits)
			if err != nil || n < p.min || n > p.max {
				return false
			}
		case !isUUID(vals[i]):
			return false
		}
	}
	return true
}

// acceptsBody reports whether doc, the body as ValidateRequestBody decodes it, matches the
// operation's schema for a request with Content-Type ct.
func (f *fastPath) acceptsBody(requestBody *openapi3.RequestBody, ct string, doc any) bool {
	// ValidateRequestBody picks the content by the header, and its JSON decoder by the header's
	// media type without parameters.
	if f.mediaType == nil || requestBody.Content.Get(ct) != f.mediaType {
		return false
	}
	base, _, _ := strings.Cut(ct, ";")
	if strings.ToLower(strings.TrimSpace(base)) != "application/json" {
		return false
	}
	return f.mediaType.Schema.Value.VisitJSON(doc, f.bodyOpts...) == nil
}

// isUUID matches uuidPattern (8-4-4-4-12 hex digits, either case) without a regexp.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validate checks r and returns the request to hand on (its body re-readable) and the names of
// body fields the spec does not know, or the problem to answer.
func (v *validator) validate(r *http.Request) (*http.Request, []string, *apiError) {
	if !v.hasBody && v.fast != nil && v.fast.acceptsPlainQuery(r.URL.RawQuery) {
		return r, nil, nil
	}
	q, err := v.checkQueryOnce(r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	var body []byte
	var doc any
	var decoded bool
	var unknown []string
	if v.hasBody {
		var err *apiError
		if body, doc, decoded, err = v.readBody(r); err != nil {
			return nil, nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		unknown = v.unknownFields(doc)
	}
	if f := v.fast; f != nil && (len(f.params) == 0 || f.acceptsParams(q)) &&
		(!v.hasBody || decoded && f.acceptsBody(v.route.Operation.RequestBody.Value, r.Header.Get("Content-Type"), doc)) {
		// Hand the strict handler the validated value too, so runtime.BindJSONBody binds it
		// instead of decoding the JSON a second time. Its binder matches member names exactly
		// and takes the last of duplicate members whole, where encoding/json matches names
		// case-insensitively and merges duplicate objects: only a body whose every member is a
		// field of the schema, each once, binds to the same request either way.
		if v.hasBody && len(unknown) == 0 && jsonMemberCount(body) == docMemberCount(doc) {
			r.Body = validatedBody{ReadCloser: r.Body, value: doc}
		}
		return r, unknown, nil
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
// without parameters ignores its query, as production does. It returns the parsed query (nil
// when there is none or the operation has no parameters).
func (v *validator) checkQueryOnce(raw string) (url.Values, *apiError) {
	params := v.route.Operation.Parameters
	if raw == "" || len(params) == 0 {
		return nil, nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// A bad escape could hide the value of a declared parameter: refuse rather than guess.
		return nil, badRequest("query", "must be a valid URL query string")
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
		return nil, e
	}
	return q, nil
}

// readBody reads and checks the body: application/json, within maxBody, not empty, valid JSON.
// It also returns the body decoded as ValidateRequestBody decodes it (json.Decoder with
// UseNumber), and whether that decode succeeded.
func (v *validator) readBody(r *http.Request) ([]byte, any, bool, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		got := ct
		if got == "" {
			got = "nothing"
		}
		return nil, nil, false, &apiError{status: http.StatusUnsupportedMediaType,
			detail: fmt.Sprintf("Content-Type: must be application/json, got %s", got)}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		// Production would transcode; the mock reads UTF-8 only, so it refuses rather than
		// misread the body.
		return nil, nil, false, &apiError{status: http.StatusUnsupportedMediaType,
			detail: fmt.Sprintf("Content-Type: charset must be utf-8, got %s", cs)}
	}
	if r.Body == nil {
		return nil, nil, false, badRequest("body", "is required")
	}
	body, err := readAllHint(http.MaxBytesReader(nil, r.Body, v.maxBody), r.ContentLength, v.maxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, false, &apiError{status: http.StatusRequestEntityTooLarge,
				detail: fmt.Sprintf("body: must not exceed %d bytes", v.maxBody)}
		}
		return nil, nil, false, badRequest("body", "could not be read completely")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, false, badRequest("body", "is required")
	}
	// encoding/json would quietly turn bad UTF-8 and lone surrogates into U+FFFD and store
	// that; System.Text.Json refuses both, and so does the mock.
	if !utf8.Valid(body) {
		return nil, nil, false, badRequest("body", "must be valid UTF-8")
	}
	if loneSurrogate(body) {
		return nil, nil, false, badRequest("body", `must not contain a lone UTF-16 surrogate escape (\uD800 to \uDFFF without its pair)`)
	}
	// One JSON value followed by nothing but JSON white space is exactly what json.Valid
	// accepts; anything else gets json.Valid's verdict and wording.
	if doc, ok := decodeOne(body); ok {
		return body, doc, true, nil
	}
	if !json.Valid(body) {
		return nil, nil, false, badRequest("body", "must be valid JSON: "+jsonSyntaxError(body))
	}
	return body, nil, false, nil
}

// validatedBody is a request body that carries the value validated from it, which the generated
// strict handler binds (runtime.BindJSONBody) instead of decoding the body again; should binding
// fail, it decodes the body, which reads as sent.
type validatedBody struct {
	io.ReadCloser
	value any
}

// ValidatedValue is what runtime.BindJSONBody looks for.
func (b validatedBody) ValidatedValue() any { return b.value }

// jsonMemberCount counts the object members of body, which must be valid JSON: in valid JSON a
// string followed by a colon is a member name, and nothing else is.
func jsonMemberCount(body []byte) int {
	n := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		for i++; i < len(body) && body[i] != '"'; i++ {
			if body[i] == '\\' {
				i++
			}
		}
		j := i + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == ':' {
			n++
		}
	}
	return n
}

// docMemberCount counts the members of every object in a decoded JSON value; it is less than
// jsonMemberCount of the text exactly when some object repeats a member name.
func docMemberCount(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, child := range v {
			n += docMemberCount(child)
		}
		return n
	case []any:
		n := 0
		for _, child := range v {
			n += docMemberCount(child)
		}
		return n
	}
	return 0
}

// readAllHint is io.ReadAll with a first buffer the size the request announced (when it is
// within limit), so a body is read without the buffer growing.
func readAllHint(r io.Reader, hint, limit int64) ([]byte, error) {
	size := int64(512)
	if hint > 0 && hint <= limit {
		size = hint + 1 // room to read EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append choose the growth
		}
	}
}

// decodeOne decodes body the way openapi3filter's JSON body decoder does (json.Decoder,
// UseNumber) and reports whether it holds exactly one JSON value.
func decodeOne(body []byte) (any, bool) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	for _, c := range body[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, false
		}
	}
	return doc, true
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
func (v *validator) unknownFields(doc any) []string {
	mt := v.route.Operation.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || doc == nil {
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
	// Only objects are walked into, so a path is joined only for an object or an unknown field.
	if s.AdditionalProperties.Schema != nil {
		for k, child := range obj {
			if _, isObj := child.(map[string]any); isObj {
				walkUnknown(s.AdditionalProperties.Schema.Value, child, join(path, k), out)
			}
		}
		return
	}
	for k, child := range obj {
		p, known := s.Properties[k]
		if !known {
			*out = append(*out, join(path, k))
			continue
		}
		if _, isObj := child.(map[string]any); isObj {
			walkUnknown(p.Value, child, join(path, k), out)
		}
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

// loneSurrogate reports whether a JSON text has a \uD800–\uDFFF escape that is not half of a
// high-low surrogate pair.
func loneSurrogate(b []byte) bool {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				return false
			}
			if b[i+1] != 'u' {
				i++ // a one-character escape
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				return false // not valid JSON; reported elsewhere
			}
			i += 5
			switch {
			case r >= 0xD800 && r <= 0xDBFF: // high: a low must follow
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					if lo, ok := hex4(b, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 6
						continue
					}
				}
				return true
			case r >= 0xDC00 && r <= 0xDFFF: // a low on its own
				return true
			}
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
