package mockserver

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// sessionConfig works out a session's effective configuration.
//
// The vendor documents create-session with two examples that must both start a session on an
// account with no verifications: `"name": "default"` with a complete inline verifierConfigs and
// webhookConfig, and verifierConfigs alone; its status list is 200/400/401, with no 404. So the
// mock reads `name` as a label for the session that also picks a base: when the account has a
// verification of that name, its configuration (redirect, result parameters, security, webhook,
// verifiers) is the base and the request's verifier blocks replace the base's block by block;
// otherwise the inline configuration stands alone. allowVerifierOverrides does not apply here:
// it governs what a hosted-page link may change (the reDisable…Verifier keys, see
// applyHostedOverrides), not what the account's own server-side call asks for, and inline
// blocks are never dropped. An inline webhookConfig replaces the base's. verifierConfigs is
// required only when there is no base to run.
func (h *handlers) sessionConfig(acc *Account, body *generated.CreateSessionRequest) (generated.VerificationConfig, *uuid.UUID, error) {
	e := &apiError{status: http.StatusBadRequest}
	var cfg generated.VerificationConfig
	var verificationID *uuid.UUID
	var base *verificationRecord
	name := ""
	if body.Name != nil {
		name = normalizeName("name", *body.Name, e)
		if len(e.fields) > 0 {
			return cfg, nil, e
		}
		if v, err := h.s.store.verificationByName(acc.ID, name); err == nil {
			base = v
		}
	}
	switch {
	case base != nil:
		cfg, verificationID = base.config, &base.id
		cfg.VerifierConfigs = overrideVerifiers(cfg.VerifierConfigs, body.VerifierConfigs)
	case body.VerifierConfigs == nil && body.Name != nil:
		e.add("verifierConfigs", fmt.Sprintf("is required when no verification is named %q", name))
		return cfg, nil, e
	case body.VerifierConfigs == nil:
		e.add("verifierConfigs", "is required when name is not given")
		return cfg, nil, e
	default:
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
