package contract

import (
	"net/http"

	"github.com/verifeye-twin/verifeye/generated"
)

// One account must never reach another's data: a verification or session id of account A,
// used with account B's key, answers 404 exactly as an id that does not exist (not 403, which
// would tell B the id is real), and A's signed links do not validate with B's key. These
// scenarios need a second account's key (--api-key-b); against the in-process mock the runner
// makes one.
func init() {
	register(
		Scenario{Name: "accounts/other-account-ids-are-404", Needs: []Need{WritesConfig}, Probes: []string{"accounts.foreign-id-is-404"}, Run: func(t *T) {
			other := t.ClientB()
			name := t.Unique("account-a")
			id := createVerification(t, name, seedConfig("contract-account-a"))

			got, err := other.GetVerificationWithResponse(t.Context(), &generated.GetVerificationParams{VerificationId: id})
			if err != nil {
				t.Fatalf("%s: %v", opGetVerification, err)
			}
			t.Problem(opGetVerification+" of account A's verification with account B's key", got.StatusCode(), got.HTTPResponse.Header, got.Body, http.StatusNotFound, "")

			stolen := t.Unique("account-b")
			up, err := other.UpdateVerificationWithResponse(t.Context(), generated.UpdateVerificationRequest{VerificationId: id, Name: stolen, VerificationConfig: seedConfig("contract-account-b")})
			if err != nil {
				t.Fatalf("%s: %v", opUpdateVerification, err)
			}
			t.Problem(opUpdateVerification+" of account A's verification with account B's key", up.StatusCode(), up.HTTPResponse.Header, up.Body, http.StatusNotFound, "")

			del, err := other.DeleteVerificationWithResponse(t.Context(), &generated.DeleteVerificationParams{VerificationId: id})
			if err != nil {
				t.Fatalf("%s: %v", opDeleteVerification, err)
			}
			t.Problem(opDeleteVerification+" of account A's verification with account B's key", del.StatusCode(), del.HTTPResponse.Header, del.Body, http.StatusNotFound, "")

			all, err := other.GetAllVerificationsWithResponse(t.Context())
			if err != nil {
				t.Fatalf("%s: %v", opGetAll, err)
			}
			if t.Status(opGetAll+" with account B's key", all.StatusCode(), all.Body, http.StatusOK) && all.JSON200 != nil {
				for _, v := range all.JSON200.Verifications {
					if v.VerificationId == id {
						t.Errorf("%s: account B's list has account A's verification %s (%q), want it absent", opGetAll, id, v.Name)
					}
				}
			}

			// Account A's verification is untouched by all of that.
			status, v := getVerification(t, id)
			if t.Status(opGetVerification+" with account A's key after account B's attempts", status, nil, http.StatusOK) && v != nil {
				t.Equal(opGetVerification, "verification.name after account B's update", v.Name, name)
			}

			// A's signed link is A's: B's key does not validate it.
			s := signWith(t, "userId=account-a", &generated.SecuritySettings{ExpirationInSeconds: i32(600)})
			val, err := other.ValidateSignatureWithResponse(t.Context(), generated.ValidateSignatureRequest{QueryString: s.SignedQueryString})
			if err != nil {
				t.Fatalf("%s: %v", opValidateSignature, err)
			}
			if t.Status(opValidateSignature+" with account B's key", val.StatusCode(), val.Body, http.StatusOK) && val.JSON200 != nil {
				t.Equal(opValidateSignature, "result of account A's signed query string with account B's key", val.JSON200.Result, generated.Invalid)
			}
		}},
		Scenario{Name: "accounts/other-account-session-is-404", Needs: []Need{CreatesSessions}, Probes: []string{"accounts.foreign-id-is-404"}, Run: func(t *T) {
			other := t.ClientB()
			s := createSession(t, generated.CreateSessionRequest{VerifierConfigs: inlineVerifiers(), ExternalId: str(t.Unique("account-a"))})
			got, err := other.GetSessionResultWithResponse(t.Context(), &generated.GetSessionResultParams{VerificationSessionId: s.VerificationSessionId})
			if err != nil {
				t.Fatalf("%s: %v", opGetSessionResult, err)
			}
			t.Problem(opGetSessionResult+" of account A's session with account B's key", got.StatusCode(), got.HTTPResponse.Header, got.Body, http.StatusNotFound, "")
			status, _ := sessionResult(t, s.VerificationSessionId)
			t.Equal(opGetSessionResult, "status with account A's own key", status, http.StatusOK)
		}},
	)
}
