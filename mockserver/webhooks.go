package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultWebhookTimeout is how long one webhook attempt may take, as the vendor documents.
const DefaultWebhookTimeout = 5 * time.Second

// WebhookAttempt records one delivery attempt of a VerificationCompleted event.
type WebhookAttempt struct {
	// Time is the mock clock's time when the attempt started.
	Time      time.Time `json:"time"`
	URL       string    `json:"url"`
	SessionID string    `json:"verificationSessionId"`
	// Attempt is 1 for the first try and 2 for the one retry.
	Attempt int `json:"attempt"`
	// Status is the receiver's HTTP status; zero when the attempt failed before a response.
	Status int `json:"status,omitempty"`
	// Error says why the attempt failed (timeout, refused, non-2xx); empty when it succeeded.
	Error string `json:"error,omitempty"`
	// DurationMS is how long the attempt took, in wall-clock milliseconds.
	DurationMS float64 `json:"durationMs"`
	Delivered  bool    `json:"delivered"`
	// Account is the id of the account whose session the event is about.
	Account string `json:"account,omitempty"`
}

type webhookJob struct {
	url, apiKey, sessionID string
	account                string
	epoch                  uint64 // the log it belongs to: a reset starts a new one
	accountEpoch           uint64 // the same for its account: a reset of the account starts a new one
}

// webhooks delivers VerificationCompleted events in the background, so a slow or dead receiver
// never slows the API or the redirect: one attempt, a timeout per attempt, one retry on a non-2xx
// status or a failure, then the event is dropped. Every attempt is recorded in a bounded log.
type webhooks struct {
	client *http.Client
	now    func(account string) time.Time // the account's clock
	log    *slog.Logger
	jobs   chan webhookJob

	mu    sync.Mutex
	idle  *sync.Cond
	epoch uint64 // bumped by clear: events queued before it are forgotten
	// accountEpochs are bumped by clearAccount: that account's events queued before are forgotten.
	accountEpochs map[string]uint64
	pending       int // events of this epoch queued or being delivered
	attempts      *ring[WebhookAttempt]
	closed        bool
	done          sync.WaitGroup

	// ctx is every attempt's context; shutdown cancels it once its own deadline has passed.
	ctx    context.Context
	cancel context.CancelFunc
	// stopping makes the workers drop the events left instead of attempting them; dropped
	// counts the events so dropped.
	stopping atomic.Bool
	dropped  atomic.Int64
}

const (
	webhookWorkers  = 4
	webhookQueue    = 1024
	webhookLogLimit = 1000
)

func newWebhooks(timeout time.Duration, now func(account string) time.Time, log *slog.Logger) *webhooks {
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	w := &webhooks{
		// A redirect is not a delivery: a 3xx counts as a failed attempt, as any non-2xx does.
		client:        &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now:           now,
		log:           log,
		jobs:          make(chan webhookJob, webhookQueue),
		attempts:      newRing[WebhookAttempt](webhookLogLimit),
		accountEpochs: map[string]uint64{},
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.idle = sync.NewCond(&w.mu)
	for range webhookWorkers {
		w.done.Add(1)
		go w.work()
	}
	return w
}

// send queues an event for url. When the queue is full the event is dropped and the drop is
// recorded, rather than blocking the request that completed the session.
func (w *webhooks) send(url, apiKey, sessionID, account string) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.pending++
	job := webhookJob{url: url, apiKey: apiKey, sessionID: sessionID, account: account, epoch: w.epoch, accountEpoch: w.accountEpochs[account]}
	queued := false
	select { // under the lock, so that shutdown cannot close the queue in between
	case w.jobs <- job:
		queued = true
	default:
	}
	w.mu.Unlock()
	if !queued {
		w.record(job, WebhookAttempt{Time: w.now(account), URL: url, SessionID: sessionID, Attempt: 1, Error: "dropped: delivery queue full", Account: account})
		w.finish(job)
	}
}

// finish ends job: its epoch has one event fewer pending.
func (w *webhooks) finish(job webhookJob) {
	w.mu.Lock()
	if job.epoch == w.epoch {
		w.pending--
		if w.pending == 0 {
			w.idle.Broadcast()
		}
	}
	w.mu.Unlock()
}

// current reports whether job belongs to the log as it is now, not to one a reset has cleared.
func (w *webhooks) current(job webhookJob) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return job.epoch == w.epoch && job.accountEpoch == w.accountEpochs[job.account]
}

func (w *webhooks) work() {
	defer w.done.Done()
	for job := range w.jobs {
		// An event queued before a reset is not attempted again after it: its session is gone.
		// At shutdown, an event not yet attempted, or whose attempt was cut off, is dropped.
		for attempt := 1; attempt <= 2 && w.current(job); attempt++ {
			if w.stopping.Load() {
				w.dropped.Add(1)
				break
			}
			if w.deliver(job, attempt) {
				break
			}
			if w.ctx.Err() != nil {
				w.dropped.Add(1)
				break
			}
		}
		w.finish(job)
	}
}

// deliver makes one attempt and reports whether the receiver accepted the event.
func (w *webhooks) deliver(job webhookJob, attempt int) bool {
	body, _ := json.Marshal(map[string]string{"event": "VerificationCompleted", "verificationSessionId": job.sessionID})
	rec := WebhookAttempt{Time: w.now(job.account), URL: job.url, SessionID: job.sessionID, Attempt: attempt, Account: job.account}
	start := time.Now()
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, job.url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-Key", job.apiKey)
		var resp *http.Response
		if resp, err = w.client.Do(req); err == nil {
			resp.Body.Close()
			rec.Status = resp.StatusCode
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				err = fmt.Errorf("receiver answered %d", resp.StatusCode)
			}
		}
	}
	rec.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Delivered = true
	}
	w.logAttempt(rec)
	w.record(job, rec)
	return err == nil
}

// logAttempt writes a's log line: delivered (info) or failed (warning), with the receiver's
// status, the attempt number, its duration and the URL without credentials.
func (w *webhooks) logAttempt(a WebhookAttempt) {
	level, msg := slog.LevelInfo, "webhook delivered"
	if !a.Delivered {
		level, msg = slog.LevelWarn, "webhook attempt failed"
	}
	ctx := context.Background()
	if !w.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("url", safeURL(a.URL)),
		slog.Int("attempt", a.Attempt),
		slog.Int("status", a.Status),
		slog.Duration("duration", time.Duration(a.DurationMS*float64(time.Millisecond))),
		slog.String("session", a.SessionID),
		slog.String("account", a.Account),
	}
	if a.Error != "" {
		attrs = append(attrs, slog.String("error", redact(a.Error)))
	}
	w.log.LogAttrs(ctx, level, msg, attrs...)
}

// safeURL is u without its user information and with its credentials redacted.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return redact(u)
	}
	p.User = nil
	return redact(p.String())
}

// record adds a to the log, unless a reset (of the mock or of the account) has cleared the log
// since job was queued.
func (w *webhooks) record(job webhookJob, a WebhookAttempt) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if job.epoch == w.epoch && job.accountEpoch == w.accountEpochs[job.account] {
		w.attempts.add(a)
	}
}

// clearAccount removes an account's attempts from the log and forgets its events queued or in
// flight, as clear does for every account.
func (w *webhooks) clearAccount(account string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempts.keep(func(a WebhookAttempt) bool { return a.Account != account })
	w.accountEpochs[account]++
}

// list returns the recorded attempts, oldest first.
func (w *webhooks) list() []WebhookAttempt {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.attempts.items()
}

// clear empties the log and forgets the events queued or in flight: their attempts are not
// recorded, a failed one is not retried, and wait no longer waits for them.
func (w *webhooks) clear() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempts = newRing[WebhookAttempt](webhookLogLimit)
	w.epoch++
	w.pending = 0
	w.idle.Broadcast()
}

// wait blocks until every queued event has been delivered or dropped, or ctx ends.
func (w *webhooks) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		w.mu.Lock()
		for w.pending > 0 && ctx.Err() == nil {
			w.idle.Wait()
		}
		w.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		w.mu.Lock()
		w.idle.Broadcast() // let the waiter see ctx is done
		w.mu.Unlock()
		return ctx.Err()
	}
}

// shutdown stops taking events and lets the workers deliver the queued ones until ctx ends;
// then it cancels the attempts in flight, drops the events left and returns how many events it
// dropped (an attempt cut off counts as its event dropped).
func (w *webhooks) shutdown(ctx context.Context) int {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.jobs)
	}
	w.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		w.done.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		w.stopping.Store(true)
		w.cancel()
		<-finished
	}
	w.cancel()
	return int(w.dropped.Load())
}
