package contract

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// The checks below word every failure the same way: the operation, the field, what was expected
// and what came, so a report says precisely where production and the mock disagree.

// Status checks an answer's status code.
func (t *T) Status(op string, got int, body []byte, want int) bool {
	if got == want {
		return true
	}
	t.Errorf("%s: status = %d, want %d (body: %s)", op, got, want, snippet(body))
	return false
}

// Equal checks one field of an answer.
func (t *T) Equal(op, field string, got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	t.Errorf("%s: %s = %v, want %v", op, field, show(got), show(want))
	return false
}

// True checks a condition on a field, with what was expected in words.
func (t *T) True(ok bool, op, field string, got any, want string) bool {
	if !ok {
		t.Errorf("%s: %s = %v, want %s", op, field, show(got), want)
	}
	return ok
}

// Problem checks a 4xx answer: the status, the problem-details content type and body, and that
// the body names field (when field is not empty) among its errors or in its detail.
func (t *T) Problem(op string, status int, header http.Header, body []byte, wantStatus int, field string) bool {
	if !t.Status(op, status, body, wantStatus) {
		return false
	}
	ok := true
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if mt != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q, want application/problem+json", op, header.Get("Content-Type"))
		ok = false
	}
	var p struct {
		Status int                 `json:"status"`
		Detail string              `json:"detail"`
		Errors map[string][]string `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s: problem body is not JSON: %v (body: %s)", op, err, snippet(body))
		return false
	}
	if p.Status != wantStatus {
		t.Errorf("%s: problem status = %d, want %d", op, p.Status, wantStatus)
		ok = false
	}
	if field == "" {
		return ok
	}
	leaf := strings.ToLower(field[strings.LastIndex(field, ".")+1:])
	named := strings.Contains(strings.ToLower(p.Detail), leaf)
	for k := range p.Errors {
		if strings.Contains(strings.ToLower(k), leaf) {
			named = true
		}
	}
	if !named {
		t.Errorf("%s: problem does not name the field %s (detail %q, errors for %v)", op, field, p.Detail, keys(p.Errors))
		ok = false
	}
	return ok
}

func keys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "<absent>"
		}
		v = rv.Elem().Interface()
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	if s == "" {
		return "empty"
	}
	return s
}
