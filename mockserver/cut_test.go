package mockserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// cutEnv is a mock served twice: by an httptest server without timeouts, to set it up, and by an
// http.Server with a tiny write timeout, whose responses a latency fault pushes past it.
type cutEnv struct {
	mock               *mockserver.Server
	logs               *logBuffer
	setup              *generated.ClientWithResponses
	setupURL, timedURL string
}

func newCutEnv(t *testing.T, writeTimeout, known time.Duration) *cutEnv {
	t.Helper()
	logs := &logBuffer{}
	m, err := mockserver.New(mockserver.Options{Seed: 1, WriteTimeout: known,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	setup := httptest.NewServer(m)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	timed := &http.Server{Handler: m, WriteTimeout: writeTimeout}
	go func() { _ = timed.Serve(ln) }()
	t.Cleanup(func() { timed.Close(); setup.Close(); m.Close() })
	c, err := generated.NewClientWithResponses(setup.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return &cutEnv{mock: m, logs: logs, setup: c, setupURL: setup.URL, timedURL: "http://" + ln.Addr().String()}
}

// getAll asks the timed server for every verification; the answer may be cut, so its error is
// not the test's.
func (e *cutEnv) getAll(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.timedURL+"/v1/verification/get-all", nil)
	req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// lastGetAll waits for the journal's entry of the n-th get-all (counted from 1): a cut answer
// reaches the client as a closed connection, maybe before the mock has journaled it.
func (e *cutEnv) lastGetAll(t *testing.T, n int) mockserver.RequestRecord {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var seen []mockserver.RequestRecord
		for _, rec := range e.mock.Requests() {
			if rec.Operation == "getAllVerifications" {
				seen = append(seen, rec)
			}
		}
		if len(seen) >= n {
			return seen[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("get-all %d is not in the journal: %+v", n, seen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wantCut checks the journal entry and the log line of a cut get-all.
func (e *cutEnv) wantCut(t *testing.T, n int) {
	t.Helper()
	rec := e.lastGetAll(t, n)
	if !rec.Cut || rec.Status != http.StatusOK {
		t.Errorf("journal entry %+v, want cut with the status tried (200)", rec)
	}
	line := e.logs.find(t, "response cut", map[string]any{"id": rec.RequestID})
	if line["level"] != "WARN" || line["cut"] != true || line["status"] != float64(200) {
		t.Errorf("log line %v, want a WARN cut=true with the status tried", line)
	}
	if strings.Contains(e.logs.text(), `"msg":"request","id":"`+rec.RequestID+`"`) {
		t.Errorf("the cut response is also logged as a plain request:\n%s", e.logs.text())
	}
}

// TestCutLargeResponse: a response larger than net/http's buffers, written after the server's
// write timeout, fails to reach the client; the journal and the log say it was cut, even when the
// mock is not told the server's timeout.
func TestCutLargeResponse(t *testing.T) {
	e := newCutEnv(t, 50*time.Millisecond, 0)
	for i := range 100 {
		resCreateVerification(t, e.setup, fmt.Sprintf("verification %03d with a name long enough to fill the page", i), generated.VerificationConfig{})
	}
	if err := e.mock.AddFault(mockserver.Fault{Operation: "getAllVerifications", Latency: mockserver.Duration(300 * time.Millisecond), Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.getAll(t)
	e.wantCut(t, 1)
}

// TestCutSmallResponse: a small response sits in net/http's buffer until the handler returns, so
// no write fails while the mock still sees the request; with Options.WriteTimeout the mock
// knows the deadline has passed, flushes, and journals the response as cut. Two faults, the
// mock's and the account's, each shorter than the timeout, add up past it.
func TestCutSmallResponse(t *testing.T) {
	const timeout = 150 * time.Millisecond
	e := newCutEnv(t, timeout, timeout)
	half := mockserver.Duration(100 * time.Millisecond)
	if err := e.mock.AddFault(mockserver.Fault{Operation: "getAllVerifications", Latency: half, Count: 1}); err != nil {
		t.Fatal(err)
	}
	sc, err := e.mock.Scope(mockserver.DevAccountID)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.AddFault(mockserver.Fault{Operation: "getAllVerifications", Latency: half, Count: 1}); err != nil {
		t.Fatal(err)
	}
	e.getAll(t)
	e.wantCut(t, 1)
}

// TestFaultLatencyWithinWriteTimeout: a latency the server's write timeout would cut is refused,
// naming the field and the limit.
func TestFaultLatencyWithinWriteTimeout(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{WriteTimeout: 30 * time.Second})
	for _, latency := range []string{"35s", "30s"} {
		p := c.call(http.MethodPost, "/_mock/faults", `{"operation":"createSession","status":503,"latency":"`+latency+`"}`).problem(t, http.StatusBadRequest)
		if !p.names("latency") || !p.mentions("30s") {
			t.Errorf("latency %s: problem %+v does not name latency and the 30s limit", latency, p)
		}
	}
	if err := c.mock.AddFault(mockserver.Fault{Operation: "createSession", Latency: mockserver.Duration(time.Minute)}); err == nil {
		t.Error("AddFault accepted a latency past the write timeout")
	}
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"createSession","latency":"29s"}`).ok(t, nil)
	if n := len(c.mock.Faults()); n != 1 {
		t.Errorf("%d faults, want the 29s one only", n)
	}
}
