package reqcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What the production service's stack (ASP.NET Core with System.Text.Json's web defaults) does
// with a request before it reaches the API, and the mock does too:
//
//   - It binds JSON member names regardless of letter case: {"QueryString": …} is queryString.
//     C# clients that serialize their classes as declared send PascalCase names, and production
//     accepts them; a mock that refused them would fail integrations that work.
//   - It binds query parameter names regardless of letter case: ?VerificationId=… is
//     verificationId; and reads a uuid there in any form Guid.Parse takes ({…}, 32 digits) and
//     an integer with spaces around it (respellQuery).
//   - It reads an enum value in another letter case as the value: "verification" is
//     "Verification" (System.Text.Json's enum converter tries the exact name, then ignores case).
//   - It refuses JSON nested deeper than 64 levels (System.Text.Json's MaxDepth), even inside
//     members the API ignores.
//   - It reads an integer only from an integer literal: 60.0 and 6e1 are refused, where JSON
//     Schema (and kin-openapi) would take them as 60 (integerForms).
//   - It reads an integer from a string too ("60" is 60), as the web defaults' NumberHandling
//     AllowReadingFromString does.
//
// The same stack's other reading rules are where the mock reads those parts of a request: paths
// in any letter case or with one trailing slash, and 405 for HEAD (mockserver/routing.go, route and
// notFound), application/*+json bodies and a skipped UTF-8 byte order mark (body.go,
// readBody), and a 401 for two Authorization headers (mockserver/accounts.go, requireAuth).
//
// Matching a name to the spec's is ordinal and case-insensitive, as .NET's OrdinalIgnoreCase is:
// each character upper-cased on its own. Every respelt name, value or path is named in the
// X-Mock-Warning header, since the spec's own spelling is what a client should send; with
// Options.Strict it is refused instead (fieldNotes.strictProblem).

// maxBodyNesting is how deeply objects and arrays may nest in a request body: System.Text.Json's
// default MaxDepth, under which the 65th level is refused.
const maxBodyNesting = 64

// nestingExceeds reports whether body opens more than limit objects and arrays inside one
// another. It counts brackets outside strings, so it needs no valid JSON to answer.
func nestingExceeds(body []byte, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > limit {
				return true
			}
		case '}', ']':
			depth--
		}
	}
	return false
}

// respelt is one name or value of a request read in a spelling other than the spec's.
type respelt struct {
	note  string // for X-Mock-Warning: "QueryString as queryString"
	field string // the spec's path of the member, value or parameter
	rule  string // what Options.Strict refuses it with: `must be spelt "queryString", not "QueryString"`
}

// notesOf is the X-Mock-Warning entries of rs.
func notesOf(rs []respelt) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.note
	}
	return out
}

// foldedName is the spec's name that name stands for when it differs only in letter case, as
// .NET's OrdinalIgnoreCase compares (each character upper-cased on its own), or "" when none
// does. names are the spec's names; an exact match is not looked for here.
func foldedName(name string, names []string) string {
	for _, want := range names {
		if EqualFold(name, want) {
			return want
		}
	}
	return ""
}

// EqualFold compares a and b character by character after upper-casing each, which is what
// .NET's OrdinalIgnoreCase does for the characters a JSON member name can hold: "ſ" matches "S",
// while the Kelvin sign, upper case already, does not match "k".
func EqualFold(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb && unicode.ToUpper(ra) != unicode.ToUpper(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == "" && b == ""
}

// needsRespelling reports whether some member of doc, at any depth the schema describes, is one
// of the schema's properties spelt in another letter case, or some string is one of its schema's
// enum values spelt so, or an integer its schema asks for.
func needsRespelling(s *Schema, doc any) bool {
	if s == nil {
		return false
	}
	switch v := doc.(type) {
	case string:
		_, isInt := integerFromString(v, s)
		return isInt || foldedEnum(v, s) != ""
	case map[string]any:
		for k, child := range v {
			p, known := s.Properties[k]
			if !known {
				if foldedName(k, s.PropertyNames) != "" {
					return true
				}
				continue
			}
			if needsRespelling(p, child) {
				return true
			}
		}
	}
	return false
}

// integerFromString is the integer that v, a JSON string, holds for an integer schema s, as
// System.Text.Json reads an Int32 or Int64 from a string with AllowReadingFromString: an optional
// sign and decimal digits, nothing else. ok is false for anything else, and for any s that is not
// an integer's.
func integerFromString(v string, s *Schema) (n int64, ok bool) {
	if s.Type != "integer" {
		return 0, false
	}
	digits := strings.TrimLeft(v, "+-")
	if len(v)-len(digits) > 1 || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// integerForms records into e, for every integer of doc that the schema asks for and that is
// written with a fraction or an exponent (60.0, 6e1), the rule it breaks in production: an Int32
// or Int64 is read only from an integer literal. A value that is not a whole number is left to
// the schema's own type rule.
func integerForms(s *Schema, doc any, path string, e *Problem) {
	if !hasIntegerForm(s, doc) {
		return // the common case, walked without building a path
	}
	switch v := doc.(type) {
	case json.Number:
		e.add(orBody(path), "must be an integer written without a fraction or exponent")
	case map[string]any:
		for k, child := range v {
			if p, known := s.Properties[k]; known {
				integerForms(p, child, join(path, k), e)
			}
		}
	}
}

// hasIntegerForm reports whether doc holds, where s asks for an integer, a whole number written
// with a fraction or an exponent.
func hasIntegerForm(s *Schema, doc any) bool {
	if s == nil {
		return false
	}
	switch v := doc.(type) {
	case json.Number:
		if s.Type != "integer" || !strings.ContainsAny(string(v), ".eE") {
			return false
		}
		f, err := strconv.ParseFloat(string(v), 64)
		return err == nil && f == math.Trunc(f)
	case map[string]any:
		for k, child := range v {
			if p, known := s.Properties[k]; known && hasIntegerForm(p, child) {
				return true
			}
		}
	}
	return false
}

// foldedEnum is the enum value of s that v spells in another letter case, or "" when v is one
// exactly, or none in any case, or s has no enum. System.Text.Json's enum converter reads a name
// so when no name matches exactly.
func foldedEnum(v string, s *Schema) string {
	if len(s.Enum) == 0 || slices.Contains(s.Enum, v) {
		return ""
	}
	return foldedName(v, s.Enum)
}

// respellBody rewrites body, valid JSON nested at most maxBodyNesting deep, as production reads
// it: every member name that matches a property of its object's schema in another letter case is
// replaced by the property's own name, every string that matches an enum value of its schema so
// by the value, and every string that holds an integer its schema asks for by the number. It
// returns the rewritten body, the renamings ("QueryString as queryString",
// `liveness.type "verification" as "Verification"`) and the numbers (`age.threshold "18" as 18`),
// by the path of the rewritten text, in the order they occur. Members that match one property
// under several spellings become duplicates of it, of which the last counts, as System.Text.Json
// binds them.
func respellBody(body []byte, s *Schema) (out []byte, renamed, numbers []respelt) {
	f := folder{in: body, out: make([]byte, 0, len(body))}
	f.value(s, "")
	f.out = append(f.out, f.in[f.i:]...) // trailing white space
	return f.out, f.renamed, f.numbers
}

type folder struct {
	in, out []byte
	i       int
	renamed []respelt // names and enum values respelt
	numbers []respelt // integers read from strings
}

func (f *folder) space() {
	start := f.i
	for f.i < len(f.in) && (f.in[f.i] == ' ' || f.in[f.i] == '\t' || f.in[f.i] == '\n' || f.in[f.i] == '\r') {
		f.i++
	}
	f.out = append(f.out, f.in[start:f.i]...)
}

// value copies one JSON value, renaming the member names of an object that s describes.
func (f *folder) value(s *Schema, path string) {
	f.space()
	if f.i >= len(f.in) {
		return
	}
	switch f.in[f.i] {
	case '{':
		f.object(s, path)
	case '[':
		f.out = append(f.out, '[')
		f.i++
		for {
			f.space()
			if f.i >= len(f.in) {
				return
			}
			if f.in[f.i] == ']' {
				f.out = append(f.out, ']')
				f.i++
				return
			}
			if f.in[f.i] == ',' {
				f.out = append(f.out, ',')
				f.i++
				continue
			}
			f.value(nil, "") // request schemas have no arrays; nothing inside one is renamed
		}
	case '"':
		end := f.stringEnd()
		raw := f.in[f.i:end]
		f.i = end
		var v string
		if s != nil && (len(s.Enum) > 0 || s.Type == "integer") && json.Unmarshal(raw, &v) == nil {
			if canonical := foldedEnum(v, s); canonical != "" {
				f.renamed = append(f.renamed, respelt{note: path + " " + string(raw) + ` as "` + canonical + `"`,
					field: path, rule: fmt.Sprintf("must be %q, not %s", canonical, raw)})
				raw = []byte(`"` + canonical + `"`) // the spec's enum values need no escaping
			} else if n, ok := integerFromString(v, s); ok {
				number := strconv.FormatInt(n, 10)
				f.numbers = append(f.numbers, respelt{note: path + " " + string(raw) + " as " + number,
					field: path, rule: "must be a number, not the string " + string(raw)})
				raw = []byte(number)
			}
		}
		f.out = append(f.out, raw...)
	default: // a number or a literal runs to the next delimiter
		start := f.i
		for f.i < len(f.in) && !strings.ContainsRune(",}] \t\n\r", rune(f.in[f.i])) {
			f.i++
		}
		f.out = append(f.out, f.in[start:f.i]...)
	}
}

func (f *folder) object(s *Schema, path string) {
	f.out = append(f.out, '{')
	f.i++
	for {
		f.space()
		if f.i >= len(f.in) {
			return
		}
		switch f.in[f.i] {
		case '}':
			f.out = append(f.out, '}')
			f.i++
			return
		case ',':
			f.out = append(f.out, ',')
			f.i++
			continue
		}
		end := f.stringEnd()
		raw := f.in[f.i:end]
		f.i = end
		var name string
		if json.Unmarshal(raw, &name) != nil {
			name = "" // not reached for valid JSON
		}
		var child *Schema
		if s != nil {
			if p, known := s.Properties[name]; known {
				child = p
			} else if canonical := foldedName(name, s.PropertyNames); canonical != "" {
				child = s.Properties[canonical]
				f.renamed = append(f.renamed, respelt{note: join(path, name) + " as " + canonical,
					field: join(path, canonical), rule: fmt.Sprintf("must be spelt %q, not %q", canonical, name)})
				name = canonical
				raw = []byte(`"` + canonical + `"`) // the spec's names need no escaping
			}
		}
		f.out = append(f.out, raw...)
		f.space()
		if f.i < len(f.in) && f.in[f.i] == ':' {
			f.out = append(f.out, ':')
			f.i++
		}
		f.value(child, join(path, name))
	}
}

// stringEnd is the index just past the string that starts at f.i.
func (f *folder) stringEnd() int {
	for j := f.i + 1; j < len(f.in); j++ {
		switch f.in[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(f.in)
}

// respellQuery returns raw as production reads it: every parameter name that matches one of
// params in another letter case replaced by the parameter's own name, every uuid value in
// another form Guid.Parse takes (32 digits, braces, parentheses, surrounding spaces) written
// 8-4-4-4-12, and every integer value with surrounding spaces trimmed. It also returns the
// renamings ("VerificationId as verificationId", sorted) and the values rewritten, in the
// query's order. It returns raw itself when nothing changes or it is not a valid query, which
// checkQueryOnce refuses.
func respellQuery(raw string, params []Param) (string, []respelt, []respelt) {
	if raw == "" || len(params) == 0 {
		return raw, nil, nil
	}
	if _, err := url.ParseQuery(raw); err != nil {
		return raw, nil, nil
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	var renamed, values []respelt
	seen := map[string]bool{}
	// Rebuild the query piece by piece in its order, so that repeated values keep their order
	// and checkQueryOnce sees a parameter given under two spellings as given twice.
	var b strings.Builder
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		key, value, hasValue := strings.Cut(piece, "=")
		name, _ := url.QueryUnescape(key) // ParseQuery took every piece
		if !slices.Contains(names, name) {
			if canonical := foldedName(name, names); canonical != "" {
				if !seen[name] {
					seen[name] = true
					renamed = append(renamed, respelt{note: name + " as " + canonical, field: canonical,
						rule: fmt.Sprintf("must be spelt %q, not %q", canonical, name)})
				}
				name, key = canonical, url.QueryEscape(canonical)
			}
		}
		if i := slices.Index(names, name); i >= 0 && hasValue {
			v, _ := url.QueryUnescape(value)
			if read, rule := queryValueForm(v, params[i].Schema); read != "" {
				values = append(values, respelt{note: fmt.Sprintf("%s %q as %s", name, v, read), field: name,
					rule: fmt.Sprintf("%s, not %q", rule, v)})
				value = url.QueryEscape(read)
			}
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		if hasValue {
			b.WriteByte('=')
			b.WriteString(value)
		}
	}
	if renamed == nil && values == nil {
		return raw, nil, nil
	}
	slices.SortFunc(renamed, func(a, b respelt) int { return strings.Compare(a.note, b.note) })
	return b.String(), renamed, values
}

// queryValueForm is v as production reads it for a parameter of schema s, and the rule Strict
// refuses it with, when that differs from v: a uuid in one of Guid.Parse's other forms, or an
// integer with spaces around it (int.Parse with NumberStyles.Integer); "" when v needs nothing
// or no reading makes it valid.
func queryValueForm(v string, s *Schema) (read, rule string) {
	t := strings.TrimFunc(v, unicode.IsSpace)
	switch {
	case s.Format == "uuid":
		if len(t) == 38 && (t[0] == '{' && t[37] == '}' || t[0] == '(' && t[37] == ')') {
			t = t[1:37]
		} else if len(t) == 32 && strings.Trim(t, "0123456789abcdefABCDEF") == "" {
			t = t[:8] + "-" + t[8:12] + "-" + t[12:16] + "-" + t[16:20] + "-" + t[20:]
		}
		if t != v && IsUUID(t) {
			return t, "must be a UUID written 8-4-4-4-12"
		}
	case s.Type == "integer":
		if t != v && t != "" {
			if _, err := strconv.ParseInt(t, 10, 64); err == nil {
				return t, "must be an integer without spaces"
			}
		}
	}
	return "", ""
}
