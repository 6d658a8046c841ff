package contract

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

const (
	opCreateVerification = "createVerification"
	opGetVerification    = "getVerification"
	opGetAll             = "getAllVerifications"
	opUpdateVerification = "updateVerification"
	opUpsertVerification = "createOrUpdateVerification"
	opDeleteVerification = "deleteVerification"
)

func str(s string) *string { return &s }

// seedConfig is the configuration of the vendor's example, without its webhook.
func seedConfig(collection string) generated.VerificationConfig {
	return generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:        &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: ptr(generated.Balanced)},
			Age:             &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: str(collection)},
			Gender:          &generated.GenderConfig{Type: generated.GenderTypeCalculationOnly},
		},
		RedirectConfig: &generated.RedirectConfig{
			PassedUrl: str("https://example.com?result=passed"),
			FailedUrl: str("https://example.com?result=failed"),
		},
		ResultParameterConfig: &generated.ResultParameterConfig{
			IncludeSignature: b(true), IncludeSessionId: b(true), IncludeFaceId: b(true), IncludeAge: b(true),
			IncludeGender: b(true), IncludeVerificationResult: b(true), IncludeCustomInputParameters: b(true),
			IncludeLivenessCheckResult: b(true), IncludeAgeVerificationResult: b(true), IncludeGenderVerificationResult: b(false),
			IncludeFaceRecognitionResult: b(true), IncludeCorrelationId: b(true), IncludeTotalFaceCount: b(true), IncludeFailedReason: b(true),
		},
		SecurityConfig: &generated.SecurityConfig{ForceSignedInput: b(true)},
		SessionOverrideConfig: &generated.SessionOverrideConfig{
			AllowVerifierOverrides: b(true), AllowResultParameterOverrides: b(false), AllowRedirectOverrides: b(false),
		},
	}
}

// hostedConfig is a configuration for hosted-page scenarios: liveness only, signed links.
func hostedConfig() generated.VerificationConfig {
	cfg := seedConfig("contract-hosted")
	cfg.VerifierConfigs = &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}
	return cfg
}

func ptr[T any](v T) *T { return &v }

// createVerification creates a verification and deletes it again when the scenario ends.
func createVerification(t *T, name string, cfg generated.VerificationConfig) uuid.UUID {
	resp, err := t.Client.CreateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: name, VerificationConfig: cfg})
	if err != nil {
		t.Fatalf("%s: %v", opCreateVerification, err)
	}
	if !t.Status(opCreateVerification, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
		t.Fatalf("%s: no verification id", opCreateVerification)
	}
	id := resp.JSON200.VerificationId
	t.Cleanup(func() { deleteQuietly(t, id) })
	return id
}

// deleteQuietly removes a verification a scenario created, if it is still there.
func deleteQuietly(t *T, id uuid.UUID) {
	resp, err := t.Client.DeleteVerificationWithResponse(t.Context(), &generated.DeleteVerificationParams{VerificationId: id})
	if err != nil {
		t.Errorf("cleanup: %s %s: %v", opDeleteVerification, id, err)
		return
	}
	if resp.StatusCode() != http.StatusOK && resp.StatusCode() != http.StatusNotFound {
		t.Errorf("cleanup: %s %s: status %d", opDeleteVerification, id, resp.StatusCode())
	}
}

// cleanupByName deletes verifications named name, for scenarios whose create should have failed.
func cleanupByName(t *T, name string) {
	t.Cleanup(func() {
		resp, err := t.Client.GetAllVerificationsWithResponse(t.Context())
		if err != nil || resp.JSON200 == nil {
			return
		}
		for _, v := range resp.JSON200.Verifications {
			if v.Name == name {
				deleteQuietly(t, v.VerificationId)
			}
		}
	})
}

func getVerification(t *T, id uuid.UUID) (int, *generated.Verification) {
	resp, err := t.Client.GetVerificationWithResponse(t.Context(), &generated.GetVerificationParams{VerificationId: id})
	if err != nil {
		t.Fatalf("%s: %v", opGetVerification, err)
	}
	if resp.JSON200 == nil {
		return resp.StatusCode(), nil
	}
	return resp.StatusCode(), &resp.JSON200.Verification
}

func listVerifications(t *T) []generated.VerificationSummary {
	resp, err := t.Client.GetAllVerificationsWithResponse(t.Context())
	if err != nil {
		t.Fatalf("%s: %v", opGetAll, err)
	}
	if !t.Status(opGetAll, resp.StatusCode(), resp.Body, http.StatusOK) || resp.JSON200 == nil {
		t.Fatalf("%s: no list", opGetAll)
	}
	return resp.JSON200.Verifications
}

func init() {
	register(
		Scenario{Name: "verifications/lifecycle", Needs: []Need{WritesConfig}, Probes: []string{"verifications.delete-empty-body"}, Run: func(t *T) {
			name := t.Unique("lifecycle")
			cfg := seedConfig("contract-collection-a")
			id := createVerification(t, name, cfg)

			status, v := getVerification(t, id)
			if !t.Status(opGetVerification, status, nil, http.StatusOK) || v == nil {
				t.Fatalf("%s: the new verification cannot be read", opGetVerification)
			}
			t.Equal(opGetVerification, "verification.verificationId", v.VerificationId, id)
			t.Equal(opGetVerification, "verification.name", v.Name, name)
			t.Equal(opGetVerification, "verification.created", v.LastModified.Equal(v.Created), true)
			vc := v.VerificationConfig
			if t.True(vc.VerifierConfigs != nil, opGetVerification, "verification.verificationConfig.verifierConfigs", nil, "present") {
				vcs := vc.VerifierConfigs
				t.Equal(opGetVerification, "verifierConfigs.liveness.type", vcs.Liveness.Type, generated.LivenessTypeVerification)
				t.Equal(opGetVerification, "verifierConfigs.faceRecognition.type", vcs.FaceRecognition.Type, generated.FaceRecognitionTypeDuplicateVerification)
				t.Equal(opGetVerification, "verifierConfigs.faceRecognition.collectionId", vcs.FaceRecognition.CollectionId, str("contract-collection-a"))
				t.Equal(opGetVerification, "verifierConfigs.age.type", vcs.Age.Type, generated.AgeTypeCalculationOnly)
			}
			if t.True(vc.RedirectConfig != nil, opGetVerification, "verificationConfig.redirectConfig", nil, "present") {
				t.Equal(opGetVerification, "redirectConfig.passedUrl", vc.RedirectConfig.PassedUrl, cfg.RedirectConfig.PassedUrl)
			}
			t.Equal(opGetVerification, "resultParameterConfig.includeGenderVerificationResult", vc.ResultParameterConfig.IncludeGenderVerificationResult, false)
			t.Equal(opGetVerification, "resultParameterConfig.includeFaceId", vc.ResultParameterConfig.IncludeFaceId, true)

			found := false
			for _, s := range listVerifications(t) {
				if s.VerificationId == id {
					found = true
					t.Equal(opGetAll, "verifications[].name", s.Name, name)
				}
			}
			t.True(found, opGetAll, "verifications", "without "+id.String(), "the new verification listed")

			renamed := t.Unique("lifecycle-renamed")
			cfg2 := seedConfig("contract-collection-b")
			up, err := t.Client.UpdateVerificationWithResponse(t.Context(), generated.UpdateVerificationRequest{VerificationId: id, Name: renamed, VerificationConfig: cfg2})
			if err != nil {
				t.Fatalf("%s: %v", opUpdateVerification, err)
			}
			if t.Status(opUpdateVerification, up.StatusCode(), up.Body, http.StatusOK) && up.JSON200 != nil {
				t.Equal(opUpdateVerification, "verificationId", up.JSON200.VerificationId, id)
			}
			if status, v := getVerification(t, id); t.Status(opGetVerification, status, nil, http.StatusOK) && v != nil {
				t.Equal(opGetVerification, "verification.name after update", v.Name, renamed)
				t.Equal(opGetVerification, "faceRecognition.collectionId after update", v.VerificationConfig.VerifierConfigs.FaceRecognition.CollectionId, str("contract-collection-b"))
				t.True(!v.LastModified.Before(v.Created), opGetVerification, "verification.lastModified", v.LastModified, "not before created")
			}

			del, err := t.Client.DeleteVerificationWithResponse(t.Context(), &generated.DeleteVerificationParams{VerificationId: id})
			if err != nil {
				t.Fatalf("%s: %v", opDeleteVerification, err)
			}
			t.Status(opDeleteVerification, del.StatusCode(), del.Body, http.StatusOK)
			status, _ = getVerification(t, id)
			t.Equal(opGetVerification, "status after delete", status, http.StatusNotFound)
			del, _ = t.Client.DeleteVerificationWithResponse(t.Context(), &generated.DeleteVerificationParams{VerificationId: id})
			t.Equal(opDeleteVerification, "status of a second delete", del.StatusCode(), http.StatusNotFound)
		}},
		Scenario{Name: "verifications/create-duplicate-name", Needs: []Need{WritesConfig}, Probes: []string{"verifications.name-rules"}, Run: func(t *T) {
			name := t.Unique("duplicate")
			createVerification(t, name, seedConfig("contract-dup"))
			cleanupByName(t, name)
			status, h, body := t.rawJSON(http.MethodPost, "/v1/verification/create", generated.VerificationInput{Name: name, VerificationConfig: seedConfig("contract-dup")})
			t.Problem(opCreateVerification, status, h, body, http.StatusConflict, "")
		}},
		Scenario{Name: "verifications/rename-conflict", Needs: []Need{WritesConfig}, Run: func(t *T) {
			first, second := t.Unique("first"), t.Unique("second")
			createVerification(t, first, seedConfig("contract-rename"))
			id2 := createVerification(t, second, seedConfig("contract-rename"))
			status, h, body := t.rawJSON(http.MethodPut, "/v1/verification/update", generated.UpdateVerificationRequest{VerificationId: id2, Name: first, VerificationConfig: seedConfig("contract-rename")})
			t.Problem(opUpdateVerification, status, h, body, http.StatusConflict, "")
			// Renaming to its own name is not a conflict.
			up, err := t.Client.UpdateVerificationWithResponse(t.Context(), generated.UpdateVerificationRequest{VerificationId: id2, Name: second, VerificationConfig: seedConfig("contract-rename")})
			if err == nil {
				t.Status(opUpdateVerification, up.StatusCode(), up.Body, http.StatusOK)
			}
		}},
		Scenario{Name: "verifications/update-unknown", Needs: []Need{WritesConfig}, Run: func(t *T) {
			name := t.Unique("ghost")
			cleanupByName(t, name)
			status, h, body := t.rawJSON(http.MethodPut, "/v1/verification/update", generated.UpdateVerificationRequest{VerificationId: uuid.New(), Name: name, VerificationConfig: seedConfig("contract-ghost")})
			t.Problem(opUpdateVerification, status, h, body, http.StatusNotFound, "")
		}},
		Scenario{Name: "verifications/create-or-update", Needs: []Need{WritesConfig}, Run: func(t *T) {
			name := t.Unique("upsert")
			cleanupByName(t, name)
			first, err := t.Client.CreateOrUpdateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: name, VerificationConfig: seedConfig("contract-upsert-a")})
			if err != nil || !t.Status(opUpsertVerification, first.StatusCode(), first.Body, http.StatusOK) || first.JSON200 == nil {
				t.Fatalf("%s: first call failed: %v", opUpsertVerification, err)
			}
			t.Equal(opUpsertVerification, "wasCreated of the first call", first.JSON200.WasCreated, true)
			second, err := t.Client.CreateOrUpdateVerificationWithResponse(t.Context(), generated.VerificationInput{Name: name, VerificationConfig: seedConfig("contract-upsert-b")})
			if err != nil || !t.Status(opUpsertVerification, second.StatusCode(), second.Body, http.StatusOK) || second.JSON200 == nil {
				t.Fatalf("%s: second call failed: %v", opUpsertVerification, err)
			}
			t.Equal(opUpsertVerification, "wasCreated of the second call", second.JSON200.WasCreated, false)
			t.Equal(opUpsertVerification, "verificationId of the second call", second.JSON200.VerificationId, first.JSON200.VerificationId)
			if status, v := getVerification(t, first.JSON200.VerificationId); status == http.StatusOK && v != nil {
				t.Equal(opGetVerification, "faceRecognition.collectionId after the update", v.VerificationConfig.VerifierConfigs.FaceRecognition.CollectionId, str("contract-upsert-b"))
			}
		}},
		Scenario{Name: "verifications/get-all-in-stable-order", Needs: []Need{WritesConfig}, Probes: []string{"verifications.get-all-creation-order"}, Run: func(t *T) {
			var ids []uuid.UUID
			for _, n := range []string{"order-1", "order-2", "order-3"} {
				ids = append(ids, createVerification(t, t.Unique(n), seedConfig("contract-order")))
			}
			positions := func() []int {
				var pos []int
				for i, s := range listVerifications(t) {
					for _, id := range ids {
						if s.VerificationId == id {
							pos = append(pos, i)
						}
					}
				}
				return pos
			}
			a, bb := positions(), positions()
			t.Equal(opGetAll, "positions of three new verifications, listed twice", a, bb)
			t.Equal(opGetAll, "how many of the three are listed", len(a), 3)
		}},
		Scenario{Name: "verifications/get-unknown", Needs: []Need{ReadOnly}, Run: func(t *T) {
			status, h, body := t.Raw(http.MethodGet, "/v1/verification/get?verificationId="+uuid.NewString(), nil, map[string]string{"Authorization": t.AuthHeader()})
			t.Problem(opGetVerification, status, h, body, http.StatusNotFound, "")
		}},
		Scenario{Name: "verifications/delete-unknown", Needs: []Need{ReadOnly}, Run: func(t *T) {
			status, h, body := t.Raw(http.MethodDelete, "/v1/verification/delete?verificationId="+uuid.NewString(), nil, map[string]string{"Authorization": t.AuthHeader()})
			t.Problem(opDeleteVerification, status, h, body, http.StatusNotFound, "")
		}},
		Scenario{Name: "verifications/documented-defaults", Needs: []Need{WritesConfig}, Run: func(t *T) {
			// A minimal configuration: the documented defaults must be filled in.
			id := createVerification(t, t.Unique("defaults"), generated.VerificationConfig{
				VerifierConfigs: &generated.VerifierConfigs{Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}},
			})
			status, v := getVerification(t, id)
			if !t.Status(opGetVerification, status, nil, http.StatusOK) || v == nil {
				return
			}
			sc := v.VerificationConfig.SecurityConfig
			t.True(sc.ForceSignedInput, opGetVerification, "securityConfig.forceSignedInput", sc, "true (the documented default)")
		}},
	)
}
