package mockserver

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/verifeye-twin/verifeye/generated"
)

// sessionBase finds the verification a create-session request names, the base of its
// configuration (see sessionConfig): nil when the request names none or the account has none of
// that name, which is no error.
func (h *handlers) sessionBase(acc *Account, body *generated.CreateSessionRequest) (name string, base *verificationRecord, err error) {
	if body.Name == nil {
		return "", nil, nil
	}
	var e fieldErrors
	name = normalizeName("name", *body.Name, &e)
	if err := e.err(); err != nil {
		return "", nil, err
	}
	base, err = h.s.store.verificationByName(acc.ID, name)
	if errors.Is(err, errNotFound) {
		return name, nil, nil
	}
	return name, base, err
}

func (h *handlers) CreateSession(ctx context.Context, req generated.CreateSessionRequestObject) (generated.CreateSessionResponseObject, error) {
	acc := accountFrom(ctx)
	name, base, err := h.sessionBase(acc, req.Body)
	if err != nil {
		return nil, err
	}
	var verificationID *uuid.UUID
	if base != nil {
		verificationID = &base.id
	}
	cfg, err := sessionConfig(req.Body, name, base)
	if err != nil {
		return nil, err
	}
	rec := &sessionRecord{
		id: h.s.ids.uuid(), account: acc.ID, verificationID: verificationID, config: cfg,
		created: h.s.now(ctx),
	}
	if req.Body.ExternalId != nil {
		rec.externalID = *req.Body.ExternalId
	}
	rec.webhookURL = configWebhookURL(cfg)
	token, err := h.s.auth.issueSessionToken(acc, rec.id.String())
	if err != nil {
		return nil, err
	}
	if err := h.s.store.addSession(rec); err != nil {
		return nil, err
	}
	return createSessionAnswer(sessionCreatedJSON(rec.id, token)), nil
}

func (h *handlers) GetSessionResult(ctx context.Context, req generated.GetSessionResultRequestObject) (generated.GetSessionResultResponseObject, error) {
	id := req.Params.VerificationSessionId
	b, err := h.s.store.sessionResultAnswer(accountFrom(ctx).ID, id, h.s.now(ctx))
	if err != nil {
		return nil, err
	}
	if b == nil {
		if b, err = sessionResultJSON(&generated.SessionResult{VerificationSessionId: id, VerificationResult: generated.SessionStatusPending}); err != nil {
			return nil, err
		}
	}
	return getSessionResultAnswer(b), nil
}
