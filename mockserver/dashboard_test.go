package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// GET /_mock/ serves the dashboard to a browser, without the control token (the page asks for
// it), and keeps answering the control API's 404 problem to every other client.
func TestDashboardPage(t *testing.T) {
	for _, separate := range []bool{false, true} {
		c := newCtlEnv(t, mockserver.Options{ControlToken: "s3cret", SeparateControl: separate})
		plain := http.DefaultClient
		t.Run("browser", func(t *testing.T) {
			r := ctlSend(t, plain, http.MethodGet, c.base+"/_mock/", "", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "/_mock/dashboard/app.js") {
				t.Fatalf("status %d, Content-Type %q, body %.200s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q lets the page load from elsewhere", csp)
			}
			for _, f := range []struct{ path, ctype string }{{"app.js", "text/javascript"}, {"app.css", "text/css"}} {
				r := ctlSend(t, plain, http.MethodGet, c.base+"/_mock/dashboard/"+f.path, "")
				if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), f.ctype) || len(r.body) == 0 {
					t.Errorf("%s: status %d, Content-Type %q", f.path, r.status, r.header.Get("Content-Type"))
				}
			}
			if r := ctlSend(t, plain, http.MethodGet, c.base+"/_mock/dashboard/nothing.js", ""); r.status != http.StatusNotFound {
				t.Errorf("an unknown dashboard file: status %d, want 404", r.status)
			}
		})
		t.Run("other clients", func(t *testing.T) {
			for _, accept := range []string{"", "application/json", "*/*"} {
				r := c.call(http.MethodGet, "/_mock/", "", "Accept", accept)
				if p := r.problem(t, http.StatusNotFound); !p.mentions("not a control API endpoint") {
					t.Errorf("Accept %q: %+v", accept, p)
				}
			}
		})
		t.Run("data still needs the token", func(t *testing.T) {
			r := ctlSend(t, plain, http.MethodGet, c.base+"/_mock/sessions", "", "Accept", "text/html")
			r.problem(t, http.StatusUnauthorized)
		})
	}
}
