package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
)

// ids are the records the workload asks for. setupMock creates them in the mock; the reference
// server and Prism are sent the very same requests.
type ids struct {
	verification string
	session      string
	signed       string // a signed query string (with a nonce) from create-signature
}

var fixedIDs = &ids{
	verification: "39e00c96-6431-4b2e-8707-2fb80e561fbf",
	session:      "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
	signed:       "userId=User123&reExpiration=1747852345&reNonce=bf5c7f4e8a794e41a58e08dfd634f816&reSignature=5d5b3c5a2f9e9b1f4a0b7c7d6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
}

func statusOK(string) int { return 200 }

// benchConfig is a realistic verification: every verifier, redirect URLs, some result parameters.
const benchConfig = `{"verifierConfigs":{"liveness":{"type":"Verification"},` +
	`"age":{"type":"ThresholdVerification","threshold":18},"gender":{"type":"CalculationOnly"}},` +
	`"redirectConfig":{"passedUrl":"https://shop.example.com/passed","failedUrl":"https://shop.example.com/failed"},` +
	`"resultParameterConfig":{"includeSessionId":true,"includeVerificationResult":true,"includeAge":true}}`

// workload is the operations of the benchmark, each a valid request with credentials.
func workload(addr string, id *ids, status func(op string) int) []request {
	auth := "ApiKey " + devAPIKey
	signed, _ := json.Marshal(id.signed)
	type op struct{ name, method, target, body string }
	ops := []op{
		{"healthz", "GET", "/v1/healthz", ""},
		{"get-all", "GET", "/v1/verification/get-all", ""},
		{"get", "GET", "/v1/verification/get?verificationId=" + id.verification, ""},
		{"signature-create", "POST", "/v1/signature/create", `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`},
		{"signature-validate", "POST", "/v1/signature/validate", `{"queryString":` + string(signed) + `}`},
		{"create-session", "POST", "/v1/verification/create-session", `{"name":"bench","externalId":"user-42"}`},
		{"get-session-result", "GET", "/v1/verification/get-session-result?verificationSessionId=" + id.session, ""},
	}
	out := make([]request, 0, len(ops))
	for _, o := range ops {
		a := auth
		if o.name == "healthz" {
			a = ""
		}
		out = append(out, buildRequest(o.name, addr, o.method, o.target, a, o.body, status(o.name)))
	}
	return out
}

// cannedResponse is one answer of the mock, replayed by the reference server.
type cannedResponse struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// setupMock creates what the workload asks for (five verifications, a completed session, a
// signed query string), then sends every request of the workload once and keeps the answers.
func setupMock(addr string) ([]request, []cannedResponse, error) {
	auth := "ApiKey " + devAPIKey
	call := func(method, target, body string, v any) error {
		c := &conn{addr: addr}
		defer c.close()
		status, resp, err := c.do(buildRequest("setup", addr, method, target, auth, body, 200).raw, true)
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("%s %s: %d %s", method, target, status, resp)
		}
		if v != nil {
			return json.Unmarshal(resp, v)
		}
		return nil
	}
	id := &ids{}
	for i := range 5 {
		name := "bench"
		if i > 0 {
			name = "bench-" + strconv.Itoa(i)
		}
		var v struct {
			ID string `json:"verificationId"`
		}
		if err := call("POST", "/v1/verification/create", `{"name":"`+name+`","verificationConfig":`+benchConfig+`}`, &v); err != nil {
			return nil, nil, err
		}
		if i == 0 {
			id.verification = v.ID
		}
	}
	var sess struct {
		ID string `json:"verificationSessionId"`
	}
	if err := call("POST", "/v1/verification/create-session", `{"name":"bench","externalId":"user-42"}`, &sess); err != nil {
		return nil, nil, err
	}
	id.session = sess.ID
	if err := call("POST", "/_mock/sessions/"+sess.ID+"/complete", `{"preset":"pass"}`, nil); err != nil {
		return nil, nil, err
	}
	var sig struct {
		Signed string `json:"signedQueryString"`
	}
	if err := call("POST", "/v1/signature/create", `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`, &sig); err != nil {
		return nil, nil, err
	}
	id.signed = sig.Signed
	*fixedIDs = *id

	reqs := workload(addr, id, statusOK)
	var canned []cannedResponse
	for _, r := range reqs {
		c := &conn{addr: addr}
		status, body, ct, err := doWithContentType(c, r.raw)
		c.close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", r.op, err)
		}
		line, _, _ := bytes.Cut(r.raw, []byte("\r\n"))
		fields := strings.Fields(string(line))
		path, _, _ := strings.Cut(fields[1], "?")
		canned = append(canned, cannedResponse{Method: fields[0], Path: path, Status: status, ContentType: ct, Body: string(body)})
	}
	return reqs, canned, nil
}

// doWithContentType sends raw on a fresh connection and returns the status, body and
// Content-Type (the load client does not keep headers).
func doWithContentType(c *conn, raw []byte) (int, []byte, string, error) {
	if err := c.dial(); err != nil {
		return 0, nil, "", err
	}
	if _, err := c.c.Write(raw); err != nil {
		return 0, nil, "", err
	}
	tp := textproto.NewReader(c.br)
	line, err := tp.ReadLine()
	if err != nil {
		return 0, nil, "", err
	}
	status, err := strconv.Atoi(strings.Fields(line)[1])
	if err != nil {
		return 0, nil, "", err
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		return 0, nil, "", err
	}
	n, err := strconv.Atoi(h.Get("Content-Length"))
	if err != nil {
		return 0, nil, "", fmt.Errorf("no Content-Length in the answer")
	}
	body := make([]byte, n)
	if _, err := readFull(c.br, body); err != nil {
		return 0, nil, "", err
	}
	return status, body, h.Get("Content-Type"), nil
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
