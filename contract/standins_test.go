package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/contract"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/signing"
)

// Stand-ins for production that differ from the mock in exactly one behaviour the mock assumes.
// Run against one, the suite must fail in the scenario that probes that behaviour and in no
// other, so that a failure against production points at the assumption that is wrong.

// failing lists the scenarios of rep that failed, sorted.
func failing(rep *contract.Report) []string {
	var out []string
	for _, s := range rep.Scenarios {
		if s.Status == contract.StatusFail {
			out = append(out, s.Name)
		}
	}
	sort.Strings(out)
	return out
}

// wantOnlyFailures asserts that exactly the scenarios want failed.
func wantOnlyFailures(t *testing.T, rep *contract.Report, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := failing(rep); !slices.Equal(got, want) {
		var detail strings.Builder
		for _, name := range got {
			res, _ := rep.Result(name)
			detail.WriteString(name + ":\n  " + strings.Join(res.Failures, "\n  ") + "\n")
		}
		t.Errorf("failed scenarios = %v, want %v\n%s", got, want, detail.String())
	}
}

func runStandIn(t *testing.T, opts mockserver.Options, wrap func(*mockserver.Server) httpHandler, scenarios string) *contract.Report {
	t.Helper()
	opts.Seed = 1
	target := inProcessTargetWith(t, opts, wrap)
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(scenarios)})
	if rep.Error != "" {
		t.Fatal(rep.Error)
	}
	return rep
}

// TestStandInSigningVariants: a server that signs with another canonical form fails
// signatures/canonical-form, which names the variant the server's signatures match.
func TestStandInSigningVariants(t *testing.T) {
	for _, v := range signing.Variants()[1:] {
		t.Run(v.Name, func(t *testing.T) {
			rep := runStandIn(t, mockserver.Options{SigningVariant: v.Name}, nil, `^signatures/`)
			wantOnlyFailures(t, rep, "signatures/canonical-form")
			wantFailure(t, rep, "signatures/canonical-form", "createSignature: signature of", `the signatures match signing variant "`+v.Name+`"`)
			wantVerdict(t, rep, "signing.secret-is-api-key", contract.VerdictConfirmed, `"`+v.Name+`"`)
			switch v.Name {
			case signing.VariantDotnetOrdinal: // orders keys otherwise, escapes alike
				wantVerdict(t, rep, "signing.key-order", contract.VerdictContradicted, `"`+v.Name+`"`, `"a_b=1&a-b=2&a1=3&ab=4"`)
				wantVerdict(t, rep, "signing.canonical-escaping", contract.VerdictConfirmed, `"`+v.Name+`"`)
			case signing.VariantGoQueryEscape: // escapes and orders otherwise
				wantVerdict(t, rep, "signing.key-order", contract.VerdictContradicted, `"`+v.Name+`"`)
				wantVerdict(t, rep, "signing.canonical-escaping", contract.VerdictContradicted, `"`+v.Name+`"`, `"email=User@Example.com&name=John Doe"`)
			default:
				t.Errorf("signing variant %q is new: say which assumptions it contradicts", v.Name)
			}
		})
	}
}

// wantVerdict asserts the verdict of assumption id in rep, and that its details hold every
// fragment.
func wantVerdict(t *testing.T, rep *contract.Report, id, verdict string, fragments ...string) {
	t.Helper()
	for _, a := range rep.Assumptions {
		if a.ID != id {
			continue
		}
		if a.Verdict != verdict {
			t.Errorf("assumption %s = %s (scenarios %v, details %q), want %s", id, a.Verdict, a.Scenarios, a.Details, verdict)
		}
		all := strings.Join(a.Details, "\n")
		for _, f := range fragments {
			if !strings.Contains(all, f) {
				t.Errorf("assumption %s details lack %q: %q", id, f, a.Details)
			}
		}
		return
	}
	t.Errorf("the report has no verdict for assumption %s", id)
}

// TestStandInValidateConsumesNonce: a server whose validate consumes the nonce of a link it
// found Valid (the next validate answers NonceAlreadyUsed) fails signatures/validate-is-read-only.
func TestStandInValidateConsumesNonce(t *testing.T) {
	var mu sync.Mutex
	used := map[string]bool{}
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/signature/validate" {
				m.ServeHTTP(w, r)
				return
			}
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(raw))
			var req struct {
				QueryString string `json:"queryString"`
			}
			_ = json.Unmarshal(raw, &req)
			rec := httptest.NewRecorder()
			m.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if nonce, ok := signing.Parse(req.QueryString).Get(signing.ParamNonce); ok && bytes.Contains(body, []byte(`"Valid"`)) {
				mu.Lock()
				if used[nonce] {
					body = []byte(`{"result":"NonceAlreadyUsed"}`)
				}
				used[nonce] = true
				mu.Unlock()
			}
			copyAnswer(w, rec, rec.Code, body)
		})
	}, `^signatures/`)
	wantOnlyFailures(t, rep, "signatures/validate-is-read-only")
	wantFailure(t, rep, "signatures/validate-is-read-only", "validateSignature: result of validation 2", "= NonceAlreadyUsed, want Valid")
	wantVerdict(t, rep, "signing.nonce-consumed-by-session-start", contract.VerdictContradicted)
}

// TestStandInExpirationOffByOne: a server whose create-signature answers an expiration one
// second off the reExpiration it signed fails signatures/response-echoes-query.
func TestStandInExpirationOffByOne(t *testing.T) {
	expiration := regexp.MustCompile(`"expiration":(\d+)`)
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return rewrite(m, func(r *http.Request) bool { return r.URL.Path == "/v1/signature/create" },
			func(status int, body []byte) (int, []byte) {
				return status, expiration.ReplaceAllFunc(body, func(b []byte) []byte {
					n, _ := strconv.ParseInt(string(expiration.FindSubmatch(b)[1]), 10, 64)
					return []byte(`"expiration":` + strconv.FormatInt(n+1, 10))
				})
			})
	}, `^signatures/`)
	wantOnlyFailures(t, rep, "signatures/response-echoes-query")
	wantFailure(t, rep, "signatures/response-echoes-query", "createSignature: reExpiration in signedQueryString (with nonce and expiration) = ")
	wantVerdict(t, rep, "signing.response-echoes-query", contract.VerdictContradicted)
}

// TestStandInUnknownSessionName404: a server that answers create-session 404 for a name no
// verification has (the mock's earlier reading of `name`) fails the scenarios built on the
// vendor's example and on a name being a label.
func TestStandInUnknownSessionName404(t *testing.T) {
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/verification/create-session" {
				m.ServeHTTP(w, r)
				return
			}
			raw, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(raw))
			var req struct {
				Name *string `json:"name"`
			}
			_ = json.Unmarshal(raw, &req)
			if req.Name != nil && !hasVerification(m, r.Header.Get("Authorization"), *req.Name) {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"title":"Not Found","status":404,"detail":"name: no verification named ` + strconv.Quote(*req.Name) + `"}`))
				return
			}
			m.ServeHTTP(w, r)
		})
	}, `^sessions/`)
	wantOnlyFailures(t, rep, "sessions/create-with-unknown-name", "sessions/seed-create-session-body", "sessions/unknown-name-needs-verifier-configs")
	wantFailure(t, rep, "sessions/seed-create-session-body", "createSession with the vendor's documented request body: status = 404, want 200")
	wantFailure(t, rep, "sessions/create-with-unknown-name", "createSession with a name that names no verification: status = 404, want 200")
	wantVerdict(t, rep, "sessions.name-is-label-or-base", contract.VerdictContradicted)
	wantVerdict(t, rep, "sessions.verifier-configs-required-without-name", contract.VerdictContradicted)
}

// hasVerification asks the mock, as the caller's account, whether a verification is named name.
func hasVerification(m http.Handler, authorization, name string) bool {
	r := httptest.NewRequest(http.MethodGet, "/v1/verification/get-all", nil)
	r.Header.Set("Authorization", authorization)
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, r)
	var list struct {
		Verifications []struct {
			Name string `json:"name"`
		} `json:"verifications"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &list)
	for _, v := range list.Verifications {
		if v.Name == name {
			return true
		}
	}
	return false
}

// TestStandInNineFractionalDigits: a server writing date-times with nine fractional digits (as
// Go does, not .NET) fails every scenario that reads a date-time's digits.
func TestStandInNineFractionalDigits(t *testing.T) {
	dates := regexp.MustCompile(`(T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z`)
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return rewrite(m, func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, "/_mock/") },
			func(status int, body []byte) (int, []byte) {
				return status, dates.ReplaceAllFunc(body, func(b []byte) []byte {
					sm := dates.FindSubmatch(b)
					frac := (string(sm[2]) + "000000000")[:9]
					return []byte(string(sm[1]) + "." + frac + "Z")
				})
			})
	}, `^(health|verifications|auth)/`)
	wantOnlyFailures(t, rep, "health/format", "verifications/every-field-reads-back", "verifications/dates-as-dotnet-writes-them", "auth/bearer-token-from-security-api")
	wantFailure(t, rep, "verifications/every-field-reads-back", "getVerification: date-time", "has 9 fractional digits, want at most 7")
	wantFailure(t, rep, "auth/bearer-token-from-security-api", "getToken: date-time", "has 9 fractional digits, want at most 7")
	wantVerdict(t, rep, "dates.dotnet-seven-digits", contract.VerdictContradicted)
}

// TestStandInHealthzWithoutNewline: a server whose healthz sends the time alone, as an ASP.NET
// string result is written, fails no scenario (a client reads the time trimmed), and the run
// says that health.trailing-newline does not hold, with the body it saw; against the mock it
// holds.
func TestStandInHealthzWithoutNewline(t *testing.T) {
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return rewrite(m, func(r *http.Request) bool { return r.URL.Path == "/v1/healthz" },
			func(status int, body []byte) (int, []byte) { return status, bytes.TrimSuffix(body, []byte("\n")) })
	}, `^health/`)
	wantOnlyFailures(t, rep)
	wantVerdict(t, rep, "health.trailing-newline", contract.VerdictContradicted, `the body is "20`, `Z"`)

	rep = runStandIn(t, mockserver.Options{}, nil, `^health/`)
	wantVerdict(t, rep, "health.trailing-newline", contract.VerdictConfirmed, `Z\n"`)
}

// TestStandInContentTypesWithCharset: a server that appends "; charset=utf-8" to every
// Content-Type of the API, as ASP.NET Core does to some, fails no scenario of the whole suite,
// and the run says that responses.content-type-parameters does not hold, with what it saw.
func TestStandInContentTypesWithCharset(t *testing.T) {
	rep := runStandIn(t, mockserver.Options{}, func(m *mockserver.Server) httpHandler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/_mock/") {
				m.ServeHTTP(w, r)
				return
			}
			m.ServeHTTP(&charsetWriter{ResponseWriter: w}, r)
		})
	}, `.`)
	wantOnlyFailures(t, rep)
	wantVerdict(t, rep, "responses.content-type-parameters", contract.VerdictContradicted,
		`a JSON answer, 200: "application/json; charset=utf-8"`, `healthz's time, 200: "text/plain; charset=utf-8"`)

	rep = runStandIn(t, mockserver.Options{}, nil, `^responses/`)
	wantVerdict(t, rep, "responses.content-type-parameters", contract.VerdictConfirmed, `a problem (without credentials), 401: "application/problem+json"`)
}

// charsetWriter appends "; charset=utf-8" to a Content-Type without parameters.
type charsetWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *charsetWriter) WriteHeader(code int) {
	if ct := w.Header().Get("Content-Type"); !w.wrote && ct != "" && !strings.Contains(ct, ";") {
		w.Header().Set("Content-Type", ct+"; charset=utf-8")
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *charsetWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// copyAnswer writes a recorded answer with another body.
func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder, status int, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// TestIntegerFromAStringFollowsTheServersClock: binding/integer-from-a-string compares the
// expiration with the server's clock, so it passes against a mock whose clock was moved.
func TestIntegerFromAStringFollowsTheServersClock(t *testing.T) {
	target := inProcessTarget(t, nil)
	if err := target.Control.Advance(context.Background(), 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(`^binding/integer-from-a-string$`)})
	if res, ok := rep.Result("binding/integer-from-a-string"); !ok || res.Status != contract.StatusPass {
		t.Errorf("binding/integer-from-a-string against a mock 30 days ahead = %s %v, want pass", res.Status, res.Failures)
	}
}
