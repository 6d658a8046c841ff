package mockserver

import (
	"fmt"
	"net/http"
)

// Production answers like an ASP.NET Core app on Kestrel, and Kestrel refuses an oversized
// request before the app sees it. The mock applies Kestrel's default limits itself, in its
// handler, so a mock served in process (httptest, verifeyetest) answers exactly as the binary
// does, and in the API's error format rather than the plain text a server would give.
const (
	// MaxRequestLineBytes is the longest request line, in bytes: the method, a space, the
	// request target (path and query as sent), a space and the HTTP version, without the line's
	// CRLF. Kestrel's MaxRequestLineSize; a longer line answers 414.
	MaxRequestLineBytes = 8 << 10
	// MaxHeaderBytes is the largest total of the request's header fields, in bytes: each field
	// counted as the line "Name: value" and its CRLF, Host included. Kestrel's
	// MaxRequestHeadersTotalSize; more answers 431.
	MaxHeaderBytes = 32 << 10
	// MaxHeaderFields is the most header fields a request may have, Host included; a field sent
	// twice counts twice. Kestrel's MaxRequestHeaderCount; more answers 431.
	MaxHeaderFields = 100
)

// withLimits answers a request over production's limits (see MaxRequestLineBytes) before next
// sees it, and a declared Content-Length over maxBody with 413 before any of the body is read:
// a client that announces 10 GiB learns at once that it is too much, instead of waiting for a
// read timeout while the mock reads its first megabyte.
func (s *Server) withLimits(maxBody int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := overLimits(r, maxBody); e != nil {
			s.writeProblem(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// overLimits checks r in the order a server reads it: the request line, the header fields, the
// body's declared length.
func overLimits(r *http.Request, maxBody int64) *apiError {
	if n := requestLineBytes(r); n > MaxRequestLineBytes {
		return &apiError{status: http.StatusRequestURITooLong, fields: fieldError("request line",
			fmt.Sprintf("must not exceed %d bytes (method, target and HTTP version); got %d", MaxRequestLineBytes, n))}
	}
	fields, size := headerFields(r)
	if fields > MaxHeaderFields {
		return &apiError{status: http.StatusRequestHeaderFieldsTooLarge, fields: fieldError("headers",
			fmt.Sprintf("must not be more than %d fields; got %d", MaxHeaderFields, fields))}
	}
	if size > MaxHeaderBytes {
		return &apiError{status: http.StatusRequestHeaderFieldsTooLarge, fields: fieldError("headers",
			fmt.Sprintf("must not exceed %d bytes in total (each field as \"Name: value\" and CRLF); got %d", MaxHeaderBytes, size))}
	}
	if r.ContentLength > maxBody {
		return &apiError{status: http.StatusRequestEntityTooLarge, fields: fieldError("Content-Length",
			fmt.Sprintf("must not exceed %d bytes, the largest body the mock reads; declared %d", maxBody, r.ContentLength))}
	}
	return nil
}

// requestLineBytes is the length of r's request line without its CRLF. A request built in
// process may lack RequestURI and Proto; its URL and HTTP/1.1 stand in for them.
func requestLineBytes(r *http.Request) int {
	target := r.RequestURI
	if target == "" {
		target = r.URL.RequestURI()
	}
	proto := r.Proto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	return len(r.Method) + 1 + len(target) + 1 + len(proto)
}

// headerFields counts r's header fields and their bytes, each as the line "Name: value\r\n".
// net/http takes Host and Transfer-Encoding out of the header map; they are counted as sent.
func headerFields(r *http.Request) (fields, size int) {
	line := func(name string, value int) {
		fields++
		size += len(name) + len(": ") + value + len("\r\n")
	}
	for name, values := range r.Header {
		for _, v := range values {
			line(name, len(v))
		}
	}
	if r.Host != "" {
		line("Host", len(r.Host))
	}
	if len(r.TransferEncoding) > 0 {
		n := 0
		for i, te := range r.TransferEncoding {
			if i > 0 {
				n += len(", ")
			}
			n += len(te)
		}
		line("Transfer-Encoding", n)
	}
	return fields, size
}
