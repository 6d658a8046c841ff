package mockserver

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// These tests pin computeResult, the pure function that decides every result field from the
// effective configuration and the simulated subject, against the rules in
// docs/result-computation.md. Face collections are the real accountFaces,
// wrapped to record which calls computeResult makes, so "nothing is indexed" is checkable.

// resRecordingFaces is a faceIndex over real accountFaces that records every write.
type resRecordingFaces struct {
	inner  *accountFaces
	writes []string
}

func resNewFaces() *resRecordingFaces {
	return &resRecordingFaces{inner: &accountFaces{account: "acct-res", collections: map[string]*collection{}}}
}

func (r *resRecordingFaces) faceID(c, f string) (string, bool) { return r.inner.faceID(c, f) }
func (r *resRecordingFaces) enrolled(c, id string) (string, bool) {
	return r.inner.enrolled(c, id)
}

func (r *resRecordingFaces) index(c, f string) string {
	r.writes = append(r.writes, "index "+c+" "+f)
	return r.inner.index(c, f)
}

func (r *resRecordingFaces) enroll(c, id, f string) {
	r.writes = append(r.writes, "enroll "+c+" "+id+" "+f)
	r.inner.enroll(c, id, f)
}

// resFaceID is the id the recording faces give face in collection.
func resFaceID(collection, face string) string { return stableFaceID("acct-res", collection, face) }

var resSessionID = uuid.MustParse("a1b2c3d4-e5f6-4890-abcd-ef1234567890")

// resOutcome is what a test expects of a result; resExpected turns it into the full SessionResult.
type resOutcome struct {
	liveness, age, gender, fr generated.VerifierResult
	estAge                    *float64
	estGender                 *generated.Gender
	faceID                    string // empty: no faceId
	reasons                   []generated.FailedReason
}

func resExpected(o resOutcome, in sessionInput, subj resolvedSubject) generated.SessionResult {
	orNE := func(v generated.VerifierResult) *generated.VerifierResult {
		if v == "" {
			v = generated.VerifierResultNotExecuted
		}
		return &v
	}
	reasons := o.reasons
	if reasons == nil {
		reasons = []generated.FailedReason{}
	}
	res := generated.SessionResult{
		VerificationSessionId:      in.id,
		LivenessVerificationResult: orNE(o.liveness),
		AgeVerificationResult:      orNE(o.age),
		GenderVerificationResult:   orNE(o.gender),
		FaceRecognitionResult:      orNE(o.fr),
		EstimatedAge:               o.estAge,
		EstimatedGender:            o.estGender,
		TotalFaceCount:             ptr(int32(subj.faceCount)),
		VerificationFailedReasons:  &reasons,
		VerificationResult:         generated.SessionStatusPass,
	}
	if len(reasons) > 0 {
		res.VerificationResult = generated.SessionStatusFail
	}
	if o.faceID != "" {
		res.FaceId = ptr(o.faceID)
	}
	if in.externalID != "" {
		res.CorrelationId = ptr(in.externalID)
	}
	if len(in.customInput) > 0 {
		ci := map[string]string{}
		for k, v := range in.customInput {
			ci[k] = v
		}
		res.CustomInputParameters = &ci
	}
	return res
}

func resJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func resCheck(t *testing.T, got, want generated.SessionResult) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("result\n got %s\nwant %s", resJSON(got), resJSON(want))
	}
}

// Verifier blocks used by the tables.
var (
	resLivenessOn  = &generated.LivenessConfig{Type: generated.LivenessTypeVerification}
	resLivenessOff = &generated.LivenessConfig{Type: generated.LivenessTypeDisabled}
	resAgeOff      = &generated.AgeConfig{Type: generated.AgeTypeDisabled}
	resAgeCalc     = &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly}
	resGenderOn    = &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly}
	resGenderOff   = &generated.GenderConfig{Type: generated.GenderTypeDisabled}
)

func resAgeThreshold(threshold int32, dir *generated.AgeDirection) *generated.AgeConfig {
	return &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: ptr(threshold), Direction: dir}
}

func resFR(mode generated.FaceRecognitionType, collection string) *generated.FaceRecognitionConfig {
	return &generated.FaceRecognitionConfig{Type: mode, CollectionId: ptr(collection)}
}

// resAllOn runs every verifier: liveness, age 18 and above, gender, duplicate check in "members".
func resAllOn(failOnMultiple bool) generated.VerifierConfigs {
	return generated.VerifierConfigs{
		Liveness:        resLivenessOn,
		Age:             resAgeThreshold(18, ptr(generated.Above)),
		Gender:          resGenderOn,
		FaceRecognition: resFR(generated.FaceRecognitionTypeDuplicateVerification, "members"),
		CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: ptr(failOnMultiple)},
	}
}

// resAllOff gives every verifier block, each Disabled.
func resAllOff(failOnMultiple bool) generated.VerifierConfigs {
	return generated.VerifierConfigs{
		Liveness:        resLivenessOff,
		Age:             resAgeOff,
		Gender:          resGenderOff,
		FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDisabled},
		CommonSettings:  &generated.CommonSettings{FailOnMultipleFacesDetected: ptr(failOnMultiple)},
	}
}

// resPreset resolves a preset as the mock does, with the face and gender pinned so the
// expectations are exact.
func resPreset(t *testing.T, name string) resolvedSubject {
	t.Helper()
	sp := SubjectSpec{Preset: name, Subject: &Subject{Face: ptr("face-" + name), Gender: ptr("Female")}}
	if err := sp.check(); err != nil {
		t.Fatal(err)
	}
	return newSubjectFaker(1).resolve(sp)
}

func resInput(vc *generated.VerifierConfigs) sessionInput {
	return sessionInput{id: resSessionID, config: generated.VerificationConfig{VerifierConfigs: vc}}
}

// TestResComputeResultPresets runs every preset through every verifier on, every verifier off
// (given as Disabled blocks, and as no verifierConfigs at all), with and without
// failOnMultipleFacesDetected.
func TestResComputeResultPresets(t *testing.T) {
	pass, fail := generated.VerifierResultPass, generated.VerifierResultFail
	female := ptr(generated.Female)
	tests := []struct {
		name          string
		vc            *generated.VerifierConfigs
		preset        string
		want          resOutcome
		nothingStored bool
	}{
		{"all on/pass", ptr(resAllOn(false)), "pass", resOutcome{liveness: pass, age: pass, fr: pass, estAge: ptr(34.0), estGender: female, faceID: resFaceID("members", "face-pass")}, false},
		{"all on/underage", ptr(resAllOn(false)), "underage", resOutcome{liveness: pass, age: fail, fr: pass, estAge: ptr(15.0), estGender: female, faceID: resFaceID("members", "face-underage"),
			reasons: []generated.FailedReason{generated.AgeVerificationFailed}}, false},
		{"all on/spoof", ptr(resAllOn(false)), "spoof", resOutcome{liveness: fail, age: pass, fr: pass, estAge: ptr(34.0), estGender: female, faceID: resFaceID("members", "face-spoof"),
			reasons: []generated.FailedReason{generated.LivenessFailed}}, false},
		{"all on/noFace", ptr(resAllOn(false)), "noFace", resOutcome{liveness: fail, age: fail, fr: fail,
			reasons: []generated.FailedReason{generated.NoFace}}, true},
		{"all on/multipleFaces, dominant face used", ptr(resAllOn(false)), "multipleFaces", resOutcome{liveness: pass, age: pass, fr: pass, estAge: ptr(34.0), estGender: female,
			faceID: resFaceID("members", "face-multipleFaces")}, false},
		{"all on/multipleFaces, failOnMultipleFacesDetected", ptr(resAllOn(true)), "multipleFaces", resOutcome{
			reasons: []generated.FailedReason{generated.MultipleFaces}}, true},
		{"all on, fail on multiple/pass", ptr(resAllOn(true)), "pass", resOutcome{liveness: pass, age: pass, fr: pass, estAge: ptr(34.0), estGender: female, faceID: resFaceID("members", "face-pass")}, false},

		{"all Disabled/pass", ptr(resAllOff(false)), "pass", resOutcome{}, true},
		{"all Disabled/underage", ptr(resAllOff(false)), "underage", resOutcome{}, true},
		{"all Disabled/spoof", ptr(resAllOff(false)), "spoof", resOutcome{}, true},
		{"all Disabled/noFace", ptr(resAllOff(false)), "noFace", resOutcome{reasons: []generated.FailedReason{generated.NoFace}}, true},
		{"all Disabled/multipleFaces", ptr(resAllOff(false)), "multipleFaces", resOutcome{}, true},
		{"all Disabled/multipleFaces, failOnMultipleFacesDetected", ptr(resAllOff(true)), "multipleFaces", resOutcome{reasons: []generated.FailedReason{generated.MultipleFaces}}, true},

		{"no verifierConfigs/pass", nil, "pass", resOutcome{}, true},
		{"no verifierConfigs/spoof", nil, "spoof", resOutcome{}, true},
		{"no verifierConfigs/noFace", nil, "noFace", resOutcome{reasons: []generated.FailedReason{generated.NoFace}}, true},
		{"no verifierConfigs/multipleFaces", nil, "multipleFaces", resOutcome{}, true},
		{"empty verifierConfigs/underage", &generated.VerifierConfigs{}, "underage", resOutcome{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subj := resPreset(t, tc.preset)
			in := resInput(tc.vc)
			faces := resNewFaces()
			got := computeResult(in, subj, faces)
			resCheck(t, got, resExpected(tc.want, in, subj))
			if tc.nothingStored && (len(faces.writes) > 0 || len(faces.inner.collections) > 0) {
				t.Errorf("faces were indexed: %v", faces.writes)
			}
			if !tc.nothingStored && tc.want.faceID != "" {
				if id, ok := faces.inner.faceID("members", "face-"+tc.preset); !ok || id != tc.want.faceID {
					t.Errorf("face not indexed in members: %q %v", id, ok)
				}
			}
		})
	}
}

// TestResComputeResultFields varies one verifier at a time with a subject given field by field.
func TestResComputeResultFields(t *testing.T) {
	pass, fail := generated.VerifierResultPass, generated.VerifierResultFail
	adult := resolvedSubject{age: 34, gender: "Male", live: true, faceCount: 1, face: "bob"}
	with := func(f func(*resolvedSubject)) resolvedSubject { s := adult; f(&s); return s }
	aged := func(age float64) resolvedSubject { return with(func(s *resolvedSubject) { s.age = age }) }
	above, below := ptr(generated.Above), ptr(generated.Below)
	tests := []struct {
		name string
		vc   generated.VerifierConfigs
		subj resolvedSubject
		want resOutcome
	}{
		{"liveness Verification, live", generated.VerifierConfigs{Liveness: resLivenessOn}, adult, resOutcome{liveness: pass}},
		{"liveness Verification, spoof", generated.VerifierConfigs{Liveness: resLivenessOn}, with(func(s *resolvedSubject) { s.live = false }),
			resOutcome{liveness: fail, reasons: []generated.FailedReason{generated.LivenessFailed}}},
		{"liveness Disabled, spoof", generated.VerifierConfigs{Liveness: resLivenessOff}, with(func(s *resolvedSubject) { s.live = false }), resOutcome{}},

		{"age Disabled: no estimate", generated.VerifierConfigs{Age: resAgeOff}, adult, resOutcome{}},
		{"age CalculationOnly: estimate, NotExecuted", generated.VerifierConfigs{Age: resAgeCalc}, aged(15), resOutcome{estAge: ptr(15.0)}},
		{"age CalculationOnly keeps the decimal", generated.VerifierConfigs{Age: resAgeCalc}, aged(41.7), resOutcome{estAge: ptr(41.7)}},
		{"age 18 Above, 17.9 fails", generated.VerifierConfigs{Age: resAgeThreshold(18, above)}, aged(17.9),
			resOutcome{age: fail, estAge: ptr(17.9), reasons: []generated.FailedReason{generated.AgeVerificationFailed}}},
		{"age 18 Above, exactly 18 passes", generated.VerifierConfigs{Age: resAgeThreshold(18, above)}, aged(18), resOutcome{age: pass, estAge: ptr(18.0)}},
		{"age 18 Above, 18.1 passes", generated.VerifierConfigs{Age: resAgeThreshold(18, above)}, aged(18.1), resOutcome{age: pass, estAge: ptr(18.1)}},
		{"age 18, no direction means Above, exactly 18 passes", generated.VerifierConfigs{Age: resAgeThreshold(18, nil)}, aged(18), resOutcome{age: pass, estAge: ptr(18.0)}},
		{"age 18, no direction means Above, 17 fails", generated.VerifierConfigs{Age: resAgeThreshold(18, nil)}, aged(17),
			resOutcome{age: fail, estAge: ptr(17.0), reasons: []generated.FailedReason{generated.AgeVerificationFailed}}},
		{"age 18 Below, 17.9 passes", generated.VerifierConfigs{Age: resAgeThreshold(18, below)}, aged(17.9), resOutcome{age: pass, estAge: ptr(17.9)}},
		{"age 18 Below, exactly 18 fails", generated.VerifierConfigs{Age: resAgeThreshold(18, below)}, aged(18),
			resOutcome{age: fail, estAge: ptr(18.0), reasons: []generated.FailedReason{generated.AgeVerificationFailed}}},
		{"age 18 Below, 40 fails", generated.VerifierConfigs{Age: resAgeThreshold(18, below)}, aged(40),
			resOutcome{age: fail, estAge: ptr(40.0), reasons: []generated.FailedReason{generated.AgeVerificationFailed}}},
		{"age 65 Above, 70 passes", generated.VerifierConfigs{Age: resAgeThreshold(65, above)}, aged(70), resOutcome{age: pass, estAge: ptr(70.0)}},

		{"gender Disabled: no estimate", generated.VerifierConfigs{Gender: resGenderOff}, adult, resOutcome{}},
		{"gender CalculationOnly, Male", generated.VerifierConfigs{Gender: resGenderOn}, adult, resOutcome{estGender: ptr(generated.Male)}},
		{"gender CalculationOnly, Female", generated.VerifierConfigs{Gender: resGenderOn}, with(func(s *resolvedSubject) { s.gender = "Female" }), resOutcome{estGender: ptr(generated.Female)}},

		{"faceRecognition Disabled: no faceId", generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDisabled, CollectionId: ptr("c")}}, adult, resOutcome{}},

		{"no face, calculations give nothing", generated.VerifierConfigs{Age: resAgeCalc, Gender: resGenderOn, FaceRecognition: resFR(generated.FaceRecognitionTypeCalculationOnly, "c")},
			with(func(s *resolvedSubject) { s.faceCount = 0 }), resOutcome{reasons: []generated.FailedReason{generated.NoFace}}},
		{"no face, every verdict-giving verifier fails", generated.VerifierConfigs{Liveness: resLivenessOn, Age: resAgeThreshold(18, below), FaceRecognition: resFR(generated.FaceRecognitionTypeMatchVerification, "c")},
			with(func(s *resolvedSubject) { s.faceCount = 0 }), resOutcome{liveness: fail, age: fail, fr: fail, reasons: []generated.FailedReason{generated.NoFace}}},
		{"no face, unique match fails", generated.VerifierConfigs{FaceRecognition: resFR(generated.FaceRecognitionTypeUniqueMatchVerification, "c")},
			with(func(s *resolvedSubject) { s.faceCount = 0 }), resOutcome{fr: fail, reasons: []generated.FailedReason{generated.NoFace}}},
		{"three faces, dominant face used", generated.VerifierConfigs{Liveness: resLivenessOn, Age: resAgeCalc},
			with(func(s *resolvedSubject) { s.faceCount = 3 }), resOutcome{liveness: pass, estAge: ptr(34.0)}},

		{"several failures are all listed in order", generated.VerifierConfigs{Liveness: resLivenessOn, Age: resAgeThreshold(18, above), Gender: resGenderOn},
			resolvedSubject{age: 12, gender: "Female", live: false, faceCount: 1, face: "kid"},
			resOutcome{liveness: fail, age: fail, estAge: ptr(12.0), estGender: ptr(generated.Female),
				reasons: []generated.FailedReason{generated.LivenessFailed, generated.AgeVerificationFailed}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := resInput(&tc.vc)
			faces := resNewFaces()
			got := computeResult(in, tc.subj, faces)
			resCheck(t, got, resExpected(tc.want, in, tc.subj))
			if tc.want.faceID == "" && len(faces.writes) > 0 {
				t.Errorf("faces were indexed: %v", faces.writes)
			}
		})
	}
}

// TestResComputeResultEchoes: correlationId echoes the external id, customInputParameters are the
// session's own parameters (the same map, so a completed session holds them once), and neither
// appears when not given.
func TestResComputeResultEchoes(t *testing.T) {
	subj := resolvedSubject{age: 30, gender: "Male", live: true, faceCount: 1, face: "x"}
	t.Run("given", func(t *testing.T) {
		custom := map[string]string{"userId": "User123", "campaign": "spring"}
		in := sessionInput{id: resSessionID, externalID: "order-77", customInput: custom}
		got := computeResult(in, subj, resNewFaces())
		if got.CorrelationId == nil || *got.CorrelationId != "order-77" {
			t.Errorf("correlationId = %v, want order-77", got.CorrelationId)
		}
		if got.CustomInputParameters == nil || !reflect.DeepEqual(*got.CustomInputParameters, custom) {
			t.Fatalf("customInputParameters = %v, want %v", got.CustomInputParameters, custom)
		}
		if reflect.ValueOf(*got.CustomInputParameters).Pointer() != reflect.ValueOf(custom).Pointer() {
			t.Error("customInputParameters is a copy of the session's parameters, which the session then holds twice")
		}
		if got.VerificationSessionId != resSessionID {
			t.Errorf("verificationSessionId = %s", got.VerificationSessionId)
		}
	})
	t.Run("not given", func(t *testing.T) {
		got := computeResult(sessionInput{id: resSessionID, customInput: map[string]string{}}, subj, resNewFaces())
		if got.CorrelationId != nil || got.CustomInputParameters != nil {
			t.Errorf("correlationId %v, customInputParameters %v; want neither", got.CorrelationId, got.CustomInputParameters)
		}
	})
}

// TestResComputeResultFaceRecognition runs each face-recognition mode against a collection
// prepared by earlier sessions.
func TestResComputeResultFaceRecognition(t *testing.T) {
	pass, fail, ne := generated.VerifierResultPass, generated.VerifierResultFail, generated.VerifierResultNotExecuted
	const coll = "members"
	idOf := func(face string) string { return resFaceID(coll, face) }
	type prior struct{ face, externalID string }
	tests := []struct {
		name       string
		mode       generated.FaceRecognitionType
		before     []prior // enrolled (with an external id) or indexed (without) beforehand
		face       string
		externalID string
		want       resOutcome
		// after: face → external id expected enrolled ("" = only indexed) after the session.
		after map[string]string
	}{
		{"CalculationOnly indexes and reports", generated.FaceRecognitionTypeCalculationOnly, nil, "alice", "",
			resOutcome{fr: ne, faceID: idOf("alice")}, map[string]string{"alice": ""}},
		{"CalculationOnly on a known face", generated.FaceRecognitionTypeCalculationOnly, []prior{{"alice", ""}}, "alice", "",
			resOutcome{fr: ne, faceID: idOf("alice")}, map[string]string{"alice": ""}},

		{"Duplicate, new face passes and is indexed", generated.FaceRecognitionTypeDuplicateVerification, []prior{{"bob", ""}}, "alice", "",
			resOutcome{fr: pass, faceID: idOf("alice")}, map[string]string{"alice": "", "bob": ""}},
		{"Duplicate, known face fails with its id", generated.FaceRecognitionTypeDuplicateVerification, []prior{{"alice", ""}}, "alice", "",
			resOutcome{fr: fail, faceID: idOf("alice"), reasons: []generated.FailedReason{generated.DuplicateFace}}, map[string]string{"alice": ""}},

		{"UniqueMatch, new id and new face pass and enroll", generated.FaceRecognitionTypeUniqueMatchVerification, nil, "alice", "u1",
			resOutcome{fr: pass, faceID: idOf("alice")}, map[string]string{"alice": "u1"}},
		{"UniqueMatch, same id and same face pass", generated.FaceRecognitionTypeUniqueMatchVerification, []prior{{"alice", "u1"}}, "alice", "u1",
			resOutcome{fr: pass, faceID: idOf("alice")}, map[string]string{"alice": "u1"}},
		{"UniqueMatch, same id and a new face fail faceMismatch", generated.FaceRecognitionTypeUniqueMatchVerification, []prior{{"alice", "u1"}}, "mallory", "u1",
			resOutcome{fr: fail, reasons: []generated.FailedReason{generated.FaceMismatch}}, map[string]string{"alice": "u1"}},
		{"UniqueMatch, same id and another known face fail faceMismatch", generated.FaceRecognitionTypeUniqueMatchVerification, []prior{{"alice", "u1"}, {"bob", "u2"}}, "bob", "u1",
			resOutcome{fr: fail, faceID: idOf("bob"), reasons: []generated.FailedReason{generated.FaceMismatch}}, map[string]string{"alice": "u1", "bob": "u2"}},
		{"UniqueMatch, new id and a known face fail duplicateFace", generated.FaceRecognitionTypeUniqueMatchVerification, []prior{{"alice", "u1"}}, "alice", "u2",
			resOutcome{fr: fail, faceID: idOf("alice"), reasons: []generated.FailedReason{generated.DuplicateFace}}, map[string]string{"alice": "u1"}},
		{"UniqueMatch, new id and a face indexed by another mode fail duplicateFace", generated.FaceRecognitionTypeUniqueMatchVerification, []prior{{"alice", ""}}, "alice", "u9",
			resOutcome{fr: fail, faceID: idOf("alice"), reasons: []generated.FailedReason{generated.DuplicateFace}}, map[string]string{"alice": ""}},

		{"Match, first use enrolls and passes", generated.FaceRecognitionTypeMatchVerification, nil, "alice", "u1",
			resOutcome{fr: pass, faceID: idOf("alice")}, map[string]string{"alice": "u1"}},
		{"Match, same face passes", generated.FaceRecognitionTypeMatchVerification, []prior{{"alice", "u1"}}, "alice", "u1",
			resOutcome{fr: pass, faceID: idOf("alice")}, map[string]string{"alice": "u1"}},
		{"Match, another face fails faceMismatch", generated.FaceRecognitionTypeMatchVerification, []prior{{"alice", "u1"}}, "mallory", "u1",
			resOutcome{fr: fail, reasons: []generated.FailedReason{generated.FaceMismatch}}, map[string]string{"alice": "u1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			faces := resNewFaces()
			for _, p := range tc.before {
				if p.externalID != "" {
					faces.inner.enroll(coll, p.externalID, p.face)
				} else {
					faces.inner.index(coll, p.face)
				}
			}
			subj := resolvedSubject{age: 30, gender: "Male", live: true, faceCount: 1, face: tc.face}
			in := sessionInput{id: resSessionID, externalID: tc.externalID,
				config: generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: resFR(tc.mode, coll)}}}
			got := computeResult(in, subj, faces)
			resCheck(t, got, resExpected(tc.want, in, subj))

			c := faces.inner.collections[coll]
			if c == nil {
				t.Fatal("collection missing")
			}
			gotFaces := map[string]string{}
			for face := range c.faces {
				gotFaces[face] = ""
			}
			for id, face := range c.enrolled {
				gotFaces[face] = id
			}
			if !reflect.DeepEqual(gotFaces, tc.after) {
				t.Errorf("collection after = %v, want %v", gotFaces, tc.after)
			}
		})
	}
}

// TestResFaceIDShape: a face id is 32 lowercase hex, stable for (account, collection, face) and
// different when any of the three differs.
func TestResFaceIDShape(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	base := stableFaceID("acct", "members", "alice")
	if !hex32.MatchString(base) {
		t.Fatalf("faceId %q is not 32 lowercase hex", base)
	}
	if again := stableFaceID("acct", "members", "alice"); again != base {
		t.Errorf("faceId not stable: %s then %s", base, again)
	}
	for _, other := range [][3]string{{"acct2", "members", "alice"}, {"acct", "others", "alice"}, {"acct", "members", "bob"}, {"acctmembers", "", "alice"}} {
		if id := stableFaceID(other[0], other[1], other[2]); id == base {
			t.Errorf("faceId of %v equals that of acct/members/alice", other)
		}
	}
}

// TestResResolveDoesNotShift: the faker draws every field in a fixed order, so a field the caller
// gives leaves the values the seed gives the other fields unchanged.
func TestResResolveDoesNotShift(t *testing.T) {
	open := func(seed uint64, specs ...SubjectSpec) []resolvedSubject {
		f := newSubjectFaker(seed)
		var out []resolvedSubject
		for _, sp := range specs {
			out = append(out, f.resolve(sp))
		}
		return out
	}
	live := SubjectSpec{Subject: &Subject{Live: ptr(true)}}
	base := open(5, live, live)
	for _, tc := range []struct {
		name  string
		given SubjectSpec
		check func(got, base resolvedSubject) bool
	}{
		{"age given", SubjectSpec{Subject: &Subject{Age: ptr(50.0)}}, func(g, b resolvedSubject) bool {
			return g.age == 50 && g.gender == b.gender && g.face == b.face
		}},
		{"gender given", SubjectSpec{Subject: &Subject{Gender: ptr("Male")}}, func(g, b resolvedSubject) bool {
			return g.gender == "Male" && g.age == b.age && g.face == b.face
		}},
		{"face given", SubjectSpec{Subject: &Subject{Face: ptr("carol")}}, func(g, b resolvedSubject) bool {
			return g.face == "carol" && g.age == b.age && g.gender == b.gender
		}},
		{"preset pass", SubjectSpec{Preset: "pass"}, func(g, b resolvedSubject) bool {
			return g.age == 34 && g.gender == b.gender && g.face == b.face
		}},
		{"preset noFace", SubjectSpec{Preset: "noFace"}, func(g, b resolvedSubject) bool {
			return g.faceCount == 0 && g.age == b.age && g.gender == b.gender && g.face == b.face
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := open(5, tc.given, live)
			if !tc.check(got[0], base[0]) {
				t.Errorf("first subject %+v, unshifted %+v", got[0], base[0])
			}
			if got[1] != base[1] {
				t.Errorf("the next subject moved: %+v, want %+v", got[1], base[1])
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		r := base[0]
		if !r.live || r.faceCount != 1 || r.age < 18 || r.age > 70 || (r.gender != "Male" && r.gender != "Female") || r.face == "" {
			t.Errorf("faker defaults: %+v", r)
		}
	})
}
