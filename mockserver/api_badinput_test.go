package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// Bad input is sent raw: request violations are expected here, so only the responses are held
// to the spec (newMock's cleanup checks them).

// apiBadInputState is account A's state that bad input must leave untouched.
type apiBadInputState struct {
	list         string
	verification []byte
}

func (m *testMock) badInputSetup() (uuid.UUID, func() apiBadInputState) {
	m.t.Helper()
	id := m.createVerification(m.A, generated.VerificationInput{Name: "existing", VerificationConfig: apiFullConfig()}).VerificationId
	return id, func() apiBadInputState {
		m.t.Helper()
		resp, err := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: id})
		if err != nil || resp.StatusCode() != http.StatusOK {
			m.t.Fatalf("get: %v, %d", err, resp.StatusCode())
		}
		return apiBadInputState{list: m.listBody(m.A), verification: resp.Body}
	}
}

func TestBadInput(t *testing.T) {
	type req struct {
		method, path string
		body         []byte
		headers      []string
	}
	js := func(s string) []byte { return []byte(s) }
	const create = "/v1/verification/create"
	tests := []struct {
		class  string
		req    func(id uuid.UUID) req
		status int
		fields []string
	}{
		{"malformed JSON", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{`), nil}
		}, 400, []string{"body"}},
		{"trailing garbage after JSON", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{}} {}`), nil}
		}, 400, []string{"body"}},
		{"wrong type of a field", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":5,"verificationConfig":{}}`), nil}
		}, 400, []string{"name"}},
		{"wrong type of a nested field", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"securityConfig":{"forceSignedInput":"yes"}}}`), nil}
		}, 400, []string{"verificationConfig.securityConfig.forceSignedInput"}},
		{"words for a number", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"sixty"}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"whole number written with a fraction", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":60.0}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"whole number written with an exponent", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":6e1}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"number in a string with a fraction", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"60.0"}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"fraction for an integer", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":60.5}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"body is an array", func(uuid.UUID) req {
			return req{"POST", create, js(`[{"name":"x","verificationConfig":{}}]`), nil}
		}, 400, nil},
		{"body is null", func(uuid.UUID) req {
			return req{"POST", create, js(`null`), nil}
		}, 400, nil},
		{"missing required field", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x"}`), nil}
		}, 400, []string{"verificationConfig"}},
		{"missing required nested field", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"verifierConfigs":{"liveness":{"challengeType":"Balanced"}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.liveness.type"}},
		{"missing every required field of update", func(uuid.UUID) req {
			return req{"PUT", "/v1/verification/update", js(`{}`), nil}
		}, 400, []string{"verificationId", "name", "verificationConfig"}},
		{"out of range value", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":121}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.age.threshold"}},
		{"out of range value beyond int32", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":4294967296}}`), nil}
		}, 400, []string{"securitySettings.expirationInSeconds"}},
		{"too long string", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"verifierConfigs":{"faceRecognition":{"type":"CalculationOnly","collectionId":"` + strings.Repeat("c", 201) + `"}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.faceRecognition.collectionId"}},
		{"bad UUID in the query", func(uuid.UUID) req {
			return req{"GET", "/v1/verification/get?verificationId=not-a-uuid", nil, nil}
		}, 400, []string{"verificationId"}},
		{"bad UUID in the body", func(uuid.UUID) req {
			return req{"PUT", "/v1/verification/update", js(`{"verificationId":"39e00c96-6431-4b2e-8707-2fb80e561fb","name":"existing","verificationConfig":{}}`), nil}
		}, 400, []string{"verificationId"}},
		{"bad UUID for delete", func(uuid.UUID) req {
			return req{"DELETE", "/v1/verification/delete?verificationId=39e00c96", nil, nil}
		}, 400, []string{"verificationId"}},
		{"unknown enum value", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Maybe"}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.liveness.type"}},
		{"enum value spelt differently", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"verifierConfigs":{"gender":{"type":"calculation_only"}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.gender.type"}},
		{"unknown enum value in an update", func(id uuid.UUID) req {
			return req{"PUT", "/v1/verification/update", js(`{"verificationId":"` + id.String() + `","name":"existing","verificationConfig":{"verifierConfigs":{"age":{"type":"CalculationOnly","direction":"Sideways"}}}}`), nil}
		}, 400, []string{"verificationConfig.verifierConfigs.age.direction"}},
		{"non-URI URL", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"not a url"}}}`), nil}
		}, 400, []string{"verificationConfig.webhookConfig.eventCallbackUrl"}},
		{"oversized body", func(uuid.UUID) req {
			return req{"POST", create, apiOversized(), nil}
		}, 413, nil},
		{"oversized body on update", func(id uuid.UUID) req {
			return req{"PUT", "/v1/verification/update", apiOversized(), nil}
		}, 413, nil},
		{"wrong Content-Type", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{}}`), []string{"Content-Type", "text/plain"}}
		}, 415, nil},
		{"form Content-Type", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/create", js(`queryString=a%3D1`), []string{"Content-Type", "application/x-www-form-urlencoded"}}
		}, 415, nil},
		{"missing Content-Type", func(uuid.UUID) req {
			return req{"POST", create, js(`{"name":"x","verificationConfig":{}}`), []string{"Content-Type", ""}}
		}, 415, nil},
		{"empty body", func(uuid.UUID) req {
			return req{"POST", create, js(``), nil}
		}, 400, []string{"body"}},
		{"blank body", func(uuid.UUID) req {
			return req{"POST", "/v1/signature/validate", js(" \n "), nil}
		}, 400, []string{"body"}},
		{"repeated query parameter", func(id uuid.UUID) req {
			return req{"GET", "/v1/verification/get?verificationId=" + id.String() + "&verificationId=" + id.String(), nil, nil}
		}, 400, []string{"verificationId"}},
		{"repeated query parameter on delete", func(id uuid.UUID) req {
			return req{"DELETE", "/v1/verification/delete?verificationId=" + id.String() + "&verificationId=" + apiMissingID.String(), nil, nil}
		}, 400, []string{"verificationId"}},
		{"malformed query string", func(id uuid.UUID) req {
			return req{"DELETE", "/v1/verification/delete?verificationId=" + id.String() + "&x=%zz", nil, nil}
		}, 400, []string{"query"}},
	}
	for _, tc := range tests {
		t.Run(tc.class, func(t *testing.T) {
			m := newMock(t)
			id, state := m.badInputSetup()
			before := state()
			r := tc.req(id)
			resp := m.send(r.method, r.path, r.body, r.headers...)
			p := resp.problem(t, tc.status, tc.fields...)
			if apiDetailOf(p) == "" {
				t.Error("the problem has no detail")
			}
			if after := state(); after.list != before.list || !bytes.Equal(after.verification, before.verification) {
				t.Errorf("the rejected request changed state:\n%s\n%s\n%s\n%s", before.list, after.list, before.verification, after.verification)
			}
		})
	}
}

// apiOversized is a valid JSON body just over 1 MiB.
func apiOversized() []byte {
	pad := strings.Repeat("x", 1<<20)
	return []byte(`{"name":"x","verificationConfig":{},"padding":"` + pad + `"}`)
}

func TestBodyOfExactlyTheLimitIsRead(t *testing.T) {
	m := newMock(t)
	head, tail := `{"queryString":"a=1","padding":"`, `"}`
	body := head + strings.Repeat("x", 1<<20-len(head)-len(tail)) + tail
	r := m.send(http.MethodPost, "/v1/signature/create", []byte(body))
	if r.status != http.StatusOK {
		t.Errorf("a body of exactly 1 MiB: status %d, want 200", r.status)
	}
	r = m.send(http.MethodPost, "/v1/signature/create", []byte(body+" "))
	r.problem(t, http.StatusRequestEntityTooLarge)
}

func TestUnknownFieldsAreAcceptedWithAWarning(t *testing.T) {
	m := newMock(t)
	body := `{"name":"warned","extra":1,"verificationConfig":{"verifierConfigs":{"livness":{"type":"Verification"},` +
		`"age":{"type":"CalculationOnly","treshold":18}},"resultParameterConfig":{"includeSignatur":false}}}`
	r := m.send(http.MethodPost, "/v1/verification/create", []byte(body))
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s; want 200", r.status, r.body)
	}
	warning := r.header.Get("X-Mock-Warning")
	for _, f := range []string{"extra", "verificationConfig.verifierConfigs.livness", "verificationConfig.verifierConfigs.age.treshold", "verificationConfig.resultParameterConfig.includeSignatur"} {
		if !strings.Contains(warning, f) {
			t.Errorf("X-Mock-Warning %q does not name %s", warning, f)
		}
	}
	// The misspelt fields were ignored: the defaults apply.
	var created generated.VerificationCreated
	if err := json.Unmarshal(r.body, &created); err != nil {
		t.Fatal(err)
	}
	v := m.getVerification(m.A, created.VerificationId)
	if v.VerificationConfig.VerifierConfigs.Liveness != nil {
		t.Error("the misspelt liveness block was stored")
	}
	if !v.VerificationConfig.ResultParameterConfig.IncludeSignature {
		t.Error("includeSignature is not its default true")
	}

	t.Run("no warning without unknown fields", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1"}`))
		if r.status != http.StatusOK || r.header.Get("X-Mock-Warning") != "" {
			t.Errorf("status %d, X-Mock-Warning %q; want 200 and none", r.status, r.header.Get("X-Mock-Warning"))
		}
	})
	t.Run("free-form maps are not unknown fields", func(t *testing.T) {
		// SessionResult's customInputParameters is the only map; requests have none, so check
		// that a known nested field is not reported.
		r := m.send(http.MethodPost, "/v1/verification/create-session", []byte(`{"verifierConfigs":{"commonSettings":{"failOnMultipleFacesDetected":true}},"extraField":true}`))
		if r.status != http.StatusOK {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		if got := r.header.Get("X-Mock-Warning"); !strings.Contains(got, "extraField") || strings.Contains(got, "commonSettings") {
			t.Errorf("X-Mock-Warning %q, want only extraField", got)
		}
	})
}

func TestUnknownPathAndMethod(t *testing.T) {
	m := newMock(t)
	for _, path := range []string{"/v1/nowhere", "/", "/v2/verification/get", "/v1/healthz//", "/v1/verification/get/extra", "/v1/healthzz", "/v1/healthz/x"} {
		t.Run("path "+path, func(t *testing.T) {
			r := m.send(http.MethodGet, path, nil)
			p := r.problem(t, http.StatusNotFound)
			if !strings.Contains(apiDetailOf(p), "path") {
				t.Errorf("detail %q does not name the path", apiDetailOf(p))
			}
		})
	}
	t.Run("unknown path without credentials", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/nowhere", nil, "Authorization", "")
		r.problem(t, http.StatusNotFound)
	})
	methods := []struct {
		method, path, allow string
	}{
		{"POST", "/v1/healthz", "GET"},
		{"DELETE", "/v1/verification/get", "GET"},
		{"GET", "/v1/verification/create", "POST"},
		{"POST", "/v1/verification/update", "PUT"},
		{"GET", "/v1/verification/delete", "DELETE"},
		{"PATCH", "/v1/signature/validate", "POST"},
		{"PUT", "/v1/token/get", "GET"},
	}
	for _, tc := range methods {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := m.send(tc.method, tc.path, []byte(`{}`))
			p := r.problem(t, http.StatusMethodNotAllowed)
			allow := strings.Split(strings.ReplaceAll(r.header.Get("Allow"), " ", ""), ",")
			if !slices.Contains(allow, tc.allow) {
				t.Errorf("Allow %q, want %s", r.header.Get("Allow"), tc.allow)
			}
			if !strings.Contains(apiDetailOf(p), tc.method) {
				t.Errorf("detail %q does not name the method", apiDetailOf(p))
			}
		})
	}
}

func TestMalformedJSONForEveryBodyOperation(t *testing.T) {
	m := newMock(t)
	for _, op := range []struct{ method, path string }{
		{"POST", "/v1/signature/create"},
		{"POST", "/v1/signature/validate"},
		{"POST", "/v1/verification/create"},
		{"POST", "/v1/verification/create-or-update"},
		{"PUT", "/v1/verification/update"},
		{"POST", "/v1/verification/create-session"},
	} {
		t.Run(op.path, func(t *testing.T) {
			m.send(op.method, op.path, []byte(`{"`)).problem(t, http.StatusBadRequest, "body")
			m.send(op.method, op.path, []byte(`{}`), "Content-Type", "text/json").problem(t, http.StatusUnsupportedMediaType)
			m.send(op.method, op.path, apiOversized()).problem(t, http.StatusRequestEntityTooLarge)
			m.send(op.method, op.path, []byte(``)).problem(t, http.StatusBadRequest, "body")
		})
	}
	if list := m.listBody(m.A); list != `{"verifications":[]}`+"\n" && list != `{"verifications":[]}` {
		t.Errorf("bad input created verifications: %s", list)
	}
}

func TestJSONContentTypeWithParameters(t *testing.T) {
	m := newMock(t)
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"} {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1"}`), "Content-Type", ct)
		if r.status != http.StatusOK {
			t.Errorf("Content-Type %q: status %d, body %s; want 200", ct, r.status, r.body)
		}
	}
}

// TestOperationsWithoutParametersIgnoreTheQuery: get-all and healthz take no parameters and
// declare no 400 in openapi.yaml, so a query string they do not use must not make them fail.
func TestOperationsWithoutParametersIgnoreTheQuery(t *testing.T) {
	m := newMock(t)
	for _, path := range []string{
		"/v1/verification/get-all?page=1",
		"/v1/verification/get-all?page=1&page=2",
		"/v1/verification/get-all?page=%zz",
		"/v1/healthz?probe=1&probe=2",
		"/v1/healthz?probe=%zz",
	} {
		r := m.send(http.MethodGet, path, nil)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d, body %s; want 200 (the operation declares no 400)", path, r.status, r.body)
		}
	}
}
