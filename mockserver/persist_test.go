package mockserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestStateSurvivesRestart: with a data directory, everything the mock holds is there again
// after a restart: verifications, sessions and results, consumed nonces, face collections and
// the tokens it issued.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opts := mockserver.Options{Seed: 3, DataDir: dir, Clock: mockserver.NewFrozenClock(flowStart)}

	first := newFlowEnv(t, opts)
	firstRequestID := firstRequestIDOf(t, first)
	vid := first.createHostedVerification("Persisted gate", "")
	link := first.sign("userId=u1", true, 3600)
	if err := first.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptrTo("alice")}}); err != nil {
		t.Fatal(err)
	}
	resp, _ := first.open(vid, link)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hosted link: %d", resp.StatusCode)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	sessionID := uuid.MustParse(loc.Query().Get("reVerificationSessionId"))
	pending, err := first.client.CreateSessionWithResponse(context.Background(), generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
	})
	if err != nil || pending.JSON200 == nil {
		t.Fatal(err)
	}
	tokenResp, err := first.client.GetTokenWithResponse(context.Background(), &generated.GetTokenParams{})
	if err != nil || tokenResp.JSON200 == nil {
		t.Fatal(err)
	}
	wantCollections := first.mock.FaceCollections()
	first.srv.Close()
	first.mock.Close()

	second := newFlowEnv(t, opts)
	if id := firstRequestIDOf(t, second); id == firstRequestID {
		t.Errorf("the first request after the restart has the first run's request id %s", id)
	}
	got, err := second.client.GetVerificationWithResponse(context.Background(), &generated.GetVerificationParams{VerificationId: vid})
	if err != nil || got.JSON200 == nil || got.JSON200.Verification.Name != "Persisted gate" {
		t.Fatalf("verification after restart: %v %s", err, got.Body)
	}
	res, err := second.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: sessionID})
	if err != nil || res.JSON200 == nil || res.JSON200.VerificationResult != generated.SessionStatusPass {
		t.Fatalf("completed session after restart: %v %s", err, res.Body)
	}
	res, err = second.client.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: pending.JSON200.VerificationSessionId})
	if err != nil || res.JSON200 == nil || res.JSON200.VerificationResult != generated.SessionStatusPending {
		t.Fatalf("pending session after restart: %v %s", err, res.Body)
	}
	if got := second.validate(link); got != generated.NonceAlreadyUsed {
		t.Errorf("the link's nonce after restart: %s, want NonceAlreadyUsed", got)
	}
	if resp, _ := second.open(vid, link); resp.StatusCode != http.StatusGone {
		t.Errorf("reusing the link after restart: %d, want 410", resp.StatusCode)
	}
	if gotCollections := second.mock.FaceCollections(); len(gotCollections) != 1 || gotCollections[0].Faces["alice"] != wantCollections[0].Faces["alice"] {
		t.Errorf("face collections after restart = %+v, want %+v", gotCollections, wantCollections)
	}
	// Alice again: a duplicate in the restored collection.
	if err := second.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptrTo("alice")}}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := second.open(vid, second.sign("userId=u2", true, 3600)); !strings.Contains(resp.Header.Get("Location"), "result=failed") {
		t.Errorf("a returning face after restart: Location %s, want the failedUrl", resp.Header.Get("Location"))
	}
	// A token issued before the restart still authenticates.
	bearer, _ := generated.NewClientWithResponses(second.srv.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tokenResp.JSON200.Token)
		return nil
	}))
	if all, err := bearer.GetAllVerificationsWithResponse(context.Background()); err != nil || all.StatusCode() != http.StatusOK {
		t.Errorf("a token from before the restart: %v %d", err, all.StatusCode())
	}
	// New ids do not repeat the first run's, though the seed is the same.
	again, err := second.client.CreateVerificationWithResponse(context.Background(), generated.VerificationInput{Name: "After restart", VerificationConfig: generated.VerificationConfig{}})
	if err != nil || again.JSON200 == nil || again.JSON200.VerificationId == vid {
		t.Errorf("create after restart: %v %s", err, again.Body)
	}
}

func TestDataDirIsExclusive(t *testing.T) {
	dir := t.TempDir()
	m, err := mockserver.New(mockserver.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := mockserver.New(mockserver.Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second mock on the same data dir: %v, want an in-use error", err)
	}
}

func TestResetWipesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	e := newFlowEnv(t, mockserver.Options{DataDir: dir})
	e.createHostedVerification("Gone after reset", "")
	if err := e.mock.Reset(); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.mock.Close()
	again := newFlowEnv(t, mockserver.Options{DataDir: dir})
	all, err := again.client.GetAllVerificationsWithResponse(context.Background())
	if err != nil || all.JSON200 == nil || len(all.JSON200.Verifications) != 0 {
		t.Errorf("after reset and restart: %v %s", err, all.Body)
	}
}

// TestStartStateOnlyOnANewDataDir: fixtures fill a new directory once; a restart keeps what is
// there instead of loading them again.
func TestStartStateOnlyOnANewDataDir(t *testing.T) {
	dir := t.TempDir()
	loads := 0
	opts := mockserver.Options{DataDir: dir, StartState: func(*mockserver.Server) error { loads++; return nil }}
	for range 2 {
		m, err := mockserver.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	if loads != 1 {
		t.Errorf("start state loaded %d times over two starts on one data dir, want 1", loads)
	}
}

// firstRequestIDOf sends e's mock its first request and returns the answer's X-Request-Id.
func firstRequestIDOf(t *testing.T, e *flowEnv) string {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/v1/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Request-Id")
}
