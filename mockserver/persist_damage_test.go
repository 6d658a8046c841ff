package mockserver_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/verifeye-twin/verifeye/mockserver"
)

const damageDB = "verifeye-mock.db"

// validDataDir is a data directory written by a mock: two verifications, a session and a tenant.
func validDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	m, err := mockserver.New(mockserver.Options{DataDir: dir, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, body := range []string{`{"name":"first","verificationConfig":{}}`, `{"name":"second","verificationConfig":{}}`,
		`{"verifierConfigs":{"liveness":{"type":"Verification"}}}`} {
		path := "/v1/verification/create"
		if strings.Contains(body, "verifierConfigs") {
			path = "/v1/verification/create-session"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	if _, err := m.CreateTenant("kept"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dbPages reads the database's page size and, from its two meta pages, the pages their root
// bucket and freelist are on.
func dbPages(t *testing.T, file []byte) (size int, roots, freelists []uint64) {
	t.Helper()
	size = int(binary.LittleEndian.Uint32(file[16+8:]))
	for i := range 2 {
		meta := file[i*size+16:]
		roots = append(roots, binary.LittleEndian.Uint64(meta[16:]))
		freelists = append(freelists, binary.LittleEndian.Uint64(meta[32:]))
	}
	return size, roots, freelists
}

// garble overwrites the pages of path that pick chooses with garbage.
func garble(t *testing.T, path string, pick func(size int, roots, freelists []uint64) []uint64) {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size, roots, freelists := dbPages(t, file)
	for _, p := range pick(size, roots, freelists) {
		copy(file[int(p)*size:int(p+1)*size], bytes.Repeat([]byte{0xA5, 0x17, 0xFF, 0x03}, size/4))
	}
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
}

// putRecord writes one raw record into bucket of the database at path.
func putRecord(t *testing.T, path, bucket, key string, value []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(bucket)).Put([]byte(key), value) }); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedDataDirIsRefused: a damaged file is a clear error from New and from CheckDataDir,
// naming the file and what to do, never a panic, and never a mock started on part of the state.
func TestDamagedDataDirIsRefused(t *testing.T) {
	id := uuid.MustParse("0b3c4e7e-5a61-4f3f-9d55-2a1f6a0c9b11")
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		says   string // in the problem
	}{
		{"freelist pages garbled", func(t *testing.T, path string) {
			garble(t, path, func(_ int, _, freelists []uint64) []uint64 { return freelists })
		}, "invalid freelist page"},
		{"meta pages garbled", func(t *testing.T, path string) {
			garble(t, path, func(int, []uint64, []uint64) []uint64 { return []uint64{0, 1} })
		}, "not a verifeye-mock database"},
		{"root pages garbled", func(t *testing.T, path string) {
			garble(t, path, func(_ int, roots, _ []uint64) []uint64 { return roots })
		}, "damaged"},
		{"empty file", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty (0 bytes)"},
		{"verification not JSON", func(t *testing.T, path string) {
			putRecord(t, path, "verifications", "dev\x00"+id.String(), []byte(`{"id":`))
		}, "not valid JSON"},
		{"verification without a name", func(t *testing.T, path string) {
			putRecord(t, path, "verifications", "dev\x00"+id.String(),
				[]byte(`{"id":"`+id.String()+`","name":"","created":"2026-01-01T00:00:00Z"}`))
		}, "empty name"},
		{"verification of nothing", func(t *testing.T, path string) {
			putRecord(t, path, "verifications", "dev\x00"+id.String(), []byte(`{}`))
		}, "has no id"},
		{"verification under another id", func(t *testing.T, path string) {
			putRecord(t, path, "verifications", "dev\x00"+id.String(),
				[]byte(`{"id":"`+uuid.NewString()+`","name":"x","created":"2026-01-01T00:00:00Z"}`))
		}, "not the one it is stored under"},
		{"verification repeating a name", func(t *testing.T, path string) {
			putRecord(t, path, "verifications", "dev\x00"+id.String(),
				[]byte(`{"id":"`+id.String()+`","name":"first","created":"2026-01-01T00:00:00Z"}`))
		}, `has the name "first"`},
		{"session without a time", func(t *testing.T, path string) {
			putRecord(t, path, "sessions", "dev\x00"+id.String(), []byte(`{"id":"`+id.String()+`"}`))
		}, "no creation time"},
		{"nonce not a time", func(t *testing.T, path string) {
			putRecord(t, path, "nonces", "dev\x00abc", []byte(`"yesterday"`))
		}, "not a valid JSON time"},
		{"face entry without its name", func(t *testing.T, path string) {
			putRecord(t, path, "faceEntries", "dev\x00faces", []byte(`"x"`))
		}, "not named by its collection, kind and key"},
		{"face entry of no kind", func(t *testing.T, path string) {
			putRecord(t, path, "faceEntries", `dev`+"\x00"+`["faces","other","alice"]`, []byte(`"x"`))
		}, "of no known kind"},
		{"face entry not a string", func(t *testing.T, path string) {
			putRecord(t, path, "faceEntries", `dev`+"\x00"+`["faces","face","alice"]`, []byte(`{}`))
		}, "not a JSON string"},
		{"tenant without a key", func(t *testing.T, path string) {
			b, _ := json.Marshal(map[string]string{"id": "t-x", "name": "x", "signingSecret": "s"})
			putRecord(t, path, "tenants", "t-x", b)
		}, "no API key"},
		{"start count cut short", func(t *testing.T, path string) {
			putRecord(t, path, "meta", "boot", []byte{1, 2})
		}, "start count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := validDataDir(t)
			path := filepath.Join(dir, damageDB)
			tc.damage(t, path)

			_, checkErr := mockserver.CheckDataDir(dir)
			m, err := mockserver.New(mockserver.Options{DataDir: dir})
			if err == nil {
				m.Close()
				t.Fatal("New started on the damaged directory")
			}
			for what, err := range map[string]error{"New": err, "CheckDataDir": checkErr} {
				msg := err.Error()
				if !errors.Is(err, mockserver.ErrDataDamaged) || !strings.Contains(msg, path) ||
					!strings.Contains(msg, "Move it aside") || !strings.Contains(msg, tc.says) {
					t.Errorf("%s: %v\nwant ErrDataDamaged naming %s, saying %q and to move it aside", what, err, path, tc.says)
				}
				if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
					t.Errorf("%s: %v\nwant no panic or stack in the message", what, err)
				}
			}
		})
	}
}

// TestCheckDataDir: a sound directory is summarised without being changed; a missing database is
// no error; a directory in use by a mock is refused.
func TestCheckDataDir(t *testing.T) {
	dir := validDataDir(t)
	want := mockserver.DataDirSummary{File: filepath.Join(dir, damageDB), Found: true, Starts: 1,
		Accounts: 2, Tenants: 1, Verifications: 2, Sessions: 1}
	for range 2 { // the check counts no start of its own
		got, err := mockserver.CheckDataDir(dir)
		if err != nil || got != want {
			t.Fatalf("CheckDataDir = %+v, %v; want %+v", got, err, want)
		}
	}

	empty := t.TempDir()
	if got, err := mockserver.CheckDataDir(empty); err != nil || got.Found {
		t.Errorf("an empty directory: %+v, %v; want not found, no error", got, err)
	}
	if _, err := os.Stat(filepath.Join(empty, damageDB)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("CheckDataDir created a database: %v", err)
	}

	m, err := mockserver.New(mockserver.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := mockserver.CheckDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a directory in use: %v, want an error saying so", err)
	}
}
