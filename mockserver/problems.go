package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// fieldErrors is the mock's one field-error type: each offending field (a dotted JSON path, a
// parameter or a header name) with the rules it broke. The rules, the subject and fault checks
// and the control API all report it; problemFor answers it as a 400 whose `errors` object is
// this map, as ASP.NET's model validation does.
type fieldErrors map[string][]string

// add records that field broke rule (once, however often the rule is checked).
func (f *fieldErrors) add(field, rule string) {
	if *f == nil {
		*f = fieldErrors{}
	}
	if slices.Contains((*f)[field], rule) {
		return
	}
	(*f)[field] = append((*f)[field], rule)
}

// err returns f as an error, or nil when no field broke a rule.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Error lists the fields in order with their rules: "name: must not be blank".
func (f fieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(f[k], "; "))
	}
	return strings.Join(parts, "; ")
}

// within names each field of f inside prefix: "preset" within "[1]" is "[1].preset".
func (f fieldErrors) within(prefix string) fieldErrors {
	out := make(fieldErrors, len(f))
	for k, rules := range f {
		out[prefix+"."+k] = rules
	}
	return out
}

// fieldError is one field that broke one rule.
func fieldError(field, rule string) fieldErrors { return fieldErrors{field: {rule}} }

// apiError is an answer whose status the HTTP layer itself decides (an unknown path, a missing
// credential, an unreadable body, an injected fault), with the fields at fault when it has any.
// Rules and the store never build one: they return fieldErrors and store errors, and problemFor
// decides their status.
type apiError struct {
	status int
	detail string      // optional; derived from fields when empty
	fields fieldErrors // field → rules
}

func (e *apiError) Error() string { return e.detailText() }

func (e *apiError) detailText() string {
	if e.detail != "" {
		return e.detail
	}
	return e.fields.Error()
}

func badRequest(field, rule string) *apiError {
	return &apiError{status: http.StatusBadRequest, fields: fieldError(field, rule)}
}

func unauthorized(detail string) *apiError {
	return &apiError{status: http.StatusUnauthorized, detail: "Authorization: " + detail}
}

// storageDetail is what a client reads when the data directory could not be written. Every store
// write is one transaction made before memory changes, so a failed write changes nothing.
const storageDetail = "storage: the mock could not write its data directory; nothing was changed"

// problemFor is the one place an error gets its status: store errors by their kind (not found
// 404, conflict 409, storage failure 503), field errors (the mock's own, and the signing
// package's RuleError) 400, an *apiError its own status. Anything else is the mock's own fault, a
// 500 that tells the client nothing internal; internal reports whether err was that.
func problemFor(err error) (e *apiError, internal bool) {
	var (
		ae *apiError
		se *storeError
		fe fieldErrors
		re *signing.RuleError
	)
	switch {
	case errors.As(err, &ae):
		return ae, false
	case errors.Is(err, errStorage):
		return &apiError{status: http.StatusServiceUnavailable, detail: storageDetail}, true
	case errors.As(err, &se) && errors.Is(se.kind, errNotFound):
		return &apiError{status: http.StatusNotFound, detail: se.field + ": " + se.detail}, false
	case errors.As(err, &se) && errors.Is(se.kind, errConflict):
		return &apiError{status: http.StatusConflict, detail: se.field + ": " + se.detail, fields: fieldError(se.field, se.rule)}, false
	case errors.As(err, &fe):
		return &apiError{status: http.StatusBadRequest, fields: fe}, false
	case errors.As(err, &re):
		return badRequest(re.Field, re.Rule), false
	case errors.Is(err, ErrTooManyTenants):
		return &apiError{status: http.StatusConflict, detail: err.Error()}, false
	case errors.Is(err, ErrTooManyFaults):
		return &apiError{status: http.StatusConflict, detail: err.Error(),
			fields: fieldError("faults", fmt.Sprintf("at most %d in one scope", MaxFaults))}, false
	}
	return &apiError{status: http.StatusInternalServerError, detail: "the mock failed to handle this request; see its log"}, true
}

// problemTypes are the RFC 9110 section links ASP.NET puts in `type` for each status.
var problemTypes = map[int]string{
	400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
	401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
	403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
	404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
	405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
	409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
	413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
	414: "https://tools.ietf.org/html/rfc9110#section-15.5.15",
	415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
	431: "https://tools.ietf.org/html/rfc6585#section-5",
	500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}

// problem builds the RFC 9457 body for e, the format of every error the mock answers.
func problem(e *apiError, r *http.Request) generated.ProblemDetails {
	title := http.StatusText(e.status)
	if e.status == http.StatusBadRequest {
		// ASP.NET's wording for model-validation failures.
		title = "One or more validation errors occurred."
	}
	p := generated.ProblemDetails{Title: title, Status: int32(e.status)}
	if t, ok := problemTypes[e.status]; ok {
		p.Type = &t
	}
	if d := e.detailText(); d != "" {
		p.Detail = &d
	}
	if r != nil {
		inst := r.URL.Path
		p.Instance = &inst
		if id := requestID(r.Context()); id != "" {
			p.TraceId = &id
		}
	}
	if len(e.fields) > 0 {
		fields := map[string][]string(e.fields)
		p.Errors = &fields
	}
	return p
}

// writeProblem answers err in the API's error format, with the status problemFor gives it. The
// mock's own faults and storage failures are logged with their cause, which the client never
// sees. The request's log line and journal entry carry the problem's detail and fields.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := problemFor(err)
	if ex := exchangeFrom(r.Context()); ex != nil {
		ex.detail, ex.fields = e.detailText(), e.fields
	}
	if internal {
		s.log.ErrorContext(r.Context(), "request failed", slog.String("id", requestID(r.Context())), slog.Int("status", e.status), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	body, mErr := json.Marshal(problem(e, r))
	if mErr != nil {
		body = []byte(fmt.Sprintf(`{"title":%q,"status":%d}`, http.StatusText(e.status), e.status))
	}
	// A newline ends the body, as it ends every JSON answer of the mock (json.Encoder writes
	// one), so curl's output ends its line instead of running into the shell's prompt. JSON
	// readers ignore it.
	body = append(body, '\n')
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "ApiKey, Bearer")
	}
	w.Header()["Content-Type"] = problemContentType
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
