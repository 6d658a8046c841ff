// Package verifeyetest runs the VerifEye mock inside Go tests, in the style of net/http/httptest:
// one call gives a test its own mock of the VerifEye Service API on its own port, with its own
// state, a ready client and typed methods for everything the mock's control API does.
//
//	func TestCheckoutRejectsMinors(t *testing.T) {
//		t.Parallel()
//		vf := verifeyetest.NewServer(t) // its own mock, closed when the test ends
//		app := checkout.New(vf.URL, vf.APIKey)
//
//		vf.QueuePreset("underage") // the next hosted link completes at once, with a 15-year-old
//		// ... drive app through the hosted flow with vf.HTTPClient() ...
//		vf.Advance(7*24*time.Hour + time.Second) // results expire: no sleeping
//		hooks := vf.Webhooks()                   // after the pending deliveries are made
//		// ...
//	}
//
// Every Server is deterministic unless asked otherwise: its clock is frozen at DefaultTime (move
// it with SetTime, Advance or Unfreeze; see WithTime and WithRunningClock), and its ids, nonces,
// tokens and simulated subjects come from seed 0 (see WithSeed). Parallel tests each get an
// isolated mock, so they never see one another's verifications, sessions or nonces.
//
// A Server made by NewServer reports a failed control call with t.Fatalf, so its methods return
// plain values. Start makes a Server for code without a testing.TB (TestMain, examples, a
// development program); its methods panic instead, and Close stops it.
//
// Anything not wrapped here is on the underlying mock, Server.Mock.
//
// Against a mock that runs outside the test, such as a CI service container several suites
// share, NewTenant gives the test an account of its own on it, with the same control methods
// (the Control interface) acting on that account alone, and deletes it when the test ends:
//
//	tn := verifeyetest.NewTenant(t, os.Getenv("VERIFEYE_MOCK_URL"))
//	app := checkout.New(tn.URL, tn.APIKey)
//	tn.Advance(time.Hour) // only this tenant's clock moves
package verifeyetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// DefaultTime is the instant a Server's clock stands still at unless WithTime or WithRunningClock
// say otherwise: 2026-01-01T00:00:00Z. Treat it as a constant.
var DefaultTime = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultWebhookWait bounds how long Webhooks waits for pending deliveries before it gives up and
// fails the test.
const DefaultWebhookWait = 30 * time.Second

// Server is a running VerifEye mock on a local port, with its own state. Create one with NewServer
// (in a test) or Start (elsewhere).
//
// The methods that the mock can refuse (QueueSubject, QueuePreset, Complete, CompletePreset,
// InjectFault, Reset, Webhooks, NewClient) fail the test, or panic for a Server from Start; call
// them from the test's goroutine, as t.Fatalf requires. The other methods cannot fail.
type Server struct {
	// URL is the mock's base URL, http://127.0.0.1:<port>, with no trailing slash: the VerifEye
	// base URL for the code under test.
	URL string
	// APIKey is the key Client authenticates with: the key given by WithAPIKey, else the first
	// key of the first account (mockserver.DevAPIKey by default).
	APIKey string
	// Client is a generated client of the mock, authenticated with APIKey.
	Client *generated.ClientWithResponses
	// Mock is the underlying mock, for anything this package does not wrap.
	Mock *mockserver.Server

	http      *httptest.Server
	tb        testing.TB // nil for a Server from Start
	closeOnce sync.Once
}

// config is what the options set.
type config struct {
	seed           uint64
	start          time.Time // zero: DefaultTime, or the wall clock when running
	running        bool
	apiKey         string
	accounts       []mockserver.Account
	autoComplete   string
	strict         bool
	signingVariant string
	webhookTimeout time.Duration
	logger         *slog.Logger
	mockOptions    []func(*mockserver.Options)
}

// Option configures a Server.
type Option func(*config)

// WithSeed makes ids, nonces, tokens and simulated subjects come from seed instead of 0. Two
// Servers with the same seed given the same requests answer the same.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// WithTime starts the clock frozen at t instead of DefaultTime (or, with WithRunningClock,
// running from t).
func WithTime(t time.Time) Option { return func(c *config) { c.start = t } }

// WithRunningClock lets the clock run with the wall clock (from the WithTime instant when given,
// else from now) instead of standing still. Tests that compare times then need tolerances; moving
// a frozen clock is usually the better tool.
func WithRunningClock() Option { return func(c *config) { c.running = true } }

// WithAPIKey sets the key Server.APIKey and Server.Client use. Without WithAccounts, the mock's
// one account gets this key instead of mockserver.DevAPIKey; with WithAccounts, it must be a key
// of one of those accounts.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithAccounts gives the mock these accounts (tenants) instead of the one development account.
// Each sees only its own data; use NewClient for a client of another account.
func WithAccounts(accounts ...mockserver.Account) Option {
	return func(c *config) { c.accounts = append([]mockserver.Account(nil), accounts...) }
}

// WithAutoComplete completes every hosted session at once with the named subject preset ("pass",
// "underage", ...; see mockserver.Presets) when no subject is queued, so opening a hosted link
// redirects straight to its result URL.
func WithAutoComplete(preset string) Option { return func(c *config) { c.autoComplete = preset } }

// WithStrict refuses, with 400 (404 for a path), what production accepts but the spec does not
// spell: unknown JSON fields, names, enum values and paths in another letter case, a trailing
// slash, integers in strings, query values in other forms (see mockserver.Options.Strict). Use it to hold the code under test
// to the spec's exact spelling; without it such requests pass, as they do in production, with an
// X-Mock-Warning header.
func WithStrict() Option { return func(c *config) { c.strict = true } }

// WithSigningVariant makes the mock sign and validate with the named signing variant (see
// signing.Variants); an unknown name fails New and Start.
func WithSigningVariant(name string) Option { return func(c *config) { c.signingVariant = name } }

// WithWebhookTimeout limits each webhook delivery attempt to d instead of
// mockserver.DefaultWebhookTimeout (5 s), so tests of slow receivers finish quickly.
func WithWebhookTimeout(d time.Duration) Option { return func(c *config) { c.webhookTimeout = d } }

// WithLogger sends the mock's request lines and warnings to logger (nothing is logged by
// default). slog.New(slog.NewTextHandler(t.Output(), nil)) puts them in the test's output.
func WithLogger(logger *slog.Logger) Option { return func(c *config) { c.logger = logger } }

// WithMockOptions changes the mockserver.Options the Server is built with, after every other
// option has been applied: the way to reach a setting this package has no option for.
func WithMockOptions(f func(*mockserver.Options)) Option {
	return func(c *config) { c.mockOptions = append(c.mockOptions, f) }
}

// NewServer starts a mock for the test and stops it when the test and its subtests end
// (t.Cleanup). It fails the test if the options are invalid. The Server's methods report errors
// through t.Fatalf.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("verifeyetest: %v", err)
	}
	s.tb = t
	t.Cleanup(s.Close)
	return s
}

// Start starts a mock outside a test, for TestMain, examples or a development program. The
// caller must Close it. The Server's methods panic where a Server from NewServer would fail the
// test.
func Start(opts ...Option) (*Server, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	accounts := c.accounts
	switch {
	case len(accounts) == 0 && c.apiKey != "":
		accounts = []mockserver.Account{{ID: mockserver.DevAccountID, APIKeys: []string{c.apiKey}}}
	case len(accounts) == 0:
		accounts = []mockserver.Account{{ID: mockserver.DevAccountID, APIKeys: []string{mockserver.DevAPIKey}}}
	}
	key := c.apiKey
	if key == "" {
		if len(accounts[0].APIKeys) == 0 {
			return nil, errors.New("account 1 has no API key")
		}
		key = accounts[0].APIKeys[0]
	} else if !slices.ContainsFunc(accounts, func(a mockserver.Account) bool { return slices.Contains(a.APIKeys, key) }) {
		return nil, errors.New("WithAPIKey: the key belongs to none of the WithAccounts accounts")
	}

	var clock *mockserver.Clock
	switch {
	case c.running && c.start.IsZero():
		clock = mockserver.NewClock(nil)
	case c.running:
		clock = mockserver.NewClock(nil)
		if err := clock.Set(c.start); err != nil {
			return nil, fmt.Errorf("WithTime: %w", err)
		}
	case c.start.IsZero():
		clock = mockserver.NewFrozenClock(DefaultTime)
	case outsideClockRange(c.start):
		earliest, latest := mockserver.ClockRange()
		return nil, fmt.Errorf("WithTime: %v is outside the clock's range, %v to %v", c.start, earliest, latest)
	default:
		clock = mockserver.NewFrozenClock(c.start)
	}

	mo := mockserver.Options{
		Accounts:       accounts,
		Clock:          clock,
		Seed:           c.seed,
		Logger:         c.logger,
		Version:        "verifeyetest",
		AutoComplete:   c.autoComplete,
		Strict:         c.strict,
		SigningVariant: c.signingVariant,
		WebhookTimeout: c.webhookTimeout,
		// httptest listens on loopback: the control API answers only calls naming it.
		ControlHosts: mockserver.LoopbackHosts("127.0.0.1"),
	}
	for _, f := range c.mockOptions {
		f(&mo)
	}
	mock, err := mockserver.New(mo)
	if err != nil {
		return nil, err
	}
	hs := httptest.NewServer(mock)
	s := &Server{URL: hs.URL, APIKey: key, Mock: mock, http: hs}
	if s.Client, err = s.newClient(key); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops the server: it shuts the listener, waits for requests in flight, then lets the mock
// finish its queued webhook deliveries. A closed Server's URL refuses connections. Close may be
// called more than once; NewServer calls it when the test ends.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.http.Close()
		s.Mock.Close()
	})
}

// NewClient returns a generated client of the mock authenticated with apiKey, such as a key of
// another account given by WithAccounts.
func (s *Server) NewClient(apiKey string) *generated.ClientWithResponses {
	s.helper()
	c, err := s.newClient(apiKey)
	if err != nil {
		s.fatalf("new client: %v", err)
	}
	return c
}

func (s *Server) newClient(apiKey string) (*generated.ClientWithResponses, error) {
	return generated.NewClientWithResponses(s.URL,
		generated.WithHTTPClient(s.http.Client()),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "ApiKey "+apiKey)
			return nil
		}))
}

// HTTPClient returns an HTTP client of the mock that does not follow redirects, for hosted-flow
// tests: the hosted page answers 303 with the result URL in Location, which points at the
// caller's own site rather than at the mock.
func (s *Server) HTTPClient() *http.Client {
	c := *s.http.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// HostedURL returns the address of the hosted verification page for a verification and a
// (signed) query string, as production's https://verifeye-service-<region>.realeyes.ai/verification/...
// links are built. An empty query gives the bare page address.
func (s *Server) HostedURL(verificationID uuid.UUID, signedQuery string) string {
	return hostedURL(s.URL, verificationID, signedQuery)
}

// helper marks the caller as a test helper.
func (s *Server) helper() {
	if s.tb != nil {
		s.tb.Helper()
	}
}

// fatalf fails the test, or panics for a Server from Start.
func (s *Server) fatalf(format string, args ...any) {
	if s.tb != nil {
		s.tb.Helper()
		s.tb.Fatalf("verifeyetest: "+format, args...)
		return
	}
	panic(fmt.Sprintf("verifeyetest: "+format, args...))
}

// --- clock

// Now returns the mock's current time (UTC).
func (s *Server) Now() time.Time { return s.Mock.Clock().Now() }

// Frozen reports whether the mock's clock stands still.
func (s *Server) Frozen() bool { return s.Mock.Clock().Frozen() }

// SetTime moves the mock's clock to t; a running clock keeps running from there. It fails the
// test if t is outside mockserver.ClockRange.
func (s *Server) SetTime(t time.Time) {
	s.helper()
	if _, err := s.Mock.ChangeClock(mockserver.ClockChange{Set: &t}); err != nil {
		s.fatalf("SetTime: %v", err)
	}
}

// Advance moves the mock's clock forward by d (backward when d is negative): links, nonces,
// tokens and session results expire as if d had passed. It fails the test if the result is
// outside mockserver.ClockRange.
func (s *Server) Advance(d time.Duration) {
	s.helper()
	md := mockserver.Duration(d)
	if _, err := s.Mock.ChangeClock(mockserver.ClockChange{Advance: &md}); err != nil {
		s.fatalf("Advance: %v", err)
	}
}

// Freeze stops the mock's clock at its current time.
func (s *Server) Freeze() { s.freeze(true) }

// Unfreeze lets the mock's clock run on, with the wall clock, from the time it shows.
func (s *Server) Unfreeze() { s.freeze(false) }

func (s *Server) freeze(on bool) { _, _ = s.Mock.ChangeClock(mockserver.ClockChange{Freeze: &on}) }

// --- subjects and sessions

// QueueSubject queues simulated subjects for the next hosted sessions, first in first out: a
// hosted link opened while a subject is queued completes at once and redirects. It fails the
// test if a spec names an unknown preset or an impossible field value.
func (s *Server) QueueSubject(specs ...mockserver.SubjectSpec) {
	s.helper()
	if err := s.Mock.QueueSubjects(specs...); err != nil {
		s.fatalf("queue subjects: %v", err)
	}
}

// QueuePreset queues one subject per preset name ("pass", "underage", "spoof", "noFace",
// "multipleFaces"), like QueueSubject.
func (s *Server) QueuePreset(names ...string) {
	s.helper()
	s.QueueSubject(presets(names)...)
}

// AimSubject queues subjects for the next hosted sessions of one verification only: no other
// verification's session takes them, and they come before the queue. It fails the test if the
// verification is unknown or a spec is invalid.
func (s *Server) AimSubject(verificationID uuid.UUID, specs ...mockserver.SubjectSpec) {
	s.helper()
	if err := s.Mock.Global().AimSubjects(verificationID, specs...); err != nil {
		s.fatalf("aim subjects: %v", err)
	}
}

// QueuedSubjects returns the subjects waiting for hosted sessions.
func (s *Server) QueuedSubjects() []mockserver.SubjectSpec { return s.Mock.QueuedSubjects() }

// ClearSubjects empties the subject queue.
func (s *Server) ClearSubjects() { s.Mock.ClearSubjects() }

// Complete finishes a pending session (from create-session or a hosted link) with the subject
// spec describes, and returns its result and redirect URL. The webhook, if configured, follows in
// the background (see Webhooks). It fails the test if the session is unknown or already
// completed, or the spec is invalid.
func (s *Server) Complete(sessionID uuid.UUID, spec mockserver.SubjectSpec) mockserver.Completion {
	s.helper()
	done, err := s.Mock.CompleteSession(sessionID, spec)
	if err != nil {
		s.fatalf("complete session: %v", err)
	}
	return done
}

// CompletePreset finishes a pending session with a subject preset, like Complete.
func (s *Server) CompletePreset(sessionID uuid.UUID, preset string) mockserver.Completion {
	s.helper()
	return s.Complete(sessionID, mockserver.SubjectSpec{Preset: preset})
}

// --- webhooks, journal, collections

// Webhooks waits until no webhook delivery is pending (at most DefaultWebhookWait, then it fails
// the test) and returns every recorded delivery attempt, oldest first.
func (s *Server) Webhooks() []mockserver.WebhookAttempt {
	s.helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultWebhookWait)
	defer cancel()
	if err := s.Mock.WaitWebhooks(ctx); err != nil {
		s.fatalf("webhooks still pending after %s: %v", DefaultWebhookWait, err)
	}
	return s.Mock.Webhooks()
}

// Requests returns the journal of API and hosted-page requests the mock served, oldest first
// (the last 1000); control calls are not in it.
func (s *Server) Requests() []mockserver.RequestRecord { return s.Mock.Requests() }

// FaceCollections returns a snapshot of every account's face collections.
func (s *Server) FaceCollections() []mockserver.FaceCollection { return s.Mock.FaceCollections() }

// --- faults

// InjectFault makes an operation misbehave as f describes (a forced status, latency, or both,
// for the next f.Count calls or a fraction of calls). It fails the test if f is invalid.
func (s *Server) InjectFault(f mockserver.Fault) {
	s.helper()
	if err := s.Mock.AddFault(f); err != nil {
		s.fatalf("inject fault: %v", err)
	}
}

// Faults returns the active faults.
func (s *Server) Faults() []mockserver.Fault { return s.Mock.Faults() }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.Mock.ClearFaults() }

// --- reset

// Reset brings the mock back to its start state: no verifications, sessions, nonces, face
// collections, queued subjects, faults, recorded webhooks or journal entries. The accounts, the
// clock and the seeded randomness carry on; a test that shares one Server between subtests calls
// it between them.
func (s *Server) Reset() {
	s.helper()
	if err := s.Mock.Reset(); err != nil {
		s.fatalf("reset: %v", err)
	}
}

// outsideClockRange reports whether t is outside mockserver.ClockRange.
func outsideClockRange(t time.Time) bool {
	earliest, latest := mockserver.ClockRange()
	return t.Before(earliest) || t.After(latest)
}
