package main

import (
	"encoding/json"
)

// state is what the workload's requests name: the records and credentials the set-up made in
// the mock (setup.go). The reference server and Prism are sent the very same requests.
type state struct {
	devKey       string // the mock's dev account: 100 verifications, the sessions, the signatures
	key20        string // a tenant with 20 verifications
	verification string // the dev account's first verification, with every block configured
	session      string // a completed hosted session, with every result field
	signed       string // a signed query string (with a nonce) from create-signature
}

var fixedIDs = &state{
	devKey:       devAPIKey,
	key20:        devAPIKey,
	verification: "39e00c96-6431-4b2e-8707-2fb80e561fbf",
	session:      "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
	signed:       "userId=User123&reExpiration=1747852345&reNonce=bf5c7f4e8a794e41a58e08dfd634f816&reSignature=5d5b3c5a2f9e9b1f4a0b7c7d6e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
}

func statusOK(string) int { return 200 }

// benchCase is one case of the benchmark: an operation, and the state it reads.
type benchCase struct {
	id     string // for --ops and latest.json
	label  string // for the tables
	method string
	target string
	body   string
	key    func(*state) string // the API key sent, nil for none
	// varies says why the mock's body differs from call to call ("" when it does not): for such
	// a case the reference's canned body is one of the mock's answers, and the check is that the
	// mock's next answer has the same size and shape.
	varies string
}

// verificationName is the name of the dev account's full verification, the base of the
// create-session case's sessions; the others are named after it with a number (get-all (100) is
// about 18 KB with these names).
const verificationName = "loadbench-verification"

const signatureCreateBody = `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true}}`

func devKey(s *state) string { return s.devKey }

// cases are the benchmark's cases, in the order they run. create-session runs last of the
// single operations, as every call of it adds a session to the state the others read.
func cases(s *state) []benchCase {
	signed, _ := json.Marshal(s.signed)
	return []benchCase{
		{id: "healthz", label: "healthz", method: "GET", target: "/v1/healthz", varies: "the mock's clock"},
		{id: "get-all-20", label: "get-all (20)", method: "GET", target: "/v1/verification/get-all",
			key: func(s *state) string { return s.key20 }},
		{id: "get-all-100", label: "get-all (100)", method: "GET", target: "/v1/verification/get-all", key: devKey},
		{id: "get", label: "get (full)", method: "GET", target: "/v1/verification/get?verificationId=" + s.verification, key: devKey},
		{id: "signature-create", label: "signature create", method: "POST", target: "/v1/signature/create",
			body: signatureCreateBody, key: devKey, varies: "a new nonce and expiry"},
		{id: "signature-validate", label: "signature validate", method: "POST", target: "/v1/signature/validate",
			body: `{"queryString":` + string(signed) + `}`, key: devKey},
		{id: "get-session-result", label: "get-session-result (full)", method: "GET",
			target: "/v1/verification/get-session-result?verificationSessionId=" + s.session, key: devKey},
		{id: "create-session", label: "create-session", method: "POST", target: "/v1/verification/create-session",
			body: `{"name":"` + verificationName + `","externalId":"user-42"}`, key: devKey, varies: "a new session id and token"},
	}
}

// caseLabel is the table's name of a case id ("mixed" and unknown ids are their own label).
func caseLabel(id string) string {
	for _, c := range cases(fixedIDs) {
		if c.id == id {
			return c.label
		}
	}
	return id
}

// workload is the requests of the benchmark's cases, each valid, with credentials where the
// operation needs them.
func workload(addr string, s *state, status func(op string) int) []request {
	cs := cases(s)
	out := make([]request, 0, len(cs))
	for _, c := range cs {
		auth := ""
		if c.key != nil {
			auth = "ApiKey " + c.key(s)
		}
		out = append(out, buildRequest(c.id, addr, c.method, c.target, auth, c.body, status(c.id)))
	}
	return out
}
