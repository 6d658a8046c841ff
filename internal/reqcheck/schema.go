package reqcheck

import (
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"unicode/utf8"
)

// Violation is one rule a JSON value breaks.
type Violation struct {
	// Path is the dotted path's parts from the validated value to the offending one (empty for
	// the value itself); for Keyword "required" it ends with the missing property's name.
	Path    []string
	Keyword string  // "type", "enum", "nullable", "format", "minimum", "maximum", "minLength", "maxLength" or "required"
	Schema  *Schema // the schema whose keyword the value broke
	Value   any     // the offending value (the object, for "required")
}

// Validate checks v, a decoded JSON value (from encoding/json, with or without
// Decoder.UseNumber; an int32 or int64 counts as a number too), against s and returns every rule
// it breaks, in the order kin-openapi's OpenAPI 3.0 validator (Schema.VisitJSON with
// MultiErrors, as a request, with format validation) reports them: object members by sorted
// name, then the missing required properties in the spec's order. The formats are "uuid" (8-4-4-4-12 hex
// digits, either case: the vendor's own example id is not an RFC 4122 UUID), "uri" (an absolute
// URI), "int32" and "int64".
func (s *Schema) Validate(v any) []Violation {
	var w walker
	w.path = w.stack[:0]
	w.visit(s, v)
	return w.out
}

// walker holds the path from the validated value to the one being visited (a slice only
// copied for a violation) and the violations found.
type walker struct {
	stack [8]string
	path  []string
	out   []Violation
}

func (w *walker) pathWith(extra ...string) []string {
	out := make([]string, 0, len(w.path)+len(extra))
	return append(append(out, w.path...), extra...)
}

func (w *walker) visit(s *Schema, v any) {
	add := func(keyword string) {
		w.out = append(w.out, Violation{Path: w.pathWith(), Keyword: keyword, Schema: s, Value: v})
	}
	if v == nil {
		switch {
		case s.Nullable:
		case len(s.Enum) > 0: // the enum is checked before null is refused
			add("enum")
		default:
			add("nullable")
		}
		return
	}
	if len(s.Enum) > 0 {
		if str, ok := v.(string); !ok || !slices.Contains(s.Enum, str) {
			add("enum")
			return
		}
	}
	switch v := v.(type) {
	case bool:
		if s.Type != "boolean" {
			add("type")
		}
	case json.Number:
		f, err := v.Float64()
		if err != nil { // out of float64's range
			add("type")
			return
		}
		s.visitNumber(f, add)
	case float64:
		s.visitNumber(v, add)
	case int64:
		s.visitNumber(float64(v), add)
	case int32:
		s.visitNumber(float64(v), add)
	case string:
		s.visitString(v, add)
	case map[string]any:
		if s.Type != "object" {
			add("type")
			return
		}
		// The members the schema declares, in sorted order (PropertyNames is sorted): the order
		// kin-openapi visits them in; the others are not checked.
		for _, k := range s.PropertyNames {
			if child, ok := v[k]; ok {
				w.path = append(w.path, k)
				w.visit(s.Properties[k], child)
				w.path = w.path[:len(w.path)-1]
			}
		}
		for _, k := range s.Required {
			if _, ok := v[k]; !ok {
				w.out = append(w.out, Violation{Path: w.pathWith(k), Keyword: "required", Schema: s, Value: v})
			}
		}
	default: // an array, or a value encoding/json does not produce: no schema here allows it
		add("type")
	}
}

func (s *Schema) visitNumber(f float64, add func(string)) {
	switch s.Type {
	case "integer":
		if f != math.Trunc(f) {
			add("type")
		}
		if (s.Format == "int32" || s.Format == "int64") && !inIntegerFormat(s.Format, f) {
			add("format")
		}
	case "number":
	default:
		add("type")
		return
	}
	if s.HasMinimum && !(s.Minimum <= f) {
		add("minimum")
	}
	if s.HasMaximum && !(s.Maximum >= f) {
		add("maximum")
	}
}

// inIntegerFormat reports whether f, truncated towards zero, fits the format.
func inIntegerFormat(format string, f float64) bool {
	var n int64
	switch {
	case f == float64(math.MaxInt64): // 2^63: math.MaxInt64 has no float64 of its own
		n = math.MaxInt64
	case f >= float64(math.MinInt64) && f < float64(math.MaxInt64):
		n = int64(f)
	default:
		return false
	}
	return format == "int64" || (n >= math.MinInt32 && n <= math.MaxInt32)
}

func (s *Schema) visitString(v string, add func(string)) {
	if s.Type != "string" {
		add("type")
		return
	}
	if s.MinLength > 0 || s.HasMaxLength {
		n := utf8.RuneCountInString(v)
		if n < s.MinLength {
			add("minLength")
		}
		if s.HasMaxLength && n > s.MaxLength {
			add("maxLength")
		}
	}
	switch s.Format {
	case "uuid":
		if !IsUUID(v) {
			add("format")
		}
	case "uri":
		if u, err := url.Parse(v); err != nil || !u.IsAbs() {
			add("format")
		}
	}
}

// IsUUID reports whether s is 8-4-4-4-12 hex digits, either case.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
