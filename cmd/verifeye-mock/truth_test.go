package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestRunRefusesLatencyPastWriteTimeout: the binary tells the mock its write timeout, so a fault
// whose answer would come after it is refused (400 naming latency and the limit) rather than
// accepted and journaled as a status no client reads.
func TestRunRefusesLatencyPastWriteTimeout(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0"}, nil)
	status, body := call(t, http.MethodPost, m.url+"/_mock/faults", "", `{"operation":"createSession","status":503,"latency":"35s"}`)
	if status != http.StatusBadRequest || !strings.Contains(body, `"latency"`) || !strings.Contains(body, writeTimeout.String()) {
		t.Errorf("a 35s latency: %d %s, want 400 naming latency and the %s write timeout", status, body, writeTimeout)
	}
	if status, body := call(t, http.MethodPost, m.url+"/_mock/faults", "", `{"operation":"createSession","latency":"1s"}`); status != http.StatusOK {
		t.Errorf("a 1s latency: %d %s, want 200", status, body)
	}
}

// silentReceiver accepts webhook connections and never answers; Close lets them go.
func silentReceiver(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/hook"
}

// TestRunShutdownDropsQueuedWebhooks: SIGTERM with a thousand webhook deliveries queued to a
// receiver that never answers. run returns (well before the test's generous deadline; the
// deliveries alone would take over half an hour), and its log counts every delivery it dropped.
func TestRunShutdownDropsQueuedWebhooks(t *testing.T) {
	const sessions = 1000
	hook := silentReceiver(t)
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--shutdown-timeout", "1s", "--log-format", "json", "--log-level", "warn"}, nil)
	body := fmt.Sprintf(`{"verifierConfigs":{"liveness":{"type":"Verification"}},"webhookConfig":{"eventCallbackUrl":%q}}`, hook)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				status, created := call(t, http.MethodPost, m.url+"/v1/verification/create-session", mockserver.DevAPIKey, body)
				var s struct {
					VerificationSessionID string `json:"verificationSessionId"`
				}
				if err := json.Unmarshal([]byte(created), &s); status != http.StatusOK || err != nil {
					t.Errorf("create-session: %d %s", status, created)
					return
				}
				if status, done := call(t, http.MethodPost, m.url+"/_mock/sessions/"+s.VerificationSessionID+"/complete", "", `{"preset":"pass"}`); status != http.StatusOK {
					t.Errorf("complete: %d %s", status, done)
				}
			}
		}()
	}
	for i := range sessions {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	m.cancel()
	select {
	case <-m.finished:
	case <-time.After(20 * time.Second):
		t.Fatalf("run still running 20s after cancel with --shutdown-timeout 1s; log:\n%s", m.stderr)
	}
	if m.err != nil {
		t.Errorf("run = %v, want nil", m.err)
	}
	var dropped float64 = -1
	for _, line := range strings.Split(strings.TrimSpace(m.stderr.String()), "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == "shutdown: webhook deliveries dropped" {
			dropped, _ = l["dropped"].(float64)
		}
	}
	if dropped != sessions {
		t.Errorf("the log counts %v dropped deliveries, want %d (none was delivered); log:\n%s", dropped, sessions, m.stderr)
	}
}
