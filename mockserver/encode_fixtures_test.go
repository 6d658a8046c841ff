package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/verifeye-twin/verifeye/fixtures"
	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestFixtureAnswersAreEncodingJSONs: with the default fixtures loaded, get-all, every get and
// every session's result answer exactly what encoding/json writes for the generated type the
// answer decodes into (the trailing newline included), so the answers written without reflection
// did not change a byte.
func TestFixtureAnswersAreEncodingJSONs(t *testing.T) {
	set, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	loaded, err := fixtures.Load(srv, set)
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string, into any) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		got := rec.Body.Bytes()
		if err := json.Unmarshal(got, into); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(into); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", target, got, want.Bytes())
		}
	}
	var list generated.GetAllVerifications200JSONResponse
	get("/v1/verification/get-all", &list)
	if len(list.Verifications) == 0 {
		t.Fatal("the default fixtures have no verification")
	}
	for _, v := range list.Verifications {
		get("/v1/verification/get?verificationId="+v.VerificationId.String(), &generated.GetVerification200JSONResponse{})
	}
	if len(loaded.SessionIDs) == 0 {
		t.Fatal("the default fixtures have no session")
	}
	for _, id := range loaded.SessionIDs {
		get("/v1/verification/get-session-result?verificationSessionId="+id.String(), &generated.GetSessionResult200JSONResponse{})
	}
}
