package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// bodyCheck is the check, for one case, that the reference server sends what the mock sends,
// so that their ratio compares the servers' work and not the bytes they write.
type bodyCheck struct {
	Case  string `json:"case"`
	Bytes int    `json:"bytes"` // the mock's body
	// Identical: the reference's status, Content-Type, framing (chunked or with a length) and
	// body are the mock's answer, byte for byte.
	Identical bool `json:"identical"`
	// Varies is why the mock's body differs from call to call; for such a case SameShape says
	// whether the mock's next answer has the reference's size and shape (the same JSON members
	// with values of the same types, or for text the same characters but for digits).
	Varies    string `json:"varies,omitempty"`
	SameShape bool   `json:"sameShape,omitempty"`
	OK        bool   `json:"ok"`
	Detail    string `json:"detail"`
}

// checkBodies fetches every request of the workload from the reference server at addr and
// compares each answer with the mock's (canned) and, for a case whose body varies, with the
// mock's next answer (samples).
func checkBodies(addr string, reqs []request, canned []cannedResponse, samples map[string]answer) []bodyCheck {
	var out []bodyCheck
	for i, r := range reqs {
		mock := canned[i]
		c := bodyCheck{Case: r.op, Bytes: len(mock.Body)}
		for _, bc := range cases(fixedIDs) {
			if bc.id == r.op {
				c.Varies = bc.varies
			}
		}
		ref, err := fetch(addr, r)
		switch {
		case err != nil:
			c.Detail = "the reference did not answer: " + err.Error()
		case ref.status != mock.Status || ref.contentType != mock.ContentType:
			c.Detail = fmt.Sprintf("the reference answered %d %s, the mock %d %s", ref.status, ref.contentType, mock.Status, mock.ContentType)
		case ref.framing() != mock.Framing:
			c.Detail = fmt.Sprintf("the reference sent its body %s, the mock %s", ref.framing(), mock.Framing)
		case string(ref.body) != mock.Body:
			c.Detail = fmt.Sprintf("the bodies differ (%d bytes from the reference, %d from the mock)", len(ref.body), len(mock.Body))
		default:
			c.Identical = true
			c.OK = true
			c.Detail = "identical"
		}
		if s, ok := samples[r.op]; ok && c.Identical {
			c.SameShape = len(s.body) == len(ref.body) && s.contentType == ref.contentType && shape(s.body) == shape(ref.body)
			c.OK = c.SameShape
			if c.SameShape {
				c.Detail = "identical to one answer of the mock; its bodies differ per call (" + c.Varies + ") and its next one has the same size and shape"
			} else {
				c.Detail = fmt.Sprintf("the mock's next answer (%d bytes, %s) differs in size or shape from the reference's", len(s.body), s.contentType)
			}
		}
		out = append(out, c)
	}
	return out
}

// shape describes a body without its values: for JSON, the members' paths with their types;
// otherwise the text with every digit replaced by 0.
func shape(body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		var paths []string
		jsonShape("", v, &paths)
		slices.Sort(paths)
		return strings.Join(paths, ",")
	}
	return string(bytes.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '0'
		}
		return r
	}, body))
}

func jsonShape(path string, v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			jsonShape(path+"."+k, x, out)
		}
		*out = append(*out, path+":object")
	case []any:
		for _, x := range v {
			jsonShape(path+"[]", x, out)
		}
		*out = append(*out, fmt.Sprintf("%s:array(%d)", path, len(v)))
	default:
		*out = append(*out, fmt.Sprintf("%s:%T", path, v))
	}
}

// bodiesOK reports whether every case passed its check.
func bodiesOK(checks []bodyCheck) bool {
	for _, c := range checks {
		if !c.OK {
			return false
		}
	}
	return len(checks) > 0
}
