package signing

import (
	"net/url"
	"strings"
)

// Names of the parameters the package appends to signed query strings.
const (
	ParamExpiration = "reExpiration"
	ParamNonce      = "reNonce"
	ParamSignature  = "reSignature"
)

// Param is one decoded key=value pair of a query string.
type Param struct {
	Key   string
	Value string
}

// Params is a query string's parameters in their original order, duplicates
// included.
type Params []Param

// Parse splits a query string into its parameters leniently, the way ASP.NET
// does, and never fails: one leading '?' is dropped, empty pieces between '&'
// are skipped, a piece without '=' has an empty value, and a key or value
// with an invalid percent escape is kept as its raw text instead of being
// decoded. '+' decodes to a space.
func Parse(query string) Params {
	query = strings.TrimPrefix(query, "?")
	ps := make(Params, 0, strings.Count(query, "&")+1)
	for piece := range strings.SplitSeq(query, "&") {
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		ps = append(ps, Param{Key: decode(key), Value: decode(value)})
	}
	return ps
}

// decode percent-decodes s, falling back to s itself where it holds an
// invalid escape, since a signature check must not fail on odd input.
func decode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// Get returns the value of the first parameter whose key matches key
// case-insensitively, and whether there is one.
func (ps Params) Get(key string) (string, bool) {
	for _, p := range ps {
		if sameKey(p.Key, key) {
			return p.Value, true
		}
	}
	return "", false
}

// Values returns the values of every parameter whose key matches key
// case-insensitively, in query order.
func (ps Params) Values(key string) []string {
	var vs []string
	for _, p := range ps {
		if sameKey(p.Key, key) {
			vs = append(vs, p.Value)
		}
	}
	return vs
}

// sameKey compares keys the way the canonical form sees them, after
// strings.ToLower, so that a key is treated as reSignature exactly when the
// canonical form would drop it.
func sameKey(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		// strings.ToLower changes only 'A'-'Z' in ASCII text: compare without allocating.
		return asciiEqualFold(a, b)
	}
	//lint:ignore SA6005 strings.EqualFold disagrees with ToLower on keys such as "reſignature" and "reSİgnature".
	return strings.ToLower(a) == strings.ToLower(b)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiEqualFold compares ASCII strings as strings.ToLower would see them.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// lookup returns the first value of key and how many parameters have it, without the slice
// Values makes.
func (ps Params) lookup(key string) (first string, n int) {
	for _, p := range ps {
		if sameKey(p.Key, key) {
			if n == 0 {
				first = p.Value
			}
			n++
		}
	}
	return first, n
}

// Append returns query with params added at the end, each key and value
// encoded with [url.QueryEscape]. A '&' separates them from query unless
// query is empty, is just "?", or already ends with '&'. The existing text
// of query is left untouched.
func Append(query string, params ...Param) string {
	var b strings.Builder
	b.WriteString(query)
	sep := query != "" && query != "?" && !strings.HasSuffix(query, "&")
	for _, p := range params {
		if sep {
			b.WriteByte('&')
		}
		sep = true
		b.WriteString(url.QueryEscape(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}
