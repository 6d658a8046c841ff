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
// held while it is used. With changed set, writes go to copies kept there (the store makes them
// current once they are durable); otherwise they go to collections directly.
type accountFaces struct {
	account     string
	collections map[string]*collection
	changed     map[string]*collection
}

// read returns the collection as the current completion sees it.
func (a *accountFaces) read(name string) *collection {
	if c, ok := a.changed[name]; ok {
		return c
	}
	return a.collections[name]
}

// get returns the collection to write to, creating it (or its copy) when needed.
func (a *accountFaces) get(name string) *collection {
	if a.changed == nil {
		c := a.collections[name]
		if c == nil {
			c = &collection{faces: map[string]string{}, enrolled: map[string]string{}}
			a.collections[name] = c
		}
		return c
	}
	if c, ok := a.changed[name]; ok {
		return c
	}
	c := &collection{faces: map[string]string{}, enrolled: map[string]string{}}
	if old := a.collections[name]; old != nil {
		maps.Copy(c.faces, old.faces)
		maps.Copy(c.enrolled, old.enrolled)
	}
	a.changed[name] = c
	return c
}

// stableFaceID derives a face's id from the account, the collection and the identity, so a face
// keeps one id per collection whatever the order of sessions, and a seed reproduces it.
func stableFaceID(account, collection, face string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + collection + "\x00" + face))
	return hex.EncodeToString(sum[:16])
}

func (a *accountFaces) faceID(collection, face string) (string, bool) {
	c := a.read(collection)
	if c == nil {
		return "", false
	}
	id, ok := c.faces[face]
	return id, ok
}

func (a *accountFaces) index(collection, face string) string {
	c := a.get(collection)
	id, ok := c.faces[face]
	if !ok {
		id = stableFaceID(a.account, collection, face)
		c.faces[face] = id
	}
	return id
}

func (a *accountFaces) enrolled(collection, externalID string) (string, bool) {
	c := a.read(collection)
	if c == nil {
		return "", false
	}
	f, ok := c.enrolled[externalID]
	return f, ok
}

func (a *accountFaces) enroll(collection, externalID, face string) {
	a.index(collection, face)
	a.get(collection).enrolled[externalID] = face
}

// FaceCollection is a snapshot of one face collection, for the control API and tests.
type FaceCollection struct {
	Account      string            `json:"account"`
	CollectionID string            `json:"collectionId"`
	Faces        map[string]string `json:"faces"`       // face identity → faceId
	Enrolled     map[string]string `json:"externalIds"` // external id → face identity
}
