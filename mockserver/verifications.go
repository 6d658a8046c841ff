package mockserver

import (
	"context"

	"github.com/verifeye-twin/verifeye/generated"
)

// verificationInput checks a name and configuration and returns their stored form.
func verificationInput(name string, cfg generated.VerificationConfig) (string, generated.VerificationConfig, error) {
	var e fieldErrors
	n := normalizeName("name", name, &e)
	c := normalizeConfig("verificationConfig", cfg, &e)
	return n, c, e.err()
}

func (h *handlers) GetVerification(ctx context.Context, req generated.GetVerificationRequestObject) (generated.GetVerificationResponseObject, error) {
	v, err := h.s.store.getVerification(accountFrom(ctx).ID, req.Params.VerificationId)
	if err != nil {
		return nil, err
	}
	e, err := v.encoded()
	if err != nil {
		return nil, err
	}
	return getVerificationAnswer{e}, nil
}

func (h *handlers) GetAllVerifications(ctx context.Context, _ generated.GetAllVerificationsRequestObject) (generated.GetAllVerificationsResponseObject, error) {
	b, err := h.s.store.verificationListJSON(accountFrom(ctx).ID)
	if err != nil {
		return nil, err
	}
	return getAllVerificationsAnswer(b), nil
}

func (h *handlers) CreateVerification(ctx context.Context, req generated.CreateVerificationRequestObject) (generated.CreateVerificationResponseObject, error) {
	name, cfg, err := verificationInput(req.Body.Name, req.Body.VerificationConfig)
	if err != nil {
		return nil, err
	}
	v, err := h.s.store.createVerification(accountFrom(ctx).ID, h.s.ids.uuid(), name, cfg, h.s.now(ctx))
	if err != nil {
		return nil, err
	}
	return generated.CreateVerification200JSONResponse{VerificationId: v.id}, nil
}

func (h *handlers) CreateOrUpdateVerification(ctx context.Context, req generated.CreateOrUpdateVerificationRequestObject) (generated.CreateOrUpdateVerificationResponseObject, error) {
	name, cfg, err := verificationInput(req.Body.Name, req.Body.VerificationConfig)
	if err != nil {
		return nil, err
	}
	v, created, err := h.s.store.upsertVerification(accountFrom(ctx).ID, h.s.ids.uuid(), name, cfg, h.s.now(ctx))
	if err != nil {
		return nil, err
	}
	return generated.CreateOrUpdateVerification200JSONResponse{VerificationId: v.id, WasCreated: created}, nil
}

func (h *handlers) UpdateVerification(ctx context.Context, req generated.UpdateVerificationRequestObject) (generated.UpdateVerificationResponseObject, error) {
	name, cfg, err := verificationInput(req.Body.Name, req.Body.VerificationConfig)
	if err != nil {
		return nil, err
	}
	v, err := h.s.store.updateVerification(accountFrom(ctx).ID, req.Body.VerificationId, name, cfg, h.s.now(ctx))
	if err != nil {
		return nil, err
	}
	return generated.UpdateVerification200JSONResponse{VerificationId: v.id}, nil
}

func (h *handlers) DeleteVerification(ctx context.Context, req generated.DeleteVerificationRequestObject) (generated.DeleteVerificationResponseObject, error) {
	if err := h.s.store.deleteVerification(accountFrom(ctx).ID, req.Params.VerificationId); err != nil {
		return nil, err
	}
	h.s.aimed.drop(req.Params.VerificationId) // no session of it can take them now
	return generated.DeleteVerification200Response{}, nil
}
