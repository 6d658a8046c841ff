package mockserver

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// TestGetAllAnswerFollowsEveryWrite: after every kind of write to either of two accounts (create,
// create-or-update of an existing and of a new name, rename, delete, an account's reset, the
// whole store's reset), each account's kept get-all answer is what encoding/json writes for its
// verifications as they are then, with the times of the write, and never the other account's.
func TestGetAllAnswerFollowsEveryWrite(t *testing.T) {
	st := newStore()
	r := rand.New(rand.NewPCG(5, 8))
	accounts := []string{"acct-a", "acct-b"}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	check := func(step string) {
		t.Helper()
		for _, acc := range accounts {
			summaries := []generated.VerificationSummary{}
			for _, v := range st.listVerifications(acc) {
				summaries = append(summaries, generated.VerificationSummary{VerificationId: v.id, Name: v.name, Created: v.created, LastModified: v.lastModified})
			}
			want := encodingJSON(t, generated.GetAllVerifications200JSONResponse{Verifications: summaries})
			for range 2 { // the first call may make the answer, the second reads it back
				got, err := st.verificationListJSON(acc)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("after %s, %s:\n got %s\nwant %s", step, acc, got, want)
				}
			}
		}
	}
	names := map[string][]string{}
	ids := map[string][]uuid.UUID{}
	for i := range 60 {
		now = now.Add(time.Duration(r.IntN(5000)) * 123456789 * time.Nanosecond).Truncate(dotnetTick)
		acc := accounts[r.IntN(2)]
		step := strconv.Itoa(i) + " "
		var err error
		switch op := r.IntN(6); {
		case op <= 1 || len(ids[acc]) == 0:
			name := oddString(r) + strconv.Itoa(i)
			var v *verificationRecord
			v, err = st.createVerification(acc, randomUUID(r), name, generated.VerificationConfig{}, now)
			names[acc], ids[acc] = append(names[acc], name), append(ids[acc], v.id)
			step += "create"
		case op == 2:
			_, _, err = st.upsertVerification(acc, randomUUID(r), names[acc][r.IntN(len(names[acc]))], generated.VerificationConfig{}, now)
			step += "create-or-update"
		case op == 3:
			k := r.IntN(len(ids[acc]))
			names[acc][k] = "renamed " + strconv.Itoa(i)
			_, err = st.updateVerification(acc, ids[acc][k], names[acc][k], generated.VerificationConfig{}, now)
			step += "update"
		case op == 4:
			k := r.IntN(len(ids[acc]))
			err = st.deleteVerification(acc, ids[acc][k])
			names[acc] = append(names[acc][:k], names[acc][k+1:]...)
			ids[acc] = append(ids[acc][:k], ids[acc][k+1:]...)
			step += "delete"
		case i%20 == 5:
			err = st.resetAccount(acc)
			names[acc], ids[acc] = nil, nil
			step += "account reset"
		default:
			step += "nothing"
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		check(step)
	}
	if err := st.reset(); err != nil {
		t.Fatal(err)
	}
	check("reset")
}

// TestGetAllAnswerUnderConcurrentWrites: get-alls racing creates never keep an answer older than
// the last write: once the writers are done, get-all lists every verification.
func TestGetAllAnswerUnderConcurrentWrites(t *testing.T) {
	st := newStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const writers, each = 4, 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range writers * each {
			if _, err := st.verificationListJSON("acct"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				_, err := st.createVerification("acct", uuid.New(), "v"+strconv.Itoa(w)+"-"+strconv.Itoa(i), generated.VerificationConfig{}, now)
				if err != nil {
					errs <- err
					return
				}
				if _, err := st.verificationListJSON("acct"); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	<-done
	got, err := st.verificationListJSON("acct")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(got, []byte(`"verificationId"`)); n != writers*each {
		t.Errorf("get-all lists %d verifications after all writes, want %d", n, writers*each)
	}
}
