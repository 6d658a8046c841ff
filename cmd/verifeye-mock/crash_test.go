package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestHardKillKeepsAcknowledgedWrites kills the mock with SIGKILL while clients are writing,
// restarts it on the same data directory, and checks that every write it acknowledged is there
// and that the store opens cleanly.
func TestHardKillKeepsAcknowledgedWrites(t *testing.T) {
	bin := robBuild(t) // skips in -short mode and on Windows
	dir := t.TempDir()
	p := robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error")
	base := p.base

	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("crash-%d-%d", w, i)
				req, _ := http.NewRequest(http.MethodPost, base+"/v1/verification/create",
					strings.NewReader(`{"name":"`+name+`","verificationConfig":{}}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
				resp, err := client.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			}
		}()
	}
	// Kill once a good number of writes are acknowledged, with more in flight.
	deadline := time.Now().Add(patience)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.wait(t)
	close(stop)
	writers.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	base = robStart(t, bin, "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "error").base // stopped by its cleanup
	stored := robNames(t, base)
	missing := 0
	for _, name := range acked {
		if _, ok := stored[name]; !ok {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged writes are missing after the kill", missing, len(acked))
	}
	t.Logf("%d acknowledged writes before SIGKILL, %d stored after restart", len(acked), len(stored))
	// The store keeps working after recovery.
	if status, body := call(t, http.MethodPost, base+"/v1/verification/create", mockserver.DevAPIKey, `{"name":"after-recovery","verificationConfig":{}}`); status != http.StatusOK {
		t.Errorf("write after recovery: %d %s", status, body)
	}
}
