package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestControlOpenToTheNetworkWarns: a control API listening beyond loopback without
// --control-token is announced in the banner and logged at WARN; on loopback, or with a token,
// nothing is said.
func TestControlOpenToTheNetworkWarns(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		warn bool
	}{
		{"every interface", []string{"--addr", "0.0.0.0:0"}, true},
		{"every interface, in JSON", []string{"--addr", "0.0.0.0:0", "--log-format", "json"}, true},
		{"the control API on every interface", []string{"--addr", "127.0.0.1:0", "--control-addr", "0.0.0.0:0"}, true},
		{"every interface with a token", []string{"--addr", "0.0.0.0:0", "--control-token", "t0ken"}, false},
		{"the control API on loopback", []string{"--addr", "0.0.0.0:0", "--control-addr", "127.0.0.1:0"}, false},
		{"loopback", []string{"--addr", "127.0.0.1:0"}, false},
		{"localhost", []string{"--addr", "localhost:0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := startRun(t, tc.args, nil)
			if err := m.stop(t); err != nil {
				t.Fatal(err)
			}
			banner, log := m.stdout.String(), m.stderr.String()
			if got := strings.Contains(banner, "WARNING: the control API is open to the network"); got != tc.warn {
				t.Errorf("the banner warns: %v, want %v:\n%s", got, tc.warn, banner)
			}
			warned := false
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "the control API is open to the network") {
					warned = strings.Contains(line, "level=WARN") || strings.Contains(line, `"level":"WARN"`)
				}
			}
			if warned != tc.warn {
				t.Errorf("the log warns at WARN: %v, want %v:\n%s", warned, tc.warn, log)
			}
			if tc.warn && !strings.Contains(banner, "--control-token") {
				t.Errorf("the warning does not say how to close it:\n%s", banner)
			}
		})
	}
}

// TestControlHostsFollowTheListenAddress: on loopback the control API refuses a call naming
// another Host (DNS rebinding), while the API accepts any Host; on every interface, as in a
// container behind a port map, the control API accepts any Host too.
func TestControlHostsFollowTheListenAddress(t *testing.T) {
	get := func(t *testing.T, url, host string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	loop := startRun(t, []string{"--addr", "127.0.0.1:0"}, nil)
	port := loop.url[strings.LastIndex(loop.url, ":")+1:]
	for host, want := range map[string]int{"rebound.example:" + port: http.StatusForbidden, "localhost:" + port: http.StatusOK, "127.0.0.1:" + port: http.StatusOK} {
		if got := get(t, loop.url+"/_mock/clock", host); got != want {
			t.Errorf("loopback: GET /_mock/clock with Host %s: %d, want %d", host, got, want)
		}
		if got := get(t, loop.url+"/v1/verification/get-all", host); got != http.StatusOK {
			t.Errorf("loopback: GET /v1/verification/get-all with Host %s: %d, want 200", host, got)
		}
	}
	every := startRun(t, []string{"--addr", "0.0.0.0:0"}, nil)
	if got := get(t, every.url+"/_mock/clock", "mock.internal:18080"); got != http.StatusOK {
		t.Errorf("every interface: GET /_mock/clock with Host mock.internal:18080: %d, want 200", got)
	}
}

// rawAnswer is what the mock answered a raw request: the status and, for a problem, its detail.
type rawAnswer struct {
	status      int
	contentType string
	detail      string
}

// sendRaw writes req on a connection of its own and reads the answer. The deadline is far below
// the server's read timeout (30 s): an answer that needs the rest of a body never comes.
func sendRaw(t *testing.T, base, req string) rawAnswer {
	t.Helper()
	c := robRaw(t, base)
	if err := c.SetDeadline(time.Now().Add(patience)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	defer resp.Body.Close()
	a := rawAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type")}
	if resp.StatusCode >= 400 {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&p)
		a.detail = p.Detail
	}
	return a
}

// TestLimitsOverTheWire: the binary answers production's limits at their exact byte boundaries
// in the API's error format, net/http's own limit being far above them.
func TestLimitsOverTheWire(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, nil)
	waitHealthy(t, m.url)
	const host = "Host: mock\r\n"
	line := func(n int) string { // a request line of n bytes
		prefix := "GET /v1/healthz?pad="
		return prefix + strings.Repeat("x", n-len(prefix)-len(" HTTP/1.1")) + " HTTP/1.1\r\n"
	}
	pad := func(total int) string { // Host and X-Pad, total bytes of header fields
		return host + "X-Pad: " + strings.Repeat("x", total-len(host)-len("X-Pad: \r\n")) + "\r\n"
	}
	fields := func(n int) string { // Host and n-1 more fields
		var b strings.Builder
		b.WriteString(host)
		for i := range n - 1 {
			fmt.Fprintf(&b, "X-Pad-%d: x\r\n", i)
		}
		return b.String()
	}
	healthz := "GET /v1/healthz HTTP/1.1\r\n"
	for _, tc := range []struct {
		name, req string
		status    int
		names     string // in the problem's detail
	}{
		{"request line of 8192 bytes", line(8192) + host + "\r\n", http.StatusOK, ""},
		{"request line of 8193 bytes", line(8193) + host + "\r\n", http.StatusRequestURITooLong, "8192"},
		{"header fields of 32768 bytes", healthz + pad(32768) + "\r\n", http.StatusOK, ""},
		{"header fields of 32769 bytes", healthz + pad(32769) + "\r\n", http.StatusRequestHeaderFieldsTooLarge, "32768"},
		{"a header field of 128 KiB", healthz + pad(128<<10) + "\r\n", http.StatusRequestHeaderFieldsTooLarge, "32768"},
		{"100 header fields", healthz + fields(100) + "\r\n", http.StatusOK, ""},
		{"101 header fields", healthz + fields(101) + "\r\n", http.StatusRequestHeaderFieldsTooLarge, "100 fields"},
		{"a declared body of 10 GiB, 1 KiB sent", "POST /v1/signature/create HTTP/1.1\r\n" + host +
			"Authorization: ApiKey " + mockserver.DevAPIKey + "\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n" +
			`{"queryString":"` + strings.Repeat("x", 1024), http.StatusRequestEntityTooLarge, "Content-Length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sendRaw(t, m.url, tc.req)
			if got.status != tc.status {
				t.Fatalf("status %d (%s), want %d", got.status, got.detail, tc.status)
			}
			if tc.status >= 400 && (got.contentType != "application/problem+json" || !strings.Contains(got.detail, tc.names)) {
				t.Errorf("answer %s %q, want application/problem+json naming %q", got.contentType, got.detail, tc.names)
			}
		})
	}
}
