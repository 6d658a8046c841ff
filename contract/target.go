package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// The live Service API in each region.
const (
	EUBaseURL = "https://verifeye-service-api-eu.realeyes.ai"
	USBaseURL = "https://verifeye-service-api-us.realeyes.ai"
)

// Target is what the suite runs against.
type Target struct {
	// Name is how reports name the target: "mock", "eu", "us" or the URL.
	Name string
	// BaseURL is the Service API's address, without a trailing slash.
	BaseURL string
	// APIKey authenticates the run. It is a secret: no output of the suite shows it.
	APIKey string
	// APIKeyB authenticates as a second account, for the scenarios that check one account
	// cannot reach another's data; empty skips them. A secret like APIKey.
	APIKeyB string
	// BearerToken is a token obtained from the Security API elsewhere, sent as
	// "Authorization: Bearer <token>" by the scenarios about Bearer authentication. A secret.
	BearerToken string
	// TokenURL is the Security API's token endpoint (such as
	// https://security-api-eu.realeyes.ai/v1/token/get), where the run obtains a Bearer token
	// with its API key when BearerToken is empty. Empty: the target's own /v1/token/get when it
	// is a mock; against production the Bearer scenarios are then skipped.
	TokenURL string
	// Live marks production: only read-only scenarios run unless the options allow more.
	Live bool
	// Control is the mock's control API; nil for production or a server without one.
	Control *Control
	// Transport sends the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// secret is a value no output of the run may show, and what shows in its place.
type secret struct{ value, placeholder string }

func (t Target) secrets() []secret {
	var out []secret
	for _, s := range []secret{{t.APIKey, "[redacted api key]"}, {t.APIKeyB, "[redacted api key b]"}, {t.BearerToken, "[redacted token]"}} {
		if s.value != "" {
			out = append(out, s)
		}
	}
	return out
}

// LiveTarget returns the target for the live API in region "eu" or "us".
func LiveTarget(region, apiKey string) (Target, error) {
	switch strings.ToLower(region) {
	case "eu":
		return Target{Name: "eu", BaseURL: EUBaseURL, APIKey: apiKey, Live: true}, nil
	case "us":
		return Target{Name: "us", BaseURL: USBaseURL, APIKey: apiKey, Live: true}, nil
	}
	return Target{}, fmt.Errorf("region must be eu or us (got %q)", region)
}

// URLTarget returns the target for a server at baseURL, with its control API when one answers
// there (GET /_mock/clock); controlToken is sent to it when not empty.
func URLTarget(ctx context.Context, baseURL, apiKey, controlToken string) Target {
	baseURL = strings.TrimRight(baseURL, "/")
	t := Target{Name: baseURL, BaseURL: baseURL, APIKey: apiKey}
	c := &Control{BaseURL: baseURL, Token: controlToken}
	if c.Available(ctx) {
		t.Control = c
	}
	return t
}

// Control is a client of the mock's control API (see docs/control-api.md).
type Control struct {
	// BaseURL is the mock's address (the control API is under /_mock/).
	BaseURL string
	// Token is sent as X-Mock-Control-Token when not empty.
	Token string
	// APIKey, when set, is sent as "Authorization: ApiKey <key>", so that every call acts on
	// that account alone (its own clock, subjects, faults); Run sets it to the run's key. A
	// secret, like Target.APIKey.
	APIKey string
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client

	mu       sync.Mutex
	advanced time.Duration // how far Advance has moved the account's clock in all
}

func (c *Control) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+"/_mock/"+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("X-Mock-Control-Token", c.Token)
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "ApiKey "+c.APIKey)
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &ControlError{Method: method, Path: "/_mock/" + path, Status: resp.StatusCode, Body: snippet(data)}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Available reports whether the control API answers.
func (c *Control) Available(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var st struct {
		Now *time.Time `json:"now"`
	}
	return c.do(ctx, http.MethodGet, "clock", nil, &st) == nil && st.Now != nil
}

// Now reads the clock: the account's (see APIKey), else the mock's.
func (c *Control) Now(ctx context.Context) (time.Time, error) {
	var st struct {
		Now time.Time `json:"now"`
	}
	err := c.do(ctx, http.MethodGet, "clock", nil, &st)
	return st.Now, err
}

// ControlError is a control call the mock refused.
type ControlError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// Advance moves the clock forward by d: the account's (see APIKey), else the mock's.
func (c *Control) Advance(ctx context.Context, d time.Duration) error {
	if err := c.do(ctx, http.MethodPost, "clock", map[string]string{"advance": d.String()}, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.advanced += d
	c.mu.Unlock()
	return nil
}

// RestoreClock moves the clock back by as much as Advance has moved it, so a run leaves the
// clock where it found it.
func (c *Control) RestoreClock(ctx context.Context) error {
	c.mu.Lock()
	d := c.advanced
	c.mu.Unlock()
	if d == 0 {
		return nil
	}
	return c.Advance(ctx, -d)
}

// Tenant is an account the run created on the mock for itself (see CreateTenant).
type Tenant struct {
	AccountID string `json:"accountId"`
	APIKey    string `json:"apiKey"`
}

// CreateTenant creates an account of the run's own on the mock. A mock without tenants answers
// an error that is a *ControlError with Status 404.
func (c *Control) CreateTenant(ctx context.Context, name string) (Tenant, error) {
	var tn Tenant
	err := c.do(ctx, http.MethodPost, "tenants", map[string]string{"name": name}, &tn)
	return tn, err
}

// DeleteTenant deletes a tenant with everything it owns.
func (c *Control) DeleteTenant(ctx context.Context, accountID string) error {
	return c.do(ctx, http.MethodDelete, "tenants/"+url.PathEscape(accountID), nil, nil)
}

// Complete completes a session with a subject preset and returns the raw stored result and the
// redirect URL.
func (c *Control) Complete(ctx context.Context, session uuid.UUID, preset string) (map[string]any, string, error) {
	var out struct {
		Result      map[string]any `json:"result"`
		RedirectURL string         `json:"redirectUrl"`
	}
	err := c.do(ctx, http.MethodPost, "sessions/"+session.String()+"/complete", map[string]string{"preset": preset}, &out)
	return out.Result, out.RedirectURL, err
}

// QueueSubject queues a subject preset for the next hosted session.
func (c *Control) QueueSubject(ctx context.Context, preset string) error {
	return c.do(ctx, http.MethodPost, "subjects", map[string]string{"preset": preset}, nil)
}

// AddFault makes the next call of operation (an operationId) answer status with a problem body,
// for the control API's account only.
func (c *Control) AddFault(ctx context.Context, operation string, status int) error {
	_, err := c.AddFaultFor(ctx, operation, status, nil)
	return err
}

// AddFaultFor is AddFault for the next call that carries every one of requestHeaders with that
// value only (none: the next call); other calls leave the fault to it. With a Control without
// an APIKey, whose faults apply to every account's calls, that keeps other suites sharing the
// mock from taking the fault. It returns the fault's id, for RemoveFault.
func (c *Control) AddFaultFor(ctx context.Context, operation string, status int, requestHeaders map[string]string) (uint64, error) {
	f := map[string]any{"operation": operation, "status": status, "count": 1}
	if len(requestHeaders) > 0 {
		f["requestHeaders"] = requestHeaders
	}
	var added struct {
		ID uint64 `json:"id"`
	}
	err := c.do(ctx, http.MethodPost, "faults", f, &added)
	return added.ID, err
}

// RemoveFault removes the fault with this id, if it is still there (a used-up fault is gone
// already): the others, this run's or anyone's, stay.
func (c *Control) RemoveFault(ctx context.Context, id uint64) error {
	err := c.do(ctx, http.MethodDelete, "faults/"+strconv.FormatUint(id, 10), nil, nil)
	var ce *ControlError
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// AimSubject queues a subject preset for the next hosted session of one verification only, so
// that no other session (of this run or anyone's) takes it.
func (c *Control) AimSubject(ctx context.Context, verification uuid.UUID, preset string) error {
	return c.do(ctx, http.MethodPost, "subjects", map[string]string{"preset": preset, "verificationId": verification.String()}, nil)
}

// WebhookAttempt is one recorded webhook delivery attempt.
type WebhookAttempt struct {
	URL       string `json:"url"`
	SessionID string `json:"verificationSessionId"`
	Attempt   int    `json:"attempt"`
	Status    int    `json:"status"`
	Delivered bool   `json:"delivered"`
}

// Webhooks waits for pending deliveries and returns every recorded attempt.
func (c *Control) Webhooks(ctx context.Context) ([]WebhookAttempt, error) {
	var out struct {
		Attempts []WebhookAttempt `json:"attempts"`
	}
	err := c.do(ctx, http.MethodGet, "webhooks?wait=true", nil, &out)
	return out.Attempts, err
}

// ClientB calls the target as the second account (Target.APIKeyB), through the same checking
// transport as Client. Without a second key the scenario is skipped, saying how to give one.
func (t *T) ClientB() *generated.ClientWithResponses {
	if t.target.APIKeyB == "" {
		t.Skipf("needs a second account's key: give --api-key-b or VERIFEYE_API_KEY_B")
	}
	key := t.target.APIKeyB
	c, err := generated.NewClientWithResponses(t.target.BaseURL, generated.WithHTTPClient(t.http),
		generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "ApiKey "+key)
			return nil
		}))
	if err != nil {
		t.Fatalf("a client for the second account: %v", err)
	}
	return c
}

// AuthHeaderB is the Authorization header of the second account; see ClientB.
func (t *T) AuthHeaderB() string {
	t.ClientB()
	return "ApiKey " + t.target.APIKeyB
}

// tokenURL is where the run obtains Bearer tokens: Target.TokenURL, or the target's own
// /v1/token/get when it is not production.
func (t *T) tokenURL() string {
	if t.target.TokenURL != "" {
		return t.target.TokenURL
	}
	if !t.target.Live {
		return t.target.BaseURL + "/v1/token/get"
	}
	return ""
}

// BearerToken returns a Bearer token for the run's account: Target.BearerToken when given,
// otherwise one obtained from the token endpoint with the API key, lasting 60 seconds. Against
// production with neither, the scenario is skipped, saying how to give one.
func (t *T) BearerToken() string {
	if t.target.BearerToken != "" {
		return t.target.BearerToken
	}
	u := t.tokenURL()
	if u == "" {
		t.Skipf("needs a Bearer token: give --bearer-token (VERIFEYE_BEARER_TOKEN) or the Security API's token endpoint with --token-url (VERIFEYE_TOKEN_URL)")
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	u += sep + "expirationInSeconds=60"
	status, _, body := t.rawURL(http.MethodGet, u, nil, http.Header{"Authorization": {t.AuthHeader()}})
	const op = "getToken"
	if !t.Status(op, status, body, http.StatusOK) {
		t.Fatalf("%s: no token from %s", op, strings.SplitN(u, "?", 2)[0])
	}
	checkDateDigits(t, op, body)
	var tok struct {
		ExpirationUtcTime *time.Time `json:"expirationUtcTime"`
		Token             string     `json:"token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("%s: the answer is not JSON with expirationUtcTime and token: %v", op, err)
	}
	t.True(tok.ExpirationUtcTime != nil, op, "expirationUtcTime", tok.ExpirationUtcTime, "an ISO-8601 time")
	if !t.True(jwtShape.MatchString(tok.Token), op, "token", "a value of "+fmt.Sprint(len(tok.Token))+" characters", "a JWT (three dot-separated base64url parts)") {
		t.Fatalf("%s: no usable token", op)
	}
	return tok.Token
}

// rawURL is RawHeader for an absolute URL, such as the Security API's.
func (t *T) rawURL(method, url string, body []byte, headers http.Header) (int, http.Header, []byte) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.ctx, method, url, r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	req.Header = headers.Clone()
	resp, err := t.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}
