package reqcheck

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// maxWarnedName bounds each name in the header, in characters: a longer one is cut there, with
// its full length given, so that one 70,000-character member name cannot make the header too
// long for a client either. A name quoted for its other characters is cut at twice as many
// bytes of its quoted form.
const maxWarnedName = 120

// maxWarnedList bounds each list of names in bytes: the names past it are counted, not shown.
const maxWarnedList = 700

// WarnedNames lists fields for the X-Mock-Warning header: the first few only (at most
// maxWarnedFields, in at most about maxWarnedList bytes), then how many more there are; each cut
// at maxWarnedName characters (with its length given) and quoted when it holds characters a
// header cannot carry.
func WarnedNames(fields []string) string {
	var names []string
	size := 0
	for _, f := range fields[:min(len(fields), maxWarnedFields)] {
		name := warnedName(f)
		if len(names) > 0 && size+len(name) > maxWarnedList {
			break
		}
		names = append(names, name)
		size += len(name) + len(", ")
	}
	msg := strings.Join(names, ", ")
	if more := len(fields) - len(names); more > 0 {
		msg += fmt.Sprintf(" and %d more", more)
	}
	return msg
}

// warnedName is one name as the header shows it: "aaaa...(70000 chars)" for a long one.
func warnedName(f string) string {
	n := utf8.RuneCountInString(f)
	shown := f
	if n > maxWarnedName {
		shown = firstRunes(f, maxWarnedName)
	}
	if strings.IndexFunc(shown, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) >= 0 {
		q := strconv.QuoteToASCII(shown)
		for len(q) > 2*maxWarnedName { // a character may take up to 10 bytes quoted
			_, last := utf8.DecodeLastRuneInString(shown)
			shown = shown[:len(shown)-last]
			q = strconv.QuoteToASCII(shown)
		}
		if shown != f {
			return q + fmt.Sprintf("...(%d chars)", n)
		}
		return q
	}
	if shown != f {
		shown += fmt.Sprintf("...(%d chars)", n)
	}
	return shown
}

// firstRunes is the first n characters of s.
func firstRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
