// Command healthcheck is the HEALTHCHECK of the verifeye-mock container image. The image has no
// shell and no curl, so Docker runs this binary in exec form (HEALTHCHECK CMD ["/healthcheck"]).
//
// It asks the mock in the same container for GET /v1/healthz, which needs no API key, and exits
// 0 when the answer is 200 OK and 1 otherwise (another status, no answer, or no answer within
// 2 seconds), writing the reason to stderr, where `docker inspect` shows it.
//
// The address is the mock's own: the port comes from VERIFEYE_MOCK_ADDR, the variable the mock
// listens by (the image sets 0.0.0.0:8080), and so does the host when it names one; a wildcard
// host (0.0.0.0, ::, or none) is reached on 127.0.0.1. Without the variable it asks
// 127.0.0.1:8080.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// addrEnv is the mock's --addr environment twin.
const addrEnv = "VERIFEYE_MOCK_ADDR"

// defaultAddr is where the mock listens when VERIFEYE_MOCK_ADDR is unset.
const defaultAddr = "127.0.0.1:8080"

// timeout bounds the whole check; it is shorter than the image's HEALTHCHECK --timeout (3s), so
// a hung mock is reported by this program, with a reason, rather than killed by Docker.
const timeout = 2 * time.Second

func main() {
	os.Exit(run(os.Getenv, os.Stderr, timeout))
}

// run is the whole command; it returns the exit status.
func run(getenv func(string) string, stderr io.Writer, timeout time.Duration) int {
	url, err := healthURL(getenv(addrEnv))
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %s: %v\n", addrEnv, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := check(ctx, url); err != nil {
		fmt.Fprintf(stderr, "healthcheck: GET %s: %v\n", url, err)
		return 1
	}
	return 0
}

// healthURL returns the healthz URL of a mock that listens on addr (HOST:PORT; "" for the
// default).
func healthURL(addr string) (string, error) {
	if addr == "" {
		addr = defaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("want HOST:PORT, got %q", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("want a port from 1 to 65535, got %q (port 0 cannot be checked: the mock picks one at random)", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/v1/healthz", nil
}

// check answers nil when GET url answers 200 OK before ctx ends.
func check(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		// healthz answers itself; a redirect would mean something else is listening
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return errors.New("no answer in time")
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s, want 200 OK", resp.Status)
	}
	return nil
}
