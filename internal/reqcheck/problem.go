package reqcheck

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Problem is why a request is refused: the HTTP status and, for each offending field (a dotted
// JSON path, a query parameter or a header name), the rules it broke, or a detail when the
// fault is the request's as a whole (its media type, its size). The mock answers it in the API's
// error body.
type Problem struct {
	Status int
	Fields map[string][]string
	Detail string // "" when Fields say it all
}

// String words p as the API's problem detail does: the detail, or every field with its rules.
func (p *Problem) String() string { return p.detailText() }

func (p *Problem) detailText() string {
	if p.Detail != "" {
		return p.Detail
	}
	keys := make([]string, 0, len(p.Fields))
	for k := range p.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(p.Fields[k], "; "))
	}
	return strings.Join(parts, "; ")
}

// add records that field broke rule (once, however often the rule is checked).
func (p *Problem) add(field, rule string) {
	if p.Fields == nil {
		p.Fields = map[string][]string{}
	}
	if slices.Contains(p.Fields[field], rule) {
		return
	}
	p.Fields[field] = append(p.Fields[field], rule)
}

// problem is the 400 for the fields recorded in p, or nil when there are none.
func (p *Problem) problem() *Problem {
	if len(p.Fields) == 0 {
		return nil
	}
	return &Problem{Status: http.StatusBadRequest, Fields: p.Fields}
}

func badRequest(field, rule string) *Problem {
	p := &Problem{Status: http.StatusBadRequest}
	p.add(field, rule)
	return p
}

// rule phrases a broken schema keyword as the rule the value broke.
func rule(keyword string, s *Schema) string {
	switch keyword {
	case "type":
		switch s.Type {
		case "object", "array", "integer":
			return "must be an " + s.Type
		}
		return "must be a " + s.Type
	case "minimum", "maximum":
		if s.HasMinimum && s.HasMaximum {
			return fmt.Sprintf("must be between %v and %v", s.Minimum, s.Maximum)
		}
		if keyword == "minimum" {
			return fmt.Sprintf("number must be at least %g", s.Minimum)
		}
		return fmt.Sprintf("number must be at most %g", s.Maximum)
	case "minLength", "maxLength":
		if s.HasMaxLength {
			return fmt.Sprintf("must be %d to %d characters long", s.MinLength, s.MaxLength)
		}
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "enum":
		return "must be one of: " + strings.Join(s.Enum, ", ")
	case "format":
		switch s.Format {
		case "uuid":
			return "must be a UUID (8-4-4-4-12 hex digits)"
		case "uri":
			return "must be an absolute URI"
		}
		return "must be a valid " + s.Format
	case "nullable":
		return "must not be null"
	case "required":
		return "is required"
	}
	return "breaks the rule " + keyword
}
