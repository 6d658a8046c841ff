package contract_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/contract"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// The suite is only worth running against production if it notices when a server drifts from
// the contract. Each test here runs it against a deliberately wrong server and checks that the
// right scenarios fail, with messages that name the operation, the field, and the expected and
// actual values.

// rewrite serves the mock, letting edit change the answer to requests that match.
func rewrite(m http.Handler, match func(*http.Request) bool, edit func(status int, body []byte) (int, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) {
			m.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, r)
		status, body := edit(rec.Code, rec.Body.Bytes())
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

func runAgainst(t *testing.T, wrap func(*mockserver.Server) httpHandler, scenarios string) *contract.Report {
	t.Helper()
	target := inProcessTarget(t, wrap)
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(scenarios)})
	if rep.Error != "" {
		t.Fatal(rep.Error)
	}
	return rep
}

// wantFailure asserts that scenario failed with a message containing every fragment.
func wantFailure(t *testing.T, rep *contract.Report, scenario string, fragments ...string) {
	t.Helper()
	res, ok := rep.Result(scenario)
	if !ok {
		t.Fatalf("scenario %s did not run", scenario)
	}
	if res.Status != contract.StatusFail {
		t.Fatalf("scenario %s = %s against a drifted server, want fail", scenario, res.Status)
	}
	all := strings.Join(res.Failures, "\n")
	for _, f := range fragments {
		if !strings.Contains(all, f) {
			t.Errorf("scenario %s failures lack %q:\n%s", scenario, f, all)
		}
	}
}

func TestDriftWrongFieldType(t *testing.T) {
	expiration := regexp.MustCompile(`"expiration":(\d+)`)
	rep := runAgainst(t, func(m *mockserver.Server) httpHandler {
		return rewrite(m, func(r *http.Request) bool { return r.URL.Path == "/v1/signature/create" },
			func(status int, body []byte) (int, []byte) {
				return status, expiration.ReplaceAll(body, []byte(`"expiration":"$1"`))
			})
	}, `^signatures/create-defaults`)
	wantFailure(t, rep, "signatures/create-defaults-to-one-day-expiration",
		"CreateSignature (POST /v1/signature/create) response 200", "expiration", "must be an integer")
}

func TestDriftWrongStatusCode(t *testing.T) {
	rep := runAgainst(t, func(m *mockserver.Server) httpHandler {
		return rewrite(m, func(r *http.Request) bool { return r.URL.Path == "/v1/verification/create" },
			func(status int, body []byte) (int, []byte) {
				if status == http.StatusConflict { // a server that lets a taken name through
					return http.StatusOK, []byte(`{"verificationId":"39e00c96-6431-4b2e-8707-2fb80e561fbf"}`)
				}
				return status, body
			})
	}, `^verifications/create-duplicate-name$`)
	wantFailure(t, rep, "verifications/create-duplicate-name", "createVerification: status = 200, want 409")
}

func TestDriftIgnoresAuth(t *testing.T) {
	rep := runAgainst(t, func(m *mockserver.Server) httpHandler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey) // whatever the client sent
			m.ServeHTTP(w, r)
		})
	}, `^auth/`)
	for _, s := range []string{"auth/missing-credentials", "auth/malformed-credentials", "auth/wrong-credentials"} {
		wantFailure(t, rep, s, "getAllVerifications: status = 200, want 401", "createSignature: status = 200, want 401")
	}
}

// TestReportsNeverShowSecrets: the API key and tokens appear in no output of a run.
func TestReportsNeverShowSecrets(t *testing.T) {
	const key = "contract-secret-key-0123456789"
	const keyB, bearer = "contract-secret-key-b-9876543210", "opaque-bearer-token-not-a-jwt-42"
	m, err := mockserver.New(mockserver.Options{Accounts: []mockserver.Account{{APIKeys: []string{key}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	defer srv.Close()
	// A drifted server that echoes the key back makes sure redaction is what keeps it out.
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/signature/create" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"title":"Bad Request","status":400,"detail":"rejected key ` + key + `, ` + keyB + ` and token ` + bearer + `"}`))
			return
		}
		m.ServeHTTP(w, r)
	})
	leak := httptest.NewServer(echo)
	defer leak.Close()
	target := contract.Target{Name: "leaky", BaseURL: leak.URL, APIKey: key, APIKeyB: keyB, BearerToken: bearer, Control: &contract.Control{BaseURL: srv.URL}}
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(`^(signatures/create-defaults|auth/bearer-token)`)})
	var out bytes.Buffer
	for _, write := range []func(io.Writer) error{rep.WriteText, rep.WriteJSON, rep.WriteJUnit} {
		if err := write(&out); err != nil {
			t.Fatal(err)
		}
	}
	for _, secret := range []string{key, keyB, bearer} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("a report shows the secret %q", secret)
		}
	}
	for _, placeholder := range []string{"[redacted api key b]", "[redacted token]"} {
		if !strings.Contains(out.String(), placeholder) {
			t.Errorf("no %s in the reports; the test does not exercise its redaction", placeholder)
		}
	}
	if regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.`).MatchString(out.String()) {
		t.Error("a report shows a token")
	}
	if !strings.Contains(out.String(), "[redacted api key]") {
		t.Error("the echoed key was not found and redacted; the test does not exercise redaction")
	}
}
