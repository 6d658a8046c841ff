package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
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
	// Live marks production: only read-only scenarios run unless the options allow more.
	Live bool
	// Control is the mock's control API; nil for production or a server without one.
	Control *Control
	// Transport sends the requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
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
	// HTTP sends the requests; nil means http.DefaultClient.
	HTTP *http.Client
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
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s /_mock/%s: %d %s", method, path, resp.StatusCode, snippet(data))
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

// Advance moves the mock's clock forward by d.
func (c *Control) Advance(ctx context.Context, d time.Duration) error {
	return c.do(ctx, http.MethodPost, "clock", map[string]string{"advance": d.String()}, nil)
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
