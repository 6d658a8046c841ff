package mockserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// completeEnv is a mock with two accounts, A and B, each with a hosted verification whose
// webhook goes to hook, for the tests of the hosted page's completion address.
type completeEnv struct {
	*flowEnv
	b    *flowEnv // the same mock, as account B
	hook *webhookReceiver
}

func newCompleteEnv(t *testing.T, seed uint64) *completeEnv {
	t.Helper()
	e := newFlowEnv(t, mockserver.Options{Seed: seed, Accounts: []mockserver.Account{
		{ID: "acct-a", APIKeys: []string{"key-a"}}, {ID: "acct-b", APIKeys: []string{"key-b"}},
	}})
	b := *e
	c, err := generated.NewClientWithResponses(e.srv.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey key-b")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	b.client = c
	return &completeEnv{flowEnv: e, b: &b, hook: newWebhookReceiver(t)}
}

// hostedPage opens a new link of verification vid and returns its waiting session and the token
// of its camera page.
func (e *flowEnv) hostedPage(vid uuid.UUID) (uuid.UUID, string) {
	e.t.Helper()
	resp, page := e.open(vid, e.sign("userId=u1", false, 3600))
	m := formAction.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		e.t.Fatalf("open the link: %d, no camera form:\n%s", resp.StatusCode, page)
	}
	return uuid.MustParse(m[2]), pageToken(e.t, page)
}

// apiSession creates a session with create-session: over the verification called name, or from
// inline configuration alone when name is empty.
func (e *flowEnv) apiSession(name string) (uuid.UUID, string) {
	e.t.Helper()
	req := generated.CreateSessionRequest{}
	if name != "" {
		req.Name = &name
	} else {
		req.VerifierConfigs = &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}
	}
	resp, err := e.client.CreateSessionWithResponse(context.Background(), req)
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("create-session: %v %s", err, resp.Body)
	}
	return resp.JSON200.VerificationSessionId, resp.JSON200.SessionToken
}

// answer is a response to a completion, read.
type answer struct {
	status      int
	contentType string
	location    string
	body        string
}

// complete posts the completion form to vid's address for session id, with header's pairs.
func (e *flowEnv) complete(vid, id string, form url.Values, header ...string) answer {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/verification/"+vid+"/sessions/"+id+"/complete", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.browser.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), string(body)}
}

// result is the session's verificationResult, read with the owner's client.
func (e *flowEnv) result(id uuid.UUID) generated.SessionStatus {
	e.t.Helper()
	resp, err := e.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("get-session-result %s: %v %s", id, err, resp.Body)
	}
	return resp.JSON200.VerificationResult
}

// problemBody is the problem+json a program gets.
type problemBody struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors map[string][]string `json:"errors"`
}

// TestHostedCompleteRefusesWhatIsNotTheSessionsOwn sends the completion address every request
// that must not complete a session: each is refused with 404 or 403, the session stays pending
// and no webhook is sent.
func TestHostedCompleteRefusesWhatIsNotTheSessionsOwn(t *testing.T) {
	e := newCompleteEnv(t, 11)
	vA := e.createHostedVerification("A gate", e.hook.URL+"/a")
	vA2 := e.createHostedVerification("A other", e.hook.URL+"/a2")
	vB := e.b.createHostedVerification("B gate", e.hook.URL+"/b")
	sA, tokA := e.hostedPage(vA)
	sA2, tokA2 := e.hostedPage(vA)
	sB, tokB := e.b.hostedPage(vB)
	apiA, apiTokA := e.apiSession("A gate") // over vA's configuration, with its webhook
	apiInline, apiTokInline := e.apiSession("")
	apiB, apiTokB := e.b.apiSession("B gate")
	bearerA, err := e.client.GetTokenWithResponse(context.Background(), &generated.GetTokenParams{})
	if err != nil || bearerA.JSON200 == nil {
		t.Fatalf("token: %v %s", err, bearerA.Body)
	}
	form := func(tok string) url.Values { return url.Values{"preset": {"pass"}, "token": {tok}} }
	// A token one character off: the first changed to another (the token key is random, so a
	// fixed replacement would be the token itself now and then).
	wrongA := "x" + tokA[1:]
	if tokA[0] == 'x' {
		wrongA = "y" + tokA[1:]
	}
	none := url.Values{"preset": {"pass"}}
	cases := []struct {
		name    string
		vid, id string
		form    url.Values
		header  []string
		status  int
		field   string // the field the 403 names
	}{
		{"another account's hosted session, with its page's token", vA.String(), sB.String(), form(tokB), nil, 404, ""},
		{"another account's hosted session at its own address, without a token", vB.String(), sB.String(), none, nil, 403, "token"},
		{"another account's hosted session, with this account's page token", vB.String(), sB.String(), form(tokA), nil, 403, "token"},
		{"another account's session made by create-session, with its sessionToken", vA.String(), apiB.String(), form(apiTokB), nil, 404, ""},
		{"a session of another verification of the account", vA2.String(), sA.String(), form(tokA), nil, 404, ""},
		{"an unknown session", vA.String(), uuid.NewString(), form(tokA), nil, 404, ""},
		{"an address that names no session", vA.String(), "not-a-uuid", form(tokA), nil, 404, ""},
		{"an address that names no verification", "nope", sA.String(), form(tokA), nil, 404, ""},
		{"a session made by create-session, without its token", vA.String(), apiA.String(), none, nil, 404, ""},
		{"a session made by create-session from inline configuration, without its token", vA.String(), apiInline.String(), none, nil, 404, ""},
		{"a session made by create-session, at another verification's address", vA2.String(), apiA.String(), none, []string{"Authorization", "Bearer " + apiTokA}, 404, ""},
		{"a hosted session without a token", vA.String(), sA.String(), none, nil, 403, "token"},
		{"a hosted session with an empty token", vA.String(), sA.String(), form(""), nil, 403, "token"},
		{"a hosted session with a wrong token", vA.String(), sA.String(), form(wrongA), nil, 403, "token"},
		{"a hosted session with another session's page token", vA.String(), sA2.String(), form(tokA), nil, 403, "token"},
		{"a hosted session with another session's page token as Bearer", vA.String(), sA2.String(), none, []string{"Authorization", "Bearer " + tokA}, 403, "Authorization"},
		{"a hosted session with a sessionToken", vA.String(), sA.String(), form(apiTokA), nil, 403, "token"},
		{"a hosted session with the account's API key", vA.String(), sA.String(), form(tokA), []string{"Authorization", "ApiKey key-a"}, 403, "Authorization"},
		{"a session made by create-session with another session's sessionToken", vA.String(), apiA.String(), none, []string{"Authorization", "Bearer " + apiTokInline}, 403, "Authorization"},
		{"a session made by create-session with a page token", vA.String(), apiA.String(), form(tokA2), nil, 403, "token"},
		{"a session made by create-session with a Bearer token of its account", vA.String(), apiA.String(), none, []string{"Authorization", "Bearer " + bearerA.JSON200.Token}, 403, "Authorization"},
		{"a session made by create-session with the account's API key", vA.String(), apiA.String(), none, []string{"Authorization", "ApiKey key-a"}, 403, "Authorization"},
		{"a session made by create-session with a malformed token", vA.String(), apiInline.String(), none, []string{"Authorization", "Bearer abc"}, 403, "Authorization"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// As a browser posts the form: the hosted page's HTML error page.
			if a := e.complete(c.vid, c.id, c.form, c.header...); a.status != c.status || (len(c.header) == 0 && !strings.HasPrefix(a.contentType, "text/html")) {
				t.Errorf("status %d (%s), want %d; body %.300s", a.status, a.contentType, c.status, a.body)
			}
			// As a program: problem+json naming the field and the rule.
			a := e.complete(c.vid, c.id, c.form, append([]string{"Accept", "application/json"}, c.header...)...)
			var p problemBody
			if a.contentType != "application/problem+json" || json.Unmarshal([]byte(a.body), &p) != nil || p.Status != c.status || p.Type == "" || p.Detail == "" {
				t.Fatalf("program: %d %s %s, want a %d problem", a.status, a.contentType, a.body, c.status)
			}
			if c.field != "" && len(p.Errors[c.field]) == 0 {
				t.Errorf("the 403 names %v, want %s: %s", p.Errors, c.field, a.body)
			}
		})
	}
	for _, id := range []uuid.UUID{sA, sA2, apiA, apiInline} {
		if got := e.result(id); got != generated.SessionStatusPending {
			t.Errorf("session %s is %s after refused completions, want Pending", id, got)
		}
	}
	for _, id := range []uuid.UUID{sB, apiB} {
		if got := e.b.result(id); got != generated.SessionStatusPending {
			t.Errorf("B's session %s is %s after refused completions, want Pending", id, got)
		}
	}
	if err := e.mock.WaitWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hooks := e.mock.Webhooks(); len(hooks) != 0 || len(e.hook.hooks()) != 0 {
		t.Errorf("refused completions sent webhooks: %+v", hooks)
	}
}

// TestHostedCompleteCompletesWithTheSessionsOwnToken: the camera page's form with its token (a
// browser: the result redirect), a session made by create-session with its sessionToken (a
// program: the completion as JSON), and the control API without either; each sends its webhook.
func TestHostedCompleteCompletesWithTheSessionsOwnToken(t *testing.T) {
	e := newCompleteEnv(t, 12)
	vA := e.createHostedVerification("A gate", e.hook.URL+"/a")
	vA2 := e.createHostedVerification("A other", "")
	sA, tokA := e.hostedPage(vA)
	apiA, apiTokA := e.apiSession("A gate")
	apiInline, apiTokInline := e.apiSession("")
	apiField, apiTokField := e.apiSession("A gate")
	apiCtl, _ := e.apiSession("A gate")

	a := e.complete(vA.String(), sA.String(), url.Values{"preset": {"pass"}, "token": {tokA}})
	if a.status != http.StatusSeeOther || !strings.HasPrefix(a.location, "https://app.example/verify/done?result=passed") {
		t.Errorf("the page's form: %d to %q, want 303 to the passedUrl; %.300s", a.status, a.location, a.body)
	}
	a = e.complete(vA.String(), apiA.String(), url.Values{"preset": {"underage"}}, "Authorization", "Bearer "+apiTokA)
	var done mockserver.Completion
	if a.status != http.StatusOK || a.contentType != "application/json" || json.Unmarshal([]byte(a.body), &done) != nil ||
		done.Result.VerificationSessionId != apiA || done.Result.VerificationResult != generated.SessionStatusFail {
		t.Errorf("sessionToken as Bearer: %d %s %s, want the underage completion as JSON", a.status, a.contentType, a.body)
	}
	// A session from inline configuration belongs to no verification: its sessionToken alone
	// names it, at any verification's address.
	if a := e.complete(vA2.String(), apiInline.String(), nil, "Authorization", "Bearer "+apiTokInline); a.status != http.StatusOK {
		t.Errorf("inline session with its sessionToken: %d %s", a.status, a.body)
	}
	// The sessionToken in the form's field, as a browser would post it.
	if a := e.complete(vA.String(), apiField.String(), url.Values{"token": {apiTokField}}); a.status != http.StatusOK || !strings.HasPrefix(a.contentType, "text/html") {
		t.Errorf("sessionToken in the form: %d %s %.300s", a.status, a.contentType, a.body)
	}
	// The control API needs no session token.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/_mock/sessions/"+apiCtl.String()+"/complete", strings.NewReader(`{"preset":"pass"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("control API: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	want := map[uuid.UUID]generated.SessionStatus{sA: generated.SessionStatusPass, apiA: generated.SessionStatusFail,
		apiInline: generated.SessionStatusPass, apiField: generated.SessionStatusPass, apiCtl: generated.SessionStatusPass}
	for id, status := range want {
		if got := e.result(id); got != status {
			t.Errorf("session %s is %s, want %s", id, got, status)
		}
	}
	if err := e.mock.WaitWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	hooked := map[string]bool{}
	for _, h := range e.mock.Webhooks() {
		hooked[h.SessionID] = true
	}
	for _, id := range []uuid.UUID{sA, apiA, apiField, apiCtl} { // the inline session has no webhook
		if !hooked[id.String()] {
			t.Errorf("no webhook for %s: %v", id, hooked)
		}
	}
	// Once completed, the form's token completes nothing more.
	if a := e.complete(vA.String(), sA.String(), url.Values{"token": {tokA}}); a.status != http.StatusConflict {
		t.Errorf("second completion: %d, want 409", a.status)
	}
}

// TestHostedCompleteSessionTokenExpires: a sessionToken completes its session for 15 minutes by
// the account's clock; after that only the control API does.
func TestHostedCompleteSessionTokenExpires(t *testing.T) {
	e := newCompleteEnv(t, 13)
	vA := e.createHostedVerification("A gate", e.hook.URL+"/a")
	early, earlyTok := e.apiSession("A gate")
	late, lateTok := e.apiSession("A gate")
	if err := e.mock.Clock().Advance(15*time.Minute - time.Second); err != nil {
		t.Fatal(err)
	}
	if a := e.complete(vA.String(), early.String(), nil, "Authorization", "Bearer "+earlyTok); a.status != http.StatusOK {
		t.Errorf("a token 1 s before it expires: %d %s", a.status, a.body)
	}
	if err := e.mock.Clock().Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	a := e.complete(vA.String(), late.String(), nil, "Authorization", "Bearer "+lateTok)
	var p problemBody
	if a.status != http.StatusForbidden || json.Unmarshal([]byte(a.body), &p) != nil || !strings.Contains(strings.Join(p.Errors["Authorization"], " "), "expired") {
		t.Errorf("an expired token: %d %s, want 403 naming the expiry", a.status, a.body)
	}
	if got := e.result(late); got != generated.SessionStatusPending {
		t.Errorf("the session is %s, want Pending", got)
	}
	if err := e.mock.WaitWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, h := range e.mock.Webhooks() {
		if h.SessionID == late.String() {
			t.Errorf("a webhook for the refused session: %+v", h)
		}
	}
}

// TestHostedPageTokenIsNotDerivedFromTheSeed: two mocks with the same seed start the same
// sessions, but a page token of one completes nothing in the other, so knowing the seed does not
// give the token of a page someone else holds.
func TestHostedPageTokenIsNotDerivedFromTheSeed(t *testing.T) {
	one, other := newCompleteEnv(t, 14), newCompleteEnv(t, 14)
	v1 := one.createHostedVerification("A gate", "")
	v2 := other.createHostedVerification("A gate", "")
	s1, tok1 := one.hostedPage(v1)
	s2, tok2 := other.hostedPage(v2)
	if v1 != v2 || s1 != s2 {
		t.Fatalf("the same seed gave other ids: %s %s, %s %s", v1, s1, v2, s2)
	}
	if tok1 == tok2 {
		t.Fatal("the same seed gave the same page token")
	}
	if a := other.complete(v2.String(), s2.String(), url.Values{"token": {tok1}}); a.status != http.StatusForbidden {
		t.Errorf("the other mock's token: %d, want 403", a.status)
	}
}

// TestHostedPageTokenIsRedactedInTheJournal: the journal keeps the camera page and its form's
// post, but not the token.
func TestHostedPageTokenIsRedactedInTheJournal(t *testing.T) {
	e := newCompleteEnv(t, 15)
	vA := e.createHostedVerification("A gate", "")
	sA, tokA := e.hostedPage(vA)
	if a := e.complete(vA.String(), sA.String(), url.Values{"token": {tokA}}); a.status != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", a.status, a.body)
	}
	saw := 0
	for _, rec := range e.mock.Requests() {
		if strings.HasPrefix(rec.Path, "/verification/") {
			saw++
			if strings.Contains(rec.RequestBody+rec.ResponseBody, tokA) {
				t.Errorf("the journal shows the page token: %+v", rec)
			}
		}
	}
	if saw != 2 {
		t.Errorf("the journal has %d hosted-page requests, want 2", saw)
	}
}

// TestHostedCompleteRefusesABodyThatIsNotAForm: a JSON body is not read as an empty form (which
// would complete the session with the default subject).
func TestHostedCompleteRefusesABodyThatIsNotAForm(t *testing.T) {
	e := newCompleteEnv(t, 16)
	vA := e.createHostedVerification("A gate", "")
	sA, tokA := e.hostedPage(vA)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/verification/"+vA.String()+"/sessions/"+sA.String()+"/complete",
		strings.NewReader(`{"preset":"underage","token":"`+tokA+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokA)
	resp, err := e.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p problemBody
	if resp.StatusCode != http.StatusUnsupportedMediaType || json.Unmarshal(body, &p) != nil || len(p.Errors["Content-Type"]) == 0 {
		t.Errorf("JSON body: %d %s, want 415 naming Content-Type", resp.StatusCode, body)
	}
	if got := e.result(sA); got != generated.SessionStatusPending {
		t.Errorf("the session is %s, want Pending", got)
	}
}

// TestHostedCompleteRefusesAFormTooLarge: a form past MaxCompletionFormBytes, sent without a
// Content-Length so only reading finds it, answers 413 naming the limit and completes nothing.
func TestHostedCompleteRefusesAFormTooLarge(t *testing.T) {
	e := newCompleteEnv(t, 18)
	vA := e.createHostedVerification("A gate", "")
	sA, tokA := e.hostedPage(vA)
	form := "token=" + url.QueryEscape(tokA) + "&preset=pass&pad=" + strings.Repeat("x", mockserver.MaxCompletionFormBytes)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/verification/"+vA.String()+"/sessions/"+sA.String()+"/complete",
		io.MultiReader(strings.NewReader(form))) // a reader of unknown length: the request is chunked
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := e.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p problemBody
	if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(body, &p) != nil ||
		!strings.Contains(strings.Join(p.Errors["body"], " "), strconv.Itoa(mockserver.MaxCompletionFormBytes)) {
		t.Errorf("a form of %d bytes: %d %s, want 413 naming the limit", len(form), resp.StatusCode, body)
	}
	if got := e.result(sA); got != generated.SessionStatusPending {
		t.Errorf("the session is %s, want Pending", got)
	}
}

// TestHostedCompleteIgnoresTheControlToken: with --control-token the completion address still
// needs the session's own token, and the control token is not one; the control API completes
// with the control token alone.
func TestHostedCompleteIgnoresTheControlToken(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{Seed: 17, ControlToken: "ctl-secret"})
	vid := e.createHostedVerification("gate", "")
	sid, tok := e.hostedPage(vid)
	other, _ := e.hostedPage(vid)
	if a := e.complete(vid.String(), sid.String(), nil, mockserver.ControlTokenHeader, "ctl-secret"); a.status != http.StatusForbidden {
		t.Errorf("the control token at the page's address: %d, want 403", a.status)
	}
	if a := e.complete(vid.String(), sid.String(), url.Values{"token": {tok}}); a.status != http.StatusSeeOther {
		t.Errorf("the page's token without the control token: %d, want 303", a.status)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/_mock/sessions/"+other.String()+"/complete", strings.NewReader(`{"preset":"pass"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mockserver.ControlTokenHeader, "ctl-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("control API with its token: %d, want 200", resp.StatusCode)
	}
}
