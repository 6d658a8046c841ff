package mockserver_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// authEchoLimit is the longest run of a sent Authorization value an answer may repeat: the
// length of the scheme words the 401 documents, "ApiKey" and "Bearer". Anything longer came
// from the client.
const authEchoLimit = len("ApiKey")

// authEchoed is the first run of authEchoLimit+1 bytes of sent found in text, or "". Runs that
// hold a scheme word are the 401's own words (its detail and WWW-Authenticate name them), so they
// are not counted.
func authEchoed(sent, text string) string {
	for i := 0; i+authEchoLimit < len(sent); i++ {
		run := sent[i : i+authEchoLimit+1]
		if lower := strings.ToLower(run); strings.Contains(lower, "apikey") || strings.Contains(lower, "bearer") {
			continue
		}
		if strings.Contains(text, run) {
			return run
		}
	}
	return ""
}

// TestUnauthorizedEchoesNothingFromAuthorization: a 401 names the rule it applies, never what
// the client sent in Authorization, in the body, the headers, the journal or the log. What
// stands where the scheme should is often the API key itself.
func TestUnauthorizedEchoesNothingFromAuthorization(t *testing.T) {
	// 200 bytes of header-safe garbage with one space in the middle, so that its first half is
	// read as a scheme.
	garbage := strings.Repeat("Qz~9!kW_", 25)
	garbage = garbage[:100] + " " + garbage[101:]
	headers := []struct{ name, value string }{
		{"a bare key", apiKeyA1},
		{"a bare key with a label after it", apiKeyA1 + " (staging)"},
		{"a key pasted twice", apiKeyA1 + " " + apiKeyA2},
		{"Basic credentials", "Basic dXNlcjpzM2NyZXQtcGFzc3dvcmQ="},
		{"the ApiKey scheme alone", "ApiKey"},
		{"200 bytes of garbage", garbage},
		{"a secret-looking token after an unknown scheme", "Token sk_live_4eC39HqLyjWDarjtT1zdp7dc"},
		{"a secret-looking scheme and a token", "sk_live_4eC39HqLyjWDarjtT1zdp7dc Bearer"},
	}
	targets := []struct{ name, method, path string }{
		{"API", http.MethodGet, "/v1/verification/get-all"},
		{"control API", http.MethodGet, "/_mock/clock"},
	}
	for _, h := range headers {
		for _, target := range targets {
			t.Run(h.name+"/"+target.name, func(t *testing.T) {
				m, logs := newLoggedMock(t, slog.LevelDebug)
				r := m.send(target.method, target.path, nil, "Authorization", h.value)
				p := r.problem(t, http.StatusUnauthorized)
				if !strings.HasPrefix(apiDetailOf(p), "Authorization: ") {
					t.Errorf("detail %q does not name the Authorization header", apiDetailOf(p))
				}
				if run := authEchoed(h.value, string(r.body)); run != "" {
					t.Errorf("the body repeats %q of the sent value: %s", run, r.body)
				}
				for name, values := range r.header {
					if run := authEchoed(h.value, name+": "+strings.Join(values, ", ")); run != "" {
						t.Errorf("header %s repeats %q of the sent value: %q", name, run, values)
					}
				}
				journal, err := json.Marshal(m.srv.Requests())
				if err != nil {
					t.Fatal(err)
				}
				if target.name == "API" && !strings.Contains(string(journal), `"status":401`) {
					t.Fatalf("the journal has no 401: %s", journal)
				}
				if run := authEchoed(h.value, string(journal)); run != "" {
					t.Errorf("the journal repeats %q of the sent value: %s", run, journal)
				}
				if run := authEchoed(h.value, logs.text()); run != "" {
					t.Errorf("the log repeats %q of the sent value:\n%s", run, logs.text())
				}
			})
		}
	}
}

// TestUnauthorizedSchemeNamesTheRule: a header whose scheme is neither ApiKey nor Bearer is
// refused with the rule it breaks.
func TestUnauthorizedSchemeNamesTheRule(t *testing.T) {
	m := newMock(t)
	r := m.send(http.MethodGet, "/v1/verification/get-all", nil, "Authorization", apiKeyA1+" x")
	p := r.problem(t, http.StatusUnauthorized)
	if want := `Authorization: the scheme must be "ApiKey" or "Bearer"; send "ApiKey <key>" or "Bearer <token>"`; apiDetailOf(p) != want {
		t.Errorf("detail %q, want %q", apiDetailOf(p), want)
	}
}
