package mockserver

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
)

// collection is one face collection of an account: the faces indexed in it and the external ids
// enrolled against a face (for the two match modes). Collections are created on first use and
// never deleted by the Service API: changing a verification's collectionId only detaches it, so
// the faces stay here, as the vendor documents.
type collection struct {
	faces    map[string]string // face identity → faceId
	enrolled map[string]string // external id → face identity
}

// accountFaces implements faceIndex over one account's collections. The store's lock must be
// held while it is used. With pending set (the store has a data directory), writes gather there,
// by collection, as the entries they add, and reads see them over the collections: the store
// writes those entries (faceEntryOps) and only then makes them current (apply), so a failed
// write leaves the collections as they were, and a completion costs the entries it adds, not
// a copy of its collections.
type accountFaces struct {
	account     string
	collections map[string]*collection
	pending     map[string]*collection
}

// to returns the collection a write goes to, creating it when needed.
func (a *accountFaces) to(name string) *collection {
	all := a.collections
	if a.pending != nil {
		all = a.pending
	}
	c := all[name]
	if c == nil {
		c = &collection{faces: map[string]string{}, enrolled: map[string]string{}}
		all[name] = c
	}
	return c
}

// apply adds the pending entries to the collections.
func (a *accountFaces) apply() {
	pending := a.pending
	a.pending = nil // writes go to the collections again
	for name, p := range pending {
		c := a.to(name)
		maps.Copy(c.faces, p.faces)
		maps.Copy(c.enrolled, p.enrolled)
	}
}

// stableFaceID derives a face's id from the account, the collection and the identity, so a face
// keeps one id per collection whatever the order of sessions, and a seed reproduces it.
func stableFaceID(account, collection, face string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + collection + "\x00" + face))
	return hex.EncodeToString(sum[:16])
}

func (a *accountFaces) faceID(name, face string) (string, bool) {
	return a.lookup(name, face, func(c *collection) map[string]string { return c.faces })
}

// lookup reads key in the map pick chooses of collection name, its pending entries first.
func (a *accountFaces) lookup(name, key string, pick func(*collection) map[string]string) (string, bool) {
	if c := a.pending[name]; c != nil {
		if v, ok := pick(c)[key]; ok {
			return v, true
		}
	}
	if c := a.collections[name]; c != nil {
		v, ok := pick(c)[key]
		return v, ok
	}
	return "", false
}

func (a *accountFaces) index(collection, face string) string {
	id, ok := a.faceID(collection, face)
	if !ok {
		id = stableFaceID(a.account, collection, face)
		a.to(collection).faces[face] = id
	}
	return id
}

func (a *accountFaces) enrolled(name, externalID string) (string, bool) {
	return a.lookup(name, externalID, func(c *collection) map[string]string { return c.enrolled })
}

func (a *accountFaces) enroll(collection, externalID, face string) {
	a.index(collection, face)
	a.to(collection).enrolled[externalID] = face
}

// FaceCollection is a snapshot of one face collection, for the control API and tests.
type FaceCollection struct {
	Account      string            `json:"account"`
	CollectionID string            `json:"collectionId"`
	Faces        map[string]string `json:"faces"`       // face identity → faceId
	Enrolled     map[string]string `json:"externalIds"` // external id → face identity
}
