package mockserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// asKey is e seen by another account: the same mock, a client authenticated with key.
func asKey(e *flowEnv, key string) *flowEnv {
	e.t.Helper()
	c, err := generated.NewClientWithResponses(e.srv.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey "+key)
		return nil
	}))
	if err != nil {
		e.t.Fatal(err)
	}
	cp := *e
	cp.client = c
	return &cp
}

// createTenant creates a tenant through the control API.
func (c *ctlEnv) createTenant(body string) mockserver.Tenant {
	c.t.Helper()
	r := c.call(http.MethodPost, "/_mock/tenants", body)
	if r.status != http.StatusCreated {
		c.t.Fatalf("POST /_mock/tenants: %d %s", r.status, r.body)
	}
	var tn mockserver.Tenant
	if err := json.Unmarshal(r.body, &tn); err != nil {
		c.t.Fatal(err)
	}
	return tn
}

func TestTenantCreateListDelete(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	named := c.createTenant(`{"name":"billing CI"}`)
	plain := c.createTenant("")
	if named.Name != "billing CI" || named.APIKey == "" || !strings.HasPrefix(named.AccountID, "tenant-") {
		t.Fatalf("created %+v; want the name, a key and a tenant- id", named)
	}
	if plain.Name != plain.AccountID {
		t.Errorf("a tenant without a name is named %q, want its id %q", plain.Name, plain.AccountID)
	}
	if named.APIKey == plain.APIKey || named.AccountID == plain.AccountID {
		t.Fatalf("two tenants share a key or an id: %+v %+v", named, plain)
	}

	// The key works on the Service API, and the tenant's data is its own.
	tenant := asKey(c.flowEnv, named.APIKey)
	v := tenant.createHostedVerification("tenant-only", "")
	if names := c.ctlGetAll(); len(names) != 0 {
		t.Errorf("the development account sees %v, want none of the tenant's", names)
	}

	// The list has both, in creation order, without keys.
	var list struct{ Tenants []map[string]any }
	c.call(http.MethodGet, "/_mock/tenants", "").ok(t, &list)
	if len(list.Tenants) != 2 || list.Tenants[0]["accountId"] != named.AccountID || list.Tenants[1]["accountId"] != plain.AccountID {
		t.Fatalf("list = %v", list.Tenants)
	}
	for _, tn := range list.Tenants {
		if _, shown := tn["apiKey"]; shown {
			t.Errorf("the list shows a tenant's key: %v", tn)
		}
	}

	// Deleting it removes its data and its key.
	tenant.open(v, "") // a hosted-page request, journaled for the tenant
	c.call(http.MethodDelete, "/_mock/tenants/"+named.AccountID, "").ok(t, nil)
	resp, err := tenant.client.GetAllVerificationsWithResponse(context.Background())
	if err != nil || resp.StatusCode() != http.StatusUnauthorized {
		t.Fatalf("the deleted tenant's key: %v %d, want 401", err, resp.StatusCode())
	}
	if r, _ := c.open(v, ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted tenant's hosted link answers %d, want 404", r.StatusCode)
	}
	for _, rec := range c.mock.Requests() {
		if rec.Account == named.AccountID {
			t.Errorf("the journal keeps the deleted tenant's request %+v", rec)
		}
	}
	c.call(http.MethodDelete, "/_mock/tenants/"+named.AccountID, "").problem(t, http.StatusNotFound)
	if p := c.call(http.MethodDelete, "/_mock/tenants/"+mockserver.DevAccountID, "").problem(t, http.StatusConflict); !p.mentions("--api-key") {
		t.Errorf("deleting a configured account: %+v, want a 409 that names --api-key", p)
	}
	c.call(http.MethodGet, "/_mock/tenants", "").ok(t, &list)
	if len(list.Tenants) != 1 || list.Tenants[0]["accountId"] != plain.AccountID {
		t.Errorf("list after delete = %v", list.Tenants)
	}
}

func TestTenantBadInput(t *testing.T) {
	c := newCtlEnv(t, mockserver.Options{})
	for _, tc := range []struct{ body, field string }{
		{`{"name":"` + strings.Repeat("n", 201) + `"}`, "name"},
		{`{"name":"a\u0007b"}`, "name"},
		{`{"nmae":"typo"}`, "nmae"},
		{`{"name":7}`, "name"},
	} {
		if p := c.call(http.MethodPost, "/_mock/tenants", tc.body).problem(t, http.StatusBadRequest); !p.names(tc.field) {
			t.Errorf("%s: problem %+v does not name %q", tc.body, p, tc.field)
		}
	}
}

func TestTenantSeededKeysRepeat(t *testing.T) {
	keys := func() []string {
		m, err := mockserver.New(mockserver.Options{Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var out []string
		for range 3 {
			tn, err := m.CreateTenant("")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tn.AccountID+" "+tn.APIKey)
		}
		return out
	}
	a, b := keys(), keys()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("the same seed created different tenants:\n%v\n%v", a, b)
	}
}

func TestTenantLimit(t *testing.T) {
	m, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for i := range mockserver.MaxTenants {
		if _, err := m.CreateTenant(""); err != nil {
			t.Fatalf("tenant %d: %v", i+1, err)
		}
	}
	if _, err := m.CreateTenant(""); !errors.Is(err, mockserver.ErrTooManyTenants) {
		t.Fatalf("tenant %d: %v, want ErrTooManyTenants", mockserver.MaxTenants+1, err)
	}
	c := newCtlEnv(t, mockserver.Options{})
	for range mockserver.MaxTenants {
		if _, err := c.mock.CreateTenant(""); err != nil {
			t.Fatal(err)
		}
	}
	if p := c.call(http.MethodPost, "/_mock/tenants", "").problem(t, http.StatusConflict); !p.mentions("1000") {
		t.Errorf("past the limit: %+v, want a 409 naming the limit", p)
	}
	// Deleting one makes room again.
	if err := m.DeleteTenant(m.Tenants()[0].AccountID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateTenant(""); err != nil {
		t.Errorf("after a delete: %v", err)
	}
}

func TestTenantsKeptInDataDir(t *testing.T) {
	dir := t.TempDir()
	open := func() *flowEnv { return newFlowEnv(t, mockserver.Options{DataDir: dir}) }
	e := open()
	kept, err := e.mock.CreateTenant("kept")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.mock.CreateTenant("gone")
	if err != nil {
		t.Fatal(err)
	}
	v := asKey(e, kept.APIKey).createHostedVerification("survives", "")
	asKey(e, gone.APIKey).createHostedVerification("deleted", "")
	if err := e.mock.DeleteTenant(gone.AccountID); err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.mock.Close()

	e = open()
	if got := e.mock.Tenants(); len(got) != 1 || got[0] != (mockserver.Tenant{AccountID: kept.AccountID, Name: "kept"}) {
		t.Fatalf("after a restart the tenants are %+v", got)
	}
	resp, err := asKey(e, kept.APIKey).client.GetVerificationWithResponse(context.Background(), &generated.GetVerificationParams{VerificationId: v})
	if err != nil || resp.JSON200 == nil || resp.JSON200.Verification.Name != "survives" {
		t.Fatalf("the kept tenant's verification after a restart: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	r, err := asKey(e, gone.APIKey).client.GetAllVerificationsWithResponse(context.Background())
	if err != nil || r.StatusCode() != http.StatusUnauthorized {
		t.Errorf("the deleted tenant's key after a restart: %v %d, want 401", err, r.StatusCode())
	}
}
