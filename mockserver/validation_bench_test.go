package mockserver

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/oapi-codegen/runtime"

	"github.com/verifeye-twin/verifeye/generated"
)

// BenchmarkValidate measures request validation alone: the validator of one operation (query
// parameters, body read, unknown-field scan, openapi.yaml schema), without routing,
// authentication or the handler. Run with
//
//	go test -run '^$' -bench Validate -benchmem ./mockserver/
func BenchmarkValidate(b *testing.B) {
	e := newBenchEnv(b, Options{})
	patterns := map[string]string{
		"getHealth":                  "GET /v1/healthz",
		"getToken":                   "GET /v1/token/get",
		"createSignature":            "POST /v1/signature/create",
		"validateSignature":          "POST /v1/signature/validate",
		"getVerification":            "GET /v1/verification/get",
		"getAllVerifications":        "GET /v1/verification/get-all",
		"createVerification":         "POST /v1/verification/create",
		"createOrUpdateVerification": "POST /v1/verification/create-or-update",
		"updateVerification":         "PUT /v1/verification/update",
		"createSession":              "POST /v1/verification/create-session",
		"getSessionResult":           "GET /v1/verification/get-session-result",
		"getVerification-400":        "GET /v1/verification/get",
	}
	for _, op := range benchOps(e) {
		pattern, ok := patterns[op.name]
		if !ok {
			continue
		}
		v := e.s.routes[pattern]
		body := op.body
		if op.vary != nil {
			body = op.vary(0)
		}
		req := newBenchRequest(op.method, op.target, body, e.auth)
		wantOK := op.status == http.StatusOK
		b.Run(op.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, perr := v.validate(req.get())
				if (perr == nil) != wantOK {
					b.Fatalf("validate: %v", perr)
				}
			}
		})
	}
}

// The mock's validation (validation.go, on the rules compiled into generated/requestspec) must
// decide and word every request exactly as kin-openapi's openapi3filter.ValidateRequest does on
// openapi.yaml (validation_kin_test.go), and the validated body it hands the strict handler must
// bind to the very request encoding/json decodes. The fuzzers below compare the two on the same
// requests, and the bound body against the decoded one; their seeds run with every `go test`.

// validationOps are the operations the fuzzers exercise, with their typed request bodies.
var validationOps = []struct {
	pattern string
	body    func() any // nil: no body
}{
	{"GET /v1/verification/get", nil},
	{"GET /v1/verification/get-session-result", nil},
	{"DELETE /v1/verification/delete", nil},
	{"GET /v1/token/get", nil},
	{"GET /v1/healthz", nil},
	{"POST /v1/signature/create", func() any { return new(generated.CreateSignatureJSONRequestBody) }},
	{"POST /v1/signature/validate", func() any { return new(generated.ValidateSignatureJSONRequestBody) }},
	{"POST /v1/verification/create", func() any { return new(generated.CreateVerificationJSONRequestBody) }},
	{"POST /v1/verification/create-or-update", func() any { return new(generated.CreateOrUpdateVerificationJSONRequestBody) }},
	{"PUT /v1/verification/update", func() any { return new(generated.UpdateVerificationJSONRequestBody) }},
	{"POST /v1/verification/create-session", func() any { return new(generated.CreateSessionJSONRequestBody) }},
}

var (
	fuzzServerOnce sync.Once
	fuzzServer     *Server
)

func validationServer(t testing.TB) *Server {
	fuzzServerOnce.Do(func() {
		s, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		fuzzServer = s
	})
	return fuzzServer
}

// checkMatchesKin validates one request with the mock's validator and with kin-openapi and fails
// when the outcomes differ in any way.
func checkMatchesKin(t *testing.T, opIndex int, rawQuery, contentType, body string) {
	op := validationOps[opIndex%len(validationOps)]
	v := validationServer(t).routes[op.pattern]
	if v == nil {
		t.Fatalf("no route %s", op.pattern)
	}
	method, path, _ := strings.Cut(op.pattern, " ")
	newReq := func() *http.Request {
		r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return r.WithContext(context.Background())
	}
	r1, notes1, e1 := v.validate(newReq())
	r2, notes2, e2 := kinValidate(t, v, newReq())
	if (e1 == nil) != (e2 == nil) {
		t.Fatalf("%s ?%s %q: the mock says %v, kin-openapi says %v", op.pattern, rawQuery, body, e1, e2)
	}
	if e1 != nil {
		if e1.status != e2.status || e1.detailText() != e2.detailText() || !reflect.DeepEqual(e1.fields, e2.fields) {
			t.Fatalf("%s ?%s %q: problems differ:\n mock %d %s %v\n kin  %d %s %v", op.pattern, rawQuery, body,
				e1.status, e1.detailText(), e1.fields, e2.status, e2.detailText(), e2.fields)
		}
		return
	}
	if !reflect.DeepEqual(notes1, notes2) {
		t.Fatalf("%s ?%s %q: notes %+v vs %+v", op.pattern, rawQuery, body, notes1, notes2)
	}
	if op.body == nil {
		return
	}
	// What the strict handler gets: BindJSONBody on the mock's body (the validated value when it
	// carries one) against BindJSONBody on the body as sent (always a decode).
	bound, decoded := op.body(), op.body()
	err1 := runtime.BindJSONBody(r1, bound)
	err2 := runtime.BindJSONBody(r2, decoded)
	if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Fatalf("%s %q: binding says %v, decoding says %v", op.pattern, body, err1, err2)
	}
	if !reflect.DeepEqual(bound, decoded) {
		t.Fatalf("%s %q: bound %+v, decoded %+v", op.pattern, body, bound, decoded)
	}
}

func FuzzQueryMatchesKin(f *testing.F) {
	id := "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	for i := range 5 {
		for _, q := range []string{
			"", "verificationId=" + id, "verificationSessionId=" + id, "verificationId=" + strings.ToUpper(id),
			"verificationId=" + id + "&x=1", "verificationId=", "verificationId", "verificationId=" + id + "&verificationId=" + id,
			"verificationId=" + id[:35], "verificationId=" + id + "0", "verificationId=" + strings.Replace(id, "-", "_", 1),
			"verificationId=%zz", "verificationId=" + strings.Replace(id, "3", "%33", 1), "verificationId=" + id + "%0A",
			"expirationInSeconds=900", "expirationInSeconds=60", "expirationInSeconds=3600", "expirationInSeconds=59",
			"expirationInSeconds=3601", "expirationInSeconds=+900", "expirationInSeconds=0900", "expirationInSeconds=9e2",
			"expirationInSeconds=", "expirationInSeconds=-1", "expirationInSeconds=99999999999", "expirationInSeconds=900.0",
			"expirationInSeconds=0x10", "verificationSessionId=" + id + "&verificationId=nope",
			"VerificationId=" + id, "verificationid=" + id + "&verificationId=" + id, "Verification%49d=" + id,
			"VERIFICATIONSESSIONID=nope", "ExpirationInSeconds=60",
			"verificationId=%7B" + id + "%7D", "verificationId=(" + id + ")", "verificationId=" + strings.ReplaceAll(id, "-", ""),
			"verificationId=+" + id, "expirationInSeconds=%2060", "expirationInSeconds=60+", "verificationId=%7B" + id,
		} {
			f.Add(i, q)
		}
	}
	f.Fuzz(func(t *testing.T, op int, rawQuery string) {
		if op < 0 {
			op = -op
		}
		checkMatchesKin(t, op%5, rawQuery, "", "")
	})
}

func FuzzBodyMatchesKin(f *testing.F) {
	id := "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	bodies := []string{
		`{"queryString":"userId=User123&age=25"}`,
		`{"queryString":"userId=User123","securitySettings":{"enableNonce":true,"expirationInSeconds":60}}`,
		`{"queryString":"a=1","securitySettings":{"expirationInSeconds":1.0}}`,
		`{"queryString":"a=1","securitySettings":{"expirationInSeconds":1e2}}`,
		`{"queryString":"a=1","securitySettings":{"expirationInSeconds":99999999999}}`,
		`{"queryString":"a=1","securitySettings":{"enableNonce":true},"securitySettings":{"expirationInSeconds":60}}`,
		`{"queryString":"a=1","queryString":"b=2"}`,
		`{"QueryString":"a=1"}`,
		`{"queryString":"a=1","SecuritySettings":{"enableNonce":true}}`,
		`{"queryString":"a=1","securitySettings":{"EnableNonce":true}}`,
		`{"queryString":"\u00e9\ud83d\ude00 \"q\" \\ a=1"}`,
		`{"queryString":"a\"b\":c"}`,
		`{"queryString":null}`,
		`{"queryString":"a=1","securitySettings":null}`,
		`{"queryString":"a=1","extra":{"x":[1,{"y":2}]}}`,
		`{"queryString":"a=1"} `,
		`{"queryString":"a=1"}{}`,
		` {"queryString" : "a=1" , "securitySettings" : { "enableNonce" : false } }`,
		`[]`, `"x"`, `{}`, `{"queryString":""}`, `{"queryString":5}`,
		`{"name":"n","verificationConfig":{}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":18}}}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":18.0}}}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":18.5}}}}`,
		`{"name":"n","verificationConfig":{"redirectConfig":{"passedUrl":"https://a.example/p","failedUrl":"nope"}}}`,
		`{"name":"n","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"https://h.example/x"},"resultParameterConfig":{"includeAge":true}}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"}},"verifierConfigs":{"age":{"type":"CalculationOnly"}}}}`,
		`{"verificationId":"` + id + `","name":"n","verificationConfig":{}}`,
		`{"verificationId":"` + strings.ToUpper(id) + `","name":"n","verificationConfig":{}}`,
		`{"verificationId":null,"name":"n","verificationConfig":{}}`,
		`{"name":"bench","externalId":"user-42"}`,
		`{"verifierConfigs":{"liveness":{"type":"Verification"}},"webhookConfig":{"eventCallbackUrl":"http://127.0.0.1:9/h"}}`,
		`{"name":"bench","verifierConfigs":{"faceRecognition":{"type":"MatchVerification","collectionId":"c"}},"externalId":"e"}`,
		`{"Name":"n","VerificationConfig":{"VerifierConfigs":{"Age":{"Type":"ThresholdVerification","Threshold":18}}}}`,
		`{"queryString":"a=1","QUERYSTRING":"b=2","QueryString":null}`,
		`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"60"}}`,
		`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"6e1","ExpirationInSeconds":60.0}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":"+018"}}}}`,
		`{"name":"n","verificationConfig":{"verifierConfigs":{"liveness":{"type":"verification","challengeType":"BALANCED"},"age":{"type":"thresholdverification","threshold":18,"direction":"above"}}}}`,
		`{"verifierConfigs":{"Gender":{"type":"calculationonly"},"gender":{"Type":"disabled"}}}`,
		`{"queryString":"a=1","x":` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `}`,
		`{"queryString":"a=1","x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`,
	}
	cts := []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", "", "application/vnd.api+json; charset=utf-8", "application/+json"}
	for op := 5; op < len(validationOps); op++ {
		for i, b := range bodies {
			f.Add(op, b, cts[i%len(cts)])
			f.Add(op, b, "application/json")
		}
	}
	f.Fuzz(func(t *testing.T, op int, body, contentType string) {
		if op < 0 {
			op = -op
		}
		checkMatchesKin(t, 5+op%(len(validationOps)-5), "", contentType, body)
	})
}

func TestJSONMemberCount(t *testing.T) {
	for body, want := range map[string]int{
		`{}`: 0, `[]`: 0, `"a:"`: 0, `{"a":1}`: 1, `{"a" : {"b":[{"c":"d:"}]}, "e":"\"f\":"}`: 4,
		`["a", "b"]`: 0, `{"a\\":1,"b\"":2}`: 2, `{"a":1,"a":2}`: 2,
	} {
		if got := jsonMemberCount([]byte(body)); got != want {
			t.Errorf("jsonMemberCount(%s) = %d, want %d", body, got, want)
		}
	}
}

// TestFastPathIsTaken: the queries the benchmarks send are read in place (without url.ParseQuery),
// and a valid body reaches the handler as its validated value.
func TestFastPathIsTaken(t *testing.T) {
	e := newBenchEnv(t, Options{})
	for _, op := range benchOps(e) {
		pattern := op.method + " " + strings.SplitN(op.target, "?", 2)[0]
		v := e.s.routes[pattern]
		if v == nil || op.status != http.StatusOK || op.vary != nil {
			continue
		}
		if len(v.op.Params) > 0 && v.fast == nil {
			t.Errorf("%s has no fast path for its query", pattern)
			continue
		}
		r, _, perr := v.validate(newBenchRequest(op.method, op.target, op.body, e.auth).get())
		if perr != nil {
			t.Errorf("%s: %v", pattern, perr)
			continue
		}
		if _, ok := r.Body.(validatedBody); v.hasBody && !ok {
			t.Errorf("%s: the body does not carry its validated value", pattern)
		}
	}
}
