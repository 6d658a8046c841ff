package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart follows the README's "Quick start" walkthrough against the mock started
// with the flags it gives, sending the request bodies it shows, and checks every value the
// README prints as an answer: the seeded nonce, verification id and session id, the validate
// results, the redirect's parameters and the 410 of a reused link. A change of the walkthrough or
// of the mock's seeded stream fails here instead of misleading a first-time reader.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, quick, ok := strings.Cut(string(readme), "\n## Quick start")
	if !ok {
		t.Fatal(`README.md has no "## Quick start" section`)
	}
	quick, _, _ = strings.Cut(quick, "\n## ")

	find := func(what, pattern string) []string {
		t.Helper()
		m := regexp.MustCompile(pattern).FindStringSubmatch(quick)
		if m == nil {
			t.Fatalf("the quick start has no %s (pattern %s)", what, pattern)
		}
		return m
	}
	flags := strings.Fields(find("command that starts the mock", "go run ./cmd/verifeye-mock ([^\n`]*)\n")[1])
	key := find("API key", `\nK=(\S+)`)[1]
	signBody := find("signature/create body", `(?s)/v1/signature/create \\\s*-d '([^']*)'`)[1]
	createBody := find("verification/create body", `(?s)/v1/verification/create -d '([^']*)'`)[1]
	subjectBody := find("subject queued", `/_mock/subjects -d '([^']*)'`)[1]
	wantNonce := find("nonce", `"nonce":"([0-9a-f]{32})"`)[1]
	wantVID := find("verification id", `"verificationId":"([0-9a-f-]{36})"`)[1]
	loc := find("Location line", `# Location: (https://\S+)`)[1]
	gone := find("status of a reused link", `# (HTTP/1\.1 \d+ [A-Za-z ]+)\n`)[1]
	validates := regexp.MustCompile(`# (\{"result":"\w+"\})`).FindAllStringSubmatch(quick, -1)
	if len(validates) != 2 {
		t.Fatalf("the quick start shows %d validate answers, want 2 (before and after the link is used)", len(validates))
	}
	redirect, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("the README's Location %q: %v", loc, err)
	}
	wantQuery := redirect.Query()

	m := startRun(t, append(flags, "--addr", "127.0.0.1:0"), nil)
	waitHealthy(t, m.url)
	if !strings.Contains(m.stdout.String(), key) {
		t.Errorf("the banner does not print the README's key %s:\n%s", key, m.stdout)
	}
	b := m.url

	// 1. Sign a link.
	status, body := call(t, "POST", b+"/v1/signature/create", key, signBody)
	var signed struct {
		Nonce             string `json:"nonce"`
		SignedQueryString string `json:"signedQueryString"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &signed) != nil {
		t.Fatalf("step 1, signature/create: %d %s", status, body)
	}
	if signed.Nonce != wantNonce {
		t.Errorf("step 1: nonce %s, the README shows %s", signed.Nonce, wantNonce)
	}
	sq := signed.SignedQueryString
	validateBody, _ := json.Marshal(map[string]string{"queryString": sq})

	// 2. Validate it.
	if status, body = call(t, "POST", b+"/v1/signature/validate", key, string(validateBody)); status != http.StatusOK || strings.TrimSpace(body) != validates[0][1] {
		t.Errorf("step 2, validate: %d %s, the README shows %s", status, body, validates[0][1])
	}

	// 3. Create the verification.
	status, body = call(t, "POST", b+"/v1/verification/create", key, createBody)
	var created struct {
		VerificationID string `json:"verificationId"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &created) != nil {
		t.Fatalf("step 3, verification/create: %d %s", status, body)
	}
	if created.VerificationID != wantVID {
		t.Errorf("step 3: verificationId %s, the README shows %s", created.VerificationID, wantVID)
	}

	// 4. Queue the subject and open the hosted link without following the redirect.
	if status, body = call(t, "POST", b+"/_mock/subjects", "", subjectBody); status/100 != 2 {
		t.Fatalf("step 4, queue subject: %d %s", status, body)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	hosted := b + "/verification/" + created.VerificationID + "?" + sq
	resp, err := noFollow.Get(hosted)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	got, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("step 4, hosted page: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got.Scheme+"://"+got.Host+got.Path != redirect.Scheme+"://"+redirect.Host+redirect.Path {
		t.Errorf("step 4: redirected to %s, the README shows %s", got, loc)
	}
	for name, want := range wantQuery {
		if want[0] == "…" {
			continue // left open in the README: it depends on the clock
		}
		if g := got.Query().Get(name); g != want[0] {
			t.Errorf("step 4: %s=%s, the README shows %s", name, g, want[0])
		}
	}
	sessionID := got.Query().Get("reVerificationSessionId")

	// 5. The nonce is used now.
	if status, body = call(t, "POST", b+"/v1/signature/validate", key, string(validateBody)); status != http.StatusOK || strings.TrimSpace(body) != validates[1][1] {
		t.Errorf("step 5, validate: %d %s, the README shows %s", status, body, validates[1][1])
	}
	resp, err = noFollow.Get(hosted)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if line := resp.Proto + " " + resp.Status; line != gone {
		t.Errorf("step 5, the link again: %s, the README shows %s", line, gone)
	}

	// 6. The full result, by the session id the README shows.
	wantSession := find("session id of step 6", `get-session-result\?verificationSessionId=([0-9a-f-]{36})`)[1]
	if wantSession != sessionID {
		t.Errorf("step 6 asks for session %s, the redirect of step 4 named %s", wantSession, sessionID)
	}
	if status, body = call(t, "GET", b+"/v1/verification/get-session-result?verificationSessionId="+sessionID, key, ""); status != http.StatusOK || !strings.Contains(body, `"verificationResult":"Pass"`) {
		t.Errorf("step 6, get-session-result: %d %s", status, body)
	}

	// 7. The webhook attempt is recorded for that session.
	if status, body = call(t, "GET", b+"/_mock/webhooks?wait=true", "", ""); status != http.StatusOK || !strings.Contains(body, sessionID) {
		t.Errorf("step 7, webhooks: %d %s", status, body)
	}
}
