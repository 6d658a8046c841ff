package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"unicode"
	"unicode/utf8"
)

// The .NET canonical forms are built without allocating for ordinary queries: the lowercased
// keys and values are written one after another into one scratch buffer (on the stack unless the
// query is long) and addressed by offsets, the groups, their order and the values live in small
// stack arrays, and the sorting is an insertion sort that calls the comparer directly.

// text is a lowercased key or value: the bytes low[off:end] of the canon building it.
type text struct {
	off, end int32
	// ascii: every byte is ASCII. weighted: every byte also has an asciiRootPrimary weight, so
	// that compareICU's ASCII fast path applies.
	ascii, weighted bool
}

// group is the parameters ASP.NET Core's query dictionary holds under one key.
type group struct {
	key    text  // lowercased
	first  int32 // index in entries of the group's first value, after sorting
	values int32 // how many values
}

// entry is one lowercased value and the group it belongs to.
type entry struct {
	value text
	group int32
}

// canon is how one canonical form is being built. It is passed by value and low is handed back
// by the functions that append to it, so that escape analysis can keep low on the stack.
type canon struct {
	ordinal bool   // FormDotnetOrdinal: UTF-16 ordinal order; otherwise the ICU root collation
	low     []byte // the lowercased keys and values
}

// bytes returns the lowercased text t.
func (c canon) bytes(t text) []byte {
	return c.low[t.off:t.end]
}

// lower appends s lowercased as lowerDotnet lowercases it to low and returns it, and where s is.
func lower(low []byte, s string) ([]byte, text) {
	t := text{off: int32(len(low))}
	low, t.ascii, t.weighted = appendLowerDotnet(low, s)
	t.end = int32(len(low))
	return low, t
}

// appendLowerDotnet appends lowerDotnet(s) to b without making a string, and reports whether
// the text appended is ASCII and whether each of its bytes has an asciiRootPrimary weight.
// lowerDotnet is strings.ToLower or strings.Map, which both write a byte that is not valid UTF-8
// as U+FFFD; so does this.
func appendLowerDotnet(b []byte, s string) (out []byte, ascii, weighted bool) {
	n := len(b)
	b = slices.Grow(b, len(s))[:n+len(s)]
	dst := b[n:]
	dst = dst[:len(s)]
	// One pass without branches; text that turns out not to be ASCII is done again below.
	var high, unweighted byte
	for i := range len(s) {
		c := s[i]
		high |= c
		c = asciiLower[c&0x7f]
		unweighted |= asciiUnweighted[c]
		dst[i] = c
	}
	if high >= utf8.RuneSelf {
		return appendLowerRunes(b[:n], s), false, false
	}
	return b, true, unweighted == 0
}

// asciiLower maps each ASCII character to its lower case.
var asciiLower = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// asciiUnweighted is 1 for the ASCII characters without an asciiRootPrimary weight (and for the
// other bytes, which it is never asked about).
var asciiUnweighted = func() (t [256]byte) {
	for c := range t {
		if c >= utf8.RuneSelf || asciiRootPrimary[c] == 0 {
			t[c] = 1
		}
	}
	return t
}()

// appendLowerRunes is appendLowerDotnet character by character.
func appendLowerRunes(b []byte, s string) []byte {
	for _, r := range s { // an invalid byte is read as utf8.RuneError, U+FFFD
		if r != 'İ' {
			r = unicode.ToLower(r)
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}

// compare orders two lowercased texts with the form's comparer: compareOrdinal or compareICU.
func (c canon) compare(x, y text) int {
	a, b := c.bytes(x), c.bytes(y)
	if c.ordinal {
		if x.ascii && y.ascii {
			return compareBytes(a, b) // UTF-16 code units are the bytes
		}
		return compareOrdinal(string(a), string(b))
	}
	if x.weighted && y.weighted {
		return compareWeighted(a, b)
	}
	return compareICU(string(a), string(b))
}

// compareBytes is bytes.Compare.
func compareBytes(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return cmpInt(int(a[i]), int(b[i]))
		}
	}
	return cmpInt(len(a), len(b))
}

// compareWeighted is compareASCIIRoot for texts whose every byte has an asciiRootPrimary weight.
func compareWeighted(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return cmpInt(int(asciiRootPrimary[a[i]]), int(asciiRootPrimary[b[i]]))
		}
	}
	return cmpInt(len(a), len(b))
}

// sumParams is the signature of a query already read by [Parse] under one of the .NET forms, as
// lowercase hexadecimal: the canonical form is built in one buffer with the secret after it and
// hashed there.
func sumParams(params Params, secret string, form Form) [signatureLen]byte {
	var stack [512]byte
	buf := appendCanonicalDotnet(stack[:0], params, form)
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	var h [signatureLen]byte
	hex.Encode(h[:], sum[:])
	return h
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
	// The working storage starts on the stack: a signed query rarely has more than 16 parameters.
	var lowStack [256]byte
	c := canon{ordinal: form == FormDotnetOrdinal, low: lowStack[:0]}
	var groupStack [16]group
	var ownerStack [16]int32
	var groups []group
	var owners []int32
	c.low, groups, owners = groupParams(c.low, params, groupStack[:0], ownerStack[:0])
	var orderStack [16]int32
	order := c.orderGroups(groups, orderStack[:0])
	var entryStack [16]entry
	var entries []entry
	c.low, entries = c.sortedEntries(params, groups, owners, order, entryStack[:0])
	return c.appendPairs(b, groups, entries)
}

// groupParams groups params as ASP.NET Core's query dictionary does: keys compared
// OrdinalIgnoreCase, each group under its first spelling, groups in first-seen order. It appends
// the groups to groups, their lowercased keys to low and the group of each parameter to owners,
// and returns the three.
func groupParams(low []byte, params Params, groups []group, owners []int32) ([]byte, []group, []int32) {
	type spelling struct {
		key   string // the first spelling of a group's key, to compare later keys with
		ascii bool
	}
	var keyStack [16]spelling
	keys := keyStack[:0]
	if len(params) > cap(owners) {
		owners = make([]int32, 0, len(params))
	}
	for _, p := range params {
		ascii := isASCII(p.Key)
		g := -1
		for i, k := range keys {
			if ascii && k.ascii {
				if asciiEqualFold(k.key, p.Key) {
					g = i
					break
				}
			} else if equalFoldDotnet(k.key, p.Key) {
				g = i
				break
			}
		}
		if g < 0 {
			g = len(groups)
			keys = append(keys, spelling{p.Key, ascii})
			var key text
			low, key = lower(low, p.Key)
			groups = append(groups, group{key: key})
		}
		groups[g].values++
		owners = append(owners, int32(g))
	}
	return low, groups, owners
}

// orderGroups appends to order the indexes of groups ordered by lowercased key with the form's
// comparer, stably (LINQ's OrderBy), leaving out reSignature's group (query.Remove("reSignature")).
func (c canon) orderGroups(groups []group, order []int32) []int32 {
	for i, g := range groups {
		if string(c.bytes(g.key)) != lowerSignature {
			order = append(order, int32(i))
		}
	}
	if len(order) > insertionSortMax {
		slices.SortStableFunc(order, func(x, y int32) int { return c.compare(groups[x].key, groups[y].key) })
		return order
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && c.compare(groups[order[j-1]].key, groups[order[j]].key) > 0; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	return order
}

// insertionSortMax is the longest run sorted by insertion, which is stable and, for short runs,
// quicker than slices.SortStableFunc.
const insertionSortMax = 12

// sortedEntries lays the lowercased values of params out in entries group by group, in order,
// and orders each group's values among themselves with the form's comparer, stably. It records
// in each ordered group where its values start (group.first); values of groups not in order are
// left out. It returns c.low with the values appended, and entries.
func (c canon) sortedEntries(params Params, groups []group, owners, order []int32, entries []entry) ([]byte, []entry) {
	var rankStack [16]int32
	ranks := rankStack[:0]
	if len(groups) > len(rankStack) {
		ranks = make([]int32, 0, len(groups))
	}
	ranks = ranks[:len(groups)]
	for i := range ranks {
		ranks[i] = -1
	}
	n := int32(0)
	for r, g := range order {
		ranks[g] = int32(r)
		groups[g].first = n
		n += groups[g].values
	}
	if int(n) > cap(entries) {
		entries = make([]entry, 0, n)
	}
	entries = entries[:n]
	var fillStack [16]int32
	filled := fillStack[:0]
	if len(groups) > len(fillStack) {
		filled = make([]int32, 0, len(groups))
	}
	filled = filled[:len(groups)]
	clear(filled)
	for i, p := range params {
		g := owners[i]
		if ranks[g] < 0 {
			continue
		}
		var value text
		c.low, value = lower(c.low, p.Value)
		entries[groups[g].first+filled[g]] = entry{value: value, group: g}
		filled[g]++
	}
	for _, g := range order {
		c.sortValues(entries[groups[g].first : groups[g].first+groups[g].values])
	}
	return c.low, entries
}

// sortValues orders one group's values with the form's comparer, stably.
func (c canon) sortValues(vs []entry) {
	if len(vs) > insertionSortMax {
		slices.SortStableFunc(vs, func(x, y entry) int { return c.compare(x.value, y.value) })
		return
	}
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && c.compare(vs[j-1].value, vs[j].value) > 0; j-- {
			vs[j-1], vs[j] = vs[j], vs[j-1]
		}
	}
}

// appendPairs appends "?k=v&k2=v2" to b, each key and value escaped with UrlEncoder.Default's
// rules (QueryHelpers.AddQueryString).
func (c canon) appendPairs(b []byte, groups []group, entries []entry) []byte {
	b = append(b, '?')
	for i, e := range entries {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendURLEncodedLowered(b, c.bytes(groups[e.group].key))
		b = append(b, '=')
		b = appendURLEncodedLowered(b, c.bytes(e.value))
	}
	return b
}

// appendURLEncodedLowered is appendURLEncoded for text written by appendLowerDotnet, which is
// valid UTF-8: every byte of a character outside the allowed ASCII set is written "%XX", so the
// text is escaped byte by byte, and runs of allowed characters are copied whole.
func appendURLEncodedLowered(b, s []byte) []byte {
	start := 0
	for i, c := range s {
		if urlAllowedByte[c] {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendPercentByte(b, c)
		start = i + 1
	}
	return append(b, s[start:]...)
}

// urlAllowedByte is urlAllowed for every byte value: no byte of a non-ASCII character is allowed.
var urlAllowedByte = func() (t [256]bool) {
	copy(t[:], urlAllowed[:])
	return t
}()
