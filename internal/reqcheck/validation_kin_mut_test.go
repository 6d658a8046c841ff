package reqcheck

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestValidationMatchesKinOnMutations compares the mock's validation with kin-openapi's on every
// single-point mutation of a full, valid body of each body operation: each member (at any depth)
// replaced by each value of a list that covers every type, bound, length, format and enum rule
// of openapi.yaml, removed, or given a sibling the spec does not know; and on query parameters
// with the same values. The fuzzers (FuzzBodyMatchesKin, FuzzQueryMatchesKin) reach the rest.
func TestValidationMatchesKinOnMutations(t *testing.T) {
	id := "39e00c96-6431-4b2e-8707-2fb80e561fbf"
	full := map[int]string{
		5:  `{"queryString":"userId=User123&age=25","securitySettings":{"enableNonce":true,"expirationInSeconds":60,"expirationEnabled":true}}`,
		6:  `{"queryString":"userId=User123&age=25&reSignature=abc"}`,
		7:  `{"name":"n","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Verification","challengeType":"Balanced"},"age":{"type":"ThresholdVerification","threshold":18,"direction":"Above"},"gender":{"type":"CalculationOnly"},"faceRecognition":{"type":"MatchVerification","collectionId":"c"},"commonSettings":{"failOnMultipleFacesDetected":true}},"redirectConfig":{"passedUrl":"https://a.example/p","failedUrl":"https://a.example/f"},"webhookConfig":{"eventCallbackUrl":"https://h.example/x"},"resultParameterConfig":{"includeAge":true,"includeGender":true},"securityConfig":{"forceSignedInput":true},"sessionOverrideConfig":{"allowVerifierOverrides":true}}}`,
		8:  `{"name":"n","verificationConfig":{"verifierConfigs":{"liveness":{"type":"Disabled"}},"webhookConfig":{"eventCallbackUrl":"https://h.example/x"}}}`,
		9:  `{"verificationId":"` + id + `","name":"n","verificationConfig":{"verifierConfigs":{"age":{"type":"CalculationOnly"}}}}`,
		10: `{"name":"bench","externalId":"user-42","verifierConfigs":{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":21}},"webhookConfig":{"eventCallbackUrl":"http://127.0.0.1:9/h"}}`,
	}
	values := []any{
		nil, true, false, 0, -1, 1, 17, 18, 60, 59, 120, 121, 130, 3600, 3601, 1.5, 18.0, 2147483647, 2147483648,
		-2147483649, json.Number("1e400"), json.Number("9223372036854775807"), json.Number("1e2"), json.Number("-0"),
		"", " ", "x", "60", "+018", "18.0", "-1", "99999999999", strings.Repeat("x", 65), strings.Repeat("é", 257), strings.Repeat("😀", 300), "\u0000",
		id, strings.ToUpper(id), id[:35], "https://a.example/p", "http://[::1", "ftp://x", "/relative", "mailto:a@b",
		"Verification", "Disabled", "CalculationOnly", "ThresholdVerification", "MatchVerification", "Male", "Female",
		"Above", "Below", "Balanced", "verification", map[string]any{}, map[string]any{"type": "Verification"}, []any{}, []any{1},
	}
	n := 0
	for op, body := range full {
		var doc any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		check := func(mutated any) {
			t.Helper()
			b, err := json.Marshal(mutated)
			if err != nil {
				t.Fatal(err)
			}
			checkMatchesKin(t, op, "", "application/json", string(b))
			n++
		}
		v := checkerFor(t, validationOps[op].pattern)
		req, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if _, notes, perr := v.check(req); perr != nil || notes.warning() != "" {
			t.Fatalf("%s: the full body %s is not valid: %v, %s", validationOps[op].pattern, body, perr, notes.warning())
		}
		check(doc)
		for _, v := range values {
			check(v) // the whole body
		}
		eachMember(doc, func(obj map[string]any, key string) {
			old, had := obj[key]
			for _, v := range values {
				obj[key] = v
				check(doc)
			}
			delete(obj, key)
			check(doc)
			if had {
				obj[key] = old
			}
			obj["unknownMember"] = 1
			check(doc)
			delete(obj, "unknownMember")
			// The member under other spellings, alone and beside its own.
			for _, spelling := range []string{strings.ToUpper(key[:1]) + key[1:], strings.ToUpper(key)} {
				delete(obj, key)
				obj[spelling] = old
				check(doc)
				obj[key] = old
				obj[spelling] = "x"
				check(doc)
				delete(obj, spelling)
			}
		})
	}
	for op := range 5 {
		for _, v := range values {
			s, ok := v.(string)
			if !ok {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			for _, name := range []string{"verificationId", "verificationSessionId", "expirationInSeconds", "VerificationId", "VERIFICATIONSESSIONID"} {
				checkMatchesKin(t, op, name+"="+urlEscape(s), "", "")
				n++
			}
		}
	}
	t.Logf("%d requests compared", n)
}

// eachMember calls f for every member of every object in v, depth first, with the object and
// the member's name; f may change the member but must put it back.
func eachMember(v any, f func(obj map[string]any, key string)) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	for _, k := range keys {
		f(obj, k)
		eachMember(obj[k], f)
	}
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
	}
	return b.String()
}

// TestNewValidatorRefusesWhatItCannotRead: an operation the validator could not check as the spec
// says stops New rather than being checked loosely.
func TestNewValidatorRefusesWhatItCannotRead(t *testing.T) {
	for _, op := range []Operation{
		{ID: "optionalBody", Method: "POST", Path: "/x", Body: &Body{Required: false, Schema: &Schema{Type: "object"}}},
		{ID: "boolParam", Method: "GET", Path: "/x", Params: []Param{{Name: "flag", Schema: &Schema{Type: "boolean"}}}},
	} {
		if _, err := New(&op, 1<<20); err == nil || !strings.Contains(err.Error(), op.ID) {
			t.Errorf("%s: newValidator = %v, want an error naming the operation", op.ID, err)
		}
	}
}
