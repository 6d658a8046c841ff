package mockserver

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/signing"
)

// TestProblemFor pins the one mapping from an error to the API's answer: each kind of error gets
// one status, whatever wraps it, and only the mock's own faults and storage failures are
// internal (logged, their cause never answered).
func TestProblemFor(t *testing.T) {
	id := uuid.MustParse("5d7f3c2e-2b1a-4c9d-8e6f-0a1b2c3d4e5f")
	cases := []struct {
		name     string
		err      error
		status   int
		detail   string
		fields   fieldErrors
		internal bool
	}{
		{"a missing verification", verificationNotFound(id), http.StatusNotFound,
			"verificationId: no verification 5d7f3c2e-2b1a-4c9d-8e6f-0a1b2c3d4e5f", nil, false},
		{"a missing session, as CompleteSession returns it", sessionNotFound(id), http.StatusNotFound,
			"verificationSessionId: no session 5d7f3c2e-2b1a-4c9d-8e6f-0a1b2c3d4e5f created in the last 7 days", nil, false},
		{"a taken name", nameTaken("Gate"), http.StatusConflict,
			`name: a verification named "Gate" already exists`, fieldErrors{"name": {"must be unique within the account"}}, false},
		{"a completed session", sessionCompleted(id), http.StatusConflict,
			"verificationSessionId: session 5d7f3c2e-2b1a-4c9d-8e6f-0a1b2c3d4e5f is already completed",
			fieldErrors{"verificationSessionId": {"must be a pending session"}}, false},
		{"a storage failure", fmt.Errorf("%w: database not open", errStorage), http.StatusServiceUnavailable,
			"storage: the mock could not write its data directory; nothing was changed", nil, true},
		{"field errors", fieldErrors{"name": {"must not be blank"}}, http.StatusBadRequest,
			"name: must not be blank", fieldErrors{"name": {"must not be blank"}}, false},
		{"a bad subject, wrapped", fmt.Errorf("%w: %w", ErrBadSubject, fieldError("preset", "must be one of pass")), http.StatusBadRequest,
			"preset: must be one of pass", fieldErrors{"preset": {"must be one of pass"}}, false},
		{"a signing rule", &signing.RuleError{Field: "queryString", Rule: "must not be empty"}, http.StatusBadRequest,
			"queryString: must not be empty", fieldErrors{"queryString": {"must not be empty"}}, false},
		{"an answer the HTTP layer chose", unauthorized("missing"), http.StatusUnauthorized,
			"Authorization: missing", nil, false},
		{"anything else", errors.New("token key: short read"), http.StatusInternalServerError,
			"the mock failed to handle this request; see its log", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, internal := problemFor(tc.err)
			if e.status != tc.status || e.detailText() != tc.detail || !reflect.DeepEqual(e.fields, tc.fields) || internal != tc.internal {
				t.Errorf("problemFor(%v) = %d %q %v internal=%t, want %d %q %v internal=%t",
					tc.err, e.status, e.detailText(), e.fields, internal, tc.status, tc.detail, tc.fields, tc.internal)
			}
		})
	}
}
