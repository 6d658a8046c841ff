package mockserver_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// Production runs on .NET, whose DateTime counts ticks of 100 ns and so writes at most 7
// fractional digits (its healthz shows 2026-02-08T11:34:54.3015450Z). The mock's clock shows
// whole ticks, so no date in any response, API or control API, has more.

// nanoInstant has a fraction of 9 digits, 123456789 ns.
var nanoInstant = time.Date(2026, 2, 8, 11, 34, 54, 123456789, time.UTC)

// The expected stamps, derived by hand: 0.123456789 s is 1234567 whole ticks of 100 ns and 89 ns
// more; .NET keeps the whole ticks, so a DateTime made from nanoInstant reads .1234567. Advanced by
// 150 ns, the clock is at .1234567 + 0.00000015 = .12345685 s, or 1234568 whole ticks: .1234568.
const (
	nanoStamp         = "2026-02-08T11:34:54.1234567Z"
	nanoStampAdvanced = "2026-02-08T11:34:54.1234568Z"
)

// dateTimes finds RFC 3339 date-times in a response body; group 1 is the fraction's digits.
var dateTimes = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(?:Z|[+-]\d\d:\d\d)`)

func TestDatesHaveAtMostSevenFractionalDigits(t *testing.T) {
	frozen := func(at time.Time) func() *mockserver.Clock {
		return func() *mockserver.Clock { return mockserver.NewFrozenClock(at) }
	}
	for _, tc := range []struct {
		name  string
		clock func() *mockserver.Clock
		set   func(t *testing.T, e *flowEnv) // then sets the clock to a time with nanoseconds, if not nil
		want  string                         // the stamp created and lastModified must show
	}{
		{"frozen clock made at a nanosecond time", frozen(nanoInstant), nil, nanoStamp},
		{"running clock whose base has nanoseconds", func() *mockserver.Clock {
			return mockserver.NewClock(func() time.Time { return nanoInstant })
		}, nil, nanoStamp},
		{"Set through the Go API", frozen(flowStart), func(_ *testing.T, e *flowEnv) { e.mock.Clock().Set(nanoInstant) }, nanoStamp},
		{"set through the control API", frozen(flowStart), func(t *testing.T, e *flowEnv) {
			body := `{"set":"` + nanoInstant.Format(time.RFC3339Nano) + `"}`
			if status, b := dateSend(t, e, http.MethodPost, "/_mock/clock", body); status != http.StatusOK {
				t.Fatalf("POST /_mock/clock: %d %s", status, b)
			}
		}, nanoStamp},
		{"advanced by 150 ns", frozen(nanoInstant), func(_ *testing.T, e *flowEnv) { e.mock.Clock().Advance(150 * time.Nanosecond) }, nanoStampAdvanced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFlowEnv(t, mockserver.Options{Clock: tc.clock()})
			if tc.set != nil {
				tc.set(t, e)
			}
			hook := newWebhookReceiver(t)
			var requests, bodies []string
			call := func(method, path, body string) string {
				t.Helper()
				status, b := dateSend(t, e, method, path, body)
				if status != http.StatusOK {
					t.Fatalf("%s %s: %d %s", method, path, status, b)
				}
				requests, bodies = append(requests, method+" "+path), append(bodies, b)
				return b
			}

			health := call(http.MethodGet, "/v1/healthz", "")
			call(http.MethodGet, "/v1/token/get", "")
			created := call(http.MethodPost, "/v1/verification/create", `{"name":"Dated","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"`+hook.URL+`"}}}`)
			id := strings.Split(strings.Split(created, `"verificationId":"`)[1], `"`)[0]
			call(http.MethodPut, "/v1/verification/update", `{"verificationId":"`+id+`","name":"Dated","verificationConfig":{"webhookConfig":{"eventCallbackUrl":"`+hook.URL+`"}}}`)
			got := call(http.MethodGet, "/v1/verification/get?verificationId="+id, "")
			all := call(http.MethodGet, "/v1/verification/get-all", "")
			session := call(http.MethodPost, "/v1/verification/create-session", `{"name":"Dated","verifierConfigs":{"age":{"type":"CalculationOnly"}}}`)
			sid := strings.Split(strings.Split(session, `"verificationSessionId":"`)[1], `"`)[0]
			call(http.MethodPost, "/_mock/sessions/"+sid+"/complete", `{"preset":"pass"}`)
			call(http.MethodGet, "/v1/verification/get-session-result?verificationSessionId="+sid, "")
			call(http.MethodGet, "/_mock/webhooks?wait=true", "")
			call(http.MethodGet, "/_mock/requests", "")
			call(http.MethodGet, "/_mock/clock", "")

			found := 0
			for i, b := range bodies {
				for _, m := range dateTimes.FindAllStringSubmatch(b, -1) {
					found++
					if len(m[1]) > 7 {
						t.Errorf("%s: %s has %d fractional digits, .NET writes at most 7", requests[i], m[0], len(m[1]))
					}
				}
			}
			// The check above saw dates, and they are the expected ones.
			if found < 10 {
				t.Errorf("only %d date-times in the responses; the scan is missing them", found)
			}
			if health != tc.want+"\n" { // the time, and the newline that ends the line
				t.Errorf("healthz = %q, want %q", health, tc.want+"\n")
			}
			for _, b := range []string{got, all} {
				stamps := dateTimes.FindAllString(b, -1)
				if len(stamps) != 2 || !slices.Equal(stamps, []string{tc.want, tc.want}) {
					t.Errorf("created and lastModified are %v, want %s: %s", stamps, tc.want, b)
				}
			}
		})
	}
}

// dateSend makes a raw request to the mock with the development account's key.
func dateSend(t *testing.T, e *flowEnv, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, "/_mock/") {
		// A control call with credentials would act on the account alone; these act on the
		// whole mock, whose clock healthz shows.
		req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
