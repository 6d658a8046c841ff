package mockserver

import (
	"context"

	"github.com/verifeye-twin/verifeye/generated"
	"github.com/verifeye-twin/verifeye/signing"
)

func (h *handlers) CreateSignature(ctx context.Context, req generated.CreateSignatureRequestObject) (generated.CreateSignatureResponseObject, error) {
	acc := accountFrom(ctx)
	var settings signing.Settings
	if ss := req.Body.SecuritySettings; ss != nil {
		settings.ExpirationEnabled = ss.ExpirationEnabled
		settings.EnableNonce = ss.EnableNonce
		if ss.ExpirationInSeconds != nil {
			v := int(*ss.ExpirationInSeconds)
			settings.ExpirationInSeconds = &v
		}
	}
	signed, err := h.s.signer.Create(req.Body.QueryString, acc.SigningSecret, settings, h.s.now(ctx), h.s.ids.nonce)
	if err != nil {
		return nil, err // a *signing.RuleError names the field
	}
	return createSignatureAnswer(signedQueryJSON(&generated.SignedQuery{
		Signature: signed.Signature, SignedQueryString: signed.SignedQueryString,
		Expiration: signed.Expiration, Nonce: signed.Nonce,
	})), nil
}

func (h *handlers) ValidateSignature(ctx context.Context, req generated.ValidateSignatureRequestObject) (generated.ValidateSignatureResponseObject, error) {
	acc := accountFrom(ctx)
	// Read-only: the nonce is looked up, never consumed.
	result, err := h.s.signer.Validate(req.Body.QueryString, acc.SigningSecret, h.s.now(ctx),
		func(nonce string) bool { return h.s.store.nonceUsed(acc.ID, nonce) })
	if err != nil {
		return nil, err // a *signing.RuleError names the field
	}
	return validateSignatureAnswer(signatureValidationJSON(generated.ValidationResult(result))), nil
}
