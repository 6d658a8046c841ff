package reqcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ReadStrict reads a body of the mock's control API (at most 1 MiB) into v strictly, naming the
// offending field: an unknown field, a value of the wrong type or format, or trailing data is a
// 400. The control API is the mock's own, so a typo is refused rather than ignored.
func ReadStrict(r *http.Request, v any) *Problem {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return badRequest("body", "could not be read")
	}
	return DecodeStrict(data, v)
}

// DecodeStrict decodes data into v as ReadStrict does.
func DecodeStrict(data []byte, v any) *Problem {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return badRequest("body", "is required")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return badRequest("body", "must be valid JSON: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("body", "must hold one JSON value, with nothing after it")
	}
	e := &Problem{Status: http.StatusBadRequest}
	decodeInto(raw, reflect.ValueOf(v).Elem(), "", e)
	if len(e.Fields) > 0 {
		return e
	}
	return nil
}

var (
	timeType      = reflect.TypeOf(time.Time{})
	unmarshalType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// decodeInto decodes raw into dst; objects that map to plain structs are walked field by field so
// that every error names its dotted path.
func decodeInto(raw json.RawMessage, dst reflect.Value, path string, e *Problem) {
	t := dst.Type()
	elem := t
	if t.Kind() == reflect.Pointer {
		elem = t.Elem()
	}
	switch {
	case elem.Kind() == reflect.Struct && elem != timeType && !reflect.PointerTo(elem).Implements(unmarshalType):
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			if string(raw) == "null" && t.Kind() == reflect.Pointer {
				return
			}
			e.add(orBody(path), "must be an object")
			return
		}
		target := dst
		if t.Kind() == reflect.Pointer {
			if dst.IsNil() {
				dst.Set(reflect.New(elem))
			}
			target = dst.Elem()
		}
		fields := map[string]int{}
		for i := range elem.NumField() {
			name, _, _ := strings.Cut(elem.Field(i).Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = i
			}
		}
		for k, v := range obj {
			i, ok := fields[k]
			if !ok {
				e.add(join(path, k), "is not a known field")
				continue
			}
			decodeInto(v, target.Field(i), join(path, k), e)
		}
	case elem.Kind() == reflect.Slice && t.Kind() != reflect.Pointer:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			e.add(orBody(path), "must be an array")
			return
		}
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			decodeInto(item, out.Index(i), path+"["+strconv.Itoa(i)+"]", e)
		}
		dst.Set(out)
	default:
		if err := json.Unmarshal(raw, dst.Addr().Interface()); err != nil {
			var typeErr *json.UnmarshalTypeError
			rule := err.Error()
			if errors.As(err, &typeErr) {
				rule = "must be " + article(typeErr.Type.Kind().String()) + " (got " + typeErr.Value + ")"
			} else if elem == timeType {
				rule = "must be an RFC 3339 time such as 2026-03-01T12:00:00Z"
			}
			e.add(orBody(path), rule)
		}
	}
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func article(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	return "a " + kind
}
