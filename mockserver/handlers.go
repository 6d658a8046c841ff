package mockserver

import (
	"context"
	"net/http"
	"time"

	"github.com/verifeye-twin/verifeye/generated"
)

// handlers implements the generated strict server interface. Each method unpacks the typed
// request, applies the rules, calls the store and returns a generated typed response. Errors
// (field errors, the store's errors) are returned as they are: problemFor gives each its status
// and writeProblem the API's error body.
type handlers struct{ s *Server }

var _ generated.StrictServerInterface = (*handlers)(nil)

// healthzLayout is .NET's round-trip format with seven fractional digits, as the vendor's
// healthz prints it.
const healthzLayout = "2006-01-02T15:04:05.0000000Z"

// GetHealth answers the clock's time, ended by a newline (production's body may end without one;
// the spec's pattern takes both) so that curl's output ends its line.
func (h *handlers) GetHealth(context.Context, generated.GetHealthRequestObject) (generated.GetHealthResponseObject, error) {
	return healthzAnswer(h.s.clock.Now()), nil
}

// healthzAnswer is healthz's answer at a time: the bytes generated.GetHealth200TextResponse of
// the formatted time writes, formatted into a buffer on the stack instead of through fmt.Sprint.
type healthzAnswer time.Time

func (a healthzAnswer) VisitGetHealthResponse(w http.ResponseWriter) error {
	w.Header()["Content-Type"] = textContentType
	w.WriteHeader(http.StatusOK)
	var buf [len(healthzLayout) + 8]byte
	_, err := w.Write(append(time.Time(a).AppendFormat(buf[:0], healthzLayout), '\n'))
	return err
}

func (h *handlers) GetToken(ctx context.Context, req generated.GetTokenRequestObject) (generated.GetTokenResponseObject, error) {
	if credentialFrom(ctx) != viaAPIKey {
		return nil, unauthorized("a token can only be requested with an API key")
	}
	ttl := defaultTokTTL
	if p := req.Params.ExpirationInSeconds; p != nil {
		ttl = int(*p)
	}
	tok, exp, err := h.s.auth.issueBearer(accountFrom(ctx), time.Duration(ttl)*time.Second)
	if err != nil {
		return nil, err
	}
	return generated.GetToken200JSONResponse{Token: tok, ExpirationUtcTime: exp}, nil
}
