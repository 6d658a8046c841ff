package mockserver

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// warningHeader is the header in which the mock tells a client what it accepted only by reading
// it as production would (reqcheck's notes, a path matched regardless of case).
const warningHeader = "X-Mock-Warning"

// MaxWarningBytes bounds the X-Mock-Warning values of one answer, added up: common HTTP clients
// and proxies refuse a header line past 8 KiB, so the mock stays well under it. Each list in a
// warning names at most 10 fields, each cut at 120 characters with its length given
// (reqcheck.WarnedNames); whatever still passes the bound is cut with a marker.
const MaxWarningBytes = 4 << 10

// warn adds msg to the answer's X-Mock-Warning, cut so that the header's values stay within
// MaxWarningBytes, and logs it.
func (s *Server) warn(w http.ResponseWriter, r *http.Request, msg string) {
	used := 0
	for _, v := range w.Header().Values(warningHeader) {
		used += len(v) + len("; ") // the journal joins the values with "; "
	}
	if msg = cutWarning(msg, MaxWarningBytes-used); msg == "" {
		return
	}
	w.Header().Add(warningHeader, msg)
	s.log.WarnContext(r.Context(), msg, slog.String("id", requestID(r.Context())), slog.String("path", r.URL.Path))
}

// cutWarning is msg within room bytes: whole when it fits, else its start and a marker naming
// its full size, or "" when not even the marker fits.
func cutWarning(msg string, room int) string {
	if len(msg) <= room {
		return msg
	}
	marker := "...(warning cut at " + strconv.Itoa(MaxWarningBytes) + " bytes; it had " + strconv.Itoa(len(msg)) + ")"
	keep := room - len(marker)
	if keep <= 0 {
		return ""
	}
	// A warning is ASCII (reqcheck quotes the rest), but a cut must not split a character anyway.
	return strings.ToValidUTF8(msg[:keep], "") + marker
}
