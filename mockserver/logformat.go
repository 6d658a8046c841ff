package mockserver

import (
	"strconv"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// The formats of slog's text and JSON handlers, for logHandler.writeLine; the tests compare
// them with slog's own output.

// appendTime appends t as slog's handlers write a record's time (the years 0 to 9999): RFC 3339
// with milliseconds for text, time.RFC3339Nano for JSON (without the quotes).
func appendTime(b []byte, t time.Time, millis bool) []byte {
	sec := lineSecondOf(t)
	b = append(b, sec.stamp[:]...)
	ns := t.Nanosecond()
	if millis {
		ms := ns / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	} else if ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, sec.zone...)
}

// lineSecond is a second's date and time, formatted, in a location.
type lineSecond struct {
	unix  int64
	loc   *time.Location
	stamp [19]byte // 2006-01-02T15:04:05
	zone  string   // Z or -07:00
}

// lastLineSecond is the second of the last line's time: a server writes many lines a second.
var lastLineSecond atomic.Pointer[lineSecond]

// lineSecondOf is the second of t, whose year is 0 to 9999, formatted as time.RFC3339 does.
func lineSecondOf(t time.Time) *lineSecond {
	unix, loc := t.Unix(), t.Location()
	if sec := lastLineSecond.Load(); sec != nil && sec.unix == unix && sec.loc == loc {
		return sec
	}
	sec := &lineSecond{unix: unix, loc: loc}
	var buf [32]byte
	f := t.AppendFormat(buf[:0], time.RFC3339)
	copy(sec.stamp[:], f)
	sec.zone = string(f[len(sec.stamp):])
	lastLineSecond.Store(sec)
	return sec
}

// appendTextString appends s as slog's text handler writes a string: as it is, or quoted by
// strconv.Quote when textNeedsQuoting. ASCII strings, the usual ones, are quoted here.
func appendTextString(b []byte, s string) []byte {
	quote := s == ""
	for i := 0; i < len(s); i++ {
		switch textBytes[s[i]] {
		case textQuoted:
			quote = true
		case textNotASCII:
			if textNeedsQuoting(s) {
				return strconv.AppendQuote(b, s)
			}
			return append(b, s...)
		}
	}
	if !quote {
		return append(b, s...)
	}
	const hex = hexDigits
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= ' ' && c < 0x7f && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		start = i + 1
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\v':
			b = append(b, '\\', 'v')
		default:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
	}
	return append(append(b, s[start:]...), '"')
}

// textBytes is what each byte means to appendTextString.
var textBytes = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = textNotASCII
		case c <= ' ' || c == '=' || c == '"':
			t[c] = textQuoted
		}
	}
	return t
}()

const (
	textPlain    = iota // written as it is
	textQuoted          // makes the string quoted
	textNotASCII        // part of a rune beyond ASCII
)

// textNeedsQuoting reports whether slog's text handler quotes s: when it is empty or has a
// space, '=', '"', a control character, a rune that is not printable or a space, or a byte that
// is not UTF-8 (or encodes U+FFFD).
func textNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// appendJSONEscaped appends s escaped as slog's JSON handler escapes a string (without the
// quotes): '"', '\\' and control characters escaped, '<', '>' and '&' not; bytes that are not
// UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func appendJSONEscaped(b []byte, s string) []byte {
	const hex = hexDigits
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
