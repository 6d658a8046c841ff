package mockserver

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// A data directory the mock cannot read as its own is refused, never half-loaded: a file that is
// empty or not a bbolt database, a database with damaged pages (bbolt panics on some of them;
// the panic is recovered here and becomes an error), and a record that does not decode to a
// valid verification, session, nonce, face collection, face entry or tenant. The error names the
// file, says what is wrong with it and what to do: move it aside.

// ErrDataDamaged marks a data directory whose database the mock cannot read: New and
// CheckDataDir return it (wrapped, with the file and the problem) instead of starting on part of
// the state.
var ErrDataDamaged = errors.New("damaged data directory")

// damagedError is ErrDataDamaged for one file.
type damagedError struct{ path, problem string }

func (e *damagedError) Error() string {
	return fmt.Sprintf("%s is damaged: %s. Move it aside (mv %s %s.damaged) to start with an empty state, or restore it from a backup",
		e.path, e.problem, e.path, e.path)
}

func (e *damagedError) Unwrap() error { return ErrDataDamaged }

func damaged(path, problem string) error { return &damagedError{path: path, problem: problem} }

// guardBolt runs fn, turning a panic (bbolt's reaction to some damaged pages) into a damaged
// error for the database at path.
func guardBolt(path string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged(path, fmt.Sprintf("reading it failed (%v)", p))
		}
	}()
	return fn()
}

// openBolt opens the database at path, refusing an empty file (bbolt would silently make it a
// new, empty database) and reporting a file bbolt cannot read as damaged.
func openBolt(path string, readOnly bool) (*bolt.DB, error) {
	if info, err := os.Stat(path); err == nil && info.Size() == 0 {
		return nil, damaged(path, "the file is empty (0 bytes), not a database; it may have been cut off by a full disk or a failed copy")
	}
	var db *bolt.DB
	err := guardBolt(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: readOnly})
		return err
	})
	switch {
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, damaged(path, fmt.Sprintf("it is not a verifeye-mock database, or its header pages are damaged (%v)", err))
	case err != nil:
		return nil, err
	}
	return db, nil
}

// eachRecord calls fn for every record of bucket; a bucket the file does not have yet (one written
// by an older version) has none.
func eachRecord(tx *bolt.Tx, bucket []byte, fn func(k, v []byte) error) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}

// recordError says what is wrong with the record of kind at key k.
func recordError(kind string, k []byte, problem string) error {
	acc, id := splitKey(k)
	return fmt.Errorf("%s %q of account %q %s", kind, id, acc, problem)
}

// idProblem is what is wrong with a record's id and account, or "".
func idProblem(k []byte, id uuid.UUID) string {
	acc, keyID := splitKey(k)
	switch {
	case acc == "":
		return "has no account"
	case id == uuid.Nil:
		return "has no id"
	case id.String() != keyID:
		return fmt.Sprintf("has the id %s, not the one it is stored under", id)
	}
	return ""
}

func decodeVerification(k, v []byte) (storedVerification, error) {
	var r storedVerification
	if err := json.Unmarshal(v, &r); err != nil {
		return r, recordError("verification", k, "is not valid JSON: "+err.Error())
	}
	problem := idProblem(k, r.ID)
	switch {
	case problem != "":
	case strings.TrimSpace(r.Name) == "":
		problem = "has an empty name"
	case r.Created.IsZero():
		problem = "has no creation time"
	}
	if problem != "" {
		return r, recordError("verification", k, problem)
	}
	return r, nil
}

func decodeSession(k, v []byte) (storedSession, error) {
	var r storedSession
	if err := json.Unmarshal(v, &r); err != nil {
		return r, recordError("session", k, "is not valid JSON: "+err.Error())
	}
	problem := idProblem(k, r.ID)
	switch {
	case problem != "":
	case r.VerificationID != nil && *r.VerificationID == uuid.Nil:
		problem = "names an empty verification id"
	case r.Created.IsZero():
		problem = "has no creation time"
	}
	if problem != "" {
		return r, recordError("session", k, problem)
	}
	return r, nil
}

func decodeNonce(k, v []byte) (time.Time, error) {
	var at time.Time
	acc, nonce := splitKey(k)
	switch err := json.Unmarshal(v, &at); {
	case err != nil:
		return at, recordError("nonce", k, "is not a valid JSON time: "+err.Error())
	case acc == "" || nonce == "":
		return at, recordError("nonce", k, "has no account or no nonce")
	case at.IsZero():
		return at, recordError("nonce", k, "has no time")
	}
	return at, nil
}

func decodeCollection(k, v []byte) (storedCollection, error) {
	var r storedCollection
	acc, name := splitKey(k)
	switch err := json.Unmarshal(v, &r); {
	case err != nil:
		return r, recordError("face collection", k, "is not valid JSON: "+err.Error())
	case acc == "" || name == "":
		return r, recordError("face collection", k, "has no account or no name")
	}
	return r, nil
}

func decodeFaceEntry(k, v []byte) (faceEntry, error) {
	var e faceEntry
	acc, name := splitKey(k)
	var parts []string
	if err := json.Unmarshal([]byte(name), &parts); err != nil || len(parts) != 3 {
		return e, recordError("face entry", k, "is not named by its collection, kind and key")
	}
	e.faceEntryName = faceEntryName{parts[0], parts[1], parts[2]}
	switch err := json.Unmarshal(v, &e.Value); {
	case err != nil:
		return e, recordError("face entry", k, "is not a JSON string: "+err.Error())
	case acc == "" || e.Collection == "":
		return e, recordError("face entry", k, "has no account or no collection")
	case e.Kind != faceEntryFace && e.Kind != faceEntryExternalID:
		return e, recordError("face entry", k, "is of no known kind")
	}
	return e, nil
}

func decodeTenant(k, v []byte) (storedTenant, error) {
	var t storedTenant
	if err := json.Unmarshal(v, &t); err != nil {
		return t, fmt.Errorf("tenant %q is not valid JSON: %v", k, err)
	}
	switch {
	case t.ID == "" || t.ID != string(k):
		return t, fmt.Errorf("tenant %q has the id %q, not the one it is stored under", k, t.ID)
	case strings.TrimSpace(t.APIKey) == "":
		return t, fmt.Errorf("tenant %q has no API key", k)
	case t.SigningSecret == "":
		return t, fmt.Errorf("tenant %q has no signing secret", k)
	}
	return t, nil
}

// checkMeta checks the values boot reads: the start count and the token key.
func (d *disk) checkMeta() error {
	return d.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			return nil
		}
		if v := m.Get([]byte("boot")); v != nil && len(v) != 8 {
			return damaged(d.db.Path(), fmt.Sprintf("its start count is %d bytes long, not 8", len(v)))
		}
		if k := m.Get([]byte("tokenKey")); k != nil && len(k) == 0 {
			return damaged(d.db.Path(), "its token key is empty")
		}
		return nil
	})
}

// loadChecked loads the database into st, reporting any record it refuses, and any panic of
// bbolt's on a damaged page, as the file being damaged.
func (d *disk) loadChecked(st *store) error {
	return guardBolt(d.db.Path(), func() error {
		if err := d.checkMeta(); err != nil {
			return err
		}
		if err := d.load(st); err != nil {
			return damaged(d.db.Path(), err.Error())
		}
		return nil
	})
}

// DataDirSummary is what CheckDataDir found in a data directory.
type DataDirSummary struct {
	// File is the database's path.
	File string
	// Found is false when the directory has no database yet: a mock started on it starts empty.
	Found bool
	// Starts counts the times a mock has started on the directory.
	Starts uint64
	// Accounts counts the accounts with data or a tenant record; Tenants the tenants created
	// through the control API.
	Accounts, Tenants int
	// Verifications, Sessions (pending and completed), Nonces (consumed) and FaceCollections
	// count the records of every account.
	Verifications, Sessions, Nonces, FaceCollections int
}

// CheckDataDir reads the data directory dir as New would, without serving, changing or creating
// anything: it checks the database's pages with bbolt's consistency check, then decodes and
// validates every record. It fails with ErrDataDamaged (naming the file, what is wrong and what to
// do) when New would refuse the directory, and when the file is in use by a running mock.
func CheckDataDir(dir string) (DataDirSummary, error) {
	path := filepath.Join(dir, dbFile)
	sum := DataDirSummary{File: path}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return sum, nil
	}
	db, err := openBolt(path, true)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return sum, fmt.Errorf("%s is in use by a running verifeye-mock; stop it to check the file", path)
	}
	if err != nil {
		return sum, err
	}
	defer db.Close()
	sum.Found = true
	d := &disk{db: db}
	err = guardBolt(path, func() error {
		if err := d.checkPages(); err != nil {
			return err
		}
		st := newStore()
		if err := d.loadChecked(st); err != nil {
			return err
		}
		tenants, err := d.loadTenants()
		if err != nil {
			return err
		}
		sum.summarize(st, tenants)
		return d.db.View(func(tx *bolt.Tx) error {
			if m := tx.Bucket(bucketMeta); m != nil {
				if v := m.Get([]byte("boot")); v != nil {
					sum.Starts = binary.BigEndian.Uint64(v) + 1 // checkMeta has checked its length
				}
			}
			return nil
		})
	})
	return sum, err
}

// checkPages runs bbolt's consistency check over every page of the file.
func (d *disk) checkPages() error {
	var problems []string
	err := d.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if len(problems) < 3 {
				// bbolt reports a panic it recovered from as "panic: ..."; the page is what matters.
				problems = append(problems, strings.TrimPrefix(err.Error(), "panic: "))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return damaged(d.db.Path(), "its pages fail bbolt's consistency check: "+strings.Join(problems, "; "))
	}
	return nil
}

// summarize counts what st and tenants hold.
func (sum *DataDirSummary) summarize(st *store, tenants []storedTenant) {
	accounts := map[string]bool{}
	for acc, d := range st.accounts {
		accounts[acc] = true
		sum.Verifications += len(d.verifications)
		sum.Sessions += d.sessions.len()
		sum.Nonces += d.nonces.len()
		sum.FaceCollections += len(d.collections)
	}
	for _, t := range tenants {
		accounts[t.ID] = true
	}
	sum.Accounts, sum.Tenants = len(accounts), len(tenants)
}
