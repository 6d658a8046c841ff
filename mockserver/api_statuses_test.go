package mockserver_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/generated/openapidoc"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestEveryDocumentedStatusIsReachable walks openapi.yaml and, for every operation and every
// status it declares, makes the mock answer that status; an operation or status the spec gains
// without a way to reach it here fails the test. The detailed behaviour behind each status is
// tested elsewhere; this is the map that nothing is left out.
func TestEveryDocumentedStatusIsReachable(t *testing.T) {
	m := newMock(t)
	id := m.createVerification(m.A, apiMinimalInput("existing")).VerificationId
	m.createVerification(m.A, apiMinimalInput("other"))
	sid := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("existing")}).VerificationSessionId
	vid, sessID := "verificationId="+id.String(), "verificationSessionId="+sid.String()
	missing := "verificationId=" + apiMissingID.String()

	// The hosted page: an open verification (no signature needed) with a redirect, one whose face
	// recognition needs the caller's id, and a link whose nonce an earlier visit used.
	open := m.createVerification(m.A, generated.VerificationInput{Name: "open", VerificationConfig: apiFullConfig()}).VerificationId
	matchCfg := apiFullConfig()
	matchCfg.VerifierConfigs.FaceRecognition.Type = generated.FaceRecognitionTypeMatchVerification
	needsID := m.createVerification(m.A, generated.VerificationInput{Name: "needs-external-id", VerificationConfig: matchCfg}).VerificationId

	// A trigger is sent to its operation's method and path, with path as the query suffix and
	// {verificationId} in the path replaced by pathID; prepare, when set, runs first.
	type trigger struct {
		path    string
		body    string
		headers []string
		pathID  string
		prepare func(t *testing.T) string // returns the query suffix, replacing path
	}
	noAuth := []string{"Authorization", ""}
	textPlain := []string{"Content-Type", "text/plain"}
	big := string(apiOversized())
	triggers := map[string]map[int]trigger{
		"POST /v1/signature/create": {
			200: {body: `{"queryString":"a=1"}`},
			400: {body: `{"queryString":"a=1","securitySettings":{"enableNonce":true,"expirationEnabled":false}}`},
			401: {body: `{"queryString":"a=1"}`, headers: noAuth},
			413: {body: big},
			415: {body: `{"queryString":"a=1"}`, headers: textPlain},
		},
		"POST /v1/signature/validate": {
			200: {body: `{"queryString":"a=1&reSignature=00"}`},
			400: {body: `{"queryString":""}`},
			401: {body: `{"queryString":"a=1"}`, headers: noAuth},
			413: {body: big},
			415: {body: `{"queryString":"a=1"}`, headers: textPlain},
		},
		"GET /v1/verification/get": {
			200: {path: "?" + vid},
			400: {path: "?verificationId=x"},
			401: {path: "?" + vid, headers: noAuth},
			404: {path: "?" + missing},
		},
		"GET /v1/verification/get-all": {
			200: {},
			401: {headers: noAuth},
		},
		"POST /v1/verification/create": {
			200: {body: `{"name":"new","verificationConfig":{}}`},
			400: {body: `{"name":"","verificationConfig":{}}`},
			401: {body: `{"name":"n","verificationConfig":{}}`, headers: noAuth},
			409: {body: `{"name":"existing","verificationConfig":{}}`},
			413: {body: big},
			415: {body: `{"name":"n","verificationConfig":{}}`, headers: textPlain},
		},
		"POST /v1/verification/create-or-update": {
			200: {body: `{"name":"existing","verificationConfig":{}}`},
			400: {body: `{"name":"existing"}`},
			401: {body: `{"name":"n","verificationConfig":{}}`, headers: noAuth},
			413: {body: big},
			415: {body: `{"name":"n","verificationConfig":{}}`, headers: textPlain},
		},
		"PUT /v1/verification/update": {
			200: {body: `{"verificationId":"` + id.String() + `","name":"existing","verificationConfig":{}}`},
			400: {body: `{"verificationId":"x","name":"existing","verificationConfig":{}}`},
			401: {body: `{}`, headers: noAuth},
			404: {body: `{"verificationId":"` + apiMissingID.String() + `","name":"n","verificationConfig":{}}`},
			409: {body: `{"verificationId":"` + id.String() + `","name":"other","verificationConfig":{}}`},
			413: {body: big},
			415: {body: `{}`, headers: textPlain},
		},
		"DELETE /v1/verification/delete": {
			200: {path: "?verificationId=<new>"},
			400: {path: "?verificationId=x"},
			401: {path: "?" + vid, headers: noAuth},
			404: {path: "?" + missing},
		},
		"POST /v1/verification/create-session": {
			200: {body: `{"name":"existing"}`},
			400: {body: `{}`},
			401: {body: `{}`, headers: noAuth},
			413: {body: big},
			415: {body: `{}`, headers: textPlain},
		},
		"GET /v1/verification/get-session-result": {
			200: {path: "?" + sessID},
			400: {path: "?verificationSessionId=x"},
			401: {path: "?" + sessID, headers: noAuth},
			404: {path: "?verificationSessionId=" + apiMissingID.String()},
		},
		"GET /v1/token/get": {
			200: {},
			400: {path: "?expirationInSeconds=59"},
			401: {headers: noAuth},
		},
		"GET /v1/healthz": {
			200: {headers: noAuth},
		},
		"GET /verification/{verificationId}": {
			200: {pathID: open.String(), headers: noAuth},
			303: {pathID: open.String(), headers: noAuth, prepare: func(t *testing.T) string {
				if err := m.srv.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}); err != nil {
					t.Fatal(err)
				}
				return ""
			}},
			400: {pathID: needsID.String(), headers: noAuth},
			403: {pathID: id.String(), path: "?userId=1", headers: noAuth},
			404: {pathID: apiMissingID.String(), headers: noAuth},
			410: {pathID: open.String(), headers: noAuth, prepare: func(t *testing.T) string {
				link := m.sign(m.A, "userId=1", &generated.SecuritySettings{EnableNonce: apiPtr(true)}).SignedQueryString
				if r := m.send("GET", "/verification/"+open.String()+"?"+link, nil, noAuth...); r.status != 200 {
					t.Fatalf("first visit of the link: status %d, want 200", r.status)
				}
				return "?" + link
			}},
		},
	}

	// Every operation of the API answers a request over production's limits, whatever it is.
	for key, mine := range triggers {
		if strings.Contains(key, " /v1/") {
			mine[414] = trigger{path: "?pad=" + strings.Repeat("x", mockserver.MaxRequestLineBytes)}
			mine[431] = trigger{headers: []string{"X-Pad", strings.Repeat("x", mockserver.MaxHeaderBytes)}}
		}
	}

	spec, err := openapidoc.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for _, path := range spec.Paths.Keys() {
		for method, op := range spec.Paths.Value(path).Operations() {
			key := method + " " + path
			mine := triggers[key]
			if mine == nil {
				t.Errorf("%s (%s) has no triggers", key, op.OperationID)
				continue
			}
			if !slices.Contains(op.Tags, "Hosted") {
				// Throttling and failures, which every API operation declares, come from a fault
				// (the control API's way to test a client's retries) on the call that succeeds.
				for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
					ok, opID, status := mine[http.StatusOK], op.OperationID, status
					ok.prepare = func(t *testing.T) string {
						if err := m.srv.AddFault(mockserver.Fault{Operation: opID, Status: status, Count: 1}); err != nil {
							t.Fatal(err)
						}
						return ok.path
					}
					mine[status] = ok
				}
			}
			declared := op.Responses.Keys()
			for status := range mine {
				if !slices.Contains(declared, strconv.Itoa(status)) {
					t.Errorf("%s: the test triggers %d, which the spec does not declare", key, status)
				}
			}
			for _, code := range declared {
				status, err := strconv.Atoi(code)
				if err != nil {
					t.Errorf("%s: response %q is not a status code", key, code)
					continue
				}
				tr, ok := mine[status]
				if !ok {
					t.Errorf("%s declares %d, but nothing here triggers it", key, status)
					continue
				}
				t.Run(op.OperationID+"/"+code, func(t *testing.T) {
					p := tr.path
					if tr.prepare != nil {
						p = tr.prepare(t)
					}
					if strings.Contains(p, "<new>") {
						fresh := m.createVerification(m.A, apiMinimalInput(m.uniqueName("fresh"))).VerificationId
						p = strings.ReplaceAll(p, "<new>", fresh.String())
					}
					var body []byte
					if tr.body != "" {
						body = []byte(tr.body)
					}
					r := m.send(method, strings.ReplaceAll(path, "{verificationId}", tr.pathID)+p, body, tr.headers...)
					if r.status != status {
						t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
					}
					// The hosted page answers a browser in HTML; the API answers problems.
					if status >= 400 && !slices.Contains(op.Tags, "Hosted") {
						r.problem(t, status)
					}
				})
				covered++
			}
		}
	}
	if covered < 50 {
		t.Errorf("only %d operation statuses covered", covered)
	}
}
