package mockserver_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestLongUnknownNamesKeepTheWarningShort: a member name of 70,000 characters is accepted with a
// warning that names it cut, with its length, so the header stays far under the 8 KiB common
// clients accept; many long names give a header within MaxWarningBytes, with their count.
func TestLongUnknownNamesKeepTheWarningShort(t *testing.T) {
	m := newMock(t)
	long := strings.Repeat("a", 70000)
	r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","`+long+`":1}`))
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %.300s; want 200", r.status, r.body)
	}
	warning := r.header.Get("X-Mock-Warning")
	if len(warning) > 300 || !strings.Contains(warning, "...(70000 chars)") || !strings.Contains(warning, strings.Repeat("a", 120)) {
		t.Errorf("X-Mock-Warning is %d bytes: %.400s; want the name cut at 120 characters with its length", len(warning), warning)
	}

	var body strings.Builder
	body.WriteString(`{"queryString":"a=1"`)
	for i := range 40 {
		fmt.Fprintf(&body, `,"%d%s":1`, i, strings.Repeat("\u00e9", 5000)) // each name is quoted: every é becomes \u00e9
	}
	body.WriteString("}")
	r = m.send(http.MethodPost, "/v1/signature/create", []byte(body.String()))
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %.300s; want 200", r.status, r.body)
	}
	total := 0
	for _, v := range r.header.Values("X-Mock-Warning") {
		total += len(v)
	}
	if total > mockserver.MaxWarningBytes || !regexp.MustCompile(` and \d+ more$`).MatchString(r.header.Get("X-Mock-Warning")) {
		t.Errorf("X-Mock-Warning is %d bytes (limit %d): %.300s; want the names counted", total, mockserver.MaxWarningBytes, r.header.Get("X-Mock-Warning"))
	}
}
