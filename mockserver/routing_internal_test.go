package mockserver

import (
	"math/rand/v2"
	"path"
	"strings"
	"testing"
)

// cleanByPathClean is uncleanPath's definition: what path.Clean would change, a trailing slash
// aside.
func cleanByPathClean(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// TestCleanShapeAgreesWithPathClean holds the shortcut to path.Clean's verdict: a path it calls
// clean, path.Clean leaves as it is.
func TestCleanShapeAgreesWithPathClean(t *testing.T) {
	fixed := []string{"", "/", "//", "/.", "/..", "/./", "/../", "/v1/healthz", "/v1/healthz/", "/v1//healthz",
		"/v1/./healthz", "/v1/../healthz", "/v1/healthz/.", "/v1/healthz/..", "v1/healthz", "/.../", "/a..b/.c/d.",
		"/v1/verification/get-all", "/v1/verification/get-all//"}
	r := rand.New(rand.NewPCG(3, 9))
	parts := []string{"/", ".", "..", "a", "v1", "/", "/", "-", "%2F"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		fixed = append(fixed, b.String())
	}
	for _, p := range fixed {
		if cleanShape(p) && !cleanByPathClean(p) {
			t.Fatalf("cleanShape(%q) = true, but path.Clean changes it", p)
		}
		if uncleanPath(p) == cleanByPathClean(p) {
			t.Fatalf("uncleanPath(%q) = %v, path.Clean says clean = %v", p, uncleanPath(p), cleanByPathClean(p))
		}
	}
	for _, p := range []string{"/", "/v1/healthz", "/v1/healthz/", "/_mock/journal"} {
		if !cleanShape(p) {
			t.Errorf("cleanShape(%q) = false; the shortcut misses a clean path", p)
		}
	}
}

// TestRoutedPathOfExactPaths: an operation's own path routes to itself without the search.
func TestRoutedPathOfExactPaths(t *testing.T) {
	for p := range apiAllow {
		if got := routedPath(p); got != p {
			t.Errorf("routedPath(%q) = %q", p, got)
		}
		if got := routedPath(strings.ToUpper(p) + "/"); got != p {
			t.Errorf("routedPath(%q) = %q, want %q", strings.ToUpper(p)+"/", got, p)
		}
	}
}
