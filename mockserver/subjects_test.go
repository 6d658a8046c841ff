package mockserver_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// Simulated subjects through the whole mock: presets, partial subjects filled by the seeded
// faker, and the checks on what a caller may ask for.

// resReportAll is a session configuration that reports every value a subject has: liveness,
// estimated age and gender, and a face id.
func resReportAll() generated.CreateSessionRequest {
	return generated.CreateSessionRequest{VerifierConfigs: &generated.VerifierConfigs{
		Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
		Age:             &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
		Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
		FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeCalculationOnly, CollectionId: ptrTo("seen")},
	}}
}

// resSeededRun starts a mock with seed and completes one session per spec, in order.
func resSeededRun(t *testing.T, seed uint64, specs ...mockserver.SubjectSpec) []generated.SessionResult {
	t.Helper()
	e := newFlowEnv(t, mockserver.Options{Seed: seed})
	var out []generated.SessionResult
	for _, sp := range specs {
		id := resStartSession(t, e.client, resReportAll())
		done, err := e.mock.CompleteSession(id, sp)
		if err != nil {
			t.Fatalf("complete with %+v: %v", sp, err)
		}
		out = append(out, done.Result)
	}
	return out
}

// resDrawn is what the faker may have drawn for a result: age, gender, face id.
type resDrawn struct {
	age    float64
	gender generated.Gender
	faceID string
}

func resDrawnOf(t *testing.T, r generated.SessionResult) resDrawn {
	t.Helper()
	if r.EstimatedAge == nil || r.EstimatedGender == nil || r.FaceId == nil {
		t.Fatalf("result lacks an estimate: %+v", r)
	}
	return resDrawn{*r.EstimatedAge, *r.EstimatedGender, *r.FaceId}
}

var resPartialSpecs = []mockserver.SubjectSpec{
	{Preset: "pass"},
	{Subject: &mockserver.Subject{Live: ptrTo(true)}},
	{Preset: "underage"},
	{Subject: &mockserver.Subject{Age: ptrTo(50.0)}},
	{Preset: "spoof", Subject: &mockserver.Subject{Gender: ptrTo("Male")}},
	{Subject: &mockserver.Subject{Face: ptrTo("alice")}},
	{Preset: "multipleFaces"},
	{Subject: &mockserver.Subject{Live: ptrTo(true)}},
}

// TestResSeededFakerReproducible: two mocks with one seed, given the same sessions with partial
// subjects, give identical results; another seed gives other values.
func TestResSeededFakerReproducible(t *testing.T) {
	a := resSeededRun(t, 11, resPartialSpecs...)
	b := resSeededRun(t, 11, resPartialSpecs...)
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Errorf("session %d differs between two mocks with seed 11:\n%s\n%s", i+1, resJSONOf(a[i]), resJSONOf(b[i]))
		}
	}
	c := resSeededRun(t, 12, resPartialSpecs...)
	differs := false
	for i := range a {
		if resDrawnOf(t, a[i]) != resDrawnOf(t, c[i]) {
			differs = true
		}
	}
	if !differs {
		t.Error("seed 12 drew the same ages, genders and faces as seed 11")
	}
	// What the caller gave is kept whatever the seed.
	for i, want := range map[int]float64{0: 34, 2: 15, 3: 50, 4: 34, 6: 34} {
		if *a[i].EstimatedAge != want || *c[i].EstimatedAge != want {
			t.Errorf("session %d: ages %v and %v, want %v", i+1, *a[i].EstimatedAge, *c[i].EstimatedAge, want)
		}
	}
	if *a[4].EstimatedGender != generated.Male || *c[4].EstimatedGender != generated.Male {
		t.Error("the given gender was not kept")
	}
	if *a[5].FaceId != *c[5].FaceId {
		t.Error("a given face has another id under another seed")
	}
	// Faker ages stay in the documented adult range, with one decimal.
	for _, r := range append(a, c...) {
		if age := *r.EstimatedAge; age < 15 || age > 70 || age*10 != float64(int(age*10)) {
			t.Errorf("estimated age %v", age)
		}
	}
}

// TestResGivenFieldDoesNotShift: giving one field leaves the values the seed draws for the other
// fields, and for later sessions, unchanged.
func TestResGivenFieldDoesNotShift(t *testing.T) {
	live := mockserver.SubjectSpec{Subject: &mockserver.Subject{Live: ptrTo(true)}}
	base := resSeededRun(t, 21, live, live)
	b0 := resDrawnOf(t, base[0])
	for _, tc := range []struct {
		name  string
		given mockserver.SubjectSpec
		want  func(resDrawn) resDrawn // the first session's values, from the unshifted ones
	}{
		{"age", mockserver.SubjectSpec{Subject: &mockserver.Subject{Age: ptrTo(61.5)}}, func(d resDrawn) resDrawn { d.age = 61.5; return d }},
		{"gender", mockserver.SubjectSpec{Subject: &mockserver.Subject{Gender: ptrTo(string(resOtherGender(b0.gender)))}}, func(d resDrawn) resDrawn { d.gender = resOtherGender(d.gender); return d }},
		{"live false", mockserver.SubjectSpec{Subject: &mockserver.Subject{Live: ptrTo(false)}}, func(d resDrawn) resDrawn { return d }},
		{"two faces", mockserver.SubjectSpec{Subject: &mockserver.Subject{FaceCount: ptrTo(2)}}, func(d resDrawn) resDrawn { return d }},
		{"preset pass", mockserver.SubjectSpec{Preset: "pass"}, func(d resDrawn) resDrawn { d.age = 34; return d }},
		{"preset underage, gender given", mockserver.SubjectSpec{Preset: "underage", Subject: &mockserver.Subject{Gender: ptrTo("Female")}},
			func(d resDrawn) resDrawn { d.age, d.gender = 15, generated.Female; return d }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resSeededRun(t, 21, tc.given, live)
			if g, w := resDrawnOf(t, got[0]), tc.want(b0); g != w {
				t.Errorf("first session %+v, want %+v", g, w)
			}
			if !reflect.DeepEqual(got[1], base[1]) {
				t.Errorf("the next session moved:\n%s\nwant\n%s", resJSONOf(got[1]), resJSONOf(base[1]))
			}
		})
	}
	t.Run("face", func(t *testing.T) {
		got := resSeededRun(t, 21, mockserver.SubjectSpec{Subject: &mockserver.Subject{Face: ptrTo("zed")}}, live)
		g := resDrawnOf(t, got[0])
		if g.age != b0.age || g.gender != b0.gender || g.faceID == b0.faceID {
			t.Errorf("first session %+v, unshifted %+v", g, b0)
		}
		if !reflect.DeepEqual(got[1], base[1]) {
			t.Error("the next session moved")
		}
	})
}

// resJSONOf renders v for a failure message.
func resJSONOf(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func resOtherGender(g generated.Gender) generated.Gender {
	if g == generated.Male {
		return generated.Female
	}
	return generated.Male
}

// TestResPresetsThroughTheMock completes a session of the vendor's example configuration (every
// verifier, age 18 and above) with each preset.
func TestResPresetsThroughTheMock(t *testing.T) {
	if got, want := mockserver.PresetNames(), []string{"multipleFaces", "noFace", "pass", "spoof", "underage"}; !slices.Equal(got, want) {
		t.Fatalf("PresetNames = %v, want %v", got, want)
	}
	keys := make([]string, 0, len(mockserver.Presets))
	for k := range mockserver.Presets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, mockserver.PresetNames()) {
		t.Errorf("Presets keys %v differ from PresetNames", keys)
	}
	e := newFlowEnv(t, mockserver.Options{Seed: 3})
	e.createHostedVerification("Gate", "")
	name := "Gate"
	pass, fail, ne := generated.VerifierResultPass, generated.VerifierResultFail, generated.VerifierResultNotExecuted
	for _, tc := range []struct {
		preset                 string
		status                 generated.SessionStatus
		reasons                []generated.FailedReason
		liveness, age, gender  generated.VerifierResult
		fr                     generated.VerifierResult
		faces                  int32
		estimates, faceIDShown bool
	}{
		{"pass", generated.SessionStatusPass, []generated.FailedReason{}, pass, pass, ne, pass, 1, true, true},
		{"underage", generated.SessionStatusFail, []generated.FailedReason{generated.AgeVerificationFailed}, pass, fail, ne, pass, 1, true, true},
		{"spoof", generated.SessionStatusFail, []generated.FailedReason{generated.LivenessFailed}, fail, pass, ne, pass, 1, true, true},
		{"noFace", generated.SessionStatusFail, []generated.FailedReason{generated.NoFace}, fail, fail, ne, fail, 0, false, false},
		{"multipleFaces", generated.SessionStatusPass, []generated.FailedReason{}, pass, pass, ne, pass, 2, true, true},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			id := resStartSession(t, e.client, generated.CreateSessionRequest{Name: &name, ExternalId: ptrTo("ext-" + tc.preset)})
			done, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: tc.preset})
			if err != nil {
				t.Fatal(err)
			}
			r := done.Result
			if r.VerificationResult != tc.status || !slices.Equal(resReasons(r), tc.reasons) ||
				*r.LivenessVerificationResult != tc.liveness || *r.AgeVerificationResult != tc.age ||
				*r.GenderVerificationResult != tc.gender || *r.FaceRecognitionResult != tc.fr ||
				*r.TotalFaceCount != tc.faces || (r.EstimatedAge != nil) != tc.estimates ||
				(r.EstimatedGender != nil) != tc.estimates || (r.FaceId != nil) != tc.faceIDShown ||
				r.CorrelationId == nil || *r.CorrelationId != "ext-"+tc.preset {
				t.Errorf("result %s", resJSONOf(r))
			}
		})
	}
}

// TestResSubjectChecks: an impossible subject is refused by QueueSubjects and CompleteSession
// with ErrBadSubject, and changes nothing.
func TestResSubjectChecks(t *testing.T) {
	e := newFlowEnv(t, mockserver.Options{})
	for _, tc := range []struct {
		name string
		spec mockserver.SubjectSpec
	}{
		{"empty", mockserver.SubjectSpec{}},
		{"unknown preset", mockserver.SubjectSpec{Preset: "robot"}},
		{"negative age", mockserver.SubjectSpec{Subject: &mockserver.Subject{Age: ptrTo(-1.0)}}},
		{"age over 130", mockserver.SubjectSpec{Subject: &mockserver.Subject{Age: ptrTo(131.0)}}},
		{"lowercase gender", mockserver.SubjectSpec{Subject: &mockserver.Subject{Gender: ptrTo("male")}}},
		{"negative face count", mockserver.SubjectSpec{Subject: &mockserver.Subject{FaceCount: ptrTo(-1)}}},
		{"21 faces", mockserver.SubjectSpec{Subject: &mockserver.Subject{FaceCount: ptrTo(21)}}},
		{"blank face", mockserver.SubjectSpec{Preset: "pass", Subject: &mockserver.Subject{Face: ptrTo("  ")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.mock.QueueSubjects(mockserver.SubjectSpec{Preset: "pass"}, tc.spec); !errors.Is(err, mockserver.ErrBadSubject) {
				t.Errorf("QueueSubjects: %v, want ErrBadSubject", err)
			}
			if q := e.mock.QueuedSubjects(); len(q) != 0 {
				t.Errorf("a refused batch queued %v", q)
			}
			id := resStartSession(t, e.client, resReportAll())
			if _, err := e.mock.CompleteSession(id, tc.spec); !errors.Is(err, mockserver.ErrBadSubject) {
				t.Errorf("CompleteSession: %v, want ErrBadSubject", err)
			}
			if r := resFetchResult(t, e.client, id); r.VerificationResult != generated.SessionStatusPending {
				t.Errorf("a refused completion changed the session: %s", r.VerificationResult)
			}
		})
	}
	t.Run("boundaries are accepted", func(t *testing.T) {
		for _, sp := range []mockserver.SubjectSpec{
			{Subject: &mockserver.Subject{Age: ptrTo(0.0), FaceCount: ptrTo(0)}},
			{Subject: &mockserver.Subject{Age: ptrTo(130.0), FaceCount: ptrTo(20), Gender: ptrTo("Female"), Face: ptrTo("x")}},
		} {
			if _, err := e.mock.CompleteSession(resStartSession(t, e.client, resReportAll()), sp); err != nil {
				t.Errorf("%+v: %v", *sp.Subject, err)
			}
		}
	})
	t.Run("unknown and completed sessions", func(t *testing.T) {
		if _, err := e.mock.CompleteSession(uuid.New(), mockserver.SubjectSpec{Preset: "pass"}); !errors.Is(err, mockserver.ErrSessionNotFound) {
			t.Errorf("unknown session: %v, want ErrSessionNotFound", err)
		}
		id := resStartSession(t, e.client, resReportAll())
		if _, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.mock.CompleteSession(id, mockserver.SubjectSpec{Preset: "pass"}); !errors.Is(err, mockserver.ErrSessionCompleted) {
			t.Errorf("second completion: %v, want ErrSessionCompleted", err)
		}
	})
}
