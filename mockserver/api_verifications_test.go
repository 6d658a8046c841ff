package mockserver_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// apiMissingID is a well-formed id no verification or session has.
var apiMissingID = uuid.MustParse("39e00c96-6431-4b2e-8707-2fb80e561fbf")

func TestCreateAndGetVerification(t *testing.T) {
	m := newMock(t)
	created := m.createVerification(m.A, generated.VerificationInput{Name: "Full", VerificationConfig: apiFullConfig()})
	if created.VerificationId == uuid.Nil {
		t.Fatal("create returned the nil id")
	}
	v := m.getVerification(m.A, created.VerificationId)
	if v.VerificationId != created.VerificationId || v.Name != "Full" {
		t.Errorf("got %s %q, want %s %q", v.VerificationId, v.Name, created.VerificationId, "Full")
	}
	if !v.Created.Equal(frozenAt) || !v.LastModified.Equal(frozenAt) {
		t.Errorf("created %s, lastModified %s; want both %s (the mock clock)", v.Created, v.LastModified, frozenAt)
	}
	// Every block was given, so the configuration comes back exactly as sent.
	if got, want := string(apiMustJSON(t, v.VerificationConfig)), string(apiMustJSON(t, apiFullConfig())); got != want {
		t.Errorf("configuration\n got %s\nwant %s", got, want)
	}
	if vs := m.requestViolations(); len(vs) != 0 {
		t.Errorf("the test sent requests that break the spec: %v", vs)
	}
}

func TestGetVerificationFillsDefaults(t *testing.T) {
	m := newMock(t)
	sent := generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification},
			Age:      &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(21))},
			Gender:   &generated.GenderConfig{Type: generated.GenderTypeDisabled},
		},
		ResultParameterConfig: &generated.ResultParameterConfig{IncludeAge: apiPtr(true)},
	}
	id := m.createVerification(m.A, generated.VerificationInput{Name: "Defaults", VerificationConfig: sent}).VerificationId
	got := m.getVerification(m.A, id).VerificationConfig

	f, tr := apiPtr(false), apiPtr(true)
	want := generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Liveness:       &generated.LivenessConfig{Type: generated.LivenessTypeVerification, ChallengeType: apiPtr(generated.Balanced)},
			Age:            &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(21)), Direction: apiPtr(generated.Above)},
			Gender:         &generated.GenderConfig{Type: generated.GenderTypeDisabled},
			CommonSettings: &generated.CommonSettings{FailOnMultipleFacesDetected: f},
		},
		ResultParameterConfig: &generated.ResultParameterConfig{
			IncludeSignature: tr, IncludeAge: tr,
			IncludeSessionId: f, IncludeFaceId: f, IncludeGender: f, IncludeVerificationResult: f,
			IncludeCustomInputParameters: f, IncludeLivenessCheckResult: f, IncludeAgeVerificationResult: f,
			IncludeGenderVerificationResult: f, IncludeFaceRecognitionResult: f, IncludeCorrelationId: f,
			IncludeTotalFaceCount: f, IncludeFailedReason: f,
		},
		SecurityConfig: &generated.SecurityConfig{ForceSignedInput: tr},
		SessionOverrideConfig: &generated.SessionOverrideConfig{
			AllowVerifierOverrides: f, AllowResultParameterOverrides: f, AllowRedirectOverrides: f,
		},
	}
	// The answer is the stored form (every defaulted field present), written as the request's.
	if g, w := string(apiMustJSON(t, got)), string(apiMustJSON(t, want)); g != w {
		t.Errorf("configuration\n got %s\nwant %s", g, w)
	}
}

func TestGetVerificationOfMinimalInput(t *testing.T) {
	m := newMock(t)
	id := m.createVerification(m.A, apiMinimalInput("Minimal")).VerificationId
	resp, err := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: id})
	if err != nil {
		t.Fatal(err)
	}
	// Omitted verifiers stay omitted (they mean Disabled); the other blocks get their defaults.
	var raw struct {
		Verification struct {
			VerificationConfig map[string]json.RawMessage `json:"verificationConfig"`
		} `json:"verification"`
	}
	if err := json.Unmarshal(resp.Body, &raw); err != nil {
		t.Fatal(err)
	}
	cfg := raw.Verification.VerificationConfig
	for _, block := range []string{"resultParameterConfig", "securityConfig", "sessionOverrideConfig"} {
		if _, ok := cfg[block]; !ok {
			t.Errorf("%s missing; want its defaults filled in", block)
		}
	}
	for _, block := range []string{"verifierConfigs", "redirectConfig", "webhookConfig"} {
		if _, ok := cfg[block]; ok {
			t.Errorf("%s present; nothing was sent and it has no defaults", block)
		}
	}
}

func TestGetVerificationErrors(t *testing.T) {
	m := newMock(t)
	t.Run("unknown id", func(t *testing.T) {
		resp, err := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: apiMissingID})
		if err != nil {
			t.Fatal(err)
		}
		p := apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)
		if resp.ApplicationproblemJSON404 == nil || !strings.Contains(apiDetailOf(p), "verificationId") {
			t.Errorf("the 404 does not name verificationId: %s", resp.Body)
		}
	})
	for _, bad := range []string{"nope", "39e00c96-6431-4b2e-8707", "39e00c966431-4b2e-8707-2fb80e561fbf0", "%20"} {
		t.Run("malformed id "+bad, func(t *testing.T) {
			r := m.send(http.MethodGet, "/v1/verification/get?verificationId="+bad, nil)
			r.problem(t, http.StatusBadRequest, "verificationId")
		})
	}
	t.Run("missing id", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get", nil)
		r.problem(t, http.StatusBadRequest, "verificationId")
	})
	t.Run("the vendor's non-RFC-4122 example id is well-formed", func(t *testing.T) {
		r := m.send(http.MethodGet, "/v1/verification/get?verificationId=a1b2c3d4-e5f6-7890-abcd-ef1234567890", nil)
		r.problem(t, http.StatusNotFound)
	})
}

func TestGetAllVerifications(t *testing.T) {
	m := newMock(t)
	t.Run("empty", func(t *testing.T) {
		resp, err := m.A.GetAllVerificationsWithResponse(m.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON200 == nil || resp.JSON200.Verifications == nil || len(resp.JSON200.Verifications) != 0 {
			t.Errorf("get-all of a new account = %s, want an empty list", resp.Body)
		}
		if !strings.Contains(string(resp.Body), `"verifications":[]`) {
			t.Errorf("get-all = %s, want an empty array rather than null", resp.Body)
		}
	})

	names := []string{"zeta", "alpha", "Mu", "beta", "omega"}
	var ids []uuid.UUID
	for i, n := range names {
		ids = append(ids, m.createVerification(m.A, apiMinimalInput(n)).VerificationId)
		m.clock().Advance(time.Duration(i) * time.Second) // two are created at the same instant
	}
	// Updating one moves neither its place nor its created time.
	m.clock().Advance(time.Hour)
	up, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: ids[1], Name: "alpha renamed"})
	if err != nil || up.StatusCode() != http.StatusOK {
		t.Fatalf("update: %v %s", err, up.Body)
	}
	names[1] = "alpha renamed"

	for round := range 3 {
		resp, err := m.A.GetAllVerificationsWithResponse(m.ctx)
		if err != nil {
			t.Fatal(err)
		}
		list := resp.JSON200.Verifications
		if len(list) != len(names) {
			t.Fatalf("round %d: %d verifications, want %d", round, len(list), len(names))
		}
		for i, s := range list {
			if s.VerificationId != ids[i] || s.Name != names[i] {
				t.Errorf("round %d, item %d = %s %q, want %s %q (creation order)", round, i, s.VerificationId, s.Name, ids[i], names[i])
			}
		}
		if !list[1].LastModified.Equal(m.clock().Now()) || list[1].Created.Equal(list[1].LastModified) {
			t.Errorf("the updated item: created %s, lastModified %s", list[1].Created, list[1].LastModified)
		}
		if !list[0].Created.Equal(frozenAt) || !list[0].LastModified.Equal(frozenAt) {
			t.Errorf("the first item: created %s, lastModified %s; want %s", list[0].Created, list[0].LastModified, frozenAt)
		}
	}
}

func TestUpdateVerification(t *testing.T) {
	m := newMock(t)
	id := m.createVerification(m.A, generated.VerificationInput{Name: "Original", VerificationConfig: apiFullConfig()}).VerificationId
	other := m.createVerification(m.A, apiMinimalInput("Other")).VerificationId

	t.Run("replaces name and configuration", func(t *testing.T) {
		m.clock().Advance(90 * time.Minute)
		cfg := generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeCalculationOnly, CollectionId: apiPtr("new-collection")},
		}}
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: id, Name: "Renamed", VerificationConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if resp.JSON200 == nil || resp.JSON200.VerificationId != id {
			t.Fatalf("update: status %d, body %s", resp.StatusCode(), resp.Body)
		}
		v := m.getVerification(m.A, id)
		if v.Name != "Renamed" {
			t.Errorf("name = %q, want Renamed", v.Name)
		}
		if !v.Created.Equal(frozenAt) || !v.LastModified.Equal(frozenAt.Add(90*time.Minute)) {
			t.Errorf("created %s, lastModified %s; want %s and %s", v.Created, v.LastModified, frozenAt, frozenAt.Add(90*time.Minute))
		}
		fr := v.VerificationConfig.VerifierConfigs.FaceRecognition
		if fr == nil || fr.CollectionId == nil || *fr.CollectionId != "new-collection" || fr.Type != generated.FaceRecognitionTypeCalculationOnly {
			t.Errorf("faceRecognition = %s, want the new collection stored", apiMustJSON(t, fr))
		}
		if v.VerificationConfig.VerifierConfigs.Liveness != nil || v.VerificationConfig.RedirectConfig != nil {
			t.Errorf("the update replaces the configuration, yet old blocks remain: %s", apiMustJSON(t, v.VerificationConfig))
		}
		// The old name is free again.
		m.createVerification(m.A, apiMinimalInput("Original"))
	})
	t.Run("rename to its own name", func(t *testing.T) {
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: other, Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusOK {
			t.Errorf("status %d, want 200; body %s", resp.StatusCode(), resp.Body)
		}
	})
	t.Run("rename onto another's name", func(t *testing.T) {
		before := m.listBody(m.A)
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: other, Name: "Renamed"})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusConflict, resp, resp.HTTPResponse, resp.Body, "name")
		if resp.ApplicationproblemJSON409 == nil {
			t.Error("the generated client did not decode the 409")
		}
		if after := m.listBody(m.A); after != before {
			t.Errorf("a rejected update changed the list:\n%s\n%s", before, after)
		}
	})
	t.Run("rename onto another's name after trimming", func(t *testing.T) {
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: other, Name: "  Renamed\t"})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusConflict, resp, resp.HTTPResponse, resp.Body, "name")
	})
	t.Run("unknown id", func(t *testing.T) {
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: apiMissingID, Name: "Ghost"})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusNotFound, resp, resp.HTTPResponse, resp.Body)
		if resp.ApplicationproblemJSON404 == nil {
			t.Error("the generated client did not decode the 404")
		}
	})
	t.Run("invalid configuration", func(t *testing.T) {
		before := m.getVerification(m.A, other)
		resp, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: other, Name: "Other",
			VerificationConfig: generated.VerificationConfig{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: apiPtr("ftp://example.com/hook")}}})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "verificationConfig.webhookConfig.eventCallbackUrl")
		if after := m.getVerification(m.A, other); !reflect.DeepEqual(before, after) {
			t.Errorf("a rejected update changed the verification")
		}
	})
}

func TestCreateVerificationNameTaken(t *testing.T) {
	m := newMock(t)
	m.createVerification(m.A, apiMinimalInput("Taken"))
	before := m.listBody(m.A)
	for _, name := range []string{"Taken", " Taken ", "\tTaken\n"} {
		resp, err := m.A.CreateVerificationWithResponse(m.ctx, apiMinimalInput(name))
		if err != nil {
			t.Fatal(err)
		}
		p := apiProblemOf(t, http.StatusConflict, resp, resp.HTTPResponse, resp.Body, "name")
		if !strings.Contains(apiDetailOf(p), `"Taken"`) {
			t.Errorf("detail %q does not quote the name", apiDetailOf(p))
		}
	}
	if after := m.listBody(m.A); after != before {
		t.Errorf("the conflicts changed the list:\n%s\n%s", before, after)
	}
	// Names are compared exactly: another case is another name.
	m.createVerification(m.A, apiMinimalInput("taken"))
}

func TestCreateOrUpdateVerification(t *testing.T) {
	m := newMock(t)
	in := generated.VerificationInput{Name: "Upserted", VerificationConfig: apiFullConfig()}
	first, err := m.A.CreateOrUpdateVerificationWithResponse(m.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if first.JSON200 == nil || !first.JSON200.WasCreated {
		t.Fatalf("first create-or-update: status %d, body %s; want wasCreated true", first.StatusCode(), first.Body)
	}
	id := first.JSON200.VerificationId

	m.clock().Advance(time.Minute)
	in.VerificationConfig = generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
		FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification, CollectionId: apiPtr("second-collection")},
	}}
	in.Name = "  Upserted  " // the same name after trimming
	second, err := m.A.CreateOrUpdateVerificationWithResponse(m.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if second.JSON200 == nil || second.JSON200.WasCreated || second.JSON200.VerificationId != id {
		t.Fatalf("second create-or-update: body %s; want wasCreated false and id %s", second.Body, id)
	}
	v := m.getVerification(m.A, id)
	if !v.Created.Equal(frozenAt) || !v.LastModified.Equal(frozenAt.Add(time.Minute)) {
		t.Errorf("created %s, lastModified %s; want %s and %s", v.Created, v.LastModified, frozenAt, frozenAt.Add(time.Minute))
	}
	if fr := v.VerificationConfig.VerifierConfigs.FaceRecognition; fr == nil || *fr.CollectionId != "second-collection" {
		t.Errorf("faceRecognition = %s, want the new collection", apiMustJSON(t, fr))
	}
	if v.VerificationConfig.RedirectConfig != nil {
		t.Error("the configuration was merged, not replaced")
	}
	list, _ := m.A.GetAllVerificationsWithResponse(m.ctx)
	if n := len(list.JSON200.Verifications); n != 1 {
		t.Errorf("%d verifications after create then update, want 1", n)
	}

	t.Run("invalid input changes nothing", func(t *testing.T) {
		before := m.listBody(m.A)
		resp, err := m.A.CreateOrUpdateVerificationWithResponse(m.ctx, generated.VerificationInput{Name: "Upserted",
			VerificationConfig: generated.VerificationConfig{VerifierConfigs: &generated.VerifierConfigs{
				FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeMatchVerification}}}})
		if err != nil {
			t.Fatal(err)
		}
		apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "verificationConfig.verifierConfigs.faceRecognition.collectionId")
		if after := m.listBody(m.A); after != before {
			t.Error("a rejected create-or-update changed the list")
		}
	})
}

func TestDeleteVerification(t *testing.T) {
	m := newMock(t)
	id := m.createVerification(m.A, apiMinimalInput("Doomed")).VerificationId
	keep := m.createVerification(m.A, apiMinimalInput("Kept")).VerificationId

	resp, err := m.A.DeleteVerificationWithResponse(m.ctx, &generated.DeleteVerificationParams{VerificationId: id})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK || len(resp.Body) != 0 {
		t.Errorf("delete: status %d, body %q; want 200 with an empty body", resp.StatusCode(), resp.Body)
	}
	get, err := m.A.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: id})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusNotFound, get, get.HTTPResponse, get.Body)

	again, err := m.A.DeleteVerificationWithResponse(m.ctx, &generated.DeleteVerificationParams{VerificationId: id})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusNotFound, again, again.HTTPResponse, again.Body)
	if again.ApplicationproblemJSON404 == nil {
		t.Error("the generated client did not decode the 404")
	}

	unknown, err := m.A.DeleteVerificationWithResponse(m.ctx, &generated.DeleteVerificationParams{VerificationId: apiMissingID})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusNotFound, unknown, unknown.HTTPResponse, unknown.Body)

	r := m.send(http.MethodDelete, "/v1/verification/delete?verificationId=not-a-uuid", nil)
	r.problem(t, http.StatusBadRequest, "verificationId")

	// The rest is untouched, the name is free again and sessions can no longer use it as a base.
	m.getVerification(m.A, keep)
	list, _ := m.A.GetAllVerificationsWithResponse(m.ctx)
	if n := len(list.JSON200.Verifications); n != 1 || list.JSON200.Verifications[0].VerificationId != keep {
		t.Errorf("after delete the list is %s", list.Body)
	}
	cs, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr("Doomed")})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusBadRequest, cs, cs.HTTPResponse, cs.Body, "verifierConfigs")
	if again := m.createVerification(m.A, apiMinimalInput("Doomed")).VerificationId; again == id {
		t.Error("a new verification reused a deleted id")
	}
}

func TestVerificationNames(t *testing.T) {
	long := strings.Repeat("n", 200)
	tests := []struct {
		name   string
		input  string
		stored string // "" when rejected
	}{
		{"trimmed", "  Padded name \t", "Padded name"},
		{"inner spaces kept", "a  b", "a  b"},
		{"200 characters", long, long},
		// The contract counts characters after trimming; openapi.yaml's maxLength on
		// VerificationName counts them before, so the schema check rejects this name.
		{"200 characters after trimming", "  " + long + "  ", long},
		{"200 multi-byte characters", strings.Repeat("é", 200), strings.Repeat("é", 200)},
		{"empty", "", ""},
		{"blank", "   ", ""},
		{"201 characters", long + "n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			before := m.listBody(m.A)
			resp, err := m.A.CreateVerificationWithResponse(m.ctx, apiMinimalInput(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if tc.stored == "" {
				apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, "name")
				if after := m.listBody(m.A); after != before {
					t.Error("a rejected create changed the list")
				}
				// The same rule holds for create-or-update and update.
				cu, _ := m.A.CreateOrUpdateVerificationWithResponse(m.ctx, apiMinimalInput(tc.input))
				apiProblemOf(t, http.StatusBadRequest, cu, cu.HTTPResponse, cu.Body, "name")
				id := m.createVerification(m.A, apiMinimalInput("valid")).VerificationId
				up, _ := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: id, Name: tc.input})
				apiProblemOf(t, http.StatusBadRequest, up, up.HTTPResponse, up.Body, "name")
				return
			}
			if resp.JSON200 == nil {
				t.Fatalf("status %d, body %s", resp.StatusCode(), resp.Body)
			}
			if got := m.getVerification(m.A, resp.JSON200.VerificationId).Name; got != tc.stored {
				t.Errorf("stored name %q, want %q", got, tc.stored)
			}
		})
	}
}

func TestVerificationConfigRules(t *testing.T) {
	vc := func(v generated.VerifierConfigs) generated.VerificationConfig {
		return generated.VerificationConfig{VerifierConfigs: &v}
	}
	tests := []struct {
		name  string
		cfg   generated.VerificationConfig
		field string // "" when valid
	}{
		{"threshold verification without threshold",
			vc(generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification}}),
			"verificationConfig.verifierConfigs.age.threshold"},
		{"threshold below 1",
			vc(generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(0))}}),
			"verificationConfig.verifierConfigs.age.threshold"},
		{"threshold above 120",
			vc(generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(121))}}),
			"verificationConfig.verifierConfigs.age.threshold"},
		{"threshold verification with threshold",
			vc(generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification, Threshold: apiPtr(int32(120))}}),
			""},
		{"calculation only needs no threshold",
			vc(generated.VerifierConfigs{Age: &generated.AgeConfig{Type: generated.AgeTypeCalculationOnly}}),
			""},
		{"face recognition duplicate without collection",
			vc(generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDuplicateVerification}}),
			"verificationConfig.verifierConfigs.faceRecognition.collectionId"},
		{"face recognition calculation only without collection",
			vc(generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeCalculationOnly}}),
			"verificationConfig.verifierConfigs.faceRecognition.collectionId"},
		{"face recognition unique match with a blank collection",
			vc(generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeUniqueMatchVerification, CollectionId: apiPtr("  ")}}),
			"verificationConfig.verifierConfigs.faceRecognition.collectionId"},
		{"face recognition disabled without collection",
			vc(generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeDisabled}}),
			""},
		{"passed URL not http",
			generated.VerificationConfig{RedirectConfig: &generated.RedirectConfig{PassedUrl: apiPtr("ftp://example.com/passed")}},
			"verificationConfig.redirectConfig.passedUrl"},
		{"failed URL a javascript URI",
			generated.VerificationConfig{RedirectConfig: &generated.RedirectConfig{FailedUrl: apiPtr("javascript:alert(1)")}},
			"verificationConfig.redirectConfig.failedUrl"},
		{"passed URL relative",
			generated.VerificationConfig{RedirectConfig: &generated.RedirectConfig{PassedUrl: apiPtr("/passed")}},
			"verificationConfig.redirectConfig.passedUrl"},
		{"webhook URL not http",
			generated.VerificationConfig{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: apiPtr("mailto:ops@example.com")}},
			"verificationConfig.webhookConfig.eventCallbackUrl"},
		{"webhook URL without host",
			generated.VerificationConfig{WebhookConfig: &generated.WebhookConfig{EventCallbackUrl: apiPtr("https:///hook")}},
			"verificationConfig.webhookConfig.eventCallbackUrl"},
		{"http URLs",
			generated.VerificationConfig{
				RedirectConfig: &generated.RedirectConfig{PassedUrl: apiPtr("http://localhost:3000/ok?x=1"), FailedUrl: apiPtr("HTTPS://example.com/ko")},
				WebhookConfig:  &generated.WebhookConfig{EventCallbackUrl: apiPtr("http://127.0.0.1:9000/hook")},
			},
			""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t)
			resp, err := m.A.CreateVerificationWithResponse(m.ctx, generated.VerificationInput{Name: "Rules", VerificationConfig: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			if tc.field == "" {
				if resp.JSON200 == nil {
					t.Errorf("status %d, body %s; want 200", resp.StatusCode(), resp.Body)
				}
				return
			}
			p := apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body, tc.field)
			if n := len(apiErrorsOf(p)); n != 1 {
				t.Errorf("errors name %d fields, want only %s: %v", n, tc.field, apiErrorsOf(p))
			}
			list, _ := m.A.GetAllVerificationsWithResponse(m.ctx)
			if n := len(list.JSON200.Verifications); n != 0 {
				t.Errorf("a rejected create stored %d verifications", n)
			}
		})
	}
}

func TestVerificationErrorsNameEveryField(t *testing.T) {
	m := newMock(t)
	resp, err := m.A.CreateVerificationWithResponse(m.ctx, generated.VerificationInput{Name: " ", VerificationConfig: generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{
			Age:             &generated.AgeConfig{Type: generated.AgeTypeThresholdVerification},
			FaceRecognition: &generated.FaceRecognitionConfig{Type: generated.FaceRecognitionTypeMatchVerification},
		},
		RedirectConfig: &generated.RedirectConfig{PassedUrl: apiPtr("ftp://x/y")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	apiProblemOf(t, http.StatusBadRequest, resp, resp.HTTPResponse, resp.Body,
		"name",
		"verificationConfig.verifierConfigs.age.threshold",
		"verificationConfig.verifierConfigs.faceRecognition.collectionId",
		"verificationConfig.redirectConfig.passedUrl")
}
