package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestConcurrentRunsLeaveTheMockAsFound runs the suite twice at the same time against one mock
// binary, then a third time, each in tenants of its own; all pass, and the mock's clock, its
// subject queue, and another account's verifications, session and signed link are exactly as
// they were before.
func TestConcurrentRunsLeaveTheMockAsFound(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the mock and runs the suite three times")
	}
	const token = "shared-ci-token"
	base := startMockBinary(t, t.TempDir(), "--control-token", token)
	call := func(method, path, body string, auth bool) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set(mockserver.ControlTokenHeader, token)
		req.Header.Set("Content-Type", "application/json")
		if auth {
			req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	must := func(method, path, body string, auth bool) string {
		t.Helper()
		status, b := call(method, path, body, auth)
		if status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, status, b)
		}
		return b
	}

	// Another user's state: the mock's clock stopped (so "as before" is exact), a subject queued
	// for everyone, and the development account's verification, pending session and signed link.
	must(http.MethodPost, "/_mock/clock", `{"freeze":true}`, false)
	must(http.MethodPost, "/_mock/subjects", `{"preset":"underage"}`, false)
	must(http.MethodPost, "/v1/verification/create", `{"name":"someone else's","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"}}}}`, true)
	var session struct{ VerificationSessionId string }
	if err := json.Unmarshal([]byte(must(http.MethodPost, "/v1/verification/create-session", `{"name":"someone else's"}`, true)), &session); err != nil {
		t.Fatal(err)
	}
	var link struct{ SignedQueryString string }
	if err := json.Unmarshal([]byte(must(http.MethodPost, "/v1/signature/create", `{"queryString":"userId=other","securitySettings":{"enableNonce":true,"expirationInSeconds":600}}`, true)), &link); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]string {
		validate, _ := json.Marshal(map[string]string{"queryString": link.SignedQueryString})
		return map[string]string{
			"mock clock":            must(http.MethodGet, "/_mock/clock", "", false),
			"mock subject queue":    must(http.MethodGet, "/_mock/subjects", "", false),
			"mock faults":           must(http.MethodGet, "/_mock/faults", "", false),
			"tenants":               must(http.MethodGet, "/_mock/tenants", "", false),
			"account clock":         must(http.MethodGet, "/_mock/clock", "", true),
			"account verifications": must(http.MethodGet, "/v1/verification/get-all", "", true),
			"account session":       must(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+session.VerificationSessionId, "", true),
			"account signed link":   must(http.MethodPost, "/v1/signature/validate", string(validate), true),
		}
	}
	before := snapshot()
	if !strings.Contains(before["account signed link"], `"Valid"`) {
		t.Fatalf("the link does not validate before the runs: %s", before["account signed link"])
	}

	suite := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--target", base}, func(k string) string {
			return map[string]string{"VERIFEYE_CONTROL_TOKEN": token}[k]
		}, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	var wg sync.WaitGroup
	codes, outs := make([]int, 3), make([]string, 3)
	for i := range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], outs[i] = suite() }()
	}
	wg.Wait()
	codes[2], outs[2] = suite()
	for i := range 3 {
		if codes[i] != 0 || !strings.Contains(outs[i], " 0 failed, 0 skipped") {
			t.Errorf("run %d: exit %d\n%s", i+1, codes[i], outs[i])
		}
	}

	after := snapshot()
	for what, was := range before {
		if after[what] != was {
			t.Errorf("%s changed:\nbefore %s\nafter  %s", what, was, after[what])
		}
	}
}
