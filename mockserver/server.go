package mockserver

import (
	"context"
	"fmt"
	"github.com/verifeye-twin/verifeye/signing"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxBodyBytes is the largest request body the mock reads (1 MiB); larger bodies answer 413.
const DefaultMaxBodyBytes = 1 << 20

// Options configure a Server. The zero value gives a working mock: one development account with
// DevAPIKey, the wall clock, seed 0, no logging.
type Options struct {
	// Accounts are the tenants and their API keys. Empty: one development account with DevAPIKey.
	Accounts []Account
	// Clock is the mock's time. Nil: a running clock that follows the wall clock.
	Clock *Clock
	// Seed makes ids, nonces, token keys and request ids reproducible: the same seed and the
	// same requests give the same answers.
	Seed uint64
	// Logger receives a line per request and the mock's warnings. Nil: nothing is logged. With
	// a handler of NewTextHandler or NewJSONHandler the line per request costs less.
	Logger *slog.Logger
	// Version is reported in the X-Verifeye-Mock header of every response.
	Version string
	// MaxBodyBytes limits request bodies. Zero: DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// AutoComplete names a subject preset that completes every hosted session at once (when no
	// subject is queued), so a browser or HTTP client is redirected straight through. Empty: the
	// hosted page shows its camera stand-in and waits.
	AutoComplete string
	// WebhookTimeout limits each webhook attempt. Zero: DefaultWebhookTimeout (5 s).
	WebhookTimeout time.Duration
	// ControlToken, when set, must be sent in the X-Mock-Control-Token header of every control
	// API call.
	ControlToken string
	// ControlHosts, when set, are the only host names (or IP addresses) a control API call's Host
	// header may name, with any port; another answers 403. Set it to LoopbackHosts(addr) when
	// the mock listens on a loopback address, so a web page that points its own domain name at
	// 127.0.0.1 (DNS rebinding) cannot reach the control API. Empty: any Host, as behind a port
	// map or a proxy. The Service API's routes accept any Host either way.
	ControlHosts []string
	// SeparateControl leaves the control API off the main handler; serve ControlHandler on a
	// listener of its own.
	SeparateControl bool
	// Strict refuses with 400 (or 404 for a path) what production accepts but the spec does not
	// spell: unknown JSON members; member names, enum values, query parameter names and paths in
	// another letter case; a path with a trailing slash; integers in strings; query values in
	// other forms (a uuid in braces, an integer with spaces). Off (the default),
	// the mock accepts them as production does and names them in X-Mock-Warning. On, a client is
	// held to the spec's exact spelling.
	Strict bool
	// StartState, when set, fills a new mock (and a mock after Reset) with data, typically
	// fixtures.Loader. An error from it fails New (and is returned by Reset). With a DataDir that
	// already holds a mock's state, New keeps that state instead. Its requests are neither
	// logged nor journaled: the caller logs what it loaded.
	StartState func(*Server) error
	// SigningVariant names the signing.Variant the mock signs and validates with (signature/create
	// and signature/validate, the hosted page's link check, the signed result redirect URL).
	// Empty: signing.DefaultVariant(). A name signing.VariantByName does not know fails New.
	SigningVariant string
	// DataDir, when set, keeps the state (accounts' verifications, sessions and results,
	// consumed nonces, face collections) in a bbolt database in this directory across restarts.
	// A write is acknowledged only once it is durable. Empty: state lives in memory only.
	DataDir string
	// WriteTimeout is the WriteTimeout of the http.Server that serves the mock: a response not
	// written by then is cut. A fault's latency must be shorter (AddFault refuses it otherwise),
	// and a request that runs past it is journaled and logged as cut, never as its status.
	// Zero: no limit is known (a response is still logged as cut when a write to the client
	// fails).
	WriteTimeout time.Duration
}

// Server is the stateful mock of the VerifEye Service API. It is an http.Handler; create it with
// New and serve it with any http.Server (or httptest.NewServer).
type Server struct {
	clock        *Clock
	log          *slog.Logger
	version      string
	ids          *ids
	requestIDs   *requestIDs
	faker        *subjectFaker
	auth         *authenticator
	store        *store
	webhooks     *webhooks
	sink         webhookSink // what POST /_mock/webhook-sink received (control_sink.go)
	journal      *journal
	faults       *faults
	subjects     subjectQueue  // the mock's queue, for the configured accounts
	aimed        aimedSubjects // subjects aimed at one verification each
	seed         uint64
	autoComplete string
	controlToken string
	controlHosts []string // Options.ControlHosts
	startState   func(*Server) error
	handler      http.Handler
	control      http.Handler
	strict       bool           // Options.Strict
	writeTimeout time.Duration  // Options.WriteTimeout
	signer       signing.Signer // Options.SigningVariant's
	mux          *http.ServeMux // every route, served once the path is normalised
	closeOnce    sync.Once
}

// New builds a Server from opts.
func New(opts Options) (*Server, error) {
	s := &Server{
		clock: opts.Clock, log: opts.Logger, version: opts.Version,
		ids: newIDs(opts.Seed, 0), requestIDs: newRequestIDs(opts.Seed, 0), faults: newFaults(opts.Seed),
		journal: newJournal(), autoComplete: opts.AutoComplete, controlToken: opts.ControlToken,
		controlHosts: slices.Clone(opts.ControlHosts), startState: opts.StartState, store: newStore(),
		strict: opts.Strict, seed: opts.Seed, writeTimeout: max(opts.WriteTimeout, 0),
	}
	if s.autoComplete != "" {
		if _, ok := Presets[s.autoComplete]; !ok {
			return nil, fmt.Errorf("auto-complete: %q is not a preset; use one of %s", s.autoComplete, strings.Join(PresetNames(), ", "))
		}
	}
	if opts.SigningVariant != "" {
		v, err := signing.VariantByName(opts.SigningVariant)
		if err != nil {
			return nil, fmt.Errorf("signing variant: %w", err)
		}
		s.signer = v.Signer()
	} else {
		s.signer = signing.DefaultVariant().Signer()
	}
	if s.clock == nil {
		s.clock = NewClock(nil)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler) // Enabled is false: log lines are not even built
	}
	if s.version == "" {
		s.version = "dev"
	}
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	accs, err := accountsWithDefaults(opts.Accounts)
	if err != nil {
		return nil, err
	}
	for _, acc := range accs {
		s.newAccountState(acc, false, "")
	}
	boot, tokenKey, err := s.openDataDir(opts.DataDir, opts.Seed)
	if err != nil {
		return nil, err
	}
	s.faker = newSubjectFaker(opts.Seed + boot*0x9E3779B97F4A7C15)
	if accs, err = s.loadTenants(accs); err == nil {
		s.auth, err = newAuthenticator(accs, tokenKey)
	}
	if err != nil {
		s.closeDisk()
		return nil, err
	}
	if s.handler, err = s.buildHandler(maxBody, !opts.SeparateControl); err != nil {
		s.closeDisk()
		return nil, err
	}
	s.webhooks = newWebhooks(opts.WebhookTimeout, s.accountNow, s.log)
	if s.startState != nil && boot == 0 {
		if err := s.loadStartState(); err != nil {
			s.Close()
			return nil, fmt.Errorf("start state: %w", err)
		}
	}
	return s, nil
}

// loadStartState runs Options.StartState. Its requests (sent with StartStateContext) are neither
// logged nor journaled: whoever loads it logs one line about what it loaded.
func (s *Server) loadStartState() error {
	return s.startState(s)
}

// startStateKey marks the context of a request that loads the start state.
type startStateKey struct{}

// StartStateContext marks ctx as loading the start state (Options.StartState): requests sent
// with it are not the users' traffic, so the mock neither logs nor journals them, while every
// other client's requests, during a Reset too, are logged and journaled as usual.
func StartStateContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, startStateKey{}, true)
}

// loadingStartState reports whether r loads the start state.
func loadingStartState(r *http.Request) bool {
	quiet, _ := r.Context().Value(startStateKey{}).(bool)
	return quiet
}

// accountsWithDefaults is accounts with their defaults filled in; none gives the development
// account.
func accountsWithDefaults(accounts []Account) ([]*Account, error) {
	if len(accounts) == 0 {
		accounts = []Account{{ID: DevAccountID, APIKeys: []string{DevAPIKey}}}
	}
	var accs []*Account
	for i, a := range accounts {
		a, err := a.withDefaults()
		if err != nil {
			return nil, fmt.Errorf("account %d: %w", i+1, err)
		}
		accs = append(accs, &a)
	}
	return accs, nil
}

// openDataDir opens the data directory dir (when set) and loads its state into the store. It
// returns how many times a mock has started on dir before (0 for a new or no directory; the ids
// of a later run then differ from an earlier one's) and the token-signing key, which a data
// directory keeps across restarts.
func (s *Server) openDataDir(dir string, seed uint64) (uint64, []byte, error) {
	tokenKey := tokenKeyFrom(s.ids)
	if dir == "" {
		return 0, tokenKey, nil
	}
	d, err := openDisk(dir)
	if err != nil {
		return 0, nil, err
	}
	var boot uint64
	err = guardBolt(d.db.Path(), func() error {
		if err := d.checkMeta(); err != nil { // boot reads the start count
			return err
		}
		var err error
		boot, tokenKey, err = d.boot(tokenKey)
		return err
	})
	if err == nil {
		err = d.loadChecked(s.store)
	}
	if err != nil {
		d.close()
		return 0, nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	s.store.disk = d
	if boot > 0 {
		s.ids = newIDs(seed, boot)
		s.requestIDs = newRequestIDs(seed, boot)
	}
	return boot, tokenKey, nil
}

// Close stops the webhook workers after the queued deliveries are made and closes the data
// directory. The Server must not be used afterwards. Shutdown bounds the wait.
func (s *Server) Close() { _ = s.Shutdown(context.Background()) }

// Shutdown stops the mock once the HTTP servers that serve it have shut down: the queued webhook
// deliveries are made until ctx ends; then the attempts in flight are cancelled, the deliveries
// left are dropped and counted in a WARN log line, and Shutdown returns an error wrapping
// ctx.Err() that says how many. It closes the data directory either way. The Server must not be
// used afterwards; a second call (or Close) does nothing.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		if n := s.webhooks.shutdown(ctx); n > 0 {
			s.log.Warn("shutdown: webhook deliveries dropped", slog.Int("dropped", n), slog.Any("reason", context.Cause(ctx)))
			err = fmt.Errorf("shutdown: %d webhook deliveries dropped: %w", n, ctx.Err())
		}
		s.closeDisk()
	})
	return err
}

func (s *Server) closeDisk() {
	if s.store.disk != nil {
		if err := s.store.disk.close(); err != nil {
			s.log.Error("close the data directory", "error", err)
		}
	}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Clock returns the mock's clock, to read or move its time. Every account's clock follows it,
// shifted by the account's own offset unless the account froze its clock.
func (s *Server) Clock() *Clock { return s.clock }

// now is the time of the request's account, or the mock's time when it has none.
func (s *Server) now(ctx context.Context) time.Time {
	if acc := accountFrom(ctx); acc != nil {
		return acc.state.clock.Now()
	}
	return s.clock.Now()
}

// accountNow is the time of the account id, or the mock's time for an unknown one.
func (s *Server) accountNow(id string) time.Time {
	if acc := s.auth.account(id); acc != nil {
		return acc.state.clock.Now()
	}
	return s.clock.Now()
}

// Accounts returns the mock's accounts with their defaults filled in: the configured accounts,
// then the tenants in creation order.
func (s *Server) Accounts() []Account {
	set := s.auth.set.Load()
	out := make([]Account, 0, len(set.order))
	for _, acc := range set.order {
		out = append(out, *acc)
	}
	return out
}

// exchange is the mock's state of one request as it passes the pipeline: the response writer
// that remembers the status for the log line, the request id, and the account requireAuth
// authenticated. It is the request's context too (the parent context with these values on top),
// so a request costs one allocation for all of them instead of a context per value.
type exchange struct {
	context.Context
	rec  statusRecorder
	body bodyRecorder
	id   string
	// path is a copy of the request's path for the journal, made with id in one allocation; ""
	// for a path longer than the journal keeps.
	path string
	// idHeader is the X-Request-Id header's value, id, without a slice of its own.
	idHeader [1]string
	acc      *Account
	cred     credential
	// detail and fields are the problem the request was answered with (writeProblem), or what
	// the hosted page told its visitor.
	detail string
	fields fieldErrors
}

// bodyRecorder keeps the first bodyLimit bytes the handler reads of the request body.
type bodyRecorder struct {
	io.ReadCloser
	got capture
}

func (b *bodyRecorder) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.got.write(p[:n])
	return n, err
}

// exchangeKey finds the *exchange in a request's context.
type exchangeKey struct{}

// Value answers the request id, the authenticated account and credential, and the exchange
// itself; everything else is the parent's.
func (e *exchange) Value(key any) any {
	switch key {
	case exchangeKey{}:
		return e
	case requestIDKey:
		return e.id
	case accountKey:
		if e.acc != nil {
			return e.acc
		}
	case credentialKey:
		if e.acc != nil {
			return e.cred
		}
	}
	return e.Context.Value(key)
}

func exchangeFrom(ctx context.Context) *exchange {
	e, _ := ctx.Value(exchangeKey{}).(*exchange)
	return e
}

// statusRecorder remembers the status a handler wrote, for the log line, and the first
// bodyLimit bytes of the body, for the journal.
type statusRecorder struct {
	http.ResponseWriter
	status int
	body   capture
	// err is the first write that failed: the response did not reach the client whole.
	err error
}

// WriteHeader passes on the first status only: a handler that fails to write a body (the
// client went away, or the write timeout passed) and then answers an error has nothing left to
// say, and net/http would only log the second call.
func (w *statusRecorder) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.write(b)
	n, err := w.ResponseWriter.Write(b)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// writeKept is Write for bytes that are never changed, which the journal keeps without a copy.
func (w *statusRecorder) writeKept(b []byte) error {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.keep(b)
	_, err := w.ResponseWriter.Write(b)
	if err != nil && w.err == nil {
		w.err = err
	}
	return err
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe gives every request an id, the X-Verifeye-Mock header and a log line (never with
// credentials), and turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) observe(next http.Handler) http.Handler {
	// One shared value slice: net/http only reads header values, and Set replaces them.
	mockHeader := []string{"verifeye-mock/" + s.version}
	mockHeader = mockHeader[:1:1]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ex := &exchange{Context: r.Context(), rec: statusRecorder{ResponseWriter: w}}
		ex.id, ex.path = s.requestIDs.nextWithPath(r.URL.Path)
		h := w.Header()
		h["X-Verifeye-Mock"] = mockHeader
		ex.idHeader[0] = ex.id
		h["X-Request-Id"] = ex.idHeader[:]
		// The recorder goes on a copy of the request: net/http looks at the body of its own to
		// decide, after the handler, whether to read what is left of it or close the connection
		// (as it must when a body over the limit was refused unread).
		r = r.WithContext(ex)
		if r.Body != nil && r.Body != http.NoBody {
			ex.body.ReadCloser = r.Body
			r.Body = &ex.body
		}
		arrived := s.clock.Now()
		defer s.finish(ex, r, start, arrived)
		next.ServeHTTP(&ex.rec, r)
	})
}

// finish ends a request: a panic becomes a 500, the request goes into the journal (control API
// calls excepted, but for deliveries to the webhook sink) and the log.
func (s *Server) finish(ex *exchange, r *http.Request, start, arrived time.Time) {
	if p := recover(); p != nil {
		if p == http.ErrAbortHandler {
			panic(p)
		}
		s.writeProblem(&ex.rec, r, fmt.Errorf("panic: %v", p))
	}
	end := time.Now() // the log line's time, as slog would read it a moment later
	elapsed := end.Sub(start)
	cut := s.cut(&ex.rec, elapsed)
	account := ""
	if ex.acc != nil {
		account = ex.acc.ID
		arrived = ex.acc.state.clock.at(arrived) // the account's time when the request arrived
	}
	warning := strings.Join(ex.rec.Header().Values("X-Mock-Warning"), "; ")
	quiet := loadingStartState(r)
	if (!strings.HasPrefix(r.URL.Path, "/_mock/") || isSinkDelivery(r)) && !quiet {
		rec := RequestRecord{
			Time: arrived, Method: r.Method, Path: r.URL.Path, Operation: operationIDs[r.Pattern],
			Status: ex.rec.status, DurationMS: float64(elapsed.Microseconds()) / 1000, Account: account,
			RequestID: ex.id, Detail: ex.detail, Errors: ex.fields, Warning: warning, Cut: cut,
		}
		if ex.path != "" && ex.path == rec.Path {
			rec.Path = ex.path
			s.journal.add(journalEntryOf(rec, ex.body.got, ex.rec.body))
		} else {
			s.journal.add(newJournalEntry(rec, ex.body.got, ex.rec.body))
		}
	}
	level, msg := slog.LevelInfo, "request"
	if cut {
		level, msg = slog.LevelWarn, "response cut"
	}
	if quiet || !s.log.Enabled(ex, level) {
		return
	}
	s.logRequest(ex, r, end, level, msg, elapsed, account, warning, cut)
}

// cut reports whether the response did not reach the client whole: a write to the client failed,
// or the request ran past the server's write timeout, whose deadline was set before the request
// reached the mock. A response small enough to sit in net/http's buffer is only written once the
// handler returns, so past the deadline it is flushed here, where its failure can still be seen
// (a response within the deadline is left to net/http, which then sets its Content-Length).
func (s *Server) cut(rec *statusRecorder, elapsed time.Duration) bool {
	if rec.err != nil {
		return true
	}
	if s.writeTimeout <= 0 || elapsed < s.writeTimeout {
		return false
	}
	if err := http.NewResponseController(rec).Flush(); err != nil {
		rec.err = err
		return true
	}
	return false
}

// requestIDs numbers requests with 16 lowercase hex digits that look random but follow from the
// seed: the same seed and the same requests, one after another, give the same ids in the
// X-Request-Id header and in problem bodies' traceId, so a test can compare whole answers. The
// n-th id is a bijective mix of the seed's key and n, so no two requests of a mock share one, and
// taking one costs an atomic add, not a lock.
type requestIDs struct {
	key uint64
	n   atomic.Uint64
}

// newRequestIDs returns the ids of a mock with seed; boot tells apart the runs of a mock
// restarted on the same data directory, as it does for newIDs.
func newRequestIDs(seed, boot uint64) *requestIDs {
	return &requestIDs{key: mix64(seed ^ mix64(boot^0x7265712d69647321))} // "req-ids!"
}

func (r *requestIDs) next() string {
	var b [16]byte
	r.put(&b)
	return string(b[:])
}

// put writes the next id into b.
func (r *requestIDs) put(b *[16]byte) {
	const digits = "0123456789abcdef"
	v := mix64(r.key + r.n.Add(1)*0x9E3779B97F4A7C15)
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
}

// nextWithPath is next and a copy of path, in one allocation: path is "" when it is longer
// than the journal keeps (journalText bytes), or empty.
func (r *requestIDs) nextWithPath(path string) (id, owned string) {
	if path == "" || len(path) > journalText {
		return r.next(), ""
	}
	var b [16]byte
	r.put(&b)
	var sb strings.Builder
	sb.Grow(len(b) + len(path))
	sb.Write(b[:])
	sb.WriteString(path)
	both := sb.String()
	return both[:len(b)], both[len(b):]
}

// mix64 is SplitMix64's finalizer: a bijection of the 64-bit integers that spreads every input
// bit over the output.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}
