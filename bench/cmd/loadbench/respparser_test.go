package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// parserCases are responses, each followed by the end of the connection.
var parserCases = []struct {
	name string
	raw  string
}{
	{"content-length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"},
	{"empty body", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"},
	{"bare LF lines", "HTTP/1.1 201 Created\nContent-Length: 2\n\nhi"},
	{"header case and spaces", "HTTP/1.1 200 OK\r\ncontent-LENGTH:   3  \r\nCONNECTION: Close\r\n\r\nabc"},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n"},
	{"chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n"},
	{"no length", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
	{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nrest"},
	{"malformed status line", "HTTP/2 200\r\n\r\n"},
	{"status not a number", "HTTP/1.1 2x0 OK\r\n\r\n"},
	{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n"},
	{"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"},
	{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
	{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
	{"truncated headers", "HTTP/1.1 200 OK\r\nContent-Len"},
	{"nothing", ""},
}

// TestParserMatchesRoundTrip checks that the epoll driver's parser, fed the bytes at once or one
// at a time, reads every response exactly as the goroutine client's roundTrip does: the same
// status, body and Connection: close, and an error for the same responses.
func TestParserMatchesRoundTrip(t *testing.T) {
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{c: &replayConn{r: bytes.NewReader([]byte(tc.raw))}}
			c.br = bufio.NewReader(c.c)
			wantStatus, wantBody, wantClose, wantErr := c.roundTrip([]byte("GET / HTTP/1.1\r\n\r\n"), true)
			for _, step := range []int{len(tc.raw) + 1, 1, 3} {
				status, body, closeAfter, err := parseAll(tc.raw, step)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("step %d: error %v, roundTrip's %v", step, err, wantErr)
				}
				if err != nil {
					continue
				}
				if status != wantStatus || string(body) != string(wantBody) || closeAfter != wantClose {
					t.Errorf("step %d: %d %q close=%v, roundTrip: %d %q close=%v", step, status, body, closeAfter, wantStatus, wantBody, wantClose)
				}
			}
		})
	}
}

// parseAll feeds raw to a parser step bytes at a time, as the epoll driver does (keeping the
// unconsumed bytes, then appending what arrives), then tells it the connection ended.
func parseAll(raw string, step int) (status int, body []byte, closeAfter bool, err error) {
	p := &respParser{keep: true}
	var pending []byte
	for off := 0; off < len(raw); off += step {
		pending = append(pending, raw[off:min(off+step, len(raw))]...)
		n, done, err := p.feed(pending)
		if err != nil {
			return 0, nil, false, err
		}
		pending = pending[n:]
		if done {
			return p.status, p.body, p.f.closeAfter, nil
		}
	}
	if err := p.eof(); err != nil {
		return 0, nil, false, err
	}
	return p.status, p.body, p.f.closeAfter, nil
}

// TestParserKeepsNextResponse checks that bytes after a response are left for the next one.
func TestParserKeepsNextResponse(t *testing.T) {
	two := "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
	p := &respParser{}
	n, done, err := p.feed([]byte(two))
	if err != nil || !done || p.status != 200 {
		t.Fatalf("first: n=%d done=%v err=%v status=%d", n, done, err, p.status)
	}
	p.reset()
	m, done, err := p.feed([]byte(two[n:]))
	if err != nil || !done || p.status != 404 || n+m != len(two) {
		t.Fatalf("second: n=%d done=%v err=%v status=%d", m, done, err, p.status)
	}
}

// replayConn is a net.Conn that swallows writes and reads from r.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(b []byte) (int, error)       { return c.r.Read(b) }
func (c *replayConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) Close() error                     { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }
