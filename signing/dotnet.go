package signing

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// This file reproduces, in Go, the .NET calls the vendor's C# sample signs with. Each function
// names the .NET source it follows; docs/signing.md explains them at length.

// decodeDotnet decodes one name or value of a query string as ASP.NET Core's
// QueryStringEnumerable.EncodedNameValuePair.Decode does (dotnet/aspnetcore
// src/Shared/QueryStringEnumerable.cs): every '+' becomes a space, then the text is unescaped as
// Uri.UnescapeDataString does (dotnet/runtime src/libraries/System.Private.Uri/src/System/UriHelper.cs,
// UnescapeString with UnescapeMode.Unescape|UnescapeAll):
//
//   - a '%' not followed by two hexadecimal digits stays a literal '%', and scanning goes on with
//     the character after it ("%%41" is "%A");
//   - "%XX" below 0x80 is that ASCII character, whatever it is ("%25" is '%', never decoded twice);
//   - a run of "%XX" escapes of 0x80 and above is read as UTF-8: each well-formed character is
//     decoded, and each byte of an ill-formed sequence stays escaped, in upper-case hexadecimal.
//
// Text with neither '%' nor '+' is returned as it is, without allocating.
func decodeDotnet(s string) string {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	if i == len(s) {
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

// escapeAt reads the escape "%XX" at s[i], which is '%', as UriHelper does: two hexadecimal digits
// must follow within s.
func escapeAt(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const upperHex = "0123456789ABCDEF"

func appendPercentByte(b []byte, c byte) []byte {
	return append(b, '%', upperHex[c>>4], upperHex[c&0xF])
}

// urlAllowed marks the characters UrlEncoder.Default writes as they are: its allowed set is Basic
// Latin (dotnet/runtime DefaultUrlEncoder.BasicLatinSingleton) less the controls, less the
// characters every built-in encoder forbids (AllowedBmpCodePointsBitmap.ForbidHtmlCharacters:
// < > & ' " +) and less DefaultUrlEncoder's own extra list (space # % / : = ? [ \ ] ^ ` { | }).
// What is left is A-Z a-z 0-9 - . _ ~ ! $ ( ) * , ; @.
var urlAllowed = func() (t [128]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~!$()*,;@" {
		t[c] = true
	}
	return t
}()

// appendURLEncoded appends s escaped as UrlEncoder.Default.Encode escapes it: an allowed ASCII
// character as it is, any other character as "%XX" for each byte of its UTF-8 form, in upper-case
// hexadecimal (a space is "%20", never '+'). A byte of s that is not valid UTF-8 is taken as
// U+FFFD, as the encoder takes a lone surrogate, and written "%EF%BF%BD".
func appendURLEncoded(b []byte, s string) []byte {
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

// lowerDotnet lowercases s as .NET's string.ToLower() does in the invariant culture: the simple
// (one-to-one) Unicode lowercase mapping of each character, except that U+0130 (İ) stays as it is.
// With ICU, TextInfo.Invariant calls GlobalizationNative_ChangeCaseInvariant (dotnet/runtime
// src/native/libs/System.Globalization.Native/pal_casing.c), which special-cases U+0130; in
// invariant globalization mode the casing table leaves U+0130, U+0131 and U+017F unmapped
// (dotnet/runtime PR 55520). Go's unicode.ToLower is the same simple mapping, so only U+0130
// needs care. ASCII text without upper-case letters is returned without allocating.
func lowerDotnet(s string) string {
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

// equalFoldDotnet reports whether a and b are the same key to ASP.NET Core's query dictionary,
// whose comparer is StringComparer.OrdinalIgnoreCase (dotnet/aspnetcore
// src/Http/WebUtilities/src/KeyValueAccumulator.cs): characters compared after their simple
// uppercase mapping, except that U+0131 (ı) and U+017F (ſ) do not map to ASCII (dotnet/runtime
// PR 55520).
func equalFoldDotnet(a, b string) bool {
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

func upperDotnet(r rune) rune {
	if r == 'ı' || r == 'ſ' {
		return r
	}
	return unicode.ToUpper(r)
}

// compareOrdinal compares a and b as .NET's string.CompareOrdinal does: by UTF-16 code units. It
// differs from Go's byte order only where a character above U+FFFF (a surrogate pair, 0xD800-0xDBFF
// first) meets one between U+E000 and U+FFFF.
func compareOrdinal(a, b string) int {
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

// utf16Unit is the first UTF-16 code unit of r, with which the ordering of two different
// characters is decided.
func utf16Unit(r rune) rune {
	if r >= 0x10000 {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

func cmpInt[T int | rune](x, y T) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// asciiRootPrimary is the CLDR root collation order of the printable ASCII characters other than
// the upper-case letters, lowest first: each has its own primary weight and none takes part in a
// contraction, so two strings made only of them compare character by character in this order,
// and a proper prefix sorts first. The order is the CLDR root collation chart's (Unicode
// Collation Algorithm DUCET order): spaces, punctuation, symbols, currency, digits, letters.
const asciiRootOrder = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"

var asciiRootPrimary = func() (t [128]uint8) {
	for i := range len(asciiRootOrder) {
		t[asciiRootOrder[i]] = uint8(i + 1)
	}
	return t
}()

// collators holds Collators for the ICU root locale; a Collator must not be shared between
// goroutines. The "ks-level3" setting stops x/text from breaking ties of equal strings at the
// identical level, which ICU's default strength (tertiary) does not do either.
var collators = sync.Pool{New: func() any {
	return collate.New(language.MustParse("und-u-ks-level3"))
}}

// compareICU compares a and b as .NET's culture comparer (CompareOptions.None) does for the
// invariant culture on ICU: ucol_strcoll with the ICU root collator, tertiary strength,
// non-ignorable punctuation, no custom rules (dotnet/runtime pal_collation.c,
// GetCollatorFromSortHandle: options 0 uses the collator ucol_open made, unchanged). Strings of
// printable ASCII without upper-case letters, which every canonical form is for ordinary
// queries, are compared with the CLDR root order above; others with golang.org/x/text/collate's
// root table.
func compareICU(a, b string) int {
	if r, ok := compareASCIIRoot(a, b); ok {
		return r
	}
	c := collators.Get().(*collate.Collator)
	r := c.CompareString(a, b)
	collators.Put(c)
	return r
}

func compareASCIIRoot(a, b string) (int, bool) {
	n := min(len(a), len(b))
	for i := range n {
		wa, wb := asciiWeight(a[i]), asciiWeight(b[i])
		if wa == 0 || wb == 0 {
			return 0, false
		}
		if wa != wb {
			return cmpInt(int(wa), int(wb)), true
		}
	}
	for _, s := range []string{a[n:], b[n:]} {
		for i := range len(s) {
			if asciiWeight(s[i]) == 0 {
				return 0, false
			}
		}
	}
	return cmpInt(len(a), len(b)), true
}

func asciiWeight(c byte) uint8 {
	if c >= 0x80 {
		return 0
	}
	return asciiRootPrimary[c]
}
