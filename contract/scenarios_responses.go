package contract

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// probeContentTypes is the assumption that answers carry their media type without parameters.
const probeContentTypes = "responses.content-type-parameters"

func init() {
	register(
		Scenario{Name: "responses/content-types", Needs: []Need{ReadOnly}, Probes: []string{probeContentTypes}, Run: func(t *T) {
			calls := []struct {
				op, path, what string
				auth           bool
				want           string
			}{
				{opGetAll, "/v1/verification/get-all", "a JSON answer", true, "application/json"},
				{opGetAll, "/v1/verification/get-all", "a problem (without credentials)", false, "application/problem+json"},
				{"getHealth", "/v1/healthz", "healthz's time", false, "text/plain"},
			}
			var seen []string
			exact := true
			for _, c := range calls {
				var headers map[string]string
				if c.auth {
					headers = map[string]string{"Authorization": t.AuthHeader()}
				}
				status, header, _ := t.Raw(http.MethodGet, c.path, nil, headers)
				ct := header.Get("Content-Type")
				mt, _, err := mime.ParseMediaType(ct)
				t.True(err == nil && mt == c.want, c.op, "Content-Type of "+c.what, ct, c.want+", parameters aside")
				seen = append(seen, fmt.Sprintf("%s, %d: %q", c.what, status, ct))
				exact = exact && ct == c.want
			}
			// Whether parameters follow (ASP.NET Core writes "; charset=utf-8" after some) is
			// recorded, not failed: a client that reads the media type reads both.
			t.Decide(probeContentTypes, exact, strings.Join(seen, "; "))
		}},
	)
}
