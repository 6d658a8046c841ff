package mockserver

import (
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

// The redirect rules: where the hosted page sends a person when the session it started completes,
// and which result parameters the URL carries.

// redirectURL builds the URL the hosted page redirects to when a session it started completes:
// passedUrl or failedUrl with the result parameters resultParameterConfig enables, in the order
// of the vendor's example, the caller's own parameters, and reSignature last, signed with the
// account's secret over the whole query (the URL's own parameters included). Empty when the
// configuration has no URL for the outcome.
func redirectURL(rec sessionRecord, secret string, signer signing.Signer) string {
	u := redirectBase(rec)
	if u == nil {
		return ""
	}
	p := rec.config.ResultParameterConfig
	add := resultParams(*rec.result, p)
	if enabled(p.IncludeCustomInputParameters) {
		add = append(add, sortedPairs(rec.customInput)...)
	}
	query := signing.Append(u.RawQuery, add...)
	if enabled(p.IncludeSignature) {
		query = signer.SignURLQuery(query, secret)
	}
	u.RawQuery = query
	return u.String()
}

// redirectBase is the passedUrl or failedUrl for the session's outcome, or nil when there is none
// to go to. A Web SDK session (create-session) ends in the caller's page, so it has none.
func redirectBase(rec sessionRecord) *url.URL {
	rc := rec.config.RedirectConfig
	if rc == nil || !rec.hosted {
		return nil
	}
	base := rc.FailedUrl
	if rec.result.VerificationResult == generated.SessionStatusPass {
		base = rc.PassedUrl
	}
	if base == nil {
		return nil
	}
	u, err := url.Parse(*base)
	if err != nil {
		return nil
	}
	return u
}

// resultParams lists the result parameters p enables, in the order of the vendor's example.
func resultParams(res generated.SessionResult, p *generated.ResultParameterConfig) []signing.Param {
	var add []signing.Param
	put := func(on *bool, k, v string) {
		if enabled(on) {
			add = append(add, signing.Param{Key: k, Value: v})
		}
	}
	put(p.IncludeSessionId, "reVerificationSessionId", res.VerificationSessionId.String())
	if res.FaceId != nil {
		put(p.IncludeFaceId, "reFaceId", *res.FaceId)
	}
	outcome := "failed"
	if res.VerificationResult == generated.SessionStatusPass {
		outcome = "passed"
	}
	put(p.IncludeVerificationResult, "reVerificationResult", outcome)
	put(p.IncludeLivenessCheckResult, "reLivenessResult", urlValue(res.LivenessVerificationResult))
	put(p.IncludeFaceRecognitionResult, "reFaceRecognitionResult", urlValue(res.FaceRecognitionResult))
	put(p.IncludeAgeVerificationResult, "reAgeVerificationResult", urlValue(res.AgeVerificationResult))
	if res.EstimatedAge != nil {
		put(p.IncludeAge, "reAge", strconv.Itoa(int(math.Floor(*res.EstimatedAge)))) // whole years, as age is told
	}
	put(p.IncludeGenderVerificationResult, "reGenderVerificationResult", urlValue(res.GenderVerificationResult))
	if res.EstimatedGender != nil {
		put(p.IncludeGender, "reGender", strings.ToLower(string(*res.EstimatedGender)))
	}
	if res.CorrelationId != nil {
		put(p.IncludeCorrelationId, "reCorrelationId", *res.CorrelationId)
	}
	if res.TotalFaceCount != nil {
		put(p.IncludeTotalFaceCount, "reTotalFaceCount", strconv.Itoa(int(*res.TotalFaceCount)))
	}
	if res.VerificationFailedReasons != nil && len(*res.VerificationFailedReasons) > 0 {
		reasons := make([]string, 0, len(*res.VerificationFailedReasons))
		for _, r := range *res.VerificationFailedReasons {
			reasons = append(reasons, string(r))
		}
		put(p.IncludeFailedReason, "reFailedReason", strings.Join(reasons, ","))
	}
	return add
}

func enabled(b *bool) bool { return b != nil && *b }

// urlValue is how a result value appears in the redirect URL: lowercase, NotExecuted as
// not_executed, as the vendor's result URLs show. A verifier with no result did not run.
func urlValue(v *generated.VerifierResult) string {
	if v == nil {
		return "not_executed"
	}
	switch *v {
	case generated.VerifierResultPass:
		return "passed"
	case generated.VerifierResultFail:
		return "failed"
	default:
		return "not_executed"
	}
}

// sortedPairs is the caller's own parameters in key order.
func sortedPairs(m map[string]string) []signing.Param {
	out := make([]signing.Param, 0, len(m))
	for k, v := range m {
		out = append(out, signing.Param{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
