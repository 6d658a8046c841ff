package verifeyetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Control is what a test can make the mock do: the typed control methods that both a Server (a
// mock of the test's own) and a Tenant (an account of the test's own on a shared mock) offer.
// Code written against Control runs against either.
type Control interface {
	Now() time.Time
	Frozen() bool
	SetTime(t time.Time)
	Advance(d time.Duration)
	Freeze()
	Unfreeze()
	QueueSubject(specs ...mockserver.SubjectSpec)
	QueuePreset(names ...string)
	AimSubject(verificationID uuid.UUID, specs ...mockserver.SubjectSpec)
	QueuedSubjects() []mockserver.SubjectSpec
	ClearSubjects()
	Complete(sessionID uuid.UUID, spec mockserver.SubjectSpec) mockserver.Completion
	CompletePreset(sessionID uuid.UUID, preset string) mockserver.Completion
	Webhooks() []mockserver.WebhookAttempt
	Requests() []mockserver.RequestRecord
	FaceCollections() []mockserver.FaceCollection
	InjectFault(f mockserver.Fault)
	Faults() []mockserver.Fault
	ClearFaults()
	Reset()
	NewClient(apiKey string) *generated.ClientWithResponses
	HTTPClient() *http.Client
	HostedURL(verificationID uuid.UUID, signedQuery string) string
}

var (
	_ Control = (*Server)(nil)
	_ Control = (*Tenant)(nil)
)

// Tenant is a test's own account on a mock that is already running, such as a CI service
// container that several test suites share: its own verifications, sessions, clock, subject
// queue, faults, journal and webhook log, which no other tenant sees or moves. Create one with
// NewTenant; it is deleted, with everything it owns, when the test ends.
//
// Its methods are those of Server, made through the mock's control API with the tenant's
// credentials, so they act on the tenant alone: Advance moves only the tenant's clock, Reset
// forgets only its data. They fail the test when the mock refuses or cannot be reached; call them
// from the test's goroutine, as t.Fatalf requires.
type Tenant struct {
	// URL is the mock's base URL, with no trailing slash: the VerifEye base URL for the code
	// under test.
	URL string
	// AccountID is the tenant's account id, as the mock's journal and logs name it.
	AccountID string
	// APIKey is the tenant's key: the key for the code under test.
	APIKey string
	// Client is a generated client of the mock, authenticated with APIKey.
	Client *generated.ClientWithResponses

	tb           testing.TB
	http         *http.Client
	controlToken string
}

// TenantOption configures NewTenant.
type TenantOption func(*tenantConfig)

type tenantConfig struct {
	name, controlToken string
	http               *http.Client
}

// WithControlToken sends token as X-Mock-Control-Token, for a mock started with
// --control-token.
func WithControlToken(token string) TenantOption {
	return func(c *tenantConfig) { c.controlToken = token }
}

// WithTenantName names the tenant in the mock's tenant list; the test's name by default.
func WithTenantName(name string) TenantOption { return func(c *tenantConfig) { c.name = name } }

// WithHTTPClient sends the tenant's requests with client instead of http.DefaultClient.
func WithHTTPClient(client *http.Client) TenantOption {
	return func(c *tenantConfig) { c.http = client }
}

// NewTenant creates a tenant for the test on the mock at baseURL and deletes it, with
// everything it owns, when the test and its subtests end (t.Cleanup). It fails the test when the
// mock cannot be reached or refuses. Parallel tests each create their own and never see one
// another's state.
func NewTenant(t testing.TB, baseURL string, opts ...TenantOption) *Tenant {
	t.Helper()
	c := tenantConfig{http: http.DefaultClient}
	for _, o := range opts {
		o(&c)
	}
	if c.name == "" {
		c.name = t.Name()
	}
	tn := &Tenant{URL: strings.TrimRight(baseURL, "/"), tb: t, http: c.http, controlToken: c.controlToken}
	body, _ := json.Marshal(map[string]string{"name": c.name})
	var created mockserver.Tenant
	if err := tn.control(http.MethodPost, "tenants", body, &created); err != nil {
		t.Fatalf("verifeyetest: create a tenant on %s: %v", baseURL, err)
	}
	tn.AccountID, tn.APIKey = created.AccountID, created.APIKey
	t.Cleanup(func() {
		if err := tn.control(http.MethodDelete, "tenants/"+url.PathEscape(tn.AccountID), nil, nil); err != nil {
			t.Errorf("verifeyetest: delete tenant %s: %v", tn.AccountID, err)
		}
	})
	tn.Client = tn.NewClient(tn.APIKey)
	return tn
}

// control makes a control call as the tenant and decodes a 2xx answer into out (when not nil).
func (tn *Tenant) control(method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, tn.URL+"/_mock/"+path, rd)
	if err != nil {
		return err
	}
	if body != nil || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json") // the control API requires it on a change
	}
	if tn.controlToken != "" {
		req.Header.Set(mockserver.ControlTokenHeader, tn.controlToken)
	}
	if tn.APIKey != "" {
		req.Header.Set("Authorization", "ApiKey "+tn.APIKey)
	}
	resp, err := tn.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s /_mock/%s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// must makes a control call and fails the test when it fails.
func (tn *Tenant) must(method, path string, in, out any) {
	tn.tb.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			tn.tb.Fatalf("verifeyetest: %v", err)
		}
	}
	if err := tn.control(method, path, body, out); err != nil {
		tn.tb.Fatalf("verifeyetest: tenant %s: %v", tn.AccountID, err)
	}
}

// --- clock

func (tn *Tenant) clock() mockserver.ClockState {
	tn.tb.Helper()
	var st mockserver.ClockState
	tn.must(http.MethodGet, "clock", nil, &st)
	return st
}

// Now returns the tenant's current time (UTC).
func (tn *Tenant) Now() time.Time { tn.tb.Helper(); return tn.clock().Now }

// Frozen reports whether the tenant's clock stands still (it does while the mock's does).
func (tn *Tenant) Frozen() bool { tn.tb.Helper(); return tn.clock().Frozen }

// SetTime moves the tenant's clock to t.
func (tn *Tenant) SetTime(t time.Time) {
	tn.tb.Helper()
	tn.must(http.MethodPost, "clock", mockserver.ClockChange{Set: &t}, nil)
}

// Advance moves the tenant's clock forward by d (backward when d is negative): its links,
// nonces, tokens and session results expire as if d had passed; no other account's do.
func (tn *Tenant) Advance(d time.Duration) {
	tn.tb.Helper()
	md := mockserver.Duration(d)
	tn.must(http.MethodPost, "clock", mockserver.ClockChange{Advance: &md}, nil)
}

// Freeze stops the tenant's clock at its current time.
func (tn *Tenant) Freeze() { tn.tb.Helper(); tn.freeze(true) }

// Unfreeze lets the tenant's clock follow the mock's again, from the time it shows.
func (tn *Tenant) Unfreeze() { tn.tb.Helper(); tn.freeze(false) }

func (tn *Tenant) freeze(on bool) {
	tn.tb.Helper()
	tn.must(http.MethodPost, "clock", mockserver.ClockChange{Freeze: &on}, nil)
}

// --- subjects and sessions

// QueueSubject queues subjects for the tenant's next hosted sessions, first in first out.
func (tn *Tenant) QueueSubject(specs ...mockserver.SubjectSpec) {
	tn.tb.Helper()
	tn.must(http.MethodPost, "subjects", specs, nil)
}

// QueuePreset queues one subject per preset name, like QueueSubject.
func (tn *Tenant) QueuePreset(names ...string) {
	tn.tb.Helper()
	tn.QueueSubject(presets(names)...)
}

// AimSubject queues subjects for the next hosted sessions of one of the tenant's verifications
// only.
func (tn *Tenant) AimSubject(verificationID uuid.UUID, specs ...mockserver.SubjectSpec) {
	tn.tb.Helper()
	id := verificationID.String()
	aimed := make([]mockserver.QueuedSubject, len(specs))
	for i, sp := range specs {
		aimed[i] = mockserver.QueuedSubject{Preset: sp.Preset, Subject: sp.Subject, VerificationID: &id}
	}
	tn.must(http.MethodPost, "subjects", aimed, nil)
}

// QueuedSubjects returns the subjects waiting in the tenant's queue.
func (tn *Tenant) QueuedSubjects() []mockserver.SubjectSpec {
	tn.tb.Helper()
	var q struct {
		Queued []mockserver.SubjectSpec `json:"queued"`
	}
	tn.must(http.MethodGet, "subjects", nil, &q)
	return q.Queued
}

// ClearSubjects empties the tenant's queue and forgets the subjects aimed at its verifications.
func (tn *Tenant) ClearSubjects() { tn.tb.Helper(); tn.must(http.MethodDelete, "subjects", nil, nil) }

// Complete finishes one of the tenant's pending sessions with the subject spec describes.
func (tn *Tenant) Complete(sessionID uuid.UUID, spec mockserver.SubjectSpec) mockserver.Completion {
	tn.tb.Helper()
	var done mockserver.Completion
	tn.must(http.MethodPost, "sessions/"+sessionID.String()+"/complete", spec, &done)
	return done
}

// CompletePreset finishes one of the tenant's pending sessions with a subject preset.
func (tn *Tenant) CompletePreset(sessionID uuid.UUID, preset string) mockserver.Completion {
	tn.tb.Helper()
	return tn.Complete(sessionID, mockserver.SubjectSpec{Preset: preset})
}

// --- webhooks, journal, collections

// Webhooks waits until no webhook delivery is pending (up to 30 s) and returns the tenant's
// recorded delivery attempts, oldest first.
func (tn *Tenant) Webhooks() []mockserver.WebhookAttempt {
	tn.tb.Helper()
	var out struct {
		Attempts []mockserver.WebhookAttempt `json:"attempts"`
	}
	tn.must(http.MethodGet, "webhooks?wait=true", nil, &out)
	return out.Attempts
}

// Requests returns the tenant's journal: its API requests and the hosted-page requests for its
// verifications, oldest first.
func (tn *Tenant) Requests() []mockserver.RequestRecord {
	tn.tb.Helper()
	var out struct {
		Requests []mockserver.RequestRecord `json:"requests"`
	}
	tn.must(http.MethodGet, "requests", nil, &out)
	return out.Requests
}

// FaceCollections returns a snapshot of the tenant's face collections.
func (tn *Tenant) FaceCollections() []mockserver.FaceCollection {
	tn.tb.Helper()
	var out struct {
		Collections []mockserver.FaceCollection `json:"collections"`
	}
	tn.must(http.MethodGet, "collections", nil, &out)
	return out.Collections
}

// --- faults

// InjectFault makes an operation misbehave for the tenant's calls only. getHealth, which takes
// no credentials, is no tenant's: the mock refuses it here, and the test fails. Fault it with a
// fault of the whole mock (POST /_mock/faults without credentials) that asks for requestHeaders
// only your calls carry.
func (tn *Tenant) InjectFault(f mockserver.Fault) {
	tn.tb.Helper()
	tn.must(http.MethodPost, "faults", f, nil)
}

// Faults returns the tenant's active faults.
func (tn *Tenant) Faults() []mockserver.Fault {
	tn.tb.Helper()
	var out struct {
		Faults []mockserver.Fault `json:"faults"`
	}
	tn.must(http.MethodGet, "faults", nil, &out)
	return out.Faults
}

// ClearFaults removes the tenant's faults.
func (tn *Tenant) ClearFaults() { tn.tb.Helper(); tn.must(http.MethodDelete, "faults", nil, nil) }

// Reset forgets the tenant's verifications, sessions, nonces, face collections, queued subjects,
// faults, journal entries and webhook attempts; its key and clock stay.
func (tn *Tenant) Reset() { tn.tb.Helper(); tn.must(http.MethodPost, "reset", nil, nil) }

// --- clients

// NewClient returns a generated client of the mock authenticated with apiKey.
func (tn *Tenant) NewClient(apiKey string) *generated.ClientWithResponses {
	tn.tb.Helper()
	c, err := generated.NewClientWithResponses(tn.URL, generated.WithHTTPClient(tn.http),
		generated.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "ApiKey "+apiKey)
			return nil
		}))
	if err != nil {
		tn.tb.Fatalf("verifeyetest: new client: %v", err)
	}
	return c
}

// HTTPClient returns an HTTP client that does not follow redirects, for hosted-flow tests.
func (tn *Tenant) HTTPClient() *http.Client {
	c := *tn.http
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// HostedURL returns the address of the hosted verification page for a verification and a
// (signed) query string.
func (tn *Tenant) HostedURL(verificationID uuid.UUID, signedQuery string) string {
	return hostedURL(tn.URL, verificationID, signedQuery)
}

func presets(names []string) []mockserver.SubjectSpec {
	specs := make([]mockserver.SubjectSpec, len(names))
	for i, n := range names {
		specs[i] = mockserver.SubjectSpec{Preset: n}
	}
	return specs
}

func hostedURL(base string, verificationID uuid.UUID, signedQuery string) string {
	u := base + "/verification/" + verificationID.String()
	if signedQuery != "" {
		u += "?" + signedQuery
	}
	return u
}
