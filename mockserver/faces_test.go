package mockserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Face collections through the whole mock: sessions started with the Service API (or the hosted
// page), completed with a subject, and the collections read back with Server.FaceCollections and
// GET /_mock/collections.

const (
	resKeyOne = "cmVzLW9uZTpzZWNyZXQtb25l"
	resKeyTwo = "cmVzLXR3bzpzZWNyZXQtdHdv"
)

var resHex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// resTwoAccounts is a flow environment with accounts "res-one" (e.client) and "res-two".
func resTwoAccounts(t *testing.T, opts mockserver.Options) (*flowEnv, *generated.ClientWithResponses) {
	t.Helper()
	opts.Accounts = []mockserver.Account{{ID: "res-one", APIKeys: []string{resKeyOne}}, {ID: "res-two", APIKeys: []string{resKeyTwo}}}
	e := newFlowEnv(t, opts)
	return e, resClient(t, e, resKeyTwo)
}

// resClient is a generated client of e's mock that authenticates with key.
func resClient(t *testing.T, e *flowEnv, key string) *generated.ClientWithResponses {
	t.Helper()
	c, err := generated.NewClientWithResponses(e.srv.URL, generated.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "ApiKey "+key)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// resFRConfig is a verification configuration with only face recognition, and unsigned hosted
// links allowed.
func resFRConfig(mode generated.FaceRecognitionType, collection string) generated.VerificationConfig {
	return generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: mode, CollectionId: ptrTo(collection)}},
		SecurityConfig:  &generated.SecurityConfig{ForceSignedInput: ptrTo(false)},
	}
}

func resCreateVerification(t *testing.T, c *generated.ClientWithResponses, name string, cfg generated.VerificationConfig) uuid.UUID {
	t.Helper()
	resp, err := c.CreateVerificationWithResponse(context.Background(), generated.VerificationInput{Name: name, VerificationConfig: cfg})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create verification %q: %v %s", name, err, resp.Body)
	}
	return resp.JSON200.VerificationId
}

func resStartSession(t *testing.T, c *generated.ClientWithResponses, req generated.CreateSessionRequest) uuid.UUID {
	t.Helper()
	resp, err := c.CreateSessionWithResponse(context.Background(), req)
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("create session: %v %s", err, resp.Body)
	}
	return resp.JSON200.VerificationSessionId
}

// resComplete completes session id with a live adult showing face, and returns its result.
func resComplete(t *testing.T, m *mockserver.Server, id uuid.UUID, face string) generated.SessionResult {
	t.Helper()
	done, err := m.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: &face}})
	if err != nil {
		t.Fatalf("complete %s: %v", id, err)
	}
	return done.Result
}

// resFetchResult reads a session's result through the Service API.
func resFetchResult(t *testing.T, c *generated.ClientWithResponses, id uuid.UUID) generated.SessionResult {
	t.Helper()
	resp, err := c.GetSessionResultWithResponse(context.Background(), &generated.GetSessionResultParams{VerificationSessionId: id})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("get session result: %v %s", err, resp.Body)
	}
	return *resp.JSON200
}

func resFaceIDOf(r generated.SessionResult) string {
	if r.FaceId == nil {
		return ""
	}
	return *r.FaceId
}

func resReasons(r generated.SessionResult) []generated.FailedReason {
	if r.VerificationFailedReasons == nil {
		return nil
	}
	return *r.VerificationFailedReasons
}

// resCollection finds a collection in a snapshot.
func resCollection(all []mockserver.FaceCollection, account, id string) (mockserver.FaceCollection, bool) {
	for _, c := range all {
		if c.Account == account && c.CollectionID == id {
			return c, true
		}
	}
	return mockserver.FaceCollection{}, false
}

func resFaceNames(c mockserver.FaceCollection) []string {
	var out []string
	for f := range c.Faces {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// resStep is one session of a face-recognition sequence.
type resStep struct {
	externalID string
	face       string
	result     generated.VerifierResult
	reasons    []generated.FailedReason
	// sameIDAs is the index of an earlier step whose faceId this one reports; -1: a new id; -2: none.
	sameIDAs int
}

// resRunSteps runs steps in order, each a new session of verification name, and checks each result.
func resRunSteps(t *testing.T, e *flowEnv, name string, steps []resStep) []generated.SessionResult {
	t.Helper()
	var results []generated.SessionResult
	seen := map[string]bool{}
	for i, st := range steps {
		req := generated.CreateSessionRequest{Name: &name}
		if st.externalID != "" {
			req.ExternalId = ptrTo(st.externalID)
		}
		id := resStartSession(t, e.client, req)
		got := resComplete(t, e.mock, id, st.face)
		results = append(results, got)
		wantStatus := generated.SessionStatusPass
		if len(st.reasons) > 0 {
			wantStatus = generated.SessionStatusFail
		}
		if got.VerificationResult != wantStatus || *got.FaceRecognitionResult != st.result || !slices.Equal(resReasons(got), st.reasons) {
			t.Errorf("step %d (%s, %s): %s/%s %v, want %s/%s %v", i+1, st.externalID, st.face,
				got.VerificationResult, *got.FaceRecognitionResult, resReasons(got), wantStatus, st.result, st.reasons)
		}
		fid := resFaceIDOf(got)
		switch {
		case st.sameIDAs == -2:
			if fid != "" {
				t.Errorf("step %d: faceId %q, want none", i+1, fid)
			}
		case st.sameIDAs == -1:
			if !resHex32.MatchString(fid) || seen[fid] {
				t.Errorf("step %d: faceId %q, want a new 32-hex id", i+1, fid)
			}
		default:
			if want := resFaceIDOf(results[st.sameIDAs]); fid != want {
				t.Errorf("step %d: faceId %q, want %q (step %d)", i+1, fid, want, st.sameIDAs+1)
			}
		}
		seen[fid] = true
		if api := resFetchResult(t, e.client, id); !reflect.DeepEqual(api, got) {
			t.Errorf("step %d: get-session-result differs from the completion:\n%+v\n%+v", i+1, api, got)
		}
	}
	return results
}

func TestResFacesDuplicateVerification(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	resCreateVerification(t, e.client, "dup", resFRConfig(generated.FaceRecognitionTypeDuplicateVerification, "members"))
	pass, fail := generated.VerifierResultPass, generated.VerifierResultFail
	resRunSteps(t, e, "dup", []resStep{
		{face: "alice", result: pass, sameIDAs: -1},
		{face: "alice", result: fail, reasons: []generated.FailedReason{generated.DuplicateFace}, sameIDAs: 0},
		{face: "bob", result: pass, sameIDAs: -1},
		{face: "bob", result: fail, reasons: []generated.FailedReason{generated.DuplicateFace}, sameIDAs: 2},
		{face: "alice", result: fail, reasons: []generated.FailedReason{generated.DuplicateFace}, sameIDAs: 0},
	})
	c, ok := resCollection(e.mock.FaceCollections(), "dev", "members")
	if !ok || !slices.Equal(resFaceNames(c), []string{"alice", "bob"}) {
		t.Errorf("collection members = %+v", c)
	}
}

func TestResFacesUniqueMatchVerification(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	resCreateVerification(t, e.client, "unique", resFRConfig(generated.FaceRecognitionTypeUniqueMatchVerification, "members"))
	pass, fail := generated.VerifierResultPass, generated.VerifierResultFail
	resRunSteps(t, e, "unique", []resStep{
		{externalID: "u1", face: "alice", result: pass, sameIDAs: -1},                                                          // new id, new face: enrolled
		{externalID: "u1", face: "alice", result: pass, sameIDAs: 0},                                                           // same id, same face
		{externalID: "u1", face: "bob", result: fail, reasons: []generated.FailedReason{generated.FaceMismatch}, sameIDAs: -2}, // same id, other face
		{externalID: "u2", face: "alice", result: fail, reasons: []generated.FailedReason{generated.DuplicateFace}, sameIDAs: 0},
		{externalID: "u2", face: "bob", result: pass, sameIDAs: -1}, // bob was not indexed by the mismatch
		{externalID: "u1", face: "bob", result: fail, reasons: []generated.FailedReason{generated.FaceMismatch}, sameIDAs: 4},
		{externalID: "u3", face: "bob", result: fail, reasons: []generated.FailedReason{generated.DuplicateFace}, sameIDAs: 4},
	})
	c, _ := resCollection(e.mock.FaceCollections(), "dev", "members")
	if want := map[string]string{"u1": "alice", "u2": "bob"}; !reflect.DeepEqual(c.Enrolled, want) {
		t.Errorf("enrolled = %v, want %v", c.Enrolled, want)
	}

	t.Run("externalId is required", func(t *testing.T) {
		name := "unique"
		resp, err := e.client.CreateSessionWithResponse(context.Background(), generated.CreateSessionRequest{Name: &name})
		if err != nil || resp.StatusCode() != http.StatusBadRequest || resp.ApplicationproblemJSON400 == nil || resp.ApplicationproblemJSON400.Errors == nil || len((*resp.ApplicationproblemJSON400.Errors)["externalId"]) == 0 {
			t.Errorf("create-session without externalId: %d %s", resp.StatusCode(), resp.Body)
		}
	})
}

func TestResFacesMatchVerification(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	resCreateVerification(t, e.client, "match", resFRConfig(generated.FaceRecognitionTypeMatchVerification, "members"))
	pass, fail := generated.VerifierResultPass, generated.VerifierResultFail
	resRunSteps(t, e, "match", []resStep{
		{externalID: "u1", face: "alice", result: pass, sameIDAs: -1}, // first use enrolls
		{externalID: "u1", face: "alice", result: pass, sameIDAs: 0},
		{externalID: "u1", face: "bob", result: fail, reasons: []generated.FailedReason{generated.FaceMismatch}, sameIDAs: -2},
		{externalID: "u1", face: "alice", result: pass, sameIDAs: 0},
		{externalID: "u2", face: "carol", result: pass, sameIDAs: -1},
		{externalID: "u2", face: "alice", result: fail, reasons: []generated.FailedReason{generated.FaceMismatch}, sameIDAs: 0}, // alice is indexed: her id is reported
	})
	c, _ := resCollection(e.mock.FaceCollections(), "dev", "members")
	if want := map[string]string{"u1": "alice", "u2": "carol"}; !reflect.DeepEqual(c.Enrolled, want) {
		t.Errorf("enrolled = %v, want %v", c.Enrolled, want)
	}
}

func TestResFacesCalculationOnly(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	resCreateVerification(t, e.client, "calc", resFRConfig(generated.FaceRecognitionTypeCalculationOnly, "seen"))
	ne := generated.VerifierResultNotExecuted
	resRunSteps(t, e, "calc", []resStep{
		{face: "alice", result: ne, sameIDAs: -1},
		{face: "alice", result: ne, sameIDAs: 0}, // a known face is no failure here
		{face: "bob", result: ne, sameIDAs: -1},
	})
	c, ok := resCollection(e.mock.FaceCollections(), "dev", "seen")
	if !ok || !slices.Equal(resFaceNames(c), []string{"alice", "bob"}) || len(c.Enrolled) != 0 {
		t.Errorf("collection seen = %+v", c)
	}
}

// TestResFacesIDStable: a face keeps one id per (account, collection); another collection or
// another account gives it another id; the id does not depend on the seed or the order.
func TestResFacesIDStable(t *testing.T) {
	e, two := resTwoAccounts(t, mockserver.Options{Seed: 1})
	calc := func(collection string) generated.CreateSessionRequest {
		return generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeCalculationOnly, CollectionId: ptrTo(collection)}}}
	}
	faceID := func(e *flowEnv, c *generated.ClientWithResponses, collection, face string) string {
		t.Helper()
		id := resFaceIDOf(resComplete(t, e.mock, resStartSession(t, c, calc(collection)), face))
		if !resHex32.MatchString(id) {
			t.Fatalf("faceId %q is not 32 lowercase hex", id)
		}
		return id
	}
	bobFirst := faceID(e, e.client, "members", "bob")
	alice := faceID(e, e.client, "members", "alice")
	for _, tc := range []struct {
		name  string
		got   string
		equal bool
	}{
		{"same face, same collection, later", faceID(e, e.client, "members", "alice"), true},
		{"same face, other collection", faceID(e, e.client, "others", "alice"), false},
		{"same face, same collection name, other account", faceID(e, two, "members", "alice"), false},
		{"other face, same collection", bobFirst, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.got == alice) != tc.equal {
				t.Errorf("faceId %s vs %s: equal = %v, want %v", tc.got, alice, tc.got == alice, tc.equal)
			}
		})
	}
	t.Run("another mock with another seed", func(t *testing.T) {
		e2, _ := resTwoAccounts(t, mockserver.Options{Seed: 99})
		if got := faceID(e2, e2.client, "members", "alice"); got != alice {
			t.Errorf("faceId %s, want %s", got, alice)
		}
	})
	t.Run("accounts keep separate collections", func(t *testing.T) {
		all := e.mock.FaceCollections()
		one, _ := resCollection(all, "res-one", "members")
		other, _ := resCollection(all, "res-two", "members")
		if !slices.Equal(resFaceNames(one), []string{"alice", "bob"}) || !slices.Equal(resFaceNames(other), []string{"alice"}) {
			t.Errorf("res-one/members %v, res-two/members %v", resFaceNames(one), resFaceNames(other))
		}
		if one.Faces["alice"] != alice || other.Faces["alice"] == alice {
			t.Errorf("snapshot ids: %v / %v", one.Faces, other.Faces)
		}
	})
}

// TestResFacesCollectionChange: changing a verification's collectionId detaches the old
// collection; its faces stay there and new faces go to the new one, where a person already in
// the old collection is not a duplicate.
func TestResFacesCollectionChange(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	cfg := resFRConfig(generated.FaceRecognitionTypeDuplicateVerification, "old")
	vid := resCreateVerification(t, e.client, "members", cfg)
	name := "members"

	// A hosted session indexes alice into "old".
	if err := e.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptrTo("alice")}}); err != nil {
		t.Fatal(err)
	}
	if resp, page := e.open(vid, "userId=1"); resp.StatusCode != http.StatusOK {
		t.Fatalf("hosted session: %d %s", resp.StatusCode, page)
	}
	before, ok := resCollection(e.mock.FaceCollections(), "dev", "old")
	if !ok || !slices.Equal(resFaceNames(before), []string{"alice"}) {
		t.Fatalf("old after the hosted session = %+v", before)
	}
	oldAlice := before.Faces["alice"]
	// alice is a duplicate in "old".
	if r := resComplete(t, e.mock, resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name}), "alice"); !slices.Equal(resReasons(r), []generated.FailedReason{generated.DuplicateFace}) {
		t.Fatalf("alice again in old: %v", resReasons(r))
	}

	cfg = resFRConfig(generated.FaceRecognitionTypeDuplicateVerification, "new")
	upd, err := e.client.UpdateVerificationWithResponse(context.Background(), generated.UpdateVerificationRequest{VerificationId: vid, Name: name, VerificationConfig: cfg})
	if err != nil || upd.JSON200 == nil {
		t.Fatalf("update: %v %s", err, upd.Body)
	}

	alice := resComplete(t, e.mock, resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name}), "alice")
	if alice.VerificationResult != generated.SessionStatusPass || resFaceIDOf(alice) == oldAlice {
		t.Errorf("alice in new: %s %v faceId %s (old %s); want a pass with another id", alice.VerificationResult, resReasons(alice), resFaceIDOf(alice), oldAlice)
	}
	if r := resComplete(t, e.mock, resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name}), "bob"); r.VerificationResult != generated.SessionStatusPass {
		t.Errorf("bob in new: %v", resReasons(r))
	}
	if r := resComplete(t, e.mock, resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name}), "alice"); !slices.Equal(resReasons(r), []generated.FailedReason{generated.DuplicateFace}) || resFaceIDOf(r) != resFaceIDOf(alice) {
		t.Errorf("alice again in new: %v %s", resReasons(r), resFaceIDOf(r))
	}
	// A hosted session after the update goes to "new" too.
	if err := e.mock.QueueSubjects(mockserver.SubjectSpec{Subject: &mockserver.Subject{Face: ptrTo("carol")}}); err != nil {
		t.Fatal(err)
	}
	if resp, page := e.open(vid, "userId=2"); resp.StatusCode != http.StatusOK {
		t.Fatalf("hosted session: %d %s", resp.StatusCode, page)
	}

	snap := e.mock.FaceCollections()
	old, _ := resCollection(snap, "dev", "old")
	nw, _ := resCollection(snap, "dev", "new")
	if !slices.Equal(resFaceNames(old), []string{"alice"}) || old.Faces["alice"] != oldAlice {
		t.Errorf("old = %v, want only alice with her old id", old.Faces)
	}
	if !slices.Equal(resFaceNames(nw), []string{"alice", "bob", "carol"}) {
		t.Errorf("new = %v, want alice, bob, carol", nw.Faces)
	}

	// The control API shows the same snapshot.
	resp, err := http.Get(e.srv.URL + "/_mock/collections")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		Collections []mockserver.FaceCollection `json:"collections"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_mock/collections: %d %v %s", resp.StatusCode, err, body)
	}
	if !reflect.DeepEqual(got.Collections, snap) {
		t.Errorf("GET /_mock/collections = %+v, want %+v", got.Collections, snap)
	}
}
