package verifeyetest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
	"github.com/verifeye-twin/verifeye/verifeyetest"
)

// sharedMock stands in for a mock that runs outside the test, such as a CI service container.
func sharedMock(t *testing.T) *verifeyetest.Server {
	t.Helper()
	vf, err := verifeyetest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vf.Close)
	return vf
}

// expiryAndSubjects is one test body for any Control: the clock moves links past their expiry,
// and a queued subject completes the next hosted session.
func expiryAndSubjects(t *testing.T, vf verifeyetest.Control, client *generated.ClientWithResponses) {
	t.Helper()
	ctx := context.Background()
	sig, err := client.CreateSignatureWithResponse(ctx, generated.CreateSignatureRequest{QueryString: "u=1",
		SecuritySettings: &generated.SecuritySettings{ExpirationEnabled: ptr(true), ExpirationInSeconds: ptr(int32(60))}})
	if err != nil || sig.JSON200 == nil {
		t.Fatalf("sign: %v %s", err, sig.Body)
	}
	vf.Advance(61 * time.Second)
	val, err := client.ValidateSignatureWithResponse(ctx, generated.ValidateSignatureRequest{QueryString: sig.JSON200.SignedQueryString})
	if err != nil || val.JSON200 == nil || val.JSON200.Result != generated.Expired {
		t.Fatalf("after 61 s the link validates %v %s, want Expired", err, val.Body)
	}
	v, err := client.CreateVerificationWithResponse(ctx, generated.VerificationInput{Name: "gate", VerificationConfig: generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))}},
		RedirectConfig:  &generated.RedirectConfig{PassedUrl: ptr("https://app.example/ok"), FailedUrl: ptr("https://app.example/no")},
		SecurityConfig:  &generated.SecurityConfig{ForceSignedInput: ptr(false)},
	}})
	if err != nil || v.JSON200 == nil {
		t.Fatalf("create verification: %v %s", err, v.Body)
	}
	vf.QueuePreset("underage")
	resp, err := vf.HTTPClient().Get(vf.HostedURL(v.JSON200.VerificationId, "u=1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "https://app.example/no") {
		t.Errorf("hosted link: %d %q, want the failed redirect", resp.StatusCode, loc)
	}
	if q := vf.QueuedSubjects(); len(q) != 0 {
		t.Errorf("queued after use: %+v", q)
	}
}

func TestControlOnServerAndTenant(t *testing.T) {
	t.Run("Server", func(t *testing.T) {
		vf := verifeyetest.NewServer(t)
		expiryAndSubjects(t, vf, vf.Client)
	})
	t.Run("Tenant", func(t *testing.T) {
		mock := sharedMock(t)
		tn := verifeyetest.NewTenant(t, mock.URL)
		expiryAndSubjects(t, tn, tn.Client)
		if !mock.Now().Equal(verifeyetest.DefaultTime) {
			t.Errorf("the tenant moved the shared mock's clock to %v", mock.Now())
		}
	})
}

// Parallel tests share one mock, each in a tenant of its own: none sees another's clock, queue,
// faults or data, and each tenant is gone when its test ends.
func TestTenantsInParallel(t *testing.T) {
	mock := sharedMock(t)
	keys := make(chan string, 8)
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run("suite", func(t *testing.T) {
				t.Parallel()
				tn := verifeyetest.NewTenant(t, mock.URL)
				keys <- tn.APIKey
				tn.InjectFault(mockserver.Fault{Operation: "getAllVerifications", Status: 503, Count: 1})
				if r, _ := tn.Client.GetAllVerificationsWithResponse(context.Background()); r.StatusCode() != http.StatusServiceUnavailable {
					t.Errorf("own fault: %d, want 503", r.StatusCode())
				}
				expiryAndSubjects(t, tn, tn.Client)
				if got, want := tn.Now(), verifeyetest.DefaultTime.Add(61*time.Second); !got.Equal(want) {
					t.Errorf("suite %d: clock %v, want %v (only its own advance)", i, got, want)
				}
				if n := len(tn.Requests()); n == 0 {
					t.Errorf("suite %d: empty journal", i)
				}
			})
		}
	})
	close(keys)
	for key := range keys {
		r, err := mock.NewClient(key).GetAllVerificationsWithResponse(context.Background())
		if err != nil || r.StatusCode() != http.StatusUnauthorized {
			t.Errorf("a finished suite's key answers %v %d, want 401 (its tenant deleted)", err, r.StatusCode())
		}
	}
	if got := mock.Mock.Tenants(); len(got) != 0 {
		t.Errorf("tenants left behind: %+v", got)
	}
	for _, r := range mock.Requests() {
		if r.Account != "" && r.Account != mockserver.DevAccountID {
			t.Errorf("the journal keeps a deleted tenant's request: %+v", r)
		}
	}
}
