package mockserver

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketTenants keeps the tenants created through the control API, so a mock restarted on its
// data directory still knows their keys. A reset keeps them, as it keeps the configured
// accounts; deleting a tenant removes it.
var bucketTenants = []byte("tenants")

// storedTenant is the persisted form of a tenant.
type storedTenant struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	APIKey        string `json:"apiKey"`
	SigningSecret string `json:"signingSecret"`
}

func tenantOp(acc *Account) op {
	return op{bucketTenants, acc.ID, mustJSON(storedTenant{ID: acc.ID, Name: acc.state.name, APIKey: acc.APIKeys[0], SigningSecret: acc.SigningSecret})}
}

func deleteTenantOp(id string) op { return op{bucketTenants, id, nil} }

// loadTenants returns the tenants kept in the data directory, in the order of their ids. A
// record that does not decode to a valid tenant makes the file damaged (ErrDataDamaged).
func (d *disk) loadTenants() ([]storedTenant, error) {
	var out []storedTenant
	err := guardBolt(d.db.Path(), func() error {
		return d.db.View(func(tx *bolt.Tx) error {
			return eachRecord(tx, bucketTenants, func(k, v []byte) error {
				t, err := decodeTenant(k, v)
				if err != nil {
					return damaged(d.db.Path(), err.Error())
				}
				out = append(out, t)
				return nil
			})
		})
	})
	return out, err
}

// wipeAccount deletes one account's records from every data bucket.
func (d *disk) wipeAccount(acc string) error {
	prefix := []byte(recordKey(acc, ""))
	err := d.db.Update(func(tx *bolt.Tx) error {
		for _, name := range dataBuckets {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	return nil
}
