package mockserver_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The vendor's API document, docs/vendor/verifeye-service-api.txt, shows a curl command for every
// operation and a JSON request body for those that take one. TestVendorExamples replays each of
// them, as written, against a fresh mock: only the host, the API-key placeholder and the example
// ids (where the example needs the object to exist) are replaced, and every one must answer the
// 200 the document gives. A developer who copies an example from the vendor's page gets the
// answer production gives.

const vendorDoc = "../docs/vendor/verifeye-service-api.txt"

// The placeholders of the vendor's examples.
const (
	vendorAPIKey         = "API-KEY-FROM-DEV-CONSOLE"
	vendorVerificationID = "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	vendorSessionID      = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
)

var vendorHost = regexp.MustCompile(`https://verifeye-service-api-(?:eu|us)\.realeyes\.ai`)

// vendorNeeds is what must exist before an operation's example can answer 200.
type vendorNeeds struct {
	verification bool // the example names vendorVerificationID
	session      bool // the example names vendorSessionID
}

// vendorOperations lists every operation the document has examples for, with what each example
// needs. An example of an operation not listed fails the test: add the operation here with its
// prerequisites.
var vendorOperations = map[string]vendorNeeds{
	"POST /v1/signature/create":               {},
	"POST /v1/signature/validate":             {},
	"GET /v1/verification/get":                {verification: true},
	"GET /v1/verification/get-all":            {},
	"POST /v1/verification/create":            {},
	"POST /v1/verification/create-or-update":  {},
	"PUT /v1/verification/update":             {verification: true},
	"DELETE /v1/verification/delete":          {verification: true},
	"POST /v1/verification/create-session":    {},
	"GET /v1/verification/get-session-result": {session: true},
	"GET /v1/healthz":                         {},
}

// vendorExample is one request example of the document.
type vendorExample struct {
	line     int    // where it starts in the document, 1-based
	kind     string // "curl" or "Request Body"
	endpoint string // the section's "Endpoint:", "POST /v1/signature/create"
	codes    string // the section's "Response Codes:" text
	method   string
	url      string      // as written (curl) or the endpoint's path (Request Body)
	headers  [][2]string // as written (curl) or the curl examples' two (Request Body)
	body     *string
}

func (e vendorExample) name() string {
	return fmt.Sprintf("line %d %s %s", e.line, e.endpoint, e.kind)
}

func TestVendorExamples(t *testing.T) {
	raw, err := os.ReadFile(vendorDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	examples, err := parseVendorExamples(doc)
	if err != nil {
		t.Fatal(err)
	}
	// Counted another way, so an example the parser misses is noticed.
	curls, bodies := strings.Count(doc, "curl "), strings.Count(doc, "Request Body:")
	var gotCurls, gotBodies int
	seen := map[string]bool{}
	for _, e := range examples {
		if e.kind == "curl" {
			gotCurls++
		} else {
			gotBodies++
		}
		seen[e.endpoint] = true
	}
	if gotCurls != curls || gotBodies != bodies {
		t.Fatalf("parsed %d curl examples and %d request bodies; the document has %d and %d", gotCurls, gotBodies, curls, bodies)
	}
	if curls < len(vendorOperations) {
		t.Fatalf("only %d curl examples for %d operations", curls, len(vendorOperations))
	}
	for op := range vendorOperations {
		if !seen[op] {
			t.Errorf("the document has no example of %s any more", op)
		}
	}

	replayed := 0
	for _, e := range examples {
		t.Run(e.name(), func(t *testing.T) {
			replayed++
			needs, ok := vendorOperations[e.endpoint]
			if !ok {
				t.Fatalf("no prerequisites known for %s: add it to vendorOperations", e.endpoint)
			}
			if !strings.HasPrefix(e.codes, "200-") {
				t.Fatalf("the section's response codes %q do not start with 200", e.codes)
			}
			m := newMock(t)
			replace := []string{vendorAPIKey, apiKeyA1}
			if needs.verification {
				replace = append(replace, vendorVerificationID, vendorCreateVerification(t, m, examples))
			}
			if needs.session {
				replace = append(replace, vendorSessionID, vendorCreateSession(t, m, examples))
			}
			status, body := vendorSend(t, m, e, strings.NewReplacer(replace...))
			if status != http.StatusOK {
				t.Errorf("status %d, want 200 as the document gives; body %s", status, body)
			}
			if vs := m.requestViolations(); len(vs) != 0 {
				t.Errorf("the vendor's example breaks openapi.yaml: %v", vs)
			}
		})
	}
	if replayed != len(examples) {
		t.Errorf("replayed %d of %d examples", replayed, len(examples))
	}
}

// vendorCreateVerification replays the document's create example (a verification named "Test
// Verification", which the update example renames onto itself) and returns the new id.
func vendorCreateVerification(t *testing.T, m *testMock, examples []vendorExample) string {
	t.Helper()
	var out struct {
		VerificationID string `json:"verificationId"`
	}
	vendorPrerequisite(t, m, examples, "POST /v1/verification/create", &out)
	return out.VerificationID
}

// vendorCreateSession replays the document's create-session example and returns the session id.
func vendorCreateSession(t *testing.T, m *testMock, examples []vendorExample) string {
	t.Helper()
	var out struct {
		VerificationSessionID string `json:"verificationSessionId"`
	}
	vendorPrerequisite(t, m, examples, "POST /v1/verification/create-session", &out)
	return out.VerificationSessionID
}

func vendorPrerequisite(t *testing.T, m *testMock, examples []vendorExample, endpoint string, out any) {
	t.Helper()
	for _, e := range examples {
		if e.endpoint == endpoint && e.kind == "curl" {
			status, body := vendorSend(t, m, e, strings.NewReplacer(vendorAPIKey, apiKeyA1))
			if status != http.StatusOK {
				t.Fatalf("prerequisite %s: status %d, body %s", e.name(), status, body)
			}
			if err := json.Unmarshal(body, out); err != nil {
				t.Fatalf("prerequisite %s: %v", e.name(), err)
			}
			return
		}
	}
	t.Fatalf("the document has no curl example of %s", endpoint)
}

// vendorSend sends e to the mock with r applied to its URL, headers and body, and the vendor's
// host replaced by the mock's. It fails the test when an example id is left, as the mock would
// answer 404 for an object that does not exist.
func vendorSend(t *testing.T, m *testMock, e vendorExample, r *strings.Replacer) (int, []byte) {
	t.Helper()
	url := r.Replace(e.url)
	if strings.HasPrefix(url, "/") {
		url = m.http.URL + url
	} else if loc := vendorHost.FindStringIndex(url); loc != nil && loc[0] == 0 {
		url = m.http.URL + url[loc[1]:]
	} else {
		t.Fatalf("the example's URL %q is not on the vendor's API host", e.url)
	}
	var body io.Reader
	var sent string
	if e.body != nil {
		sent = r.Replace(*e.body)
		body = strings.NewReader(sent)
	}
	for _, id := range []string{vendorVerificationID, vendorSessionID} {
		if strings.Contains(url, id) || strings.Contains(sent, id) {
			t.Fatalf("the example names %s, which does not exist in a fresh mock: give %s a prerequisite", id, e.endpoint)
		}
	}
	req, err := http.NewRequestWithContext(m.ctx, e.method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range e.headers {
		req.Header.Add(h[0], r.Replace(h[1]))
	}
	resp, err := m.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// parseVendorExamples finds every curl command and every "Request Body:" block of the document,
// each with its section's endpoint and response codes.
func parseVendorExamples(doc string) ([]vendorExample, error) {
	lines := strings.SplitAfter(doc, "\n")
	offsets := make([]int, len(lines)) // where each line starts in doc
	for i := 1; i < len(lines); i++ {
		offsets[i] = offsets[i-1] + len(lines[i-1])
	}
	var out []vendorExample
	endpoint, start := "", 0 // the current section and where its examples begin in out
	closeSection := func(codes string) {
		for i := start; i < len(out); i++ {
			out[i].codes = codes
		}
		start = len(out)
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		switch {
		case strings.HasPrefix(line, "Endpoint:"):
			endpoint = strings.TrimSpace(strings.TrimPrefix(line, "Endpoint:"))
		case strings.HasPrefix(line, "Response Codes:"):
			if i+1 < len(lines) {
				closeSection(strings.TrimSpace(lines[i+1]))
			}
		case strings.HasPrefix(line, "Request Body:"):
			method, path, _ := strings.Cut(endpoint, " ")
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j], "Request Parameters:") {
				j++
			}
			body := strings.Join(lines[i+1:j], "")
			if !json.Valid([]byte(body)) {
				return nil, fmt.Errorf("line %d: the request body is not JSON: %s", i+1, body)
			}
			out = append(out, vendorExample{
				line: i + 1, kind: "Request Body", endpoint: endpoint, method: method, url: path, body: &body,
				headers: [][2]string{{"Authorization", "ApiKey " + vendorAPIKey}, {"Content-Type", "application/json"}},
			})
		case strings.Contains(line, "curl "):
			at := offsets[i] + strings.Index(line, "curl ")
			words, n, err := shellWords(doc[at:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			e, err := curlExample(words)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			e.line, e.kind, e.endpoint = i+1, "curl", endpoint
			if u := vendorHost.ReplaceAllString(e.url, ""); e.method+" "+strings.SplitN(u, "?", 2)[0] != endpoint {
				return nil, fmt.Errorf("line %d: %s %s is not the section's endpoint %s", i+1, e.method, e.url, endpoint)
			}
			out = append(out, e)
			for i+1 < len(lines) && offsets[i+1] < at+n { // skip the lines the command spans
				i++
			}
		}
	}
	if start != len(out) {
		return nil, fmt.Errorf("the examples from line %d on have no Response Codes", out[start].line)
	}
	return out, nil
}

// curlExample reads the words of a curl command: -X METHOD, -H "Name: value", -d 'body' and the
// URL. Any other option is an error, so a new form of example is noticed rather than misread.
func curlExample(words []string) (vendorExample, error) {
	e := vendorExample{method: http.MethodGet}
	if len(words) == 0 || words[0] != "curl" {
		return e, errors.New("not a curl command")
	}
	for i := 1; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") {
			if i+1 >= len(words) {
				return e, fmt.Errorf("%s without a value", w)
			}
			i++
			switch v := words[i]; w {
			case "-X":
				e.method = v
			case "-H":
				name, value, ok := strings.Cut(v, ":")
				if !ok {
					return e, fmt.Errorf("header %q has no colon", v)
				}
				e.headers = append(e.headers, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
			case "-d":
				e.body = &v
			default:
				return e, fmt.Errorf("curl option %s is not read by this test", w)
			}
			continue
		}
		if e.url != "" {
			return e, fmt.Errorf("two URLs: %q and %q", e.url, w)
		}
		e.url = w
	}
	if e.url == "" {
		return e, errors.New("no URL")
	}
	return e, nil
}

// shellWords splits the shell command at the start of s into words as a POSIX shell does for
// the forms the document uses: blanks separate words; '…' is literal; "…" is literal but for
// \" \\ \$ \`; a backslash before a newline continues the line; an unquoted newline ends the
// command. It returns the words and how many bytes of s the command spans.
func shellWords(s string) ([]string, int, error) {
	var words []string
	var cur bytes.Buffer
	inWord := false
	end := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i += 2
		case c == '\\' && i+2 < len(s) && s[i+1] == '\r' && s[i+2] == '\n':
			i += 3
		case c == '\n':
			end()
			return words, i, nil
		case c == ' ' || c == '\t' || c == '\r':
			end()
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, 0, errors.New("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			inWord = true
			i += j + 2
		case c == '"':
			i++
			for {
				if i >= len(s) {
					return nil, 0, errors.New(`unterminated "`)
				}
				if s[i] == '"' {
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
				i++
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			inWord = true
			i += 2
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	end()
	return words, i, nil
}

// TestVendorExampleParser pins the parser on a made-up section in the document's layout: a curl
// command across lines with a multi-line body, and a request body, of an operation that
// vendorOperations does not list (so TestVendorExamples would fail on it).
func TestVendorExampleParser(t *testing.T) {
	doc := "Frobnicate\n" +
		"Endpoint: POST /v1/frobnicate\n" +
		"Request Body:\n" +
		"{\n\"a\": 1\n}\n" +
		"Request Parameters:\n" +
		"Example Request:\n" +
		"curl -X POST \"https://verifeye-service-api-us.realeyes.ai/v1/frobnicate\" \\\n" +
		"-H \"Authorization: ApiKey API-KEY-FROM-DEV-CONSOLE\" \\\n" +
		"-H \"X-Quote: say \\\"hi\\\"\" \\\n" +
		"-d '{\n\"a\": \"it''s\"\n}'\n" +
		"Response Codes:\n" +
		"200- Success400- Bad Request\n"
	got, err := parseVendorExamples(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("parsed %d examples, want 2: %+v", len(got), got)
	}
	body, c := got[0], got[1]
	if body.kind != "Request Body" || body.line != 3 || body.method != "POST" || body.url != "/v1/frobnicate" || *body.body != "{\n\"a\": 1\n}\n" {
		t.Errorf("request body example %+v", body)
	}
	wantHeaders := [][2]string{{"Authorization", "ApiKey API-KEY-FROM-DEV-CONSOLE"}, {"X-Quote", `say "hi"`}}
	if c.kind != "curl" || c.line != 9 || c.method != "POST" || c.url != "https://verifeye-service-api-us.realeyes.ai/v1/frobnicate" ||
		fmt.Sprint(c.headers) != fmt.Sprint(wantHeaders) || c.body == nil || *c.body != "{\n\"a\": \"its\"\n}" {
		t.Errorf("curl example %+v (body %q)", c, *c.body)
	}
	for _, e := range got {
		if e.endpoint != "POST /v1/frobnicate" || e.codes != "200- Success400- Bad Request" {
			t.Errorf("%s: endpoint %q, codes %q", e.name(), e.endpoint, e.codes)
		}
		if _, ok := vendorOperations[e.endpoint]; ok {
			t.Errorf("%s is listed in vendorOperations", e.endpoint)
		}
	}

	for name, bad := range map[string]string{
		"unknown curl option": "Endpoint: GET /v1/x\ncurl -s \"https://verifeye-service-api-eu.realeyes.ai/v1/x\"\nResponse Codes:\n200- Success\n",
		"other endpoint":      "Endpoint: GET /v1/x\ncurl -X GET \"https://verifeye-service-api-eu.realeyes.ai/v1/y\"\nResponse Codes:\n200- Success\n",
		"no response codes":   "Endpoint: GET /v1/x\ncurl -X GET \"https://verifeye-service-api-eu.realeyes.ai/v1/x\"\n",
		"body not JSON":       "Endpoint: POST /v1/x\nRequest Body:\n{\"a\":\nRequest Parameters:\n",
		"unterminated quote":  "Endpoint: POST /v1/x\ncurl -X POST \"https://verifeye-service-api-eu.realeyes.ai/v1/x\" -d '{\n",
	} {
		if _, err := parseVendorExamples(bad); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}
