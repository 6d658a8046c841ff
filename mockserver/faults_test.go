package mockserver_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestFaultsLimit: a scope holds at most MaxFaults faults; one more is a 409 naming the limit,
// and another scope (an account's) has a limit of its own.
func TestFaultsLimit(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	for i := range mockserver.MaxFaults {
		if err := c.mock.AddFault(mockserver.Fault{Operation: "getHealth", Status: 500 + i%100}); err != nil {
			t.Fatalf("fault %d: %v", i+1, err)
		}
	}
	p := c.call(http.MethodPost, "/_mock/faults", `{"operation":"getHealth","status":503}`).problem(t, http.StatusConflict)
	if !p.names("faults") || !p.mentions(strconv.Itoa(mockserver.MaxFaults)) {
		t.Errorf("problem %+v does not name faults and the limit %d", p, mockserver.MaxFaults)
	}
	if err := c.mock.AddFault(mockserver.Fault{Operation: "getHealth", Status: 503}); err == nil {
		t.Error("AddFault accepted a fault past the limit")
	}
	if n := len(c.mock.Faults()); n != mockserver.MaxFaults {
		t.Errorf("%d faults after the refusals, want %d", n, mockserver.MaxFaults)
	}

	// The development account's own faults are another scope.
	var f mockserver.Fault
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getToken","status":502}`, "Authorization", "ApiKey "+mockserver.DevAPIKey).ok(t, &f)
	if f != (mockserver.Fault{Operation: "getToken", Status: 502}) {
		t.Errorf("the account's POST answered %+v", f)
	}

	// Removing them makes room again.
	c.call(http.MethodDelete, "/_mock/faults", "").ok(t, nil)
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getHealth","status":503}`).ok(t, nil)
}

// TestFaultsOrder: a call takes the oldest fault that applies to it, whether it names the
// operation or "*".
func TestFaultsOrder(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	health := func() int {
		resp, err := c.client.GetHealthWithResponse(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	add := func(body string) { c.call(http.MethodPost, "/_mock/faults", body).ok(t, nil) }
	add(`{"operation":"*","status":429,"count":1}`)
	add(`{"operation":"getHealth","status":500,"count":1}`)
	add(`{"operation":"*","status":503,"count":1}`)
	add(`{"operation":"getAllVerifications","status":502,"count":1}`)
	add(`{"operation":"GETHEALTH","status":504,"count":1}`)
	got := []int{health(), health(), health(), health(), health()}
	if want := []int{429, 500, 503, 504, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if f := c.mock.Faults(); len(f) != 1 || f[0].Operation != "getAllVerifications" {
		t.Errorf("faults left %+v, want getAllVerifications's", f)
	}
}
