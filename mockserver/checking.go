package mockserver

import (
	"net/http"

	"github.com/verifeye-twin/verifeye/internal/reqcheck"
)

// checked runs v (the operation's request checking, internal/reqcheck) before next: a request
// that breaks the operation's rules in openapi.yaml is answered with its problem, and one that
// production would read differently from the spec's spelling goes on respelt, with a warning.
func (s *Server) checked(v *reqcheck.Checker, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2, warning, p := v.Check(r, s.strict)
		if p != nil {
			s.writeProblem(w, r, fromCheck(p))
			return
		}
		if warning != "" {
			s.warn(w, r, warning)
		}
		next.ServeHTTP(w, r2)
	})
}

// fromCheck is the mock's error for a problem request checking found.
func fromCheck(p *reqcheck.Problem) *apiError {
	return &apiError{status: p.Status, detail: p.Detail, fields: p.Fields}
}

// decodeControl reads a control API body into v strictly (reqcheck.ReadStrict).
func decodeControl(r *http.Request, v any) *apiError {
	if p := reqcheck.ReadStrict(r, v); p != nil {
		return fromCheck(p)
	}
	return nil
}

// decodeStrict decodes a control API body into v strictly (reqcheck.DecodeStrict).
func decodeStrict(data []byte, v any) *apiError {
	if p := reqcheck.DecodeStrict(data, v); p != nil {
		return fromCheck(p)
	}
	return nil
}

// join is the dotted path of member k of the value at path.
func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
