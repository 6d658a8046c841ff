package mockserver

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// The stateful reads answer bytes that are written without reflection: exactly what the
// generated strict handler's json.NewEncoder(w).Encode writes for the generated types (key order,
// encoding/json's escaping of <, > and &, U+2028 and U+2029 and invalid UTF-8, dates as
// time.Time writes them, omitted empty fields, the trailing newline). A verification record keeps
// its own encodings (recordJSON), made once from its immutable fields, so get and get-all copy
// bytes; a session's result and create-session's answer are appended field by field. The tests in
// encode_test.go hold every one of them to encoding/json's output.

// jsonAnswer is a whole 200 answer, newline included, written as the generated Visit methods write
// theirs.
type jsonAnswer []byte

// Content-Type values of the mock's answers, one slice each that every answer's header shares
// rather than a slice per answer: net/http only reads a header's values, http.Header's Set and
// Del replace or drop the slice, and Add, given no room (the capacity is 1), copies it.
var (
	jsonContentType    = []string{"application/json"}
	textContentType    = []string{"text/plain"}
	problemContentType = []string{"application/problem+json"}
)

func (a jsonAnswer) write(w http.ResponseWriter) error {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	if rec, ok := w.(*statusRecorder); ok {
		return rec.writeKept(a) // an answer is never changed once made
	}
	_, err := w.Write(a)
	return err
}

type (
	getAllVerificationsAnswer jsonAnswer
	getSessionResultAnswer    jsonAnswer
	createSessionAnswer       jsonAnswer
	createSignatureAnswer     jsonAnswer
	validateSignatureAnswer   jsonAnswer
)

// getVerificationAnswer is get's answer, the record's encoding: a pointer, which the strict
// handler's interface holds without an allocation of its own.
type getVerificationAnswer struct{ e *recordJSON }

func (a getVerificationAnswer) VisitGetVerificationResponse(w http.ResponseWriter) error {
	return jsonAnswer(a.e.full).write(w)
}

func (a getAllVerificationsAnswer) VisitGetAllVerificationsResponse(w http.ResponseWriter) error {
	return jsonAnswer(a).write(w)
}

func (a getSessionResultAnswer) VisitGetSessionResultResponse(w http.ResponseWriter) error {
	return jsonAnswer(a).write(w)
}

func (a createSessionAnswer) VisitCreateSessionResponse(w http.ResponseWriter) error {
	return jsonAnswer(a).write(w)
}

func (a createSignatureAnswer) VisitCreateSignatureResponse(w http.ResponseWriter) error {
	return jsonAnswer(a).write(w)
}

func (a validateSignatureAnswer) VisitValidateSignatureResponse(w http.ResponseWriter) error {
	return jsonAnswer(a).write(w)
}

// recordJSON is a verification record's encodings: full is get's whole answer
// ({"verification":...} and the newline), summary is its element of get-all's list.
type recordJSON struct {
	full    []byte
	summary []byte
}

// encoded returns v's encodings, made on first use. A record never changes once stored (a write
// stores a new record), so its encodings never go stale, and every way a record is made (a
// request, --data-dir, fixtures) gets them alike. Two first readers may both encode; they store
// equal bytes.
func (v *verificationRecord) encoded() (*recordJSON, error) {
	if e := v.enc.Load(); e != nil {
		return e, nil
	}
	var full bytes.Buffer
	if err := json.NewEncoder(&full).Encode(generated.GetVerification200JSONResponse{Verification: v.wire()}); err != nil {
		return nil, err
	}
	summary, err := json.Marshal(generated.VerificationSummary{VerificationId: v.id, Name: v.name, Created: v.created, LastModified: v.lastModified})
	if err != nil {
		return nil, err
	}
	// A copy of the buffer's bytes alone: the journal may keep the answer (capture.keep), and
	// counts what it keeps by the slice's capacity.
	e := &recordJSON{full: bytes.Clone(full.Bytes()), summary: summary}
	v.enc.Store(e)
	return e, nil
}

// verificationListJSON is get-all's answer for list, from each record's summary.
func verificationListJSON(list []*verificationRecord) ([]byte, error) {
	const head, tail = `{"verifications":[`, "]}\n"
	encs := make([]*recordJSON, len(list))
	n := len(head) + len(tail) + len(list)
	for i, v := range list {
		e, err := v.encoded()
		if err != nil {
			return nil, err
		}
		encs[i] = e
		n += len(e.summary)
	}
	out := make([]byte, 0, n)
	out = append(out, head...)
	for i, e := range encs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e.summary...)
	}
	return append(out, tail...), nil
}

// sessionCreatedJSON is create-session's answer.
func sessionCreatedJSON(id uuid.UUID, token string) []byte {
	out := make([]byte, 0, len(token)+96)
	out = append(out, `{"sessionToken":`...)
	out = appendJSONString(out, token)
	out = append(out, `,"verificationSessionId":`...)
	out = appendUUID(out, id)
	return append(out, "}\n"...)
}

// signedQueryJSON is signature/create's answer.
func signedQueryJSON(q *generated.SignedQuery) []byte {
	out := make([]byte, 0, 2*len(q.SignedQueryString)+len(q.Signature)+96)
	out = append(out, '{')
	if q.Expiration != nil {
		out = append(out, `"expiration":`...)
		out = strconv.AppendInt(out, *q.Expiration, 10)
		out = append(out, ',')
	}
	if q.Nonce != nil {
		out = append(out, `"nonce":`...)
		out = appendJSONString(out, *q.Nonce)
		out = append(out, ',')
	}
	out = append(out, `"signature":`...)
	out = appendJSONString(out, q.Signature)
	out = append(out, `,"signedQueryString":`...)
	out = appendJSONString(out, q.SignedQueryString)
	return append(out, "}\n"...)
}

// signatureValidationJSON is signature/validate's answer.
func signatureValidationJSON(result generated.ValidationResult) []byte {
	out := make([]byte, 0, len(result)+16)
	out = append(out, `{"result":`...)
	out = appendJSONString(out, string(result))
	return append(out, "}\n"...)
}

// sessionResultJSON is get-session-result's answer for r.
func sessionResultJSON(r *generated.SessionResult) ([]byte, error) {
	if a := r.EstimatedAge; a != nil && (math.IsNaN(*a) || math.IsInf(*a, 0)) {
		var b bytes.Buffer // encoding/json refuses it, with its own error
		err := json.NewEncoder(&b).Encode(r)
		return b.Bytes(), err
	}
	out := make([]byte, 0, 512)
	out = append(out, '{')
	out = appendVerifier(out, "ageVerificationResult", r.AgeVerificationResult)
	out = appendOptString(out, "correlationId", r.CorrelationId)
	if m := r.CustomInputParameters; m != nil {
		out = appendKey(out, "customInputParameters")
		out = appendStringMap(out, *m)
	}
	if a := r.EstimatedAge; a != nil {
		out = appendKey(out, "estimatedAge")
		out = appendFloat(out, *a)
	}
	if g := r.EstimatedGender; g != nil {
		out = appendKey(out, "estimatedGender")
		out = appendJSONString(out, string(*g))
	}
	out = appendOptString(out, "faceId", r.FaceId)
	out = appendVerifier(out, "faceRecognitionResult", r.FaceRecognitionResult)
	out = appendVerifier(out, "genderVerificationResult", r.GenderVerificationResult)
	out = appendVerifier(out, "livenessVerificationResult", r.LivenessVerificationResult)
	if c := r.TotalFaceCount; c != nil {
		out = appendKey(out, "totalFaceCount")
		out = strconv.AppendInt(out, int64(*c), 10)
	}
	if f := r.VerificationFailedReasons; f != nil {
		out = appendKey(out, "verificationFailedReasons")
		out = appendReasons(out, *f)
	}
	out = appendKey(out, "verificationResult")
	out = appendJSONString(out, string(r.VerificationResult))
	out = appendKey(out, "verificationSessionId")
	out = appendUUID(out, r.VerificationSessionId)
	return append(out, "}\n"...), nil
}

// appendKey appends a member's name and colon, after a comma unless it is the object's first.
func appendKey(out []byte, key string) []byte {
	if out[len(out)-1] != '{' {
		out = append(out, ',')
	}
	out = append(out, '"')
	out = append(out, key...)
	return append(out, '"', ':')
}

func appendVerifier(out []byte, key string, v *generated.VerifierResult) []byte {
	if v == nil {
		return out
	}
	return appendJSONString(appendKey(out, key), string(*v))
}

func appendOptString(out []byte, key string, s *string) []byte {
	if s == nil {
		return out
	}
	return appendJSONString(appendKey(out, key), *s)
}

// appendStringMap writes m with its keys sorted, as encoding/json does (null for a nil map).
func appendStringMap(out []byte, m map[string]string) []byte {
	if m == nil {
		return append(out, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, k)
		out = append(out, ':')
		out = appendJSONString(out, m[k])
	}
	return append(out, '}')
}

func appendReasons(out []byte, rs []generated.FailedReason) []byte {
	if rs == nil {
		return append(out, "null"...)
	}
	out = append(out, '[')
	for i, r := range rs {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, string(r))
	}
	return append(out, ']')
}

// appendFloat writes a finite f as encoding/json does: the shortest representation, in
// exponent form below 1e-6 and from 1e21 on, with a one-digit negative exponent unpadded.
func appendFloat(out []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	out = strconv.AppendFloat(out, f, format, -1, 64)
	if format == 'e' {
		if n := len(out); n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

const hexDigits = "0123456789abcdef"

// appendUUID writes id as its quoted canonical text.
func appendUUID(out []byte, id uuid.UUID) []byte {
	out = append(out, '"')
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[b>>4], hexDigits[b&0xF])
	}
	return append(out, '"')
}

// appendJSONString writes s as encoding/json writes a string with HTML escaping on (its
// default): <, > and & as \u003c, \u003e and \u0026, control characters as \b, \f, \n, \r, \t or
// \u00XX, U+2028 and U+2029 escaped, and each byte of invalid UTF-8 as \ufffd.
func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch b {
			case '\\', '"':
				out = append(out, '\\', b)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
