package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// patience bounds every wait of these tests; none of them asserts on elapsed time.
const patience = 15 * time.Second

// syncBuffer is a bytes.Buffer that a writer goroutine and the test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envOf returns a getenv that knows only env.
func envOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// mockRun is run() going on in a goroutine of the test.
type mockRun struct {
	url    string      // from the "listening on" line
	stdout *syncBuffer // the banner
	stderr *syncBuffer // the log
	cancel context.CancelFunc

	finished chan struct{}
	err      error // run's result, once finished is closed
}

// startRun starts run with args and env on a cancellable context and returns once the banner is
// printed. Cleanup stops it.
func startRun(t *testing.T, args []string, env map[string]string) *mockRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	m := &mockRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, finished: make(chan struct{})}
	go func() {
		m.err = run(ctx, args, envOf(env), pw, m.stderr)
		pw.Close()
		close(m.finished)
	}()
	bannerDone := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		url := ""
		for sc.Scan() {
			line := sc.Text()
			m.stdout.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				url = u
			}
			if strings.HasPrefix(line, "try: ") { // the banner's last line
				bannerDone <- url
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-m.finished:
		case <-time.After(patience):
			t.Errorf("run did not return within %s of cancel", patience)
		}
	})
	select {
	case m.url = <-bannerDone:
	case <-m.finished:
		t.Fatalf("run returned before listening: %v\nstderr:\n%s", m.err, m.stderr)
	case <-time.After(patience):
		t.Fatalf("no banner within %s; stdout so far:\n%s", patience, m.stdout)
	}
	if m.url == "" {
		t.Fatalf("the banner has no 'listening on' line:\n%s", m.stdout)
	}
	return m
}

// stop cancels run's context and returns what run returned.
func (m *mockRun) stop(t *testing.T) error {
	t.Helper()
	m.cancel()
	select {
	case <-m.finished:
		return m.err
	case <-time.After(patience):
		t.Fatalf("run did not return within %s of cancel", patience)
		return nil
	}
}

// waitHealthy polls GET base/v1/healthz until it answers 200 and returns that response's header.
func waitHealthy(t *testing.T, base string) http.Header {
	t.Helper()
	deadline := time.Now().Add(patience)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/v1/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return resp.Header
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s/v1/healthz did not answer 200 within %s; last: %s", base, patience, last)
	return nil
}

// call sends one request with "Authorization: ApiKey key" (none when key is empty) and returns
// the status and body.
func call(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "ApiKey "+key)
	}
	if body != "" || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json") // the control API requires it on a change
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}
