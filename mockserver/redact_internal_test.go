package mockserver

import (
	"bytes"
	"strings"
	"testing"
)

// The vectors are written by hand from the API's own shapes (openapi.yaml's examples of the
// token, session and signature answers, the hosted link's query string and the Authorization
// header's two schemes).
func TestRedact(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"token member", `{"token":"eyJhbGciOi.eyJhY2Mi.sig","expiresIn":3600}`, `{"token":"[redacted]","expiresIn":3600}`},
		{"session token", `{"sessionId":"a1b2","sessionToken":"eyJ.x.y"}`, `{"sessionId":"a1b2","sessionToken":"[redacted]"}`},
		{"signature member", `{"signature": "5d5b3c5a", "signedQueryString":"k=v&reNonce=n1&reSignature=5d5b3c5a"}`,
			`{"signature": "[redacted]", "signedQueryString":"k=v&reNonce=n1&reSignature=[redacted]"}`},
		{"escaped quote in a value", `{"apiKey":"a\"b","name":"x"}`, `{"apiKey":"[redacted]","name":"x"}`},
		{"value cut by the bound", `{"name":"x","token":"eyJhbGci`, `{"name":"x","token":"[redacted]`},
		{"member name in any case", `{"ApiKey":"k1"}`, `{"ApiKey":"[redacted]"}`},
		{"query parameter", `https://x.test/verification/1?reExternalId=u1&reSignature=abc123&reNonce=n`,
			`https://x.test/verification/1?reExternalId=u1&reSignature=[redacted]&reNonce=n`},
		{"form field", `sessionToken=abc&preset=pass`, `sessionToken=[redacted]&preset=pass`},
		{"hidden field in HTML", `<form method="post"><input type="hidden" name="token" value="q9-X_z"><select name="preset">`,
			`<form method="post"><input type="hidden" name="token" value="[redacted]"><select name="preset">`},
		{"link in HTML", `<a href="/ok?reSignature=abc">`, `<a href="/ok?reSignature=[redacted]">`},
		{"header", "X-API-Key: c2VjcmV0\r\n", "X-API-Key: [redacted]\r\n"},
		{"ApiKey scheme", `Authorization: ApiKey ZGV2OnNlY3JldA==`, `Authorization: ApiKey [redacted]`},
		{"Bearer scheme", `bearer eyJ.a-b_c.d`, `bearer [redacted]`},
		{"the 401's own words stay", `Authorization: missing; send "ApiKey <key>" or "Bearer <token>"`,
			`Authorization: missing; send "ApiKey <key>" or "Bearer <token>"`},
		{"other members stay", `{"name":"tokens","note":"signature required"}`, `{"name":"tokens","note":"signature required"}`},
		{"empty", ``, ``},
	}
	for _, c := range cases {
		if got := redact(c.in); got != c.want {
			t.Errorf("%s: redact(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestCaptureCutsAtTheBound(t *testing.T) {
	var c capture
	c.write([]byte(`{"token":"`))
	c.write([]byte(strings.Repeat("a", bodyLimit)))
	c.write([]byte(`"}`))
	if len(c.buf) != bodyLimit {
		t.Fatalf("captured %d bytes, want the bound %d", len(c.buf), bodyLimit)
	}
	got := c.text()
	want := `{"token":"[redacted]…[cut at 4096 of 4108 bytes]`
	if got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	var none capture
	if none.text() != "" {
		t.Error("an empty body has text")
	}
}

// TestCaptureKeep: kept bytes are held as they are, never written into, and bounded as write
// bounds them.
func TestCaptureKeep(t *testing.T) {
	answer := []byte(`{"result":"Valid"}` + "\n")
	orig := string(answer)
	var c capture
	c.keep(answer)
	if &c.buf[0] != &answer[0] {
		t.Error("keep copied bytes it could have kept")
	}
	c.write([]byte("more"))
	if string(answer) != orig {
		t.Fatalf("a later write changed the kept bytes: %q", answer)
	}
	if got := c.text(); got != orig+"more" {
		t.Fatalf("text() = %q", got)
	}

	big := bytes.Repeat([]byte("x"), bodyLimit+10)
	var d capture
	d.keep(big)
	if len(d.buf) != bodyLimit || &d.buf[0] == &big[0] || d.size != int64(len(big)) {
		t.Fatalf("a body over the bound: kept %d bytes (shared: %v), size %d", len(d.buf), &d.buf[0] == &big[0], d.size)
	}
	var w capture
	w.write([]byte("a"))
	w.keep([]byte("b"))
	if w.text() != "ab" {
		t.Fatalf("keep after write: %q", w.text())
	}
}
