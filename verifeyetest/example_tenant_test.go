package verifeyetest_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/verifeyetest"
)

// Test suites running in parallel share one mock that runs outside them (in CI, a service
// container at http://verifeye-mock:8080), each in a tenant of its own: here two suites move
// their own clocks by different amounts at the same time, and neither sees the other's move or
// data. In a real test, each suite's *testing.T (with t.Parallel()) takes the place of exampleT,
// and NewTenant deletes the tenant when the test ends.
func ExampleNewTenant() {
	shared, err := verifeyetest.Start() // stands in for the service container
	if err != nil {
		panic(err)
	}
	defer shared.Close()

	suite := func(name string, advance time.Duration) string {
		t := newExampleT() // in a test: the test's *testing.T
		defer t.finish()   // deletes the tenant
		tn := verifeyetest.NewTenant(t, shared.URL, verifeyetest.WithTenantName(name))

		tn.Advance(advance)
		_, err := tn.Client.CreateVerificationWithResponse(context.Background(), generated.VerificationInput{
			Name: name + " gate",
			VerificationConfig: generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
				Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(int32(18))},
			}},
		})
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		all, err := tn.Client.GetAllVerificationsWithResponse(context.Background())
		if err != nil || all.JSON200 == nil {
			t.Fatalf("get-all: %v", err)
		}
		return fmt.Sprintf("%s: clock %s, sees %d verification(s), %q created at its own time: %t", name,
			tn.Now().Format(time.DateTime), len(all.JSON200.Verifications), all.JSON200.Verifications[0].Name,
			all.JSON200.Verifications[0].Created.Equal(tn.Now()))
	}

	var wg sync.WaitGroup
	lines := make([]string, 2)
	for i, d := range []time.Duration{time.Hour, 48 * time.Hour} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines[i] = suite(fmt.Sprintf("suite-%d", i+1), d)
		}()
	}
	wg.Wait()
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println("shared clock:", shared.Now().Format(time.DateTime), "tenants left:", len(shared.Mock.Tenants()))
	// Output:
	// suite-1: clock 2026-01-01 01:00:00, sees 1 verification(s), "suite-1 gate" created at its own time: true
	// suite-2: clock 2026-01-03 00:00:00, sees 1 verification(s), "suite-2 gate" created at its own time: true
	// shared clock: 2026-01-01 00:00:00 tenants left: 0
}
