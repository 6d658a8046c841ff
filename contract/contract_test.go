package contract_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/contract"
	"github.com/verifeye-twin/verifeye/generated/openapidoc"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// inProcessTarget starts a mock (with its control API) on an httptest server.
func inProcessTarget(t *testing.T, wrap func(*mockserver.Server) httpHandler) contract.Target {
	t.Helper()
	return inProcessTargetWith(t, mockserver.Options{Seed: 1}, wrap)
}

// accountBKey is the second account's key in the in-process mocks.
const accountBKey = "contract-test-account-b"

// inProcessTargetWith is inProcessTarget with the mock's options; it always has a second
// account, whose key is the target's APIKeyB.
func inProcessTargetWith(t *testing.T, opts mockserver.Options, wrap func(*mockserver.Server) httpHandler) contract.Target {
	t.Helper()
	if opts.Accounts == nil {
		opts.Accounts = []mockserver.Account{
			{ID: "dev", APIKeys: []string{mockserver.DevAPIKey}},
			{ID: "b", APIKeys: []string{accountBKey}},
		}
	}
	m, err := mockserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h httpHandler = m
	if wrap != nil {
		h = wrap(m)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); m.Close() })
	return contract.Target{
		Name: "mock", BaseURL: srv.URL, APIKey: mockserver.DevAPIKey, APIKeyB: accountBKey,
		Control: &contract.Control{BaseURL: srv.URL},
	}
}

// TestSuite runs every scenario against the in-process mock, or against the server named by
// VERIFEYE_CONTRACT_TARGET (a URL; its key from VERIFEYE_API_KEY, the mock's development key by
// default), and reports each scenario as a subtest.
func TestSuite(t *testing.T) {
	var target contract.Target
	if url := os.Getenv("VERIFEYE_CONTRACT_TARGET"); url != "" {
		key := os.Getenv("VERIFEYE_API_KEY")
		if key == "" {
			key = mockserver.DevAPIKey
		}
		target = contract.URLTarget(context.Background(), url, key, os.Getenv("VERIFEYE_CONTROL_TOKEN"))
		target.APIKeyB, target.BearerToken, target.TokenURL = os.Getenv("VERIFEYE_API_KEY_B"), os.Getenv("VERIFEYE_BEARER_TOKEN"), os.Getenv("VERIFEYE_TOKEN_URL")
	} else {
		target = inProcessTarget(t, nil)
	}
	rep := contract.Run(context.Background(), target, contract.Options{Timeout: 5 * time.Minute})
	if rep.Error != "" {
		t.Fatal(rep.Error)
	}
	if len(rep.Scenarios) < 40 {
		t.Errorf("the suite has %d scenarios; expected every operation and status covered", len(rep.Scenarios))
	}
	for _, s := range rep.Scenarios {
		t.Run(s.Name, func(t *testing.T) {
			switch s.Status {
			case contract.StatusSkip:
				t.Skip(s.Reason)
			case contract.StatusFail:
				t.Error(strings.Join(s.Failures, "\n"))
			}
		})
	}
	if target.Control != nil && rep.Skipped > 0 {
		t.Errorf("%d scenarios skipped against a mock with its control API", rep.Skipped)
	}
	if os.Getenv("VERIFEYE_CONTRACT_TARGET") == "" {
		checkEveryStatusCovered(t, rep)
	}
}

// checkEveryStatusCovered: across the run, every operation answered every status code
// openapi.yaml declares for it, so the suite covers every documented status.
func checkEveryStatusCovered(t *testing.T, rep *contract.Report) {
	spec, err := openapidoc.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range spec.Paths.Keys() {
		for _, op := range spec.Paths.Value(path).Operations() {
			if slices.Contains(op.Tags, "Hosted") {
				// The hosted page is a browser's page on another host in production; its
				// statuses are reached by mockserver's TestEveryDocumentedStatusIsReachable.
				continue
			}
			id := strings.ToLower(op.OperationID[:1]) + op.OperationID[1:]
			stats := rep.Operations[id]
			for status := range op.Responses.Map() {
				if stats == nil || stats.Statuses[status] == 0 {
					t.Errorf("no scenario saw %s answer %s", id, status)
				}
			}
		}
	}
}

// TestLiveTargetsAreReadOnlyByDefault: against production only read-only scenarios run unless
// writes and sessions are allowed, and each skip says why.
func TestLiveTargetsAreReadOnlyByDefault(t *testing.T) {
	target := inProcessTarget(t, nil)
	target.Live, target.Control = true, nil // a stand-in for production
	rep := contract.Run(context.Background(), target, contract.Options{})
	ran := map[contract.Need]int{}
	for _, s := range rep.Scenarios {
		for _, n := range s.Needs {
			if s.Status != contract.StatusSkip {
				ran[n]++
			} else if s.Reason == "" {
				t.Errorf("%s skipped without a reason", s.Name)
			}
		}
	}
	if ran[contract.WritesConfig] != 0 || ran[contract.CreatesSessions] != 0 || ran[contract.MockControl] != 0 {
		t.Errorf("scenarios that ran on a live target by need: %v; want read-only ones only", ran)
	}
	if ran[contract.ReadOnly] == 0 || rep.Failed != 0 {
		t.Errorf("read-only scenarios ran %d, failed %d", ran[contract.ReadOnly], rep.Failed)
	}
	res, _ := rep.Result("verifications/lifecycle")
	if res.Status != contract.StatusSkip || !strings.Contains(res.Reason, "--allow-writes") {
		t.Errorf("verifications/lifecycle: %s %q", res.Status, res.Reason)
	}

	allowed := contract.Run(context.Background(), target, contract.Options{AllowWrites: true, AllowSessions: true})
	res, _ = allowed.Result("verifications/lifecycle")
	if res.Status != contract.StatusPass {
		t.Errorf("with --allow-writes, verifications/lifecycle = %s %v", res.Status, res.Failures)
	}
	res, _ = allowed.Result("sessions/create-inline-and-read-pending-result")
	if res.Status != contract.StatusPass {
		t.Errorf("with --allow-sessions, sessions/create-inline-and-read-pending-result = %s %v", res.Status, res.Failures)
	}
}

// TestFaultScenarioLeavesOtherSuitesAlone: the scenario that injects faults into getHealth (which
// takes no credentials, so only a fault of the whole mock reaches it) does so for its own calls
// only: another suite calling healthz on the same mock all the while never gets a fault.
func TestFaultScenarioLeavesOtherSuitesAlone(t *testing.T) {
	target := inProcessTarget(t, nil)
	stop := make(chan struct{})
	done := make(chan [2]int)
	go func() {
		calls, faulted := 0, 0
		for {
			select {
			case <-stop:
				done <- [2]int{calls, faulted}
				return
			default:
			}
			resp, err := http.Get(target.BaseURL + "/v1/healthz")
			if err != nil {
				t.Error(err)
				continue
			}
			resp.Body.Close()
			calls++
			if resp.StatusCode != http.StatusOK {
				faulted++
			}
		}
	}()
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(`^errors/throttling-and-failures-are-problems$`)})
	close(stop)
	got := <-done
	if rep.Error != "" || len(rep.Scenarios) != 1 || rep.Scenarios[0].Status != contract.StatusPass {
		t.Errorf("the scenario did not pass: %+v", rep.Scenarios)
	}
	if got[0] == 0 || got[1] != 0 {
		t.Errorf("the other suite's healthz calls: %d of %d got a fault, want 0 of at least 1", got[1], got[0])
	}
}

// TestFaultScenarioRemovesItsLeftoverFaults: when the calls a healthz fault was tagged for never
// reach the mock with their tag (here a proxy drops the header), the faults stay unused; the run
// removes them at its end, so none of the whole mock's faults outlives it.
func TestFaultScenarioRemovesItsLeftoverFaults(t *testing.T) {
	var mock *mockserver.Server
	target := inProcessTarget(t, func(m *mockserver.Server) httpHandler {
		mock = m
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("X-Contract-Fault")
			m.ServeHTTP(w, r)
		})
	})
	rep := contract.Run(context.Background(), target, contract.Options{Run: regexp.MustCompile(`^errors/throttling-and-failures-are-problems$`)})
	if len(rep.Scenarios) != 1 || rep.Scenarios[0].Status != contract.StatusFail {
		t.Fatalf("the scenario should fail when its healthz calls lose their tag: %+v", rep.Scenarios)
	}
	if f := mock.Faults(); len(f) != 0 {
		t.Errorf("the run left %d faults of the whole mock behind: %+v", len(f), f)
	}
}
