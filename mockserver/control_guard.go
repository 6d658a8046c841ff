package mockserver

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The control API moves the clock, injects faults and forgets data, and a developer's browser can
// reach a mock on their machine: any web page they open could send it requests. These checks keep
// such pages out, so that only the developer's own tools and the dashboard (served from the mock
// itself) drive it:
//
//   - A call that changes state must say Content-Type: application/json (requireJSON). A page may
//     send a cross-site form or a text/plain fetch without asking anyone, but a JSON body needs a
//     CORS preflight, and the mock grants none (it never sends Access-Control-Allow-* headers).
//   - A call from a page of another origin is refused: its Origin header names another host than
//     the request's Host, or its Sec-Fetch-Site says cross-site or same-site. The dashboard's calls
//     are same-origin and pass; tools such as curl and Go's http.Client send neither header.
//   - On a mock bound to loopback (Options.ControlHosts), a call whose Host names another host is
//     refused: that is how a page whose domain name was pointed at 127.0.0.1 (DNS rebinding) would
//     arrive, with an Origin that matches its Host.
//
// The Service API's routes (/v1/…) have none of these checks: they need an API key, and users put
// the mock behind port maps and proxies that send any Host.

// LoopbackHosts is the ControlHosts of a mock listening on the loopback address bound (such as
// "127.0.0.1" or "localhost"): localhost, 127.0.0.1, ::1 and bound.
func LoopbackHosts(bound string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if b := strings.Trim(bound, "[]"); b != "" && !slices.ContainsFunc(hosts, func(h string) bool { return sameHost(h, b) }) {
		hosts = append(hosts, b)
	}
	return hosts
}

// guardControl refuses, before next sees them, control calls from a foreign Host or Origin; see
// above. hosts are Options.ControlHosts.
func (s *Server) guardControl(hosts []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := foreignHost(r, hosts); e != nil {
			s.writeProblem(w, r, e)
			return
		}
		if e := crossOrigin(r); e != nil {
			s.writeProblem(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireJSON refuses a call to a control endpoint that changes state without a JSON
// Content-Type (see notJSON). It guards each endpoint rather than the whole control API, so
// that a wrong path or method still answers 404 or 405, and a missing control token 401.
func (s *Server) requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := notJSON(r); e != nil {
			s.writeProblem(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// foreignHost refuses a Host (its port aside) that is not one of hosts; none allows any.
func foreignHost(r *http.Request, hosts []string) *apiError {
	if len(hosts) == 0 {
		return nil
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host != "" && slices.ContainsFunc(hosts, func(h string) bool { return sameHost(h, host) }) {
		return nil
	}
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h
		if strings.Contains(h, ":") {
			names[i] = "[" + h + "]"
		}
	}
	return &apiError{status: http.StatusForbidden, fields: fieldError("Host",
		"must be one of "+strings.Join(names, ", ")+" (any port): on loopback the control API answers only calls naming it, "+
			"which keeps out web pages that point their own domain name at this machine (DNS rebinding); got "+quoteOrNothing(r.Host))}
}

// sameHost compares two host names without letter case, and two IP addresses by value.
func sameHost(a, b string) bool {
	if ia, ib := net.ParseIP(a), net.ParseIP(b); ia != nil && ib != nil {
		return ia.Equal(ib)
	}
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// crossOriginProtection is net/http's check of state-changing requests against Sec-Fetch-Site,
// or Origin against Host where the browser sends no Sec-Fetch-Site.
var crossOriginProtection = http.NewCrossOriginProtection()

// crossOrigin refuses a call a page of another origin made: net/http's CrossOriginProtection for
// a call that changes state, and for any call an Origin that is not the request's own (a page's
// reads need a CORS grant the mock never gives anyway; refusing them says so plainly).
func crossOrigin(r *http.Request) *apiError {
	if origin, sent := r.Header["Origin"]; sent && (len(origin) != 1 || !sameOrigin(origin[0], r.Host)) {
		return foreignOrigin(strings.Join(origin, ", "), r.Host)
	}
	// The Origin is the request's own or absent: CrossOriginProtection can only have objected to
	// Sec-Fetch-Site.
	if err := crossOriginProtection.Check(r); err != nil {
		return &apiError{status: http.StatusForbidden, fields: fieldError("Sec-Fetch-Site",
			"must be same-origin or none on a control API call that changes state: only the mock's own dashboard "+
				"and tools outside the browser may change it; got "+quoteOrNothing(r.Header.Get("Sec-Fetch-Site")))}
	}
	return nil
}

func foreignOrigin(origin, host string) *apiError {
	return &apiError{status: http.StatusForbidden, fields: fieldError("Origin",
		"must be the mock's own origin (http://"+host+") or absent: a web page of another origin may not use the control API; got "+
			quoteOrNothing(origin))}
}

// sameOrigin reports whether origin (an Origin header) names host (a Host header), as the
// dashboard's own calls do. "null", the origin of sandboxed frames and files, names no host.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") && u.Host == host
}

// notJSON refuses a call that changes state (POST, PUT, PATCH, or a DELETE with a body) without
// Content-Type: application/json; parameters such as charset=utf-8 may follow.
func notJSON(r *http.Request) *apiError {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	case http.MethodDelete:
		if r.ContentLength == 0 {
			return nil
		}
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
		return nil
	}
	return &apiError{status: http.StatusUnsupportedMediaType, fields: fieldError("Content-Type",
		"must be application/json on a control API call that changes state (POST, PUT, PATCH, or DELETE with a body), "+
			"with or without a body, since a web page may send any other type without the mock's consent; got "+quoteOrNothing(ct))}
}

// quoteOrNothing is v quoted for a message, or "nothing" when it is empty.
func quoteOrNothing(v string) string {
	if v == "" {
		return "nothing"
	}
	if len(v) > 200 {
		v = v[:200] + "…"
	}
	return `"` + v + `"`
}
