package mockserver_test

import (
	"net/http"
	"testing"
)

// TestRequestIDsFollowTheSeed: with the same seed, the same requests one after another get the
// same X-Request-Id and the same problem bodies, traceId included, so a test can compare whole
// answers with a golden copy; another seed gives other ids; no two requests share one.
func TestRequestIDsFollowTheSeed(t *testing.T) {
	run := func(seed uint64) (ids []string, problems []string) {
		m := newMock(t, apiWithSeed(seed))
		for i := range 50 {
			var r apiResponse
			if i%2 == 0 {
				r = m.send(http.MethodGet, "/v1/verification/get?verificationId=not-a-uuid", nil)
				problems = append(problems, string(r.body))
			} else {
				r = m.send(http.MethodGet, "/v1/healthz", nil)
			}
			ids = append(ids, r.header.Get("X-Request-Id"))
		}
		return ids, problems
	}
	ids1, problems1 := run(7)
	ids2, problems2 := run(7)
	other, _ := run(8)

	seen := map[string]bool{}
	for i := range ids1 {
		if len(ids1[i]) != 16 {
			t.Fatalf("request id %q is not 16 hex digits", ids1[i])
		}
		if seen[ids1[i]] {
			t.Fatalf("request id %s given twice", ids1[i])
		}
		seen[ids1[i]] = true
		if ids1[i] != ids2[i] {
			t.Errorf("request %d: id %s with seed 7, then %s with seed 7 again", i, ids1[i], ids2[i])
		}
		if ids1[i] == other[i] {
			t.Errorf("request %d: id %s with seeds 7 and 8", i, ids1[i])
		}
	}
	for i := range problems1 {
		if problems1[i] != problems2[i] {
			t.Errorf("problem %d differs between two runs with seed 7:\n%s\n%s", i, problems1[i], problems2[i])
		}
	}
}
