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
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/verifeye-twin/verifeye/generated/requestspec"
)

// Request validation: every request of an operation is checked against the operation's rules in
// openapi.yaml before its handler runs. The rules are compiled from the spec at generate time
// (generated/requestspec), so the mock neither parses the spec nor links a generic validator
// when it starts. The checks and the problems they answer are those of kin-openapi's
// openapi3filter.ValidateRequest (OpenAPI 3.0, every error, formats checked, defaults not
// written into the body), which the tests keep as the reference: validation_kin_test.go runs
// both on the same requests and fails on any difference.

// validator checks one operation's requests.
type validator struct {
	op      *requestspec.Operation
	hasBody bool
	maxBody int64
	// fast are the operation's parameters when every one is a plain uuid string or a bounded
	// integer, which acceptsPlainQuery reads in place; nil otherwise.
	fast []fastParam
}

// fastParam is a query parameter whose schema is a plain uuid string or a bounded integer.
type fastParam struct {
	name     string
	required bool
	isInt    bool
	bits     int // int32 or int64
	min, max int64
}

// newValidator builds the validator of one operation.
func newValidator(op *requestspec.Operation, maxBody int64) (*validator, error) {
	v := &validator{op: op, hasBody: op.Body != nil, maxBody: maxBody}
	if op.Body != nil && !op.Body.Required {
		// readBody refuses an empty body; an optional one would need handling it does not have.
		return nil, fmt.Errorf("operation %s: the request body is optional; the mock reads required bodies only", op.ID)
	}
	for _, p := range op.Params {
		switch p.Schema.Type {
		case "string", "integer":
		default:
			return nil, fmt.Errorf("operation %s: query parameter %s is a %s; the mock reads string and integer parameters", op.ID, p.Name, p.Schema.Type)
		}
	}
	if len(op.Params) <= 4 {
		for _, p := range op.Params {
			fp, ok := simpleQueryParam(p)
			if !ok {
				v.fast = nil
				break
			}
			v.fast = append(v.fast, fp)
		}
	}
	return v, nil
}

// simpleQueryParam recognises a parameter whose schema says no more than "a uuid string" or "an
// int32/int64 between minimum and maximum".
func simpleQueryParam(p requestspec.Param) (fastParam, bool) {
	s := *p.Schema
	fp := fastParam{name: p.Name, required: p.Required}
	format, hasMin, hasMax, lo, hi := s.Format, s.HasMinimum, s.HasMaximum, s.Minimum, s.Maximum
	s.Format, s.HasMinimum, s.HasMaximum, s.Minimum, s.Maximum = "", false, false, 0, 0
	plain := s.Type != "" && !s.Nullable && s.Enum == nil && s.MinLength == 0 && !s.HasMaxLength && s.Properties == nil && s.Required == nil
	switch {
	case plain && s.Type == "string" && format == "uuid" && !hasMin && !hasMax:
		return fp, true
	case plain && s.Type == "integer" && (format == "int32" || format == "int64") && hasMin && hasMax:
		fp.isInt, fp.bits = true, 64
		flo, fhi := float64(math.MinInt64), float64(math.MaxInt64)
		if format == "int32" {
			fp.bits, flo, fhi = 32, math.MinInt32, math.MaxInt32
		}
		if lo != math.Trunc(lo) || hi != math.Trunc(hi) || lo < flo || hi > fhi {
			return fastParam{}, false
		}
		fp.min, fp.max = int64(lo), int64(hi)
		return fp, true
	}
	return fastParam{}, false
}

// acceptsPlainQuery accepts a query with no escapes, no '+' and no ';' (for which url.ParseQuery
// returns the pieces between '&' as they are, and no error) when it gives every declared
// parameter at most once, under the spec's spelling only, and each is valid; it decides nothing
// otherwise. It reads the query in place, without the map url.ParseQuery builds.
func (v *validator) acceptsPlainQuery(raw string) bool {
	if len(v.op.Params) == 0 {
		return true // checkQueryOnce ignores the query of an operation without parameters
	}
	if v.fast == nil || strings.ContainsAny(raw, "%+;") {
		return false
	}
	var seen [4]int
	var vals [4]string
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		for i, p := range v.fast {
			switch {
			case key == p.name:
				seen[i]++
				vals[i] = value
			case equalFoldUpper(key, p.name):
				return false // another spelling of the parameter: foldQuery respells it
			}
		}
	}
	for i, p := range v.fast {
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
		case !requestspec.IsUUID(vals[i]):
			return false
		}
	}
	return true
}

// fieldNotes is what the mock tells the client, in X-Mock-Warning, about a request it accepts.
type fieldNotes struct {
	unknown []string  // body members the spec does not know, ignored
	folded  []respelt // names and enum values matched to the spec's in another letter case
	numbers []respelt // integers read from strings
	forms   []respelt // query values in other forms production reads: {uuid}, " 60"
}

// strictProblem is the 400 that Options.Strict answers for n: every member the spec does not
// know and every name or value read in another spelling, each under its field; nil when n is
// empty.
func (n fieldNotes) strictProblem() *apiError {
	e := &apiError{status: http.StatusBadRequest}
	for _, f := range n.unknown {
		e.add(f, "is not a field of the spec (strict mode)")
	}
	for _, r := range slices.Concat(n.folded, n.numbers, n.forms) {
		e.add(r.field, r.rule+" (strict mode)")
	}
	return e.problem()
}

// warning is the X-Mock-Warning value for n, or "" when there is nothing to tell.
func (n fieldNotes) warning() string {
	var parts []string
	if len(n.unknown) > 0 {
		parts = append(parts, "ignored unknown fields: "+warnedNames(n.unknown))
	}
	if len(n.folded) > 0 {
		parts = append(parts, "matched regardless of letter case: "+warnedNames(notesOf(n.folded)))
	}
	if len(n.numbers) > 0 {
		parts = append(parts, "read from strings as numbers: "+warnedNames(notesOf(n.numbers)))
	}
	if len(n.forms) > 0 {
		parts = append(parts, "read in the forms production reads: "+warnedNames(notesOf(n.forms)))
	}
	return strings.Join(parts, "; ")
}

// validate checks r and returns the request to hand on (its body re-readable, its names the
// spec's) and what to tell the client about it, or the problem to answer.
func (v *validator) validate(r *http.Request) (*http.Request, fieldNotes, *apiError) {
	if !v.hasBody && v.acceptsPlainQuery(r.URL.RawQuery) {
		return r, fieldNotes{}, nil
	}
	r, foldedQuery, forms := v.foldQuery(r)
	q, qErr := v.checkQueryOnce(r.URL.RawQuery)
	if qErr != nil {
		return nil, fieldNotes{}, qErr
	}
	var e apiError // on the stack; a copy escapes only when there is a problem to answer
	v.checkParams(q, &e)
	if !v.hasBody {
		if perr := e.problem(); perr != nil {
			return nil, fieldNotes{}, perr
		}
		return r, fieldNotes{folded: foldedQuery, forms: forms}, nil
	}
	body, doc, decoded, bErr := v.readBody(r)
	if bErr != nil {
		return nil, fieldNotes{}, bErr
	}
	if !decoded { // valid JSON that json.Decoder does not take (readBody found no other fault)
		return nil, fieldNotes{}, badRequest("body", "must be valid JSON")
	}
	notes := fieldNotes{unknown: v.unknownFields(doc), folded: foldedQuery, forms: forms}
	// Names, enum values and integers are respelt only when the body has unknown members (a
	// respelt name is one until then) or breaks an enum or type rule (a respelt value does).
	if len(notes.unknown) > 0 {
		body, doc, notes = v.respell(body, doc, notes)
	}
	viols := v.op.Body.Schema.Validate(doc)
	if brokeRespellable(viols) {
		if body2, doc2, notes2 := v.respell(body, doc, notes); len(notes2.folded)+len(notes2.numbers) > len(notes.folded)+len(notes.numbers) {
			body, doc, notes = body2, doc2, notes2
			viols = v.op.Body.Schema.Validate(doc)
		}
	}
	for _, viol := range viols {
		field := "body"
		if len(viol.Path) > 0 {
			field = strings.Join(viol.Path, ".")
		}
		e.add(field, rule(viol.Keyword, viol.Schema))
	}
	integerForms(v.op.Body.Schema, doc, "", &e)
	if perr := e.problem(); perr != nil {
		return nil, fieldNotes{}, perr
	}
	// Hand the strict handler the validated value too, so runtime.BindJSONBody binds it instead
	// of decoding the JSON a second time. Its binder matches member names exactly and takes the
	// last of duplicate members whole, where encoding/json matches names case-insensitively and
	// merges duplicate objects: only a body whose every member is a field of the schema, each
	// once, binds to the same request either way.
	if len(notes.unknown) == 0 && jsonMemberCount(body) == docMemberCount(doc) {
		r.Body = validatedBody{ReadCloser: io.NopCloser(bytes.NewReader(body)), value: doc}
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	r.ContentLength = int64(len(body))
	return r, notes, nil
}

// respell returns body and doc with every member name that is a property of its object's
// schema, and every string that is an enum value of its schema, in another letter case spelt as
// the spec spells it, and notes with those renamings added and the unknown fields found again;
// body, doc and notes themselves when there is none.
func (v *validator) respell(body []byte, doc any, notes fieldNotes) ([]byte, any, fieldNotes) {
	if !needsRespelling(v.op.Body.Schema, doc) {
		return body, doc, notes
	}
	respelt, renamed, numbers := respellBody(body, v.op.Body.Schema)
	doc2, ok := decodeOne(respelt)
	if !ok {
		return body, doc, notes // not reached: only names, enum values and integers changed, to ones that need no escaping
	}
	return respelt, doc2, fieldNotes{unknown: v.unknownFields(doc2), folded: append(notes.folded, renamed...),
		numbers: append(notes.numbers, numbers...), forms: notes.forms}
}

// brokeRespellable reports whether a string broke an enum rule or an integer's type rule among
// viols: respelling may mend either.
func brokeRespellable(viols []requestspec.Violation) bool {
	for _, viol := range viols {
		if _, isString := viol.Value.(string); isString && (viol.Keyword == "enum" || viol.Keyword == "type" && viol.Schema.Type == "integer") {
			return true
		}
	}
	return false
}

// foldQuery returns r with its query as production reads it (see respellQuery), or r itself
// when that changes nothing, and the names and values respelt.
func (v *validator) foldQuery(r *http.Request) (*http.Request, []respelt, []respelt) {
	raw, renamed, forms := respellQuery(r.URL.RawQuery, v.op.Params)
	if renamed == nil && forms == nil {
		return r, nil, nil
	}
	r2 := *r
	u := *r.URL
	u.RawQuery = raw
	r2.URL = &u
	return &r2, renamed, forms
}

// checkParams checks each query parameter of q (parsed, each given at most once) against its
// schema and records what breaks into e. A parameter is read as kin-openapi reads a form-style
// query parameter: an integer with strconv.ParseInt (base 10, the format's size), a string as it
// is; an empty integer is "empty", not "invalid".
func (v *validator) checkParams(q url.Values, e *apiError) {
	for _, p := range v.op.Params {
		vals, found := q[p.Name]
		if !found || len(vals) == 0 {
			if p.Required {
				e.add(p.Name, "is required")
			}
			continue
		}
		raw := vals[0]
		var value any = raw
		if p.Schema.Type == "integer" {
			if raw == "" {
				e.add(p.Name, "must not be empty")
				continue
			}
			bits := 64
			if p.Schema.Format == "int32" {
				bits = 32
			}
			n, err := strconv.ParseInt(raw, 10, bits)
			if err != nil {
				cause := err
				var numErr *strconv.NumError
				if errors.As(err, &numErr) {
					cause = numErr.Err
				}
				e.add(p.Name, fmt.Sprintf("is not valid: value %s: an invalid integer: %v", raw, cause))
				continue
			}
			value = n
		}
		for _, viol := range p.Schema.Validate(value) {
			e.add(p.Name, rule(viol.Keyword, viol.Schema))
		}
	}
}

// problem is the 400 for the fields recorded in e, or nil when there are none.
func (e *apiError) problem() *apiError {
	if len(e.fields) == 0 {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, fields: e.fields}
}

// rule phrases a broken schema keyword as the rule the value broke.
func rule(keyword string, s *requestspec.Schema) string {
	switch keyword {
	case "type":
		switch s.Type {
		case "object", "array", "integer":
			return "must be an " + s.Type
		}
		return "must be a " + s.Type
	case "minimum", "maximum":
		if s.HasMinimum && s.HasMaximum {
			return fmt.Sprintf("must be between %v and %v", s.Minimum, s.Maximum)
		}
		if keyword == "minimum" {
			return fmt.Sprintf("number must be at least %g", s.Minimum)
		}
		return fmt.Sprintf("number must be at most %g", s.Maximum)
	case "minLength", "maxLength":
		if s.HasMaxLength {
			return fmt.Sprintf("must be %d to %d characters long", s.MinLength, s.MaxLength)
		}
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "enum":
		return "must be one of: " + strings.Join(s.Enum, ", ")
	case "format":
		switch s.Format {
		case "uuid":
			return "must be a UUID (8-4-4-4-12 hex digits)"
		case "uri":
			return "must be an absolute URI"
		}
		return "must be a valid " + s.Format
	case "nullable":
		return "must not be null"
	case "required":
		return "is required"
	}
	return "breaks the rule " + keyword
}

// checkQueryOnce rejects a repeated query parameter of the operation: every parameter of the API
// is a single value, and silently picking one of two ids would hide a client bug. An operation
// without parameters ignores its query, as production does. It returns the parsed query (nil
// when there is none or the operation has no parameters).
func (v *validator) checkQueryOnce(raw string) (url.Values, *apiError) {
	params := v.op.Params
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
		if len(q[p.Name]) > 1 {
			if e == nil {
				e = &apiError{status: http.StatusBadRequest}
			}
			e.add(p.Name, "must be given at most once")
		}
	}
	if e != nil {
		return nil, e
	}
	return q, nil
}

// readBody reads and checks the body: application/json, within maxBody, not empty, valid JSON
// nested at most maxBodyNesting deep. It also returns the body decoded (json.Decoder with
// UseNumber), and whether that decode succeeded.
func (v *validator) readBody(r *http.Request) ([]byte, any, bool, *apiError) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !jsonMediaType(mt) {
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
	// A UTF-8 byte order mark before the JSON is skipped, as System.Text.Json skips it when it
	// reads a request body; JSON itself has no place for one.
	body = bytes.TrimPrefix(body, utf8BOM)
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
	if nestingExceeds(body, maxBodyNesting) {
		return nil, nil, false, badRequest("body", fmt.Sprintf("must not nest objects and arrays more than %d levels deep", maxBodyNesting))
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

var utf8BOM = []byte("\xef\xbb\xbf")

// jsonMediaType reports whether a request body of media type mt (lower case, without
// parameters) is read as JSON: application/json, or a structured-syntax type such as
// application/vnd.example+json, which ASP.NET's JSON input reads as JSON too.
func jsonMediaType(mt string) bool {
	if mt == "application/json" {
		return true
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && len(sub) > len("+json") && strings.HasSuffix(sub, "+json")
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

// decodeOne decodes body as kin-openapi's JSON body decoder does (json.Decoder, UseNumber: a
// number keeps its text, so an integer is checked exactly) and reports whether it holds exactly
// one JSON value.
func decodeOne(body []byte) (any, bool) {
	if doc, ok := parseJSON(body); ok {
		return doc, true
	}
	return decodeOneStd(body)
}

// decodeOneStd is decodeOne by encoding/json alone.
func decodeOneStd(body []byte) (any, bool) {
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
	var out []string
	walkUnknown(v.op.Body.Schema, doc, "", &out)
	slices.Sort(out)
	return out
}

func walkUnknown(s *requestspec.Schema, v any, path string, out *[]string) {
	obj, ok := v.(map[string]any)
	if !ok || s == nil {
		return
	}
	// Only objects are walked into, so a path is joined only for an object or an unknown field.
	for k, child := range obj {
		p, known := s.Properties[k]
		if !known {
			*out = append(*out, join(path, k))
			continue
		}
		if _, isObj := child.(map[string]any); isObj {
			walkUnknown(p, child, join(path, k), out)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
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
