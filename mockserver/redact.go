package mockserver

import (
	"regexp"
	"strconv"
	"strings"
)

// bodyLimit bounds each request and response body the journal keeps and the debug log shows: a
// body is captured up to it, and cut there with a marker naming its full size.
const bodyLimit = 4 << 10

// redacted replaces every credential redact finds.
const redacted = "[redacted]"

// secretNames are the names whose values are credentials: the API's session and Bearer tokens,
// signatures and API keys, as JSON members, query or form parameters and headers.
const secretNames = `reSignature|signature|sessionToken|accessToken|token|apiKey|x-api-key`

var (
	// "token": "…" (a JSON string member; the value may be cut off by the bound).
	secretMember = regexp.MustCompile(`(?i)("(?:` + secretNames + `)"\s*:\s*")(?:[^"\\]|\\.)*("|$)`)
	// token=… in a query string or form, up to the next separator.
	secretParam = regexp.MustCompile(`(?i)(\b(?:` + secretNames + `)=)[^&\s"'<>\\]*`)
	// <input … name="token" value="…"> in an HTML form (the camera page's token).
	secretInput = regexp.MustCompile(`(?i)(\bname="(?:` + secretNames + `)"\s+value=")[^"]*`)
	// X-API-Key: … as a header line.
	secretHeader = regexp.MustCompile(`(?i)(\bx-api-key:\s*)\S+`)
	// An Authorization header's credential: ApiKey <key>, Bearer <token>.
	secretScheme = regexp.MustCompile(`(?i)(\b(?:ApiKey|Bearer)\s+)[A-Za-z0-9._~+/=-]+`)
)

// redact is body with its credentials replaced by [redacted]: JSON members, query or form
// parameters, HTML form fields and headers named signature, reSignature, sessionToken,
// accessToken, token, apiKey or X-API-Key, and the credential of "ApiKey <key>" and
// "Bearer <token>". It is the one place the journal and the log hide credentials.
func redact(body string) string {
	if body == "" {
		return ""
	}
	body = secretMember.ReplaceAllString(body, "${1}"+redacted+"${2}")
	body = secretParam.ReplaceAllString(body, "${1}"+redacted)
	body = secretInput.ReplaceAllString(body, "${1}"+redacted)
	body = secretHeader.ReplaceAllString(body, "${1}"+redacted)
	return secretScheme.ReplaceAllString(body, "${1}"+redacted)
}

// capture is up to bodyLimit bytes of a body, with its full size.
type capture struct {
	buf  []byte
	size int64
}

// write keeps what of p still fits under the bound and counts all of it.
func (c *capture) write(p []byte) {
	c.size += int64(len(p))
	if room := bodyLimit - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
}

// keep is write for bytes that are never changed: while nothing has been captured and p fits
// under the bound, the capture keeps p itself rather than a copy (a later write copies, as p's
// capacity is cut to its length).
func (c *capture) keep(p []byte) {
	if c.buf != nil || len(p) > bodyLimit || len(p) == 0 {
		c.write(p)
		return
	}
	c.size += int64(len(p))
	c.buf = p[:len(p):len(p)]
}

// text is the captured body redacted, with a marker when the body was cut; "" when there was
// none.
func (c *capture) text() string {
	if c.size == 0 {
		return ""
	}
	s := redact(strings.ToValidUTF8(string(c.buf), "\uFFFD"))
	if c.size > int64(len(c.buf)) {
		s += "…[cut at " + strconv.Itoa(len(c.buf)) + " of " + strconv.FormatInt(c.size, 10) + " bytes]"
	}
	return s
}
