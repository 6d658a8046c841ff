package mockserver

import (
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// What the mock holds, read-only, for people looking at it (the dashboard at /_mock/): every
// account's verifications and sessions, with each session's state and result.

// SessionState is a session as the control API lists it.
type SessionState struct {
	ID             uuid.UUID  `json:"verificationSessionId"`
	Account        string     `json:"account"`
	VerificationID *uuid.UUID `json:"verificationId,omitempty"`
	ExternalID     string     `json:"externalId,omitempty"`
	Hosted         bool       `json:"hosted"`
	// State is "pending" until the session completes, then "completed".
	State     string                   `json:"state"`
	Created   time.Time                `json:"created"`
	Completed *time.Time               `json:"completed,omitempty"`
	Result    *generated.SessionResult `json:"result,omitempty"`
}

// VerificationState is a verification as the control API lists it, with its account.
type VerificationState struct {
	Account string `json:"account"`
	generated.Verification
}

// Holdings are the verifications and sessions of a scope.
type Holdings struct {
	Verifications []VerificationState `json:"verifications"`
	Sessions      []SessionState      `json:"sessions"`
}

// Holdings returns the scope's verifications (in creation order) and sessions (oldest first):
// every account's for the whole mock.
func (sc *Scope) Holdings() Holdings { return sc.s.store.holdings(sc.AccountID()) }

// holdings snapshots the verifications and sessions of account acc, or of every account when acc
// is empty.
func (st *store) holdings(acc string) Holdings {
	st.mu.RLock()
	defer st.mu.RUnlock()
	h := Holdings{Verifications: []VerificationState{}, Sessions: []SessionState{}}
	var seqs []uint64
	for id, d := range st.accounts {
		if acc != "" && id != acc {
			continue
		}
		for _, v := range d.verifications {
			h.Verifications = append(h.Verifications, VerificationState{Account: id, Verification: v.wire()})
			seqs = append(seqs, v.seq)
		}
		for s := range d.sessions.all(id) {
			st := SessionState{ID: s.id, Account: s.account, VerificationID: s.verificationID, ExternalID: s.externalID,
				Hosted: s.hosted, State: "pending", Created: s.created}
			if s.result != nil {
				done, res := s.completed, *s.result
				st.State, st.Completed, st.Result = "completed", &done, &res
			}
			h.Sessions = append(h.Sessions, st)
		}
	}
	sort.Sort(bySeq{h.Verifications, seqs})
	sort.SliceStable(h.Sessions, func(i, j int) bool {
		a, b := h.Sessions[i], h.Sessions[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.ID.String() < b.ID.String()
	})
	return h
}

// bySeq sorts verifications by their creation order.
type bySeq struct {
	v   []VerificationState
	seq []uint64
}

func (b bySeq) Len() int           { return len(b.v) }
func (b bySeq) Less(i, j int) bool { return b.seq[i] < b.seq[j] }
func (b bySeq) Swap(i, j int) {
	b.v[i], b.v[j] = b.v[j], b.v[i]
	b.seq[i], b.seq[j] = b.seq[j], b.seq[i]
}

func (s *Server) ctlSessions(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.scopeOf(r).Holdings())
}
