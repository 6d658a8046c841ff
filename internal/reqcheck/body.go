package reqcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// readBody reads and checks the body: application/json, within maxBody, not empty, valid JSON
// nested at most maxBodyNesting deep. It also returns the body decoded (json.Decoder with
// UseNumber), and whether that decode succeeded.
func (v *Checker) readBody(r *http.Request) ([]byte, any, bool, *Problem) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := "application/json", map[string]string(nil), error(nil)
	if ct != "application/json" { // the header clients send, read without parsing
		mt, params, err = mime.ParseMediaType(ct)
	}
	if ct == "" || err != nil || !jsonMediaType(mt) {
		got := ct
		if got == "" {
			got = "nothing"
		}
		return nil, nil, false, &Problem{Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("Content-Type: must be application/json, got %s", got)}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		// Production would transcode; the mock reads UTF-8 only, so it refuses rather than
		// misread the body.
		return nil, nil, false, &Problem{Status: http.StatusUnsupportedMediaType,
			Detail: fmt.Sprintf("Content-Type: charset must be utf-8, got %s", cs)}
	}
	if r.Body == nil {
		return nil, nil, false, badRequest("body", "is required")
	}
	body, err := readAllHint(r.Body, r.ContentLength, v.maxBody)
	if err != nil {
		if err == errTooBig {
			return nil, nil, false, &Problem{Status: http.StatusRequestEntityTooLarge,
				Detail: fmt.Sprintf("body: must not exceed %d bytes", v.maxBody)}
		}
		return nil, nil, false, badRequest("body", "could not be read completely")
	}
	// A UTF-8 byte order mark before the JSON is skipped, as System.Text.Json skips it when it
	// reads a request body; JSON itself has no place for one.
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, false, badRequest("body", "is required")
	}
	// encoding/json would quietly turn bad UTF-8 and lone surrogates into U+FFFD and store
	// that; System.Text.Json refuses both, and so does the mock.
	if !utf8.Valid(body) {
		return nil, nil, false, badRequest("body", "must be valid UTF-8")
	}
	if loneSurrogate(body) {
		return nil, nil, false, badRequest("body", `must not contain a lone UTF-16 surrogate escape (\uD800 to \uDFFF without its pair)`)
	}
	if nestingExceeds(body, maxBodyNesting) {
		return nil, nil, false, badRequest("body", fmt.Sprintf("must not nest objects and arrays more than %d levels deep", maxBodyNesting))
	}
	// One JSON value followed by nothing but JSON white space is exactly what json.Valid
	// accepts; anything else gets json.Valid's verdict and wording.
	if doc, ok := decodeOne(body); ok {
		return body, doc, true, nil
	}
	if !json.Valid(body) {
		return nil, nil, false, badRequest("body", "must be valid JSON: "+jsonSyntaxError(body))
	}
	return body, nil, false, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// jsonMediaType reports whether a request body of media type mt (lower case, without
// parameters) is read as JSON: application/json, or a structured-syntax type such as
// application/vnd.example+json, which ASP.NET's JSON input reads as JSON too.
func jsonMediaType(mt string) bool {
	if mt == "application/json" {
		return true
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && len(sub) > len("+json") && strings.HasSuffix(sub, "+json")
}

// checkedBody is the request body handed on: the bytes read, read again from the start, in one
// allocation (where io.NopCloser(bytes.NewReader(body)) takes two).
type checkedBody struct{ bytes.Reader }

// Close does nothing: the body read is the request's own bytes.
func (*checkedBody) Close() error { return nil }

// validatedBody is a checkedBody that carries the value validated from it, which the generated
// strict handler binds (runtime.BindJSONBody) instead of decoding the body again; should binding
// fail, it decodes the body, which reads as sent.
type validatedBody struct {
	checkedBody
	value any
}

// ValidatedValue is what runtime.BindJSONBody looks for.
func (b *validatedBody) ValidatedValue() any { return b.value }

// jsonMemberCount counts the object members of body, which must be valid JSON: in valid JSON a
// string followed by a colon is a member name, and nothing else is.
func jsonMemberCount(body []byte) int {
	n := 0
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		for i++; i < len(body) && body[i] != '"'; i++ {
			if body[i] == '\\' {
				i++
			}
		}
		j := i + 1
		for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
			j++
		}
		if j < len(body) && body[j] == ':' {
			n++
		}
	}
	return n
}

// docMemberCount counts the members of every object in a decoded JSON value; it is less than
// jsonMemberCount of the text exactly when some object repeats a member name.
func docMemberCount(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, child := range v {
			n += docMemberCount(child)
		}
		return n
	case []any:
		n := 0
		for _, child := range v {
			n += docMemberCount(child)
		}
		return n
	}
	return 0
}

// errTooBig is readAllHint's error for a body over its limit.
var errTooBig = errors.New("request body too large")

// readAllHint is io.ReadAll of a body that may hold at most limit bytes (errTooBig for more,
// found as http.MaxBytesReader finds it: by reading at most limit+1 bytes), with a first buffer
// the size the request announced (when it is within limit), so a body is read without the
// buffer growing.
func readAllHint(r io.Reader, hint, limit int64) ([]byte, error) {
	size := int64(512)
	if hint > 0 && hint <= limit {
		size = hint + 1 // room to read EOF without growing
	}
	b := make([]byte, 0, min(size, limit+1))
	for {
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit+1)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, errTooBig
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append choose the growth
		}
	}
}

// decodeOne decodes body as kin-openapi's JSON body decoder does (json.Decoder, UseNumber: a
// number keeps its text, so an integer is checked exactly) and reports whether it holds exactly
// one JSON value.
func decodeOne(body []byte) (any, bool) {
	if doc, ok := parseJSON(body); ok {
		return doc, true
	}
	return decodeOneStd(body)
}

// decodeOneStd is decodeOne by encoding/json alone.
func decodeOneStd(body []byte) (any, bool) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	for _, c := range body[dec.InputOffset():] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return nil, false
		}
	}
	return doc, true
}

func jsonSyntaxError(body []byte) string {
	var anything any
	err := json.Unmarshal(body, &anything)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	if err != nil {
		return err.Error()
	}
	return "unexpected content"
}

// unknownFields lists the body's fields that the request schema does not declare. ASP.NET ignores
// them, and so does the mock, but a misspelt field silently ignored is a classic integration bug,
// so the mock names them in an X-Mock-Warning header and in its log.
func (v *Checker) unknownFields(doc any) []string {
	var out []string
	walkUnknown(v.op.Body.Schema, doc, "", &out)
	slices.Sort(out)
	return out
}

func walkUnknown(s *Schema, v any, path string, out *[]string) {
	obj, ok := v.(map[string]any)
	if !ok || s == nil {
		return
	}
	// Only objects are walked into, so a path is joined only for an object or an unknown field.
	for k, child := range obj {
		p, known := s.Properties[k]
		if !known {
			*out = append(*out, join(path, k))
			continue
		}
		if _, isObj := child.(map[string]any); isObj {
			walkUnknown(p, child, join(path, k), out)
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// loneSurrogate reports whether a JSON text has a \uD800–\uDFFF escape that is not half of a
// high-low surrogate pair.
func loneSurrogate(b []byte) bool {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				return false
			}
			if b[i+1] != 'u' {
				i++ // a one-character escape
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				return false // not valid JSON; reported elsewhere
			}
			i += 5
			switch {
			case r >= 0xD800 && r <= 0xDBFF: // high: a low must follow
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					if lo, ok := hex4(b, i+3); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						i += 6
						continue
					}
				}
				return true
			case r >= 0xDC00 && r <= 0xDFFF: // a low on its own
				return true
			}
		}
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
