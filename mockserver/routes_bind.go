package mockserver

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// The generated wrapper (generated.ServerInterfaceWrapper) binds an operation's query
// parameters by reflection from r.URL.Query(), a map parsed anew for each parameter, and wraps
// the strict handler's method in a handler of its own, allocated per request, for middlewares
// the mock has none of (generatedServer sets none). The operations below with one uuid
// parameter bind it from the raw query when the query is plain (see plainQueryUUID), to the
// value the wrapper binds, and call the strict handler directly; any other query goes to the
// wrapper, which words its errors. The others, without parameters, call the strict handler.

// direct serves an operation without parameters: the strict handler's method, as the wrapper
// calls it.
func direct(serve func(generated.ServerInterface, http.ResponseWriter, *http.Request)) func(*generated.ServerInterfaceWrapper, http.ResponseWriter, *http.Request) {
	return func(siw *generated.ServerInterfaceWrapper, w http.ResponseWriter, r *http.Request) {
		serve(siw.Handler, w, r)
	}
}

func serveGetVerification(siw *generated.ServerInterfaceWrapper, w http.ResponseWriter, r *http.Request) {
	if id, ok := plainQueryUUID(r.URL.RawQuery, "verificationId"); ok {
		siw.Handler.GetVerification(w, r, generated.GetVerificationParams{VerificationId: id})
		return
	}
	siw.GetVerification(w, r)
}

func serveGetSessionResult(siw *generated.ServerInterfaceWrapper, w http.ResponseWriter, r *http.Request) {
	if id, ok := plainQueryUUID(r.URL.RawQuery, "verificationSessionId"); ok {
		siw.Handler.GetSessionResult(w, r, generated.GetSessionResultParams{VerificationSessionId: id})
		return
	}
	siw.GetSessionResult(w, r)
}

func serveDeleteVerification(siw *generated.ServerInterfaceWrapper, w http.ResponseWriter, r *http.Request) {
	if id, ok := plainQueryUUID(r.URL.RawQuery, "verificationId"); ok {
		siw.Handler.DeleteVerification(w, r, generated.DeleteVerificationParams{VerificationId: id})
		return
	}
	siw.DeleteVerification(w, r)
}

// plainQueryUUID is the uuid the generated wrapper binds parameter name to from the raw query
// raw, when raw has no '%', '+' or ';' (url.ParseQuery then takes each piece between '&' as it
// is, its name up to the first '='), gives name exactly once, and its value parses as a uuid
// (the wrapper parses it with the same uuid.UUID.UnmarshalText). ok is false otherwise: the
// wrapper binds the query, or words what is wrong with it.
func plainQueryUUID(raw, name string) (id uuid.UUID, ok bool) {
	if strings.ContainsAny(raw, "%+;") {
		return uuid.UUID{}, false
	}
	var value string
	found := false
	for piece := range strings.SplitSeq(raw, "&") {
		key, v, _ := strings.Cut(piece, "=")
		if key != name {
			continue
		}
		if found {
			return uuid.UUID{}, false // given twice: the wrapper refuses it
		}
		value, found = v, true
	}
	if !found {
		return uuid.UUID{}, false
	}
	id, err := uuid.Parse(value)
	return id, err == nil
}

// strictReads is the generated strict handler (generated.NewStrictHandlerWithOptions, without
// middlewares) with get and get-session-result served as it serves them, but for the per
// request closure and the boxed request object its generic middleware chain takes: handlers'
// method, then the answer's Visit method, an error from either answered by writeProblem (the
// strict handler's ResponseErrorHandlerFunc).
type strictReads struct {
	generated.ServerInterface // the generated strict handler
	h                         *handlers
}

func (sr *strictReads) GetVerification(w http.ResponseWriter, r *http.Request, params generated.GetVerificationParams) {
	res, err := sr.h.GetVerification(r.Context(), generated.GetVerificationRequestObject{Params: params})
	if err == nil && res != nil {
		err = res.VisitGetVerificationResponse(w)
	}
	if err != nil {
		sr.h.s.writeProblem(w, r, err)
	}
}

func (sr *strictReads) GetSessionResult(w http.ResponseWriter, r *http.Request, params generated.GetSessionResultParams) {
	res, err := sr.h.GetSessionResult(r.Context(), generated.GetSessionResultRequestObject{Params: params})
	if err == nil && res != nil {
		err = res.VisitGetSessionResultResponse(w)
	}
	if err != nil {
		sr.h.s.writeProblem(w, r, err)
	}
}
