package mockserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DevAPIKey is the API key of the development account that a mock started without accounts has.
// It has the shape of the vendor's keys (base64 of `accountHash:secret`) so client code that
// inspects keys treats it like a real one.
const DevAPIKey = "ZGV2LWFjY291bnQ6dmVyaWZleWUtbW9jay1kZXYtc2VjcmV0"

// DevAccountID is the id of the development account.
const DevAccountID = "dev"

// Account is a tenant of the mock: its API keys, the secret its query strings are signed with,
// and (inside the store) its own verifications, sessions, nonces and face collections. No account
// can see another's data; a foreign id answers exactly like a missing one.
type Account struct {
	// ID names the account in logs and the request journal. Empty: derived from the first key.
	ID string
	// APIKeys authenticate as `Authorization: ApiKey <key>`; at least one is required.
	APIKeys []string
	// SigningSecret signs and validates query strings. Empty: the first API key, as in the
	// vendor's documented algorithm.
	SigningSecret string

	// state is what the mock keeps for the account besides its data (its clock, subjects,
	// faults); New and CreateTenant give every account its own.
	state *accountState
}

func (a Account) withDefaults() (Account, error) {
	if len(a.APIKeys) == 0 {
		return a, errors.New("account has no API key")
	}
	for _, k := range a.APIKeys {
		if strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\r\n") {
			return a, errors.New("an API key must be non-empty and contain no white space")
		}
	}
	if a.ID == "" {
		sum := sha256.Sum256([]byte(a.APIKeys[0]))
		a.ID = "acct-" + hex.EncodeToString(sum[:6])
	}
	if a.SigningSecret == "" {
		a.SigningSecret = a.APIKeys[0]
	}
	return a, nil
}

// authenticator resolves the Authorization header to an account. Its accounts change only when
// a tenant is created or deleted: every change stores a new accountSet, so a request reads the
// current one with one atomic load and no lock.
type authenticator struct {
	mu       sync.Mutex // serialises changes of set
	set      atomic.Pointer[accountSet]
	tokenKey []byte // HMAC key of Bearer and session tokens
	pageKey  []byte // HMAC key of the hosted page's tokens (tokens.go), never from the seed
	signer   *tokenSigner
}

// accountSet is the mock's accounts at one moment. It is never changed once stored.
type accountSet struct {
	// byKey finds an account by the SHA-256 digest of one of its keys. A map lookup's timing
	// depends on the digest only, which tells nothing usable about the key itself, so the lookup
	// needs no constant-time comparison and stays as cheap with a thousand tenants as with one.
	byKey map[[32]byte]*Account
	byID  map[string]*Account
	order []*Account // the configured accounts, then the tenants in creation order
}

const (
	tokenIssuer   = "verifeye-mock"
	bearerAud     = "verifeye-service-api"
	sessionAud    = "verifeye-web-sdk"
	sessionTTL    = 15 * time.Minute
	minTokenTTL   = 60
	maxTokenTTL   = 3600
	defaultTokTTL = 900
)

func newAuthenticator(accounts []*Account, tokenKey []byte) (*authenticator, error) {
	a := &authenticator{tokenKey: tokenKey, pageKey: newPageKey(), signer: newTokenSigner(tokenKey)}
	set := &accountSet{byKey: map[[32]byte]*Account{}, byID: map[string]*Account{}}
	for _, acc := range accounts {
		if err := set.addLocked(acc); err != nil {
			return nil, err
		}
	}
	a.set.Store(set)
	return a, nil
}

// addLocked adds acc to a set that is not yet published.
func (set *accountSet) addLocked(acc *Account) error {
	if _, dup := set.byID[acc.ID]; dup {
		return fmt.Errorf("two accounts have the id %q", acc.ID)
	}
	for _, k := range acc.APIKeys {
		if _, dup := set.byKey[sha256.Sum256([]byte(k))]; dup {
			return errors.New("an API key belongs to two accounts")
		}
	}
	set.byID[acc.ID] = acc
	for _, k := range acc.APIKeys {
		set.byKey[sha256.Sum256([]byte(k))] = acc
	}
	set.order = append(set.order, acc)
	return nil
}

// clone copies the set, to be changed and published in its place.
func (set *accountSet) clone() *accountSet {
	c := &accountSet{byKey: make(map[[32]byte]*Account, len(set.byKey)+1), byID: make(map[string]*Account, len(set.byID)+1),
		order: append(make([]*Account, 0, len(set.order)+1), set.order...)}
	for k, v := range set.byKey {
		c.byKey[k] = v
	}
	for k, v := range set.byID {
		c.byID[k] = v
	}
	return c
}

// account returns the account with id, or nil.
func (a *authenticator) account(id string) *Account { return a.set.Load().byID[id] }

// add publishes a set with acc added, once check (called with the lock held) agrees.
func (a *authenticator) add(acc *Account, check func(*accountSet) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.set.Load()
	if check != nil {
		if err := check(cur); err != nil {
			return err
		}
	}
	next := cur.clone()
	if err := next.addLocked(acc); err != nil {
		return err
	}
	a.set.Store(next)
	return nil
}

// remove publishes a set without the account id, once check (called with the lock held and the
// account, nil when there is none) agrees.
func (a *authenticator) remove(id string, check func(*Account) error) (*Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.set.Load()
	acc := cur.byID[id]
	if err := check(acc); err != nil {
		return nil, err
	}
	next := cur.clone()
	delete(next.byID, id)
	for _, k := range acc.APIKeys {
		delete(next.byKey, sha256.Sum256([]byte(k)))
	}
	next.order = filter(next.order, func(o *Account) bool { return o != acc })
	a.set.Store(next)
	return acc, nil
}

// credential says how a request authenticated.
type credential int

const (
	viaAPIKey credential = iota + 1
	viaBearer
)

// authenticate checks the Authorization header. Keys are found by their digest (see accountSet),
// so neither the answer's timing nor the log reveals which part of a wrong key was wrong.
func (a *authenticator) authenticate(h string) (*Account, credential, *apiError) {
	if h == "" {
		return nil, 0, unauthorized(`missing; send "ApiKey <key>" or "Bearer <token>"`)
	}
	scheme, value, ok := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !ok || value == "" {
		return nil, 0, unauthorized(`malformed; send "ApiKey <key>" or "Bearer <token>"`)
	}
	switch {
	case strings.EqualFold(scheme, "ApiKey"):
		found := a.set.Load().byKey[digest(value)]
		if found == nil {
			return nil, 0, unauthorized("the API key is not valid")
		}
		return found, viaAPIKey, nil
	case strings.EqualFold(scheme, "Bearer"):
		acc, err := a.parseBearer(value)
		if err != nil {
			return nil, 0, unauthorized("the Bearer token is not valid: " + err.Error())
		}
		return acc, viaBearer, nil
	default:
		// The detail names the rule only: what stands where the scheme should is often the key
		// itself, pasted without "ApiKey ", and an error body must not carry it back.
		return nil, 0, unauthorized(`the scheme must be "ApiKey" or "Bearer"; send "ApiKey <key>" or "Bearer <token>"`)
	}
}

// digest is the SHA-256 of an API key, hashed from a stack buffer when the key fits one (as the
// vendor's keys do) rather than from a []byte copy on the heap.
func digest(key string) [32]byte {
	var buf [128]byte
	if len(key) <= len(buf) {
		return sha256.Sum256(buf[:copy(buf[:], key)])
	}
	return sha256.Sum256([]byte(key))
}

type tokenClaims struct {
	Account string `json:"acc"`
	jwt.RegisteredClaims
}

func (a *authenticator) sign(claims tokenClaims) (string, error) {
	return a.signer.sign(claims)
}

// issueBearer makes a token that authenticates as acc for ttl.
func (a *authenticator) issueBearer(acc *Account, ttl time.Duration) (string, time.Time, error) {
	now := acc.state.clock.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	tok, err := a.sign(tokenClaims{Account: acc.ID, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Audience: jwt.ClaimStrings{bearerAud}, Subject: acc.ID,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}})
	return tok, exp, err
}

// issueSessionToken makes the short-lived token the Web SDK receives as its access token.
func (a *authenticator) issueSessionToken(acc *Account, sessionID string) (string, error) {
	now := acc.state.clock.Now().Truncate(time.Second)
	return a.sign(tokenClaims{Account: acc.ID, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: tokenIssuer, Audience: jwt.ClaimStrings{sessionAud}, Subject: sessionID,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
	}})
}

func (a *authenticator) parseBearer(raw string) (*Account, error) {
	var claims tokenClaims
	// A token expires by its account's clock. The parser decodes the claims before it asks for
	// the key and checks the expiry after the signature, so the key function finds the account
	// whose clock the expiry check then reads.
	set := a.set.Load()
	var acc *Account
	now := func() time.Time {
		if acc != nil {
			return acc.state.clock.Now()
		}
		return time.Time{}
	}
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		acc = set.byID[claims.Account]
		return a.tokenKey, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(now),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithAudience(bearerAud),
		jwt.WithExpirationRequired(),
	)
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			return nil, errors.New("expired")
		case errors.Is(err, jwt.ErrTokenMalformed):
			return nil, errors.New("malformed")
		default:
			return nil, errors.New("signature or claims rejected")
		}
	}
	if acc == nil {
		return nil, errors.New("unknown account")
	}
	return acc, nil
}

type ctxKey int

const (
	accountKey ctxKey = iota
	credentialKey
	requestIDKey
)

func withAccount(ctx context.Context, acc *Account, cred credential) context.Context {
	return context.WithValue(context.WithValue(ctx, accountKey, acc), credentialKey, cred)
}

// accountFrom returns the authenticated account; the auth middleware guarantees one on every
// operation but healthz.
func accountFrom(ctx context.Context) *Account {
	acc, _ := ctx.Value(accountKey).(*Account)
	return acc
}

func credentialFrom(ctx context.Context) credential {
	c, _ := ctx.Value(credentialKey).(credential)
	return c
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// requireAuth answers 401 unless the request carries valid credentials.
func (s *Server) requireAuth(rt apiRoute, next http.Handler) http.Handler {
	if rt.public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var acc *Account
		var cred credential
		var err *apiError
		if h := r.Header["Authorization"]; len(h) > 1 {
			// ASP.NET reads two headers as one value joined by a comma, which no key or token
			// is; taking either one would accept what production refuses.
			err = unauthorized(`given more than once; send one "ApiKey <key>" or "Bearer <token>"`)
		} else {
			acc, cred, err = s.auth.authenticate(r.Header.Get("Authorization"))
		}
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		// The request's exchange (see observe) carries the account to the handler and the
		// journal without another context and request copy.
		if ex := exchangeFrom(r.Context()); ex != nil {
			ex.acc, ex.cred = acc, cred
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(withAccount(r.Context(), acc, cred)))
	})
}

// tokenKeyFrom derives the token-signing key from the server's seeded randomness, so a seeded
// mock issues the same tokens on every run.
func tokenKeyFrom(r *ids) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(r.uint64())
	}
	return []byte(base64.RawStdEncoding.EncodeToString(b))
}
