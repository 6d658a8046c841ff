package mockserver

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// The answers encode.go writes are held to what the generated strict handler wrote before, the
// generated types through json.NewEncoder(w).Encode, over seeded random records with odd strings.

// encodingJSON is what the generated Visit methods write for v.
func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// oddPieces are the parts random strings are made of: plain text, every kind of character
// encoding/json escapes or passes (HTML's <>&, quotes, control characters, U+2028/U+2029,
// invalid UTF-8, DEL, astral runes).
var oddPieces = []string{
	"a", "Shop", " ", "é", "日本", "😀", "<", ">", "&", `"`, `\`, "/", "\x00", "\x01", "\x1f",
	"\b", "\f", "\n", "\r", "\t", "\u2028", "\u2029", "\x7f", "\xff", "\xe2\x80", "\u00a0", "\ufffd",
	"<script>", "a&b", "'",
}

func oddString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(oddPieces[r.IntN(len(oddPieces))])
	}
	return b.String()
}

func randomUUID(r *rand.Rand) uuid.UUID {
	var id uuid.UUID
	for i := range id {
		id[i] = byte(r.UintN(256))
	}
	return id
}

// randomTime is a UTC time in 2000–2100 with 0 to 7 fractional digits, as the store keeps them.
func randomTime(r *rand.Rand) time.Time {
	t := time.Unix(946684800+r.Int64N(100*365*86400), 0).UTC()
	if r.IntN(3) > 0 {
		t = t.Add(time.Duration(r.Int64N(int64(time.Second))))
	}
	return toTick(t)
}

// randomConfig is a stored configuration: none, or a full one whose URLs and ids hold odd strings.
func randomConfig(t *testing.T, r *rand.Rand) generated.VerificationConfig {
	var cfg generated.VerificationConfig
	if r.IntN(4) == 0 {
		return cfg
	}
	odd, _ := json.Marshal("https://shop.example.com/" + oddString(r))
	doc := `{"verifierConfigs":{"liveness":{"type":"Verification"},"age":{"type":"ThresholdVerification","threshold":18}},` +
		`"redirectConfig":{"passedUrl":` + string(odd) + `,"failedUrl":"https://shop.example.com/failed?a=1&b=<2>"},` +
		`"resultParameterConfig":{"includeSessionId":true,"includeAge":true}}`
	if err := json.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func randomRecord(t *testing.T, r *rand.Rand, seq uint64) *verificationRecord {
	created := randomTime(r)
	modified := created
	if r.IntN(2) == 0 {
		modified = randomTime(r)
	}
	return &verificationRecord{id: randomUUID(r), name: oddString(r), config: randomConfig(t, r), created: created, lastModified: modified, seq: seq}
}

func TestVerificationAnswersMatchEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	for i := range 200 {
		list := make([]*verificationRecord, r.IntN(25))
		summaries := make([]generated.VerificationSummary, len(list))
		for j := range list {
			v := randomRecord(t, r, uint64(j+1))
			list[j] = v
			summaries[j] = generated.VerificationSummary{VerificationId: v.id, Name: v.name, Created: v.created, LastModified: v.lastModified}
			e, err := v.encoded()
			if err != nil {
				t.Fatal(err)
			}
			if want := encodingJSON(t, generated.GetVerification200JSONResponse{Verification: v.wire()}); !bytes.Equal(e.full, want) {
				t.Fatalf("get of %q:\n got %s\nwant %s", v.name, e.full, want)
			}
		}
		got, err := verificationListJSON(list)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, generated.GetAllVerifications200JSONResponse{Verifications: summaries}); !bytes.Equal(got, want) {
			t.Fatalf("get-all %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func randomResult(r *rand.Rand) generated.SessionResult {
	res := generated.SessionResult{VerificationSessionId: randomUUID(r), VerificationResult: generated.SessionStatus(oddString(r))}
	some := func() bool { return r.IntN(2) == 0 }
	verifier := func() *generated.VerifierResult {
		if !some() {
			return nil
		}
		v := generated.VerifierResult([]string{"Pass", "Fail", "NotExecuted", oddString(r)}[r.IntN(4)])
		return &v
	}
	str := func() *string {
		if !some() {
			return nil
		}
		s := oddString(r)
		return &s
	}
	res.AgeVerificationResult, res.FaceRecognitionResult = verifier(), verifier()
	res.GenderVerificationResult, res.LivenessVerificationResult = verifier(), verifier()
	res.CorrelationId, res.FaceId = str(), str()
	if some() {
		var m map[string]string // a nil map behind the pointer is written null
		if some() {
			m = map[string]string{}
			for range r.IntN(5) {
				m[oddString(r)] = oddString(r)
			}
		}
		res.CustomInputParameters = &m
	}
	if some() {
		ages := []float64{0, math.Copysign(0, -1), 30.5, 18, 129.99999, 1e-7, 5e-324, 1e21, 123456789012345678901234.0, -2.5e-8, r.Float64() * 130}
		a := ages[r.IntN(len(ages))]
		res.EstimatedAge = &a
	}
	if some() {
		g := generated.Gender(oddString(r))
		res.EstimatedGender = &g
	}
	if some() {
		c := r.Int32() - r.Int32()
		res.TotalFaceCount = &c
	}
	if some() {
		var reasons []generated.FailedReason // nil behind the pointer is written null
		if some() {
			reasons = []generated.FailedReason{}
			for range r.IntN(4) {
				reasons = append(reasons, generated.FailedReason(oddString(r)))
			}
		}
		res.VerificationFailedReasons = &reasons
	}
	return res
}

func TestSessionAnswersMatchEncodingJSON(t *testing.T) {
	// A member added to the schema must be added to sessionResultJSON too.
	if n := reflect.TypeFor[generated.SessionResult]().NumField(); n != 13 {
		t.Fatalf("SessionResult has %d fields; sessionResultJSON writes 13", n)
	}
	r := rand.New(rand.NewPCG(11, 3))
	for range 3000 {
		res := randomResult(r)
		got, err := sessionResultJSON(&res)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, generated.GetSessionResult200JSONResponse(res)); !bytes.Equal(got, want) {
			t.Fatalf("result:\n got %s\nwant %s", got, want)
		}
		id, token := randomUUID(r), oddString(r)
		if want := encodingJSON(t, generated.CreateSession200JSONResponse{VerificationSessionId: id, SessionToken: token}); !bytes.Equal(sessionCreatedJSON(id, token), want) {
			t.Fatalf("create-session:\n got %s\nwant %s", sessionCreatedJSON(id, token), want)
		}
	}
	nan := math.NaN()
	if _, err := sessionResultJSON(&generated.SessionResult{EstimatedAge: &nan}); err == nil {
		t.Error("a NaN age was encoded; encoding/json refuses it")
	}
}

// TestJSONStringMatchesEncodingJSON covers every byte value and the runes around the escaped ones.
func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	var cases []string
	for b := range 256 {
		cases = append(cases, string([]byte{byte(b)}), "x"+string([]byte{byte(b)})+"y")
	}
	for _, c := range []rune{0x7ff, 0x800, 0x2027, 0x2028, 0x2029, 0x202a, 0xfffd, 0xffff, 0x10000, 0x10ffff} {
		cases = append(cases, string(c), "<"+string(c)+">")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		cases = append(cases, oddString(r))
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestSignatureAnswersMatchEncodingJSON(t *testing.T) {
	// A member added to the schema must be added to signedQueryJSON too.
	if n := reflect.TypeFor[generated.SignedQuery]().NumField(); n != 4 {
		t.Fatalf("SignedQuery has %d fields; signedQueryJSON writes 4", n)
	}
	r := rand.New(rand.NewPCG(12, 5))
	for i := range 3000 {
		q := generated.SignedQuery{Signature: oddString(r), SignedQueryString: oddString(r)}
		if i%2 == 0 {
			e := r.Int64() - r.Int64()
			q.Expiration = &e
		}
		if i%3 == 0 {
			n := oddString(r)
			q.Nonce = &n
		}
		if want := encodingJSON(t, generated.CreateSignature200JSONResponse(q)); !bytes.Equal(signedQueryJSON(&q), want) {
			t.Fatalf("signature/create:\n got %s\nwant %s", signedQueryJSON(&q), want)
		}
	}
	for _, res := range []generated.ValidationResult{generated.Valid, generated.Invalid, generated.Expired, generated.NonceAlreadyUsed, "<&>\u2028"} {
		if want := encodingJSON(t, generated.ValidateSignature200JSONResponse{Result: res}); !bytes.Equal(signatureValidationJSON(res), want) {
			t.Fatalf("signature/validate:\n got %s\nwant %s", signatureValidationJSON(res), want)
		}
	}
}

// TestHealthzAnswerMatchesGenerated holds healthz's answer to the generated text response of the
// formatted time, headers, status and body, over times across the clock's range.
func TestHealthzAnswerMatchesGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	times := []time.Time{time.Unix(0, 0).UTC(), time.Date(2026, 12, 7, 3, 4, 5, 123456789, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(253402300799), r.Int64N(1e9)).UTC())
	}
	for _, at := range times {
		got, want := httptest.NewRecorder(), httptest.NewRecorder()
		if err := healthzAnswer(at).VisitGetHealthResponse(got); err != nil {
			t.Fatal(err)
		}
		if err := generated.GetHealth200TextResponse(at.Format(healthzLayout) + "\n").VisitGetHealthResponse(want); err != nil {
			t.Fatal(err)
		}
		if got.Code != want.Code || !reflect.DeepEqual(got.Header(), want.Header()) || got.Body.String() != want.Body.String() {
			t.Fatalf("healthz at %v:\n got %d %v %q\nwant %d %v %q", at, got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body)
		}
	}
}
