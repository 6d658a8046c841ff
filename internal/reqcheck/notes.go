package reqcheck

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// fieldNotes is what the mock tells the client, in X-Mock-Warning, about a request it accepts.
type fieldNotes struct {
	unknown []string  // body members the spec does not know, ignored
	folded  []respelt // names and enum values matched to the spec's in another letter case
	numbers []respelt // integers read from strings
	forms   []respelt // query values in other forms production reads: {uuid}, " 60"
}

// strictProblem is the 400 that Options.Strict answers for n: every member the spec does not
// know and every name or value read in another spelling, each under its field; nil when n is
// empty.
func (n fieldNotes) strictProblem() *Problem {
	e := &Problem{Status: http.StatusBadRequest}
	for _, f := range n.unknown {
		e.add(f, "is not a field of the spec (strict mode)")
	}
	for _, r := range slices.Concat(n.folded, n.numbers, n.forms) {
		e.add(r.field, r.rule+" (strict mode)")
	}
	return e.problem()
}

// warning is the X-Mock-Warning value for n, or "" when there is nothing to tell.
func (n fieldNotes) warning() string {
	var parts []string
	if len(n.unknown) > 0 {
		parts = append(parts, "ignored unknown fields: "+WarnedNames(n.unknown))
	}
	if len(n.folded) > 0 {
		parts = append(parts, "matched regardless of letter case: "+WarnedNames(notesOf(n.folded)))
	}
	if len(n.numbers) > 0 {
		parts = append(parts, "read from strings as numbers: "+WarnedNames(notesOf(n.numbers)))
	}
	if len(n.forms) > 0 {
		parts = append(parts, "read in the forms production reads: "+WarnedNames(notesOf(n.forms)))
	}
	return strings.Join(parts, "; ")
}

// maxWarnedFields bounds each list of the X-Mock-Warning header, so that a body with thousands
// of unknown fields cannot make a header that proxies and clients refuse.
const maxWarnedFields = 10

// WarnedNames lists fields for the X-Mock-Warning header: the first few only, each quoted when it
// holds characters a header cannot carry.
func WarnedNames(fields []string) string {
	names := make([]string, 0, min(len(fields), maxWarnedFields))
	for _, f := range fields[:min(len(fields), maxWarnedFields)] {
		if strings.IndexFunc(f, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) >= 0 {
			f = strconv.QuoteToASCII(f)
		}
		names = append(names, f)
	}
	msg := strings.Join(names, ", ")
	if more := len(fields) - len(names); more > 0 {
		msg += fmt.Sprintf(" and %d more", more)
	}
	return msg
}
