package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// The clock's range: every time the API writes is the clock's time give or take 7 days (the
// result window, a signed link's 604800 s), and must fall within years 0001 to 9999.
var (
	clockLast  = time.Date(9999, 12, 24, 23, 59, 59, 999999900, time.UTC) // 10000-01-01 less 7 days and one tick
	clockFirst = time.Date(1, 1, 8, 0, 0, 0, 0, time.UTC)                 // 0001-01-01 plus 7 days
)

var clockMin, clockMax = mockserver.ClockRange()

func TestClockRangeBounds(t *testing.T) {
	if !clockMax.Equal(clockLast) || !clockMin.Equal(clockFirst) {
		t.Errorf("range %v..%v, want %v..%v", clockMin, clockMax, clockFirst, clockLast)
	}
}

// TestClockControlRefusesOutOfRange: set and advance past the range answer 400 naming the field,
// on the mock's clock and on an account's, and leave the clock as it was.
func TestClockControlRefusesOutOfRange(t *testing.T) {
	bad := []struct{ name, body, field string }{
		{"set in the last half hour of 9999", `{"set":"9999-12-31T23:30:00Z"}`, "set"},
		{"set one tick past the range", `{"set":"9999-12-25T00:00:00Z"}`, "set"},
		{"set to year 1", `{"set":"0001-01-01T00:00:00Z"}`, "set"},
		{"set one tick before the range", `{"set":"0001-01-07T23:59:59.9999999Z"}`, "set"},
		{"set and freeze in one call", `{"set":"9999-12-31T23:30:00Z","freeze":false}`, "set"},
		{"advance the longest duration from a set time near the end", `{"set":"9800-01-01T00:00:00Z","advance":"2562047h"}`, "advance"},
		{"advance before the start", `{"set":"0001-01-09T00:00:00Z","advance":"-24h0m0.0000001s"}`, "advance"},
		{"advance that overflows a duration", `{"advance":"9999999999h"}`, "advance"},
		{"a valid set then an advance past the range", `{"set":"9999-12-24T00:00:00Z","advance":"25h"}`, "advance"},
	}
	scopes := []struct {
		name string
		auth []string
	}{
		{"mock", []string{"Authorization", ""}},
		{"account", []string{"Authorization", "ApiKey " + apiKeyA1}},
	}
	for _, sc := range scopes {
		for _, b := range bad {
			t.Run(sc.name+"/"+b.name, func(t *testing.T) {
				m := newMock(t)
				before := m.send(http.MethodGet, "/_mock/clock", nil, sc.auth...)
				r := m.send(http.MethodPost, "/_mock/clock", []byte(b.body), sc.auth...)
				p := r.problem(t, http.StatusBadRequest, b.field)
				if rules := apiErrorsOf(p)[b.field]; len(rules) == 0 || (b.name != "advance that overflows a duration" && !strings.Contains(rules[0], "9999")) {
					t.Errorf("%s rules %q do not give the range", b.field, rules)
				}
				after := m.send(http.MethodGet, "/_mock/clock", nil, sc.auth...)
				if string(after.body) != string(before.body) {
					t.Errorf("a refused change moved the clock: %s, was %s", after.body, before.body)
				}
			})
		}
	}
}

// TestClockControlAcceptsTheRangeEnds: the ends of the range themselves are accepted.
func TestClockControlAcceptsTheRangeEnds(t *testing.T) {
	m := newMock(t)
	for _, end := range []time.Time{clockLast, clockFirst} {
		body := `{"set":"` + end.Format(time.RFC3339Nano) + `"}`
		r := m.send(http.MethodPost, "/_mock/clock", []byte(body), "Authorization", "")
		var st mockserver.ClockState
		if r.status != http.StatusOK || json.Unmarshal(r.body, &st) != nil || !st.Now.Equal(end) {
			t.Errorf("set %s: status %d, body %s; want 200 at %v", body, r.status, r.body, end)
		}
	}
}

// TestClockAtTheRangeEndsBreaksNoOperation: with the clock (the mock's, an account's over it, or
// both) at either end of its range, every operation answers, none with a 5xx, and its answer
// matches openapi.yaml (newMock checks that when the test ends).
func TestClockAtTheRangeEndsBreaksNoOperation(t *testing.T) {
	type setting struct{ mock, account *time.Time }
	for name, s := range map[string]setting{
		"mock at the end":                       {mock: &clockLast},
		"mock at the start":                     {mock: &clockFirst},
		"account at the end":                    {account: &clockLast},
		"account at the start":                  {account: &clockFirst},
		"account at the end, mock there too":    {account: &clockLast, mock: &clockLast},
		"account at the start, mock at the end": {account: &clockFirst, mock: &clockLast},
	} {
		t.Run(name, func(t *testing.T) {
			m := newMock(t)
			// The fixture's link and session are made at the set time, so that their expiries
			// are as far out as the API can write.
			if s.account != nil {
				sc, err := m.srv.Scope(apiAccountA)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sc.ChangeClock(mockserver.ClockChange{Set: s.account}); err != nil {
					t.Fatal(err)
				}
			}
			if s.mock != nil {
				if _, err := m.srv.ChangeClock(mockserver.ClockChange{Set: s.mock}); err != nil {
					t.Fatal(err)
				}
			}
			fx := apiNewFixture(m)
			for _, op := range apiAuthedOps {
				resp, _, body := op.call(m, fx, apiAuth("ApiKey "+apiKeyA1))
				if resp.StatusCode() >= 500 {
					t.Errorf("%s: status %d, body %s", op.name, resp.StatusCode(), body)
				}
			}
			// Bearer tokens are issued and accepted at the clock's time.
			tok := apiBearerToken(t, m, nil)
			if r := m.send(http.MethodGet, "/v1/verification/get-all", nil, "Authorization", "Bearer "+tok); r.status != http.StatusOK {
				t.Errorf("get-all with a token: status %d, body %s", r.status, r.body)
			}
			link := m.sign(m.A, "userId=1", nil).SignedQueryString
			vid := m.createVerification(m.A, apiMinimalInput(m.uniqueName("hosted"))).VerificationId
			raw := []struct{ method, path, body string }{
				{http.MethodGet, "/verification/" + vid.String() + "?" + link, ""},
				{http.MethodGet, "/v1/healthz", ""},
				{http.MethodPost, "/_mock/sessions/" + fx.sessionID.String() + "/complete", `{"preset":"pass"}`},
				{http.MethodGet, "/v1/verification/get-session-result?verificationSessionId=" + fx.sessionID.String(), ""},
				{http.MethodGet, "/_mock/clock", ""},
				{http.MethodGet, "/_mock/sessions", ""},
				{http.MethodGet, "/_mock/requests", ""},
				{http.MethodGet, "/_mock/webhooks", ""},
			}
			for _, q := range raw {
				var body []byte
				if q.body != "" {
					body = []byte(q.body)
				}
				auth := "ApiKey " + apiKeyA1
				if strings.HasPrefix(q.path, "/verification/") {
					auth = ""
				}
				r := m.send(q.method, q.path, body, "Authorization", auth)
				if r.status >= 500 || r.status == 0 {
					t.Errorf("%s %s: status %d, body %s", q.method, q.path, r.status, r.body)
				}
				if q.path == "/_mock/clock" && !json.Valid(r.body) {
					t.Errorf("GET /_mock/clock: body %q is not JSON", r.body)
				}
			}
		})
	}
}

// TestChangeClockGoRefusesOutOfRange: the Go API refuses what the control API refuses, with an
// error naming the field, and leaves the clock as it was.
func TestChangeClockGoRefusesOutOfRange(t *testing.T) {
	m := newMock(t)
	sc, err := m.srv.Scope(apiAccountA)
	if err != nil {
		t.Fatal(err)
	}
	past := clockLast.Add(100 * time.Nanosecond)
	far := mockserver.Duration(90 * 365 * 24 * time.Hour)
	back := mockserver.Duration(-time.Hour)
	changes := []struct {
		name  string
		c     mockserver.ClockChange
		field string
	}{
		{"set past the end", mockserver.ClockChange{Set: &past}, "set"},
		{"set before the start", mockserver.ClockChange{Set: ptrTo(clockFirst.Add(-100 * time.Nanosecond))}, "set"},
		{"set at the start then advance back", mockserver.ClockChange{Set: &clockFirst, Advance: &back}, "advance"},
		{"set at the end then advance", mockserver.ClockChange{Set: &clockLast, Advance: &far}, "advance"},
		{"unfreeze and set past the end", mockserver.ClockChange{Set: &past, Freeze: ptrTo(false)}, "set"},
	}
	for _, target := range []struct {
		name   string
		change func(mockserver.ClockChange) (mockserver.ClockState, error)
		state  func() mockserver.ClockState
	}{
		{"Server", m.srv.ChangeClock, m.srv.Global().ClockState},
		{"Scope", sc.ChangeClock, sc.ClockState},
	} {
		for _, ch := range changes {
			before := target.state()
			_, err := target.change(ch.c)
			if err == nil || !strings.Contains(err.Error(), ch.field) {
				t.Errorf("%s %s: error %v, want one naming %q", target.name, ch.name, err, ch.field)
			}
			if after := target.state(); after != before {
				t.Errorf("%s %s: the clock moved from %+v to %+v", target.name, ch.name, before, after)
			}
		}
	}
	if err := m.clock().Set(past); err == nil {
		t.Error("Clock.Set past the end: no error")
	}
	if !m.clock().Now().Equal(frozenAt) {
		t.Errorf("refused changes moved the clock to %v", m.clock().Now())
	}
	nearEnd := clockLast.Add(-time.Hour)
	if err := m.clock().Set(nearEnd); err != nil {
		t.Fatal(err)
	}
	if err := m.clock().Advance(time.Hour + 100*time.Nanosecond); err == nil {
		t.Error("Clock.Advance past the end: no error")
	}
	if !m.clock().Now().Equal(nearEnd) {
		t.Errorf("a refused advance moved the clock to %v", m.clock().Now())
	}
}

// TestRunningClockNeverWraps: a running clock set far from its base shows what it was set to,
// and at the end of its range it stops there instead of running past it.
func TestRunningClockNeverWraps(t *testing.T) {
	base := time.Date(2026, 2, 8, 11, 34, 54, 0, time.UTC)
	c := mockserver.NewClock(func() time.Time { return base })
	for _, at := range []time.Time{clockFirst, clockLast, time.Date(5000, 6, 7, 8, 9, 10, 0, time.UTC)} {
		if err := c.Set(at); err != nil {
			t.Fatal(err)
		}
		if !c.Now().Equal(at) {
			t.Errorf("set %v on a running clock: it shows %v", at, c.Now())
		}
	}
	if err := c.Set(clockLast.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	base = base.Add(time.Hour) // an hour passes
	if !c.Now().Equal(clockLast) {
		t.Errorf("an hour after %v the clock shows %v, want it stopped at %v", clockLast.Add(-time.Second), c.Now(), clockLast)
	}
	// An account's clock over this one, 9,998 years ahead of it (further than a time.Duration
	// reaches), shows what it was set to, and stops at the end as its base runs on.
	if err := c.Set(clockFirst); err != nil {
		t.Fatal(err)
	}
	acc := mockserver.NewClock(c.Now)
	if err := acc.Set(clockLast.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if !acc.Now().Equal(clockLast.Add(-time.Second)) {
		t.Errorf("account clock shows %v, want %v", acc.Now(), clockLast.Add(-time.Second))
	}
	base = base.Add(time.Hour)
	if !acc.Now().Equal(clockLast) {
		t.Errorf("account clock %v an hour later, want it stopped at %v", acc.Now(), clockLast)
	}
}
