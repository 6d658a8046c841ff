package mockserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/signing"
)

// flowEnv is a mock on an httptest server with a frozen clock, for the hosted-flow tests.
type flowEnv struct {
	t      *testing.T
	mock   *mockserver.Server
	srv    *httptest.Server
	client *generated.ClientWithResponses
	// browser does not follow redirects, so tests can read Location.
	browser *http.Client
}

var flowStart = time.Date(2026, 2, 8, 11, 34, 54, 0, time.UTC)

func newFlowEnv(t *testing.T, opts mockserver.Options) *flowEnv {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = mockserver.NewFrozenClock(flowStart)
	}
	m, err := mockserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { srv.Close(); m.Close() })
	key := m.Accounts()[0].APIKeys[0]
	c, err := generated.NewClientWithResponses(srv.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey "+key)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &flowEnv{t: t, mock: m, srv: srv, client: c, browser: browser}
}

// webhookReceiver records the webhook requests it gets and answers with the statuses in plan
// (then 200).
type webhookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []receivedHook
	plan []int
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func newWebhookReceiver(t *testing.T, plan ...int) *webhookReceiver {
	w := &webhookReceiver{plan: plan}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.got = append(w.got, receivedHook{header: r.Header.Clone(), body: body})
		status := http.StatusOK
		if len(w.plan) > 0 {
			status, w.plan = w.plan[0], w.plan[1:]
		}
		w.mu.Unlock()
		rw.WriteHeader(status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookReceiver) hooks() []receivedHook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]receivedHook{}, w.got...)
}

func allResultParams() *generated.ResultParameterConfig {
	t := true
	return &generated.ResultParameterConfig{
		IncludeSignature: &t, IncludeSessionId: &t, IncludeFaceId: &t, IncludeAge: &t, IncludeGender: &t,
		IncludeVerificationResult: &t, IncludeCustomInputParameters: &t, IncludeLivenessCheckResult: &t,
		IncludeAgeVerificationResult: &t, IncludeGenderVerificationResult: &t, IncludeFaceRecognitionResult: &t,
		IncludeCorrelationId: &t, IncludeTotalFaceCount: &t, IncludeFailedReason: &t,
	}
}

func ptrTo[T any](v T) *T { return &v }

// createHostedVerification creates a verification with every verifier, redirect URLs, every
// result parameter, a forced signature and a webhook to hook.
func (e *flowEnv) createHostedVerification(name, hook string) uuid.UUID {
	e.t.Helper()
	cfg := generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptrTo(int32(18))},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: ptrTo("members")},
		},
		RedirectConfig: &generated.RedirectConfig{
			PassedUrl: ptrTo("https://app.example/verify/done?result=passed"),
			FailedUrl: ptrTo("https://app.example/verify/done?result=failed"),
		},
		ResultParameterConfig: allResultParams(),
		SecurityConfig:        &generated.SecurityConfig{ForceSignedInput: ptrTo(true)},
	}
	if hook != "" {
		cfg.WebhookConfig = &generated.WebhookConfig{EventCallbackUrl: &hook}
	}
	resp, err := e.client.CreateVerificationWithResponse(context.Background(), generated.VerificationInput{Name: name, VerificationConfig: cfg})
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("create verification: %v %s", err, resp.Body)
	}
	return resp.JSON200.VerificationId
}

func (e *flowEnv) sign(query string, nonce bool, seconds int32) string {
	e.t.Helper()
	resp, err := e.client.CreateSignatureWithResponse(context.Background(), generated.CreateSignatureRequest{
		QueryString: query,
		SecuritySettings: &generated.SecuritySettings{
			EnableNonce: &nonce, ExpirationEnabled: ptrTo(true), ExpirationInSeconds: &seconds,
		},
	})
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("sign: %v %s", err, resp.Body)
	}
	return resp.JSON200.SignedQueryString
}

func (e *flowEnv) open(verification uuid.UUID, query string) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.browser.Get(fmt.Sprintf("%s/verification/%s?%s", e.srv.URL, verification, query))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (e *flowEnv) validate(query string) generated.ValidationResult {
	e.t.Helper()
	resp, err := e.client.ValidateSignatureWithResponse(context.Background(), generated.ValidateSignatureRequest{QueryString: query})
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("validate: %v %s", err, resp.Body)
	}
	return resp.JSON200.Result
}

var formAction = regexp.MustCompile(`action="(/verification/[^"]+/sessions/([0-9a-f-]+)/complete)"`)

// formToken finds the session's token in the camera page's form.
var formToken = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]+)">`)

// pageToken is the token in the camera page's form.
func pageToken(t *testing.T, page string) string {
	t.Helper()
	m := formToken.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the camera page's form has no token:\n%s", page)
	}
	return m[1]
}

// TestHostedFlowEndToEnd walks the whole flow a developer tests: create a verification with
// redirect URLs and a webhook, sign a link with nonce and expiration, open it, complete with a
// subject, follow the redirect, validate its reSignature, read the result, receive the webhook;
// then reuse the link (410) and open an expired one (410).
func TestHostedFlowEndToEnd(t *testing.T) {
	hook := newWebhookReceiver(t)
	e := newFlowEnv(t, mockserver.Options{Seed: 7})
	vid := e.createHostedVerification("Checkout age gate", hook.URL+"/hooks/verifeye")
	link := e.sign("userId=User123&campaign=spring", true, 3600)

	// Opening the link shows the camera stand-in with the session.
	resp, page := e.open(vid, link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("open link: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("camera page has no completion form:\n%s", page)
	}
	sessionID := uuid.MustParse(m[2])

	// The link's nonce is consumed by the session start: validate now says so.
	if got := e.validate(link); got != generated.NonceAlreadyUsed {
		t.Errorf("validate after start = %s, want NonceAlreadyUsed", got)
	}

	// Before completion the result is pending.
	pending, err := e.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: sessionID})
	if err != nil || pending.JSON200 == nil || pending.JSON200.VerificationResult != generated.SessionStatusPending {
		t.Fatalf("result before completion: %v %s", err, pending.Body)
	}

	// Complete as a live 31-year-old woman.
	form := url.Values{"preset": {"pass"}, "age": {"31"}, "gender": {"Female"}, "face": {"alice"}, "token": {pageToken(t, page)}}
	done, err := e.browser.PostForm(e.srv.URL+m[1], form)
	if err != nil {
		t.Fatal(err)
	}
	done.Body.Close()
	if done.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: status %d, want 303", done.StatusCode)
	}
	loc, err := url.Parse(done.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if loc.Host != "app.example" || loc.Path != "/verify/done" {
		t.Fatalf("redirect to %s, want the passedUrl", loc)
	}

	// The redirect carries exactly the enabled parameters, in order, lowercase, reSignature last.
	var keys []string
	for _, p := range signing.Parse(loc.RawQuery) {
		keys = append(keys, p.Key)
	}
	wantKeys := []string{"result", "reVerificationSessionId", "reFaceId", "reVerificationResult", "reLivenessResult",
		"reFaceRecognitionResult", "reAgeVerificationResult", "reAge", "reGenderVerificationResult", "reGender",
		"reTotalFaceCount", "campaign", "userId", "reSignature"}
	if strings.Join(keys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("redirect keys\n got %v\nwant %v", keys, wantKeys)
	}
	q := loc.Query()
	for k, want := range map[string]string{
		"result": "passed", "reVerificationSessionId": sessionID.String(), "reVerificationResult": "passed",
		"reLivenessResult": "passed", "reFaceRecognitionResult": "passed", "reAgeVerificationResult": "passed",
		"reAge": "31", "reGenderVerificationResult": "not_executed", "reGender": "female", "reTotalFaceCount": "1",
		"userId": "User123", "campaign": "spring",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(q.Get("reFaceId")) {
		t.Errorf("reFaceId = %q, want 32 lowercase hex", q.Get("reFaceId"))
	}

	// The result URL's signature is valid through the API and with the exported package.
	if got := e.validate(loc.RawQuery); got != generated.Valid {
		t.Errorf("validate redirect query = %s, want Valid", got)
	}
	if got, err := signing.Validate(loc.RawQuery, mockserver.DevAPIKey, flowStart, nil); err != nil || got != signing.Valid {
		t.Errorf("signing.Validate(redirect) = %s, %v", got, err)
	}

	// get-session-result has every field.
	res, err := e.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: sessionID})
	if err != nil || res.JSON200 == nil {
		t.Fatalf("result: %v %s", err, res.Body)
	}
	r := res.JSON200
	if r.VerificationResult != generated.SessionStatusPass || *r.EstimatedAge != 31 || *r.EstimatedGender != generated.Female ||
		*r.FaceId != q.Get("reFaceId") || (*r.CustomInputParameters)["userId"] != "User123" || len(*r.VerificationFailedReasons) != 0 {
		t.Errorf("stored result = %s", res.Body)
	}

	// The webhook arrives with the documented body and headers.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.mock.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	hooks := hook.hooks()
	if len(hooks) != 1 {
		t.Fatalf("got %d webhooks, want 1", len(hooks))
	}
	if ct := hooks[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("webhook Content-Type = %q", ct)
	}
	if k := hooks[0].header.Get("X-API-Key"); k != mockserver.DevAPIKey {
		t.Errorf("webhook X-API-Key = %q, want the account's key", k)
	}
	var event map[string]string
	if err := json.Unmarshal(hooks[0].body, &event); err != nil || event["event"] != "VerificationCompleted" || event["verificationSessionId"] != sessionID.String() || len(event) != 2 {
		t.Errorf("webhook body = %s", hooks[0].body)
	}

	// The same link again: its nonce is used, so 410 Gone.
	if resp, _ := e.open(vid, link); resp.StatusCode != http.StatusGone {
		t.Errorf("reused link: %d, want 410", resp.StatusCode)
	}
	// An expired link: 410 Gone.
	short := e.sign("userId=User456", false, 60)
	e.mock.Clock().Advance(61 * time.Second)
	if resp, _ := e.open(vid, short); resp.StatusCode != http.StatusGone {
		t.Errorf("expired link: %d, want 410", resp.StatusCode)
	}
}

func TestHostedLinkRejections(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	vid := e.createHostedVerification("Gate", "")
	signed := e.sign("userId=u1", false, 3600)
	tampered := strings.Replace(signed, "userId=u1", "userId=u2", 1)
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"unsigned link to a forceSignedInput verification", "userId=u1", http.StatusForbidden},
		{"tampered link", tampered, http.StatusForbidden},
		{"garbage signature", "userId=u1&reSignature=xyz", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.open(vid, tc.query)
			if resp.StatusCode != tc.status || !strings.Contains(body, "Signature missing or invalid") {
				t.Errorf("status %d, want %d; page:\n%s", resp.StatusCode, tc.status, body)
			}
		})
	}
	t.Run("unknown verification", func(t *testing.T) {
		if resp, _ := e.open(uuid.New(), signed); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

// TestHostedAutoComplete: with a queued subject, or --auto-complete, the hosted link completes
// at once and redirects, so an HTTP client follows it straight through.
func TestHostedAutoComplete(t *testing.T) {
	t.Run("queued subjects, first in first out", func(t *testing.T) {
		e := newFlowEnv(t, mockserver.Options{})
		vid := e.createHostedVerification("Gate", "")
		if err := e.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "underage"}, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"failed", "passed"} {
			resp, _ := e.open(vid, e.sign("u=1", false, 3600))
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("result") != want {
				t.Errorf("status %d, location %s; want 303 to the %s URL", resp.StatusCode, loc, want)
			}
		}
	})
	t.Run("auto-complete preset", func(t *testing.T) {
		e := newFlowEnv(t, mockserver.Options{AutoComplete: "spoof"})
		vid := e.createHostedVerification("Gate", "")
		resp, _ := e.open(vid, e.sign("u=1", false, 3600))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc.Query().Get("reLivenessResult") != "failed" || loc.Query().Get("reFailedReason") != "livenessFailed" {
			t.Errorf("status %d, location %s", resp.StatusCode, loc)
		}
	})
	t.Run("unknown auto-complete preset is a config error", func(t *testing.T) {
		if _, err := mockserver.New(mockserver.Options{AutoComplete: "nobody"}); err == nil || !strings.Contains(err.Error(), "auto-complete") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestHostedNonceUsedOnce: 100 concurrent opens of one link with a nonce start exactly one
// session; the others are 410 Gone.
func TestHostedNonceUsedOnce(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{AutoComplete: "pass"})
	vid := e.createHostedVerification("Gate", "")
	link := e.sign("u=1", true, 3600)
	const n = 100
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.browser.Get(fmt.Sprintf("%s/verification/%s?%s", e.srv.URL, vid, link))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusSeeOther] != 1 || count[http.StatusGone] != n-1 {
		t.Errorf("statuses %v, want one 303 and %d 410", count, n-1)
	}
}

func TestSessionCompletesOnce(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	resp, err := e.client.CreateSessionWithResponse(context.Background(), generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
	})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create session: %v", err)
	}
	id := resp.JSON200.VerificationSessionId
	first, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"})
	if err != nil || first.Result.VerificationResult != generated.SessionStatusPass {
		t.Fatalf("first completion: %+v %v", first, err)
	}
	if _, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "spoof"}); err == nil {
		t.Fatal("second completion succeeded")
	}
	res, _ := e.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if res.JSON200.VerificationResult != generated.SessionStatusPass {
		t.Errorf("second completion changed the result: %s", res.Body)
	}
}

// TestHostedLinkCannotSmuggleResults: service keys in another spelling (the signing package reads
// keys without regard to case) are not passed through as custom parameters, so a link cannot
// plant result parameters in a failed session's signed redirect.
func TestHostedLinkCannotSmuggleResults(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{AutoComplete: "spoof"})
	vid := e.createHostedVerification("Gate", "")
	link := e.sign("userId=u1&reverificationresult=passed&ReLivenessResult=passed&REFACEID=x", false, 3600)
	resp, _ := e.open(vid, link)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("status %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range signing.Parse(loc.RawQuery) {
		if strings.EqualFold(p.Key, "reVerificationResult") && p.Value != "failed" || strings.EqualFold(p.Key, "reLivenessResult") && p.Value != "failed" {
			t.Errorf("the redirect carries %s=%s for a spoof", p.Key, p.Value)
		}
		if p.Key == "REFACEID" || p.Key == "reverificationresult" || p.Key == "ReLivenessResult" {
			t.Errorf("the redirect passes the link's %s through", p.Key)
		}
	}
	if got := e.validate(loc.RawQuery); got != generated.Valid {
		t.Errorf("the redirect validates as %s", got)
	}
}
