package signing

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// Algorithm computes the signature of a query string.
//
// Sign must ignore every reSignature parameter in query, so that a signed
// query string can be checked by signing it again, and must return the
// signature as 64 hexadecimal characters.
type Algorithm interface {
	Sign(query, secret string) string
}

// AlgorithmFunc adapts an ordinary function to the [Algorithm] interface.
type AlgorithmFunc func(query, secret string) string

// Sign returns f(query, secret).
func (f AlgorithmFunc) Sign(query, secret string) string {
	return f(query, secret)
}

// Form is one way of building the canonical form that [CanonicalSHA256]
// hashes. The zero Form is the default variant's.
type Form int

// The forms of the variants; see [Variants].
const (
	// FormDotnetICU is .NET with ICU: culture ordering under the ICU root collation.
	FormDotnetICU Form = iota
	// FormDotnetOrdinal is .NET in invariant globalization mode: ordinal UTF-16 ordering.
	FormDotnetOrdinal
	// FormGoQueryEscape is the form older versions of the mock built, with Go's url.QueryEscape.
	FormGoQueryEscape
)

// CanonicalSHA256 is the vendor's documented algorithm: the lowercase hex
// SHA-256 of the canonical form of the query followed directly by the
// secret. Form chooses how the canonical form is built; the zero value is
// the default variant (see [DefaultVariant]).
type CanonicalSHA256 struct {
	Form Form
}

// Sign returns the signature of query under secret.
func (a CanonicalSHA256) Sign(query, secret string) string {
	if a.Form == FormGoQueryEscape {
		return signCanonical(appendCanonicalGo(nil, parseGo(query)), secret)
	}
	return signParams(Parse(query), secret, a.Form)
}

// Canonicalize returns the canonical form of query that a's Sign hashes
// before the secret; see the package documentation for each form's rules.
// A query with no parameters canonicalises to "?".
func (a CanonicalSHA256) Canonicalize(query string) string {
	if a.Form == FormGoQueryEscape {
		return string(appendCanonicalGo(nil, parseGo(query)))
	}
	return string(appendCanonicalDotnet(nil, Parse(query), a.Form))
}

// signParams is Sign of a query already read by [Parse], for the .NET forms: the canonical form
// is built in one buffer with the secret after it and hashed there.
func signParams(params Params, secret string, form Form) string {
	var stack [512]byte
	return signCanonical(appendCanonicalDotnet(stack[:0], params, form), secret)
}

// signCanonical appends secret to the canonical form buf and returns the hex SHA-256 of both.
func signCanonical(buf []byte, secret string) string {
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Sign returns the signature of query under secret with the default
// variant's algorithm. Any reSignature parameter in query is ignored.
func Sign(query, secret string) string {
	return CanonicalSHA256{}.Sign(query, secret)
}

// Canonicalize returns the canonical form of query under the default
// variant: see [CanonicalSHA256.Canonicalize].
func Canonicalize(query string) string {
	return CanonicalSHA256{}.Canonicalize(query)
}

// lowerSignature is ParamSignature as the canonical form compares keys.
const lowerSignature = "resignature"

// group is the parameters ASP.NET Core's query dictionary holds under one key.
type group struct {
	key    string // lowercased
	first  int    // index in entries of the group's first value, after sorting
	values int    // how many values
}

// entry is one lowercased value and the group it belongs to.
type entry struct {
	value string
	group int
}

// appendCanonicalDotnet appends to b the canonical form the vendor's C# sample builds:
//
//	var query = QueryHelpers.ParseQuery(queryString);         // keys compared OrdinalIgnoreCase
//	query.Remove("reSignature");
//	var pairs = query
//	    .Select(kv => (Key: kv.Key.ToLower(), Values: kv.Value.Select(v => v.ToLower()).OrderBy(v => v)))
//	    .OrderBy(kv => kv.Key)
//	    .SelectMany(kv => kv.Values, (kv, v) => KeyValuePair.Create(kv.Key, v));
//	return QueryHelpers.AddQueryString("", pairs);             // "?k=v&k2=v2", UrlEncoder.Default
//
// params are grouped by key as the dictionary groups them (first spelling, first-seen order), the
// groups are ordered by lowercased key and each group's lowercased values among themselves, both
// with form's comparer and stably (LINQ's OrderBy is a stable sort), and each pair is escaped with
// UrlEncoder.Default's rules.
func appendCanonicalDotnet(b []byte, params Params, form Form) []byte {
	compare := compareICU
	if form == FormDotnetOrdinal {
		compare = compareOrdinal
	}
	// The working slices start on the stack: a signed query rarely has more than 16 parameters.
	var groupStack [16]group
	var ownerStack [16]int
	groups, owners := groupParams(params, groupStack[:0], ownerStack[:0])
	var orderStack [16]int
	order := orderGroups(groups, orderStack[:0], compare)
	var entryStack [16]entry
	entries := sortedEntries(params, groups, owners, order, entryStack[:0], compare)
	return appendPairs(b, groups, entries)
}

// groupParams groups params as ASP.NET Core's query dictionary does: keys compared
// OrdinalIgnoreCase, each group under its first spelling, groups in first-seen order. It appends
// the groups to groups and the group of each parameter to owners, and returns both.
func groupParams(params Params, groups []group, owners []int) ([]group, []int) {
	var keyStack [16]string // the first spelling of each group's key, to compare later keys with
	keys := keyStack[:0]
	if len(params) > cap(owners) {
		owners = make([]int, 0, len(params))
	}
	for _, p := range params {
		g := -1
		for i, k := range keys {
			if equalFoldDotnet(k, p.Key) {
				g = i
				break
			}
		}
		if g < 0 {
			g = len(groups)
			keys = append(keys, p.Key)
			groups = append(groups, group{key: lowerDotnet(p.Key)})
		}
		groups[g].values++
		owners = append(owners, g)
	}
	return groups, owners
}

// orderGroups appends to order the indexes of groups ordered by lowercased key with compare,
// stably (LINQ's OrderBy), leaving out reSignature's group (query.Remove("reSignature")).
func orderGroups(groups []group, order []int, compare func(x, y string) int) []int {
	for i, g := range groups {
		if g.key != lowerSignature {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return compare(groups[x].key, groups[y].key) })
	return order
}

// sortedEntries lays the lowercased values of params out in entries group by group, in order,
// and orders each group's values among themselves with compare, stably. It records in each
// ordered group where its values start (group.first); values of groups not in order are left out.
func sortedEntries(params Params, groups []group, owners, order []int, entries []entry, compare func(x, y string) int) []entry {
	var rankStack [16]int
	ranks := rankStack[:0]
	if len(groups) > len(rankStack) {
		ranks = make([]int, 0, len(groups))
	}
	ranks = ranks[:len(groups)]
	for i := range ranks {
		ranks[i] = -1
	}
	n := 0
	for r, g := range order {
		ranks[g] = r
		groups[g].first = n
		n += groups[g].values
	}
	if n > cap(entries) {
		entries = make([]entry, 0, n)
	}
	entries = entries[:n]
	var fillStack [16]int
	filled := fillStack[:0]
	if len(groups) > len(fillStack) {
		filled = make([]int, 0, len(groups))
	}
	filled = filled[:len(groups)]
	clear(filled)
	for i, p := range params {
		g := owners[i]
		if ranks[g] < 0 {
			continue
		}
		entries[groups[g].first+filled[g]] = entry{value: lowerDotnet(p.Value), group: g}
		filled[g]++
	}
	for _, g := range order {
		vs := entries[groups[g].first : groups[g].first+groups[g].values]
		slices.SortStableFunc(vs, func(x, y entry) int { return compare(x.value, y.value) })
	}
	return entries
}

// appendPairs appends "?k=v&k2=v2" to b, each key and value escaped with UrlEncoder.Default's
// rules (QueryHelpers.AddQueryString).
func appendPairs(b []byte, groups []group, entries []entry) []byte {
	b = append(b, '?')
	for i, e := range entries {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendURLEncoded(b, groups[e.group].key)
		b = append(b, '=')
		b = appendURLEncoded(b, e.value)
	}
	return b
}

// parseGo reads a query string as older versions of the mock did, for [FormGoQueryEscape]: like
// [Parse], except that a key or value is decoded with Go's url.QueryUnescape and kept as its raw
// text, whole, when it holds any invalid escape.
func parseGo(query string) Params {
	return parseWith(query, decodeGo)
}

func decodeGo(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// appendCanonicalGo appends the canonical form older versions of the mock built: reSignature
// dropped (keys compared after strings.ToLower), keys and values lowercased with strings.ToLower,
// sorted by key then value in byte order, each escaped with url.QueryEscape ('@' is "%40", a
// space '+').
func appendCanonicalGo(b []byte, params Params) []byte {
	kept := make([]Param, 0, len(params))
	for _, p := range params {
		key := strings.ToLower(p.Key)
		if key == lowerSignature {
			continue
		}
		kept = append(kept, Param{Key: key, Value: strings.ToLower(p.Value)})
	}
	slices.SortFunc(kept, func(a, b Param) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Value, b.Value))
	})
	b = append(b, '?')
	for i, p := range kept {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, url.QueryEscape(p.Key)...)
		b = append(b, '=')
		b = append(b, url.QueryEscape(p.Value)...)
	}
	return b
}
