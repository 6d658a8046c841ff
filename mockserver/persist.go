package mockserver

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/verifeye-twin/verifeye/generated"
)

// With Options.DataDir the store is written through to a bbolt database: an embedded,
// transactional, crash-safe B+tree with one file. Every change the store makes is one bbolt
// transaction, committed (and fsynced) before the store changes its memory and before the API
// answers, so an acknowledged write survives a crash, and a write that fails changes nothing.
// Reads never touch the file: the whole state is loaded into memory at start.

// errStorage marks a failure to write the data directory; the API answers it with 503.
var errStorage = errors.New("storage")

const dbFile = "verifeye-mock.db"

var (
	bucketVerifications = []byte("verifications")
	bucketSessions      = []byte("sessions")
	bucketNonces        = []byte("nonces")
	bucketCollections   = []byte("collections")
	bucketFaceEntries   = []byte("faceEntries")
	bucketMeta          = []byte("meta")
	dataBuckets         = [][]byte{bucketVerifications, bucketSessions, bucketNonces, bucketCollections, bucketNonceExpiries, bucketFaceEntries}
)

// op is one key written (or, with a nil value, deleted) in a bucket.
type op struct {
	bucket []byte
	key    string
	value  []byte
}

// disk is the store's durable copy.
type disk struct{ db *bolt.DB }

// openDisk opens (creating when needed) the database in dir. A second mock on the same
// directory is refused rather than left waiting; a file that is not a readable database is
// refused as damaged (see persist_check.go).
func openDisk(dir string) (*disk, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, dbFile)
	db, err := openBolt(path, false)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("data dir %s is in use by another verifeye-mock", dir)
	}
	if errors.Is(err, ErrDataDamaged) {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("data dir: open %s: %w", path, err)
	}
	err = guardBolt(path, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, b := range append(append([][]byte{}, dataBuckets...), bucketMeta, bucketTenants) {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &disk{db: db}, nil
}

func (d *disk) close() error { return d.db.Close() }

// write applies ops in one transaction.
func (d *disk) write(ops []op) error {
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, o := range ops {
			b := tx.Bucket(o.bucket)
			var err error
			if o.value == nil {
				err = b.Delete([]byte(o.key))
			} else {
				err = b.Put([]byte(o.key), o.value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	return nil
}

// wipe deletes every account's data, keeping the metadata.
func (d *disk) wipe() error {
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, b := range dataBuckets {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	return nil
}

// boot counts the starts on this directory (0 for the first) and keeps the token key, so tokens
// issued before a restart stay valid after it. ids and the faker are seeded with the boot number
// too, so a restarted mock never hands out an id or a face it handed out before.
func (d *disk) boot(newKey []byte) (n uint64, tokenKey []byte, err error) {
	err = d.db.Update(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if v := m.Get([]byte("boot")); v != nil {
			n = binary.BigEndian.Uint64(v) + 1
		}
		if err := m.Put([]byte("boot"), binary.BigEndian.AppendUint64(nil, n)); err != nil {
			return err
		}
		if k := m.Get([]byte("tokenKey")); k != nil {
			tokenKey = append([]byte(nil), k...)
			return nil
		}
		tokenKey = newKey
		return m.Put([]byte("tokenKey"), newKey)
	})
	return n, tokenKey, err
}

func recordKey(account, id string) string { return account + "\x00" + id }

func splitKey(k []byte) (account, id string) {
	for i, c := range k {
		if c == 0 {
			return string(k[:i]), string(k[i+1:])
		}
	}
	return "", string(k)
}

// The persisted forms of the store's records.
type storedVerification struct {
	ID           uuid.UUID                    `json:"id"`
	Name         string                       `json:"name"`
	Config       generated.VerificationConfig `json:"config"`
	Created      time.Time                    `json:"created"`
	LastModified time.Time                    `json:"lastModified"`
	Seq          uint64                       `json:"seq"`
}

type storedSession struct {
	ID             uuid.UUID                    `json:"id"`
	VerificationID *uuid.UUID                   `json:"verificationId,omitempty"`
	Config         generated.VerificationConfig `json:"config"`
	ExternalID     string                       `json:"externalId,omitempty"`
	WebhookURL     string                       `json:"webhookUrl,omitempty"`
	CustomInput    map[string]string            `json:"customInput,omitempty"`
	Hosted         bool                         `json:"hosted,omitempty"`
	Created        time.Time                    `json:"created"`
	Completed      time.Time                    `json:"completed"`
	Result         *generated.SessionResult     `json:"result,omitempty"`
}

type storedCollection struct {
	Faces    map[string]string `json:"faces"`
	Enrolled map[string]string `json:"enrolled"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the records are plain data; this cannot fail
	}
	return b
}

func verificationOp(acc string, v *verificationRecord) op {
	return op{bucketVerifications, recordKey(acc, v.id.String()), mustJSON(storedVerification{
		ID: v.id, Name: v.name, Config: v.config, Created: v.created, LastModified: v.lastModified, Seq: v.seq})}
}

func deleteVerificationOp(acc string, id uuid.UUID) op {
	return op{bucketVerifications, recordKey(acc, id.String()), nil}
}

func sessionOp(s *sessionRecord) op {
	return op{bucketSessions, recordKey(s.account, s.id.String()), mustJSON(storedSession{
		ID: s.id, VerificationID: s.verificationID, Config: *s.config, ExternalID: s.externalID,
		WebhookURL: s.webhookURL, CustomInput: storedCustomInput(s), Hosted: s.hosted, Created: s.created,
		Completed: s.completed, Result: s.result})}
}

// A face collection is written an entry at a time, each face indexed and each external id
// enrolled in a record of its own (bucketFaceEntries), so that a completion writes what it adds
// rather than its whole collection. The collections bucket holds collections as a directory
// written before kept them, whole; the entries are read over them.

// The kinds of a face entry.
const (
	faceEntryFace       = "face"       // a face identity and its faceId
	faceEntryExternalID = "externalId" // an external id and the face identity enrolled for it
)

// faceEntryName is the part of a face entry's key after its account: its collection, kind and
// key, as a JSON array, which no two entries share and no 0 byte is in.
type faceEntryName struct {
	Collection, Kind, Key string
}

// faceEntry is a face entry: its name and its value.
type faceEntry struct {
	faceEntryName
	Value string
}

func faceEntryKey(acc string, n faceEntryName) string {
	return recordKey(acc, string(mustJSON([]string{n.Collection, n.Kind, n.Key})))
}

// faceEntryOps are the writes that store the entries of pending (accountFaces.pending).
func faceEntryOps(acc string, pending map[string]*collection) []op {
	var ops []op
	for name, c := range pending {
		for face, id := range c.faces {
			ops = append(ops, op{bucketFaceEntries, faceEntryKey(acc, faceEntryName{name, faceEntryFace, face}), mustJSON(id)})
		}
		for ext, face := range c.enrolled {
			ops = append(ops, op{bucketFaceEntries, faceEntryKey(acc, faceEntryName{name, faceEntryExternalID, ext}), mustJSON(face)})
		}
	}
	return ops
}

// load reads the whole database into st; a record that does not decode to a valid one fails it
// (loadChecked reports that as the file being damaged). Times are cut to whole .NET ticks, as the clock's are,
// so a directory written by an earlier version (nanosecond times) still answers with at most 7
// fractional digits.
func (d *disk) load(st *store) error {
	return d.db.View(func(tx *bolt.Tx) error {
		err := eachRecord(tx, bucketVerifications, func(k, v []byte) error {
			acc, _ := splitKey(k)
			r, err := decodeVerification(k, v)
			if err != nil {
				return err
			}
			rec := &verificationRecord{id: r.ID, name: r.Name, config: r.Config, created: toTick(r.Created), lastModified: toTick(r.LastModified), seq: r.Seq}
			d := st.accountLocked(acc)
			if other, ok := d.byName[r.Name]; ok {
				return recordError("verification", k, fmt.Sprintf("has the name %q of verification %s", r.Name, other))
			}
			d.verifications[r.ID] = rec
			d.verificationsChanged()
			d.byName[r.Name] = r.ID
			st.verificationOwner[r.ID] = acc
			st.seq = max(st.seq, r.Seq)
			return nil
		})
		if err != nil {
			return err
		}
		shared := loadedConfigs{}
		err = eachRecord(tx, bucketSessions, func(k, v []byte) error {
			acc, _ := splitKey(k)
			r, err := decodeSession(k, v)
			if err != nil {
				return err
			}
			cfg := shared.config(st.accountLocked(acc), r.VerificationID, r.Config)
			st.addSessionLocked(&sessionRecord{id: r.ID, account: acc, verificationID: r.VerificationID, config: cfg,
				externalID: r.ExternalID, webhookURL: r.WebhookURL, customInput: loadedCustomInput(r), hosted: r.Hosted,
				created: toTick(r.Created), completed: toTick(r.Completed), result: r.Result})
			return nil
		})
		if err != nil {
			return err
		}
		err = eachRecord(tx, bucketNonces, func(k, v []byte) error {
			acc, nonce := splitKey(k)
			at, err := decodeNonce(k, v)
			if err != nil {
				return err
			}
			d := st.accountLocked(acc)
			d.nonces.put(nonce, usedNonce{used: toTick(at)})
			return nil
		})
		if err != nil {
			return err
		}
		if err := loadNonceExpiries(tx, st); err != nil {
			return err
		}
		return loadFaces(tx, st)
	})
}

// loadFaces reads the face collections: those written whole, then the entries over them.
func loadFaces(tx *bolt.Tx, st *store) error {
	err := eachRecord(tx, bucketCollections, func(k, v []byte) error {
		acc, name := splitKey(k)
		r, err := decodeCollection(k, v)
		if err != nil {
			return err
		}
		if r.Faces == nil {
			r.Faces = map[string]string{}
		}
		if r.Enrolled == nil {
			r.Enrolled = map[string]string{}
		}
		st.accountLocked(acc).collections[name] = &collection{faces: r.Faces, enrolled: r.Enrolled}
		return nil
	})
	if err != nil {
		return err
	}
	return eachRecord(tx, bucketFaceEntries, func(k, v []byte) error {
		acc, _ := splitKey(k)
		e, err := decodeFaceEntry(k, v)
		if err != nil {
			return err
		}
		faces := &accountFaces{account: acc, collections: st.accountLocked(acc).collections}
		if e.Kind == faceEntryFace {
			faces.to(e.Collection).faces[e.Key] = e.Value
		} else {
			faces.to(e.Collection).enrolled[e.Key] = e.Value
		}
		return nil
	})
}

// loadedConfigs lets the sessions loaded from a data directory share their configurations as
// they did when they were started: a session started by its verification's name ran the
// verification's normalized configuration, which it shares again, and the sessions of one
// verification that ran another configuration (it was updated since) share one copy of it. It
// holds the first few configurations of each verification seen (sessions started with blocks of
// their own may each have another), by the verification's id.
type loadedConfigs map[uuid.UUID][]*generated.VerificationConfig

func (l loadedConfigs) config(d *accountData, vid *uuid.UUID, cfg generated.VerificationConfig) *generated.VerificationConfig {
	if vid == nil {
		return &cfg
	}
	seen, ok := l[*vid]
	if !ok {
		if v := d.verifications[*vid]; v != nil {
			if n := v.normalizedConfig(); n != nil {
				seen = append(seen, n)
			}
		}
	}
	for _, c := range seen {
		if reflect.DeepEqual(*c, cfg) {
			l[*vid] = seen
			return c
		}
	}
	c := &cfg
	if len(seen) < maxLoadedConfigs {
		seen = append(seen, c)
	}
	l[*vid] = seen
	return c
}

// maxLoadedConfigs is how many configurations of one verification loadedConfigs compares a
// loaded session's with.
const maxLoadedConfigs = 8
