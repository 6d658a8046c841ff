package mockserver_test

import (
	"bytes"
	"net/http"
	"regexp"
	"testing"
)

// TestBodiesEndWithNewline: healthz's time and every problem body end with one newline, as the
// mock's JSON answers do, so that curl's output ends its line instead of running into the
// shell's prompt. newMock checks each answer against openapi.yaml too (healthz's pattern).
func TestBodiesEndWithNewline(t *testing.T) {
	m := newMock(t)
	health := m.send(http.MethodGet, "/v1/healthz", nil, "Authorization", "")
	if health.status != http.StatusOK || !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z\n$`).Match(health.body) {
		t.Errorf("healthz: %d %q, want the time and one newline", health.status, health.body)
	}
	problems := []struct {
		name   string
		status int
		answer apiResponse
	}{
		{"a refused body", http.StatusBadRequest, m.send(http.MethodPost, "/v1/signature/create", []byte(`{}`))},
		{"no credentials", http.StatusUnauthorized, m.send(http.MethodGet, "/v1/verification/get-all", nil, "Authorization", "")},
		{"an unknown path", http.StatusNotFound, m.send(http.MethodGet, "/v1/nowhere", nil)},
		{"an unknown control path", http.StatusNotFound, m.send(http.MethodGet, "/_mock/nowhere", nil, "Authorization", "")},
	}
	for _, p := range problems {
		t.Run(p.name, func(t *testing.T) {
			p.answer.problem(t, p.status)
			if !bytes.HasSuffix(p.answer.body, []byte("}\n")) || bytes.HasSuffix(p.answer.body, []byte("\n\n")) {
				t.Errorf("the problem body does not end with one newline: %q", p.answer.body)
			}
		})
	}
}
