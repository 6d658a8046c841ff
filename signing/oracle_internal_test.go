package signing

// The implementation of the .NET canonical forms, Create and Validate as they were before their
// fast paths, kept as the oracle the differential tests compare the package with. Only names
// differ from the code they were.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
)

func oldParse(query string) Params {
	return oldParseWith(query, oldDecodeDotnet)
}

// oldSign is CanonicalSHA256.Sign as it was.
func oldSign(a CanonicalSHA256, query, secret string) string {
	if a.Form == FormGoQueryEscape {
		return oldSignCanonical(appendCanonicalGo(nil, oldParseWith(query, decodeGo)), secret)
	}
	return oldSignParams(oldParse(query), secret, a.Form)
}

// oldCanonicalize is CanonicalSHA256.Canonicalize as it was.
func oldCanonicalize(a CanonicalSHA256, query string) string {
	if a.Form == FormGoQueryEscape {
		return string(appendCanonicalGo(nil, oldParseWith(query, decodeGo)))
	}
	return string(oldAppendCanonicalDotnet(nil, oldParse(query), a.Form))
}

func oldSignParams(params Params, secret string, form Form) string {
	var stack [512]byte
	return oldSignCanonical(oldAppendCanonicalDotnet(stack[:0], params, form), secret)
}

func oldSignCanonical(buf []byte, secret string) string {
	buf = append(buf, secret...)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

type oldGroup struct {
	key    string // lowercased
	first  int    // index in entries of the group's first value, after sorting
	values int    // how many values
}

type oldEntry struct {
	value string
	group int
}

func oldAppendCanonicalDotnet(b []byte, params Params, form Form) []byte {
	compare := oldCompareICU
	if form == FormDotnetOrdinal {
		compare = oldCompareOrdinal
	}
	// The working slices start on the stack: a signed query rarely has more than 16 parameters.
	var groupStack [16]oldGroup
	var ownerStack [16]int
	groups, owners := oldGroupParams(params, groupStack[:0], ownerStack[:0])
	var orderStack [16]int
	order := oldOrderGroups(groups, orderStack[:0], compare)
	var entryStack [16]oldEntry
	entries := oldSortedEntries(params, groups, owners, order, entryStack[:0], compare)
	return oldAppendPairs(b, groups, entries)
}

func oldGroupParams(params Params, groups []oldGroup, owners []int) ([]oldGroup, []int) {
	var keyStack [16]string // the first spelling of each group's key, to compare later keys with
	keys := keyStack[:0]
	if len(params) > cap(owners) {
		owners = make([]int, 0, len(params))
	}
	for _, p := range params {
		g := -1
		for i, k := range keys {
			if oldEqualFoldDotnet(k, p.Key) {
				g = i
				break
			}
		}
		if g < 0 {
			g = len(groups)
			keys = append(keys, p.Key)
			groups = append(groups, oldGroup{key: oldLowerDotnet(p.Key)})
		}
		groups[g].values++
		owners = append(owners, g)
	}
	return groups, owners
}

func oldOrderGroups(groups []oldGroup, order []int, compare func(x, y string) int) []int {
	for i, g := range groups {
		if g.key != lowerSignature {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(x, y int) int { return compare(groups[x].key, groups[y].key) })
	return order
}

func oldSortedEntries(params Params, groups []oldGroup, owners, order []int, entries []oldEntry, compare func(x, y string) int) []oldEntry {
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
		entries = make([]oldEntry, 0, n)
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
		entries[groups[g].first+filled[g]] = oldEntry{value: oldLowerDotnet(p.Value), group: g}
		filled[g]++
	}
	for _, g := range order {
		vs := entries[groups[g].first : groups[g].first+groups[g].values]
		slices.SortStableFunc(vs, func(x, y oldEntry) int { return compare(x.value, y.value) })
	}
	return entries
}

func oldAppendPairs(b []byte, groups []oldGroup, entries []oldEntry) []byte {
	b = append(b, '?')
	for i, e := range entries {
		if i > 0 {
			b = append(b, '&')
		}
		b = oldAppendURLEncoded(b, groups[e.group].key)
		b = append(b, '=')
		b = oldAppendURLEncoded(b, e.value)
	}
	return b
}

func oldDecodeDotnet(s string) string {
	i := strings.IndexAny(s, "%+")
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
			i++
			continue
		case c != '%':
			b = append(b, c)
			i++
			continue
		}
		v, ok := escapeAt(s, i)
		if !ok {
			b = append(b, '%') // a bogus escape keeps its '%'; what follows is read on its own
			i++
			continue
		}
		if v < 0x80 {
			b = append(b, v)
			i += 3
			continue
		}
		// A run of escaped bytes of 0x80 and above, read as UTF-8.
		var stack [32]byte
		run := append(stack[:0], v)
		i += 3
		for i < len(s) && s[i] == '%' {
			w, ok := escapeAt(s, i)
			if !ok || w < 0x80 {
				break
			}
			run = append(run, w)
			i += 3
		}
		for len(run) > 0 {
			r, size := utf8.DecodeRune(run)
			if r == utf8.RuneError && size <= 1 {
				b = appendPercentByte(b, run[0])
				run = run[1:]
				continue
			}
			b = append(b, run[:size]...)
			run = run[size:]
		}
	}
	return string(b)
}

func oldLowerDotnet(s string) string {
	if !strings.ContainsRune(s, 'İ') {
		return strings.ToLower(s)
	}
	return strings.Map(func(r rune) rune {
		if r == 'İ' {
			return r
		}
		return unicode.ToLower(r)
	}, s)
}

func oldCompareICU(a, b string) int {
	if r, ok := oldCompareASCIIRoot(a, b); ok {
		return r
	}
	c := collators.Get().(*collate.Collator)
	r := c.CompareString(a, b)
	collators.Put(c)
	return r
}

func oldCompareASCIIRoot(a, b string) (int, bool) {
	n := min(len(a), len(b))
	for i := range n {
		wa, wb := oldAsciiWeight(a[i]), oldAsciiWeight(b[i])
		if wa == 0 || wb == 0 {
			return 0, false
		}
		if wa != wb {
			return cmpInt(int(wa), int(wb)), true
		}
	}
	for _, s := range []string{a[n:], b[n:]} {
		for i := range len(s) {
			if oldAsciiWeight(s[i]) == 0 {
				return 0, false
			}
		}
	}
	return cmpInt(len(a), len(b)), true
}

func oldAsciiWeight(c byte) uint8 {
	if c >= 0x80 {
		return 0
	}
	return asciiRootPrimary[c]
}

func oldCompareOrdinal(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmpInt(utf16Unit(ra), utf16Unit(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmpInt(len(a), len(b))
}

func oldAppendURLEncoded(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if urlAllowed[c] {
				b = append(b, c)
			} else {
				b = appendPercentByte(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "%EF%BF%BD"...)
			i++
			continue
		}
		for j := range size {
			b = appendPercentByte(b, s[i+j])
		}
		i += size
	}
	return b
}

func oldParseWith(query string, decode func(string) string) Params {
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

func (s Signer) oldCreate(query, secret string, settings Settings, now time.Time, newNonce func() string) (Signed, error) {
	if isBlank(query) {
		return Signed{}, ErrEmptyQuery
	}
	body := strings.TrimPrefix(query, "?")
	// Check the parameters as oldValidate will later read them from the signed
	// string, which begins with body rather than query.
	params := oldParse(body)
	for _, p := range params {
		if err, ok := reservedErr(p.Key); ok {
			return Signed{}, err
		}
	}

	expirationEnabled := settings.ExpirationEnabled == nil || *settings.ExpirationEnabled
	lifetime := DefaultExpirationSeconds
	if settings.ExpirationInSeconds != nil {
		lifetime = *settings.ExpirationInSeconds
		if lifetime < MinExpirationSeconds || lifetime > MaxExpirationSeconds {
			return Signed{}, ErrExpirationOutOfRange
		}
	}
	nonceEnabled := settings.EnableNonce != nil && *settings.EnableNonce
	if nonceEnabled && !expirationEnabled {
		return Signed{}, ErrNonceRequiresExpiration
	}

	var out Signed
	var b strings.Builder
	// One buffer holds the signed query string; the unsigned part is its prefix.
	b.Grow(len(body) + len("&"+ParamExpiration+"=") + 20 + len("&"+ParamNonce+"=") + 32 + len("&"+ParamSignature+"=") + signatureLen)
	b.WriteString(body)
	var exp, nonce string
	if expirationEnabled {
		e := now.Unix() + int64(lifetime)
		out.Expiration = &e
		exp = strconv.FormatInt(e, 10)
		b.WriteString("&" + ParamExpiration + "=")
		b.WriteString(exp)
	}
	if nonceEnabled {
		if newNonce == nil {
			newNonce = RandomNonce
		}
		nonce = newNonce()
		if !isNonce(nonce) {
			return Signed{}, fmt.Errorf("%w: %q", ErrMalformedNonce, nonce)
		}
		out.Nonce = &nonce
		b.WriteString("&" + ParamNonce + "=")
		b.WriteString(nonce)
	}
	unsigned := b.String()
	if form, ok := s.dotnetForm(); ok {
		// Parse(unsigned) is params followed by the parameters just added, which need no
		// decoding: sign those instead of parsing the string again.
		if expirationEnabled {
			params = append(params, Param{Key: ParamExpiration, Value: exp})
		}
		if nonceEnabled {
			params = append(params, Param{Key: ParamNonce, Value: nonce})
		}
		out.Signature = oldSignParams(params, secret, form)
	} else {
		out.Signature = oldAlgSign(s.algorithm(), unsigned, secret)
	}
	b.WriteString("&" + ParamSignature + "=")
	b.WriteString(out.Signature)
	out.SignedQueryString = b.String()
	return out, nil
}

func (s Signer) oldValidate(query, secret string, now time.Time, nonceUsed func(nonce string) bool) (Result, error) {
	if isBlank(query) {
		return Invalid, ErrEmptyQuery
	}
	params := oldParse(query)

	sig, n := params.oldLookup(ParamSignature)
	if n != 1 || len(sig) != signatureLen || !isHex(sig, true) {
		return Invalid, nil
	}
	// Lowercase both sides so the comparison is case-insensitive yet still
	// constant-time over the signature bytes.
	got := strings.ToLower(sig)
	var want string
	if form, ok := s.dotnetForm(); ok {
		want = oldSignParams(params, secret, form) // the same as Sign(query, secret), parsed once
	} else {
		want = strings.ToLower(oldAlgSign(s.algorithm(), query, secret))
	}
	if !constantTimeEqual(got, want) {
		return Invalid, nil
	}

	switch exp, n := params.oldLookup(ParamExpiration); n {
	case 0:
	case 1:
		exp, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return Invalid, nil
		}
		if now.Unix() > exp {
			return Expired, nil
		}
	default:
		return Invalid, nil
	}

	switch nonce, n := params.oldLookup(ParamNonce); n {
	case 0:
	case 1:
		if !isNonce(nonce) {
			return Invalid, nil
		}
		if nonceUsed != nil && nonceUsed(nonce) {
			return NonceAlreadyUsed, nil
		}
	default:
		return Invalid, nil
	}
	return Valid, nil
}

func oldEqualFoldDotnet(a, b string) bool {
	if isASCII(a) && isASCII(b) {
		return asciiEqualFold(a, b)
	}
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		a, b = a[na:], b[nb:]
		if ra != rb && upperDotnet(ra) != upperDotnet(rb) {
			return false
		}
	}
	return a == "" && b == ""
}

// oldAlgSign is alg.Sign, with the CanonicalSHA256 forms as they were.
func oldAlgSign(alg Algorithm, query, secret string) string {
	if a, ok := alg.(CanonicalSHA256); ok {
		return oldSign(a, query, secret)
	}
	return alg.Sign(query, secret)
}

// oldLookup returns the first value of key and how many parameters have it, without the slice
// Values makes.
func (ps Params) oldLookup(key string) (first string, n int) {
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
