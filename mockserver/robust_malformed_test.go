package mockserver_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// robMalformed is one malformed request: it must be answered with a 4xx in the API's error format
// and change nothing.
type robMalformed struct {
	name   string
	method string
	// target is the path and query, sent as is; {vid} is account A's verification "existing",
	// {vid2} its "second", {sid} its pending session, {bvid} account B's verification.
	target string
	body   string // "" sends none; the others carry Content-Type: application/json unless headers say otherwise
	// headers are name, value pairs: a value replaces the default (account A's API key, the JSON
	// Content-Type), "" removes the header, and a name starting with "+" adds a second value.
	headers []string
	// direct sends the request straight into the handler: net/http's client refuses to put
	// control characters in a header, and net/http's server answers such a request itself
	// (400 text/plain, see cmd/verifeye-mock/robust_test.go), but a mock mounted behind another
	// server or called in process must still cope.
	direct bool
	status int
}

const (
	robCreate   = "/v1/verification/create"
	robUpsert   = "/v1/verification/create-or-update"
	robUpdate   = "/v1/verification/update"
	robDelete   = "/v1/verification/delete"
	robGet      = "/v1/verification/get"
	robGetAll   = "/v1/verification/get-all"
	robSession  = "/v1/verification/create-session"
	robResult   = "/v1/verification/get-session-result"
	robSign     = "/v1/signature/create"
	robValidate = "/v1/signature/validate"
	robToken    = "/v1/token/get"
	robHealthz  = "/v1/healthz"
)

var (
	robLong      = strings.Repeat("x", 100_000) // in a body; in the request line or a header, over production's limits
	robBig       = strings.Repeat("x", 8_000)   // within the request line and header limits
	robEmoji201  = strings.Repeat("\U0001F600", 201)
	robTwoTo63   = "9223372036854775808"
	robSQL       = "' OR 1=1 --"
	robScript    = "<script>alert(1)</script>"
	robTemplate  = "{{7*7}}"
	robTraversal = "../../etc/passwd"
	robCRLF      = "\r\nX-Injected: 1"
	robQ         = url.QueryEscape
)

// robVerification builds a JSON body with a verification name and a configuration (raw JSON).
func robVerification(name, config string) string {
	return `{"name":` + name + `,"verificationConfig":` + config + `}`
}

// robVerifiers builds a verification configuration with the given verifierConfigs.
func robVerifiers(vc string) string { return `{"verifierConfigs":` + vc + `}` }

// robMalformedCases is the table: every operation, and the malformed-input classes the issue
// lists.
func robMalformedCases() []robMalformed {
	ageConfig := func(threshold string) string {
		return robVerification(`"n"`, robVerifiers(`{"age":{"type":"ThresholdVerification","threshold":`+threshold+`}}`))
	}
	livenessType := func(v string) string {
		return robVerification(`"n"`, robVerifiers(`{"liveness":{"type":`+v+`}}`))
	}
	webhook := func(u string) string {
		return robVerification(`"n"`, `{"webhookConfig":{"eventCallbackUrl":`+u+`}}`)
	}
	redirect := func(u string) string {
		return robVerification(`"n"`, `{"redirectConfig":{"passedUrl":`+u+`}}`)
	}
	update := func(id, name, config string) string {
		return `{"verificationId":` + id + `,"name":` + name + `,"verificationConfig":` + config + `}`
	}
	return []robMalformed{
		// createSignature
		{name: "sign/truncated JSON", method: "POST", target: robSign, body: `{"queryString":`, status: 400},
		{name: "sign/unterminated string", method: "POST", target: robSign, body: `{"queryString":"a=1`, status: 400},
		{name: "sign/queryString number", method: "POST", target: robSign, body: `{"queryString":12}`, status: 400},
		{name: "sign/queryString null", method: "POST", target: robSign, body: `{"queryString":null}`, status: 400},
		{name: "sign/queryString array", method: "POST", target: robSign, body: `{"queryString":["a=1"]}`, status: 400},
		{name: "sign/queryString object", method: "POST", target: robSign, body: `{"queryString":{"a":"1"}}`, status: 400},
		{name: "sign/queryString empty", method: "POST", target: robSign, body: `{"queryString":""}`, status: 400},
		{name: "sign/queryString blank", method: "POST", target: robSign, body: `{"queryString":"  ?  "}`, status: 400},
		{name: "sign/reserved reSignature", method: "POST", target: robSign, body: `{"queryString":"a=1&ReSignature=` + robSQL + `"}`, status: 400},
		{name: "sign/expirationInSeconds 1e309", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationInSeconds":1e309}}`, status: 400},
		{name: "sign/expirationInSeconds 2^63", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationInSeconds":` + robTwoTo63 + `}}`, status: 400},
		{name: "sign/expirationInSeconds negative", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationInSeconds":-1}}`, status: 400},
		{name: "sign/expirationInSeconds NaN", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationInSeconds":NaN}}`, status: 400},
		{name: "sign/expirationEnabled string", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationEnabled":"true"}}`, status: 400},
		{name: "sign/nonce without expiration", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":{"expirationEnabled":false,"enableNonce":true}}`, status: 400},
		{name: "sign/securitySettings array", method: "POST", target: robSign, body: `{"queryString":"a=1","securitySettings":[]}`, status: 400},
		{name: "sign/duplicate key, empty last", method: "POST", target: robSign, body: `{"queryString":"a=1","queryString":""}`, status: 400},
		{name: "sign/duplicate key, number last", method: "POST", target: robSign, body: `{"queryString":"a=1","queryString":7}`, status: 400},
		{name: "sign/body is a string", method: "POST", target: robSign, body: `"a=1"`, status: 400},
		{name: "sign/two JSON values", method: "POST", target: robSign, body: `{"queryString":"a=1"}{"queryString":"b=2"}`, status: 400},
		{name: "sign/raw NUL byte in a string", method: "POST", target: robSign, body: "{\"queryString\":\"a\x00b\"}", status: 400},
		{name: "sign/raw CRLF in a string", method: "POST", target: robSign, body: "{\"queryString\":\"a" + robCRLF + "\"}", status: 400},
		{name: "sign/invalid UTF-8 bytes", method: "POST", target: robSign, body: "{\"queryString\":\"a=\xff\xfe\"}", status: 400},
		{name: "sign/lone surrogate escape", method: "POST", target: robSign, body: `{"queryString":"a=\ud800"}`, status: 400},
		{name: "sign/nesting deeper than any parser allows", method: "POST", target: robSign, body: `{"queryString":"a=1","x":` + strings.Repeat("[", 100_001) + strings.Repeat("]", 100_001) + `}`, status: 400},
		{name: "sign/Content-Type garbage", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", "application/json/../../etc"}, status: 415},
		{name: "sign/Content-Type script", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", robScript}, status: 415},
		{name: "sign/Content-Type charset=utf-16", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", "application/json; charset=utf-16"}, status: 415}, // the mock reads UTF-8 only and says so
		{name: "sign/Content-Type with CRLF", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", "text/plain" + robCRLF}, direct: true, status: 415},
		{name: "sign/Content-Type huge", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", "application/" + robBig}, status: 415},
		{name: "sign/Content-Type over the header limit", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Content-Type", "application/" + robLong}, status: 431},
		{name: "sign/no Authorization", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Authorization", ""}, status: 401},
		{name: "sign/Authorization with control characters", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Authorization", "ApiKey " + apiKeyA1 + "\x00\x01\x7f"}, direct: true, status: 401},
		{name: "sign/Authorization with CRLF", method: "POST", target: robSign, body: `{"queryString":"a=1"}`, headers: []string{"Authorization", "ApiKey " + apiKeyA1 + robCRLF}, direct: true, status: 401},
		{name: "sign/wrong method GET", method: "GET", target: robSign, status: 405},
		{name: "sign/body over 1 MiB", method: "POST", target: robSign, body: `{"queryString":"` + strings.Repeat("a", 2<<20) + `"}`, status: 413},

		// validateSignature
		{name: "validate/truncated JSON", method: "POST", target: robValidate, body: `{"queryString":"a=1"`, status: 400},
		{name: "validate/queryString boolean", method: "POST", target: robValidate, body: `{"queryString":true}`, status: 400},
		{name: "validate/queryString empty", method: "POST", target: robValidate, body: `{"queryString":""}`, status: 400},
		{name: "validate/queryString blank", method: "POST", target: robValidate, body: `{"queryString":" ? "}`, status: 400},
		{name: "validate/missing queryString", method: "POST", target: robValidate, body: `{}`, status: 400},
		{name: "validate/queryString a 100k-digit number", method: "POST", target: robValidate, body: `{"queryString":1` + strings.Repeat("0", 100_000) + `}`, status: 400},
		{name: "validate/100k-character unknown key, no queryString", method: "POST", target: robValidate, body: `{"` + robLong + `":1}`, status: 400},
		{name: "validate/form body", method: "POST", target: robValidate, body: `queryString=a%3D1`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "validate/Bearer garbage", method: "POST", target: robValidate, body: `{"queryString":"a=1"}`, headers: []string{"Authorization", "Bearer " + robTemplate}, status: 401},
		{name: "validate/wrong method DELETE", method: "DELETE", target: robValidate, status: 405},

		// getVerification
		{name: "get/no verificationId", method: "GET", target: robGet, status: 400},
		{name: "get/SQL injection", method: "GET", target: robGet + "?verificationId=" + robQ(robSQL), status: 400},
		{name: "get/script", method: "GET", target: robGet + "?verificationId=" + robQ(robScript), status: 400},
		{name: "get/template", method: "GET", target: robGet + "?verificationId=" + robQ(robTemplate), status: 400},
		{name: "get/path traversal", method: "GET", target: robGet + "?verificationId=" + robQ(robTraversal), status: 400},
		{name: "get/NUL", method: "GET", target: robGet + "?verificationId=%00", status: 400},
		{name: "get/id with a NUL after it", method: "GET", target: robGet + "?verificationId={vid}%00", status: 400},
		{name: "get/id behind an RTL mark", method: "GET", target: robGet + "?verificationId=" + robQ("\u200f") + "{vid}", status: 400},
		{name: "get/emoji", method: "GET", target: robGet + "?verificationId=" + robQ("\U0001F600"), status: 400},
		{name: "get/8k characters", method: "GET", target: robGet + "?verificationId=" + robBig, status: 400},
		{name: "get/100k characters, over the request line limit", method: "GET", target: robGet + "?verificationId=" + robLong, status: 414},
		{name: "get/2^63", method: "GET", target: robGet + "?verificationId=" + robTwoTo63, status: 400},
		{name: "get/id with an unclosed brace", method: "GET", target: robGet + "?verificationId=%7B{vid}", status: 400},
		{name: "get/invalid UTF-8 escapes", method: "GET", target: robGet + "?verificationId=%ff%fe", status: 400},
		{name: "get/truncated escape", method: "GET", target: robGet + "?verificationId=%E0%A4%A", status: 400},
		{name: "get/duplicate parameter", method: "GET", target: robGet + "?verificationId={vid}&verificationId={vid2}", status: 400},
		{name: "get/array syntax", method: "GET", target: robGet + "?verificationId[]={vid}", status: 400},
		{name: "get/semicolon separator", method: "GET", target: robGet + "?verificationId={vid};x=1", status: 400},
		{name: "get/huge Authorization", method: "GET", target: robGet + "?verificationId={vid}", headers: []string{"Authorization", "ApiKey " + robBig}, status: 401},
		{name: "get/Authorization over the header limit", method: "GET", target: robGet + "?verificationId={vid}", headers: []string{"Authorization", "ApiKey " + robLong}, status: 431},
		{name: "get/scheme without key", method: "GET", target: robGet + "?verificationId={vid}", headers: []string{"Authorization", "ApiKey"}, status: 401},
		{name: "get/Basic scheme", method: "GET", target: robGet + "?verificationId={vid}", headers: []string{"Authorization", "Basic dXNlcjpwYXNz"}, status: 401},
		{name: "get/wrong method POST", method: "POST", target: robGet + "?verificationId={vid}", body: `{}`, status: 405},

		// getAllVerifications
		{name: "get-all/no Authorization", method: "GET", target: robGetAll, headers: []string{"Authorization", ""}, status: 401},
		{name: "get-all/key with a NUL", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey " + apiKeyB + "\x00"}, direct: true, status: 401},
		{name: "get-all/key with a tab inside", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey " + apiKeyA1[:5] + "\t" + apiKeyA1[5:]}, status: 401},
		{name: "get-all/emoji key", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey \U0001F600"}, status: 401},
		{name: "get-all/SQL injection as key", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey " + robSQL}, status: 401},
		{name: "get-all/first of two Authorization headers invalid", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey wrong", "+Authorization", "ApiKey " + apiKeyA1}, status: 401},
		{name: "get-all/two valid Authorization headers", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey " + apiKeyA1, "+Authorization", "ApiKey " + apiKeyA1}, status: 401},
		{name: "get-all/an invalid Authorization header after a valid one", method: "GET", target: robGetAll, headers: []string{"Authorization", "ApiKey " + apiKeyA1, "+Authorization", "ApiKey wrong"}, status: 401},
		{name: "get-all/malformed Bearer", method: "GET", target: robGetAll, headers: []string{"Authorization", "Bearer a.b.c"}, status: 401},
		{name: "get-all/wrong method PUT", method: "PUT", target: robGetAll, body: `{}`, status: 405},
		{name: "get-all/lower-case method", method: "get", target: robGetAll, status: 405},
		{name: "get-all/unknown method", method: "PROPFIND", target: robGetAll, status: 405},
		{name: "get-all/path with dot segments", method: "GET", target: "/v1/verification/../../etc/passwd", status: 404},
		{name: "get-all/double slash", method: "GET", target: "/v1//verification/get-all", status: 404},
		{name: "get-all/NUL in the path", method: "GET", target: robGetAll + "%00", status: 404},
		{name: "get-all/two trailing slashes", method: "GET", target: robGetAll + "//", status: 404},

		// createVerification
		{name: "create/100k-character name", method: "POST", target: robCreate, body: robVerification(`"`+robLong+`"`, `{}`), status: 400},
		{name: "create/201 emoji name", method: "POST", target: robCreate, body: robVerification(`"`+robEmoji201+`"`, `{}`), status: 400},
		{name: "create/blank name", method: "POST", target: robCreate, body: robVerification(`" \t\n "`, `{}`), status: 400},
		{name: "create/null name", method: "POST", target: robCreate, body: robVerification(`null`, `{}`), status: 400},
		{name: "create/array name", method: "POST", target: robCreate, body: robVerification(`["n"]`, `{}`), status: 400},
		{name: "create/configuration a string", method: "POST", target: robCreate, body: robVerification(`"n"`, `"{}"`), status: 400},
		{name: "create/configuration an array", method: "POST", target: robCreate, body: robVerification(`"n"`, `[]`), status: 400},
		{name: "create/age threshold 1e309", method: "POST", target: robCreate, body: ageConfig("1e309"), status: 400},
		{name: "create/age threshold 2^63", method: "POST", target: robCreate, body: ageConfig(robTwoTo63), status: 400},
		{name: "create/age threshold fraction", method: "POST", target: robCreate, body: ageConfig("18.5"), status: 400},
		{name: "create/age threshold in words", method: "POST", target: robCreate, body: ageConfig(`"eighteen"`), status: 400},
		{name: "create/age threshold 18.0", method: "POST", target: robCreate, body: ageConfig("18.0"), status: 400},
		{name: "create/age threshold 1.8e1", method: "POST", target: robCreate, body: ageConfig("1.8e1"), status: 400},
		{name: "create/age threshold string with spaces", method: "POST", target: robCreate, body: ageConfig(`" 18"`), status: 400},
		{name: "create/liveness type SQL", method: "POST", target: robCreate, body: livenessType(`"` + robSQL + `"`), status: 400},
		{name: "create/liveness type script", method: "POST", target: robCreate, body: livenessType(`"` + robScript + `"`), status: 400},
		{name: "create/liveness type template", method: "POST", target: robCreate, body: livenessType(`"` + robTemplate + `"`), status: 400},
		{name: "create/liveness type behind an RTL override", method: "POST", target: robCreate, body: livenessType(`"\u202eVerification"`), status: 400},
		{name: "create/liveness type with a NUL escape", method: "POST", target: robCreate, body: livenessType(`"Verification\u0000"`), status: 400},
		{name: "create/gender type emoji", method: "POST", target: robCreate, body: robVerification(`"n"`, robVerifiers(`{"gender":{"type":"\U0001F600"}}`)), status: 400},
		{name: "create/redirect javascript:", method: "POST", target: robCreate, body: redirect(`"javascript:alert(1)"`), status: 400},
		{name: "create/redirect path traversal", method: "POST", target: robCreate, body: redirect(`"` + robTraversal + `"`), status: 400},
		{name: "create/webhook file:", method: "POST", target: robCreate, body: webhook(`"file:///etc/passwd"`), status: 400},
		{name: "create/webhook with escaped CRLF", method: "POST", target: robCreate, body: webhook(`"https://hooks.example/\r\nX-Injected: 1"`), status: 400},
		{name: "create/webhook unclosed IPv6", method: "POST", target: robCreate, body: webhook(`"http://[::1"`), status: 400},
		{name: "create/collectionId 100k characters", method: "POST", target: robCreate, body: robVerification(`"n"`, robVerifiers(`{"faceRecognition":{"type":"CalculationOnly","collectionId":"`+robLong+`"}}`)), status: 400},
		{name: "create/face recognition without collectionId", method: "POST", target: robCreate, body: robVerification(`"n"`, robVerifiers(`{"faceRecognition":{"type":"DuplicateVerification"}}`)), status: 400},
		{name: "create/includeAge string", method: "POST", target: robCreate, body: robVerification(`"n"`, `{"resultParameterConfig":{"includeAge":"yes"}}`), status: 400},
		{name: "create/forceSignedInput number", method: "POST", target: robCreate, body: robVerification(`"n"`, `{"securityConfig":{"forceSignedInput":1}}`), status: 400},
		{name: "create/duplicate name key, number first", method: "POST", target: robCreate, body: `{"name":5,"name":"n","verificationConfig":{}}`, status: 400},
		{name: "create/top-level number", method: "POST", target: robCreate, body: `42`, status: 400},
		{name: "create/empty object", method: "POST", target: robCreate, body: `{}`, status: 400},
		{name: "create/emoji keys only", method: "POST", target: robCreate, body: `{"\U0001F600":"\U0001F600"}`, status: 400},
		{name: "create/invalid UTF-8 in the name", method: "POST", target: robCreate, body: robVerification("\"n\xff\xfe\"", `{}`), status: 400},
		{name: "create/Content-Type application/jsonp", method: "POST", target: robCreate, body: robVerification(`"n"`, `{}`), headers: []string{"Content-Type", "application/jsonp"}, status: 415},
		{name: "create/Content-Type parameter without value", method: "POST", target: robCreate, body: robVerification(`"n"`, `{}`), headers: []string{"Content-Type", "application/json; charset"}, status: 415},
		{name: "create/body over 1 MiB", method: "POST", target: robCreate, body: robVerification(`"n"`, `{"x":"`+strings.Repeat("y", 1<<20)+`"}`), status: 413},

		// createOrUpdateVerification
		{name: "upsert/truncated JSON", method: "POST", target: robUpsert, body: `{"name":"n","verificationConfig":{`, status: 400},
		{name: "upsert/name number", method: "POST", target: robUpsert, body: robVerification(`1`, `{}`), status: 400},
		{name: "upsert/blank name", method: "POST", target: robUpsert, body: robVerification(`"   "`, `{}`), status: 400},
		{name: "upsert/no configuration", method: "POST", target: robUpsert, body: `{"name":"existing"}`, status: 400},
		{name: "upsert/failOnMultipleFacesDetected string", method: "POST", target: robUpsert, body: robVerification(`"existing"`, robVerifiers(`{"commonSettings":{"failOnMultipleFacesDetected":"true"}}`)), status: 400},
		{name: "upsert/age direction unknown", method: "POST", target: robUpsert, body: robVerification(`"existing"`, robVerifiers(`{"age":{"type":"ThresholdVerification","threshold":18,"direction":"`+robTemplate+`"}}`)), status: 400},
		{name: "upsert/unknown field and a bad value", method: "POST", target: robUpsert, body: robVerification(`"existing"`, `{"extra":1,"securityConfig":{"forceSignedInput":"no"}}`), status: 400},
		{name: "upsert/wrong method PUT", method: "PUT", target: robUpsert, body: robVerification(`"existing"`, `{}`), status: 405},

		// updateVerification
		{name: "update/verificationId SQL", method: "PUT", target: robUpdate, body: update(`"`+robSQL+`"`, `"existing"`, `{}`), status: 400},
		{name: "update/verificationId null", method: "PUT", target: robUpdate, body: update(`null`, `"existing"`, `{}`), status: 400},
		{name: "update/verificationId number", method: "PUT", target: robUpdate, body: update(`123`, `"existing"`, `{}`), status: 400},
		{name: "update/verificationId 2^63", method: "PUT", target: robUpdate, body: update(robTwoTo63, `"existing"`, `{}`), status: 400},
		{name: "update/no name", method: "PUT", target: robUpdate, body: `{"verificationId":"{vid}","verificationConfig":{}}`, status: 400},
		{name: "update/rename to blank", method: "PUT", target: robUpdate, body: update(`"{vid}"`, `"\t"`, `{}`), status: 400},
		{name: "update/duplicate verificationId key, bad last", method: "PUT", target: robUpdate, body: `{"verificationId":"{vid}","verificationId":"{vid}x","name":"existing","verificationConfig":{}}`, status: 400},
		{name: "update/Content-Type text/plain", method: "PUT", target: robUpdate, body: update(`"{vid}"`, `"existing"`, `{}`), headers: []string{"Content-Type", "text/plain"}, status: 415},
		{name: "update/wrong method POST", method: "POST", target: robUpdate, body: update(`"{vid}"`, `"existing"`, `{}`), status: 405},

		// deleteVerification
		{name: "delete/no verificationId", method: "DELETE", target: robDelete, status: 400},
		{name: "delete/SQL injection", method: "DELETE", target: robDelete + "?verificationId=" + robQ(robSQL), status: 400},
		{name: "delete/path traversal", method: "DELETE", target: robDelete + "?verificationId=" + robQ(robTraversal), status: 400},
		{name: "delete/duplicate parameter", method: "DELETE", target: robDelete + "?verificationId={vid}&verificationId={vid}", status: 400},
		{name: "delete/NUL after the id", method: "DELETE", target: robDelete + "?verificationId={vid}%00", status: 400},
		{name: "delete/no Authorization", method: "DELETE", target: robDelete + "?verificationId={vid}", headers: []string{"Authorization", ""}, status: 401},
		{name: "delete/another account's key with CRLF", method: "DELETE", target: robDelete + "?verificationId={bvid}", headers: []string{"Authorization", "ApiKey " + apiKeyB + robCRLF}, direct: true, status: 401},
		{name: "delete/wrong method GET", method: "GET", target: robDelete + "?verificationId={vid}", status: 405},

		// createSession
		{name: "session/empty name", method: "POST", target: robSession, body: `{"name":""}`, status: 400},
		{name: "session/blank name", method: "POST", target: robSession, body: `{"name":"   "}`, status: 400},
		{name: "session/100k-character name", method: "POST", target: robSession, body: `{"name":"` + robLong + `"}`, status: 400},
		{name: "session/externalId empty", method: "POST", target: robSession, body: `{"name":"existing","externalId":""}`, status: 400},
		{name: "session/externalId 100k characters", method: "POST", target: robSession, body: `{"name":"existing","externalId":"` + robLong + `"}`, status: 400},
		{name: "session/externalId number", method: "POST", target: robSession, body: `{"name":"existing","externalId":7}`, status: 400},
		{name: "session/verifierConfigs string", method: "POST", target: robSession, body: `{"verifierConfigs":"` + robScript + `"}`, status: 400},
		{name: "session/neither name nor verifiers", method: "POST", target: robSession, body: `{}`, status: 400},
		{name: "session/webhook javascript:", method: "POST", target: robSession, body: `{"verifierConfigs":{},"webhookConfig":{"eventCallbackUrl":"javascript:alert(1)"}}`, status: 400},
		{name: "session/match mode without externalId", method: "POST", target: robSession, body: `{"verifierConfigs":{"faceRecognition":{"type":"MatchVerification","collectionId":"c"}}}`, status: 400},
		{name: "session/challengeType unknown", method: "POST", target: robSession, body: `{"verifierConfigs":{"liveness":{"type":"Verification","challengeType":"` + robSQL + `"}}}`, status: 400},
		{name: "session/age threshold 0", method: "POST", target: robSession, body: `{"verifierConfigs":{"age":{"type":"ThresholdVerification","threshold":0}}}`, status: 400},
		{name: "session/truncated JSON", method: "POST", target: robSession, body: `{"name":"existing"`, status: 400},
		{name: "session/wrong method GET", method: "GET", target: robSession, status: 405},

		// getSessionResult
		{name: "result/no verificationSessionId", method: "GET", target: robResult, status: 400},
		{name: "result/not a UUID", method: "GET", target: robResult + "?verificationSessionId=" + robQ(robScript), status: 400},
		{name: "result/template", method: "GET", target: robResult + "?verificationSessionId=" + robQ(robTemplate), status: 400},
		{name: "result/NUL", method: "GET", target: robResult + "?verificationSessionId={sid}%00", status: 400},
		{name: "result/duplicate parameter", method: "GET", target: robResult + "?verificationSessionId={sid}&verificationSessionId={sid}", status: 400},
		{name: "result/8k characters", method: "GET", target: robResult + "?verificationSessionId=" + robBig, status: 400},
		{name: "result/100k characters, over the request line limit", method: "GET", target: robResult + "?verificationSessionId=" + robLong, status: 414},
		{name: "result/wrong method POST", method: "POST", target: robResult + "?verificationSessionId={sid}", body: `{}`, status: 405},

		// getToken
		{name: "token/lifetime 59", method: "GET", target: robToken + "?expirationInSeconds=59", status: 400},
		{name: "token/lifetime 3601", method: "GET", target: robToken + "?expirationInSeconds=3601", status: 400},
		{name: "token/lifetime 1e309", method: "GET", target: robToken + "?expirationInSeconds=1e309", status: 400},
		{name: "token/lifetime 2^63", method: "GET", target: robToken + "?expirationInSeconds=" + robTwoTo63, status: 400},
		{name: "token/lifetime negative", method: "GET", target: robToken + "?expirationInSeconds=-1", status: 400},
		{name: "token/lifetime words", method: "GET", target: robToken + "?expirationInSeconds=" + robQ(robSQL), status: 400},
		{name: "token/lifetime empty", method: "GET", target: robToken + "?expirationInSeconds=", status: 400},
		{name: "token/lifetime emoji", method: "GET", target: robToken + "?expirationInSeconds=" + robQ("\U0001F600"), status: 400},
		{name: "token/lifetime NUL", method: "GET", target: robToken + "?expirationInSeconds=60%00", status: 400},
		{name: "token/duplicate parameter", method: "GET", target: robToken + "?expirationInSeconds=60&expirationInSeconds=120", status: 400},
		{name: "token/Bearer garbage", method: "GET", target: robToken, headers: []string{"Authorization", "Bearer " + robBig}, status: 401},
		{name: "token/wrong method POST", method: "POST", target: robToken, body: `{}`, status: 405},

		// healthz
		{name: "healthz/wrong method POST", method: "POST", target: robHealthz, body: `{}`, status: 405},
		{name: "healthz/wrong method DELETE", method: "DELETE", target: robHealthz, status: 405},
		{name: "healthz/wrong method PUT", method: "PUT", target: robHealthz, body: robLong, headers: []string{"Content-Type", "text/plain"}, status: 405},
	}
}

// TestRobMalformedRequests sends every malformed request of the table and checks that each is
// answered with a 4xx in the API's error format (application/problem+json, its status the HTTP
// status, matching openapi.yaml), that the journal records it with that status, and that nothing
// changed: both accounts' get-all, the fixture verifications, a pending and a completed session's
// result, the face collections, the subject queue, the faults, the webhooks and the clock.
func TestRobMalformedRequests(t *testing.T) {
	cases := robMalformedCases()
	if len(cases) < 100 {
		t.Fatalf("the table has %d cases, want at least 100", len(cases))
	}
	e := newRobEnv(t)
	fill := strings.NewReplacer("{vid}", e.existing.String(), "{vid2}", e.second.String(), "{sid}", e.pending.String(), "{bvid}", e.otherAccount.String())
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases are named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			target := fill.Replace(tc.target)
			body := fill.Replace(tc.body)
			tr := e.wire
			base := e.http.URL
			if tc.direct {
				tr, base = e.direct, "http://verifeye.test"
			}
			req, err := http.NewRequestWithContext(robCtx(t), tc.method, base+target, robBody(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "ApiKey "+apiKeyA1)
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(tc.headers); i += 2 {
				name, value := tc.headers[i], tc.headers[i+1]
				switch {
				case strings.HasPrefix(name, "+"):
					req.Header.Add(name[1:], value)
				case value == "":
					req.Header.Del(name)
				default:
					req.Header[http.CanonicalHeaderKey(name)] = []string{value}
				}
			}
			before := e.snapshot(t)
			got := e.do(t, tr, req)
			got.expectProblem(t, tc.status)
			e.checkViolations(t)
			e.expectJournal(t, tc.method, req.URL.Path, got.status)
			if after := e.snapshot(t); !reflect.DeepEqual(after, before) {
				t.Errorf("the rejected request changed state:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}
	t.Logf("%d malformed requests", len(cases))
}

// TestRobAcceptedLookAlikes pins the inputs that look malformed but that production accepts, so
// they stay out of the malformed table: each answers 200 (and the mock names unknown fields in
// X-Mock-Warning).
func TestRobAcceptedLookAlikes(t *testing.T) {
	e := newRobEnv(t)
	for _, tc := range []struct {
		name, method, target, body string
		headers                    []string
		warning                    string // a substring X-Mock-Warning must have
	}{
		{"unknown JSON field", "POST", robSign, `{"queryString":"a=1","query_string":"b"}`, nil, "ignored unknown fields: query_string"},
		{"a field's name in another letter case", "POST", robSign, `{"queryString":"a=1","querystring":"b=2"}`, nil, "querystring as queryString"},
		{"a query parameter's name in another letter case", "GET", robGet + "?VERIFICATIONID=" + e.existing.String(), "", nil, "VERIFICATIONID as verificationId"},
		{"an operation's path in another letter case", "GET", strings.ToUpper(robGetAll), "", nil, "as " + robGetAll},
		{"an operation's path with a trailing slash", "GET", robGetAll + "/", "", nil, "matched without the trailing slash: " + robGetAll + "/ as " + robGetAll},
		{"a UTF-8 byte order mark before the body", "POST", robSign, "\xef\xbb\xbf" + `{"queryString":"a=1"}`, nil, ""},
		{"an id in braces, as Guid.Parse takes it", "GET", robGet + "?verificationId=%7B" + e.existing.String() + "%7D", "", nil, "as " + e.existing.String()},
		{"an integer in a string", "POST", robSign, `{"queryString":"a=1","securitySettings":{"expirationInSeconds":"+060"}}`, nil, `securitySettings.expirationInSeconds "+060" as 60`},
		{"unknown field holding 1e309", "POST", robSign, `{"queryString":"a=1","x":1e309}`, nil, "x"},
		{"duplicate JSON key, valid last", "POST", robSign, `{"queryString":"","queryString":"a=1"}`, nil, ""},
		{"ApiKey scheme in upper case", "GET", robGetAll, "", []string{"Authorization", "APIKEY " + apiKeyA1}, ""},
		{"two spaces after the scheme", "GET", robGetAll, "", []string{"Authorization", "ApiKey  " + apiKeyA1}, ""},
		{"JSON Content-Type in upper case with a charset", "POST", robValidate, `{"queryString":"a=1"}`, []string{"Content-Type", "APPLICATION/JSON; charset=UTF-8"}, ""},
		{"upper-case UUID", "GET", robGet + "?verificationId=" + strings.ToUpper(e.existing.String()), "", nil, ""},
		{"query of an operation without parameters", "GET", robGetAll + "?" + robQ(robSQL) + "=%zz", "", nil, ""},
		{"free text with injection strings and NUL", "POST", robSign, `{"queryString":"q=` + robSQL + robScript + robTemplate + `\u0000\u202e"}`, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(robCtx(t), tc.method, e.http.URL+tc.target, robBody(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "ApiKey "+apiKeyA1)
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(tc.headers); i += 2 {
				req.Header.Set(tc.headers[i], tc.headers[i+1])
			}
			got := e.do(t, e.wire, req)
			if got.status != http.StatusOK {
				t.Fatalf("status %d, want 200; body %.300s", got.status, got.body)
			}
			if w := got.header.Get("X-Mock-Warning"); !strings.Contains(w, tc.warning) || (tc.warning == "") != (w == "") {
				t.Errorf("X-Mock-Warning %q, want one naming %q", w, tc.warning)
			}
			e.checkViolations(t)
		})
	}
}

// TestRobUnknownFieldWarningIsSafe: the X-Mock-Warning header repeats the names of unknown JSON
// fields, which the client chose. A name with control characters must not make the response
// unreadable, and a body of many unknown fields must not make the header unbounded (proxies and
// clients cap response headers: nginx at 4-8 KiB, Node.js at 16 KiB).
func TestRobUnknownFieldWarningIsSafe(t *testing.T) {
	e := newRobEnv(t)
	t.Run("control characters in a field name", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+robSign, strings.NewReader(`{"queryString":"a=1","bad\u0001name":1}`))
		req.Header.Set("Authorization", "ApiKey "+apiKeyA1)
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatalf("the response cannot be read: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("X-Mock-Warning"), "name") {
			t.Errorf("status %d, X-Mock-Warning %q; want 200 and a warning naming the field", resp.StatusCode, resp.Header.Get("X-Mock-Warning"))
		}
	})
	t.Run("many unknown fields", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"queryString":"a=1"`)
		for i := range 20_000 {
			fmt.Fprintf(&b, `,"f%d":0`, i)
		}
		b.WriteString("}")
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+robSign, strings.NewReader(b.String()))
		req.Header.Set("Authorization", "ApiKey "+apiKeyA1)
		req.Header.Set("Content-Type", "application/json")
		got := e.do(t, e.wire, req)
		if n := len(got.header.Get("X-Mock-Warning")); got.status != http.StatusOK || n > 8<<10 {
			t.Errorf("status %d, X-Mock-Warning of %d bytes; want 200 and at most 8 KiB", got.status, n)
		}
	})
}
