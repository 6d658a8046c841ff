package mocks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/mock"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/generated/mocks"
)

// The mock implements the generated client's interface.
var _ generated.ClientWithResponsesInterface = (*mocks.ClientWithResponsesInterface)(nil)

// isVerificationLinkFresh is application code under test: before sending a person to the hosted
// page, a backend checks that the signed link it stored is still usable. It depends on the
// interface, not on *generated.ClientWithResponses, so unit tests can pass a mock.
func isVerificationLinkFresh(ctx context.Context, client generated.ClientWithResponsesInterface, query string) (bool, error) {
	resp, err := client.ValidateSignatureWithResponse(ctx, generated.ValidateSignatureRequest{QueryString: query})
	if err != nil {
		return false, fmt.Errorf("validate link: %w", err)
	}
	if resp.JSON200 == nil {
		return false, fmt.Errorf("validate link: unexpected answer %s", resp.Status())
	}
	switch resp.JSON200.Result {
	case generated.Valid:
		return true, nil
	case generated.Expired, generated.NonceAlreadyUsed:
		return false, nil // a new link is needed
	default:
		return false, fmt.Errorf("validate link: the signature is %s", resp.JSON200.Result)
	}
}

// validation is the response the real client returns for a 200 with this result.
func validation(result generated.ValidationResult) *generated.ValidateSignatureResponse {
	return &generated.ValidateSignatureResponse{
		HTTPResponse: &http.Response{StatusCode: http.StatusOK, Status: "200 OK"},
		JSON200:      &generated.SignatureValidation{Result: result},
	}
}

func TestIsVerificationLinkFresh(t *testing.T) {
	const query = "userId=User123&reExpiration=1767225600&reSignature=abc"
	for _, tc := range []struct {
		name    string
		resp    *generated.ValidateSignatureResponse
		err     error
		want    bool
		wantErr bool
	}{
		{name: "valid", resp: validation(generated.Valid), want: true},
		{name: "expired", resp: validation(generated.Expired), want: false},
		{name: "nonce used", resp: validation(generated.NonceAlreadyUsed), want: false},
		{name: "invalid signature", resp: validation(generated.Invalid), wantErr: true},
		{name: "unauthorized", resp: &generated.ValidateSignatureResponse{
			HTTPResponse: &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized"},
		}, wantErr: true},
		{name: "network error", err: errors.New("connection refused"), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// NewClientWithResponsesInterface fails the test at its end if an expected call was
			// not made; an unexpected call fails it at once.
			client := mocks.NewClientWithResponsesInterface(t)
			client.EXPECT().
				ValidateSignatureWithResponse(mock.Anything, generated.ValidateSignatureRequest{QueryString: query}).
				Return(tc.resp, tc.err).
				Once()

			got, err := isVerificationLinkFresh(t.Context(), client, query)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error: %t", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("fresh = %t, want %t", got, tc.want)
			}
		})
	}
}

// TestMockRunsCallback shows Run, which inspects the arguments of a call: here the context the
// code under test passed on.
func TestMockRunsCallback(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "request-42")
	client := mocks.NewClientWithResponsesInterface(t)
	var seen any
	client.EXPECT().
		ValidateSignatureWithResponse(mock.Anything, mock.Anything).
		Run(func(ctx context.Context, _ generated.ValidateSignatureJSONRequestBody, _ ...generated.RequestEditorFn) {
			seen = ctx.Value(key{})
		}).
		Return(validation(generated.Valid), nil)
	if _, err := isVerificationLinkFresh(ctx, client, "q=1"); err != nil {
		t.Fatal(err)
	}
	if seen != "request-42" {
		t.Errorf("the call's context carried %v", seen)
	}
}

// A unit test of code that depends on generated.ClientWithResponsesInterface programs the mock
// through EXPECT(): the first check of a link finds it valid, the second finds it expired. In a
// test, create the mock with mocks.NewClientWithResponsesInterface(t) so that missing calls fail
// the test.
func ExampleClientWithResponsesInterface() {
	client := &mocks.ClientWithResponsesInterface{}
	query := "userId=User123&reExpiration=1767225600&reSignature=abc"
	client.EXPECT().
		ValidateSignatureWithResponse(mock.Anything, generated.ValidateSignatureRequest{QueryString: query}).
		Return(validation(generated.Valid), nil).
		Once()
	client.EXPECT().
		ValidateSignatureWithResponse(mock.Anything, generated.ValidateSignatureRequest{QueryString: query}).
		Return(validation(generated.Expired), nil).
		Once()

	for range 2 {
		fresh, err := isVerificationLinkFresh(context.Background(), client, query)
		fmt.Println(fresh, err)
	}
	// Output:
	// true <nil>
	// false <nil>
}
