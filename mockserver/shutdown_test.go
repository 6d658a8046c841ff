package mockserver_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestShutdownDropsWhatItCannotDeliver: deliveries queued to a receiver that never answers are
// attempted until Shutdown's context ends, then cancelled and dropped; Shutdown returns (the
// deliveries alone would take minutes), says how many it dropped, and logs the count.
func TestShutdownDropsWhatItCannotDeliver(t *testing.T) {
	const sessions = 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})

	logs := &logBuffer{}
	e := newFlowEnv(t, mockserver.Options{WebhookTimeout: time.Minute,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	url := "http://" + ln.Addr().String() + "/hook"
	for range sessions {
		resp, err := e.client.CreateSessionWithResponse(context.Background(), generated.CreateSessionRequest{
			VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
			WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: &url},
		})
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("create-session: %v %s", err, resp.Body)
		}
		if _, err := e.mock.CompleteSession(resp.JSON200.VerificationSessionId, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.mock.Shutdown(ctx) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown did not return 30s after its context ended")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's deadline", err)
	}
	line := logs.find(t, "shutdown: webhook deliveries dropped", nil)
	if line["dropped"] != float64(sessions) || line["level"] != "WARN" {
		t.Errorf("log line %v, want WARN dropped=%d", line, sessions)
	}
	if err := e.mock.Shutdown(context.Background()); err != nil {
		t.Errorf("a second Shutdown = %v, want nil", err)
	}
}

// TestShutdownDeliversWithinItsTime: with a receiver that answers, Shutdown makes the queued
// deliveries and returns nil.
func TestShutdownDeliversWithinItsTime(t *testing.T) {
	rcv := newWebhookReceiver(t)
	e := newFlowEnv(t, mockserver.Options{})
	url := rcv.URL + "/hook"
	resp, err := e.client.CreateSessionWithResponse(context.Background(), generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
		WebhookConfig:   &generated.WebhookConfig{EventCallbackUrl: &url},
	})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create-session: %v", err)
	}
	if _, err := e.mock.CompleteSession(resp.JSON200.VerificationSessionId, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
		t.Fatal(err)
	}
	if err := e.mock.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if got := rcv.hooks(); len(got) != 1 {
		t.Errorf("receiver got %d deliveries, want 1", len(got))
	}
}
