package reqcheck

import (
	"reflect"
	"strings"
	"testing"
)

// checkParseJSON fails when parseJSON accepts an input that encoding/json (Decoder, UseNumber,
// one value) refuses or decodes to anything else.
func checkParseJSON(t *testing.T, body []byte) {
	t.Helper()
	got, ok := parseJSON(body)
	if !ok {
		return // decodeOne asks encoding/json
	}
	want, wantOK := decodeOneStd(body)
	if !wantOK {
		t.Fatalf("parseJSON accepts %q, encoding/json refuses it", body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseJSON(%q) = %#v, encoding/json gives %#v", body, got, want)
	}
}

var parseJSONSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e+10`, `-1E-2`, `01`, `1.`, `.5`, `-`, `1e`, `"a"`, `""`,
	` {"a" : [1, 2.0, "x", null, true, {"b": {}}], "c": "\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r"} `,
	`{"a":1,"a":{"b":2}}`, `{"a":{"x":1},"a":{"y":2}}`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{a:1}`, `{"a":1}x`, `{"a":1}{}`,
	"\"tab\there\"", "\"\x01\"", "\"\xff\"", `"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\u12"`, `"\x"`, `"é😀"`,
	strings.Repeat("[", 600) + strings.Repeat("]", 600), `{"queryString":"userId=User123&age=25"}`,
	`{"name":"n","verificationConfig":{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":18}}}}`,
	`{"query\u0053tring":"x","queryString\"":1,"queryString\\":2,"queryString":{"queryString":3}}`,
	`{"queryString`, `{"queryString"`, `{"queryString":`, "{\"queryString\x01\":1}", `{"expirationInSeconds":60}`,
	`1e400`, `123456789012345678901234567890`, `[` + strings.Repeat(`"x",`, 100) + `"y"]`, "\"\u2028\"",
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	accepted := 0
	for _, s := range parseJSONSeeds {
		checkParseJSON(t, []byte(s))
		if _, ok := parseJSON([]byte(s)); ok {
			accepted++
		}
	}
	// The fast decoder must take the bodies clients send, or it is no faster.
	for _, s := range []string{`{"queryString":"userId=User123&age=25"}`, `{"a":"\u00e9\ud83d\ude00"}`, `[1,2.5,-3e2]`} {
		if _, ok := parseJSON([]byte(s)); !ok {
			t.Errorf("parseJSON refuses %s", s)
		}
	}
	t.Logf("parseJSON decided %d of %d seeds itself", accepted, len(parseJSONSeeds))
}

func FuzzParseJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range parseJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkParseJSON(t, body) })
}

// TestSpecNamesAreTheSpecs: member names parsed from a body are the spec's property names (the
// map key() reads them from holds every one, and only names).
func TestSpecNamesAreTheSpecs(t *testing.T) {
	names := specNames()
	for _, want := range []string{"queryString", "securitySettings", "enableNonce", "verificationConfig", "verifierConfigs", "externalId"} {
		if names[want] != want {
			t.Errorf("specNames()[%q] = %q", want, names[want])
		}
	}
	for k, v := range names {
		if k != v || k == "" || strings.ContainsAny(k, "\\\"") {
			t.Errorf("specNames holds %q → %q", k, v)
		}
	}
}
