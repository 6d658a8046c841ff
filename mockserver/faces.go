package mockserver

import (
	"crypto/sha256"
	"encoding/hex"
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
// held while it is used.
type accountFaces struct {
	account     string
	collections map[string]*collection
}

func (a *accountFaces) get(name string) *collection {
	c := a.collections[name]
	if c == nil {
		c = &collection{faces: map[string]string{}, enrolled: map[string]string{}}
		a.collections[name] = c
	}
	return c
}

// stableFaceID derives a face's id from the account, the collection and the identity, so a face
// keeps one id per collection whatever the order of sessions, and a seed reproduces it.
func stableFaceID(account, collection, face string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + collection + "\x00" + face))
	return hex.EncodeToString(sum[:16])
}

func (a *accountFaces) faceID(collection, face string) (string, bool) {
	c := a.collections[collection]
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
	c := a.collections[collection]
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
