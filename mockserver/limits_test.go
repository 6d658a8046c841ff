package mockserver_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// Production's request limits (Kestrel's defaults), answered by the mock's handler itself, so a
// mock served in process answers them too.

// limitsProblem is the part of a problem the limit tests look at.
type limitsProblem struct {
	Status int                 `json:"status"`
	Detail string              `json:"detail"`
	Errors map[string][]string `json:"errors"`
}

// serveDirect sends r straight into m and returns the status and, for an error, the problem.
func serveDirect(t *testing.T, m http.Handler, r *http.Request) (int, limitsProblem) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, r)
	var p limitsProblem
	if rec.Code >= 400 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q, want application/problem+json", ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code {
			t.Errorf("problem %s (%v)", rec.Body, err)
		}
	}
	return rec.Code, p
}

func newLimitsMock(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	m, err := mockserver.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestRequestLineLimit: a request line (method SP target SP version) of 8192 bytes is served, one
// of 8193 answers 414 naming the limit; on the API and the control API alike.
func TestRequestLineLimit(t *testing.T) {
	m := newLimitsMock(t, mockserver.Options{})
	for _, path := range []string{"/v1/healthz?pad=", "/_mock/clock?pad="} {
		for _, n := range []int{mockserver.MaxRequestLineBytes, mockserver.MaxRequestLineBytes + 1} {
			target := path + strings.Repeat("x", n-len("GET ")-len(path)-len(" HTTP/1.1"))
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if got := len(r.Method + " " + r.RequestURI + " " + r.Proto); got != n {
				t.Fatalf("built a request line of %d bytes, want %d", got, n)
			}
			status, p := serveDirect(t, m, r)
			switch {
			case n <= mockserver.MaxRequestLineBytes && status != http.StatusOK:
				t.Errorf("%s, %d-byte request line: %d, want 200 (%s)", path, n, status, p.Detail)
			case n > mockserver.MaxRequestLineBytes && (status != http.StatusRequestURITooLong || len(p.Errors["request line"]) == 0 || !strings.Contains(p.Detail, "8192")):
				t.Errorf("%s, %d-byte request line: %d %+v, want 414 naming the request line and 8192", path, n, status, p)
			}
		}
	}
}

// TestHeaderLimits: header fields of 32768 bytes in total (each "Name: value" and CRLF, Host
// included) are served, 32769 answer 431; 100 fields are served, 101 answer 431.
func TestHeaderLimits(t *testing.T) {
	m := newLimitsMock(t, mockserver.Options{})
	hostLine := len("Host: example.com\r\n") // httptest.NewRequest's Host
	for _, total := range []int{mockserver.MaxHeaderBytes, mockserver.MaxHeaderBytes + 1} {
		r := httptest.NewRequest(http.MethodGet, "/v1/healthz", nil)
		r.Header.Set("X-Pad", strings.Repeat("x", total-hostLine-len("X-Pad: \r\n")))
		status, p := serveDirect(t, m, r)
		switch {
		case total <= mockserver.MaxHeaderBytes && status != http.StatusOK:
			t.Errorf("%d header bytes: %d, want 200 (%s)", total, status, p.Detail)
		case total > mockserver.MaxHeaderBytes && (status != http.StatusRequestHeaderFieldsTooLarge || len(p.Errors["headers"]) == 0 || !strings.Contains(p.Detail, "32768")):
			t.Errorf("%d header bytes: %d %+v, want 431 naming the headers and 32768", total, status, p)
		}
	}
	for _, fields := range []int{mockserver.MaxHeaderFields, mockserver.MaxHeaderFields + 1} {
		r := httptest.NewRequest(http.MethodGet, "/v1/healthz", nil)
		for i := range fields - 2 { // Host, and one field sent twice
			r.Header.Set(fmt.Sprintf("X-Pad-%d", i), "x")
		}
		r.Header.Add("X-Pad-0", "y")
		status, p := serveDirect(t, m, r)
		switch {
		case fields <= mockserver.MaxHeaderFields && status != http.StatusOK:
			t.Errorf("%d header fields: %d, want 200 (%s)", fields, status, p.Detail)
		case fields > mockserver.MaxHeaderFields && (status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(p.Detail, "100 fields")):
			t.Errorf("%d header fields: %d %+v, want 431 naming 100 fields", fields, status, p)
		}
	}
}

// unreadBody fails the test when the handler reads it.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Error("the body was read although its declared length is over the limit")
	return 0, io.ErrUnexpectedEOF
}

// TestDeclaredBodyOverLimit: a Content-Length over Options.MaxBodyBytes answers 413 naming it,
// without reading the body; a body of exactly the limit is read and served.
func TestDeclaredBodyOverLimit(t *testing.T) {
	const limit = 1024
	m := newLimitsMock(t, mockserver.Options{MaxBodyBytes: limit})
	body := `{"queryString":"a=` + strings.Repeat("x", limit-len(`{"queryString":"a="}`)) + `"}`
	r := httptest.NewRequest(http.MethodPost, "/v1/signature/create", strings.NewReader(body))
	r.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
	r.Header.Set("Content-Type", "application/json")
	if status, p := serveDirect(t, m, r); r.ContentLength != limit || status != http.StatusOK {
		t.Errorf("a body of %d bytes, the limit: %d (%s), want 200", r.ContentLength, status, p.Detail)
	}
	for _, path := range []string{"/v1/signature/create", "/_mock/clock", "/v1/healthz"} {
		r = httptest.NewRequest(http.MethodPost, path, io.NopCloser(unreadBody{t}))
		r.ContentLength = limit + 1
		r.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		r.Header.Set("Content-Type", "application/json")
		status, p := serveDirect(t, m, r)
		if status != http.StatusRequestEntityTooLarge || len(p.Errors["Content-Length"]) == 0 || !strings.Contains(p.Detail, "1024") {
			t.Errorf("POST %s declaring %d bytes: %d %+v, want 413 naming Content-Length and 1024", path, limit+1, status, p)
		}
	}
}

// TestDeclaredBodyOverLimitAnswersAtOnce: over a connection, a client that declares 10 GiB and
// sends 1 KiB gets its 413 without sending the rest. The server of httptest has no read timeout:
// a mock that waited for the body would never answer, and the client's deadline would end the
// test with an error.
func TestDeclaredBodyOverLimitAnswersAtOnce(t *testing.T) {
	m := newLimitsMock(t, mockserver.Options{})
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := "POST /v1/signature/create HTTP/1.1\r\nHost: mock\r\nAuthorization: ApiKey " + mockserver.DevAPIKey +
		"\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n"
	if _, err := io.WriteString(conn, head+`{"queryString":"`+strings.Repeat("x", 1024)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the rest of the body: %v", err)
	}
	defer resp.Body.Close()
	var p limitsProblem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || len(p.Errors["Content-Length"]) == 0 {
		t.Errorf("status %d, problem %+v (%v); want 413 naming Content-Length", resp.StatusCode, p, err)
	}
	if !strings.Contains(p.Detail, "10737418240") || !strings.Contains(p.Detail, "1048576") {
		t.Errorf("detail %q does not name the declared length and the limit", p.Detail)
	}
}
