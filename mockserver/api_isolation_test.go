package mockserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/mockserver"
)

// TestAccountIsolation checks that account B cannot reach account A's data, and that each
// attempt answers exactly as it would for an id that does not exist at all.
func TestAccountIsolation(t *testing.T) {
	m := newMock(t)
	vA := m.createVerification(m.A, generated.VerificationInput{Name: "A only", VerificationConfig: apiFullConfig()}).VerificationId
	sA := m.createSession(m.A, generated.CreateSessionRequest{Name: apiPtr("A only")}).VerificationSessionId
	before := m.listBody(m.A)
	beforeV := apiMustJSON(t, m.getVerification(m.A, vA))

	// sameAsMissing checks that B's answer for A's id equals its answer for a missing id, once
	// the ids are swapped (the problem names the id it was asked for) and the trace id removed.
	sameAsMissing := func(t *testing.T, foreign, missing apiAnswer, foreignID, apiMissingID string) {
		t.Helper()
		apiExpectProblem(t, http.StatusNotFound, foreign.status, foreign.header, foreign.body)
		if foreign.status != missing.status {
			t.Fatalf("status %d for A's id, %d for a missing one", foreign.status, missing.status)
		}
		f := apiNormalize(string(foreign.body), foreignID)
		g := apiNormalize(string(missing.body), apiMissingID)
		if f != g {
			t.Errorf("B's answer for A's id differs from its answer for a missing id:\n%s\n%s", f, g)
		}
	}
	missingSession := uuid.MustParse("a1b2c3d4-e5f6-7890-abcd-ef1234567890")

	t.Run("get", func(t *testing.T) {
		get := func(id uuid.UUID) apiAnswer {
			r, err := m.B.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: id})
			apiMust(m, err)
			return apiAnswer{r.StatusCode(), r.HTTPResponse.Header, r.Body}
		}
		sameAsMissing(t, get(vA), get(apiMissingID), vA.String(), apiMissingID.String())
	})
	t.Run("update", func(t *testing.T) {
		update := func(id uuid.UUID) apiAnswer {
			r, err := m.B.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: id, Name: "hijacked"})
			apiMust(m, err)
			return apiAnswer{r.StatusCode(), r.HTTPResponse.Header, r.Body}
		}
		sameAsMissing(t, update(vA), update(apiMissingID), vA.String(), apiMissingID.String())
	})
	t.Run("delete", func(t *testing.T) {
		del := func(id uuid.UUID) apiAnswer {
			r, err := m.B.DeleteVerificationWithResponse(m.ctx, &generated.DeleteVerificationParams{VerificationId: id})
			apiMust(m, err)
			return apiAnswer{r.StatusCode(), r.HTTPResponse.Header, r.Body}
		}
		sameAsMissing(t, del(vA), del(apiMissingID), vA.String(), apiMissingID.String())
	})
	t.Run("list", func(t *testing.T) {
		r, err := m.B.GetAllVerificationsWithResponse(m.ctx)
		apiMust(m, err)
		if r.JSON200 == nil || len(r.JSON200.Verifications) != 0 {
			t.Errorf("B lists %s, want nothing", r.Body)
		}
	})
	t.Run("create session by name", func(t *testing.T) {
		// A name B has no verification of is only a label to B: without inline verifiers the
		// answer is the 400 a missing name gets.
		create := func(name string) apiAnswer {
			r, err := m.B.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr(name)})
			apiMust(m, err)
			return apiAnswer{r.StatusCode(), r.HTTPResponse.Header, r.Body}
		}
		foreign, missing := create("A only"), create("no such name")
		apiExpectProblem(t, http.StatusBadRequest, foreign.status, foreign.header, foreign.body, "verifierConfigs")
		if f, g := apiNormalize(string(foreign.body), "A only"), apiNormalize(string(missing.body), "no such name"); f != g {
			t.Errorf("B's answer for A's name differs from its answer for a missing name:\n%s\n%s", f, g)
		}
		// With inline verifiers B's session runs them alone: nothing of A's configuration (age,
		// gender, face recognition) is used.
		s := m.createSession(m.B, generated.CreateSessionRequest{Name: apiPtr("A only"), VerifierConfigs: &generated.VerifierConfigs{
			Liveness: &generated.LivenessConfig{Type: generated.LivenessTypeVerification}}})
		res := m.complete(s.VerificationSessionId, mockserver.SubjectSpec{Preset: "pass"})
		if res.EstimatedAge != nil || res.EstimatedGender != nil || res.FaceId != nil || *res.AgeVerificationResult != generated.VerifierResultNotExecuted {
			t.Errorf("B's session used A's configuration: %s", apiMustJSON(t, res))
		}
	})
	t.Run("session result", func(t *testing.T) {
		get := func(id uuid.UUID) apiAnswer {
			r, err := m.B.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: id})
			apiMust(m, err)
			return apiAnswer{r.StatusCode(), r.HTTPResponse.Header, r.Body}
		}
		sameAsMissing(t, get(sA), get(missingSession), sA.String(), missingSession.String())
	})
	t.Run("validate signature", func(t *testing.T) {
		signed := m.sign(m.A, "userId=User123", &generated.SecuritySettings{EnableNonce: apiPtr(true)})
		if got := m.validate(m.B, signed.SignedQueryString); got != generated.Invalid {
			t.Errorf("B validating A's link = %s, want Invalid", got)
		}
		if got := m.validate(m.B, strings.Replace(signed.SignedQueryString, signed.Signature, strings.Repeat("0", 64), 1)); got != generated.Invalid {
			t.Errorf("B validating a wrong signature = %s, want Invalid", got)
		}
	})
	t.Run("B's token", func(t *testing.T) {
		tok, err := m.B.GetTokenWithResponse(m.ctx, nil)
		if err != nil || tok.JSON200 == nil {
			t.Fatalf("B's token: %v", err)
		}
		r, err := m.Anon.GetVerificationWithResponse(m.ctx, &generated.GetVerificationParams{VerificationId: vA}, apiAuth("Bearer "+tok.JSON200.Token))
		apiMust(m, err)
		apiProblemOf(t, http.StatusNotFound, r, r.HTTPResponse, r.Body)
	})

	// Nothing B tried changed A's data.
	if after := m.listBody(m.A); after != before {
		t.Errorf("A's list changed:\n%s\n%s", before, after)
	}
	if after := apiMustJSON(t, m.getVerification(m.A, vA)); string(after) != string(beforeV) {
		t.Errorf("A's verification changed:\n%s\n%s", beforeV, after)
	}
	if r, _ := m.A.GetSessionResultWithResponse(m.ctx, &generated.GetSessionResultParams{VerificationSessionId: sA}); r.StatusCode() != http.StatusOK {
		t.Errorf("A's session result: status %d", r.StatusCode())
	}
}

// apiAnswer is the status, headers and body of a typed response.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// apiNormalize replaces id with a placeholder and drops the traceId, which differs per request.
func apiNormalize(body, id string) string {
	body = strings.ReplaceAll(body, id, "<id>")
	if i := strings.Index(body, `"traceId":"`); i >= 0 {
		if j := strings.Index(body[i+len(`"traceId":"`):], `"`); j >= 0 {
			body = body[:i] + body[i+len(`"traceId":"`)+j+1:]
		}
	}
	return body
}

func TestNamesArePerAccount(t *testing.T) {
	m := newMock(t)
	vA := m.createVerification(m.A, generated.VerificationInput{Name: "shared", VerificationConfig: generated.VerificationConfig{
		VerifierConfigs: &generated.VerifierConfigs{FaceRecognition: &generated.FaceRecognitionConfig{
			Type: generated.FaceRecognitionTypeMatchVerification, CollectionId: apiPtr("a")}}}}).VerificationId
	vB := m.createVerification(m.B, apiMinimalInput("shared")).VerificationId
	if vA == vB {
		t.Fatal("A and B got the same id")
	}
	// create-or-update by B updates B's, not A's.
	up, err := m.B.CreateOrUpdateVerificationWithResponse(m.ctx, apiMinimalInput("shared"))
	if err != nil || up.JSON200 == nil || up.JSON200.WasCreated || up.JSON200.VerificationId != vB {
		t.Fatalf("B's create-or-update: %v %s", err, up.Body)
	}
	// A session by name uses the account's own verification: A's needs an external id, B's not.
	m.createSession(m.B, generated.CreateSessionRequest{Name: apiPtr("shared")})
	r, err := m.A.CreateSessionWithResponse(m.ctx, generated.CreateSessionRequest{Name: apiPtr("shared")})
	apiMust(m, err)
	apiProblemOf(t, http.StatusBadRequest, r, r.HTTPResponse, r.Body, "externalId")
	// Renaming onto a name only the other account has is fine.
	m.createVerification(m.B, apiMinimalInput("B only"))
	u, err := m.A.UpdateVerificationWithResponse(m.ctx, generated.UpdateVerificationRequest{VerificationId: vA, Name: "B only"})
	apiMust(m, err)
	if u.StatusCode() != http.StatusOK {
		t.Errorf("renaming A's onto a name of B: status %d, body %s", u.StatusCode(), u.Body)
	}
	for _, c := range []struct {
		client *generated.ClientWithResponses
		n      int
	}{{m.A, 1}, {m.B, 2}} {
		list, err := c.client.GetAllVerificationsWithResponse(m.ctx)
		apiMust(m, err)
		if len(list.JSON200.Verifications) != c.n {
			t.Errorf("list %s, want %d items", list.Body, c.n)
		}
	}
}
