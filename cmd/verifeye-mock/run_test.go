package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

func TestRunServesUntilCancelled(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		key  string // the key the banner shows and get-all accepts
	}{
		{name: "development account", args: []string{"--addr", "127.0.0.1:0"}, key: mockserver.DevAPIKey},
		{name: "key from flag", args: []string{"--addr", "127.0.0.1:0", "--api-key", "flag-key-1"}, key: "flag-key-1"},
		{name: "key and addr from env", env: map[string]string{"VERIFEYE_MOCK_ADDR": "127.0.0.1:0", "VERIFEYE_MOCK_API_KEYS": "env-key-1"}, key: "env-key-1"},
		{name: "json log", args: []string{"--addr", "127.0.0.1:0", "--log-format", "json", "--seed", "7"}, key: mockserver.DevAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := startRun(t, tt.args, tt.env)
			if !strings.HasPrefix(m.url, "http://127.0.0.1:") || strings.HasSuffix(m.url, ":0") {
				t.Fatalf("listening on %q: want http://127.0.0.1:<bound port>", m.url)
			}

			h := waitHealthy(t, m.url)
			if got, want := h.Get("X-Verifeye-Mock"), "verifeye-mock/"+version; got != want {
				t.Errorf("X-Verifeye-Mock = %q, want %q", got, want)
			}
			if status, body := call(t, "GET", m.url+"/v1/verification/get-all", tt.key, ""); status != http.StatusOK {
				t.Errorf("get-all with the banner's key: %d %s", status, body)
			}
			if status, _ := call(t, "GET", m.url+"/v1/verification/get-all", "not-a-key", ""); status != http.StatusUnauthorized {
				t.Errorf("get-all with an unknown key: %d, want 401", status)
			}

			banner := m.stdout.String()
			for _, want := range []string{tt.key, "seed ", "curl -i " + m.url + "/v1/healthz"} {
				if !strings.Contains(banner, want) {
					t.Errorf("banner lacks %q:\n%s", want, banner)
				}
			}
			if err := m.stop(t); err != nil {
				t.Fatalf("run returned %v after cancel, want nil", err)
			}
			log := m.stderr.String()
			if strings.Contains(log, tt.key) {
				t.Errorf("the log shows the API key:\n%s", log)
			}
			for _, want := range []string{"listening", "/v1/verification/get-all", "stopped"} {
				if !strings.Contains(log, want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if strings.Contains(strings.Join(tt.args, " "), "json") {
				for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
					if !json.Valid([]byte(line)) {
						t.Errorf("--log-format json wrote a line that is not JSON: %s", line)
					}
				}
			}
		})
	}
}

func TestSeparateAccountsPerAPIKey(t *testing.T) {
	const keyA, keyB = "alpha-secret-key", "bravo-secret-key"
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--api-key", keyA, "--api-key", keyB}, map[string]string{
		"VERIFEYE_MOCK_API_KEYS": "replaced-by-the-flags",
	})
	waitHealthy(t, m.url)

	status, body := call(t, "POST", m.url+"/v1/verification/create", keyA,
		`{"name": "Alpha only", "verificationConfig": {}}`)
	if status != http.StatusOK {
		t.Fatalf("create with key A: %d %s", status, body)
	}
	var created struct {
		VerificationID string `json:"verificationId"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.VerificationID == "" {
		t.Fatalf("create answered %s (%v)", body, err)
	}
	get := m.url + "/v1/verification/get?verificationId=" + created.VerificationID
	getAll := m.url + "/v1/verification/get-all"

	tests := []struct {
		name       string
		method     string
		url        string
		key        string
		wantStatus int
		wantName   bool // the body shows the verification (a 404 may echo its id, never its name)
	}{
		{"A gets its verification", "GET", get, keyA, http.StatusOK, true},
		{"B gets 404", "GET", get, keyB, http.StatusNotFound, false},
		{"A lists it", "GET", getAll, keyA, http.StatusOK, true},
		{"B does not list it", "GET", getAll, keyB, http.StatusOK, false},
		{"the env key was replaced", "GET", getAll, "replaced-by-the-flags", http.StatusUnauthorized, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, tt.url, tt.key, "")
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			if got := strings.Contains(body, "Alpha only"); got != tt.wantName {
				t.Errorf("body shows the verification: %v, want %v: %s", got, tt.wantName, body)
			}
		})
	}

	// The banner lists two accounts, each with its own key.
	banner := m.stdout.String()
	var ids []string
	for _, line := range strings.Split(banner, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && (f[1] == keyA || f[1] == keyB) {
			ids = append(ids, f[0])
		}
	}
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("banner accounts %v, want two distinct ids:\n%s", ids, banner)
	}
	if err := m.stop(t); err != nil {
		t.Fatal(err)
	}
	if log := m.stderr.String(); strings.Contains(log, keyA) || strings.Contains(log, keyB) {
		t.Errorf("the log shows an API key:\n%s", log)
	}
}

func TestRunCannotListen(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()

	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag", []string{"--addr", addr}, nil, "--addr: cannot listen on " + `"` + addr + `"`},
		{"env", nil, map[string]string{"VERIFEYE_MOCK_ADDR": addr}, "VERIFEYE_MOCK_ADDR: cannot listen on " + `"` + addr + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			err := run(context.Background(), tt.args, envOf(tt.env), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error containing %q", err, tt.want)
			}
			var usage *usageError
			if errors.As(err, &usage) {
				t.Errorf("a taken address is a failure (exit 1), not a usage error")
			}
			if stdout.String() != "" {
				t.Errorf("printed a banner without listening:\n%s", stdout.String())
			}
		})
	}
}

func TestRunVersionAndHelp(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // stdout starts with it
	}{
		{"version", []string{"--version"}, nil, "verifeye-mock " + version + "\n"},
		{"version despite a bad env value", []string{"--version"}, map[string]string{"VERIFEYE_MOCK_SEED": "x"}, "verifeye-mock " + version + "\n"},
		{"help", []string{"--help"}, nil, "verifeye-mock runs"},
		{"-h", []string{"-h"}, nil, "verifeye-mock runs"},
		{"help despite a bad flag value", []string{"--log-level", "loud", "--help"}, nil, "verifeye-mock runs"},
		{"signing variants", []string{"--signing-variant", "help"}, nil, "dotnet-icu\ndotnet-ordinal\ngo-queryescape\n"},
		{"signing variants from the environment", nil, map[string]string{"VERIFEYE_MOCK_SIGNING_VARIANT": "help"}, "dotnet-icu\ndotnet-ordinal\ngo-queryescape\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			if err := run(context.Background(), tt.args, envOf(tt.env), &stdout, &stderr); err != nil {
				t.Fatalf("run = %v, want nil", err)
			}
			if !strings.HasPrefix(stdout.String(), tt.want) {
				t.Errorf("stdout = %q, want it to start with %q", stdout.String(), tt.want)
			}
			if stderr.String() != "" {
				t.Errorf("stderr = %q, want nothing", stderr.String())
			}
		})
	}
	var stdout syncBuffer
	if err := run(context.Background(), []string{"--version"}, envOf(nil), &stdout, io.Discard); err != nil || stdout.String() != "verifeye-mock "+version+"\n" {
		t.Errorf("--version printed %q (%v), want exactly one line", stdout.String(), err)
	}
	stdout = syncBuffer{}
	if err := run(context.Background(), []string{"--signing-variant", "help"}, envOf(nil), &stdout, io.Discard); err != nil || stdout.String() != "dotnet-icu\ndotnet-ordinal\ngo-queryescape\n" {
		t.Errorf("--signing-variant help printed %q (%v), want the names alone, one a line, the default first", stdout.String(), err)
	}
	var stderr syncBuffer
	if err := run(context.Background(), []string{"--signing-variant", "nope"}, envOf(nil), io.Discard, &stderr); err == nil || !strings.Contains(stderr.String(), "dotnet-icu, dotnet-ordinal, go-queryescape") {
		t.Errorf("--signing-variant nope = %v, stderr %q; want a usage error listing the names", err, stderr.String())
	}
}

// TestServeDrainsInFlightRequests checks graceful shutdown on a handler that holds its request
// until the test releases it: the listener closes at once, the request still completes.
func TestServeDrainsInFlightRequests(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		release bool // let the handler finish after shutdown has begun
		wantOK  bool // the client gets its 200
	}{
		{"in-flight request finishes", time.Minute, true, true},
		{"stuck request is cut off at the timeout", 50 * time.Millisecond, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			defer close(release)
			hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(started)
				<-release
				w.WriteHeader(http.StatusOK)
			})}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			served := make(chan error, 1)
			go func() { served <- serve(ctx, []listener{{hs, ln}}, tt.timeout, mockLogger(), nil) }()

			answered := make(chan error, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = errors.New(resp.Status)
					}
				}
				answered <- err
			}()
			waitFor(t, "the request to reach the handler", started)
			cancel()
			// Shutdown has begun once the listener refuses new connections.
			deadline := time.Now().Add(patience)
			for {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					break
				}
				c.Close()
				if time.Now().After(deadline) {
					t.Fatal("the listener still accepts connections after cancel")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tt.release {
				release <- struct{}{}
			}
			select {
			case err := <-served:
				if err != nil {
					t.Fatalf("serve = %v, want nil", err)
				}
			case <-time.After(patience):
				t.Fatal("serve did not return")
			}
			select {
			case err := <-answered:
				if (err == nil) != tt.wantOK {
					t.Errorf("client got err %v, want success %v", err, tt.wantOK)
				}
			case <-time.After(patience):
				t.Fatal("the client never got an answer")
			}
		})
	}
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(patience):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func mockLogger() *slog.Logger { return newLogger(&config{logFormat: "text"}, io.Discard) }

// TestControlAPIOnItsOwnAddress: --control-addr moves /_mock/ to its own listener, --control-token
// guards it, --auto-complete completes hosted sessions at once.
func TestControlAPIOnItsOwnAddress(t *testing.T) {
	const token = "ctl-token-123"
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--control-addr", "127.0.0.1:0", "--control-token", token, "--auto-complete", "pass"}, nil)
	waitHealthy(t, m.url)
	banner := m.stdout.String()
	i := strings.Index(banner, "control API ")
	if i < 0 {
		t.Fatalf("banner names no control API:\n%s", banner)
	}
	controlURL := strings.Fields(banner[i+len("control API "):])[0]
	if strings.HasPrefix(controlURL, m.url) {
		t.Fatalf("control API %s shares the API's address %s", controlURL, m.url)
	}
	// The dashboard is the control API's /_mock/ in a browser: on its own listener, there.
	if want := "dashboard " + controlURL + " (open in a browser)\n"; !strings.Contains(banner, want) {
		t.Errorf("banner lacks %q:\n%s", want, banner)
	}
	if !strings.Contains(banner, `complete at once as "pass"`) {
		t.Errorf("banner does not mention --auto-complete:\n%s", banner)
	}
	get := func(url string, withToken bool) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if withToken {
			req.Header.Set(mockserver.ControlTokenHeader, token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(controlURL+"clock", true); got != http.StatusOK {
		t.Errorf("control clock with token: %d, want 200", got)
	}
	if got := get(controlURL+"clock", false); got != http.StatusUnauthorized {
		t.Errorf("control clock without token: %d, want 401", got)
	}
	if got := get(m.url+"/_mock/clock", true); got != http.StatusNotFound {
		t.Errorf("/_mock/ on the API address: %d, want 404", got)
	}
	if err := m.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.stderr.String(), token) {
		t.Error("the log shows the control token")
	}
}

// TestFixturesFlag: --fixtures default starts with the embedded set in the first account.
func TestFixturesFlag(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--fixtures", "default", "--seed", "1"}, nil)
	waitHealthy(t, m.url)
	status, body := call(t, "GET", m.url+"/v1/verification/get-all", mockserver.DevAPIKey, "")
	if status != http.StatusOK {
		t.Fatalf("get-all: %d %s", status, body)
	}
	var list struct {
		Verifications []json.RawMessage `json:"verifications"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Verifications) < 5 {
		t.Errorf("get-all with --fixtures default: %v, %d verifications", err, len(list.Verifications))
	}
	if !strings.Contains(m.stdout.String(), `fixtures "default"`) {
		t.Errorf("the banner does not mention the fixtures:\n%s", m.stdout.String())
	}
	// Loading logs one summary line, not a line per request that loaded it (those are POSTs;
	// the health checks above are GETs).
	log := m.stderr.String()
	if n := len(regexp.MustCompile(`msg=request id=\S+ method=POST`).FindAllString(log, -1)); n != 0 {
		t.Errorf("loading the fixtures logged %d request lines:\n%s", n, log)
	}
	if n := strings.Count(log, `msg="fixtures loaded" fixtures=default verifications=`); n != 1 {
		t.Errorf("%d fixtures summary lines, want 1:\n%s", n, log)
	}
	if err := m.stop(t); err != nil {
		t.Fatal(err)
	}
}

// TestFixturesNotReloadedOnRestart: a restart on a --data-dir that holds an earlier run's state
// keeps that state, and the banner and the log say that the fixtures were not loaded, instead of
// claiming they were.
func TestFixturesNotReloadedOnRestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--addr", "127.0.0.1:0", "--fixtures", "default", "--data-dir", dir, "--seed", "1"}
	first := startRun(t, args, nil)
	waitHealthy(t, first.url)
	if status, body := call(t, "POST", first.url+"/v1/verification/create", mockserver.DevAPIKey, `{"name":"made before the restart","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"}}}}`); status != http.StatusOK {
		t.Fatalf("create: %d %s", status, body)
	}
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	if banner := first.stdout.String(); !strings.Contains(banner, `fixtures "default": `) || strings.Contains(banner, "not loaded") {
		t.Errorf("the first run's banner does not say that the fixtures were loaded:\n%s", banner)
	}

	again := startRun(t, args, nil)
	waitHealthy(t, again.url)
	banner := again.stdout.String()
	want := `fixtures "default" not loaded: kept the state an earlier run stored in ` + dir + ` (POST ` + again.url + `/_mock/reset replaces it with the fixtures)` + "\n"
	if !strings.Contains(banner, want) || strings.Contains(banner, `fixtures "default": `) {
		t.Errorf("the restart's banner lacks %q, or claims the fixtures were loaded:\n%s", want, banner)
	}
	if log := again.stderr.String(); strings.Contains(log, `msg="fixtures loaded"`) || !strings.Contains(log, `msg="fixtures not loaded: the data directory holds the state of an earlier run, kept as it was" fixtures=default data_dir=`) {
		t.Errorf("the restart's log does not say that the fixtures were not loaded:\n%s", log)
	}
	status, body := call(t, "GET", again.url+"/v1/verification/get-all", mockserver.DevAPIKey, "")
	if status != http.StatusOK || strings.Count(body, `"made before the restart"`) != 1 {
		t.Errorf("get-all after the restart: %d %s, want the verification made before it, once", status, body)
	}
}

func TestStrictFlag(t *testing.T) {
	const pascal = `{"QueryString":"a=1"}`
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		status int
	}{
		{"off by default: accepted, as production accepts it", nil, nil, http.StatusOK},
		{"--strict", []string{"--strict"}, nil, http.StatusBadRequest},
		{"VERIFEYE_MOCK_STRICT=true", nil, map[string]string{"VERIFEYE_MOCK_STRICT": "true"}, http.StatusBadRequest},
		{"--strict=false beats the variable", []string{"--strict=false"}, map[string]string{"VERIFEYE_MOCK_STRICT": "true"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := startRun(t, append([]string{"--addr", "127.0.0.1:0"}, tc.args...), tc.env)
			waitHealthy(t, m.url)
			if status, body := call(t, "POST", m.url+"/v1/signature/create", mockserver.DevAPIKey, pascal); status != tc.status {
				t.Errorf("PascalCase body: %d %s, want %d", status, body, tc.status)
			}
			if strict := strings.Contains(m.stdout.String(), "strict:"); strict != (tc.status == http.StatusBadRequest) {
				t.Errorf("the banner says strict: %v; banner:\n%s", strict, m.stdout)
			}
		})
	}
}

// The banner says which signing variant the mock signs and validates with, and where the choice
// came from, so a developer matching production's variant sees that it took.
func TestBannerNamesTheSigningVariant(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0"}, nil)
	if !strings.Contains(m.stdout.String(), "signing dotnet-icu (the default; --signing-variant help lists the others)\n") {
		t.Errorf("the banner does not name the default variant:\n%s", m.stdout)
	}
	m = startRun(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{"VERIFEYE_MOCK_SIGNING_VARIANT": "dotnet-ordinal"})
	if !strings.Contains(m.stdout.String(), "signing dotnet-ordinal (from VERIFEYE_MOCK_SIGNING_VARIANT)\n") {
		t.Errorf("the banner does not name the chosen variant and its source:\n%s", m.stdout)
	}
}

// The banner prints the dashboard's URL: the control API's /_mock/ on the API's own address.
func TestBannerPrintsTheDashboard(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0"}, nil)
	if want := "dashboard " + m.url + "/_mock/ (open in a browser)\n"; !strings.Contains(m.stdout.String(), want) {
		t.Errorf("the banner lacks %q:\n%s", want, m.stdout)
	}
}
