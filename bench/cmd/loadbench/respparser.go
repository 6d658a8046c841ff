package main

import (
	"bytes"
	"io"
)

// respParser reads HTTP/1.1 responses from bytes handed to it as they arrive, for the epoll
// driver, which cannot block in a bufio.Reader as the goroutine client does. It accepts exactly
// what conn.roundTrip accepts (it uses the same helpers): a status line, header lines up to a
// blank line, then a body framed by Content-Length, by chunked transfer coding, or, with
// neither, by the end of the connection.
//
// Lines are only consumed whole: feed leaves an incomplete line to the caller, which hands it
// back with the bytes that follow.
type respParser struct {
	keep    bool // keep the body (for tests; the load discards it)
	phase   parsePhase
	started bool  // bytes of this response have arrived
	remain  int64 // bytes left in phaseBody, phaseChunkData or phaseChunkEnd

	// The response, once done.
	status int
	f      framing
	body   []byte // with keep
}

type parsePhase uint8

const (
	phaseStatus    parsePhase = iota // the status line
	phaseHeaders                     // header lines, up to the blank line
	phaseBody                        // a Content-Length body
	phaseChunkSize                   // a chunk's size line
	phaseChunkData                   // a chunk's data
	phaseChunkEnd                    // the CRLF after a chunk's data
	phaseTrailers                    // trailer lines after the last chunk, up to the blank line
	phaseUntilEOF                    // a body without length: until the server closes
)

// reset prepares p for the next response.
func (p *respParser) reset() {
	*p = respParser{keep: p.keep}
}

// feed consumes the bytes of b that belong to the current response and reports how many it
// consumed and whether the response is complete. Bytes after a complete response are left for
// the next one, and so is an incomplete line.
func (p *respParser) feed(b []byte) (n int, done bool, err error) {
	if len(b) > 0 {
		p.started = true
	}
	for n < len(b) {
		switch p.phase {
		case phaseStatus, phaseHeaders, phaseChunkSize, phaseTrailers:
			i := bytes.IndexByte(b[n:], '\n')
			if i < 0 {
				return n, false, nil // wait for the rest of the line
			}
			line := b[n : n+i+1]
			n += i + 1
			if done, err = p.line(line); done || err != nil {
				return n, done, err
			}
		case phaseBody, phaseChunkData, phaseChunkEnd:
			m := int(min(int64(len(b)-n), p.remain))
			if p.keep && p.phase != phaseChunkEnd {
				p.body = append(p.body, b[n:n+m]...)
			}
			n += m
			p.remain -= int64(m)
			if p.remain > 0 {
				break
			}
			switch p.phase {
			case phaseBody:
				return n, true, nil
			case phaseChunkData:
				// conn.roundTrip skips the 2 bytes after a chunk's data without looking at them.
				p.phase, p.remain = phaseChunkEnd, 2
			default:
				p.phase = phaseChunkSize
			}
		case phaseUntilEOF:
			if p.keep {
				p.body = append(p.body, b[n:]...)
			}
			n = len(b)
		}
	}
	return n, false, nil
}

// line handles one whole line (with its line ending) of the status, header, chunk size or
// trailer phases.
func (p *respParser) line(line []byte) (done bool, err error) {
	// Like conn.roundTrip, a line of at most 2 bytes ("\r\n", "\n") counts as the blank line.
	blank := len(line) <= 2
	switch p.phase {
	case phaseStatus:
		if p.status, err = parseStatusLine(line); err != nil {
			return false, err
		}
		p.f = newFraming()
		p.phase = phaseHeaders
	case phaseHeaders:
		if !blank {
			return false, p.f.header(line)
		}
		switch {
		case p.f.chunked:
			p.phase = phaseChunkSize
		case p.f.length == 0:
			return true, nil
		case p.f.length > 0:
			p.phase, p.remain = phaseBody, int64(p.f.length)
		default:
			// No length: the body runs to the end of the connection, which is then closed.
			p.phase = phaseUntilEOF
			p.f.closeAfter = true
		}
	case phaseChunkSize:
		size, err := parseChunkSize(line)
		if err != nil {
			return false, err
		}
		switch {
		case size == 0:
			p.phase = phaseTrailers
		case size < 0:
			// conn.roundTrip copies nothing for a negative size, then skips 2 bytes.
			p.phase, p.remain = phaseChunkEnd, 2
		default:
			p.phase, p.remain = phaseChunkData, size
		}
	case phaseTrailers:
		return blank, nil
	}
	return false, nil
}

// eof tells p that the server closed the connection. It returns nil when that completes the
// response (a body without length), else the error conn.roundTrip would have met.
func (p *respParser) eof() error {
	switch {
	case p.phase == phaseUntilEOF:
		return nil
	case !p.started:
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}
