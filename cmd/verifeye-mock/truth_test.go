package main

import (
	"net/http"
	"strings"
	"testing"
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
