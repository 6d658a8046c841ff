package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// writtenDataDir is a data directory a mock has written one verification to.
func writtenDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m, err := mockserver.New(mockserver.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req := httptest.NewRequest(http.MethodPost, "/v1/verification/create", strings.NewReader(`{"name":"kept","verificationConfig":{}}`))
	req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	return dir
}

// garbleFreelists overwrites the pages both meta pages name as the freelist: bbolt panics on
// them when it opens the file.
func garbleFreelists(t *testing.T, path string) {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(binary.LittleEndian.Uint32(file[16+8:]))
	for i := range 2 {
		p := int(binary.LittleEndian.Uint64(file[i*size+16+32:]))
		copy(file[p*size:(p+1)*size], bytes.Repeat([]byte{0xA5, 0x17, 0xFF, 0x03}, size/4))
	}
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBinaryRefusesDamagedDataDir: the binary, started on a damaged data directory or asked to
// check it, exits 1 with a message naming the file and what to do, never a panic and its stack;
// a sound directory checks out with its counts (exit 0).
func TestBinaryRefusesDamagedDataDir(t *testing.T) {
	bin := robBuild(t)
	runBin := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = cleanEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, stdout.String(), stderr.String()
		case errors.As(err, &exit):
			return exit.ExitCode(), stdout.String(), stderr.String()
		}
		t.Fatalf("run %v: %v", args, err)
		return 0, "", ""
	}

	t.Run("sound", func(t *testing.T) {
		dir := writtenDataDir(t)
		code, out, errOut := runBin("--check-data-dir", "--data-dir", dir)
		if code != 0 || !strings.Contains(out, filepath.Join(dir, "verifeye-mock.db")+": ok") || !strings.Contains(out, "verifications    1") {
			t.Errorf("check: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})
	t.Run("check needs a directory", func(t *testing.T) {
		if code, _, errOut := runBin("--check-data-dir"); code != 2 || !strings.Contains(errOut, "--data-dir") {
			t.Errorf("exit %d, want 2 naming --data-dir:\n%s", code, errOut)
		}
	})

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string
	}{
		{"garbled freelist", garbleFreelists, "invalid freelist page"},
		{"empty file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty (0 bytes)"},
		{"record not JSON", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("verifications")).Put([]byte("dev\x000b3c4e7e-5a61-4f3f-9d55-2a1f6a0c9b11"), []byte("{"))
			}); err != nil {
				t.Fatal(err)
			}
		}, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writtenDataDir(t)
			path := filepath.Join(dir, "verifeye-mock.db")
			tc.damage(t, path)
			for _, args := range [][]string{
				{"--addr", "127.0.0.1:0", "--data-dir", dir},
				{"--check-data-dir", "--data-dir", dir},
			} {
				code, out, errOut := runBin(args...)
				if code != 1 || !strings.Contains(errOut, path) || !strings.Contains(errOut, tc.says) || !strings.Contains(errOut, "Move it aside") {
					t.Errorf("%v: exit %d, want 1 with a message naming %s, saying %q and to move it aside\nstdout:\n%s\nstderr:\n%s", args, code, path, tc.says, out, errOut)
				}
				if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
					t.Errorf("%v: stderr shows a panic:\n%s", args, errOut)
				}
				if strings.Contains(out, "listening on") {
					t.Errorf("%v: the mock started serving:\n%s", args, out)
				}
			}
		})
	}
}
