package mockserver

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
)

// The real hosted page runs a camera check on a person. The mock stands a simulated subject in
// front of the camera instead: chosen by the caller (a preset or field by field), with whatever
// the caller leaves open drawn from a faker seeded by Options.Seed.

// Subject is the simulated person a session sees. Nil fields are filled when the session
// completes: age and gender from the seeded faker, live true, faceCount 1, and a face nobody has
// shown before.
type Subject struct {
	// Age is the estimated age in years.
	Age *float64 `json:"age,omitempty"`
	// Gender is "Male" or "Female".
	Gender *string `json:"gender,omitempty"`
	// Live is false for a spoof (a photo or a screen instead of a person).
	Live *bool `json:"live,omitempty"`
	// FaceCount is how many faces the camera sees; the dominant one is used.
	FaceCount *int `json:"faceCount,omitempty"`
	// Face is the identity of the dominant face: two subjects with the same Face are the same
	// person, for face recognition.
	Face *string `json:"face,omitempty"`
}

// SubjectSpec asks for a subject: a named preset, or a subject given field by field, or both
// (the fields then refine the preset).
type SubjectSpec struct {
	Preset  string   `json:"preset,omitempty"`
	Subject *Subject `json:"subject,omitempty"`
}

// Presets are the named subjects. Each leaves the face identity to the faker, so every use is a
// new person unless a face is given.
var Presets = map[string]Subject{
	"pass":          {Age: ptr(34.0), Live: ptr(true), FaceCount: ptr(1)},
	"underage":      {Age: ptr(15.0), Live: ptr(true), FaceCount: ptr(1)},
	"spoof":         {Age: ptr(34.0), Live: ptr(false), FaceCount: ptr(1)},
	"noFace":        {FaceCount: ptr(0)},
	"multipleFaces": {Age: ptr(34.0), Live: ptr(true), FaceCount: ptr(2)},
}

func ptr[T any](v T) *T { return &v }

// PresetNames lists the presets in a stable order.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// check reports the first problem with the spec, naming the field.
func (sp SubjectSpec) check() fieldErrors {
	if sp.Preset == "" && sp.Subject == nil {
		return fieldError("preset", fmt.Sprintf(`give "preset" (one of %s) or "subject"`, strings.Join(PresetNames(), ", ")))
	}
	if sp.Preset != "" {
		if _, ok := Presets[sp.Preset]; !ok {
			return fieldError("preset", fmt.Sprintf("must be one of %s (got %q)", strings.Join(PresetNames(), ", "), sp.Preset))
		}
	}
	if s := sp.Subject; s != nil {
		if s.Age != nil && (math.IsNaN(*s.Age) || *s.Age < 0 || *s.Age > 130) {
			return fieldError("subject.age", "must be between 0 and 130")
		}
		if s.Gender != nil && *s.Gender != "Male" && *s.Gender != "Female" {
			return fieldError("subject.gender", fmt.Sprintf("must be Male or Female (got %q)", *s.Gender))
		}
		if s.FaceCount != nil && (*s.FaceCount < 0 || *s.FaceCount > 20) {
			return fieldError("subject.faceCount", "must be between 0 and 20")
		}
		if s.Face != nil && strings.TrimSpace(*s.Face) == "" {
			return fieldError("subject.face", "must not be blank")
		}
	}
	return nil
}

// resolvedSubject is a subject with every field known.
type resolvedSubject struct {
	age       float64
	gender    string
	live      bool
	faceCount int
	face      string
}

// subjectFaker fills open subject fields from a seeded PCG source. It draws exactly what
// gofakeit.New(seed)'s Float64Range, RandomString and UUID draw (TestSubjectFakerMatchesGofakeit),
// without linking gofakeit's data tables into the mock. Seed 0 is a seed like any other, so a
// mock built with the zero Options is as reproducible as one with a seed (gofakeit, unlike this
// faker, reads 0 as "pick a random seed"); the binary picks a random seed itself and prints it.
type subjectFaker struct {
	mu  sync.Mutex
	src *rand.PCG
}

func newSubjectFaker(seed uint64) *subjectFaker {
	return &subjectFaker{src: rand.NewPCG(seed, seed)}
}

// float64Range is a number in [lo, hi): 53 random bits scaled.
func (sf *subjectFaker) float64Range(lo, hi float64) float64 {
	return float64(sf.src.Uint64()<<11>>11)/(1<<53)*(hi-lo) + lo
}

// oneOf picks one of two values.
func (sf *subjectFaker) oneOf(a, b string) string {
	if sf.src.Uint64()&1 == 0 {
		return a
	}
	return b
}

// uuid is a version 4 UUID from 128 random bits.
func (sf *subjectFaker) uuid() string {
	var u [16]byte
	for half := range 2 {
		r := sf.src.Uint64()
		for i := range 8 {
			u[half*8+i] = byte(r)
			r >>= 8
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexDigits = "0123456789abcdef"
	var buf [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[j] = '-'
			j++
		}
		buf[j], buf[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	return string(buf[:])
}

// resolve applies the preset, then the explicit fields, then fills the rest.
func (sf *subjectFaker) resolve(sp SubjectSpec) resolvedSubject {
	var s Subject
	if p, ok := Presets[sp.Preset]; ok {
		s = p
	}
	if o := sp.Subject; o != nil {
		if o.Age != nil {
			s.Age = o.Age
		}
		if o.Gender != nil {
			s.Gender = o.Gender
		}
		if o.Live != nil {
			s.Live = o.Live
		}
		if o.FaceCount != nil {
			s.FaceCount = o.FaceCount
		}
		if o.Face != nil {
			s.Face = o.Face
		}
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	r := resolvedSubject{live: true, faceCount: 1}
	// Draw every random field in a fixed order whether or not it is used, so one field given
	// by the caller does not shift the values the seed gives the others.
	age := math.Round(sf.float64Range(18, 70)*10) / 10
	gender := sf.oneOf("Male", "Female")
	face := "face-" + sf.uuid()
	r.age, r.gender, r.face = age, gender, face
	if s.Age != nil {
		r.age = *s.Age
	}
	if s.Gender != nil {
		r.gender = *s.Gender
	}
	if s.Live != nil {
		r.live = *s.Live
	}
	if s.FaceCount != nil {
		r.faceCount = *s.FaceCount
	}
	if s.Face != nil {
		r.face = *s.Face
	}
	return r
}
