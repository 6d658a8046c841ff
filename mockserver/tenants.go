package mockserver

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strings"
	"unicode"
)

// Tenants are accounts created at run time through the control API, so that test suites
// sharing one running mock (a CI service container, say) each get an account of their own: its
// own data, clock, subject queue, faults, journal and webhook log. The accounts configured when
// the mock starts (Options.Accounts, --api-key) have the same per-account state, but only
// tenants can be created and deleted.

// MaxTenants bounds how many tenants a mock holds at once, so a suite that forgets to delete its
// tenants fills the mock's memory no further.
const MaxTenants = 1000

// maxTenantName bounds a tenant's name.
const maxTenantName = 200

// Errors of CreateTenant and DeleteTenant, for callers that use the Go API directly.
var (
	// ErrTenantNotFound: no tenant has this account id.
	ErrTenantNotFound = errors.New("tenant not found")
	// ErrNotTenant: the account was configured when the mock started, and cannot be deleted.
	ErrNotTenant = errors.New("account is not a tenant")
	// ErrTooManyTenants: the mock already holds MaxTenants tenants.
	ErrTooManyTenants = errors.New("too many tenants")
)

// Tenant is an account created through the control API. APIKey is shown once, by CreateTenant:
// the list of tenants leaves it out, so the key stays with whoever created the tenant.
type Tenant struct {
	AccountID string `json:"accountId"`
	APIKey    string `json:"apiKey,omitempty"`
	Name      string `json:"name"`
}

// accountState is what the mock keeps for an account besides its data.
type accountState struct {
	// clock is the account's time: its own offset and freeze over the mock's clock.
	clock    *Clock
	subjects subjectQueue
	faults   *faults
	tenant   bool   // created through the control API, so it may be deleted
	name     string // the tenant's name
}

// newAccountState gives acc its own clock over the mock's, and faults whose fractions draw from
// a generator seeded by the mock's seed and the account id, so a seeded mock stays reproducible.
func (s *Server) newAccountState(acc *Account, tenant bool, name string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(acc.ID))
	acc.state = &accountState{clock: NewClock(s.clock.Now), faults: newFaults(s.seed ^ h.Sum64()), tenant: tenant, name: name}
}

// checkTenantName reports what is wrong with a tenant's name.
func checkTenantName(name string) error {
	switch {
	case len(name) > maxTenantName:
		return fieldError("name", fmt.Sprintf("must be at most %d bytes", maxTenantName))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fieldError("name", "must not contain control characters")
	}
	return nil
}

// CreateTenant creates an account with a fresh API key, drawn from the mock's seeded randomness
// (so a seeded mock creates the same tenants in the same order), and named name (its account id
// when empty). It fails with ErrTooManyTenants past MaxTenants.
func (s *Server) CreateTenant(name string) (Tenant, error) {
	if err := checkTenantName(name); err != nil {
		return Tenant{}, err
	}
	var raw [24]byte
	s.ids.read(raw[:])
	id := "tenant-" + hex.EncodeToString(raw[:6])
	// The vendor's keys are the base64 of "accountHash:secret"; a tenant's key has that shape.
	key := base64.StdEncoding.EncodeToString([]byte(id + ":" + hex.EncodeToString(raw[6:])))
	if name == "" {
		name = id
	}
	acc := &Account{ID: id, APIKeys: []string{key}, SigningSecret: key}
	s.newAccountState(acc, true, name)
	err := s.auth.add(acc, func(set *accountSet) error {
		if countTenants(set) >= MaxTenants {
			return fmt.Errorf("%w: the mock holds %d tenants, its limit; delete some first", ErrTooManyTenants, MaxTenants)
		}
		return s.store.persistTenant(tenantOp(acc))
	})
	if err != nil {
		return Tenant{}, err
	}
	return Tenant{AccountID: id, APIKey: key, Name: name}, nil
}

func countTenants(set *accountSet) int {
	n := 0
	for _, a := range set.order {
		if a.state.tenant {
			n++
		}
	}
	return n
}

// Tenants lists the tenants in creation order, without their keys.
func (s *Server) Tenants() []Tenant {
	out := []Tenant{}
	for _, a := range s.auth.set.Load().order {
		if a.state.tenant {
			out = append(out, Tenant{AccountID: a.ID, Name: a.state.name})
		}
	}
	return out
}

// DeleteTenant removes the tenant accountID and everything it owns: verifications, sessions,
// nonces, face collections, queued subjects, faults, journal entries and webhook log. Its key
// is refused (401) from then on. It fails with ErrTenantNotFound for an unknown id and with
// ErrNotTenant for an account configured when the mock started.
func (s *Server) DeleteTenant(accountID string) error {
	acc, err := s.auth.remove(accountID, func(acc *Account) error {
		switch {
		case acc == nil:
			return &storeError{kind: errNotFound, field: "accountId", is: ErrTenantNotFound,
				detail: fmt.Sprintf("no tenant %q", accountID)}
		case !acc.state.tenant:
			return &storeError{kind: errConflict, field: "accountId", is: ErrNotTenant,
				rule:   "must name a tenant created by POST /_mock/tenants",
				detail: fmt.Sprintf("account %q was configured when the mock started (--api-key) and cannot be deleted", accountID)}
		}
		return s.store.persistTenant(deleteTenantOp(accountID))
	})
	if err != nil {
		return err
	}
	return s.resetAccount(acc)
}

// persistTenant writes a tenant's record (or its deletion) to the data directory, if any.
func (st *store) persistTenant(o op) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.persistLocked(func() []op { return []op{o} })
}

// loadTenants adds the tenants kept in the data directory to accs.
func (s *Server) loadTenants(accs []*Account) ([]*Account, error) {
	if s.store.disk == nil {
		return accs, nil
	}
	kept, err := s.store.disk.loadTenants()
	if err != nil {
		return nil, err
	}
	for _, t := range kept {
		acc := &Account{ID: t.ID, APIKeys: []string{t.APIKey}, SigningSecret: t.SigningSecret}
		s.newAccountState(acc, true, t.Name)
		accs = append(accs, acc)
	}
	return accs, nil
}

func (s *Server) ctlCreateTenant(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		s.writeProblem(w, r, badRequest("body", "could not be read"))
		return
	}
	if len(bytes.TrimSpace(data)) > 0 { // the body is optional
		if perr := decodeStrict(data, &body); perr != nil {
			s.writeProblem(w, r, perr)
			return
		}
	}
	t, err := s.CreateTenant(body.Name)
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) ctlListTenants(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"tenants": s.Tenants()})
}

func (s *Server) ctlDeleteTenant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("accountId")
	if err := s.DeleteTenant(id); err != nil {
		s.writeProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
}
