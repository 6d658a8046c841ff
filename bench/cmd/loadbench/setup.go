package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
)

// The set-up: the state the cases read, made through the mock's API and its control API, as a
// user's test suite would make it.
//
//   - the dev account: 100 verifications, each with a complete configuration (every verifier
//     block, redirect URLs, every result parameter, security, session overrides and a webhook
//     pointed at the mock's own sink), the first named "bench";
//   - a tenant with 20 such verifications, for get-all (20);
//   - a hosted session of "bench" opened by a signed link with custom input parameters and an
//     external id, then completed through the control API with a subject whose face is indexed,
//     so that its result has every field;
//   - a signed query string with a nonce, for signature validate.

// Verifications in the dev account and in the tenant.
const (
	devVerifications    = 100
	tenantVerifications = 20
)

// fullConfig is a complete verificationConfig: every block, every flag set.
func fullConfig(webhook string) string {
	return `{"verifierConfigs":{"liveness":{"type":"Verification","challengeType":"Advanced"},` +
		`"age":{"type":"ThresholdVerification","threshold":18,"direction":"Above"},"gender":{"type":"CalculationOnly"},` +
		`"faceRecognition":{"type":"CalculationOnly","collectionId":"bench-faces"},"commonSettings":{"failOnMultipleFacesDetected":true}},` +
		`"redirectConfig":{"passedUrl":"https://shop.example.com/verify/passed","failedUrl":"https://shop.example.com/verify/failed"},` +
		`"resultParameterConfig":{"includeSignature":true,"includeSessionId":true,"includeFaceId":true,"includeAge":true,` +
		`"includeGender":true,"includeVerificationResult":true,"includeCustomInputParameters":true,"includeLivenessCheckResult":true,` +
		`"includeAgeVerificationResult":true,"includeGenderVerificationResult":true,"includeFaceRecognitionResult":true,` +
		`"includeCorrelationId":true,"includeTotalFaceCount":true,"includeFailedReason":true},` +
		`"securityConfig":{"forceSignedInput":true},` +
		`"sessionOverrideConfig":{"allowVerifierOverrides":true,"allowResultParameterOverrides":true,"allowRedirectOverrides":true},` +
		`"webhookConfig":{"eventCallbackUrl":"` + webhook + `"}}`
}

// fullResultFields are every field of a SessionResult; the set-up checks the completed session
// has them all.
var fullResultFields = []string{"verificationSessionId", "verificationResult", "verificationFailedReasons",
	"livenessVerificationResult", "ageVerificationResult", "estimatedAge", "genderVerificationResult", "estimatedGender",
	"faceRecognitionResult", "faceId", "correlationId", "totalFaceCount", "customInputParameters"}

// fullConfigBlocks are every block of a stored verificationConfig.
var fullConfigBlocks = []string{"verifierConfigs", "redirectConfig", "resultParameterConfig", "securityConfig",
	"sessionOverrideConfig", "webhookConfig"}

// caller sends set-up requests to one server.
type caller struct{ addr string }

// call sends a request and decodes a JSON answer into v (when not nil); an answer other than
// want is an error.
func (c caller) call(method, target, auth, body string, want int, v any) error {
	cn := &conn{addr: c.addr}
	defer cn.close()
	status, resp, err := cn.do(buildRequest("setup", c.addr, method, target, auth, body, want).raw, true)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %.300s", method, target, status, resp)
	}
	if v != nil {
		return json.Unmarshal(resp, v)
	}
	return nil
}

// createVerifications creates n verifications with the full configuration and returns the
// first one's id.
func (c caller) createVerifications(auth, prefix string, n int, webhook string) (string, error) {
	first := ""
	for i := range n {
		name := prefix
		if i > 0 {
			name = fmt.Sprintf("%s-%03d", prefix, i+1)
		}
		var v struct {
			ID string `json:"verificationId"`
		}
		body := `{"name":"` + name + `","verificationConfig":` + fullConfig(webhook) + `}`
		if err := c.call("POST", "/v1/verification/create", auth, body, 200, &v); err != nil {
			return "", err
		}
		if i == 0 {
			first = v.ID
		}
	}
	return first, nil
}

// setupState makes the state the cases read in the mock at addr.
func setupState(addr string) (*state, error) {
	c := caller{addr: addr}
	st := &state{devKey: devAPIKey}
	dev := "ApiKey " + devAPIKey
	webhook := "http://" + addr + "/_mock/webhook-sink"
	var tenant struct {
		Key string `json:"apiKey"`
	}
	if err := c.call("POST", "/_mock/tenants", "", `{"name":"loadbench get-all (20)"}`, 201, &tenant); err != nil {
		return nil, err
	}
	st.key20 = tenant.Key
	var err error
	if st.verification, err = c.createVerifications(dev, verificationName, devVerifications, webhook); err != nil {
		return nil, err
	}
	if _, err := c.createVerifications("ApiKey "+st.key20, "loadbench-tenant-verification", tenantVerifications, webhook); err != nil {
		return nil, err
	}
	if st.session, err = c.completedHostedSession(dev, st.verification); err != nil {
		return nil, err
	}
	var sig struct {
		Signed string `json:"signedQueryString"`
	}
	if err := c.call("POST", "/v1/signature/create", dev, signatureCreateBody, 200, &sig); err != nil {
		return nil, err
	}
	st.signed = sig.Signed
	if err := c.checkFull(dev, st); err != nil {
		return nil, err
	}
	return st, nil
}

// completedHostedSession opens a signed hosted link of verification (custom input parameters,
// an external id), finds the session it started and completes it through the control API.
func (c caller) completedHostedSession(auth, verification string) (string, error) {
	var sig struct {
		Signed string `json:"signedQueryString"`
	}
	link := `{"queryString":"userId=User123&plan=gold&locale=en-GB&reExternalId=user-42","securitySettings":{"enableNonce":true}}`
	if err := c.call("POST", "/v1/signature/create", auth, link, 200, &sig); err != nil {
		return "", err
	}
	if err := c.call("GET", "/verification/"+verification+"?"+sig.Signed, "", "", 200, nil); err != nil {
		return "", err
	}
	var held struct {
		Sessions []struct {
			ID           string `json:"verificationSessionId"`
			Verification string `json:"verificationId"`
			State        string `json:"state"`
		} `json:"sessions"`
	}
	if err := c.call("GET", "/_mock/sessions", auth, "", 200, &held); err != nil {
		return "", err
	}
	for _, s := range held.Sessions {
		if s.Verification == verification && s.State == "pending" {
			err := c.call("POST", "/_mock/sessions/"+s.ID+"/complete", "", `{"preset":"pass","subject":{"face":"bench-face"}}`, 200, nil)
			return s.ID, err
		}
	}
	return "", fmt.Errorf("the hosted link of verification %s started no session", verification)
}

// checkFull checks that the verification the get case reads has every configuration block and
// the session get-session-result reads has every result field.
func (c caller) checkFull(auth string, st *state) error {
	var v struct {
		Verification struct {
			Config map[string]json.RawMessage `json:"verificationConfig"`
		} `json:"verification"`
	}
	if err := c.call("GET", "/v1/verification/get?verificationId="+st.verification, auth, "", 200, &v); err != nil {
		return err
	}
	if missing := missingKeys(v.Verification.Config, fullConfigBlocks); len(missing) > 0 {
		return fmt.Errorf("the verification lacks %v", missing)
	}
	var r map[string]json.RawMessage
	if err := c.call("GET", "/v1/verification/get-session-result?verificationSessionId="+st.session, auth, "", 200, &r); err != nil {
		return err
	}
	if missing := missingKeys(r, fullResultFields); len(missing) > 0 {
		return fmt.Errorf("the session result lacks %v", missing)
	}
	return nil
}

func missingKeys(m map[string]json.RawMessage, keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// cannedResponse is one answer of the mock, replayed by the reference server for the requests
// with the same method, target and Authorization (bench/cmd/refserver reads these fields).
type cannedResponse struct {
	Case          string            `json:"case"`
	Method        string            `json:"method"`
	Target        string            `json:"target"`
	Authorization string            `json:"authorization,omitempty"`
	Status        int               `json:"status"`
	ContentType   string            `json:"contentType"`
	Headers       map[string]string `json:"headers,omitempty"`
	ContentLength bool              `json:"contentLength"` // the mock declared the body's length
	Framing       string            `json:"framing"`       // how the mock sent the body (the refserver ignores it)
	Body          string            `json:"body"`
}

// setupMock makes the state, then sends every request of the workload once and keeps the
// answers, the reference server's canned responses; for a case whose body varies, it sends the
// request once more and keeps that answer too (samples), for the shape check.
func setupMock(addr string) (reqs []request, canned []cannedResponse, samples map[string]answer, err error) {
	st, err := setupState(addr)
	if err != nil {
		return nil, nil, nil, err
	}
	*fixedIDs = *st
	reqs = workload(addr, st, statusOK)
	samples = map[string]answer{}
	for i, r := range reqs {
		a, err := fetch(addr, r)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", r.op, err)
		}
		canned = append(canned, a.canned(r))
		if cases(st)[i].varies != "" {
			if samples[r.op], err = fetch(addr, r); err != nil {
				return nil, nil, nil, fmt.Errorf("%s: %w", r.op, err)
			}
		}
	}
	return reqs, canned, samples, nil
}

// answer is a whole response.
type answer struct {
	status        int
	contentType   string
	header        http.Header
	body          []byte
	chunked       bool // Transfer-Encoding: chunked
	contentLength bool // a Content-Length header
}

// canned is the reference server's response to r: a, with its headers but Date and
// Content-Length, which net/http writes itself (the reference declares the length when the mock
// did, and otherwise lets net/http frame the body as it framed the mock's).
func (a answer) canned(r request) cannedResponse {
	cr := cannedResponse{Case: r.op, Method: r.method, Target: r.target, Authorization: r.auth, Status: a.status,
		ContentType: a.contentType, Body: string(a.body), ContentLength: a.contentLength, Framing: a.framing(), Headers: map[string]string{}}
	for k, v := range a.header {
		if !slices.Contains([]string{"Date", "Content-Length", "Content-Type"}, k) && len(v) > 0 {
			cr.Headers[k] = v[0]
		}
	}
	return cr
}

// framing describes how an answer's body was sent.
func (a answer) framing() string {
	switch {
	case a.chunked:
		return "chunked"
	case a.contentLength:
		return "Content-Length"
	}
	return "to the end of the connection"
}

// fetch sends r on a fresh connection and returns the whole answer (the load client does not
// keep headers).
func fetch(addr string, r request) (answer, error) {
	c := &conn{addr: addr}
	defer c.close()
	if err := c.dial(); err != nil {
		return answer{}, err
	}
	if _, err := c.c.Write(r.raw); err != nil {
		return answer{}, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	_, hasLength := resp.Header["Content-Length"]
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), header: resp.Header, body: body,
		chunked: slices.Contains(resp.TransferEncoding, "chunked"), contentLength: hasLength}, nil
}
