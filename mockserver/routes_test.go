package mockserver

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/verifeye-twin/verifeye/internal/reqcheck"
)

// TestRouteTableCoversTheSpec: every operation of openapi.yaml has its row, under its method,
// path and operationId: the API's in apiRoutes (public exactly when the spec gives it no security
// requirement), the hosted page's (tagged Hosted) in hostedRoutes; and no row names an operation
// the spec does not have.
func TestRouteTableCoversTheSpec(t *testing.T) {
	// openapi.yaml itself: the embedded copy's operationIds are in the generated code's form.
	spec, err := openapi3.NewLoader().LoadFromFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := map[string]apiRoute{}
	for _, rt := range apiRoutes {
		api[rt.pattern] = rt
	}
	hosted := map[string]string{}
	for _, rt := range hostedRoutes {
		hosted[rt.pattern] = rt.id
	}
	seen := 0
	for _, path := range spec.Paths.Keys() {
		for method, op := range spec.Paths.Value(path).Operations() {
			pattern := method + " " + path
			if slices.Contains(op.Tags, "Hosted") {
				if hosted[pattern] != op.OperationID {
					t.Errorf("hosted operation %s (%s) is not served by hostedRoutes", op.OperationID, pattern)
				}
				continue
			}
			seen++
			rt, ok := api[pattern]
			if !ok || rt.id != op.OperationID {
				t.Errorf("operation %s (%s) has no row in apiRoutes", op.OperationID, pattern)
				continue
			}
			security := spec.Security
			if op.Security != nil {
				security = *op.Security
			}
			if public := len(security) == 0; rt.public != public {
				t.Errorf("%s: public is %t in apiRoutes, the spec's security says %t", op.OperationID, rt.public, public)
			}
			if rt.serve == nil {
				t.Errorf("%s has no handler", op.OperationID)
			}
		}
	}
	if seen != len(apiRoutes) {
		t.Errorf("apiRoutes has %d rows, openapi.yaml %d operations outside the hosted page", len(apiRoutes), seen)
	}
	if err := checkRoutes(apiRoutes, reqcheck.Operations); err != nil {
		t.Error(err)
	}
}

// TestMissingRouteFails: a route table without one of the spec's operations, with one the spec
// does not have, or that disagrees about an operation's authentication, fails New's check,
// naming the operation.
func TestMissingRouteFails(t *testing.T) {
	for i, rt := range apiRoutes {
		without := slices.Delete(slices.Clone(apiRoutes), i, i+1)
		err := checkRoutes(without, reqcheck.Operations)
		if err == nil || !strings.Contains(err.Error(), rt.id) {
			t.Errorf("without %s: %v, want an error naming it", rt.id, err)
		}
		flipped := slices.Clone(apiRoutes)
		flipped[i].public = !flipped[i].public
		if err := checkRoutes(flipped, reqcheck.Operations); err == nil || !strings.Contains(err.Error(), rt.id) {
			t.Errorf("%s with public flipped: %v, want an error naming it", rt.id, err)
		}
	}
	extra := append(slices.Clone(apiRoutes), apiRoute{"GET /v1/nothing", "getNothing", nil, false})
	if err := checkRoutes(extra, reqcheck.Operations); err == nil {
		t.Error("a row the spec does not have passed the check")
	}
}

// TestControlAllowFollowsTheTable: a control API path answers a method it does not serve with
// 405 and exactly the methods its rows serve, in the table's order.
func TestControlAllowFollowsTheTable(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for path, want := range map[string]string{
		"/_mock/clock": "GET, POST", "/_mock/subjects": "GET, POST, DELETE", "/_mock/reset": "POST",
		"/_mock/sessions/x/complete": "POST", "/_mock/collections": "GET",
	} {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, path, nil))
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != want {
			t.Errorf("PATCH %s: %d Allow %q, want 405 Allow %q", path, w.Code, w.Header().Get("Allow"), want)
		}
	}
}
