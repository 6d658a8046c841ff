package signing_test

import (
	"slices"
	"testing"

	"github.com/verifeye-twin/verifeye/signing"
)

func kv(key, value string) signing.Param {
	return signing.Param{Key: key, Value: value}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  signing.Params
	}{
		{"empty", "", nil},
		{"only question mark", "?", nil},
		{"order and duplicates kept", "?b=2&a=1&b=1", signing.Params{kv("b", "2"), kv("a", "1"), kv("b", "1")}},
		{"case kept", "UserId=User123", signing.Params{kv("UserId", "User123")}},
		{"decoded", "a+b=c%20d&%C3%BC=%2B", signing.Params{kv("a b", "c d"), kv("ü", "+")}},
		{"empty pieces skipped", "&a=1&&", signing.Params{kv("a", "1")}},
		{"no equals", "flag", signing.Params{kv("flag", "")}},
		{"first equals splits", "a==b", signing.Params{kv("a", "=b")}},
		// Uri.UnescapeDataString keeps a '%' without two hex digits after it; '+' is a space regardless.
		{"invalid escape kept raw", "a%2=x+%zz", signing.Params{kv("a%2", "x %zz")}},
		{"bogus percent then a good escape", "k=%%41", signing.Params{kv("k", "%A")}},
		{"escaped percent decoded once", "k=%2541", signing.Params{kv("k", "%41")}},
		{"ill-formed UTF-8 stays escaped, upper-case", "k=%c3%a9%ff%C3", signing.Params{kv("k", "é%FF%C3")}},
		{"escaped lead byte before a raw character", "k=%C3é", signing.Params{kv("k", "%C3é")}},
		{"invalid escape only on its side", "a+b=%", signing.Params{kv("a b", "%")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := signing.Parse(tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestParamsGetAndValues(t *testing.T) {
	ps := signing.Parse("a=1&ReNonce=x&A=2&renonce=y")
	tests := []struct {
		key   string
		first string
		found bool
		all   []string
	}{
		{key: "a", first: "1", found: true, all: []string{"1", "2"}},
		{key: "A", first: "1", found: true, all: []string{"1", "2"}},
		{key: signing.ParamNonce, first: "x", found: true, all: []string{"x", "y"}},
		{key: "missing", first: "", found: false, all: nil},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := ps.Get(tt.key)
			if v != tt.first || ok != tt.found {
				t.Errorf("Get(%q) = %q, %v; want %q, %v", tt.key, v, ok, tt.first, tt.found)
			}
			if got := ps.Values(tt.key); !slices.Equal(got, tt.all) {
				t.Errorf("Values(%q) = %q, want %q", tt.key, got, tt.all)
			}
		})
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		params []signing.Param
		want   string
	}{
		{"nothing to add", "a=1", nil, "a=1"},
		{"empty query", "", []signing.Param{{Key: "a", Value: "1"}}, "a=1"},
		{"question mark only", "?", []signing.Param{{Key: "a", Value: "1"}}, "?a=1"},
		{"separator added", "a=1", []signing.Param{{Key: "b", Value: "2"}, {Key: "c", Value: "3"}}, "a=1&b=2&c=3"},
		{"trailing ampersand reused", "a=1&", []signing.Param{{Key: "b", Value: "2"}}, "a=1&b=2"},
		{"trailing question mark is not a separator", "a=1?", []signing.Param{{Key: "b", Value: "2"}}, "a=1?&b=2"},
		{"encoded", "x=%20", []signing.Param{{Key: "a b", Value: "c&d=e+f"}}, "x=%20&a%20b=c%26d%3De%2Bf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := signing.Append(tt.query, tt.params...)
			if got != tt.want {
				t.Fatalf("Append(%q, %v) = %q, want %q", tt.query, tt.params, got, tt.want)
			}
			// Whatever was appended must read back as given.
			parsed := signing.Parse(got)
			if tail := parsed[len(parsed)-len(tt.params):]; !slices.Equal(tail, signing.Params(tt.params)) {
				t.Errorf("Parse(%q) ends with %q, want %q", got, tail, tt.params)
			}
		})
	}
}
