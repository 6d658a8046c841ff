package mockserver

import (
	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// faceIndex is what result computation needs of an account's face collections. Its methods are
// called with the store's lock held, so a completion and its indexing are one atomic step.
type faceIndex interface {
	// faceID returns the stable id of face in collection, and whether the face is indexed there.
	faceID(collection, face string) (id string, indexed bool)
	// index adds face to collection (a no-op when it is there) and returns its id.
	index(collection, face string) string
	// enrolled returns the face enrolled under externalID in collection, if any.
	enrolled(collection, externalID string) (face string, ok bool)
	// enroll ties externalID to face in collection (and indexes the face).
	enroll(collection, externalID, face string)
}

// sessionInput is everything a completion depends on besides the face collections.
type sessionInput struct {
	id          uuid.UUID
	config      generated.VerificationConfig // effective: overrides already applied
	externalID  string
	customInput map[string]string
}

// computeResult decides every result field of a session from its effective configuration and
// the subject, as the rules in docs/result-computation.md describe, indexing faces into faces.
func computeResult(in sessionInput, subj resolvedSubject, faces faceIndex) generated.SessionResult {
	res := generated.SessionResult{VerificationSessionId: in.id}
	faceCount := int32(subj.faceCount)
	res.TotalFaceCount = &faceCount
	if in.externalID != "" {
		res.CorrelationId = ptr(in.externalID)
	}
	if len(in.customInput) > 0 {
		// The session's own map, not a copy: neither is changed once stored, and a session
		// keeps its custom input once.
		ci := in.customInput
		res.CustomInputParameters = &ci
	}
	notExecuted := generated.VerifierResultNotExecuted
	res.LivenessVerificationResult = ptr(notExecuted)
	res.AgeVerificationResult = ptr(notExecuted)
	res.GenderVerificationResult = ptr(notExecuted)
	res.FaceRecognitionResult = ptr(notExecuted)

	v := verifiersOf(in.config)
	reasons := []generated.FailedReason{}
	switch {
	case subj.faceCount == 0:
		reasons = v.noFace(&res)
	case subj.faceCount > 1 && v.failOnMultiple:
		// The session is refused before any verifier runs, and nothing is indexed.
		reasons = append(reasons, generated.MultipleFaces)
	default:
		reasons = v.run(&res, in.externalID, subj, faces)
	}
	res.VerificationFailedReasons = &reasons
	res.VerificationResult = generated.SessionStatusPass
	if len(reasons) > 0 {
		res.VerificationResult = generated.SessionStatusFail
	}
	return res
}

// verifiers is what an effective configuration asks of each verifier; an omitted verifier is
// Disabled.
type verifiers struct {
	livenessOn     bool
	ageType        generated.AgeType
	age            *generated.AgeConfig
	genderOn       bool
	frType         generated.FaceRecognitionType
	collection     string
	failOnMultiple bool
}

func verifiersOf(cfg generated.VerificationConfig) verifiers {
	var vc generated.VerifierConfigs
	if cfg.VerifierConfigs != nil {
		vc = *cfg.VerifierConfigs
	}
	v := verifiers{
		livenessOn: vc.Liveness != nil && vc.Liveness.Type == generated.LivenessTypeVerification,
		ageType:    generated.AgeTypeDisabled,
		age:        vc.Age,
		genderOn:   vc.Gender != nil && vc.Gender.Type == generated.GenderTypeCalculationOnly,
		frType:     generated.FaceRecognitionTypeDisabled,
		failOnMultiple: vc.CommonSettings != nil && vc.CommonSettings.FailOnMultipleFacesDetected != nil &&
			*vc.CommonSettings.FailOnMultipleFacesDetected,
	}
	if vc.Age != nil {
		v.ageType = vc.Age.Type
	}
	if fr := vc.FaceRecognition; fr != nil && fr.CollectionId != nil {
		v.frType, v.collection = fr.Type, *fr.CollectionId
	}
	return v
}

// noFace is a session with nothing to look at: every verifier that gives a verdict fails,
// calculations give nothing.
func (v verifiers) noFace(res *generated.SessionResult) []generated.FailedReason {
	if v.livenessOn {
		res.LivenessVerificationResult = ptr(generated.VerifierResultFail)
	}
	if v.ageType == generated.AgeTypeThresholdVerification {
		res.AgeVerificationResult = ptr(generated.VerifierResultFail)
	}
	switch v.frType {
	case generated.FaceRecognitionTypeDuplicateVerification, generated.FaceRecognitionTypeUniqueMatchVerification, generated.FaceRecognitionTypeMatchVerification:
		res.FaceRecognitionResult = ptr(generated.VerifierResultFail)
	}
	return []generated.FailedReason{generated.NoFace}
}

// run runs each enabled verifier on the subject and returns the reasons the session failed.
func (v verifiers) run(res *generated.SessionResult, externalID string, subj resolvedSubject, faces faceIndex) []generated.FailedReason {
	reasons := []generated.FailedReason{}
	fail := func(r generated.FailedReason) { reasons = append(reasons, r) }
	verdict := func(ok bool, reason generated.FailedReason) *generated.VerifierResult {
		if ok {
			return ptr(generated.VerifierResultPass)
		}
		fail(reason)
		return ptr(generated.VerifierResultFail)
	}
	if v.livenessOn {
		res.LivenessVerificationResult = verdict(subj.live, generated.LivenessFailed)
	}
	switch v.ageType {
	case generated.AgeTypeThresholdVerification:
		res.EstimatedAge = ptr(subj.age)
		res.AgeVerificationResult = verdict(agePasses(subj.age, v.age), generated.AgeVerificationFailed)
	case generated.AgeTypeCalculationOnly:
		res.EstimatedAge = ptr(subj.age)
	}
	if v.genderOn {
		res.EstimatedGender = ptr(generated.Gender(subj.gender))
	}
	if v.frType != generated.FaceRecognitionTypeDisabled {
		res.FaceRecognitionResult, res.FaceId = recognize(v.frType, v.collection, externalID, subj.face, faces, fail)
	}
	return reasons
}

// agePasses applies an age threshold: Above passes an age at or above it, Below an age under it.
func agePasses(age float64, cfg *generated.AgeConfig) bool {
	if cfg.Threshold == nil {
		return false
	}
	t := float64(*cfg.Threshold)
	if cfg.Direction != nil && *cfg.Direction == generated.Below {
		return age < t
	}
	return age >= t
}

// recognize runs one face-recognition mode against the collection.
func recognize(mode generated.FaceRecognitionType, collection, externalID, face string, faces faceIndex, fail func(generated.FailedReason)) (*generated.VerifierResult, *string) {
	pass, failed := ptr(generated.VerifierResultPass), ptr(generated.VerifierResultFail)
	switch mode {
	case generated.FaceRecognitionTypeCalculationOnly:
		id := faces.index(collection, face)
		return ptr(generated.VerifierResultNotExecuted), &id
	case generated.FaceRecognitionTypeDuplicateVerification:
		if id, seen := faces.faceID(collection, face); seen {
			fail(generated.DuplicateFace)
			return failed, &id
		}
		id := faces.index(collection, face)
		return pass, &id
	case generated.FaceRecognitionTypeUniqueMatchVerification:
		if enrolledFace, ok := faces.enrolled(collection, externalID); ok {
			id, _ := faces.faceID(collection, face)
			if enrolledFace == face {
				return pass, &id
			}
			fail(generated.FaceMismatch)
			if id == "" {
				return failed, nil
			}
			return failed, &id
		}
		if id, seen := faces.faceID(collection, face); seen {
			fail(generated.DuplicateFace)
			return failed, &id
		}
		faces.enroll(collection, externalID, face)
		id, _ := faces.faceID(collection, face)
		return pass, &id
	case generated.FaceRecognitionTypeMatchVerification:
		if enrolledFace, ok := faces.enrolled(collection, externalID); ok {
			if enrolledFace == face {
				id, _ := faces.faceID(collection, face)
				return pass, &id
			}
			fail(generated.FaceMismatch)
			if id, indexed := faces.faceID(collection, face); indexed {
				return failed, &id
			}
			return failed, nil
		}
		faces.enroll(collection, externalID, face)
		id, _ := faces.faceID(collection, face)
		return pass, &id
	}
	return ptr(generated.VerifierResultNotExecuted), nil
}
