package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/verifeye-twin/verifeye/mockserver"
)

// Requests that load the start state are marked one by one (StartStateContext), not by a switch
// on the whole mock: they stay out of the journal, while another client's request at the same
// moment is journaled as usual.
func TestOnlyStartStateRequestsStayOutOfTheJournal(t *testing.T) {
	srv, err := mockserver.New(mockserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	send := func(r *http.Request) {
		r.Header.Set("Authorization", "ApiKey "+mockserver.DevAPIKey)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", r.Method, r.URL.Path, rec.Code, rec.Body)
		}
	}
	loading := httptest.NewRequest(http.MethodGet, "/v1/verification/get-all", nil)
	send(loading.WithContext(mockserver.StartStateContext(loading.Context())))
	send(httptest.NewRequest(http.MethodGet, "/v1/verification/get-all?user=1", nil))
	got := srv.Requests()
	if len(got) != 1 {
		t.Fatalf("journal has %d entries, want only the user's request: %+v", len(got), got)
	}
	if got[0].Operation != "getAllVerifications" {
		t.Errorf("journaled %+v, want the user's get-all", got[0])
	}
}
