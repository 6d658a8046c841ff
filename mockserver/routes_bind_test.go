package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// boundCall is what a route's serve function did with a request: the parameters it handed the
// strict handler's method, or the error it answered instead.
type boundCall struct {
	method string
	params any
	err    string
}

// bindRecorder stands in for the strict handler, recording the calls it gets.
type bindRecorder struct {
	generated.ServerInterface
	calls []boundCall
}

func (b *bindRecorder) GetVerification(_ http.ResponseWriter, _ *http.Request, p generated.GetVerificationParams) {
	b.calls = append(b.calls, boundCall{method: "GetVerification", params: p})
}

func (b *bindRecorder) GetSessionResult(_ http.ResponseWriter, _ *http.Request, p generated.GetSessionResultParams) {
	b.calls = append(b.calls, boundCall{method: "GetSessionResult", params: p})
}

func (b *bindRecorder) DeleteVerification(_ http.ResponseWriter, _ *http.Request, p generated.DeleteVerificationParams) {
	b.calls = append(b.calls, boundCall{method: "DeleteVerification", params: p})
}

func recordingWrapper() (*generated.ServerInterfaceWrapper, *bindRecorder) {
	rec := &bindRecorder{}
	return &generated.ServerInterfaceWrapper{Handler: rec, ErrorHandlerFunc: func(_ http.ResponseWriter, _ *http.Request, err error) {
		rec.calls = append(rec.calls, boundCall{err: err.Error()})
	}}, rec
}

// bindQueries are queries for a uuid parameter name: plain ones, and every way the generated
// wrapper's url.Values reading can differ from a plain reading of the raw query.
func bindQueries(name string) []string {
	const id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	vals := []string{id, "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "{" + id + "}", "urn:uuid:" + id,
		"3fa85f6457174562b3fc2c963f66afa6", id[:35], id + "0", "", "not-a-uuid", "3fa85f64-5717-4562-b3fc-2c963f66afaz",
		"3fa85f64%2D5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa6%20", "+" + id, id + ";", "%zz"}
	names := []string{name, "other", name + "x", "x" + name, "", url.QueryEscape(name + " "),
		name[:1] + "%" + fmt.Sprintf("%02X", name[1]) + name[2:]}
	out := []string{"", "&", "&&", name, name + "=", "=" + id, "a=b&" + name, ";", name + "=" + id + "=" + id}
	for _, v := range vals {
		for _, n := range names {
			out = append(out, n+"="+v, n+"="+v+"&"+n+"="+v, n+"="+v+"&x=1", "x=1&"+n+"="+v, "&"+n+"="+v+"&",
				n+"="+v+";x=1", "x=1;"+n+"="+v, n+"="+v+"&"+name+"="+id, name+"="+id+"&"+n+"="+v, n+"="+v+"&"+name)
		}
	}
	return out
}

// TestRouteParameterBindingMatchesGenerated serves the operations whose serve function binds
// the query itself with many queries, through the route's serve function and through the
// generated wrapper's method, and wants the same call of the strict handler (the same
// parameters) or the same error from each.
func TestRouteParameterBindingMatchesGenerated(t *testing.T) {
	routes := []struct {
		name, param string
		serve       func(*generated.ServerInterfaceWrapper, http.ResponseWriter, *http.Request)
		general     func(*generated.ServerInterfaceWrapper, http.ResponseWriter, *http.Request)
	}{
		{"getVerification", "verificationId", serveGetVerification, (*generated.ServerInterfaceWrapper).GetVerification},
		{"getSessionResult", "verificationSessionId", serveGetSessionResult, (*generated.ServerInterfaceWrapper).GetSessionResult},
		{"deleteVerification", "verificationId", serveDeleteVerification, (*generated.ServerInterfaceWrapper).DeleteVerification},
	}
	for _, rt := range routes {
		fast := 0
		for _, q := range bindQueries(rt.param) {
			r := httptest.NewRequest(http.MethodGet, "/x", nil)
			r.URL.RawQuery = q
			siw, got := recordingWrapper()
			rt.serve(siw, httptest.NewRecorder(), r)
			siw2, want := recordingWrapper()
			rt.general(siw2, httptest.NewRecorder(), r)
			if fmt.Sprintf("%+v", got.calls) != fmt.Sprintf("%+v", want.calls) {
				t.Errorf("%s ?%s: served as %+v, the generated wrapper serves it as %+v", rt.name, q, got.calls, want.calls)
			}
			if _, ok := plainQueryUUID(q, rt.param); ok {
				fast++
			}
		}
		if fast < 20 {
			t.Errorf("%s: only %d queries bound without the generated wrapper", rt.name, fast)
		}
	}
}

// TestPlainQueryUUIDTakesPlainQueries checks that the queries clients send are bound without
// the generated wrapper.
func TestPlainQueryUUIDTakesPlainQueries(t *testing.T) {
	const id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	for _, q := range []string{"verificationId=" + id, "x=1&verificationId=" + id, "verificationId=" + id + "&y=&z"} {
		got, ok := plainQueryUUID(q, "verificationId")
		if !ok || got.String() != id {
			t.Errorf("?%s: got %v, %t; want %s", q, got, ok, id)
		}
	}
}

// TestGeneratedServerHasNoMiddlewares: the routes' serve functions call the strict handler
// without the generated wrapper's middlewares.
func TestGeneratedServerHasNoMiddlewares(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := len(s.generatedServer().HandlerMiddlewares); n != 0 {
		t.Fatalf("the generated wrapper has %d middlewares, which the routes' serve functions skip", n)
	}
}

// TestStrictReadsServeAsTheStrictHandler serves get and get-session-result through strictReads
// and through the generated strict handler it stands in for, for a verification that exists
// and ones that do not, and for a completed, a pending and an unknown session, and wants the
// same status, headers and body from each.
func TestStrictReadsServeAsTheStrictHandler(t *testing.T) {
	e := newBenchEnv(t, Options{})
	var pending struct {
		ID uuid.UUID `json:"verificationSessionId"`
	}
	e.mustJSON(t, e.do(http.MethodPost, "/v1/verification/create-session", `{"name":"bench"}`), &pending)
	sr, ok := e.s.generatedServer().Handler.(*strictReads)
	if !ok {
		t.Fatal("the generated wrapper's handler is not strictReads")
	}
	acc := e.s.auth.set.Load().order[0]
	ctx := withAccount(context.Background(), acc, viaAPIKey)
	type serve func(generated.ServerInterface, http.ResponseWriter, *http.Request)
	check := func(what string, ours, theirs serve) {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(ctx)
		w1, w2 := httptest.NewRecorder(), httptest.NewRecorder()
		ours(sr, w1, r)
		theirs(sr.ServerInterface, w2, r)
		got, want := w1.Result(), w2.Result()
		if got.StatusCode != want.StatusCode || fmt.Sprint(got.Header) != fmt.Sprint(want.Header) || w1.Body.String() != w2.Body.String() {
			t.Errorf("%s: %d %v %s; the strict handler answers %d %v %s", what, got.StatusCode, got.Header, w1.Body, want.StatusCode, want.Header, w2.Body)
		}
	}
	for _, id := range []uuid.UUID{e.verificationID, e.sessionID, uuid.Nil, uuid.New()} {
		p := generated.GetVerificationParams{VerificationId: id}
		get := func(h generated.ServerInterface, w http.ResponseWriter, r *http.Request) { h.GetVerification(w, r, p) }
		check("get "+id.String(), get, get)
	}
	for _, id := range []uuid.UUID{e.sessionID, pending.ID, e.verificationID, uuid.Nil, uuid.New()} {
		p := generated.GetSessionResultParams{VerificationSessionId: id}
		get := func(h generated.ServerInterface, w http.ResponseWriter, r *http.Request) { h.GetSessionResult(w, r, p) }
		check("get-session-result "+id.String(), get, get)
	}
}
