package mockserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// The dashboard in a real browser: headless Chromium, driven through the DevTools protocol
// (chromedp). These tests skip where no Chromium is installed, unless VERIFEYE_BROWSER=1 (as CI
// sets it), where they fail instead.

const dashToken = "dash-token"

// chromium finds the system's Chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const how = "no Chromium found (chromium or chromium-browser on PATH); install it with `apt-get install -y chromium` to run the dashboard's browser tests"
	if os.Getenv("VERIFEYE_BROWSER") == "1" {
		t.Fatal(how + " (VERIFEYE_BROWSER=1 says these tests must run)")
	}
	t.Skip(how)
	return ""
}

// dashEnv is a mock with a control token, and a browser tab that opened its dashboard and gave
// the token.
type dashEnv struct {
	*ctlEnv
	tab context.Context
}

func newDashEnv(t *testing.T, opts mockserver.Options) *dashEnv {
	t.Helper()
	exe := chromium(t)
	opts.ControlToken = dashToken
	// As verifeye-mock on its default address guards it: the page's calls come from the mock's
	// own origin, with JSON, to a loopback Host.
	opts.ControlHosts = mockserver.LoopbackHosts("127.0.0.1")
	c := newCtlEnv(t, opts)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.WindowSize(1500, 1300),
		chromedp.Flag("disable-dev-shm-usage", true))
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	// The first run starts the browser, which lives as long as that run's context: no timeout
	// on it; later runs each have one (see run).
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	d := &dashEnv{ctlEnv: c, tab: tab}
	// The page asks for the token, keeps it and then shows the mock.
	d.run(t, "open the dashboard and give the token",
		chromedp.Navigate(c.base+"/_mock/"),
		chromedp.WaitVisible(chromedp.CSS("#token-form")),
		chromedp.SendKeys(chromedp.CSS("#token"), dashToken),
		chromedp.Click(chromedp.CSS("#token-form button")),
		chromedp.WaitNotVisible(chromedp.CSS("#token-form")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-updated]`)),
	)
	kept, err := chromedp.Run(d.timed(t), chromedp.Evaluate[string](`sessionStorage.getItem("verifeyeControlToken")`))
	if err != nil {
		t.Fatal(err)
	}
	if kept != dashToken {
		t.Fatalf("the page kept the token %q in session storage, want %q", kept, dashToken)
	}
	return d
}

// timed is the tab with a time limit for one run, so that a page that never shows what a test
// waits for fails the test instead of hanging it.
func (d *dashEnv) timed(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(d.tab, 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (d *dashEnv) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(d.timed(t), steps...); err != nil {
		status, _ := chromedp.Run(d.timed(t), chromedp.Text(chromedp.CSS("#status")))
		t.Fatalf("%s: %v (the page says %q)", what, err, status)
	}
}

// text is the text of the first element sel matches, once one is visible.
func (d *dashEnv) text(t *testing.T, sel string) string {
	t.Helper()
	d.run(t, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(d.timed(t), chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// lastRequest is the newest journal entry as GET /_mock/requests answers it, every field kept.
func (d *dashEnv) lastRequest(t *testing.T) map[string]any {
	t.Helper()
	var j struct{ Requests []map[string]any }
	d.call(http.MethodGet, "/_mock/requests", "").ok(t, &j)
	if len(j.Requests) == 0 {
		t.Fatal("the journal is empty")
	}
	return j.Requests[len(j.Requests)-1]
}

func TestDashboardShowsARefusedRequest(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{})
	req, _ := http.NewRequest(http.MethodPost, d.srv.URL+"/v1/verification/create", strings.NewReader(`{"verificationConfig":{}}`))
	req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("create without a name: status %d, want 400", resp.StatusCode)
	}
	rec := d.lastRequest(t)

	row := d.text(t, `#journal tbody tr[data-status="400"]`)
	for _, want := range []string{"createVerification", "POST /v1/verification/create", "400", mockserver.DevAccountID} {
		if !strings.Contains(row, want) {
			t.Errorf("the journal row %q does not show %q", row, want)
		}
	}
	// The problem detail, where the journal records it, is the row's reason.
	if detail, ok := rec["detail"].(string); ok && detail != "" && !strings.Contains(row, detail) {
		t.Errorf("the journal row %q does not show the detail %q", row, detail)
	}

	// The row opens its detail: every field the journal has.
	d.run(t, "open the row", chromedp.Click(chromedp.CSS(`#journal tbody tr[data-status="400"] button`)))
	detail := d.text(t, "#journal-detail-body")
	for k, v := range rec {
		s, ok := v.(string)
		switch {
		case !ok:
		case k == "requestBody" || k == "responseBody":
			// shown under its name, reindented when it is JSON
			if !strings.Contains(detail, k+":") {
				t.Errorf("the request's detail %q does not show its %s", detail, k)
			}
		case !strings.Contains(detail, s):
			t.Errorf("the request's detail %q does not show %s %q", detail, k, s)
		}
	}
}

func TestDashboardCompletesAWaitingHostedSession(t *testing.T) {
	hooks := make(chan struct{}, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hooks <- struct{}{}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	d := newDashEnv(t, mockserver.Options{})
	vid := d.createHostedVerification("Gate", receiver.URL+"/hook")
	_, page := d.open(vid, d.sign("userId=u7", false, 3600))
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no camera page:\n%s", page)
	}
	sid := m[2]

	waiting := fmt.Sprintf(`#waiting tbody tr[data-session="%s"]`, sid)
	d.run(t, "complete the waiting session as underage",
		chromedp.WaitVisible(chromedp.CSS(waiting+" button.complete-preset")),
		chromedp.SetValue(chromedp.CSS(waiting+" select"), "underage"),
		chromedp.Click(chromedp.CSS(waiting+" button.complete-preset")),
		chromedp.WaitNotPresent(chromedp.CSS(waiting)),
	)
	session := d.text(t, fmt.Sprintf(`#sessions tbody tr[data-session="%s"]`, sid))
	if !strings.Contains(session, "completed") || !strings.Contains(session, "Fail") || !strings.Contains(session, "hosted") {
		t.Errorf("the session's row %q does not show it completed, hosted, failed", session)
	}
	if r := resFetchResult(t, d.client, uuid.MustParse(sid)); r.VerificationResult != generated.SessionStatusFail || *r.EstimatedAge != 15 {
		t.Errorf("stored result %s, want the underage preset's", resJSONOf(r))
	}
	select {
	case <-hooks:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook receiver was not called")
	}
	ctlWaitWebhooks(t, d.mock)
	hook := d.text(t, fmt.Sprintf(`#webhooks tbody tr[data-session="%s"][data-delivered="true"]`, sid))
	if !strings.Contains(hook, receiver.URL+"/hook") || !strings.Contains(hook, "delivered (204)") {
		t.Errorf("the webhook row %q does not show the delivery to %s/hook with 204", hook, receiver.URL)
	}
}

func TestDashboardCompletesWithASubjectGivenFieldByField(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{})
	vid := d.createHostedVerification("Gate", "")
	_, page := d.open(vid, d.sign("userId=u8", false, 3600))
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no camera page:\n%s", page)
	}
	waiting := fmt.Sprintf(`#waiting tbody tr[data-session="%s"]`, m[2])
	d.run(t, "complete with a subject aged 41",
		chromedp.WaitVisible(chromedp.CSS(waiting+" button.complete-subject")),
		chromedp.SetValue(chromedp.CSS("#subj-age"), "41"),
		chromedp.SetValue(chromedp.CSS("#subj-gender"), "Male"),
		chromedp.Click(chromedp.CSS(waiting+" button.complete-subject")),
		chromedp.WaitNotPresent(chromedp.CSS(waiting)),
	)
	r := resFetchResult(t, d.client, uuid.MustParse(m[2]))
	if r.VerificationResult != generated.SessionStatusPass || *r.EstimatedAge != 41 || *r.EstimatedGender != generated.Male {
		t.Errorf("result %s, want a pass for a live male of 41", resJSONOf(r))
	}
}

func TestDashboardAdvancesTheClock(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{})
	link := d.sign("userId=u9", false, 3600)
	if got := d.validate(link); got != generated.Valid {
		t.Fatalf("a fresh link: %s, want Valid", got)
	}
	before := d.mock.Clock().Now()
	d.run(t, "advance the clock by 2h",
		chromedp.SetValue(chromedp.CSS("#clock-advance-value"), "2h"),
		chromedp.Click(chromedp.CSS("#clock-advance button")),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="status"][contains(., "Advance clock: done")]`)),
	)
	if moved := d.mock.Clock().Now().Sub(before); moved < 2*time.Hour {
		t.Errorf("the clock moved %s, want at least 2h", moved)
	}
	if got := d.validate(link); got != generated.Expired {
		t.Errorf("the link an hour past its expiry: %s, want Expired", got)
	}
	d.run(t, "freeze the clock",
		chromedp.Click(chromedp.CSS("#clock-freeze")),
		chromedp.WaitVisible(chromedp.Search(`//span[@id="clock-frozen"][.="(frozen)"]`)),
	)
	if !d.mock.Clock().Frozen() {
		t.Error("the Freeze button did not freeze the clock")
	}
}

func TestDashboardFiltersByTenant(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{})
	var tenant struct{ AccountID, APIKey string }
	r := d.call(http.MethodPost, "/_mock/tenants", `{"name":"billing CI"}`)
	if err := json.Unmarshal(r.body, &tenant); err != nil || tenant.APIKey == "" {
		t.Fatalf("create tenant: %d %s", r.status, r.body)
	}
	for _, key := range []string{mockserver.DevAPIKey, tenant.APIKey} {
		req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/v1/verification/get-all", nil)
		req.Header.Set("Authorization", "ApiKey "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	dev := fmt.Sprintf(`#journal tbody tr[data-account="%s"]`, mockserver.DevAccountID)
	mine := fmt.Sprintf(`#journal tbody tr[data-account="%s"]`, tenant.AccountID)
	d.run(t, "both accounts' requests show", chromedp.WaitVisible(chromedp.CSS(dev)), chromedp.WaitVisible(chromedp.CSS(mine)))
	option := chromedp.CSS(fmt.Sprintf(`#filter option[value="%s"]`, tenant.AccountID))
	d.run(t, "the filter offers the tenant", chromedp.WaitReady(option))
	label, err := chromedp.Run(d.timed(t), chromedp.TextContent(option))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(label, "billing CI") {
		t.Errorf("the filter offers the tenant as %q, want its name", label)
	}
	d.run(t, "pick the tenant",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[string](fmt.Sprintf(`(() => { const s = document.getElementById("filter"); s.value = %q; s.dispatchEvent(new Event("change")); return s.value; })()`, tenant.AccountID))(ctx, tg)
			return err
		}),
		chromedp.WaitNotPresent(chromedp.CSS(dev)),
		chromedp.WaitVisible(chromedp.CSS(mine)),
	)
}

func TestDashboardQueuesSubjectsAndAddsFaults(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{})
	d.run(t, "queue an underage subject, add two faults",
		chromedp.SetValue(chromedp.CSS("#subject-preset"), "underage"),
		chromedp.Click(chromedp.CSS("#subject-add button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//ul[@id="subjects"]/li[contains(., "underage")]`)),
		chromedp.SetValue(chromedp.CSS("#fault-op"), "createSession"),
		chromedp.SetValue(chromedp.CSS("#fault-status"), "503"),
		chromedp.SetValue(chromedp.CSS("#fault-count"), "2"),
		chromedp.Click(chromedp.CSS("#fault-add button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//ul[@id="faults"]/li[contains(., "createSession, answers 503")]`)),
		chromedp.SetValue(chromedp.CSS("#fault-op"), "getToken"),
		chromedp.SetValue(chromedp.CSS("#fault-status"), ""),
		chromedp.SetValue(chromedp.CSS("#fault-count"), ""),
		chromedp.SetValue(chromedp.CSS("#fault-latency"), "1s"),
		chromedp.Click(chromedp.CSS("#fault-add button[type=submit]")),
		chromedp.WaitVisible(chromedp.Search(`//ul[@id="faults"]/li[contains(., "getToken, waits 1s")]`)),
	)
	if q := d.mock.QueuedSubjects(); len(q) != 1 || q[0].Preset != "underage" {
		t.Errorf("queued %+v, want one underage subject", q)
	}
	if f := d.mock.Faults(); len(f) != 2 || f[0].Operation != "createSession" || f[0].Status != 503 || f[0].Count != 2 {
		t.Fatalf("faults %+v, want createSession 503 twice, then getToken's latency", f)
	}
	d.run(t, "remove the first fault, clear the queue",
		chromedp.Click(chromedp.Search(`//ul[@id="faults"]/li[contains(., "createSession")]/button`)),
		chromedp.WaitNotPresent(chromedp.Search(`//ul[@id="faults"]/li[contains(., "createSession")]`)),
		chromedp.Click(chromedp.CSS("#subject-clear")),
		chromedp.WaitVisible(chromedp.Search(`//ul[@id="subjects"]/li[contains(., "No subject queued.")]`)),
	)
	if f := d.mock.Faults(); len(f) != 1 || f[0].Operation != "getToken" {
		t.Errorf("faults %+v, want only getToken's left", f)
	}
	if q := d.mock.QueuedSubjects(); len(q) != 0 {
		t.Errorf("queued %+v after Clear queue", q)
	}
}

// TestDashboardScreenshot takes the dashboard's picture with some traffic on it; with
// VERIFEYE_SCREENSHOT=path (make screenshots) it writes it there as PNG.
func TestDashboardScreenshot(t *testing.T) {
	d := newDashEnv(t, mockserver.Options{Clock: mockserver.NewClock(func() time.Time { return time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC) })})
	d.mock.Clock().Freeze(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(receiver.Close)
	vid := d.createHostedVerification("Age gate", receiver.URL+"/hooks/verifeye")
	_, page := d.open(vid, d.sign("userId=alice", false, 3600))
	if m := formAction.FindStringSubmatch(page); m != nil {
		d.call(http.MethodPost, "/_mock/sessions/"+m[2]+"/complete", `{"preset":"pass"}`).ok(t, nil)
	}
	d.open(vid, d.sign("userId=bob", false, 3600))
	d.ctlPendingSession()
	req, _ := http.NewRequest(http.MethodGet, d.srv.URL+"/v1/verification/get?verificationId=nope", nil)
	req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	d.call(http.MethodPost, "/_mock/faults", `{"operation":"createSession","status":503,"count":2}`).ok(t, nil)
	d.call(http.MethodPost, "/_mock/subjects", `{"preset":"underage"}`).ok(t, nil)
	ctlWaitWebhooks(t, d.mock)

	d.run(t, "wait for the traffic",
		chromedp.WaitVisible(chromedp.CSS(`#webhooks tbody tr[data-delivered="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#waiting tbody tr[data-session]`)),
	)
	shot, err := chromedp.Run(d.timed(t), chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 600 {
		t.Errorf("the screenshot is %dx%d, want at least 1000x600", b.Dx(), b.Dy())
	}
	if out := os.Getenv("VERIFEYE_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}
