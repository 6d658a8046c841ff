package mockserver_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
	if !reflect.DeepEqual(f, mockserver.Fault{ID: 1, Operation: "getToken", Status: 502}) {
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

// TestFaultsMatchRequestHeaders: a fault with requestHeaders is taken only by calls that carry
// every one of them with that value (names in any case); other calls pass it by and leave it
// whole, so suites sharing one mock can each fault their own getHealth calls. A bad condition is
// a 400 naming it.
func TestFaultsMatchRequestHeaders(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	send := func(path string, headers ...string) int {
		t.Helper()
		return ctlSend(t, http.DefaultClient, http.MethodGet, c.base+path, "", headers...).status
	}
	var added mockserver.Fault
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getHealth","status":503,"count":1,"requestHeaders":{"X-Suite":"a"}}`).ok(t, &added)
	if want := (mockserver.Fault{ID: 1, Operation: "getHealth", Status: 503, Count: 1, RequestHeaders: map[string]string{"X-Suite": "a"}}); !reflect.DeepEqual(added, want) {
		t.Errorf("POST answered %+v, want %+v", added, want)
	}
	passers := [][]string{nil, {"X-Suite", "b"}, {"X-Suite", "A"}, {"X-Suite", "ab"}, {"X-Other", "a"}}
	for _, h := range passers {
		if s := send("/v1/healthz", h...); s != http.StatusOK {
			t.Errorf("healthz with %q: %d, want 200 (the fault is not for it)", h, s)
		}
	}
	if f := c.mock.Faults(); len(f) != 1 || f[0].Count != 1 {
		t.Fatalf("calls without the header used the fault: %+v", f)
	}
	if s := send("/v1/healthz", "x-suite", "a"); s != http.StatusServiceUnavailable {
		t.Errorf("healthz with x-suite: a: %d, want 503", s)
	}
	if s := send("/v1/healthz", "X-Suite", "a"); s != http.StatusOK {
		t.Errorf("healthz after the fault was used: %d, want 200", s)
	}

	// An account's fault with two headers wants both; the oldest matching fault goes first.
	auth := []string{"Authorization", "ApiKey " + mockserver.DevAPIKey}
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"*","status":429,"requestHeaders":{"X-Suite":"a","X-Case":"retry"}}`, auth...).ok(t, nil)
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getAllVerifications","status":500,"count":1,"requestHeaders":{"X-Case":"retry"}}`, auth...).ok(t, nil)
	steps := []struct {
		headers []string
		want    int
	}{
		{append(slices.Clone(auth), "X-Suite", "a"), http.StatusOK},
		{append(slices.Clone(auth), "X-Case", "retry"), http.StatusInternalServerError},
		{append(slices.Clone(auth), "X-Case", "retry"), http.StatusOK},
		{append(slices.Clone(auth), "X-Case", "retry", "X-Suite", "a"), http.StatusTooManyRequests},
		{append(slices.Clone(auth), "X-Case", "retry", "X-Suite", "a"), http.StatusTooManyRequests},
	}
	for i, s := range steps {
		if got := send("/v1/verification/get-all", s.headers...); got != s.want {
			t.Errorf("call %d with %q: %d, want %d", i+1, s.headers[2:], got, s.want)
		}
	}

	bad := []struct{ body, field, says string }{
		{`{"operation":"getHealth","status":503,"requestHeaders":{"X Suite":"a"}}`, "requestHeaders", "not a header name"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"":"a"}}`, "requestHeaders", "not a header name"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"X-Suite":" a"}}`, "requestHeaders.X-Suite", "header value"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"X-Suite":"a\u0000b"}}`, "requestHeaders.X-Suite", "header value"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"X-Suite":"` + strings.Repeat("v", 1025) + `"}}`, "requestHeaders.X-Suite", "1024 bytes"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"A":"1","B":"1","C":"1","D":"1","E":"1","F":"1","G":"1","H":"1","I":"1"}}`, "requestHeaders", "at most 8"},
		{`{"operation":"getHealth","status":503,"requestHeaders":{"X-Suite":1}}`, "requestHeaders", ""},
	}
	for _, b := range bad {
		p := c.call(http.MethodPost, "/_mock/faults", b.body).problem(t, http.StatusBadRequest)
		if !p.names(b.field) || !p.mentions(b.says) {
			t.Errorf("%s: problem %+v, want %s named with %q", b.body, p, b.field, b.says)
		}
	}
	if f := c.mock.Faults(); len(f) != 0 {
		t.Errorf("the refused faults were kept: %+v", f)
	}
}

// TestFaultRequestHeadersAreCopied: the map given to AddFault, and the maps Faults returns, are
// the caller's: changing them changes no fault.
func TestFaultRequestHeadersAreCopied(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	given := map[string]string{"X-Suite": "a"}
	if err := c.mock.AddFault(mockserver.Fault{Operation: "getHealth", Status: 503, RequestHeaders: given}); err != nil {
		t.Fatal(err)
	}
	given["X-Suite"] = "changed"
	c.mock.Faults()[0].RequestHeaders["X-Suite"] = "changed too"
	if got := c.mock.Faults()[0].RequestHeaders; !reflect.DeepEqual(got, map[string]string{"X-Suite": "a"}) {
		t.Errorf("the fault's headers are %v, want X-Suite: a", got)
	}
	if s := ctlSend(t, http.DefaultClient, http.MethodGet, c.base+"/v1/healthz", "", "X-Suite", "a").status; s != http.StatusServiceUnavailable {
		t.Errorf("healthz with X-Suite: a: %d, want 503", s)
	}
}

// TestAccountFaultsRefuseGetHealth: getHealth takes no credentials, so an account's fault for it
// would wait for ever; adding one is a 400 that names the operation and the way that works.
func TestAccountFaultsRefuseGetHealth(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	auth := []string{"Authorization", "ApiKey " + mockserver.DevAPIKey}
	for _, op := range []string{"getHealth", "GETHEALTH"} {
		p := c.call(http.MethodPost, "/_mock/faults", `{"operation":"`+op+`","status":503}`, auth...).problem(t, http.StatusBadRequest)
		if !p.names("operation") || !p.mentions("getHealth takes no credentials") || !p.mentions("requestHeaders") {
			t.Errorf("%s: problem %+v", op, p)
		}
	}
	// Every operation ("*") is the account's other operations, and the mock's own scope takes it.
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"*","status":503,"count":1}`, auth...).ok(t, nil)
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getHealth","status":503,"count":1}`).ok(t, nil)
	if n := len(c.mock.Faults()); n != 1 {
		t.Errorf("the mock holds %d faults, want 1", n)
	}
}

// TestFaultsRemoveOne: each fault added has an id of its scope, never given again there; DELETE
// /_mock/faults/{id} removes that one and leaves the others, in their order; another scope's
// fault of the same id is not touched; an unknown id is a 404, a malformed one and an id given
// on add are 400s naming id.
func TestFaultsRemoveOne(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	auth := []string{"Authorization", "ApiKey " + mockserver.DevAPIKey}
	var ids []uint64
	for _, body := range []string{`{"operation":"getHealth","status":500}`, `{"operation":"getHealth","status":502}`, `{"operation":"getToken","status":503}`} {
		var f mockserver.Fault
		c.call(http.MethodPost, "/_mock/faults", body).ok(t, &f)
		ids = append(ids, f.ID)
	}
	if !slices.Equal(ids, []uint64{1, 2, 3}) {
		t.Fatalf("ids %v, want 1 2 3", ids)
	}
	var mine mockserver.Fault
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getToken","status":429}`, auth...).ok(t, &mine)
	if mine.ID != 1 {
		t.Errorf("the account's first fault has id %d, want 1 (its own scope)", mine.ID)
	}

	var removed mockserver.Fault
	c.call(http.MethodDelete, "/_mock/faults/2", "").ok(t, &removed)
	if removed.ID != 2 || removed.Status != 502 {
		t.Errorf("DELETE answered %+v, want fault 2", removed)
	}
	statuses := func(fs []mockserver.Fault) (out []int) {
		for _, f := range fs {
			out = append(out, f.Status)
		}
		return out
	}
	if got := statuses(c.mock.Faults()); !slices.Equal(got, []int{500, 503}) {
		t.Errorf("the mock's faults after removing 2: %v, want 500 503", got)
	}
	// The account's id 1 is its own: removing it leaves the mock's fault 1.
	c.call(http.MethodDelete, "/_mock/faults/1", "", auth...).ok(t, &removed)
	if removed.Status != 429 || len(c.mock.Faults()) != 2 {
		t.Errorf("the account's DELETE removed %+v; the mock holds %v", removed, statuses(c.mock.Faults()))
	}
	if !c.mock.RemoveFault(1) || c.mock.RemoveFault(1) {
		t.Error("Server.RemoveFault(1) should remove the mock's fault 1 once")
	}
	for path, want := range map[string]int{"/_mock/faults/2": http.StatusNotFound, "/_mock/faults/99": http.StatusNotFound,
		"/_mock/faults/abc": http.StatusBadRequest, "/_mock/faults/0": http.StatusBadRequest, "/_mock/faults/-1": http.StatusBadRequest} {
		if p := c.call(http.MethodDelete, path, "").problem(t, want); !p.names("id") {
			t.Errorf("DELETE %s: problem %+v does not name id", path, p)
		}
	}
	if p := c.call(http.MethodPost, "/_mock/faults", `{"id":7,"operation":"getToken","status":503}`).problem(t, http.StatusBadRequest); !p.names("id") {
		t.Errorf("an add with an id: %+v", p)
	}

	// Ids are never given again in a scope, even after a clear.
	c.call(http.MethodDelete, "/_mock/faults", "").ok(t, nil)
	var next mockserver.Fault
	c.call(http.MethodPost, "/_mock/faults", `{"operation":"getHealth","status":503}`).ok(t, &next)
	if next.ID != 4 {
		t.Errorf("the next fault after a clear has id %d, want 4", next.ID)
	}
}
