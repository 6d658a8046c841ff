package mockserver_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Production reads integers only from integer literals or from strings, matches paths and binds
// JSON member names and query parameter names regardless of letter case, as
// ASP.NET Core with System.Text.Json's web defaults does, skips a UTF-8 byte order mark before a
// JSON body, and refuses JSON nested deeper than 64 levels; so does the mock, and it names every
// respelt name in X-Mock-Warning.

func TestMemberNamesBindRegardlessOfCase(t *testing.T) {
	m := newMock(t)

	t.Run("PascalCase signature request, as a C# client serializes it", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create",
			[]byte(`{"QueryString":"userId=User123","SecuritySettings":{"EnableNonce":true,"ExpirationInSeconds":60}}`))
		if r.status != http.StatusOK {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		var got generated.SignedQuery
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.SignedQueryString, "userId=User123&reExpiration=") || got.Nonce == nil || *got.Nonce == "" {
			t.Errorf("signed %q with nonce %v; want the query signed with a nonce", got.SignedQueryString, got.Nonce)
		}
		if got.Expiration == nil || *got.Expiration != frozenAt.Unix()+60 {
			t.Errorf("expiration %v, want %d: expirationInSeconds was not bound", got.Expiration, frozenAt.Unix()+60)
		}
		want := "matched regardless of letter case: QueryString as queryString, SecuritySettings as securitySettings, securitySettings.EnableNonce as enableNonce, securitySettings.ExpirationInSeconds as expirationInSeconds"
		if w := r.header.Get("X-Mock-Warning"); w != want {
			t.Errorf("X-Mock-Warning %q\nwant %q", w, want)
		}
	})

	t.Run("every letter case binds and is checked like the spec's spelling", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"QUERYSTRING":"a=1","securitysettings":{"expirationinseconds":0}}`))
		r.problem(t, http.StatusBadRequest, "securitySettings.expirationInSeconds")
	})

	t.Run("the last of two spellings counts, as System.Text.Json binds duplicates", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"first=1","QueryString":"second=2","securitySettings":{"expirationEnabled":false}}`))
		var got generated.SignedQuery
		if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		if !strings.HasPrefix(got.SignedQueryString, "second=2&reSignature=") {
			t.Errorf("signed %q, want the last spelling's value second=2", got.SignedQueryString)
		}
	})

	t.Run("a name that is not a field in any case stays unknown", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","Query_String":"b=2"}`))
		if w := r.header.Get("X-Mock-Warning"); r.status != http.StatusOK || w != "ignored unknown fields: Query_String" {
			t.Errorf("status %d, X-Mock-Warning %q", r.status, w)
		}
	})

	t.Run("both notes in one warning", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"QueryString":"a=1","extra":true}`))
		want := "ignored unknown fields: extra; matched regardless of letter case: QueryString as queryString"
		if w := r.header.Get("X-Mock-Warning"); r.status != http.StatusOK || w != want {
			t.Errorf("status %d, X-Mock-Warning %q, want %q", r.status, w, want)
		}
	})

	t.Run("a respelt verification is stored under the spec's names", func(t *testing.T) {
		name := m.uniqueName("pascal")
		r := m.send(http.MethodPost, "/v1/verification/create", []byte(`{"Name":"`+name+`","VerificationConfig":{"VerifierConfigs":{"Age":{"Type":"ThresholdVerification","Threshold":21}},"RedirectConfig":{"PassedUrl":"https://shop.example/ok"}}}`))
		var created generated.VerificationCreated
		if r.status != http.StatusOK || json.Unmarshal(r.body, &created) != nil {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		v := m.getVerification(m.A, created.VerificationId)
		age := v.VerificationConfig.VerifierConfigs.Age
		if v.Name != name || age == nil || age.Threshold == nil || *age.Threshold != 21 {
			t.Errorf("stored %+v, want name %q and an age threshold of 21", v, name)
		}
		if rc := v.VerificationConfig.RedirectConfig; rc == nil || rc.PassedUrl == nil || *rc.PassedUrl != "https://shop.example/ok" {
			t.Errorf("redirectConfig %+v, want passedUrl https://shop.example/ok", rc)
		}
	})
}

func TestQueryNamesBindRegardlessOfCase(t *testing.T) {
	m := newMock(t)
	created := m.createVerification(m.A, generated.VerificationInput{Name: m.uniqueName("query case")})
	id := created.VerificationId.String()

	for _, name := range []string{"VerificationId", "VERIFICATIONID", "verificationid"} {
		t.Run(name, func(t *testing.T) {
			r := m.send(http.MethodGet, "/v1/verification/get?"+name+"="+id, nil)
			if r.status != http.StatusOK || !strings.Contains(string(r.body), id) {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if w := r.header.Get("X-Mock-Warning"); w != "matched regardless of letter case: "+name+" as verificationId" {
				t.Errorf("X-Mock-Warning %q", w)
			}
		})
	}
	t.Run("the spec's spelling carries no warning", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get?verificationId="+id, nil)
		if r.status != http.StatusOK || r.header.Get("X-Mock-Warning") != "" {
			t.Errorf("status %d, X-Mock-Warning %q", r.status, r.header.Get("X-Mock-Warning"))
		}
	})
	t.Run("two spellings are the parameter given twice", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get?verificationId="+id+"&VerificationId="+id, nil)
		p := r.problem(t, http.StatusBadRequest, "verificationId")
		if got := apiErrorsOf(p)["verificationId"]; len(got) != 1 || got[0] != "must be given at most once" {
			t.Errorf("errors %v", apiErrorsOf(p))
		}
	})
	t.Run("a respelt parameter is checked like the spec's", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get?VerificationId=not-a-uuid", nil)
		r.problem(t, http.StatusBadRequest, "verificationId")
	})
}

func TestBodyNestingLimit(t *testing.T) {
	m := newMock(t)
	nested := func(levels int) []byte {
		// The body object is the first level; an ignored member holds the rest.
		return []byte(`{"queryString":"a=1","ignored":` + strings.Repeat("[", levels-1) + strings.Repeat("]", levels-1) + `}`)
	}
	if r := m.send(http.MethodPost, "/v1/signature/create", nested(64)); r.status != http.StatusOK {
		t.Errorf("64 levels: status %d, body %s; want 200", r.status, r.body)
	}
	r := m.send(http.MethodPost, "/v1/signature/create", nested(65))
	p := r.problem(t, http.StatusBadRequest, "body")
	if got := apiErrorsOf(p)["body"]; len(got) != 1 || got[0] != "must not nest objects and arrays more than 64 levels deep" {
		t.Errorf("errors %v", apiErrorsOf(p))
	}
	// Brackets inside strings are not nesting.
	deepText := `{"queryString":"a=` + strings.Repeat("[", 100) + `"}`
	if r := m.send(http.MethodPost, "/v1/signature/create", []byte(deepText)); r.status != http.StatusOK {
		t.Errorf("brackets in a string: status %d, body %s; want 200", r.status, r.body)
	}
}

func TestBodyByteOrderMarkIsSkipped(t *testing.T) {
	m := newMock(t)
	r := m.send(http.MethodPost, "/v1/signature/create", []byte("\xef\xbb\xbf"+`{"queryString":"bom=1","securitySettings":{"expirationEnabled":false}}`))
	var got generated.SignedQuery
	if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	if !strings.HasPrefix(got.SignedQueryString, "bom=1&reSignature=") {
		t.Errorf("signed %q", got.SignedQueryString)
	}
	// A mark alone is no body, and a mark inside the JSON is not JSON.
	m.send(http.MethodPost, "/v1/signature/create", []byte("\xef\xbb\xbf")).problem(t, http.StatusBadRequest, "body")
	m.send(http.MethodPost, "/v1/signature/create", []byte(" \xef\xbb\xbf{}")).problem(t, http.StatusBadRequest, "body")
}

func TestPathsAreRoutedAsASPNETRoutesThem(t *testing.T) {
	m := newMock(t)
	created := m.createVerification(m.A, generated.VerificationInput{Name: m.uniqueName("path case")})
	id := created.VerificationId.String()

	r := m.send(http.MethodGet, "/V1/HEALTHZ", nil)
	if r.status != http.StatusOK || r.header.Get("X-Mock-Warning") != "matched regardless of letter case: /V1/HEALTHZ as /v1/healthz" {
		t.Errorf("GET /V1/HEALTHZ: status %d, X-Mock-Warning %q", r.status, r.header.Get("X-Mock-Warning"))
	}

	// The respelt path runs the whole pipeline: authentication, validation (with its own
	// warnings) and the handler.
	r = m.send(http.MethodGet, "/v1/Verification/Get?VerificationId="+id, nil)
	want := []string{"matched regardless of letter case: /v1/Verification/Get as /v1/verification/get", "matched regardless of letter case: VerificationId as verificationId"}
	if r.status != http.StatusOK || !strings.Contains(string(r.body), id) || strings.Join(r.header.Values("X-Mock-Warning"), "|") != strings.Join(want, "|") {
		t.Errorf("status %d, X-Mock-Warning %q, body %s", r.status, r.header.Values("X-Mock-Warning"), r.body)
	}
	reqs := m.srv.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/v1/Verification/Get" || last.Operation != "getVerification" || last.Status != http.StatusOK {
		t.Errorf("the journal records %+v, want the path as sent, operation getVerification and 200", last)
	}
	m.send(http.MethodGet, "/V1/VERIFICATION/GET-ALL", nil, "Authorization", "").problem(t, http.StatusUnauthorized)

	// One trailing slash is routed too, in any letter case; two are not.
	for path, warning := range map[string]string{
		"/v1/healthz/": "matched without the trailing slash: /v1/healthz/ as /v1/healthz",
		"/V1/Healthz/": "matched without the trailing slash: /V1/Healthz/ as /v1/healthz",
	} {
		if r := m.send(http.MethodGet, path, nil); r.status != http.StatusOK || r.header.Get("X-Mock-Warning") != warning {
			t.Errorf("GET %s: status %d, X-Mock-Warning %q, want 200 and %q", path, r.status, r.header.Get("X-Mock-Warning"), warning)
		}
	}
	m.send(http.MethodGet, "/v1/healthz//", nil).problem(t, http.StatusNotFound)

	r = m.send(http.MethodPost, "/V1/HEALTHZ", []byte(`{}`))
	r.problem(t, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "GET" {
		t.Errorf("POST /V1/HEALTHZ: Allow %q, want GET", r.header.Get("Allow"))
	}
}

func TestHeadOfAGetOperationIsNotAllowed(t *testing.T) {
	m := newMock(t)
	for _, path := range []string{"/v1/verification/get-all", "/v1/healthz", "/V1/Verification/Get-All", "/v1/healthz/"} {
		r := m.send(http.MethodHead, path, nil)
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET" || len(r.body) != 0 {
			t.Errorf("HEAD %s: status %d, Allow %q, body %q; want 405, Allow GET and no body", path, r.status, r.header.Get("Allow"), r.body)
		}
	}
	// The hosted page is not an API operation: a browser or link checker may ask for its headers.
	if r := m.send(http.MethodHead, "/verification/00000000-0000-0000-0000-000000000000", nil); r.status == http.StatusMethodNotAllowed {
		t.Errorf("HEAD of the hosted page: 405")
	}
}

func TestStructuredSyntaxJSONMediaTypes(t *testing.T) {
	m := newMock(t)
	for _, ct := range []string{"application/vnd.example+json", "Application/Problem+JSON; charset=utf-8"} {
		if r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1"}`), "Content-Type", ct); r.status != http.StatusOK {
			t.Errorf("Content-Type %s: status %d, body %s; want 200", ct, r.status, r.body)
		}
	}
	for _, ct := range []string{"application/+json", "text/json", "text/plain+json", "application/jsonx", "application/json+xml"} {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1"}`), "Content-Type", ct)
		p := r.problem(t, http.StatusUnsupportedMediaType)
		if want := "Content-Type: must be application/json, got " + ct; apiDetailOf(p) != want {
			t.Errorf("detail %q, want %q", apiDetailOf(p), want)
		}
	}
}

func TestEnumValuesBindRegardlessOfCase(t *testing.T) {
	m := newMock(t)
	name := m.uniqueName("enum case")
	r := m.send(http.MethodPost, "/v1/verification/create", []byte(`{"name":"`+name+`","verificationConfig":{"verifierConfigs":{"gender":{"type":"calculationonly"},"age":{"type":"THRESHOLDVERIFICATION","threshold":18,"direction":"below"}}}}`))
	var created generated.VerificationCreated
	if r.status != http.StatusOK || json.Unmarshal(r.body, &created) != nil {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	want := `matched regardless of letter case: verificationConfig.verifierConfigs.gender.type "calculationonly" as "CalculationOnly", verificationConfig.verifierConfigs.age.type "THRESHOLDVERIFICATION" as "ThresholdVerification", verificationConfig.verifierConfigs.age.direction "below" as "Below"` // in the body's order
	if w := r.header.Get("X-Mock-Warning"); w != want {
		t.Errorf("X-Mock-Warning %q\nwant %q", w, want)
	}
	v := m.getVerification(m.A, created.VerificationId)
	vc := v.VerificationConfig.VerifierConfigs
	if vc.Gender == nil || vc.Gender.Type != generated.GenderTypeCalculationOnly || vc.Age == nil || vc.Age.Type != generated.AgeTypeThresholdVerification ||
		vc.Age.Direction == nil || *vc.Age.Direction != generated.Below {
		t.Errorf("stored %+v, %+v; want the spec's spellings", vc.Gender, vc.Age)
	}

	// A respelt member name and a respelt value in one body, and a value of no enum member.
	r = m.send(http.MethodPost, "/v1/verification/create-session", []byte(`{"VerifierConfigs":{"Liveness":{"Type":"verification"}}}`))
	if r.status != http.StatusOK {
		t.Errorf("create-session: status %d, body %s", r.status, r.body)
	}
	r = m.send(http.MethodPost, "/v1/verification/create-session", []byte(`{"verifierConfigs":{"liveness":{"type":"verify"}}}`))
	r.problem(t, http.StatusBadRequest, "verifierConfigs.liveness.type")
}

func TestIntegersAsProductionReadsThem(t *testing.T) {
	m := newMock(t)
	t.Run("from a string", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"60"}}`))
		var got generated.SignedQuery
		if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		if got.Expiration == nil || *got.Expiration != frozenAt.Unix()+60 {
			t.Errorf("expiration %v, want %d", got.Expiration, frozenAt.Unix()+60)
		}
		if w := r.header.Get("X-Mock-Warning"); w != `read from strings as numbers: securitySettings.expirationInSeconds "60" as 60` {
			t.Errorf("X-Mock-Warning %q", w)
		}
	})
	t.Run("from a string, then checked like a number", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":"0"}}`))
		p := r.problem(t, http.StatusBadRequest, "securitySettings.expirationInSeconds")
		if got := apiErrorsOf(p)["securitySettings.expirationInSeconds"]; len(got) != 1 || !strings.HasPrefix(got[0], "must be between") {
			t.Errorf("errors %v", apiErrorsOf(p))
		}
	})
	for _, literal := range []string{"60.0", "6e1", "6.0E+1"} {
		t.Run("written as "+literal, func(t *testing.T) {
			r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":`+literal+`}}`))
			p := r.problem(t, http.StatusBadRequest, "securitySettings.expirationInSeconds")
			if got := apiErrorsOf(p)["securitySettings.expirationInSeconds"]; len(got) != 1 || got[0] != "must be an integer written without a fraction or exponent" {
				t.Errorf("errors %v", apiErrorsOf(p))
			}
		})
	}
	t.Run("a fraction stays a type error", func(t *testing.T) {
		r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySettings":{"expirationInSeconds":60.5}}`))
		p := r.problem(t, http.StatusBadRequest, "securitySettings.expirationInSeconds")
		if got := apiErrorsOf(p)["securitySettings.expirationInSeconds"]; len(got) != 1 || got[0] != "must be an integer" {
			t.Errorf("errors %v", apiErrorsOf(p))
		}
	})
}

func TestStrictModeRefusesWhatOnlyProductionTolerates(t *testing.T) {
	m := newMock(t, func(o *mockserver.Options) { o.Strict = true })
	created := m.createVerification(m.A, generated.VerificationInput{Name: m.uniqueName("strict")})
	before := m.listBody(m.A)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		errors                   map[string]string
	}{
		{"PascalCase members", http.MethodPost, "/v1/signature/create", `{"QueryString":"a=1","SecuritySettings":{"EnableNonce":true}}`, 400, map[string]string{
			"queryString":                  `must be spelt "queryString", not "QueryString" (strict mode)`,
			"securitySettings":             `must be spelt "securitySettings", not "SecuritySettings" (strict mode)`,
			"securitySettings.enableNonce": `must be spelt "enableNonce", not "EnableNonce" (strict mode)`,
		}},
		{"an unknown member", http.MethodPost, "/v1/signature/create", `{"queryString":"a=1","extra":1}`, 400, map[string]string{
			"extra": "is not a field of the spec (strict mode)",
		}},
		{"an enum value in another case", http.MethodPost, "/v1/verification/create", `{"name":"strict enum","verificationConfig":{"verifierConfigs":{"liveness":{"type":"verification"}}}}`, 400, map[string]string{
			"verificationConfig.verifierConfigs.liveness.type": `must be "Verification", not "verification" (strict mode)`,
		}},
		{"an integer in a string", http.MethodPost, "/v1/signature/create", `{"queryString":"a=1","securitySettings":{"expirationInSeconds":"60"}}`, 400, map[string]string{
			"securitySettings.expirationInSeconds": `must be a number, not the string "60" (strict mode)`,
		}},
		{"a query name in another case", http.MethodGet, "/v1/verification/get?VerificationId=" + created.VerificationId.String(), "", 400, map[string]string{
			"verificationId": `must be spelt "verificationId", not "VerificationId" (strict mode)`,
		}},
		{"a uuid in braces", http.MethodGet, "/v1/verification/get?verificationId=%7B" + created.VerificationId.String() + "%7D", "", 400, map[string]string{
			"verificationId": `must be a UUID written 8-4-4-4-12, not "{` + created.VerificationId.String() + `}" (strict mode)`,
		}},
		{"a path in another case", http.MethodGet, "/V1/HEALTHZ", "", 404, nil},
		{"a path with a trailing slash", http.MethodGet, "/v1/healthz/", "", 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := m.send(tc.method, tc.path, body)
			p := r.problem(t, tc.status)
			for field, rule := range tc.errors {
				if got := apiErrorsOf(p)[field]; len(got) != 1 || got[0] != rule {
					t.Errorf("errors[%s] = %q, want %q; all: %v", field, got, rule, apiErrorsOf(p))
				}
			}
			if len(apiErrorsOf(p)) != len(tc.errors) {
				t.Errorf("errors %v, want exactly %v", apiErrorsOf(p), tc.errors)
			}
		})
	}
	if after := m.listBody(m.A); after != before {
		t.Errorf("a refused request changed state:\n%s\n%s", before, after)
	}
	// The spec's own spelling passes, without a warning.
	r := m.send(http.MethodPost, "/v1/signature/create", []byte(`{"queryString":"a=1","securitySettings":{"enableNonce":true,"expirationInSeconds":60}}`))
	if r.status != http.StatusOK || r.header.Get("X-Mock-Warning") != "" {
		t.Errorf("status %d, X-Mock-Warning %q; want 200 and none", r.status, r.header.Get("X-Mock-Warning"))
	}
}
