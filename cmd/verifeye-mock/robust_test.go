package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// Faults around the server rather than in the request: clients that vanish mid-request or trickle
// their headers, headers net/http itself refuses, SIGTERM and SIGKILL under load. run() in process
// is used where the server's configuration is all that matters (newHTTPServer's timeouts); the
// real binary where the process is the point. Webhook receivers that hang or refuse are covered by
// mockserver/webhooks_test.go and mockserver/robust_faults_test.go (50 hanging at once).

// robRaw opens a TCP connection to the mock at base.
func robRaw(t *testing.T, base string) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// robJournal reads the mock's request journal through the control API.
func robJournal(t *testing.T, base string) []mockserver.RequestRecord {
	t.Helper()
	status, body := call(t, http.MethodGet, base+"/_mock/requests", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /_mock/requests: %d %s", status, body)
	}
	var out struct {
		Requests []mockserver.RequestRecord `json:"requests"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	return out.Requests
}

// robNames returns the names get-all lists for the development account.
func robNames(t *testing.T, base string) map[string]string {
	t.Helper()
	status, body := call(t, http.MethodGet, base+"/v1/verification/get-all", mockserver.DevAPIKey, "")
	if status != http.StatusOK {
		t.Fatalf("get-all: %d %s", status, body)
	}
	var list struct {
		Verifications []struct {
			ID   string `json:"verificationId"`
			Name string `json:"name"`
		} `json:"verifications"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range list.Verifications {
		out[v.Name] = v.ID
	}
	return out
}

// TestRobClientDisconnectsMidRequest: clients that send part of a create and hang up. The server
// answers each with a 400 it cannot deliver (the journal shows them), creates nothing, and keeps
// serving.
func TestRobClientDisconnectsMidRequest(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, nil)
	waitHealthy(t, m.url)
	const rounds = 10
	head := func(name string, extra string) string {
		return "POST /v1/verification/create HTTP/1.1\r\nHost: mock\r\nAuthorization: ApiKey " + mockserver.DevAPIKey +
			"\r\nContent-Type: application/json\r\n" + extra + "\r\n"
	}
	body := func(name string) string { return `{"name":"` + name + `","verificationConfig":{}}` }
	variants := []struct {
		name      string
		send      func(name string) string
		reachesIt bool // the request line and headers arrive, so the handler runs
	}{
		{"whole JSON, shorter than Content-Length", func(n string) string {
			return head(n, "Content-Length: 4096\r\n") + body(n)
		}, true},
		{"half the body", func(n string) string {
			b := body(n)
			return head(n, "Content-Length: "+strconv.Itoa(len(b))+"\r\n") + b[:len(b)/2]
		}, true},
		{"chunked, no last chunk", func(n string) string {
			b := body(n)
			return head(n, "Transfer-Encoding: chunked\r\n") + fmt.Sprintf("%x\r\n%s\r\n", len(b), b)
		}, true},
		{"headers only", func(n string) string { return head(n, "Content-Length: 100\r\n") }, true},
		{"half the headers", func(n string) string { return head(n, "Content-Length: 100\r\n")[:60] }, false},
	}
	var wg sync.WaitGroup
	reaching := 0
	for i := range rounds {
		for j, v := range variants {
			if v.reachesIt {
				reaching++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := robRaw(t, m.url)
				if _, err := io.WriteString(c, v.send(fmt.Sprintf("rob-dc-%d-%d", i, j))); err != nil {
					t.Errorf("%s: write: %v", v.name, err)
				}
				c.Close()
			}()
		}
	}
	wg.Wait()

	// The server notices each hang-up when it reads the body; wait until the journal has them all.
	deadline := time.Now().Add(patience)
	for {
		got := 0
		for _, r := range robJournal(t, m.url) {
			if r.Method == http.MethodPost && r.Path == "/v1/verification/create" {
				if r.Status != http.StatusBadRequest {
					t.Fatalf("a cut-off create was answered %d: %+v", r.Status, r)
				}
				got++
			}
		}
		if got == reaching {
			break
		}
		if got > reaching || time.Now().After(deadline) {
			t.Fatalf("the journal has %d cut-off creates, want %d", got, reaching)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name := range robNames(t, m.url) {
		if strings.HasPrefix(name, "rob-dc-") {
			t.Errorf("a cut-off request created %q", name)
		}
	}
	if status, body := call(t, http.MethodPost, m.url+"/v1/verification/create", mockserver.DevAPIKey, body("rob-after")); status != http.StatusOK {
		t.Errorf("a whole create afterwards: %d %s", status, body)
	}
}

// TestRobSlowLoris: clients that send their headers one byte every 100 ms are cut off by the
// server's ReadHeaderTimeout (their connection is closed by the server: the read ends with EOF or
// a reset, after at most net/http's plain 400 with Connection: close), while other clients are
// served all along.
func TestRobSlowLoris(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ReadHeaderTimeout")
	}
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, nil)
	waitHealthy(t, m.url)
	// Long enough that at one byte per 100 ms it could not finish inside the timeout.
	header := "GET /v1/verification/get-all HTTP/1.1\r\nHost: mock\r\nX-Padding: " + strings.Repeat("p", 4*int(readHeaderTimeout/(100*time.Millisecond))) + "\r\n\r\n"
	const slow = 10
	closed := make(chan error, slow)
	stop := make(chan struct{})
	var trickling sync.WaitGroup
	for range slow {
		c := robRaw(t, m.url)
		trickling.Add(1)
		go func() { // trickle the header until the server hangs up (a write fails) or the test ends
			defer trickling.Done()
			for i := 0; i < len(header); i++ {
				if _, err := c.Write([]byte{header[i]}); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		go func() { // the read ends when the server closes the connection
			_ = c.SetReadDeadline(time.Now().Add(6 * readHeaderTimeout))
			b, err := io.ReadAll(c)
			// net/http may say why first (a 4xx with Connection: close), never anything else.
			if err == nil && len(b) > 0 && (!bytes.HasPrefix(b, []byte("HTTP/1.1 4")) || !bytes.Contains(b, []byte("Connection: close"))) {
				err = fmt.Errorf("the server answered %q", b)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				err = errors.New("the connection was still open at the deadline")
			}
			closed <- err // nil: EOF, the server closed it
		}()
	}
	// Others are served while the slow clients trickle.
	served := 0
	for cut := 0; cut < slow; {
		select {
		case err := <-closed:
			if err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("slow client: %v", err)
			}
			cut++
		case <-time.After(200 * time.Millisecond):
			if status, body := call(t, http.MethodGet, m.url+"/v1/verification/get-all", mockserver.DevAPIKey, ""); status != http.StatusOK {
				t.Errorf("a normal client while slow ones trickle: %d %s", status, body)
			}
			served++
		}
	}
	close(stop)
	trickling.Wait()
	if served == 0 {
		t.Error("no normal request was made while the slow clients were connected")
	}
	t.Logf("%d slow clients cut off; %d normal requests served meanwhile", slow, served)
}

// TestRobHeadersNetHTTPRefuses: requests net/http's server answers itself, before the mock sees
// them: header fields over its MaxHeaderBytes (1 MiB) get 431, a control character in a header
// value 400. These answers are net/http's plain text, not the API's problem+json, and are not in the
// journal; what matters is that the connection ends cleanly and the mock serves on.
func TestRobHeadersNetHTTPRefuses(t *testing.T) {
	m := startRun(t, []string{"--addr", "127.0.0.1:0", "--log-level", "error"}, nil)
	waitHealthy(t, m.url)
	for _, tc := range []struct {
		name, header string
		status       int
	}{
		{"header over 1 MiB", "X-Huge: " + strings.Repeat("h", maxHeaderBytes+64<<10), http.StatusRequestHeaderFieldsTooLarge},
		{"NUL in Authorization", "Authorization: ApiKey " + mockserver.DevAPIKey + "\x00", http.StatusBadRequest},
		{"bare CR in a header value", "Authorization: ApiKey x\rX-Injected: 1", http.StatusBadRequest},
		{"header name with a space", "Bad Name: 1", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := robRaw(t, m.url)
			_ = c.SetDeadline(time.Now().Add(patience))
			req := "GET /v1/verification/get-all HTTP/1.1\r\nHost: mock\r\n" + tc.header + "\r\n\r\n"
			if _, err := io.WriteString(c, req); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("read the answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if status, _ := call(t, http.MethodGet, m.url+"/v1/healthz", "", ""); status != http.StatusOK {
				t.Errorf("healthz afterwards: %d", status)
			}
		})
	}
	for _, r := range robJournal(t, m.url) {
		if r.Path == "/v1/verification/get-all" {
			t.Errorf("the journal has a request net/http refused: %+v", r)
		}
	}
}

// robBuild builds the binary into a temporary directory for the tests that run it as a process
// (here and in crash_test.go); it skips in -short mode and where there is no SIGTERM or SIGKILL.
func robBuild(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM or SIGKILL on Windows")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "verifeye-mock")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// robProcess is the binary running, its log captured.
type robProcess struct {
	base   string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan error // gets cmd.Wait's result
}

// robStart starts bin, waits for its first healthy answer, keeps its log and waits for it in the
// background; cleanup kills it if it still runs.
func robStart(t *testing.T, bin string, args ...string) *robProcess {
	t.Helper()
	p := &robProcess{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, exited: make(chan error, 1)}
	p.cmd.Env = cleanEnv()
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- u
			}
		}
		p.exited <- p.cmd.Wait() // after stdout is drained
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(patience):
		}
	})
	select {
	case p.base = <-urls:
	case err := <-p.exited:
		t.Fatalf("%s exited before listening: %v\n%s", bin, err, p.stderr)
	case <-time.After(patience):
		t.Fatalf("%s printed no address within %s", bin, patience)
	}
	waitHealthy(t, p.base)
	return p
}

// wait waits for the process to exit and returns its error (nil: status 0).
func (p *robProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.exited:
		p.exited <- err // for cleanup
		return err
	case <-time.After(patience):
		t.Fatalf("the process did not exit within %s\n%s", patience, p.stderr)
		return nil
	}
}

// robOutcome is what a client saw of one request.
type robOutcome struct {
	name          string
	status        int // 0: no answer
	err           error
	wrote, answer time.Time // when the request was fully sent, when the answer (or error) came
}

// TestRobShutdownUnderLoad starts the binary with --data-dir, streams creates at it (each held
// 100 ms in the handler by an injected latency fault, so several are in flight at any time) and
// sends SIGTERM mid-stream. The process exits 0; every create its log says it answered reached
// its client, so no request the server had accepted was cut off; and after a restart on the same
// directory the verifications are exactly the ones the clients got a 200 for.
func TestRobShutdownUnderLoad(t *testing.T) {
	bin := robBuild(t)
	dir := t.TempDir()
	p := robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-format", "json", "--log-level", "info")
	if status, body := call(t, http.MethodPost, p.base+"/_mock/faults", "", `{"operation":"createVerification","latency":"100ms"}`); status != http.StatusOK {
		t.Fatalf("add the latency fault: %d %s", status, body)
	}

	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: patience}
	var mu sync.Mutex
	var outcomes []robOutcome
	var acked atomic.Int64
	var writers sync.WaitGroup
	for w := range 8 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				o := robOutcome{name: fmt.Sprintf("rob-term-%d-%d", w, i)}
				req, _ := http.NewRequest(http.MethodPost, p.base+"/v1/verification/create", strings.NewReader(`{"name":"`+o.name+`","verificationConfig":{}}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
					WroteRequest: func(httptrace.WroteRequestInfo) { o.wrote = time.Now() },
				}))
				resp, err := client.Do(req)
				o.answer = time.Now()
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					o.status = resp.StatusCode
					if o.status == http.StatusOK {
						acked.Add(1)
					}
				}
				o.err = err
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				if err != nil {
					return // the server is going or gone
				}
			}
		}()
	}
	deadline := time.Now().Add(patience)
	for acked.Load() < 40 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	signalled := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("after SIGTERM: %v, want exit status 0\n%s", err, p.stderr)
	}
	writers.Wait()

	clientOK, inFlight := map[string]bool{}, 0
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			var ne net.Error
			if errors.As(o.err, &ne) && ne.Timeout() {
				t.Errorf("%s timed out: %v", o.name, o.err)
			}
		case o.status != http.StatusOK:
			t.Errorf("%s answered %d", o.name, o.status)
		default:
			clientOK[o.name] = true
			if !o.wrote.IsZero() && o.wrote.Before(signalled) && o.answer.After(signalled) {
				inFlight++
			}
		}
	}
	// The server's own account of the creates it answered, from its JSON log.
	serverOK, serverOther := 0, 0
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		var rec struct {
			Msg, Method, Path string
			Status            int
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" || rec.Path != "/v1/verification/create" {
			continue
		}
		if rec.Status == http.StatusOK {
			serverOK++
		} else {
			serverOther++
		}
	}
	if serverOK != len(clientOK) || serverOther != 0 {
		t.Errorf("the server answered %d creates with 200 (and %d otherwise), its clients received %d: an accepted request was cut off",
			serverOK, serverOther, len(clientOK))
	}
	if inFlight == 0 {
		t.Error("no create was in flight at SIGTERM (sent before, answered after): the test proved nothing")
	}
	if !strings.Contains(p.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("the log does not say it stopped:\n%s", p.stderr)
	}

	p = robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error")
	stored := 0
	names := robNames(t, p.base)
	for name := range names {
		if strings.HasPrefix(name, "rob-term-") {
			stored++
			if !clientOK[name] {
				t.Errorf("%s is stored, but its client got no 200", name)
			}
		}
	}
	for name := range clientOK {
		if _, ok := names[name]; !ok {
			t.Errorf("%s was acknowledged but is not stored after the restart", name)
		}
	}
	t.Logf("%d creates acknowledged (%d in flight at SIGTERM), %d stored after the restart, %d attempts in all", len(clientOK), inFlight, stored, len(outcomes))
}

// robLedger records what the hard-kill test's clients had acknowledged.
type robLedger struct {
	mu sync.Mutex
	// created and deleted verifications; upserts: every value sent per name, and how many of them
	// (a prefix) ended with a 200 for the last one acknowledged.
	created, deleted map[string]bool
	deleting         map[string]bool // a delete was sent (its answer may have been cut off)
	upserts          map[string][]int
	upsertAcked      map[string]int
	sessions         map[string]bool   // started with create-session
	completed        map[string]string // session → faceId its completion answered
	hosted           map[string]string // nonce-bearing link → session its 303 named
	ops              atomic.Int64
}

// TestRobHardKillUnderMixedLoad extends TestHardKillKeepsAcknowledgedWrites (creates only) to
// every kind of write: creates, deletes, create-or-update, sessions, completions through the
// control API and hosted starts that consume a nonce and complete at once (--auto-complete). The
// mock is killed with SIGKILL mid-load and restarted on the same --data-dir: everything
// acknowledged is there, with the values acknowledged last.
func TestRobHardKillUnderMixedLoad(t *testing.T) {
	bin := robBuild(t)
	dir := t.TempDir()
	p := robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--auto-complete", "pass", "--log-level", "error", "--seed", "9")
	for _, body := range []string{
		`{"name":"rob-kill-named","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification"},"faceRecognition":{"type":"DuplicateVerification","collectionId":"rob-kill"}}}}`,
		`{"name":"rob-kill-gate","verificationConfig":{"verifierConfigs":{"faceRecognition":{"type":"DuplicateVerification","collectionId":"rob-kill"}},` +
			`"redirectConfig":{"passedUrl":"https://app.example/ok","failedUrl":"https://app.example/ko"},` +
			`"resultParameterConfig":{"includeSessionId":true,"includeFaceId":true}}}`,
	} {
		if status, answer := call(t, http.MethodPost, p.base+"/v1/verification/create", mockserver.DevAPIKey, body); status != http.StatusOK {
			t.Fatalf("setup: %d %s", status, answer)
		}
	}
	gate := robNames(t, p.base)["rob-kill-gate"]

	led := &robLedger{created: map[string]bool{}, deleted: map[string]bool{}, deleting: map[string]bool{}, upserts: map[string][]int{}, upsertAcked: map[string]int{},
		sessions: map[string]bool{}, completed: map[string]string{}, hosted: map[string]string{}}
	client := &http.Client{Timeout: patience, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, target, body string) (int, []byte, error) {
		req, _ := http.NewRequest(method, p.base+target, strings.NewReader(body))
		req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode == http.StatusSeeOther {
			b = []byte(resp.Header.Get("Location"))
		}
		return resp.StatusCode, b, err
	}
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for w := range 6 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 3))
			var mine, pending []string // this writer's live verifications and pending sessions
			upsertName := fmt.Sprintf("rob-kill-upsert-%d", w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				var status int
				var b []byte
				switch op := rng.IntN(6); {
				case op == 0:
					name := fmt.Sprintf("rob-kill-%d-%d", w, i)
					if status, _, err = send(http.MethodPost, "/v1/verification/create", `{"name":"`+name+`","verificationConfig":{}}`); status == http.StatusOK {
						led.mu.Lock()
						led.created[name] = true
						led.mu.Unlock()
						mine = append(mine, name)
					}
				case op == 1 && len(mine) > 0:
					// Learn the id with create-or-update (an update: the name exists), then delete.
					name := mine[0]
					if status, b, err = send(http.MethodPost, "/v1/verification/create-or-update", `{"name":"`+name+`","verificationConfig":{}}`); status == http.StatusOK {
						var u struct {
							ID string `json:"verificationId"`
						}
						_ = json.Unmarshal(b, &u)
						led.mu.Lock()
						led.deleting[name] = true
						led.mu.Unlock()
						if status, _, err = send(http.MethodDelete, "/v1/verification/delete?verificationId="+u.ID, ""); status == http.StatusOK {
							led.mu.Lock()
							led.deleted[name] = true
							led.mu.Unlock()
							mine = mine[1:]
						}
					}
				case op == 2:
					threshold := 1 + rng.IntN(120)
					led.mu.Lock()
					led.upserts[upsertName] = append(led.upserts[upsertName], threshold)
					sent := len(led.upserts[upsertName])
					led.mu.Unlock()
					body := fmt.Sprintf(`{"name":%q,"verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":%d}}}}`, upsertName, threshold)
					if status, _, err = send(http.MethodPost, "/v1/verification/create-or-update", body); status == http.StatusOK {
						led.mu.Lock()
						led.upsertAcked[upsertName] = sent
						led.mu.Unlock()
					}
				case op == 3:
					if status, b, err = send(http.MethodPost, "/v1/verification/create-session", `{"name":"rob-kill-named"}`); status == http.StatusOK {
						var s struct {
							ID string `json:"verificationSessionId"`
						}
						_ = json.Unmarshal(b, &s)
						led.mu.Lock()
						led.sessions[s.ID] = true
						led.mu.Unlock()
						pending = append(pending, s.ID)
					}
				case op == 4 && len(pending) > 0:
					id := pending[0]
					if status, b, err = send(http.MethodPost, "/_mock/sessions/"+id+"/complete", `{"preset":"pass"}`); status == http.StatusOK {
						var done struct {
							Result struct {
								FaceID string `json:"faceId"`
							} `json:"result"`
						}
						_ = json.Unmarshal(b, &done)
						led.mu.Lock()
						led.completed[id] = done.Result.FaceID
						led.mu.Unlock()
						pending = pending[1:]
					}
				case op == 5:
					var signed struct {
						Query string `json:"signedQueryString"`
					}
					if status, b, err = send(http.MethodPost, "/v1/signature/create", `{"queryString":"w=`+strconv.Itoa(w)+`","securitySettings":{"enableNonce":true}}`); status == http.StatusOK {
						_ = json.Unmarshal(b, &signed)
						if status, b, err = send(http.MethodGet, "/verification/"+gate+"?"+signed.Query, ""); status == http.StatusSeeOther {
							loc, _ := url.Parse(string(b))
							led.mu.Lock()
							led.hosted[signed.Query] = loc.Query().Get("reVerificationSessionId")
							led.completed[loc.Query().Get("reVerificationSessionId")] = loc.Query().Get("reFaceId")
							led.mu.Unlock()
						}
					}
				default:
					continue
				}
				if err != nil {
					return // killed
				}
				if status >= 500 || (status != http.StatusOK && status != http.StatusSeeOther) {
					t.Errorf("writer %d: status %d: %s", w, status, b)
					return
				}
				led.ops.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(patience)
	for led.ops.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)
	close(stop)
	writers.Wait()

	p = robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error")
	names := robNames(t, p.base)
	led.mu.Lock()
	defer led.mu.Unlock()
	for name := range led.created {
		if led.deleting[name] && !led.deleted[name] {
			continue // the kill cut off the delete's answer: either outcome is right
		}
		if _, ok := names[name]; ok == led.deleted[name] {
			t.Errorf("%s: stored %v after the restart, want %v (created, deleted %v)", name, ok, !led.deleted[name], led.deleted[name])
		}
	}
	for name, values := range led.upserts {
		acked := led.upsertAcked[name]
		if acked == 0 {
			continue
		}
		status, body := call(t, http.MethodGet, p.base+"/v1/verification/get?verificationId="+names[name], mockserver.DevAPIKey, "")
		var v struct {
			Verification struct {
				Config struct {
					Verifiers struct {
						Age struct {
							Threshold int `json:"threshold"`
						} `json:"age"`
					} `json:"verifierConfigs"`
				} `json:"verificationConfig"`
			} `json:"verification"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &v) != nil {
			t.Errorf("%s: %d %s", name, status, body)
			continue
		}
		// The last acknowledged value, or one sent after it whose answer the kill cut off.
		if got := v.Verification.Config.Verifiers.Age.Threshold; !containsValue(values[acked-1:], got) {
			t.Errorf("%s: threshold %d after the restart; the last acknowledged was %d (sent since: %v)", name, got, values[acked-1], values[acked:])
		}
	}
	for id := range led.sessions {
		status, body := call(t, http.MethodGet, p.base+"/v1/verification/get-session-result?verificationSessionId="+id, mockserver.DevAPIKey, "")
		if status != http.StatusOK {
			t.Errorf("session %s: %d %s after the restart", id, status, body)
		}
	}
	faces := map[string]bool{}
	status, body := call(t, http.MethodGet, p.base+"/_mock/collections", "", "")
	var cols struct {
		Collections []mockserver.FaceCollection `json:"collections"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &cols) != nil {
		t.Fatalf("collections: %d %s", status, body)
	}
	for _, c := range cols.Collections {
		for _, id := range c.Faces {
			faces[id] = true
		}
	}
	for id, face := range led.completed {
		status, body := call(t, http.MethodGet, p.base+"/v1/verification/get-session-result?verificationSessionId="+id, mockserver.DevAPIKey, "")
		var res struct {
			Result string `json:"verificationResult"`
			FaceID string `json:"faceId"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil || res.Result != "Pass" || res.FaceID != face {
			t.Errorf("completed session %s after the restart: %d %s; want Pass with faceId %s", id, status, body, face)
		}
		if !faces[face] {
			t.Errorf("the face %s of completed session %s is in no collection after the restart", face, id)
		}
	}
	for link := range led.hosted {
		status, body := call(t, http.MethodPost, p.base+"/v1/signature/validate", mockserver.DevAPIKey, `{"queryString":`+strconv.Quote(link)+`}`)
		if status != http.StatusOK || !strings.Contains(body, "NonceAlreadyUsed") {
			t.Errorf("the nonce of an opened link is not used after the restart: %d %s", status, body)
		}
	}
	t.Logf("acknowledged before SIGKILL: %d creates (%d deleted), %d upserted names, %d sessions, %d completions, %d hosted starts",
		len(led.created), len(led.deleted), len(led.upsertAcked), len(led.sessions), len(led.completed), len(led.hosted))
	if len(led.created) == 0 || len(led.sessions) == 0 || len(led.completed) == 0 || len(led.hosted) == 0 {
		t.Error("some kind of write was never acknowledged before the kill: the test proved little")
	}
}

func containsValue(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
