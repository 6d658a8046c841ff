package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the real command with a version stamped in, runs it, and stops it the way a
// process manager would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("SIGTERM cannot be sent on Windows")
	}
	const stamped = "test-1.2.3"
	goCmd, err := exec.LookPath("go") // go test puts its own go first on PATH
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "verifeye-mock")
	build := exec.Command(goCmd, "build", "-o", bin, "-ldflags", "-X main.version="+stamped, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	env := cleanEnv()

	t.Run("version", func(t *testing.T) {
		cmd := exec.Command(bin, "--version")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("--version: %v", err)
		}
		if got, want := string(out), "verifeye-mock "+stamped+"\n"; got != want {
			t.Errorf("--version printed %q, want %q", got, want)
		}
	})

	t.Run("usage error exits 2", func(t *testing.T) {
		cmd := exec.Command(bin, "--log-level", "loud")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Fatalf("exit: %v, want status 2\n%s", err, out)
		}
		if !strings.Contains(string(out), `--log-level: must be one of debug, info, warn, error (got "loud")`) {
			t.Errorf("output does not name the flag:\n%s", out)
		}
	})

	t.Run("serves until SIGTERM", func(t *testing.T) {
		cmd := exec.Command(bin, "--addr", "127.0.0.1:0")
		cmd.Env = env
		var stderr syncBuffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		t.Cleanup(func() {
			select {
			case <-exited:
			default:
				_ = cmd.Process.Kill()
			}
		})

		urls := make(chan string, 1)
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
					urls <- u
				}
			}
		}()
		var url string
		select {
		case url = <-urls:
		case <-time.After(patience):
			t.Fatalf("no 'listening on' line within %s; stderr:\n%s", patience, stderr.String())
		}

		h := waitHealthy(t, url)
		if got, want := h.Get("X-Verifeye-Mock"), "verifeye-mock/"+stamped; got != want {
			t.Errorf("X-Verifeye-Mock = %q, want %q", got, want)
		}

		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		go func() {
			<-drained // read all of stdout before Wait
			exited <- cmd.Wait()
		}()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("after SIGTERM: %v, want exit status 0\nstderr:\n%s", err, stderr.String())
			}
		case <-time.After(patience):
			t.Fatalf("did not exit within %s of SIGTERM", patience)
		}
		if !strings.Contains(stderr.String(), "stopped") {
			t.Errorf("the log does not say it stopped:\n%s", stderr.String())
		}
	})
}

// cleanEnv is this process's environment without the mock's variables, so a developer's
// settings cannot change what the binary does under test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return env
}
