package reqcheck

import (
	"bytes"
	"encoding/json"
	"sync"
	"unicode/utf8"
)

// parseJSON decodes body, one JSON value and white space around it, into what encoding/json's
// Decoder with UseNumber gives (map[string]any, []any, string, json.Number, bool, nil), without
// its reflection and buffering: a request body is decoded on every call, and this is several
// times cheaper. It decides only what it is sure of: for any input it does not accept (a syntax
// error, bad UTF-8, a lone surrogate escape, nesting deeper than maxJSONDepth) it returns false
// and decodeOne asks encoding/json. FuzzParseJSONMatchesEncodingJSON holds it to that.
func parseJSON(body []byte) (any, bool) {
	p := jsonParser{b: body}
	p.space()
	v, ok := p.value(0)
	if !ok {
		return nil, false
	}
	p.space()
	return v, p.i == len(p.b)
}

// maxJSONDepth bounds the nesting parseJSON follows (encoding/json's own limit is 10,000).
const maxJSONDepth = 512

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (any, bool) {
	if p.i >= len(p.b) || depth > maxJSONDepth {
		return nil, false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.string()
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *jsonParser) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

func (p *jsonParser) object(depth int) (any, bool) {
	p.i++ // {
	m := map[string]any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return nil, false
		}
		k, ok := p.key()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k] = v // a repeated name: the last value wins, as with encoding/json
		if done, ok := p.next('}'); !ok || done {
			return m, ok
		}
	}
}

func (p *jsonParser) array(depth int) (any, bool) {
	p.i++ // [
	a := []any{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		p.space()
		v, ok := p.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if done, ok := p.next(']'); !ok || done {
			return a, ok
		}
	}
}

// next reads what follows a member or an element: a comma (another follows) or the closing
// bracket (done); anything else is not valid JSON.
func (p *jsonParser) next(closing byte) (done, ok bool) {
	p.space()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return false, true
	case closing:
		p.i++
		return true, true
	}
	return false, false
}

// number reads a number by JSON's grammar and keeps its text, as UseNumber does.
func (p *jsonParser) number() (any, bool) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && '1' <= p.b[p.i] && p.b[p.i] <= '9':
		p.digits()
	default:
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(p.b[start:p.i]), true
}

func (p *jsonParser) digits() int {
	n := 0
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
		n++
	}
	return n
}

// string reads a string; a string without escapes is one allocation (the Go string).
func (p *jsonParser) string() (any, bool) {
	p.i++ // "
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\':
			return p.escapedString(start)
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false // bad UTF-8: encoding/json would substitute U+FFFD
			}
			p.i += size
		}
	}
	return nil, false
}

// key reads a member name: string's result, as a string rather than boxed in an interface, and,
// for a property name of the spec's (the names nearly every body holds), the spec's own string
// instead of a copy.
func (p *jsonParser) key() (string, bool) {
	if end := p.i + 1 + bytes.IndexByte(p.b[p.i+1:], '"'); end > p.i {
		// A spec name is plain ASCII letters: the bytes up to the first quote are the whole,
		// unescaped name when they are one.
		if name, ok := specNames()[string(p.b[p.i+1:end])]; ok {
			p.i = end + 1
			return name, true
		}
	}
	v, ok := p.string()
	if !ok {
		return "", false
	}
	return v.(string), true
}

// specNames is every property name of the request bodies in openapi.yaml.
var specNames = sync.OnceValue(func() map[string]string {
	names := map[string]string{}
	var walk func(s *Schema)
	walk = func(s *Schema) {
		if s == nil {
			return
		}
		for name, prop := range s.Properties {
			names[name] = name
			walk(prop)
		}
	}
	for _, op := range Operations {
		if op.Body != nil {
			walk(op.Body.Schema)
		}
	}
	return names
})

// escapedString continues a string that has an escape, from its start.
func (p *jsonParser) escapedString(start int) (any, bool) {
	out := make([]byte, 0, p.i-start+16)
	out = append(out, p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), true
		case c == '\\':
			if p.i+1 >= len(p.b) {
				return nil, false
			}
			e := p.b[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(p.b, p.i)
				if !ok {
					return nil, false
				}
				p.i += 4
				switch {
				case r >= 0xD800 && r <= 0xDBFF: // a high surrogate: its low half must follow
					if p.i+6 > len(p.b) || p.b[p.i] != '\\' || p.b[p.i+1] != 'u' {
						return nil, false
					}
					lo, ok := hex4(p.b, p.i+2)
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						return nil, false
					}
					p.i += 6
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				case r >= 0xDC00 && r <= 0xDFFF:
					return nil, false
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, false
			}
		case c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.b[p.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			out = append(out, p.b[p.i:p.i+size]...)
			p.i += size
		}
	}
	return nil, false
}
