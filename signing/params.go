package signing

import "strings"

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

// Parse splits a query string into its parameters as ASP.NET Core's
// QueryStringEnumerable does, and never fails: one leading '?' is dropped,
// the rest is split on '&', empty pieces are skipped, each piece is split on
// its first '=' (a piece without '=' has an empty value; "=v" has an empty
// key), and key and value are decoded: '+' is a space, then percent escapes
// are undone as Uri.UnescapeDataString undoes them, escape by escape: a '%'
// without two hexadecimal digits after it stays a '%', and escaped bytes
// that are not well-formed UTF-8 stay escaped.
func Parse(query string) Params {
	return appendParsed(make(Params, 0, strings.Count(query, "&")+1), query)
}

// appendParsed appends the parameters of query, read as [Parse] reads them, to ps.
func appendParsed(ps Params, query string) Params {
	query = strings.TrimPrefix(query, "?")
	for query != "" {
		var piece string
		piece, query, _ = strings.Cut(query, "&")
		if piece == "" {
			continue
		}
		key, value, _ := strings.Cut(piece, "=")
		ps = append(ps, Param{Key: decodeDotnet(key), Value: decodeDotnet(value)})
	}
	return ps
}

// parseWith splits query into its parameters, as [Parse] describes, decoding keys and values
// with decode.
func parseWith(query string, decode func(string) string) Params {
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

// sameKey compares keys the way the default canonical form sees them, after
// .NET's invariant ToLower, so that a key is treated as reSignature exactly
// when that form would drop it.
func sameKey(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		// ToLower changes only 'A'-'Z' in ASCII text: compare without allocating.
		return asciiEqualFold(a, b)
	}
	return lowerDotnet(a) == lowerDotnet(b)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiEqualFold compares ASCII strings as ToLower would see them.
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

// Append returns query with params added at the end, each key and value
// escaped as .NET's UrlEncoder.Default escapes them (the encoder
// QueryHelpers.AddQueryString uses): A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @ as
// they are, anything else as "%XX" of its UTF-8 bytes in upper-case
// hexadecimal, a space as "%20". Invalid UTF-8 is written as U+FFFD. A '&'
// separates them from query unless query is empty, is just "?", or already
// ends with '&'. The existing text of query is left untouched.
func Append(query string, params ...Param) string {
	n := len(query)
	for _, p := range params {
		n += len(p.Key) + len(p.Value) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, query...)
	sep := query != "" && query != "?" && !strings.HasSuffix(query, "&")
	for _, p := range params {
		if sep {
			b = append(b, '&')
		}
		sep = true
		b = appendURLEncoded(b, p.Key)
		b = append(b, '=')
		b = appendURLEncoded(b, p.Value)
	}
	return string(b)
}
