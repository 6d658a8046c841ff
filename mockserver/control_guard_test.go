package mockserver_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// The control API keeps out what a web page in the developer's browser could send it: a
// state change without a JSON Content-Type, a call from another origin, a CORS preflight, and on
// a loopback mock a call naming another Host (DNS rebinding).

// guardCall is one raw control call: no header but those given, and Host when set.
type guardCall struct {
	method, path, body string
	host               string
	headers            []string // name, value pairs
}

// send makes call through the control API's validating client and checks that no answer ever
// grants CORS.
func (c *ctlEnv) send(call guardCall) ctlResp {
	c.t.Helper()
	var rd io.Reader
	if call.body != "" {
		rd = strings.NewReader(call.body)
	}
	req, err := http.NewRequest(call.method, c.base+call.path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if call.host != "" {
		req.Host = call.host
	}
	for i := 0; i+1 < len(call.headers); i += 2 {
		req.Header.Add(call.headers[i], call.headers[i+1])
	}
	resp, err := c.ctl.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", call.method, call.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for name := range resp.Header {
		if strings.HasPrefix(name, "Access-Control-Allow-") {
			c.t.Errorf("%s %s answered %s: %q; the control API grants no CORS", call.method, call.path, name, resp.Header.Values(name))
		}
	}
	return ctlResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// clockUnchanged fails the test when the mock's clock moved since before.
func (c *ctlEnv) clockUnchanged(t *testing.T, before mockserver.ClockState) {
	t.Helper()
	if now := c.mock.Global().ClockState(); now != before {
		t.Errorf("the refused call changed the clock: %+v, was %+v", now, before)
	}
}

func TestControlRefusesStateChangesWithoutJSON(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	advance := `{"advance":"24h"}`
	for _, tc := range []struct {
		name string
		call guardCall
	}{
		{"text/plain, as a page's fetch sends without a preflight", guardCall{method: "POST", path: "/_mock/clock", body: advance, headers: []string{"Content-Type", "text/plain;charset=UTF-8"}}},
		{"a form", guardCall{method: "POST", path: "/_mock/clock", body: "advance=24h", headers: []string{"Content-Type", "application/x-www-form-urlencoded"}}},
		{"multipart", guardCall{method: "POST", path: "/_mock/clock", body: advance, headers: []string{"Content-Type", "multipart/form-data; boundary=x"}}},
		{"no Content-Type", guardCall{method: "POST", path: "/_mock/clock", body: advance}},
		{"a JSON look-alike", guardCall{method: "POST", path: "/_mock/clock", body: advance, headers: []string{"Content-Type", "application/jsonp"}}},
		{"no body, no Content-Type", guardCall{method: "POST", path: "/_mock/reset"}},
		{"DELETE with a text body", guardCall{method: "DELETE", path: "/_mock/faults", body: "{}", headers: []string{"Content-Type", "text/plain"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.mock.AddFault(mockserver.Fault{Operation: "getHealth", Status: 503}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.mock.ClearFaults() })
			before := c.mock.Global().ClockState()
			p := c.send(tc.call).problem(t, http.StatusUnsupportedMediaType)
			if !p.names("Content-Type") || !p.mentions("must be application/json") {
				t.Errorf("the problem does not name Content-Type and the rule: %+v", p)
			}
			c.clockUnchanged(t, before)
			if len(c.mock.Faults()) != 1 {
				t.Errorf("the refused call changed the faults: %+v", c.mock.Faults())
			}
		})
	}
	t.Run("application/json with a charset", func(t *testing.T) {
		before := c.mock.Global().ClockState()
		c.send(guardCall{method: "POST", path: "/_mock/clock", body: advance, headers: []string{"Content-Type", "application/json; charset=utf-8"}}).ok(t, nil)
		if c.mock.Global().ClockState() == before {
			t.Error("the clock did not move")
		}
	})
	t.Run("DELETE without a body needs no Content-Type", func(t *testing.T) {
		c.send(guardCall{method: "DELETE", path: "/_mock/faults"}).ok(t, nil)
	})
	t.Run("a read needs no Content-Type", func(t *testing.T) {
		c.send(guardCall{method: "GET", path: "/_mock/clock"}).ok(t, nil)
	})
}

func TestControlRefusesOtherOrigins(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	own := "http://" + strings.TrimPrefix(c.base, "http://")
	jsonType := []string{"Content-Type", "application/json"}
	for _, tc := range []struct {
		name  string
		call  guardCall
		field string
	}{
		{"a page's text/plain POST", guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`,
			headers: []string{"Content-Type", "text/plain", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}}, "Origin"},
		{"a JSON POST from another origin", guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`,
			headers: append([]string{"Origin", "https://evil.example"}, jsonType...)}, "Origin"},
		{"another port of the same host", guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`,
			headers: append([]string{"Origin", "http://127.0.0.1:1"}, jsonType...)}, "Origin"},
		{"a sandboxed frame or a file", guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`,
			headers: append([]string{"Origin", "null"}, jsonType...)}, "Origin"},
		{"a read from another origin", guardCall{method: "GET", path: "/_mock/requests", headers: []string{"Origin", "https://evil.example"}}, "Origin"},
		{"a cross-site change without Origin", guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`,
			headers: append([]string{"Sec-Fetch-Site", "cross-site"}, jsonType...)}, "Sec-Fetch-Site"},
		{"a same-site change", guardCall{method: "POST", path: "/_mock/reset",
			headers: append([]string{"Sec-Fetch-Site", "same-site", "Origin", own}, jsonType...)}, "Sec-Fetch-Site"},
		{"a CORS preflight", guardCall{method: "OPTIONS", path: "/_mock/clock",
			headers: []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}}, "Origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.mock.Global().ClockState()
			p := c.send(tc.call).problem(t, http.StatusForbidden)
			if !p.names(tc.field) {
				t.Errorf("the problem does not name %s: %+v", tc.field, p)
			}
			c.clockUnchanged(t, before)
		})
	}
	// The dashboard's own calls: same-origin, with JSON.
	for _, h := range [][]string{
		{"Origin", own, "Sec-Fetch-Site", "same-origin"},
		{"Origin", own},
		{"Sec-Fetch-Site", "none"},
	} {
		t.Run("own origin "+strings.Join(h, " "), func(t *testing.T) {
			before := c.mock.Global().ClockState()
			c.send(guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"1h"}`, headers: append(h, jsonType...)}).ok(t, nil)
			if c.mock.Global().ClockState() == before {
				t.Error("the clock did not move")
			}
			c.send(guardCall{method: "GET", path: "/_mock/clock", headers: h}).ok(t, nil)
		})
	}
	t.Run("a preflight from the own origin is no grant either", func(t *testing.T) {
		r := c.send(guardCall{method: "OPTIONS", path: "/_mock/clock", headers: []string{"Origin", own, "Access-Control-Request-Method", "POST"}})
		r.problem(t, http.StatusMethodNotAllowed)
	})
}

func TestControlHostsOnLoopback(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{ControlHosts: mockserver.LoopbackHosts("127.0.0.1")})
	jsonType := []string{"Content-Type", "application/json"}
	for _, host := range []string{"evil.example", "evil.example:8080", "127.0.0.1.nip.io:8080", "10.0.0.1", "[::2]:80"} {
		t.Run("refused "+host, func(t *testing.T) {
			before := c.mock.Global().ClockState()
			p := c.send(guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"24h"}`, host: host,
				headers: append([]string{"Origin", "http://" + host}, jsonType...)}).problem(t, http.StatusForbidden)
			if !p.names("Host") || !p.mentions("localhost") {
				t.Errorf("the problem does not name Host and the allowed hosts: %+v", p)
			}
			c.clockUnchanged(t, before)
			c.send(guardCall{method: "GET", path: "/_mock/requests", host: host}).problem(t, http.StatusForbidden)
			// The dashboard is the control API's too.
			if r := c.send(guardCall{method: "GET", path: "/_mock/", host: host, headers: []string{"Accept", "text/html"}}); r.status != http.StatusForbidden {
				t.Errorf("the dashboard for Host %s: %d, want 403", host, r.status)
			}
		})
		t.Run("the API accepts "+host, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, c.srv.URL+"/v1/verification/get-all", nil)
			req.Host = host
			req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v1/verification/get-all with Host %s: %d, want 200", host, resp.StatusCode)
			}
		})
	}
	for _, host := range []string{"localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:9", "[::1]", "[::1]:8080", "[0:0:0:0:0:0:0:1]:80"} {
		t.Run("accepted "+host, func(t *testing.T) {
			c.send(guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"1h"}`, host: host, headers: jsonType}).ok(t, nil)
		})
	}
	t.Run("no ControlHosts accepts any Host", func(t *testing.T) {
		open := newCtlEnv(t, mockserver.Options{})
		open.send(guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"1h"}`, host: "mock.internal:8080", headers: jsonType}).ok(t, nil)
	})
}

func TestControlGuardsOnItsOwnListener(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{SeparateControl: true, ControlHosts: mockserver.LoopbackHosts("127.0.0.1")})
	c.send(guardCall{method: "POST", path: "/_mock/clock", body: `{"advance":"1h"}`, headers: []string{"Content-Type", "text/plain"}}).problem(t, http.StatusUnsupportedMediaType)
	c.send(guardCall{method: "GET", path: "/_mock/clock", headers: []string{"Origin", "https://evil.example"}}).problem(t, http.StatusForbidden)
	c.send(guardCall{method: "GET", path: "/_mock/clock", host: "evil.example"}).problem(t, http.StatusForbidden)
	c.send(guardCall{method: "GET", path: "/_mock/clock"}).ok(t, nil)
}

func TestLoopbackHosts(t *testing.T) {
	for bound, want := range map[string][]string{
		"127.0.0.1": {"localhost", "127.0.0.1", "::1"},
		"localhost": {"localhost", "127.0.0.1", "::1"},
		"::1":       {"localhost", "127.0.0.1", "::1"},
		"[::1]":     {"localhost", "127.0.0.1", "::1"},
		"127.0.0.2": {"localhost", "127.0.0.1", "::1", "127.0.0.2"},
		"":          {"localhost", "127.0.0.1", "::1"},
	} {
		if got := mockserver.LoopbackHosts(bound); !slices.Equal(got, want) {
			t.Errorf("LoopbackHosts(%q) = %q, want %q", bound, got, want)
		}
	}
}
