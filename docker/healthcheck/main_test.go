package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// env returns a getenv that knows only VERIFEYE_MOCK_ADDR.
func env(addr string) func(string) string {
	return func(k string) string {
		if k == addrEnv {
			return addr
		}
		return ""
	}
}

func TestRun(t *testing.T) {
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.Listener.Addr().String()
	}
	// nothing listens on an address whose listener is closed
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name     string
		addr     string
		wantCode int
		wantErr  string // in stderr; "" wants it empty
	}{
		{"200 is healthy", serve(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || r.URL.Path != "/v1/healthz" {
				http.Error(w, "want GET /v1/healthz", http.StatusNotFound)
			}
		}), 0, ""},
		{"500 is unhealthy", serve(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}), 1, "500 Internal Server Error"},
		{"a redirect is unhealthy", serve(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}), 1, "302 Found"},
		{"nothing listening is unhealthy", closed, 1, "connection refused"},
		{"no answer in time is unhealthy", serve(func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // the client gave up and closed the connection
		}), 1, "no answer in time"},
		{"a bad address is unhealthy", "8080", 1, "want HOST:PORT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			start := time.Now()
			code := run(env(tc.addr), &stderr, 200*time.Millisecond)
			if code != tc.wantCode {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.wantCode, stderr.String())
			}
			if (tc.wantErr == "" && stderr.Len() > 0) || !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tc.wantErr)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v, longer than the timeout allows", d)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	for _, tc := range []struct{ addr, want, wantErr string }{
		{"", "http://127.0.0.1:8080/v1/healthz", ""},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/v1/healthz", ""},
		{":9090", "http://127.0.0.1:9090/v1/healthz", ""},
		{"[::]:8080", "http://127.0.0.1:8080/v1/healthz", ""},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/v1/healthz", ""},
		{"[::1]:8080", "http://[::1]:8080/v1/healthz", ""},
		{"localhost:8080", "http://localhost:8080/v1/healthz", ""},
		{"0.0.0.0:0", "", "port 0 cannot be checked"},
		{"0.0.0.0:http", "", "want a port"},
		{"0.0.0.0:70000", "", "want a port"},
		{"0.0.0.0", "", "want HOST:PORT"},
	} {
		got, err := healthURL(tc.addr)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("healthURL(%q): error %v, want one containing %q", tc.addr, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("healthURL(%q) = %q, %v; want %q", tc.addr, got, err, tc.want)
		}
	}
}
