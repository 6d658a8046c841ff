package mockserver

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// sessionConfig works out a session's effective configuration: the named verification's, with
// the session's verifier blocks applied where its sessionOverrideConfig allows (otherwise they
// are ignored, as the vendor documents), or the inline blocks alone when no name is given.
func (h *handlers) sessionConfig(acc *Account, body *generated.CreateSessionRequest) (generated.VerificationConfig, *uuid.UUID, error) {
	e := &apiError{status: http.StatusBadRequest}
	var cfg generated.VerificationConfig
	var verificationID *uuid.UUID
	if body.Name != nil {
		name := normalizeName("name", *body.Name, e)
		if len(e.fields) > 0 {
			return cfg, nil, e
		}
		v, err := h.s.store.verificationByName(acc.ID, name)
		if err != nil {
			return cfg, nil, notFound("name", fmt.Sprintf("no verification named %q", name))
		}
		cfg, verificationID = v.config, &v.id
		if body.VerifierConfigs != nil && *cfg.SessionOverrideConfig.AllowVerifierOverrides {
			normalizeVerifiers("verifierConfigs", body.VerifierConfigs, e)
			cfg.VerifierConfigs = overrideVerifiers(cfg.VerifierConfigs, body.VerifierConfigs)
		}
	} else {
		if body.VerifierConfigs == nil {
			e.add("verifierConfigs", "is required when name is not given")
			return cfg, nil, e
		}
		cfg.VerifierConfigs = body.VerifierConfigs
	}
	if body.WebhookConfig != nil {
		cfg.WebhookConfig = body.WebhookConfig
	}
	cfg = normalizeConfig("", cfg, e)
	if vc := cfg.VerifierConfigs; vc != nil && vc.FaceRecognition != nil && body.ExternalId == nil {
		switch vc.FaceRecognition.Type {
		case generated.FaceRecognitionTypeMatchVerification, generated.FaceRecognitionTypeUniqueMatchVerification:
			e.add("externalId", "is required when faceRecognition.type is "+string(vc.FaceRecognition.Type))
		}
	}
	if len(e.fields) > 0 {
		return cfg, nil, e
	}
	return cfg, verificationID, nil
}

func (h *handlers) CreateSession(ctx context.Context, req generated.CreateSessionRequestObject) (generated.CreateSessionResponseObject, error) {
	acc := accountFrom(ctx)
	cfg, verificationID, err := h.sessionConfig(acc, req.Body)
	if err != nil {
		return nil, err
	}
	rec := &sessionRecord{
		id: h.s.ids.uuid(), account: acc.ID, verificationID: verificationID, config: cfg,
		created: h.s.clock.Now(),
	}
	if req.Body.ExternalId != nil {
		rec.externalID = *req.Body.ExternalId
	}
	if w := cfg.WebhookConfig; w != nil && w.EventCallbackUrl != nil {
		rec.webhookURL = *w.EventCallbackUrl
	}
	token, err := h.s.auth.issueSessionToken(acc, rec.id.String())
	if err != nil {
		return nil, err
	}
	if err := h.s.store.addSession(rec); err != nil {
		return nil, err
	}
	return generated.CreateSession200JSONResponse{VerificationSessionId: rec.id, SessionToken: token}, nil
}

func (h *handlers) GetSessionResult(ctx context.Context, req generated.GetSessionResultRequestObject) (generated.GetSessionResultResponseObject, error) {
	id := req.Params.VerificationSessionId
	rec, err := h.s.store.getSession(accountFrom(ctx).ID, id, h.s.clock.Now())
	if err != nil {
		return nil, notFound("verificationSessionId", fmt.Sprintf("no session %s created in the last 7 days", id))
	}
	if rec.result == nil {
		return generated.GetSessionResult200JSONResponse{VerificationSessionId: id, VerificationResult: generated.SessionStatusPending}, nil
	}
	return generated.GetSessionResult200JSONResponse(*rec.result), nil
}
