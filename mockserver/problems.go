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
)

// apiError is the mock's one application error: an HTTP status and, for each offending field,
// the rules it broke. Handlers return it; writeProblem turns it into the API's error body.
type apiError struct {
	status int
	detail string              // optional; derived from fields when empty
	fields map[string][]string // field (dotted JSON path, parameter or header name) → rules
}

func (e *apiError) Error() string { return e.detailText() }

func (e *apiError) detailText() string {
	if e.detail != "" {
		return e.detail
	}
	keys := make([]string, 0, len(e.fields))
	for k := range e.fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(e.fields[k], "; "))
	}
	return strings.Join(parts, "; ")
}

// add records that field broke rule (once, however often the rule is checked).
func (e *apiError) add(field, rule string) {
	if e.fields == nil {
		e.fields = map[string][]string{}
	}
	if slices.Contains(e.fields[field], rule) {
		return
	}
	e.fields[field] = append(e.fields[field], rule)
}

func fieldError(status int, field, rule string) *apiError {
	e := &apiError{status: status}
	e.add(field, rule)
	return e
}

func badRequest(field, rule string) *apiError { return fieldError(http.StatusBadRequest, field, rule) }

func notFound(field, detail string) *apiError {
	return &apiError{status: http.StatusNotFound, detail: field + ": " + detail}
}

func conflict(field, rule, detail string) *apiError {
	e := fieldError(http.StatusConflict, field, rule)
	e.detail = field + ": " + detail
	return e
}

func unauthorized(detail string) *apiError {
	return &apiError{status: http.StatusUnauthorized, detail: "Authorization: " + detail}
}

// problemTypes are the RFC 9110 section links ASP.NET puts in `type` for each status.
var problemTypes = map[int]string{
	400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
	401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
	404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
	405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
	409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
	413: "https://tools.ietf.org/html/rfc9110#section-15.5.14",
	415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
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
		fields := e.fields
		p.Errors = &fields
	}
	return p
}

// writeProblem answers err in the API's error format. Errors that are not *apiError are the
// mock's own faults: they are logged and answered as a 500 without internal details.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	var e *apiError
	if errors.Is(err, errStorage) {
		s.log.ErrorContext(r.Context(), "storage failure", slog.String("path", r.URL.Path), slog.Any("error", err))
		e = &apiError{status: http.StatusServiceUnavailable, detail: "storage: the mock could not write its data directory; nothing was changed"}
	} else if !errors.As(err, &e) {
		s.log.ErrorContext(r.Context(), "internal error", slog.String("path", r.URL.Path), slog.Any("error", err))
		e = &apiError{status: http.StatusInternalServerError, detail: "the mock failed to handle this request; see its log"}
	}
	body, mErr := json.Marshal(problem(e, r))
	if mErr != nil {
		body = []byte(fmt.Sprintf(`{"title":%q,"status":%d}`, http.StatusText(e.status), e.status))
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "ApiKey, Bearer")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
