package mockserver

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// The dashboard: a page at /_mock/ that shows what the mock sees (the journal, verifications and
// sessions, waiting hosted sessions, webhook deliveries, the clock, the subject queue, faults) and
// drives it, for a developer with a browser. It is plain HTML, CSS and JavaScript embedded in the
// binary, with no build step and nothing fetched from elsewhere; it reads and acts through the
// control API, from the same origin, so it needs the control token for anything but loading its
// own files (it asks for the token and keeps it in the tab's session storage).

//go:embed dashboard
var dashboardFiles embed.FS

// dashboardPrefix is where the dashboard's scripts and styles are served.
const dashboardPrefix = "/_mock/dashboard/"

// withDashboard serves the dashboard's page to a browser's GET /_mock/ (one whose Accept names
// text/html) and its files under dashboardPrefix; everything else goes to control, so a client
// that asks /_mock/ for JSON still gets the control API's 404 problem.
func (s *Server) withDashboard(control http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			control.ServeHTTP(w, r)
			return
		}
		switch {
		case r.URL.Path == "/_mock/" && acceptsHTML(r):
			serveDashboardFile(w, r, "index.html")
		case strings.HasPrefix(r.URL.Path, dashboardPrefix):
			serveDashboardFile(w, r, strings.TrimPrefix(r.URL.Path, dashboardPrefix))
		default:
			control.ServeHTTP(w, r)
		}
	})
}

// acceptsHTML reports whether the request's Accept header names text/html, as a browser's
// navigation does.
func acceptsHTML(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/html" {
				return true
			}
		}
	}
	return false
}

// serveDashboardFile answers one embedded file, or 404 for a name the dashboard does not have.
func serveDashboardFile(w http.ResponseWriter, r *http.Request, name string) {
	data, err := fs.ReadFile(dashboardFiles, path.Join("dashboard", path.Clean("/"+name)))
	if err != nil || name == "" {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	// Only the dashboard's own files run, and no other site may frame it.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(data)
}
