package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// customQuery is a query of n custom input parameters k0=v, k1=v, … whose names and values add
// up to size bytes (size must leave room for the names), with the service's reExternalId after
// them, which is no custom input.
func customQuery(n, size int) string {
	parts := make([]string, n)
	used := 0
	for i := range parts {
		parts[i] = fmt.Sprintf("k%d=", i)
		used += len(parts[i]) - 1
	}
	for i := range parts {
		share := (size - used) / n
		if i == 0 {
			share += (size - used) % n
		}
		parts[i] += strings.Repeat("v", share)
	}
	return strings.Join(parts, "&") + "&reExternalId=ext-1"
}

// TestCustomInputLimits: a hosted link may carry MaxCustomInputParams custom input parameters of
// any size the request line allows; one more parameter is refused with a 400
// page naming the limit, and starts no session.
func TestCustomInputLimits(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, size    int
		status     int
		pageTitle  string
		wantStored bool
	}{
		{"at the count", MaxCustomInputParams, 500, http.StatusOK, "", true},
		{"one parameter more", MaxCustomInputParams + 1, 500, http.StatusBadRequest, "Too many custom input parameters", false},
		// Their bytes are bounded by the request line: 7,900 bytes of custom input fit in it.
		{"near the request line's limit", 4, 7900, http.StatusOK, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{Clock: NewFrozenClock(pruneStart)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			vid := pruneVerification(t, s, "Open", false)
			code, body := pruneOpen(t, s, vid, customQuery(tc.n, tc.size))
			if code != tc.status || !strings.Contains(body, tc.pageTitle) {
				t.Fatalf("open: %d, want %d %q; page %.300s", code, tc.status, tc.pageTitle, body)
			}
			if tc.status != http.StatusOK {
				if !strings.Contains(body, fmt.Sprint(MaxCustomInputParams)) {
					t.Errorf("the page does not name the limit: %.300s", body)
				}
				if n := s.store.sessionCount(); n != 0 {
					t.Errorf("a refused link started %d sessions", n)
				}
				return
			}
			h := s.Global().Holdings()
			if len(h.Sessions) != 1 {
				t.Fatalf("sessions: %d, want 1", len(h.Sessions))
			}
			rec, err := s.store.getSession(DevAccountID, h.Sessions[0].ID, pruneStart)
			if err != nil {
				t.Fatal(err)
			}
			size := 0
			for k, v := range rec.customInput {
				size += len(k) + len(v)
			}
			if len(rec.customInput) != tc.n || size != tc.size {
				t.Errorf("kept %d parameters of %d bytes, want %d of %d", len(rec.customInput), size, tc.n, tc.size)
			}
		})
	}
}

// TestCompletedSessionStoresCustomInputOnce: a completed session's record in the data directory
// holds its custom input once, in the result's customInputParameters, and a restarted mock reads
// the session's input back from there.
func TestCompletedSessionStoresCustomInputOnce(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{Clock: NewFrozenClock(pruneStart), DataDir: dir, AutoComplete: "pass"})
	if err != nil {
		t.Fatal(err)
	}
	vid := pruneVerification(t, s, "Open", false)
	if code, body := pruneOpen(t, s, vid, "campaign=spring-2026&userId=u-1"); code != http.StatusOK {
		t.Fatalf("open: %d %.300s", code, body)
	}
	h := s.Global().Holdings()
	if len(h.Sessions) != 1 || h.Sessions[0].State != "completed" {
		t.Fatalf("sessions: %+v, want one completed", h.Sessions)
	}
	id := h.Sessions[0].ID
	rec, err := s.store.getSession(DevAccountID, id, pruneStart)
	if err != nil {
		t.Fatal(err)
	}
	raw := sessionOp(&rec).value
	if n := strings.Count(string(raw), "spring-2026"); n != 1 {
		t.Errorf("the stored session holds its custom input %d times, want once: %s", n, raw)
	}
	var stored storedSession
	if err := json.Unmarshal(raw, &stored); err != nil || stored.CustomInput != nil {
		t.Errorf("stored customInput %v beside the result's (%v)", stored.CustomInput, err)
	}
	s.Close()
	s, err = New(Options{Clock: NewFrozenClock(pruneStart), DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec, err = s.store.getSession(DevAccountID, id, pruneStart)
	if err != nil {
		t.Fatal(err)
	}
	if rec.customInput["campaign"] != "spring-2026" || rec.customInput["userId"] != "u-1" {
		t.Errorf("custom input after a restart: %v", rec.customInput)
	}
}
