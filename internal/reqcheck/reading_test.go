package reqcheck

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestEqualFoldUpper(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"queryString", "queryString", true},
		{"QueryString", "queryString", true},
		{"QUERYSTRING", "queryString", true},
		{"queryStrin", "queryString", false},
		{"queryStringx", "queryString", false},
		{"query_string", "queryString", false},
		{"ſecuritySettings", "securitySettings", true}, // U+017F upper-cases to S, in .NET too
		{"ıd", "Id", true},                             // U+0131 upper-cases to I
		{"\u212Aey", "key", false},                     // the Kelvin sign is upper case already
		{"", "", true},
		{"a", "", false},
	} {
		if got := EqualFold(tc.a, tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNestingExceeds(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{strings.Repeat("[", 64) + strings.Repeat("]", 64), false},
		{strings.Repeat("[", 65) + strings.Repeat("]", 65), true},
		{`{"a":` + strings.Repeat(`{"b":`, 63) + `1` + strings.Repeat("}", 64), false},
		{`{"a":` + strings.Repeat(`{"b":`, 64) + `1` + strings.Repeat("}", 65), true},
		{`{"a":"` + strings.Repeat("[", 200) + `"}`, false},
		{`{"a":"\"` + strings.Repeat("{", 200) + `"}`, false},
		{`[[[]],[[]],[[]]]`, false},
		{strings.Repeat("[", 65), true}, // not JSON, still too deep
	} {
		if got := nestingExceeds([]byte(tc.body), 64); got != tc.want {
			t.Errorf("nestingExceeds(%.40q…) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

func TestRespellBody(t *testing.T) {
	body := Operations[opIndex(t, "createSignature")].Body.Schema
	for _, tc := range []struct {
		in, want string
		renamed  []string
	}{
		{
			in:      `{"queryString":"a=1"}`,
			want:    `{"queryString":"a=1"}`,
			renamed: nil,
		},
		{
			in:      " {\n  \"QueryString\" : \"a=1\",\n  \"SecuritySettings\": {\"EnableNonce\": true, \"other\": [ {\"EnableNonce\":1} ] } }\n",
			want:    " {\n  \"queryString\" : \"a=1\",\n  \"securitySettings\": {\"enableNonce\": true, \"other\": [ {\"EnableNonce\":1} ] } }\n",
			renamed: []string{"QueryString as queryString", "SecuritySettings as securitySettings", "securitySettings.EnableNonce as enableNonce"},
		},
		{ // an escaped spelling is read as the name it spells
			in:      `{"Query\u0053tring":"a=1","query\u0053tring":"b=2"}`,
			want:    `{"queryString":"a=1","query\u0053tring":"b=2"}`,
			renamed: []string{"QueryString as queryString"},
		},
		{ // members the schema does not describe keep their names at any depth
			in:      `{"extra":{"QueryString":1},"list":[{"QueryString":2}],"n":-1.5e3,"t":true,"z":null}`,
			want:    `{"extra":{"QueryString":1},"list":[{"QueryString":2}],"n":-1.5e3,"t":true,"z":null}`,
			renamed: nil,
		},
	} {
		got, respelt, _ := respellBody([]byte(tc.in), body)
		renamed := notesOf(respelt)
		if len(renamed) == 0 {
			renamed = nil
		}
		if string(got) != tc.want || !reflect.DeepEqual(renamed, tc.renamed) {
			t.Errorf("respellBody(%s)\n = %s %q\nwant %s %q", tc.in, got, renamed, tc.want, tc.renamed)
		}
		if !json.Valid(got) {
			t.Errorf("respellBody(%s) is not JSON: %s", tc.in, got)
		}
	}
}

func TestFoldEnumValues(t *testing.T) {
	schema := Operations[opIndex(t, "createSession")].Body.Schema
	in := `{"name":"calculationonly","VerifierConfigs":{"age":{"type":"calculationonly","direction":"BELOW"},"gender":{"type":"Unknown"},"liveness":{"type":"verification","x":"verification"}}}`
	want := `{"name":"calculationonly","verifierConfigs":{"age":{"type":"CalculationOnly","direction":"Below"},"gender":{"type":"Unknown"},"liveness":{"type":"Verification","x":"verification"}}}`
	got, respelt, _ := respellBody([]byte(in), schema)
	renamed := notesOf(respelt)
	wantRenamed := []string{
		"VerifierConfigs as verifierConfigs",
		`verifierConfigs.age.type "calculationonly" as "CalculationOnly"`,
		`verifierConfigs.age.direction "BELOW" as "Below"`,
		`verifierConfigs.liveness.type "verification" as "Verification"`,
	}
	if string(got) != want || !reflect.DeepEqual(renamed, wantRenamed) {
		t.Errorf("respellBody(%s)\n = %s %q\nwant %s %q", in, got, renamed, want, wantRenamed)
	}
	var doc any
	if err := json.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	if !needsRespelling(schema, doc) {
		t.Error("needsRespelling is false for a body with respellable names and values")
	}
}

func TestRespellQuery(t *testing.T) {
	const id = "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	get := Operations[opIndex(t, "getVerification")].Params
	token := Operations[opIndex(t, "getToken")].Params
	for _, tc := range []struct {
		params          []Param
		in, want        string
		renamed, values []string
	}{
		{get, "verificationId=1", "verificationId=1", nil, nil},
		{get, "VerificationId=1", "verificationId=1", []string{"VerificationId as verificationId"}, nil},
		{get, "a=%20&VERIFICATIONID=1&b&verificationid=2", "a=%20&verificationId=1&b&verificationId=2", []string{"VERIFICATIONID as verificationId", "verificationid as verificationId"}, nil},
		{get, "Verification%49d=1", "verificationId=1", []string{"VerificationId as verificationId"}, nil},
		{get, "VerificationId=1;x", "VerificationId=1;x", nil, nil}, // not a valid query: checkQueryOnce refuses it
		{get, "", "", nil, nil},
		{get, "verificationId=" + id, "verificationId=" + id, nil, nil},
		{get, "verificationId=%7B" + id + "%7D", "verificationId=" + id, nil, []string{`verificationId "{` + id + `}" as ` + id}},
		{get, "verificationId=(" + strings.ToUpper(id) + ")", "verificationId=" + strings.ToUpper(id), nil, []string{`verificationId "(` + strings.ToUpper(id) + `)" as ` + strings.ToUpper(id)}},
		{get, "VerificationId=" + strings.ReplaceAll(id, "-", ""), "verificationId=" + id, []string{"VerificationId as verificationId"}, []string{`verificationId "` + strings.ReplaceAll(id, "-", "") + `" as ` + id}},
		{get, "verificationId=+" + id + "+", "verificationId=" + id, nil, []string{`verificationId " ` + id + ` " as ` + id}},
		{get, "verificationId=%7B" + id, "verificationId=%7B" + id, nil, nil},                                                                           // no form of a uuid: the schema refuses it
		{get, "verificationId=" + strings.ReplaceAll(id, "-", "")[:31] + "g", "verificationId=" + strings.ReplaceAll(id, "-", "")[:31] + "g", nil, nil}, // 32 characters, not all hex
		{token, "expirationInSeconds=%2060%20", "expirationInSeconds=60", nil, []string{`expirationInSeconds " 60 " as 60`}},
		{token, "expirationInSeconds=60", "expirationInSeconds=60", nil, nil},
		{token, "expirationInSeconds=+", "expirationInSeconds=+", nil, nil},
	} {
		got, renamed, values := respellQuery(tc.in, tc.params)
		var gotRenamed, gotValues []string
		if renamed != nil {
			gotRenamed = notesOf(renamed)
		}
		if values != nil {
			gotValues = notesOf(values)
		}
		if got != tc.want || !reflect.DeepEqual(gotRenamed, tc.renamed) || !reflect.DeepEqual(gotValues, tc.values) {
			t.Errorf("respellQuery(%q)\n = %q %q %q\nwant %q %q %q", tc.in, got, gotRenamed, gotValues, tc.want, tc.renamed, tc.values)
		}
	}
}

// opIndex is the index of the operation with id in Operations.
func opIndex(t testing.TB, id string) int {
	t.Helper()
	for i, op := range Operations {
		if op.ID == id {
			return i
		}
	}
	t.Fatalf("no operation %s", id)
	return -1
}

// FuzzRespellBody: for any valid JSON body within the nesting limit, respelling keeps it valid
// JSON, changes nothing when it reports nothing, and changes nothing but strings: as many as it
// reports, each into a string (a name or an enum value) or into the integer the string held.
func FuzzRespellBody(f *testing.F) {
	for _, s := range []string{
		`{"queryString":"a=1"}`,
		`{"QueryString":"a=1","SecuritySettings":{"EnableNonce":true}}`,
		` { "QUERYSTRING" : "x" , "queryString" : [ {"QueryString":1} ] } `,
		`{"Query\u0053tring":"a","ſecuritySettings":{"ExpirationInSeconds":1e2}}`,
		`[{"QueryString":1}]`, `"QueryString"`, `null`, `{}`,
		`{"VerifierConfigs":{"liveness":{"type":"verification","Type":"DISABLED"}},"Name":"n"}`,
		`{"verifierConfigs":{"age":{"threshold":"+018","Threshold":"1e2","type":"thresholdverification"}}}`,
		`{"verifierConfigs":{"age":{"threshold":"-","direction":"18"}},"name":"18"}`,
	} {
		f.Add(s)
	}
	schema := Operations[opIndex(f, "createSession")].Body.Schema
	f.Fuzz(func(t *testing.T, body string) {
		if !json.Valid([]byte(body)) || nestingExceeds([]byte(body), maxBodyNesting) {
			return
		}
		out, renamed, numbers := respellBody([]byte(body), schema)
		if !json.Valid(out) {
			t.Fatalf("respellBody(%q) = %q, not JSON", body, out)
		}
		if len(renamed)+len(numbers) == 0 && string(out) != body {
			t.Fatalf("respellBody(%q) reported nothing but changed the text to %q", body, out)
		}
		in, got := jsonSkeleton([]byte(body)), jsonSkeleton(out)
		if len(in) != len(got) {
			t.Fatalf("respellBody(%q) = %q: %d tokens became %d", body, out, len(in), len(got))
		}
		toStrings, toNumbers := 0, 0
		for i := range in {
			if in[i] == got[i] {
				continue
			}
			was, isString := in[i].(string)
			switch now := got[i].(type) {
			case string:
				toStrings++
			case json.Number:
				if n, ok := integerFromString(was, &Schema{Type: "integer"}); !ok || strconv.FormatInt(n, 10) != string(now) {
					t.Fatalf("respellBody(%q) = %q: token %d %q became the number %s", body, out, i, was, now)
				}
				toNumbers++
			}
			if !isString {
				t.Fatalf("respellBody(%q) = %q: token %d %v became %v", body, out, i, in[i], got[i])
			}
		}
		if toStrings > len(renamed) || toNumbers != len(numbers) {
			t.Fatalf("respellBody(%q) = %q: %d strings respelt and %d read as numbers; reported %q and %q", body, out, toStrings, toNumbers, renamed, numbers)
		}
	})
}

// jsonSkeleton is body's tokens as json.Decoder reads them.
func jsonSkeleton(body []byte) []any {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var out []any
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		out = append(out, tok)
	}
}
