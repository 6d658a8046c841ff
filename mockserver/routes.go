package mockserver

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/internal/reqcheck"
)

// apiRoute is one operation of the VerifEye Service API as the mock serves it.
type apiRoute struct {
	pattern string // the ServeMux pattern: the operation's method and path in openapi.yaml
	id      string // the operationId in openapi.yaml
	// serve binds the operation's parameters and calls the strict handler's method for it, which
	// decodes the body and calls handlers' method of the same name (see routes_bind.go).
	serve  func(*generated.ServerInterfaceWrapper, http.ResponseWriter, *http.Request)
	public bool // served without an Authorization header
}

// apiRoutes are the operations of the Service API, one row each. New checks them against the
// operations compiled from openapi.yaml (reqcheck.Operations), so the two cannot drift.
var apiRoutes = []apiRoute{
	{"POST /v1/signature/create", "createSignature", direct(generated.ServerInterface.CreateSignature), false},
	{"POST /v1/signature/validate", "validateSignature", direct(generated.ServerInterface.ValidateSignature), false},
	{"GET /v1/verification/get", "getVerification", serveGetVerification, false},
	{"GET /v1/verification/get-all", "getAllVerifications", direct(generated.ServerInterface.GetAllVerifications), false},
	{"POST /v1/verification/create", "createVerification", direct(generated.ServerInterface.CreateVerification), false},
	{"POST /v1/verification/create-or-update", "createOrUpdateVerification", direct(generated.ServerInterface.CreateOrUpdateVerification), false},
	{"PUT /v1/verification/update", "updateVerification", direct(generated.ServerInterface.UpdateVerification), false},
	{"DELETE /v1/verification/delete", "deleteVerification", serveDeleteVerification, false},
	{"POST /v1/verification/create-session", "createSession", direct(generated.ServerInterface.CreateSession), false},
	{"GET /v1/verification/get-session-result", "getSessionResult", serveGetSessionResult, false},
	{"GET /v1/token/get", "getToken", (*generated.ServerInterfaceWrapper).GetToken, false},
	{"GET /v1/healthz", "getHealth", direct(generated.ServerInterface.GetHealth), true},
}

// serverRoute is an endpoint the mock serves with a handler of its own: the hosted page, and the
// control API.
type serverRoute struct {
	pattern string // the ServeMux pattern
	id      string // the operationId in openapi.yaml, for the hosted page's; "" for the others
	serve   func(*Server, http.ResponseWriter, *http.Request)
}

// hostedRoutes are the hosted verification page (openapi.yaml's operations tagged Hosted, served
// on the API's listener although production serves it on a host of its own) and the form it
// posts. A GET here answers HEAD too, as a browser's page does.
var hostedRoutes = []serverRoute{
	{"GET /verification/{verificationId}", "openHostedPage", (*Server).startHosted},
	{"POST /verification/{verificationId}/sessions/{sessionId}/complete", "", (*Server).completeHosted},
}

// controlRoutes are the endpoints of the control API (control-openapi.yaml).
var controlRoutes = []serverRoute{
	{"GET /_mock/openapi.yaml", "", (*Server).ctlSpec},
	{"POST /_mock/reset", "", (*Server).ctlReset},
	{"GET /_mock/clock", "", (*Server).ctlGetClock},
	{"POST /_mock/clock", "", (*Server).ctlSetClock},
	{"GET /_mock/sessions", "", (*Server).ctlSessions},
	{"POST /_mock/sessions/{verificationSessionId}/complete", "", (*Server).ctlComplete},
	{"GET /_mock/subjects", "", (*Server).ctlListSubjects},
	{"POST /_mock/subjects", "", (*Server).ctlQueueSubjects},
	{"DELETE /_mock/subjects", "", (*Server).ctlClearSubjects},
	{"GET /_mock/webhooks", "", (*Server).ctlWebhooks},
	{"POST " + WebhookSinkPath, "", (*Server).ctlSinkReceive},
	{"GET " + WebhookSinkPath, "", (*Server).ctlSinkList},
	{"DELETE " + WebhookSinkPath, "", (*Server).ctlSinkClear},
	{"GET /_mock/requests", "", (*Server).ctlRequests},
	{"GET /_mock/faults", "", (*Server).ctlListFaults},
	{"POST /_mock/faults", "", (*Server).ctlAddFault},
	{"DELETE /_mock/faults", "", (*Server).ctlClearFaults},
	{"DELETE /_mock/faults/{id}", "", (*Server).ctlRemoveFault},
	{"GET /_mock/collections", "", (*Server).ctlCollections},
	{"GET /_mock/tenants", "", (*Server).ctlListTenants},
	{"POST /_mock/tenants", "", (*Server).ctlCreateTenant},
	{"DELETE /_mock/tenants/{accountId}", "", (*Server).ctlDeleteTenant},
}

// operationIDs are the operationIds of apiRoutes by pattern, for the request journal.
var operationIDs = func() map[string]string {
	m := make(map[string]string, len(apiRoutes))
	for _, rt := range apiRoutes {
		m[rt.pattern] = rt.id
	}
	return m
}()

// checkRoutes reports the first difference between routes and ops, the operations compiled from
// openapi.yaml: an operation without a row, a row without an operation, or a row that says
// otherwise than the spec about the operation's id or its authentication.
func checkRoutes(routes []apiRoute, ops []reqcheck.Operation) error {
	byPattern := make(map[string]apiRoute, len(routes))
	for _, rt := range routes {
		if _, dup := byPattern[rt.pattern]; dup {
			return fmt.Errorf("the route table lists %s twice", rt.pattern)
		}
		byPattern[rt.pattern] = rt
	}
	for _, op := range ops {
		pattern := op.Method + " " + op.Path
		rt, ok := byPattern[pattern]
		switch {
		case !ok || rt.id != op.ID:
			return fmt.Errorf("openapi.yaml operation %s (%s) is not in the route table", op.ID, pattern)
		case rt.public == op.Authenticated:
			return fmt.Errorf("openapi.yaml operation %s: authenticated is %t in the spec, the route table says otherwise", op.ID, op.Authenticated)
		case rt.serve == nil:
			return fmt.Errorf("operation %s has no handler in the route table", op.ID)
		}
	}
	if len(routes) != len(ops) {
		return fmt.Errorf("the route table lists %d operations, openapi.yaml has %d", len(routes), len(ops))
	}
	return nil
}

// allowedMethods maps each path of routes to the methods served on it, in the table's order, as
// an Allow header lists them.
func allowedMethods(patterns []string) map[string]string {
	allow := map[string]string{}
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		if allow[path] != "" {
			allow[path] += ", "
		}
		allow[path] += method
	}
	return allow
}

// apiAllow is the Allow header of each path of the Service API.
var apiAllow = allowedMethods(patternsOf(apiRoutes, func(rt apiRoute) string { return rt.pattern }))

func patternsOf[R any](routes []R, pattern func(R) string) []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = pattern(rt)
	}
	return out
}

// handle registers each route of routes on mux, to be served by s.
func (s *Server) handle(mux *http.ServeMux, routes []serverRoute) {
	for _, rt := range routes {
		serve := rt.serve
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { serve(s, w, r) })
	}
}

// controlMux serves the control API: its routes (a call that changes state only with a JSON
// Content-Type, see requireJSON), a 405 naming the allowed methods on a known path with another
// method, and a 404 for anything else, all in the API's error format.
func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range controlRoutes {
		serve := rt.serve
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(s, w, r) })
		if rt.pattern != "POST "+WebhookSinkPath { // the sink takes any webhook, of any content type
			h = s.requireJSON(h)
		}
		mux.Handle(rt.pattern, h)
	}
	for path, allowed := range allowedMethods(patternsOf(controlRoutes, func(rt serverRoute) string { return rt.pattern })) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { s.notAllowed(w, r, allowed) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, &apiError{status: http.StatusNotFound, detail: "path: " + r.Method + " " + r.URL.Path + " is not a control API endpoint; see GET /_mock/openapi.yaml"})
	})
	return mux
}

// notAllowed answers a method the path does not serve: 405, with the methods it does in Allow.
func (s *Server) notAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	s.writeProblem(w, r, &apiError{status: http.StatusMethodNotAllowed,
		detail: fmt.Sprintf("method: %s is not allowed on %s; use %s", r.Method, r.URL.Path, allowed)})
}
