package verifeyetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/verifeyetest"
)

// A test creates a verification configuration through the ready client and reads it back.
func ExampleNewServer() {
	t := newExampleT() // in a test: the test's *testing.T
	defer t.finish()

	vf := verifeyetest.NewServer(t)
	ctx := context.Background()

	created, err := vf.Client.CreateVerificationWithResponse(ctx, generated.VerificationInput{
		Name: "Checkout age gate",
		VerificationConfig: generated.VerificationConfig{
			VerifierConfigs: &generated.VerifierConfigs{
				Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))},
			},
		},
	})
	if err != nil || created.JSON200 == nil {
		t.Fatalf("create verification: %v %s", err, created.Body)
	}
	got, err := vf.Client.GetVerificationWithResponse(ctx, &generated.GetVerificationParams{VerificationId: created.JSON200.VerificationId})
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get verification: %v %s", err, got.Body)
	}
	v := got.JSON200.Verification
	fmt.Println(v.Name)
	fmt.Println(v.VerificationConfig.VerifierConfigs.Age.Type, *v.VerificationConfig.VerifierConfigs.Age.Threshold)
	fmt.Println(v.Created.Equal(verifeyetest.DefaultTime))
	// Output:
	// Checkout age gate
	// ThresholdVerification 18
	// true
}

// Start runs a mock outside a test (TestMain, a development program); Close stops it.
func ExampleStart() {
	vf, err := verifeyetest.Start(verifeyetest.WithSeed(7))
	if err != nil {
		panic(err)
	}
	defer vf.Close()

	resp, err := vf.Client.GetHealthWithResponse(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode(), string(resp.Body))
	// Output:
	// 200 2026-01-01T00:00:00.0000000Z
}

// The hosted flow: a backend signs a link to a verification with redirect URLs, the person opens
// it, passes the camera check, and is redirected to passedUrl with signed result parameters that
// the backend validates.
func Example_hostedFlow() {
	vf, err := verifeyetest.Start()
	if err != nil {
		panic(err)
	}
	defer vf.Close()
	ctx := context.Background()

	created, err := vf.Client.CreateVerificationWithResponse(ctx, generated.VerificationInput{
		Name: "Hosted age gate",
		VerificationConfig: generated.VerificationConfig{
			VerifierConfigs: &generated.VerifierConfigs{
				Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
				Age:      &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))},
			},
			RedirectConfig: &generated.RedirectConfig{
				PassedUrl: ptr("https://shop.example/verified"),
				FailedUrl: ptr("https://shop.example/rejected"),
			},
			ResultParameterConfig: &generated.ResultParameterConfig{
				IncludeVerificationResult: ptr(true),
				IncludeSignature:          ptr(true),
			},
			SecurityConfig: &generated.SecurityConfig{ForceSignedInput: ptr(true)},
		},
	})
	if err != nil || created.JSON200 == nil {
		panic(fmt.Sprint("create verification: ", err, string(created.Body)))
	}

	// The backend signs the link it sends the person to.
	signed, err := vf.Client.CreateSignatureWithResponse(ctx, generated.CreateSignatureRequest{
		QueryString: "userId=User123",
		SecuritySettings: &generated.SecuritySettings{
			EnableNonce: ptr(true), ExpirationEnabled: ptr(true), ExpirationInSeconds: ptr(int32(600)),
		},
	})
	if err != nil || signed.JSON200 == nil {
		panic(fmt.Sprint("sign: ", err, string(signed.Body)))
	}

	// The person in front of the camera passes; opening the link redirects at once.
	vf.QueuePreset("pass")
	resp, err := vf.HTTPClient().Get(vf.HostedURL(created.JSON200.VerificationId, signed.JSON200.SignedQueryString))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)

	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		panic(err)
	}
	fmt.Println(location.Host + location.Path)
	fmt.Println("reVerificationResult:", location.Query().Get("reVerificationResult"))

	// The backend checks that the result parameters were signed by VerifEye.
	valid, err := vf.Client.ValidateSignatureWithResponse(ctx, generated.ValidateSignatureRequest{QueryString: location.RawQuery})
	if err != nil || valid.JSON200 == nil {
		panic(fmt.Sprint("validate: ", err, string(valid.Body)))
	}
	fmt.Println("signature:", valid.JSON200.Result)
	// Output:
	// 303
	// shop.example/verified
	// reVerificationResult: passed
	// signature: Valid
}

// Results are kept for 7 days: moving the frozen clock past that makes get-session-result
// answer 404, with no sleeping.
func Example_clock() {
	vf, err := verifeyetest.Start()
	if err != nil {
		panic(err)
	}
	defer vf.Close()
	ctx := context.Background()

	session, err := vf.Client.CreateSessionWithResponse(ctx, generated.CreateSessionRequest{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
		},
	})
	if err != nil || session.JSON200 == nil {
		panic(fmt.Sprint("create session: ", err, string(session.Body)))
	}
	id := session.JSON200.VerificationSessionId
	vf.CompletePreset(id, "pass")

	result := func() int {
		resp, err := vf.Client.GetSessionResultWithResponse(ctx, &generated.GetSessionResultParams{VerificationSessionId: id})
		if err != nil {
			panic(err)
		}
		return resp.StatusCode()
	}
	fmt.Println(vf.Now().Format(time.RFC3339), result())
	vf.Advance(7*24*time.Hour + time.Second)
	fmt.Println(vf.Now().Format(time.RFC3339), result())
	fmt.Println(result() == http.StatusNotFound)
	// Output:
	// 2026-01-01T00:00:00Z 200
	// 2026-01-08T00:00:01Z 404
	// true
}

func ptr[T any](v T) *T { return &v }

// exampleT stands in for the *testing.T that a real test passes to NewServer, which an Example
// function does not have: Fatalf panics, and finish runs the cleanups (closing the Server) when
// the example ends.
type exampleT struct {
	testing.TB // only the methods below are used; any other would panic
	cleanups   []func()
}

func newExampleT() *exampleT { return &exampleT{} }

func (t *exampleT) Helper() {}

func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// A C# client that sends its classes' PascalCase names works against production, which binds
// names regardless of letter case, and against the mock, which says so in X-Mock-Warning. With
// WithStrict the mock refuses the request instead, naming the spelling to send.
func ExampleWithStrict() {
	for _, opts := range [][]verifeyetest.Option{nil, {verifeyetest.WithStrict()}} {
		vf, err := verifeyetest.Start(opts...)
		if err != nil {
			panic(err)
		}
		req, _ := http.NewRequest(http.MethodPost, vf.URL+"/v1/signature/create", strings.NewReader(`{"QueryString":"userId=User123"}`))
		req.Header.Set("Authorization", "ApiKey "+vf.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := vf.HTTPClient().Do(req)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var problem struct {
			Errors map[string][]string `json:"errors"`
		}
		_ = json.Unmarshal(body, &problem)
		fmt.Println(resp.StatusCode, resp.Header.Get("X-Mock-Warning"), problem.Errors["queryString"])
		vf.Close()
	}
	// Output:
	// 200 matched regardless of letter case: QueryString as queryString []
	// 400  [must be spelt "queryString", not "QueryString" (strict mode)]
}
