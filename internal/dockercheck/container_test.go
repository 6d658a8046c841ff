package dockercheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/contract"
)

// dockerEnv turns the container checks on. CI sets it (.ci/run starts a Docker engine first);
// without it they skip, so that `go test ./...` needs no Docker.
const dockerEnv = "VERIFEYE_DOCKER"

// The two accounts the containers start with: the contract suite's cross-account scenarios need
// a second one.
const (
	keyA = "container-check-account-a"
	keyB = "container-check-account-b"
)

// Bounds of the waits on Docker; generous, as vfs copies a container's whole file system.
const (
	dockerCommandLimit = 5 * time.Minute // one docker command, or make image-local
	healthyLimit       = 2 * time.Minute // the health check runs every 10s; the first after 10s
	webhookLimit       = 30 * time.Second
	shutdownTimeout    = 10 // seconds: the mock's --shutdown-timeout and docker stop's -t
)

// TestContainer builds the image with `make image-local` and runs it in Docker, as a CI pipeline
// runs it next to the service under test: the health check turns healthy, the process is not
// root, the contract suite passes against the published port, a webhook reaches a receiver on the
// host, the state of --data-dir survives a new container on the same volume, and docker stop ends
// the mock with status 0 before docker would kill it. It removes the containers, the volume and
// the image it made.
func TestContainer(t *testing.T) {
	if os.Getenv(dockerEnv) != "1" {
		t.Skipf("the container checks need a Docker engine: run them with %s=1 go test -run TestContainer ./internal/dockercheck/ (or make container-check); .ci/run starts an engine and runs them", dockerEnv)
	}
	if out, err := docker(t, "info", "--format", "{{.ServerVersion}}"); err != nil {
		t.Fatalf("%s=1, but docker info fails: %v\n%s", dockerEnv, err, out)
	}
	image := fmt.Sprintf("verifeye-mock:containercheck-%d", os.Getpid())
	build := exec.Command("make", "--no-print-directory", "image-local", "IMAGE_LOCAL="+image)
	build.Dir = root
	start := time.Now()
	if out, err := runLimited(build); err != nil {
		t.Fatalf("make image-local: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := docker(t, "rmi", image); err != nil {
			t.Errorf("docker rmi %s: %v\n%s", image, err, out)
		}
	})
	t.Logf("make image-local: %v", time.Since(start).Round(time.Millisecond))

	t.Run("healthy, not root, and the contract suite passes through the published port", func(t *testing.T) {
		id := startContainer(t, []string{"--publish", "127.0.0.1::8080"}, image,
			"--api-key", keyA, "--api-key", keyB, "--seed", "1")
		waitHealthy(t, id)

		if user := inspect(t, id, "{{.Config.User}}"); user != "65532:65532" {
			t.Errorf("the container's user is %q, want 65532:65532", user)
		}
		// docker top asks the host's ps about the container's processes: the real uid, whatever
		// the configuration says
		out, err := docker(t, "top", id, "-o", "pid,uid,args") // docker top needs the pid
		if err != nil {
			t.Fatalf("docker top: %v\n%s", err, out)
		}
		rows := strings.Split(strings.TrimSpace(out), "\n")[1:]
		if len(rows) == 0 {
			t.Fatalf("docker top shows no process:\n%s", out)
		}
		for _, row := range rows {
			if f := strings.Fields(row); len(f) < 2 || f[1] != "65532" {
				t.Errorf("a process of the container does not run as uid 65532 (nonroot): %s", row)
			}
		}

		base := "http://" + publishedAddr(t, id)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		target := contract.URLTarget(ctx, base, keyA, "")
		if target.Control == nil {
			t.Fatalf("the mock's control API does not answer at %s/_mock/", base)
		}
		target.APIKeyB = keyB
		// every scenario but those whose webhook receiver listens on the suite's own loopback,
		// which a container on the bridge cannot reach; the next subtest runs them
		_, others := webhookScenarios(t)
		runContract(t, target, others)
	})

	t.Run("a webhook reaches a receiver on the host", func(t *testing.T) {
		events := make(chan webhookEvent, 4)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			events <- webhookEvent{method: r.Method, path: r.URL.Path, apiKey: r.Header.Get("X-API-Key"), body: body}
		}))
		defer receiver.Close()

		// The receiver listens on the host's loopback, which a container reaches only in the
		// host's network namespace: on the default bridge the host is 172.17.0.1, a private
		// address that this project's network rules forbid as a target. So this container shares
		// the host's network and listens on a loopback port of its own, given by the variable
		// the health check reads too.
		addr := freeLoopbackAddr(t)
		id := startContainer(t, []string{"--network", "host", "--env", "VERIFEYE_MOCK_ADDR=" + addr}, image,
			"--api-key", keyA, "--seed", "1")
		waitHealthy(t, id)
		base := "http://" + addr

		// the contract suite's webhook scenarios, left out above
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		target := contract.URLTarget(ctx, base, keyA, "")
		if target.Control == nil {
			t.Fatalf("the mock's control API does not answer at %s/_mock/", base)
		}
		hooks, _ := webhookScenarios(t)
		runContract(t, target, hooks)

		var signed struct {
			SignedQueryString string `json:"signedQueryString"`
		}
		call(t, http.MethodPost, base+"/v1/signature/create", `{"queryString":"userId=container-check"}`, &signed)
		var created struct {
			VerificationID string `json:"verificationId"`
		}
		call(t, http.MethodPost, base+"/v1/verification/create", `{"name": "container webhook",
			"verificationConfig": {"verifierConfigs": {"liveness": {"type": "Verification"}},
			"redirectConfig": {"passedUrl": "https://shop.example/verified", "failedUrl": "https://shop.example/rejected"},
			"resultParameterConfig": {"includeSessionId": true},
			"webhookConfig": {"eventCallbackUrl": "`+receiver.URL+`/verifeye-events"}}}`, &created)
		// a subject queued: the hosted link completes the session with it and redirects at once
		call(t, http.MethodPost, base+"/_mock/subjects", `{"preset":"pass"}`, &json.RawMessage{})
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noFollow.Get(base + "/verification/" + created.VerificationID + "?" + signed.SignedQueryString)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		session := loc.Query().Get("reVerificationSessionId")
		if resp.StatusCode != http.StatusSeeOther || session == "" {
			t.Fatalf("the hosted link: %s, Location %q; want 303 to passedUrl with the session id", resp.Status, resp.Header.Get("Location"))
		}

		select {
		case ev := <-events:
			var body struct {
				Event     string `json:"event"`
				SessionID string `json:"verificationSessionId"`
			}
			if ev.method != http.MethodPost || ev.path != "/verifeye-events" || json.Unmarshal(ev.body, &body) != nil ||
				body.SessionID != session || body.Event == "" {
				t.Errorf("the receiver got %s %s %s, want POST /verifeye-events with verificationSessionId %s", ev.method, ev.path, ev.body, session)
			}
			if ev.apiKey != keyA {
				t.Errorf("the webhook's X-API-Key is %q, want the account's key", ev.apiKey)
			}
		case <-time.After(webhookLimit):
			t.Fatalf("no webhook reached the receiver at %s within %v; the mock's log:\n%s", receiver.URL, webhookLimit, logs(t, id))
		}
	})

	t.Run("the state of --data-dir survives a new container on the same volume", func(t *testing.T) {
		volume := fmt.Sprintf("verifeye-containercheck-%d", os.Getpid())
		if out, err := docker(t, "volume", "create", volume); err != nil {
			t.Fatalf("docker volume create: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			if out, err := docker(t, "volume", "rm", volume); err != nil {
				t.Errorf("docker volume rm %s: %v\n%s", volume, err, out)
			}
		})
		// The volume is mounted on the nonroot user's home, the image's working directory: an
		// empty volume takes the owner of the directory it is mounted on, so the mock can write
		// there (a new directory elsewhere would be root's).
		run := func() (string, string) {
			id := startContainer(t, []string{"--publish", "127.0.0.1::8080", "--volume", volume + ":/home/nonroot"}, image,
				"--api-key", keyA, "--seed", "1", "--data-dir", "/home/nonroot/data")
			waitHealthy(t, id)
			return id, "http://" + publishedAddr(t, id)
		}

		first, base := run()
		var created struct {
			VerificationID string `json:"verificationId"`
		}
		call(t, http.MethodPost, base+"/v1/verification/create",
			`{"name": "kept across restarts", "verificationConfig": {"verifierConfigs": {"liveness": {"type": "Verification"}}}}`, &created)
		if created.VerificationID == "" {
			t.Fatal("verification/create answered no verificationId")
		}
		stop(t, first)
		removeContainer(t, first)

		_, base = run()
		var got struct {
			Verification struct {
				VerificationID string `json:"verificationId"`
				Name           string `json:"name"`
			} `json:"verification"`
		}
		call(t, http.MethodGet, base+"/v1/verification/get?verificationId="+created.VerificationID, "", &got)
		if got.Verification.VerificationID != created.VerificationID || got.Verification.Name != "kept across restarts" {
			t.Errorf("after the restart, verification/get answers %+v, want %s named %q", got.Verification, created.VerificationID, "kept across restarts")
		}
	})

	t.Run("docker stop ends it with status 0 within --shutdown-timeout", func(t *testing.T) {
		id := startContainer(t, []string{"--publish", "127.0.0.1::8080"}, image,
			"--shutdown-timeout", fmt.Sprintf("%ds", shutdownTimeout))
		waitHealthy(t, id)
		// docker stop sends SIGTERM and, after -t seconds, SIGKILL (status 137): status 0 means
		// the mock shut down by itself within its --shutdown-timeout
		stop(t, id)
		if code := inspect(t, id, "{{.State.ExitCode}}"); code != "0" {
			t.Errorf("after docker stop the mock's exit status is %s, want 0; its log:\n%s", code, logs(t, id))
		}
		if oom := inspect(t, id, "{{.State.OOMKilled}}"); oom != "false" {
			t.Errorf("OOMKilled %s", oom)
		}
		if l := logs(t, id); !strings.Contains(l, "shutting down") {
			t.Errorf("the mock's log does not say it shut down:\n%s", l)
		}
	})
}

// webhookScenarios returns the names of the contract suite's scenarios that receive a webhook
// on the suite's own loopback, and of the others.
func webhookScenarios(t *testing.T) (hooks, others []string) {
	t.Helper()
	for _, s := range contract.Scenarios() {
		if strings.Contains(s.Name, "webhook") {
			hooks = append(hooks, s.Name)
		} else {
			others = append(others, s.Name)
		}
	}
	if len(hooks) == 0 || len(others) == 0 {
		t.Fatalf("the contract suite has %d webhook scenarios and %d others, want some of each", len(hooks), len(others))
	}
	return hooks, others
}

// runContract runs the named scenarios of the contract suite against target and fails the test
// unless every one of them ran and passed.
func runContract(t *testing.T, target contract.Target, names []string) {
	t.Helper()
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	rep := contract.Run(ctx, target, contract.Options{Timeout: 4 * time.Minute,
		Run: regexp.MustCompile("^(" + strings.Join(quoted, "|") + ")$")})
	t.Logf("the contract suite against %s: %d passed, %d failed, %d skipped in %v", target.BaseURL, rep.Passed, rep.Failed, rep.Skipped, time.Since(start).Round(time.Millisecond))
	if !rep.Ok() || rep.Passed != len(names) {
		var text bytes.Buffer
		_ = rep.WriteText(&text)
		t.Errorf("the contract suite against the container: want all %d scenarios passed\n%s", len(names), text.String())
	}
}

type webhookEvent struct {
	method, path, apiKey string
	body                 []byte
}

// runLimited runs cmd, killed after dockerCommandLimit, and returns its combined output.
func runLimited(cmd *exec.Cmd) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(dockerCommandLimit):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("still running after %v: killed", dockerCommandLimit)
	}
}

// docker runs the docker CLI (DOCKER_HOST names the engine, as for any docker command).
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := runLimited(exec.Command("docker", args...))
	return strings.TrimSpace(out), err
}

// startContainer starts a detached container of image with dockerArgs and the mock's flags, and
// removes it when the test ends.
func startContainer(t *testing.T, dockerArgs []string, image string, flags ...string) string {
	t.Helper()
	args := append(append([]string{"run", "--detach"}, dockerArgs...), image)
	out, err := docker(t, append(args, flags...)...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(append(args, flags...), " "), err, out)
	}
	id := out[strings.LastIndex(out, "\n")+1:]
	t.Cleanup(func() { removeContainer(t, id) })
	return id
}

// removeContainer removes a container, stopping it first; a container already gone is fine.
func removeContainer(t *testing.T, id string) {
	t.Helper()
	if out, err := docker(t, "rm", "--force", "--volumes", id); err != nil && !strings.Contains(out, "No such container") {
		t.Errorf("docker rm %s: %v\n%s", id, err, out)
	}
}

// stop stops a container with docker stop, giving it the mock's --shutdown-timeout.
func stop(t *testing.T, id string) {
	t.Helper()
	if out, err := docker(t, "stop", "--time", strconv.Itoa(shutdownTimeout), id); err != nil {
		t.Fatalf("docker stop: %v\n%s", err, out)
	}
}

func inspect(t *testing.T, id, format string) string {
	t.Helper()
	out, err := docker(t, "inspect", "--format", format, id)
	if err != nil {
		t.Fatalf("docker inspect %s: %v\n%s", id, err, out)
	}
	return out
}

func logs(t *testing.T, id string) string {
	t.Helper()
	out, _ := docker(t, "logs", id)
	return out
}

// waitHealthy waits until docker inspect shows the container healthy, and fails the test when it
// turns unhealthy, stops, or is still starting after healthyLimit.
func waitHealthy(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(healthyLimit)
	for {
		state := inspect(t, id, "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}")
		switch {
		case state == "running healthy":
			return
		case !strings.HasPrefix(state, "running "):
			t.Fatalf("the container is %q, want running healthy; its log:\n%s", state, logs(t, id))
		case strings.HasSuffix(state, " unhealthy"), time.Now().After(deadline):
			t.Fatalf("the container is %q, want healthy; its health log: %s\nits log:\n%s", state,
				inspect(t, id, "{{json .State.Health.Log}}"), logs(t, id))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// publishedAddr returns the host address docker published the container's port 8080 on.
func publishedAddr(t *testing.T, id string) string {
	t.Helper()
	out, err := docker(t, "port", id, "8080/tcp")
	if err != nil {
		t.Fatalf("docker port: %v\n%s", err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if host, _, err := net.SplitHostPort(strings.TrimSpace(line)); err == nil && host == "127.0.0.1" {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("docker port shows no 127.0.0.1 address for 8080: %q", out)
	return ""
}

// freeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// call sends a request with account A's key and decodes a 200 answer into out.
func call(t *testing.T, method, u, body string, out any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "ApiKey "+keyA)
	if body != "" || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, u, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, u, err, b)
	}
}
