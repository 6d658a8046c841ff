package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/verifeye-twin/verifeye/generated/openapidoc"
)

// The phases of an exchange a Violation is found in.
const (
	PhaseRequest  = "request"
	PhaseResponse = "response"
)

// uuidPattern is what format "uuid" accepts: any canonical 8-4-4-4-12 hex string, whatever its
// version and variant bits.
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// Option configures a Transport.
type Option func(*config)

type config struct {
	spec          *openapi3.T
	onViolation   func(Violation)
	basePaths     []string
	problemSchema string
}

// WithSpec validates against doc instead of the spec embedded in package generated. doc must be
// loaded with its references resolved; the Transport never modifies it.
func WithSpec(doc *openapi3.T) Option {
	return func(c *config) { c.spec = doc }
}

// OnViolation calls fn with every violation as soon as it is found, from the goroutine that
// called RoundTrip. The violation is also kept for Violations.
func OnViolation(fn func(Violation)) Option {
	return func(c *config) { c.onViolation = fn }
}

// WithBasePath strips prefix from request paths before they are matched against the spec, for a
// server that serves the API below a path of its own. The base paths of the spec's servers are
// always stripped.
func WithBasePath(prefix string) Option {
	return func(c *config) { c.basePaths = append(c.basePaths, prefix) }
}

// WithUnroutedProblemSchema names the component schema that the body of an
// application/problem+json answer to a request matching no operation (an unknown path, a wrong
// method) is checked against. The default is "ProblemDetails"; an empty name turns the check off.
// Such answers have no operation to be checked against otherwise.
func WithUnroutedProblemSchema(name string) Option {
	return func(c *config) { c.problemSchema = name }
}

// Transport is an http.RoundTripper that validates every request and response passing through
// it against an OpenAPI 3 document and records each violation. It never fails or alters a call
// because of a violation. It is safe for concurrent use.
type Transport struct {
	base        http.RoundTripper
	spec        *openapi3.T
	paths       []pathRoute
	basePaths   []string
	options     *openapi3filter.Options
	problem     *openapi3.SchemaRef
	onViolation func(Violation)

	mu         sync.Mutex
	violations []Violation
}

// pathRoute is one path of the spec, split for matching.
type pathRoute struct {
	template string
	segments []string // "{name}" for a path parameter
	literals int      // how many segments are literal, to prefer /a/b over /a/{x}
	item     *openapi3.PathItem
}

// NewTransport returns a Transport that sends requests with base (http.DefaultTransport when
// nil) and validates them against the spec embedded in package generated, or the one given with
// WithSpec.
func NewTransport(base http.RoundTripper, opts ...Option) (*Transport, error) {
	c := config{problemSchema: "ProblemDetails"}
	for _, o := range opts {
		o(&c)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if c.spec == nil {
		doc, err := openapidoc.GetSpec()
		if err != nil {
			return nil, fmt.Errorf("conformance: load the embedded spec: %w", err)
		}
		c.spec = doc
	}
	if c.spec.Paths == nil {
		return nil, errors.New("conformance: the spec has no paths")
	}
	t := &Transport{
		base:        base,
		spec:        c.spec,
		onViolation: c.onViolation,
		options: &openapi3filter.Options{
			MultiError:            true,
			IncludeResponseStatus: true,
			SkipSettingDefaults:   true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.EnableFormatValidation(),
				openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(uuidPattern)),
				openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(absoluteURI)),
			},
		},
	}
	for _, p := range c.spec.Paths.InMatchingOrder() {
		item := c.spec.Paths.Value(p)
		r := pathRoute{template: p, segments: strings.Split(strings.TrimPrefix(p, "/"), "/"), item: item}
		for _, s := range r.segments {
			if !isParam(s) {
				r.literals++
			}
		}
		t.paths = append(t.paths, r)
	}
	bases, err := serverBasePaths(c.spec)
	if err != nil {
		return nil, err
	}
	for _, bp := range append(bases, c.basePaths...) {
		bp = strings.TrimSuffix(bp, "/")
		if bp != "" && !slices.Contains(t.basePaths, bp) {
			t.basePaths = append(t.basePaths, bp)
		}
	}
	if c.problemSchema != "" && c.spec.Components != nil {
		t.problem = c.spec.Components.Schemas[c.problemSchema]
	}
	return t, nil
}

func absoluteURI(s string) error {
	if u, err := url.Parse(s); err != nil || !u.IsAbs() {
		return errors.New("must be an absolute URI")
	}
	return nil
}

// serverBasePaths lists the paths of every server URL of the spec, its path items and its
// operations.
func serverBasePaths(doc *openapi3.T) ([]string, error) {
	servers := slices.Clone(doc.Servers)
	for _, p := range doc.Paths.Keys() {
		item := doc.Paths.Value(p)
		servers = append(servers, item.Servers...)
		for _, op := range item.Operations() {
			if op.Servers != nil {
				servers = append(servers, *op.Servers...)
			}
		}
	}
	var out []string
	for _, s := range servers {
		bp, err := s.BasePath()
		if err != nil {
			return nil, fmt.Errorf("conformance: server %q: %w", s.URL, err)
		}
		out = append(out, bp)
	}
	return out, nil
}

func isParam(seg string) bool {
	return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")
}

// RoundTrip sends req with the base transport and validates the request and the response. The
// response is returned as the server sent it, its body still readable; violations are recorded,
// never returned as errors.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("conformance: read the request body: %w", err)
		}
	}
	// A RoundTripper must not modify the caller's request: send a copy with a fresh body.
	out := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}

	ex := exchange{t: t, Violation: Violation{Method: req.Method, Path: req.URL.Path}}
	route, params, allowed := t.match(req.Method, req.URL)
	var input *openapi3filter.RequestValidationInput
	if route == nil {
		msg := "no such operation"
		if len(allowed) > 0 {
			msg += fmt.Sprintf(": the path has %s, not %s", strings.Join(allowed, ", "), req.Method)
		}
		ex.report(PhaseRequest, "", msg)
	} else {
		ex.Operation = route.Operation.OperationID
		checked := req.Clone(req.Context())
		checked.Body = http.NoBody
		if body != nil {
			checked.Body = io.NopCloser(bytes.NewReader(body))
		}
		input = &openapi3filter.RequestValidationInput{Request: checked, PathParams: params, Route: route, Options: t.options}
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			ex.reportError(PhaseRequest, err)
		}
	}

	resp, err := t.base.RoundTrip(out)
	if err != nil || resp == nil {
		return resp, err
	}
	ex.Status = resp.StatusCode
	data, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = &replayBody{Reader: bytes.NewReader(data), err: readErr}
	if readErr != nil {
		ex.report(PhaseResponse, "body", "could not be read completely: "+readErr.Error())
		return resp, nil
	}
	if route != nil {
		t.checkResponse(req.Context(), &ex, input, resp, data)
	} else {
		t.checkUnrouted(&ex, resp, data)
	}
	return resp, nil
}

// replayBody gives the caller the response body the Transport read, then the error reading it
// ended with, if any.
type replayBody struct {
	*bytes.Reader
	err error
}

func (b *replayBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	if err == io.EOF && b.err != nil {
		return n, b.err
	}
	return n, err
}

func (b *replayBody) Close() error { return nil }

func (t *Transport) checkResponse(ctx context.Context, ex *exchange, input *openapi3filter.RequestValidationInput, resp *http.Response, data []byte) {
	op := input.Route.Operation
	declared := op.Responses.Status(resp.StatusCode)
	if declared == nil {
		declared = op.Responses.Default()
	}
	if declared == nil {
		ex.report(PhaseResponse, "status", fmt.Sprintf("%d is not declared for this operation; declared: %s",
			resp.StatusCode, strings.Join(op.Responses.Keys(), ", ")))
		return
	}
	if declared.Value != nil && len(declared.Value.Content) == 0 && len(data) > 0 {
		ex.report(PhaseResponse, "body", fmt.Sprintf("no body is declared for status %d; got %d bytes", resp.StatusCode, len(data)))
		return
	}
	options := t.options
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" && declared.Value != nil && declared.Value.Content.Get(mt) != nil {
		// The hosted page answers a browser with a page: its status and media type are the
		// contract, its markup is not (and kin-openapi has no decoder for HTML).
		html := *t.options
		html.ExcludeResponseBody = true
		options = &html
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                options,
	}
	in.SetBodyBytes(data)
	err := openapi3filter.ValidateResponse(ctx, in)
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && strings.Contains(re.Reason, "Content-Type has unexpected value") {
		types := make([]string, 0, len(declared.Value.Content))
		for ct := range declared.Value.Content {
			types = append(types, ct)
		}
		slices.Sort(types)
		got := resp.Header.Get("Content-Type")
		if got == "" {
			got = "none"
		}
		ex.report(PhaseResponse, "Content-Type", fmt.Sprintf("expected %s, got %s", strings.Join(types, " or "), got))
		return
	}
	if err != nil {
		ex.reportError(PhaseResponse, err)
	}
}

// checkUnrouted checks the problem body of an answer to a request that matched no operation.
func (t *Transport) checkUnrouted(ex *exchange, resp *http.Response, data []byte) {
	if t.problem == nil || t.problem.Value == nil || resp.Request != nil && resp.Request.Method == http.MethodHead {
		return // the answer to HEAD has the headers of a body but never the body itself
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		return
	}
	h := http.Header{"Content-Type": []string{"application/json"}}
	value, err := openapi3filter.JSONBodyDecoder(bytes.NewReader(data), h, t.problem, nil)
	if err != nil {
		ex.report(PhaseResponse, "body", "is not valid JSON: "+err.Error())
		return
	}
	opts := append([]openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse()}, t.options.SchemaValidationOptions...)
	if err := t.problem.Value.VisitJSON(value, opts...); err != nil {
		ex.reportError(PhaseResponse, err)
	}
}

// match finds the operation of method and u's path. When the path exists with other methods
// only, it returns them as allowed.
func (t *Transport) match(method string, u *url.URL) (*routers.Route, map[string]string, []string) {
	escaped := u.EscapedPath()
	candidates := []string{escaped}
	for _, bp := range t.basePaths {
		if rest, ok := strings.CutPrefix(escaped, bp); ok && strings.HasPrefix(rest, "/") {
			candidates = append(candidates, rest)
		}
	}
	var allowed []string
	for _, c := range candidates {
		segs := strings.Split(strings.TrimPrefix(c, "/"), "/")
		var best *pathRoute
		var bestParams map[string]string
		for i := range t.paths {
			p := &t.paths[i]
			params, ok := p.match(segs)
			if !ok {
				continue
			}
			if p.item.GetOperation(method) == nil {
				for m := range p.item.Operations() {
					if !slices.Contains(allowed, m) {
						allowed = append(allowed, m)
					}
				}
				continue
			}
			if best == nil || p.literals > best.literals {
				best, bestParams = p, params
			}
		}
		if best != nil {
			return &routers.Route{
				Spec: t.spec, Path: best.template, PathItem: best.item,
				Method: method, Operation: best.item.GetOperation(method),
			}, bestParams, nil
		}
	}
	slices.Sort(allowed)
	return nil, nil, allowed
}

// match reports whether the escaped path segments segs fit the route, with the values of its
// path parameters.
func (p *pathRoute) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(p.segments) {
		return nil, false
	}
	var params map[string]string
	for i, want := range p.segments {
		got, err := url.PathUnescape(segs[i])
		if err != nil {
			return nil, false
		}
		if isParam(want) {
			if got == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[want[1:len(want)-1]] = got
			continue
		}
		if got != want {
			return nil, false
		}
	}
	return params, true
}

// exchange is the part of a Violation shared by everything found in one request and response.
type exchange struct {
	t *Transport
	Violation
}

func (ex *exchange) report(phase, field, msg string) {
	v := ex.Violation
	v.Phase, v.Field, v.Message = phase, field, msg
	if phase == PhaseRequest {
		v.Status = 0
	}
	ex.t.add(v)
}

// reportError reports every violation err holds: kin-openapi's MultiError of request, response
// and schema errors, however nested.
func (ex *exchange) reportError(phase string, err error) {
	for _, f := range findings(err, "") {
		ex.report(phase, f.field, f.message)
	}
}

type finding struct{ field, message string }

// findings flattens err into one finding per offending field. field is the name the enclosing
// error gave (a parameter's name), or "" for a body.
func findings(err error, field string) []finding {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []finding
		for _, one := range e {
			out = append(out, findings(one, field)...)
		}
		return out
	case *openapi3filter.RequestError:
		if e.Parameter != nil {
			field = e.Parameter.Name
			switch {
			case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
				return []finding{{field, "required " + e.Parameter.In + " parameter is missing"}}
			case errors.Is(e.Err, openapi3filter.ErrInvalidEmptyValue):
				return []finding{{field, "must not be empty"}}
			}
		} else if e.RequestBody != nil {
			switch {
			case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
				return []finding{{"body", "required request body is missing"}}
			case strings.Contains(e.Reason, "Content-Type has unexpected value"):
				var types []string
				for ct := range e.RequestBody.Content {
					types = append(types, ct)
				}
				slices.Sort(types)
				got := e.Input.Request.Header.Get("Content-Type")
				if got == "" {
					got = "none"
				}
				return []finding{{"Content-Type", fmt.Sprintf("expected %s, got %s", strings.Join(types, " or "), got)}}
			}
		}
		if e.Err == nil {
			if field == "" {
				field = "body"
			}
			return []finding{{field, e.Reason}}
		}
		if hasSchemaError(e.Err) {
			return findings(e.Err, field)
		}
		if field == "" {
			field = "body"
		}
		return []finding{{field, e.Error()}}
	case *openapi3filter.ResponseError:
		if e.Err != nil && hasSchemaError(e.Err) {
			return findings(e.Err, field)
		}
		f := "body"
		if strings.Contains(e.Reason, "header") {
			f = "header"
		}
		return []finding{{f, e.Error()}}
	case *openapi3filter.SecurityRequirementsError:
		return []finding{{"Authorization", e.Error()}}
	case *openapi3.SchemaError:
		return []finding{schemaFinding(e, field)}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return []finding{schemaFinding(se, field)}
	}
	if field == "" {
		field = "body"
	}
	return []finding{{field, err.Error()}}
}

func hasSchemaError(err error) bool {
	var se *openapi3.SchemaError
	var me openapi3.MultiError
	return errors.As(err, &se) || errors.As(err, &me)
}

var missingProperty = regexp.MustCompile(`property "([^"]+)" is (missing|unsupported)`)

// schemaFinding names the field a schema error is about, as a dotted JSON path (under the
// parameter's name for a parameter), and phrases what was expected and what was found.
func schemaFinding(se *openapi3.SchemaError, base string) finding {
	path := se.JSONPointer()
	reason := se.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match the schema's %q", se.SchemaField)
	}
	if m := missingProperty.FindStringSubmatch(se.Reason); m != nil {
		if len(path) == 0 || path[len(path)-1] != m[1] {
			path = append(path, m[1])
		}
		if m[2] == "missing" {
			reason = "required property is missing"
		} else {
			reason = "property is not allowed by the schema"
		}
		return finding{joinField(base, path), reason}
	}
	return finding{joinField(base, path), reason + "; got " + shortValue(se.Value)}
}

func joinField(base string, path []string) string {
	parts := make([]string, 0, len(path)+1)
	if base != "" {
		parts = append(parts, base)
	}
	parts = append(parts, path...)
	return strings.Join(parts, ".")
}

// shortValue renders a value the way JSON writes it, cut to a readable length.
func shortValue(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		s = "null"
	case string:
		s = fmt.Sprintf("%q", x)
	case map[string]any:
		s = "an object"
	case []any:
		s = fmt.Sprintf("an array of %d", len(x))
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func (t *Transport) add(v Violation) {
	t.mu.Lock()
	t.violations = append(t.violations, v)
	fn := t.onViolation
	t.mu.Unlock()
	if fn != nil {
		fn(v)
	}
}

// Violations returns a copy of every violation recorded since the Transport was made or last
// Reset, in the order they were found.
func (t *Transport) Violations() []Violation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.violations)
}

// Reset forgets the recorded violations.
func (t *Transport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.violations = nil
}
