package mockserver

import (
	"net/http"
	"path"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/internal/reqcheck"
)

// buildHandler wires the request pipeline: observe (request id, mock header, log line, panic
// guard) → production's size limits (withLimits) → normalise the path and refuse HEAD (route) → the route table's handler: the mock's
// fault injection → authenticate → the account's fault injection → check the request against openapi.yaml → the generated strict
// handler.
func (s *Server) buildHandler(maxBody int64, mountControl bool) (http.Handler, error) {
	if err := checkRoutes(apiRoutes, reqcheck.Operations); err != nil {
		return nil, err
	}
	api := s.generatedServer()
	specs := make(map[string]*reqcheck.Operation, len(reqcheck.Operations))
	for i := range reqcheck.Operations {
		op := &reqcheck.Operations[i]
		specs[op.Method+" "+op.Path] = op
	}
	mux := http.NewServeMux()
	for _, rt := range apiRoutes {
		v, err := reqcheck.New(specs[rt.pattern], maxBody)
		if err != nil {
			return nil, err
		}
		serve := rt.serve
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(api, w, r) })
		mux.Handle(rt.pattern, s.withFaults(rt.id, s.requireAuth(rt, s.withAccountFaults(rt.id, s.checked(v, h)))))
	}
	s.handle(mux, hostedRoutes)

	// The control API (see control.go), on this listener unless it has its own.
	// A control call needs the control token first (when the mock has one), then acts on the
	// account its Authorization header names, if any.
	// The dashboard's page and files (dashboard.go) are served without the token: they hold no
	// data, and the page asks for the token itself.
	// A delivery to the webhook sink (control_sink.go) needs no control token.
	// Before all of it, guardControl keeps out calls a web page could have sent.
	ctl := s.controlMux()
	control := s.guardControl(s.controlHosts, s.withDashboard(withOpenWebhookSink(s.requireControlToken(s.controlScope(ctl)), ctl)))
	s.control = s.observe(s.withLimits(maxBody, control))
	if mountControl {
		mux.Handle("/_mock/", control)
	}

	mux.HandleFunc("/", s.notFound)
	s.mux = mux
	return s.observe(s.withLimits(maxBody, http.HandlerFunc(s.route))), nil
}

// generatedServer is the generated wrapper (parameter binding) around the generated strict
// handler (body decoding, typed responses; strictReads for get and get-session-result) around
// handlers. Each route calls its wrapper method
// directly: the request has been routed once, by the mock's mux, which is what
// generated.HandlerWithOptions would otherwise do a second time on a ServeMux of its own.
func (s *Server) generatedServer() *generated.ServerInterfaceWrapper {
	h := &handlers{s: s}
	return &generated.ServerInterfaceWrapper{
		Handler: &strictReads{ServerInterface: generated.NewStrictHandlerWithOptions(h, nil, generated.StrictHTTPServerOptions{
			RequestErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
				s.writeProblem(w, r, badRequest("body", "could not be decoded: "+err.Error()))
			},
			ResponseErrorHandlerFunc: s.writeProblem,
		}), h: h},
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			s.writeProblem(w, r, badRequest("request", err.Error()))
		},
	}
}

// route normalises the request's path once, refuses HEAD on the API's operations, and hands the
// request to the mux.
//
// ASP.NET's routing, which production runs on, matches paths regardless of letter case and of one
// trailing slash: such a path is served as the operation's, with a warning (Options.Strict
// leaves it as sent, to be answered 404). ServeMux answers HEAD with an operation's GET handler;
// ASP.NET answers a GET-only endpoint's HEAD with 405, and so does the mock (the hosted page, a
// browser's page, answers HEAD as its GET).
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if uncleanPath(r.URL.Path) {
		s.notFound(w, r)
		return
	}
	r2 := r
	if p := routedPath(r.URL.Path); p != "" && p != r.URL.Path && !s.strict {
		how := "matched regardless of letter case: "
		if strings.HasSuffix(r.URL.Path, "/") {
			how = "matched without the trailing slash: "
		}
		s.warn(w, r, how+reqcheck.WarnedNames([]string{r.URL.Path})+" as "+p)
		r2 = withPath(r, p)
	}
	if allowed := apiAllow[r2.URL.Path]; r2.Method == http.MethodHead && allowed != "" {
		s.notAllowed(w, r2, allowed)
		return
	}
	s.mux.ServeHTTP(w, r2)
	r.Pattern = r2.Pattern // the journal names the operation served
}

// withPath is r with the path p.
func withPath(r *http.Request, p string) *http.Request {
	r2 := *r
	u := *r.URL
	u.Path, u.RawPath = p, ""
	r2.URL = &u
	return &r2
}

// notFound answers a path the mock does not serve (404) and a path of the API's with another
// method (405), in the API's error format rather than ServeMux's plain text.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if allowed := apiAllow[r.URL.Path]; allowed != "" {
		s.notAllowed(w, r, allowed)
		return
	}
	s.writeProblem(w, r, &apiError{status: http.StatusNotFound, detail: "path: " + r.URL.Path + " is not an operation of the VerifEye Service API"})
}

// routedPath is the path of the API's operation that ASP.NET's routing would take p for: the
// operation's path in any letter case, with or without one trailing slash; "" when p is none.
func routedPath(p string) string {
	if _, ok := apiAllow[p]; ok {
		return p // the operation's own spelling, the common case
	}
	trimmed := strings.TrimSuffix(p, "/")
	if uncleanPath(trimmed) {
		return ""
	}
	for path := range apiAllow {
		if reqcheck.EqualFold(trimmed, path) {
			return path
		}
	}
	return ""
}

// uncleanPath reports whether p has empty, "." or ".." segments: ServeMux would answer those
// with a redirect of its own, and the API has no such paths.
func uncleanPath(p string) bool {
	if cleanShape(p) {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c != p
}

// cleanShape reports whether p is a rooted path with no empty, "." or ".." segment (but for an
// empty last segment, a trailing slash), which path.Clean leaves as it is: the paths clients send,
// checked without path.Clean's copy.
func cleanShape(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	start := 1 // of the current segment
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		switch seg := p[start:i]; seg {
		case ".", "..":
			return false
		case "":
			if i < len(p) { // "//"
				return false
			}
		}
		start = i + 1
	}
	return true
}
