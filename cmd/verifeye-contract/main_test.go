package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

func TestRunAgainstInProcessMock(t *testing.T) {
	dir := t.TempDir()
	junit, report := filepath.Join(dir, "contract.xml"), filepath.Join(dir, "contract.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--target", "mock", "--junit", junit, "--report", report}, func(string) string { return "" }, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), " passed, 0 failed, 0 skipped") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	var suites struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	data, err := os.ReadFile(junit)
	if err != nil || xml.Unmarshal(data, &suites) != nil || len(suites.Suites) < 5 {
		t.Errorf("JUnit file: %v, %d suites", err, len(suites.Suites))
	}
	var rep struct {
		Passed     int                        `json:"passed"`
		Operations map[string]json.RawMessage `json:"operations"`
	}
	data, err = os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &rep) != nil || rep.Passed < 40 {
		t.Errorf("JSON report: %v, %d passed", err, rep.Passed)
	}
	for _, op := range []string{"createSignature", "validateSignature", "getVerification", "getAllVerifications", "createVerification",
		"createOrUpdateVerification", "updateVerification", "deleteVerification", "createSession", "getSessionResult", "getHealth"} {
		if _, ok := rep.Operations[op]; !ok {
			t.Errorf("the report has no statistics for %s", op)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--target: required"},
		{[]string{"--target", "eu"}, "--api-key or VERIFEYE_API_KEY: required"},
		{[]string{"--target", "mars"}, `--target: must be mock, eu, us or an http(s) URL (got "mars")`},
		{[]string{"--target", "mock", "--run", "("}, "--run: not a regexp"},
		{[]string{"--target", "mock", "--rate", "-1"}, "--rate: must not be negative"},
		{[]string{"--target", "mock", "--token-url", "security-api-eu.realeyes.ai"}, "--token-url: must be an http(s) URL"},
		{[]string{"--target", "eu", "--api-key", "k1", "--api-key-b", "k1"}, "--api-key-b: must be another account's key"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, func(string) string { return "" }, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

func TestListShowsNeeds(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--list"}, func(string) string { return "" }, &stdout, io.Discard); code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"auth/missing-credentials", "read-only", "writes-config", "creates-sessions", "mock-control"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--list lacks %q", want)
		}
	}
}

// TestSuitePassesAgainstTheMockBinary builds both binaries, starts verifeye-mock as a separate
// process and runs verifeye-contract against it: the setup CI users have.
func TestSuitePassesAgainstTheMockBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	// Two accounts, so the cross-account scenarios run too.
	const keyA, keyB = "ci-account-a-key", "ci-account-b-key"
	base := startMockBinary(t, dir, "--control-token", "ci-token", "--api-key", keyA, "--api-key", keyB)
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "verifeye-contract"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build verifeye-contract: %v\n%s", err, out)
	}
	junit := filepath.Join(dir, "contract.xml")
	cmd := exec.Command(filepath.Join(dir, "verifeye-contract"), "--target", base, "--junit", junit)
	cmd.Env = append(os.Environ(), "VERIFEYE_CONTROL_TOKEN=ci-token", "VERIFEYE_API_KEY="+keyA, "VERIFEYE_API_KEY_B="+keyB)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("verifeye-contract against the binary: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), " 0 failed, 0 skipped") {
		t.Errorf("summary:\n%s", out)
	}
	if _, err := os.Stat(junit); err != nil {
		t.Error(err)
	}
	if strings.Contains(string(out), keyA) || strings.Contains(string(out), keyB) {
		t.Error("the output shows an API key")
	}
}

// TestSecondAccountAndBearerToken: the second account's key and the Bearer token come from
// their flags or their environment twins, drive the scenarios that need them, and no output
// shows them.
func TestSecondAccountAndBearerToken(t *testing.T) {
	const keyA, keyB = "flag-test-account-a", "flag-test-account-b"
	m, err := mockserver.New(mockserver.Options{Accounts: []mockserver.Account{{APIKeys: []string{keyA}}, {APIKeys: []string{keyB}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { srv.Close(); m.Close() })
	token := issueToken(t, srv.URL, keyA)
	scenarios := `^(accounts/|auth/bearer-token-from-security-api$)`
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"flags", []string{"--api-key", keyA, "--api-key-b", keyB, "--bearer-token", token}, nil},
		{"environment", nil, map[string]string{"VERIFEYE_API_KEY": keyA, "VERIFEYE_API_KEY_B": keyB, "VERIFEYE_BEARER_TOKEN": token}},
		{"token URL", []string{"--api-key", keyA, "--api-key-b", keyB, "--token-url", srv.URL + "/v1/token/get"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			report := filepath.Join(dir, "contract.json")
			args := append([]string{"--target", srv.URL, "--run", scenarios, "--report", report}, tc.args...)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, func(k string) string { return tc.env[k] }, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
			}
			for _, s := range []string{"accounts/other-account-ids-are-404", "accounts/other-account-session-is-404", "auth/bearer-token-from-security-api"} {
				if !strings.Contains(stdout.String(), "ok   "+s) {
					t.Errorf("%s did not pass:\n%s", s, stdout.String())
				}
			}
			data, _ := os.ReadFile(report)
			all := stdout.String() + stderr.String() + string(data)
			for _, secret := range []string{keyA, keyB, token} {
				if strings.Contains(all, secret) {
					t.Errorf("an output shows the secret %.12s…", secret)
				}
			}
		})
	}
}

// TestSecondAccountMissing: without a second key the cross-account scenarios are skipped, and
// say how to give one. (A mock whose control API answers gives the run accounts of its own, so
// this one serves its control API elsewhere, as production has none.)
func TestSecondAccountMissing(t *testing.T) {
	m, err := mockserver.New(mockserver.Options{SeparateControl: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { srv.Close(); m.Close() })
	var stdout bytes.Buffer
	run(context.Background(), []string{"--target", srv.URL, "--run", "^accounts/"}, func(string) string { return "" }, &stdout, io.Discard)
	if !strings.Contains(stdout.String(), "SKIP accounts/other-account-ids-are-404: needs a second account's key: give --api-key-b or VERIFEYE_API_KEY_B") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func issueToken(t *testing.T, base, key string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/token/get?expirationInSeconds=600", nil)
	req.Header.Set("Authorization", "ApiKey "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("no token: %v", err)
	}
	return tok.Token
}

// startMockBinary builds verifeye-mock into dir, starts it on a free port with args, waits until
// it answers and returns its base URL; the test's end stops it.
func startMockBinary(t *testing.T, dir string, args ...string) string {
	t.Helper()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "verifeye-mock"), "../verifeye-mock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build verifeye-mock: %v\n%s", err, out)
	}
	mock := exec.Command(filepath.Join(dir, "verifeye-mock"), append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := mock.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := mock.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Process.Kill(); _ = mock.Wait() })
	base := ""
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		if after, ok := strings.CutPrefix(scanner.Text(), "listening on "); ok {
			base = after
			break
		}
	}
	if base == "" {
		t.Fatal("the mock printed no address")
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/healthz")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mock never answered healthz: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
