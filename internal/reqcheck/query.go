package reqcheck

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// fastParam is a query parameter whose schema is a plain uuid string or a bounded integer.
type fastParam struct {
	name     string
	required bool
	isInt    bool
	bits     int // int32 or int64
	min, max int64
}

// simpleQueryParam recognises a parameter whose schema says no more than "a uuid string" or "an
// int32/int64 between minimum and maximum".
func simpleQueryParam(p Param) (fastParam, bool) {
	s := *p.Schema
	fp := fastParam{name: p.Name, required: p.Required}
	format, hasMin, hasMax, lo, hi := s.Format, s.HasMinimum, s.HasMaximum, s.Minimum, s.Maximum
	s.Format, s.HasMinimum, s.HasMaximum, s.Minimum, s.Maximum = "", false, false, 0, 0
	plain := s.Type != "" && !s.Nullable && s.Enum == nil && s.MinLength == 0 && !s.HasMaxLength && s.Properties == nil && s.Required == nil
	switch {
	case plain && s.Type == "string" && format == "uuid" && !hasMin && !hasMax:
		return fp, true
	case plain && s.Type == "integer" && (format == "int32" || format == "int64") && hasMin && hasMax:
		fp.isInt, fp.bits = true, 64
		flo, fhi := float64(math.MinInt64), float64(math.MaxInt64)
		if format == "int32" {
			fp.bits, flo, fhi = 32, math.MinInt32, math.MaxInt32
		}
		if lo != math.Trunc(lo) || hi != math.Trunc(hi) || lo < flo || hi > fhi {
			return fastParam{}, false
		}
		fp.min, fp.max = int64(lo), int64(hi)
		return fp, true
	}
	return fastParam{}, false
}

// acceptsPlainQuery accepts a query with no escapes, no '+' and no ';' (for which url.ParseQuery
// returns the pieces between '&' as they are, and no error) when it gives every declared
// parameter at most once, under the spec's spelling only, and each is valid; it decides nothing
// otherwise. It reads the query in place, without the map url.ParseQuery builds.
func (v *Checker) acceptsPlainQuery(raw string) bool {
	if len(v.op.Params) == 0 {
		return true // checkQueryOnce ignores the query of an operation without parameters
	}
	if v.fast == nil || strings.ContainsAny(raw, "%+;") {
		return false
	}
	var seen [4]int
	var vals [4]string
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		for i, p := range v.fast {
			switch {
			case key == p.name:
				seen[i]++
				vals[i] = value
			case EqualFold(key, p.name):
				return false // another spelling of the parameter: foldQuery respells it
			}
		}
	}
	for i, p := range v.fast {
		switch {
		case seen[i] > 1:
			return false // checkQueryOnce words the problem
		case seen[i] == 0:
			if p.required {
				return false
			}
		case p.isInt:
			n, err := strconv.ParseInt(vals[i], 10, p.bits)
			if err != nil || n < p.min || n > p.max {
				return false
			}
		case !IsUUID(vals[i]):
			return false
		}
	}
	return true
}

// foldQuery returns r with its query as production reads it (see respellQuery), or r itself
// when that changes nothing, and the names and values respelt.
func (v *Checker) foldQuery(r *http.Request) (*http.Request, []respelt, []respelt) {
	raw, renamed, forms := respellQuery(r.URL.RawQuery, v.op.Params)
	if renamed == nil && forms == nil {
		return r, nil, nil
	}
	r2 := *r
	u := *r.URL
	u.RawQuery = raw
	r2.URL = &u
	return &r2, renamed, forms
}

// checkParams checks each query parameter of q (parsed, each given at most once) against its
// schema and records what breaks into e. A parameter is read as kin-openapi reads a form-style
// query parameter: an integer with strconv.ParseInt (base 10, the format's size), a string as it
// is; an empty integer is "empty", not "invalid".
func (v *Checker) checkParams(q url.Values, e *Problem) {
	for _, p := range v.op.Params {
		vals, found := q[p.Name]
		if !found || len(vals) == 0 {
			if p.Required {
				e.add(p.Name, "is required")
			}
			continue
		}
		raw := vals[0]
		var value any = raw
		if p.Schema.Type == "integer" {
			if raw == "" {
				e.add(p.Name, "must not be empty")
				continue
			}
			bits := 64
			if p.Schema.Format == "int32" {
				bits = 32
			}
			n, err := strconv.ParseInt(raw, 10, bits)
			if err != nil {
				cause := err
				var numErr *strconv.NumError
				if errors.As(err, &numErr) {
					cause = numErr.Err
				}
				e.add(p.Name, fmt.Sprintf("is not valid: value %s: an invalid integer: %v", raw, cause))
				continue
			}
			value = n
		}
		for _, viol := range p.Schema.Validate(value) {
			e.add(p.Name, rule(viol.Keyword, viol.Schema))
		}
	}
}

// checkQueryOnce rejects a repeated query parameter of the operation: every parameter of the API
// is a single value, and silently picking one of two ids would hide a client bug. An operation
// without parameters ignores its query, as production does. It returns the parsed query (nil
// when there is none or the operation has no parameters).
func (v *Checker) checkQueryOnce(raw string) (url.Values, *Problem) {
	params := v.op.Params
	if raw == "" || len(params) == 0 {
		return nil, nil
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// A bad escape could hide the value of a declared parameter: refuse rather than guess.
		return nil, badRequest("query", "must be a valid URL query string")
	}
	var e *Problem
	for _, p := range params {
		if len(q[p.Name]) > 1 {
			if e == nil {
				e = &Problem{Status: http.StatusBadRequest}
			}
			e.add(p.Name, "must be given at most once")
		}
	}
	if e != nil {
		return nil, e
	}
	return q, nil
}
