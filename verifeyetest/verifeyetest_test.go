package verifeyetest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/signing"
	"github.com/verifeye-twin/verifeye/verifeyetest"
)

// createVerification creates a verification named name through c and returns its id.
func createVerification(t *testing.T, c *generated.ClientWithResponses, name string) uuid.UUID {
	t.Helper()
	resp, err := c.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: name})
	if err != nil {
		t.Fatalf("create verification %q: %v", name, err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("create verification %q: %d %s", name, resp.StatusCode(), resp.Body)
	}
	return resp.JSON200.VerificationId
}

// createSession creates a session with liveness and, when hook is set, a webhook.
func createSession(t *testing.T, vf *verifeyetest.Server, req generated.CreateSessionRequest) uuid.UUID {
	t.Helper()
	if req.Name == nil && req.VerifierConfigs == nil {
		req.VerifierConfigs = &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}
	}
	resp, err := vf.Client.CreateSessionWithResponse(t.Context(), req)
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create session: %v %s", err, respBody(resp))
	}
	return resp.JSON200.VerificationSessionId
}

// sign signs query with the account's secret through the API (verifications force signed links
// by default).
func sign(t *testing.T, vf *verifeyetest.Server, query string) string {
	t.Helper()
	resp, err := vf.Client.CreateSignatureWithResponse(t.Context(), generated.CreateSignatureRequest{QueryString: query})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("sign %q: %v", query, err)
	}
	return resp.JSON200.SignedQueryString
}

func respBody(r *generated.CreateSessionResponse) string {
	if r == nil {
		return ""
	}
	return string(r.Body)
}

func sessionStatus(t *testing.T, vf *verifeyetest.Server, id uuid.UUID) (int, *generated.SessionResult) {
	t.Helper()
	resp, err := vf.Client.GetSessionResultWithResponse(t.Context(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if err != nil {
		t.Fatalf("get session result: %v", err)
	}
	return resp.StatusCode(), resp.JSON200
}

// TestParallelServersAreIsolated runs parallel tests that each create a verification with the
// same name in their own mock: names are unique per mock, so a shared mock would answer 409.
func TestParallelServersAreIsolated(t *testing.T) {
	t.Parallel()
	urls := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				vf := verifeyetest.NewServer(t)
				urls <- vf.URL
				createVerification(t, vf.Client, "Shared name")

				// In one mock the name is taken: the same create answers 409.
				again, err := vf.Client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: "Shared name"})
				if err != nil || again.StatusCode() != http.StatusConflict {
					t.Fatalf("second create in the same mock: %v %d, want 409", err, again.StatusCode())
				}
				list, err := vf.Client.GetAllVerificationsWithResponse(t.Context())
				if err != nil || list.JSON200 == nil || len(list.JSON200.Verifications) != 1 {
					t.Fatalf("get-all: %v %s, want exactly this test's verification", err, list.Body)
				}
			})
		}
	})
	close(urls)
	seen := map[string]bool{}
	for u := range urls {
		if seen[u] {
			t.Errorf("two tests shared the address %s", u)
		}
		seen[u] = true
	}
	if len(seen) != 4 {
		t.Errorf("got %d servers, want 4", len(seen))
	}
}

// TestCleanupClosesServer: once the test that made the Server ends, its URL refuses connections.
func TestCleanupClosesServer(t *testing.T) {
	t.Parallel()
	var url string
	t.Run("uses a mock", func(t *testing.T) {
		vf := verifeyetest.NewServer(t)
		url = vf.URL
		resp, err := http.Get(url + "/v1/healthz")
		if err != nil {
			t.Fatalf("healthz while the test runs: %v", err)
		}
		resp.Body.Close()
	})
	// t.Run returns after the subtest's cleanups ran.
	if resp, err := http.Get(url + "/v1/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("after the test ended, %s still answers %d", url, resp.StatusCode)
	}
}

func TestStartAndClose(t *testing.T) {
	t.Parallel()
	vf, err := verifeyetest.Start()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := vf.Client.GetHealthWithResponse(t.Context())
	if err != nil || resp.StatusCode() != http.StatusOK {
		t.Fatalf("healthz: %v", err)
	}
	vf.Close()
	vf.Close() // idempotent
	if _, err := vf.Client.GetHealthWithResponse(t.Context()); err == nil {
		t.Fatal("a closed server still answers")
	}
	if resp, err := http.Get(vf.URL + "/v1/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("a closed server's URL still accepts connections")
	}
}

// TestStartedServerPanics: a Server from Start has no test to fail, so its methods panic.
func TestStartedServerPanics(t *testing.T) {
	t.Parallel()
	vf, err := verifeyetest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), "not-a-preset") {
			t.Fatalf("panic = %v, want one naming the bad preset", p)
		}
	}()
	vf.QueuePreset("not-a-preset")
}

func TestStartRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]verifeyetest.Option{
		"unknown auto-complete preset": {verifeyetest.WithAutoComplete("nope")},
		"key of no account": {
			verifeyetest.WithAccounts(mockserver.Account{ID: "a", APIKeys: []string{"key-a"}}),
			verifeyetest.WithAPIKey("key-b"),
		},
		"account without key":     {verifeyetest.WithAccounts(mockserver.Account{ID: "a"})},
		"unknown signing variant": {verifeyetest.WithSigningVariant("nope")},
	} {
		t.Run(name, func(t *testing.T) {
			vf, err := verifeyetest.Start(opts...)
			if err == nil {
				vf.Close()
				t.Fatal("Start succeeded")
			}
		})
	}
}

// recordingTB records Fatalf instead of failing the real test, and ends the calling goroutine as
// the real Fatalf does.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	failed []string
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recordingTB) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failed...)
}

// TestMethodsFailTheTest: a refused control call fails the test through t.Fatalf.
func TestMethodsFailTheTest(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	vf := verifeyetest.NewServer(rec)
	calls := map[string]func(){
		"QueuePreset":    func() { vf.QueuePreset("nope") },
		"QueueSubject":   func() { vf.QueueSubject(mockserver.SubjectSpec{}) },
		"Complete":       func() { vf.Complete(uuid.New(), mockserver.SubjectSpec{Preset: "pass"}) },
		"CompletePreset": func() { vf.CompletePreset(uuid.New(), "pass") },
		"InjectFault":    func() { vf.InjectFault(mockserver.Fault{Operation: "noSuchOperation", Status: 500}) },
	}
	for name, call := range calls {
		before := len(rec.failures())
		done := make(chan struct{})
		go func() { defer close(done); call() }()
		<-done
		got := rec.failures()
		if len(got) != before+1 {
			t.Errorf("%s: no Fatalf", name)
			continue
		}
		if !strings.HasPrefix(got[len(got)-1], "verifeyetest: ") {
			t.Errorf("%s: Fatalf(%q), want the package prefix", name, got[len(got)-1])
		}
	}
	if n := len(vf.QueuedSubjects()); n != 0 {
		t.Errorf("a rejected queue call queued %d subjects", n)
	}
	if n := len(vf.Faults()); n != 0 {
		t.Errorf("a rejected fault was added: %d", n)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	if vf.APIKey != mockserver.DevAPIKey {
		t.Errorf("APIKey = %q, want mockserver.DevAPIKey", vf.APIKey)
	}
	if !strings.HasPrefix(vf.URL, "http://127.0.0.1:") || strings.HasSuffix(vf.URL, "/") {
		t.Errorf("URL = %q", vf.URL)
	}
	if !vf.Now().Equal(verifeyetest.DefaultTime) || !vf.Frozen() {
		t.Errorf("clock = %s frozen=%t, want frozen at %s", vf.Now(), vf.Frozen(), verifeyetest.DefaultTime)
	}
	// The client is authenticated: an operation that needs a key answers 200.
	list, err := vf.Client.GetAllVerificationsWithResponse(t.Context())
	if err != nil || list.StatusCode() != http.StatusOK {
		t.Fatalf("get-all: %v %d", err, list.StatusCode())
	}
	// And the mock is strict: no key, 401.
	anon, err := generated.NewClientWithResponses(vf.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := anon.GetAllVerificationsWithResponse(t.Context()); err != nil || resp.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("get-all without a key: %v %d, want 401", err, resp.StatusCode())
	}
	if vf.Mock == nil || len(vf.Mock.Accounts()) != 1 {
		t.Fatal("Mock is not the underlying one-account mock")
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)

	vf.Advance(90 * time.Minute)
	if want := verifeyetest.DefaultTime.Add(90 * time.Minute); !vf.Now().Equal(want) {
		t.Errorf("after Advance: %s, want %s", vf.Now(), want)
	}
	vf.Advance(-30 * time.Minute)
	if want := verifeyetest.DefaultTime.Add(time.Hour); !vf.Now().Equal(want) {
		t.Errorf("after a negative Advance: %s, want %s", vf.Now(), want)
	}
	at := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	vf.SetTime(at)
	if !vf.Now().Equal(at) {
		t.Errorf("after SetTime: %s, want %s", vf.Now(), at)
	}

	vf.Unfreeze()
	if vf.Frozen() {
		t.Error("Frozen after Unfreeze")
	}
	time.Sleep(5 * time.Millisecond)
	if !vf.Now().After(at) {
		t.Errorf("a running clock did not move: %s", vf.Now())
	}
	vf.Freeze()
	if !vf.Frozen() {
		t.Error("not Frozen after Freeze")
	}
	first := vf.Now()
	time.Sleep(2 * time.Millisecond)
	if !vf.Now().Equal(first) {
		t.Error("a frozen clock moved")
	}

	// The API sees the mock's time: a verification's created time is the clock's.
	id := createVerification(t, vf.Client, "Clocked")
	got, err := vf.Client.GetVerificationWithResponse(t.Context(), &generated.GetVerificationParams{VerificationId: id})
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get verification: %v", err)
	}
	if !got.JSON200.Verification.Created.Equal(first) {
		t.Errorf("created = %s, want the mock clock's %s", got.JSON200.Verification.Created, first)
	}
}

func TestWithTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	vf := verifeyetest.NewServer(t, verifeyetest.WithTime(at))
	if !vf.Now().Equal(at) || !vf.Frozen() || vf.Now().Location() != time.UTC {
		t.Errorf("clock = %s frozen=%t, want frozen at %s in UTC", vf.Now(), vf.Frozen(), at)
	}
}

func TestWithRunningClock(t *testing.T) {
	t.Parallel()
	t.Run("from now", func(t *testing.T) {
		t.Parallel()
		before := time.Now()
		vf := verifeyetest.NewServer(t, verifeyetest.WithRunningClock())
		if vf.Frozen() {
			t.Fatal("frozen")
		}
		if now := vf.Now(); now.Before(before) || now.After(time.Now()) {
			t.Errorf("Now = %s, want the wall clock", now)
		}
	})
	t.Run("from WithTime", func(t *testing.T) {
		t.Parallel()
		at := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		vf := verifeyetest.NewServer(t, verifeyetest.WithRunningClock(), verifeyetest.WithTime(at))
		if vf.Frozen() {
			t.Fatal("frozen")
		}
		if d := vf.Now().Sub(at); d < 0 || d > time.Minute {
			t.Errorf("Now = %s, want running from %s", vf.Now(), at)
		}
	})
}

func TestWithSeed(t *testing.T) {
	t.Parallel()
	ids := func(opts ...verifeyetest.Option) uuid.UUID {
		vf := verifeyetest.NewServer(t, opts...)
		return createVerification(t, vf.Client, "Seeded")
	}
	a, b := ids(verifeyetest.WithSeed(1)), ids(verifeyetest.WithSeed(1))
	c := ids(verifeyetest.WithSeed(2))
	if a != b {
		t.Errorf("same seed, different ids: %s %s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same id %s", a)
	}
	if d1, d2 := ids(), ids(); d1 != d2 {
		t.Error("two default servers gave different ids; the default seed should be fixed")
	}
}

// The simulated subject's open fields come from the seed too: two default servers complete the
// same session with the same estimated age and gender.
func TestDefaultServersDrawTheSameSubjects(t *testing.T) {
	t.Parallel()
	estimate := func() (float64, generated.Gender) {
		vf := verifeyetest.NewServer(t)
		calc := &generated.VerifierConfigs{
			Age:    &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
			Gender: &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
		}
		id := createSession(t, vf, generated.CreateSessionRequest{VerifierConfigs: calc})
		res := vf.Complete(id, mockserver.SubjectSpec{Subject: &mockserver.Subject{Live: ptr(true)}}).Result // age and gender left to the faker
		if res.EstimatedAge == nil || res.EstimatedGender == nil {
			t.Fatalf("result %+v lacks the estimates CalculationOnly asks for", res)
		}
		return *res.EstimatedAge, *res.EstimatedGender
	}
	age1, gender1 := estimate()
	age2, gender2 := estimate()
	if age1 != age2 || gender1 != gender2 {
		t.Errorf("two default servers drew %v %s and %v %s for the same session", age1, gender1, age2, gender2)
	}
}

func TestWithAPIKey(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t, verifeyetest.WithAPIKey("my-test-key"))
	if vf.APIKey != "my-test-key" {
		t.Errorf("APIKey = %q", vf.APIKey)
	}
	createVerification(t, vf.Client, "Keyed")
	if resp, err := vf.NewClient(mockserver.DevAPIKey).GetAllVerificationsWithResponse(t.Context()); err != nil || resp.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("the development key should not be accepted: %v %d", err, resp.StatusCode())
	}
}

func TestWithAccounts(t *testing.T) {
	t.Parallel()
	accounts := []mockserver.Account{
		{ID: "shop", APIKeys: []string{"shop-key-1", "shop-key-2"}},
		{ID: "bank", APIKeys: []string{"bank-key"}},
	}
	t.Run("first key by default", func(t *testing.T) {
		t.Parallel()
		vf := verifeyetest.NewServer(t, verifeyetest.WithAccounts(accounts...))
		if vf.APIKey != "shop-key-1" {
			t.Errorf("APIKey = %q, want the first account's first key", vf.APIKey)
		}
		createVerification(t, vf.Client, "Shop only")
		bank := vf.NewClient("bank-key")
		list, err := bank.GetAllVerificationsWithResponse(t.Context())
		if err != nil || list.JSON200 == nil || len(list.JSON200.Verifications) != 0 {
			t.Fatalf("the bank sees the shop's verifications: %v %s", err, list.Body)
		}
		// Same name in another account: no conflict.
		createVerification(t, bank, "Shop only")
		var seen []string
		for _, r := range vf.Requests() {
			seen = append(seen, r.Account)
		}
		if got := strings.Join(seen, ","); got != "shop,bank,bank" {
			t.Errorf("journal accounts = %s, want shop,bank,bank", got)
		}
	})
	t.Run("WithAPIKey picks the account", func(t *testing.T) {
		t.Parallel()
		vf := verifeyetest.NewServer(t, verifeyetest.WithAPIKey("bank-key"), verifeyetest.WithAccounts(accounts...))
		createVerification(t, vf.Client, "Bank")
		if r := vf.Requests(); len(r) != 1 || r[0].Account != "bank" {
			t.Errorf("journal = %+v, want one request by bank", r)
		}
	})
}

func TestSubjectsAndHostedFlow(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	ctx := t.Context()
	passed, failed := "https://shop.example/ok", "https://shop.example/no"
	yes := true
	created, err := vf.Client.CreateVerificationWithResponse(ctx, generated.VerificationInput{
		Name: "Hosted",
		VerificationConfig: generated.VerificationConfig{
			VerifierConfigs: &generated.VerifierConfigs{
				Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))},
			},
			RedirectConfig:        &generated.RedirectConfig{PassedUrl: &passed, FailedUrl: &failed},
			ResultParameterConfig: &generated.ResultParameterConfig{IncludeVerificationResult: &yes, IncludeAge: &yes},
		},
	})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("create verification: %v", err)
	}
	vid := created.JSON200.VerificationId

	vf.QueuePreset("pass", "underage")
	vf.QueueSubject(mockserver.SubjectSpec{Subject: &mockserver.Subject{Age: ptr(40.0)}})
	if got := vf.QueuedSubjects(); len(got) != 3 || got[0].Preset != "pass" || got[1].Preset != "underage" || *got[2].Subject.Age != 40 {
		t.Fatalf("QueuedSubjects = %+v", got)
	}

	open := func(query string) *http.Response {
		t.Helper()
		resp, err := vf.HTTPClient().Get(vf.HostedURL(vid, sign(t, vf, query)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, want := range []string{passed, failed, passed} {
		resp := open("userId=u1")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), want+"?") {
			t.Fatalf("open = %d %s, want a 303 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	if n := len(vf.QueuedSubjects()); n != 0 {
		t.Fatalf("%d subjects left", n)
	}

	// With the queue empty the page waits for the camera (200, HTML); ClearSubjects empties it.
	vf.QueuePreset("spoof")
	vf.ClearSubjects()
	if resp := open("userId=u2"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("open with no subject = %d %s, want the camera page", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if got := vf.HostedURL(vid, ""); got != vf.URL+"/verification/"+vid.String() {
		t.Errorf("HostedURL without a query = %s", got)
	}
}

func TestWithAutoComplete(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t, verifeyetest.WithAutoComplete("underage"))
	failed := "https://shop.example/no"
	created, err := vf.Client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{
		Name: "Auto",
		VerificationConfig: generated.VerificationConfig{
			VerifierConfigs: &generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))}},
			RedirectConfig:  &generated.RedirectConfig{PassedUrl: ptr("https://shop.example/ok"), FailedUrl: &failed},
		},
	})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("create verification: %v", err)
	}
	resp, err := vf.HTTPClient().Get(vf.HostedURL(created.JSON200.VerificationId, sign(t, vf, "userId=u1")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), failed) {
		t.Fatalf("open = %d %s, want a 303 to the failed URL", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestWithStrict(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		var opts []verifeyetest.Option
		want := http.StatusOK
		if strict {
			opts, want = append(opts, verifeyetest.WithStrict()), http.StatusBadRequest
		}
		vf := verifeyetest.NewServer(t, opts...)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, vf.URL+"/v1/signature/create", strings.NewReader(`{"QueryString":"a=1"}`))
		req.Header.Set("Authorization", "ApiKey "+vf.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := vf.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("strict %v: a PascalCase body answered %d, want %d", strict, resp.StatusCode, want)
		}
	}
}

func TestCompleteSessions(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	ageCheck := &generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))}}

	adult := createSession(t, vf, generated.CreateSessionRequest{VerifierConfigs: ageCheck})
	if status, res := sessionStatus(t, vf, adult); status != http.StatusOK || res.VerificationResult != generated.SessionStatusPending {
		t.Fatalf("before completion: %d %+v, want Pending", status, res)
	}
	done := vf.Complete(adult, mockserver.SubjectSpec{Subject: &mockserver.Subject{Age: ptr(42.0), Gender: ptr("Female")}})
	if done.Result.VerificationResult != generated.SessionStatusPass || *done.Result.EstimatedAge != 42 {
		t.Errorf("Complete = %+v, want a 42-year-old passing", done.Result)
	}
	if _, res := sessionStatus(t, vf, adult); res.VerificationResult != generated.SessionStatusPass {
		t.Errorf("stored result = %s, want Pass", res.VerificationResult)
	}

	minor := createSession(t, vf, generated.CreateSessionRequest{VerifierConfigs: ageCheck})
	if got := vf.CompletePreset(minor, "underage"); got.Result.VerificationResult != generated.SessionStatusFail {
		t.Errorf("CompletePreset underage = %s, want Fail", got.Result.VerificationResult)
	}
	if done.RedirectURL != "" {
		t.Errorf("a session without redirect URLs has RedirectURL %q", done.RedirectURL)
	}
}

// webhookReceiver records the sessions of the webhooks it receives, after delay.
func webhookReceiver(t *testing.T, delay time.Duration) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	// The receiver answers slowly: Webhooks must wait for the delivery instead of returning early.
	hook := webhookReceiver(t, 200*time.Millisecond)
	vf := verifeyetest.NewServer(t)
	url := hook.URL + "/hooks"
	id := createSession(t, vf, generated.CreateSessionRequest{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: &url}})
	vf.CompletePreset(id, "pass")
	got := vf.Webhooks()
	if len(got) != 1 || !got[0].Delivered || got[0].SessionID != id.String() || got[0].URL != url || got[0].Status != http.StatusOK {
		t.Fatalf("Webhooks = %+v, want one delivered attempt for %s", got, id)
	}
	if !got[0].Time.Equal(verifeyetest.DefaultTime) {
		t.Errorf("attempt time = %s, want the mock clock's", got[0].Time)
	}
}

func TestWithWebhookTimeout(t *testing.T) {
	t.Parallel()
	hook := webhookReceiver(t, 5*time.Second)
	vf := verifeyetest.NewServer(t, verifeyetest.WithWebhookTimeout(50*time.Millisecond))
	url := hook.URL
	id := createSession(t, vf, generated.CreateSessionRequest{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: &url}})
	start := time.Now()
	vf.CompletePreset(id, "pass")
	got := vf.Webhooks()
	if len(got) != 2 || got[0].Delivered || got[1].Delivered || got[1].Attempt != 2 {
		t.Fatalf("Webhooks = %+v, want two timed-out attempts", got)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("two attempts took %s; the timeout was not applied", elapsed)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	createVerification(t, vf.Client, "Journaled")
	if _, err := vf.Client.GetHealthWithResponse(t.Context()); err != nil {
		t.Fatal(err)
	}
	vf.Advance(time.Hour) // control calls are not journaled
	got := vf.Requests()
	if len(got) != 2 {
		t.Fatalf("Requests = %+v, want 2", got)
	}
	if r := got[0]; r.Operation != "createVerification" || r.Method != http.MethodPost || r.Path != "/v1/verification/create" ||
		r.Status != http.StatusOK || r.Account != mockserver.DevAccountID || !r.Time.Equal(verifeyetest.DefaultTime) {
		t.Errorf("first request = %+v", r)
	}
	if r := got[1]; r.Operation != "getHealth" || r.Account != "" {
		t.Errorf("second request = %+v", r)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	vf.InjectFault(mockserver.Fault{Operation: "createVerification", Status: http.StatusServiceUnavailable, Count: 1})
	vf.InjectFault(mockserver.Fault{Operation: "getHealth", Status: http.StatusBadGateway})
	if got := vf.Faults(); len(got) != 2 || got[0].Status != http.StatusServiceUnavailable {
		t.Fatalf("Faults = %+v", got)
	}
	resp, err := vf.Client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: "Faulty"})
	if err != nil || resp.StatusCode() != http.StatusServiceUnavailable {
		t.Fatalf("first create: %v %d, want the injected 503", err, resp.StatusCode())
	}
	createVerification(t, vf.Client, "Faulty") // the fault was for one call, and changed nothing
	if n := len(vf.Faults()); n != 1 {
		t.Errorf("%d faults left, want the unlimited one", n)
	}
	vf.ClearFaults()
	if len(vf.Faults()) != 0 {
		t.Error("ClearFaults left faults")
	}
	if h, err := vf.Client.GetHealthWithResponse(t.Context()); err != nil || h.StatusCode() != http.StatusOK {
		t.Fatalf("healthz after ClearFaults: %v %d", err, h.StatusCode())
	}
}

func TestFaceCollections(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	if got := vf.FaceCollections(); len(got) != 0 {
		t.Fatalf("a new mock has collections: %+v", got)
	}
	cfg := &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
		Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: ptr("members"),
	}}
	alice := mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptr("alice")}}
	first := vf.Complete(createSession(t, vf, generated.CreateSessionRequest{VerifierConfigs: cfg}), alice)
	second := vf.Complete(createSession(t, vf, generated.CreateSessionRequest{VerifierConfigs: cfg}), alice)
	if *first.Result.FaceRecognitionResult != generated.VerifierResultPass || *second.Result.FaceRecognitionResult != generated.VerifierResultFail {
		t.Errorf("duplicate check: %s then %s, want Pass then Fail", *first.Result.FaceRecognitionResult, *second.Result.FaceRecognitionResult)
	}
	got := vf.FaceCollections()
	if len(got) != 1 || got[0].CollectionID != "members" || got[0].Account != mockserver.DevAccountID || got[0].Faces["alice"] == "" {
		t.Fatalf("FaceCollections = %+v, want members with alice", got)
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	createVerification(t, vf.Client, "Before reset")
	vf.QueuePreset("pass")
	vf.InjectFault(mockserver.Fault{Operation: "getHealth", Latency: mockserver.Duration(time.Millisecond)})
	vf.Advance(time.Hour)

	vf.Reset()
	if len(vf.Requests()) != 0 || len(vf.QueuedSubjects()) != 0 || len(vf.Faults()) != 0 {
		t.Fatalf("after Reset: %d requests, %d subjects, %d faults", len(vf.Requests()), len(vf.QueuedSubjects()), len(vf.Faults()))
	}
	if want := verifeyetest.DefaultTime.Add(time.Hour); !vf.Now().Equal(want) {
		t.Errorf("Reset moved the clock to %s, want it kept at %s", vf.Now(), want)
	}
	// The name is free again.
	createVerification(t, vf.Client, "Before reset")
}

func TestWithLogger(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	vf := verifeyetest.NewServer(t, verifeyetest.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if _, err := vf.Client.GetHealthWithResponse(t.Context()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "msg=request") || !strings.Contains(out, "path=/v1/healthz") {
		t.Errorf("log = %q, want a request line", out)
	}
	if strings.Contains(buf.String(), vf.APIKey) {
		t.Error("the log holds the API key")
	}
}

func TestWithMockOptions(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t, verifeyetest.WithMockOptions(func(o *mockserver.Options) { o.Version = "custom" }))
	resp, err := vf.Client.GetHealthWithResponse(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.HTTPResponse.Header.Get("X-Verifeye-Mock"); got != "verifeye-mock/custom" {
		t.Errorf("X-Verifeye-Mock = %q", got)
	}
}

func TestHTTPClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, vf.URL+"/v1/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := vf.HTTPClient()
	if c.CheckRedirect == nil || !errors.Is(c.CheckRedirect(req, nil), http.ErrUseLastResponse) {
		t.Fatal("HTTPClient follows redirects")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
}

// syncBuffer is a bytes.Buffer safe for the mock's handler goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestWithSigningVariant runs the mock with dotnet-ordinal and a query whose keys ICU and ordinal
// order differently ('_' sorts before '1' under ICU, after it in UTF-16 order): the mock's own
// create and validate agree, the hosted page accepts its links and refuses one signed with the
// default variant, and the redirect URL carries an ordinal signature.
func TestWithSigningVariant(t *testing.T) {
	t.Parallel()
	vf := verifeyetest.NewServer(t, verifeyetest.WithSigningVariant(signing.VariantDotnetOrdinal), verifeyetest.WithAutoComplete("underage"))
	ordinal, _ := signing.VariantByName(signing.VariantDotnetOrdinal)
	const query = "a_=1&a1=2"

	signed := sign(t, vf, query)
	if r, _ := ordinal.Signer().Validate(signed, vf.APIKey, vf.Now(), nil); r != signing.Valid {
		t.Errorf("dotnet-ordinal Validate of the mock's link = %v, want Valid", r)
	}
	if r, _ := signing.Validate(signed, vf.APIKey, vf.Now(), nil); r != signing.Invalid {
		t.Errorf("default Validate of the mock's dotnet-ordinal link = %v, want Invalid", r)
	}
	res, err := vf.Client.ValidateSignatureWithResponse(t.Context(), generated.ValidateSignatureRequest{QueryString: signed})
	if err != nil || res.JSON200 == nil || res.JSON200.Result != generated.ValidationResult(signing.Valid) {
		t.Fatalf("signature/validate of the mock's own link: %v %s", err, res.Body)
	}
	other, err := signing.DefaultVariant().Signer().Create(query, vf.APIKey, signing.Settings{}, vf.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = vf.Client.ValidateSignatureWithResponse(t.Context(), generated.ValidateSignatureRequest{QueryString: other.SignedQueryString})
	if err != nil || res.JSON200 == nil || res.JSON200.Result != generated.ValidationResult(signing.Invalid) {
		t.Fatalf("signature/validate of a dotnet-icu link: %v %s, want Invalid", err, res.Body)
	}

	failed := "https://shop.example/no?b_=1&b1=2"
	created, err := vf.Client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{
		Name: "Variant",
		VerificationConfig: generated.VerificationConfig{
			VerifierConfigs: &generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))}},
			RedirectConfig:  &generated.RedirectConfig{PassedUrl: ptr("https://shop.example/ok"), FailedUrl: &failed},
		},
	})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("create verification: %v", err)
	}
	vid := created.JSON200.VerificationId
	client := vf.HTTPClient()
	resp, err := client.Get(vf.HostedURL(vid, other.SignedQueryString))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("hosted page with a dotnet-icu link = %d, want 403", resp.StatusCode)
	}
	resp, err = client.Get(vf.HostedURL(vid, signed))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://shop.example/no?") {
		t.Fatalf("hosted page with the mock's link = %d %s, want a 303 to the failed URL", resp.StatusCode, loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := ordinal.Signer().Validate(u.RawQuery, vf.APIKey, vf.Now(), nil); r != signing.Valid {
		t.Errorf("dotnet-ordinal Validate of the redirect %s = %v, want Valid", loc, r)
	}
	if r, _ := signing.Validate(u.RawQuery, vf.APIKey, vf.Now(), nil); r != signing.Invalid {
		t.Errorf("default Validate of the redirect %s = %v, want Invalid", loc, r)
	}
}

// TestControlAPIAnswersLoopbackHostsOnly: the mock listens on loopback, so its control API
// refuses a call naming another Host (a web page that pointed its domain name at 127.0.0.1),
// while the Service API accepts any.
func TestControlAPIAnswersLoopbackHostsOnly(t *testing.T) {
	vf := verifeyetest.NewServer(t)
	for _, tc := range []struct {
		path, host string
		want       int
	}{
		{"/_mock/clock", "", http.StatusOK},
		{"/_mock/clock", "localhost", http.StatusOK},
		{"/_mock/clock", "rebound.example", http.StatusForbidden},
		{"/v1/healthz", "rebound.example", http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, vf.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with Host %q: %d, want %d", tc.path, tc.host, resp.StatusCode, tc.want)
		}
	}
}
