package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// The webhook sink is a receiver for webhooks inside the mock, so that a verification's
// webhookConfig.eventCallbackUrl can point somewhere that listens while nothing of the
// developer's own runs yet: POST /_mock/webhook-sink records whatever it is sent and answers 200,
// GET lists what it received. Each delivery also goes into the request journal, so the dashboard
// shows it beside the requests that caused it.

// WebhookSinkPath is where the sink listens, on the control API's address.
const WebhookSinkPath = "/_mock/webhook-sink"

// Bounds of the sink, so that memory stays flat however much it is sent.
const (
	// webhookSinkLimit is how many deliveries the sink keeps: the most recent ones.
	webhookSinkLimit = 200
	// webhookSinkBodyLimit is how much of each body the sink keeps; the rest is cut off.
	webhookSinkBodyLimit = 64 << 10
)

// What ReceivedWebhook.APIKey says about the X-API-Key header of a delivery.
const (
	SinkKeyMatched = "matched" // an account's API key: the mock's own deliveries send it
	SinkKeyUnknown = "unknown" // a key no account has
	SinkKeyMissing = "missing" // no X-API-Key header
)

// ReceivedWebhook is one request the webhook sink received.
type ReceivedWebhook struct {
	// Time is the mock clock's time when it arrived (the account's clock when the key is one).
	Time time.Time `json:"time"`
	// Account is the account whose API key came in X-API-Key (or, without one, whose credentials
	// came in Authorization); empty when neither names an account.
	Account string `json:"account,omitempty"`
	// APIKey says whether X-API-Key held an account's key (SinkKeyMatched), another value
	// (SinkKeyUnknown) or was missing (SinkKeyMissing). The key itself is never kept.
	APIKey      string `json:"apiKey"`
	ContentType string `json:"contentType,omitempty"`
	// Body is the body when it is JSON; BodyText is the body otherwise, or when it was cut.
	Body     json.RawMessage `json:"body,omitempty"`
	BodyText string          `json:"bodyText,omitempty"`
	// Truncated says that the body was longer than 64 KiB and is cut there.
	Truncated bool `json:"truncated,omitempty"`
	// RequestID is the delivery's X-Request-Id, which its journal entry carries too.
	RequestID string `json:"requestId"`
}

// webhookSink keeps the most recent deliveries. Its zero value is ready to use.
type webhookSink struct {
	mu       sync.Mutex
	received *ring[ReceivedWebhook]
}

func (k *webhookSink) add(w ReceivedWebhook) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.received == nil {
		k.received = newRing[ReceivedWebhook](webhookSinkLimit)
	}
	k.received.add(w)
}

func (k *webhookSink) list() []ReceivedWebhook {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.received == nil {
		return []ReceivedWebhook{}
	}
	return k.received.items()
}

// clear forgets every delivery (account == nil) or an account's.
func (k *webhookSink) clear(account *Account) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.received == nil {
		return
	}
	if account == nil {
		k.received = nil
		return
	}
	k.received.keep(func(w ReceivedWebhook) bool { return w.Account != account.ID })
}

// WebhookSink returns what the webhook sink received, oldest first (the last 200).
func (s *Server) WebhookSink() []ReceivedWebhook { return s.Global().WebhookSink() }

// WebhookSink returns what the webhook sink received for the scope, oldest first: for an
// account, the deliveries that carried its API key.
func (sc *Scope) WebhookSink() []ReceivedWebhook {
	all := sc.s.sink.list()
	if sc.acc == nil {
		return all
	}
	return filter(all, func(w ReceivedWebhook) bool { return w.Account == sc.acc.ID })
}

// ClearWebhookSink forgets what the webhook sink received for the scope.
func (sc *Scope) ClearWebhookSink() { sc.s.sink.clear(sc.acc) }

// withOpenWebhookSink serves a delivery to the sink (POST WebhookSinkPath) with open, which
// skips the control token, and everything else with guarded. A webhook sender, the mock's own
// deliveries included, cannot send the token; what the sink received is read with it.
func withOpenWebhookSink(guarded, open http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isSinkDelivery(r) {
			open.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// ctlSinkReceive records a delivery and answers it with the record.
func (s *Server) ctlSinkReceive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, webhookSinkBodyLimit+1))
	if err != nil {
		s.writeProblem(w, r, badRequest("body", "could not be read: "+err.Error()))
		return
	}
	rec := ReceivedWebhook{APIKey: SinkKeyMissing, ContentType: r.Header.Get("Content-Type"), RequestID: requestID(r.Context())}
	acc := accountFrom(r.Context())
	if key := r.Header.Get("X-API-Key"); key != "" {
		rec.APIKey = SinkKeyUnknown
		if found := s.auth.set.Load().byKey[digest(key)]; found != nil {
			rec.APIKey, acc = SinkKeyMatched, found
		}
	}
	rec.Time = s.clock.Now()
	if acc != nil {
		rec.Account, rec.Time = acc.ID, acc.state.clock.Now()
		if ex := exchangeFrom(r.Context()); ex != nil {
			ex.acc = acc // the journal entry is the account's
		}
	}
	switch {
	case len(body) > webhookSinkBodyLimit:
		rec.BodyText, rec.Truncated = string(body[:webhookSinkBodyLimit]), true
	case json.Valid(body):
		rec.Body = body
	default:
		rec.BodyText = string(body)
	}
	s.sink.add(rec)
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) ctlSinkList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"received": s.scopeOf(r).WebhookSink()})
}

func (s *Server) ctlSinkClear(w http.ResponseWriter, r *http.Request) {
	s.scopeOf(r).ClearWebhookSink()
	writeJSON(w, http.StatusOK, map[string]any{"received": []ReceivedWebhook{}})
}

// isSinkDelivery reports whether r is a delivery to the webhook sink: the one control call the
// request journal keeps.
func isSinkDelivery(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == WebhookSinkPath
}
