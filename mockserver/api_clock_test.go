package mockserver_test

import (
	"mime"
	"net/http"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
)

func TestHealthz(t *testing.T) {
	m := newMock(t)
	health := func(auth string) (int, string, string) {
		t.Helper()
		resp, err := m.Anon.GetHealthWithResponse(m.ctx, apiAuth(auth))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode(), resp.HTTPResponse.Header.Get("Content-Type"), string(resp.Body)
	}
	// The cases run in order on one mock: each advance adds to the ones before it.
	tests := []struct {
		name    string
		advance time.Duration
		auth    string
		want    string
	}{
		{"frozen clock, no auth", 0, "", "2026-02-08T11:34:54.0000000Z"},
		{"a wrong key is not even looked at", 0, "ApiKey wrong", "2026-02-08T11:34:54.0000000Z"},
		{"a malformed header is not even looked at", 0, "Basic", "2026-02-08T11:34:54.0000000Z"},
		{"after 1.5 s", 1500 * time.Millisecond, "", "2026-02-08T11:34:55.5000000Z"},
		{"100 ns resolution", 1234567 * 100 * time.Nanosecond, "", "2026-02-08T11:34:55.6234567Z"},
		{"after a day", 24*time.Hour - 1623456700*time.Nanosecond, "", "2026-02-09T11:34:54.0000000Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.clock().Advance(tc.advance)
			status, ct, body := health(tc.auth)
			if status != http.StatusOK {
				t.Fatalf("status %d, body %q", status, body)
			}
			if mt, _, _ := mime.ParseMediaType(ct); mt != "text/plain" {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
			if body != tc.want+"\n" { // the time, and the newline that ends the line
				t.Errorf("body %q, want %q", body, tc.want+"\n")
			}
		})
	}
}

func TestClockDrivesEveryTimestamp(t *testing.T) {
	m := newMock(t)
	m.clock().Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	now := m.clock().Now()
	id := m.createVerification(m.A, apiMinimalInput("later")).VerificationId
	if v := m.getVerification(m.A, id); !v.Created.Equal(now) {
		t.Errorf("created %s, want the set clock %s", v.Created, now)
	}
	s := m.sign(m.A, "a=1", &generated.SecuritySettings{ExpirationInSeconds: apiPtr(int32(10))})
	if *s.Expiration != now.Unix()+10 {
		t.Errorf("expiration %d, want %d", *s.Expiration, now.Unix()+10)
	}
	tok, err := m.A.GetTokenWithResponse(m.ctx, nil)
	if err != nil || tok.JSON200 == nil {
		t.Fatalf("token: %v", err)
	}
	if want := now.Add(15 * time.Minute); !tok.JSON200.ExpirationUtcTime.Equal(want) {
		t.Errorf("token expires %s, want %s", tok.JSON200.ExpirationUtcTime, want)
	}
}

func TestEveryResponseCarriesTheMockHeader(t *testing.T) {
	// newMock's transport checks the header on every response of every test; this test makes
	// sure each kind of answer is among them.
	m := newMock(t)
	check := func(what string, r apiResponse) {
		t.Helper()
		if got := r.header.Get("X-Verifeye-Mock"); got != "verifeye-mock/test" {
			t.Errorf("%s (%d): X-Verifeye-Mock = %q, want verifeye-mock/test", what, r.status, got)
		}
	}
	check("200 json", m.send(http.MethodGet, "/v1/verification/get-all", nil))
	check("200 text", m.send(http.MethodGet, "/v1/healthz", nil))
	check("400", m.send(http.MethodGet, "/v1/verification/get?verificationId=x", nil))
	check("401", m.send(http.MethodGet, "/v1/verification/get-all", nil, "Authorization", ""))
	check("404", m.send(http.MethodGet, "/v1/nowhere", nil))
	check("405", m.send(http.MethodPost, "/v1/healthz", nil))
	check("413", m.send(http.MethodPost, "/v1/signature/create", make([]byte, 2<<20)))
	check("415", m.send(http.MethodPost, "/v1/signature/create", []byte(`{}`), "Content-Type", "text/plain"))
}
