package reqcheck

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

// benchRequests are valid requests of each operation with their query and body as the mock's
// load benchmark (mockserver/roundtrip_bench_test.go) sends them, and one that breaks the spec.
var benchRequests = []struct {
	name, pattern, query, body string
	ok                         bool
}{
	{"getHealth", "GET /v1/healthz", "", "", true},
	{"getToken", "GET /v1/token/get", "expirationInSeconds=900", "", true},
	{"createSignature", "POST /v1/signature/create", "", `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`, true},
	{"validateSignature", "POST /v1/signature/validate", "", `{"queryString":"userId=User123&age=25&nonce=8a1f&expiration=2026-03-01T12%3A00%3A00.0000000Z&signature=q1w2e3"}`, true},
	{"getVerification", "GET /v1/verification/get", "verificationId=" + benchID, "", true},
	{"getAllVerifications", "GET /v1/verification/get-all", "", "", true},
	{"createVerification", "POST /v1/verification/create", "", `{"name":"bench-1","verificationConfig":` + benchVerificationConfig + `}`, true},
	{"createOrUpdateVerification", "POST /v1/verification/create-or-update", "", `{"name":"bench","verificationConfig":` + benchVerificationConfig + `}`, true},
	{"updateVerification", "PUT /v1/verification/update", "", `{"verificationId":"` + benchID + `","name":"bench","verificationConfig":` + benchVerificationConfig + `}`, true},
	{"deleteVerification", "DELETE /v1/verification/delete", "verificationId=" + benchID, "", true},
	{"createSession", "POST /v1/verification/create-session", "", `{"name":"bench","externalId":"user-42"}`, true},
	{"getSessionResult", "GET /v1/verification/get-session-result", "verificationSessionId=" + benchID, "", true},
	{"getVerification-400", "GET /v1/verification/get", "verificationId=nope", "", false},
}

const (
	benchID                 = "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	benchVerificationConfig = `{"verifierConfigs":{"liveness":{"type":"Verification"},` +
		`"age":{"type":"ThresholdVerification","threshold":18},"gender":{"type":"CalculationOnly"}},` +
		`"redirectConfig":{"passedUrl":"https://shop.example.com/passed","failedUrl":"https://shop.example.com/failed"},` +
		`"resultParameterConfig":{"includeSessionId":true,"includeVerificationResult":true,"includeAge":true}}`
)

// newRequest is a request of the operation with pattern, its body JSON when there is one.
func newRequest(pattern, rawQuery, contentType, body string) *http.Request {
	method, path, _ := strings.Cut(pattern, " ")
	r := &http.Request{Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r.WithContext(context.Background())
}

// BenchmarkValidate measures request checking alone: the Checker of one operation (query
// parameters, body read, unknown-field scan, openapi.yaml schema), without routing,
// authentication or the handler. Run with
//
//	go test -run '^$' -bench Validate -benchmem ./internal/reqcheck/
func BenchmarkValidate(b *testing.B) {
	for _, br := range benchRequests {
		v := checkerFor(b, br.pattern)
		ct := ""
		if br.body != "" {
			ct = "application/json"
		}
		b.Run(br.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, perr := v.check(newRequest(br.pattern, br.query, ct, br.body))
				if (perr == nil) != br.ok {
					b.Fatalf("check: %v", perr)
				}
			}
		})
	}
}

// The mock's request checking (Checker, on the rules compiled into spec.gen.go) must
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
	checkersOnce sync.Once
	checkers     map[string]*Checker // by ServeMux pattern
)

// checkerFor is the Checker of the operation with pattern, for bodies of up to 1 MiB (the mock's
// default limit).
func checkerFor(t testing.TB, pattern string) *Checker {
	t.Helper()
	checkersOnce.Do(func() {
		checkers = map[string]*Checker{}
		for i := range Operations {
			op := &Operations[i]
			v, err := New(op, 1<<20)
			if err != nil {
				panic(err)
			}
			checkers[op.Method+" "+op.Path] = v
		}
	})
	v := checkers[pattern]
	if v == nil {
		t.Fatalf("no operation %s", pattern)
	}
	return v
}

// checkMatchesKin validates one request with the mock's validator and with kin-openapi and fails
// when the outcomes differ in any way.
func checkMatchesKin(t *testing.T, opIndex int, rawQuery, contentType, body string) {
	op := validationOps[opIndex%len(validationOps)]
	v := checkerFor(t, op.pattern)
	newReq := func() *http.Request { return newRequest(op.pattern, rawQuery, contentType, body) }
	r1, notes1, e1 := v.check(newReq())
	r2, notes2, e2 := kinValidate(t, v, newReq())
	if (e1 == nil) != (e2 == nil) {
		t.Fatalf("%s ?%s %q: the mock says %v, kin-openapi says %v", op.pattern, rawQuery, body, e1, e2)
	}
	if e1 != nil {
		if e1.Status != e2.Status || e1.detailText() != e2.detailText() || !reflect.DeepEqual(e1.Fields, e2.Fields) {
			t.Fatalf("%s ?%s %q: problems differ:\n mock %d %s %v\n kin  %d %s %v", op.pattern, rawQuery, body,
				e1.Status, e1.detailText(), e1.Fields, e2.Status, e2.detailText(), e2.Fields)
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

// TestFastPathIsTaken: the queries the load benchmark sends are read in place (without
// url.ParseQuery), and a valid body reaches the handler as its validated value.
func TestFastPathIsTaken(t *testing.T) {
	for _, br := range benchRequests {
		if !br.ok {
			continue
		}
		v := checkerFor(t, br.pattern)
		if len(v.op.Params) > 0 && v.fast == nil {
			t.Errorf("%s has no fast path for its query", br.pattern)
			continue
		}
		if len(v.op.Params) > 0 && !v.acceptsPlainQuery(br.query) {
			t.Errorf("%s: the fast path does not accept ?%s", br.pattern, br.query)
		}
		ct := ""
		if br.body != "" {
			ct = "application/json"
		}
		r, _, perr := v.check(newRequest(br.pattern, br.query, ct, br.body))
		if perr != nil {
			t.Errorf("%s: %v", br.pattern, perr)
			continue
		}
		if _, ok := r.Body.(*validatedBody); v.hasBody && !ok {
			t.Errorf("%s: the body does not carry its validated value", br.pattern)
		}
	}
}
