package contract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// A run against a mock with a control API leaves the mock as it found it, so that several runs
// (and other test suites) can share one mock at the same time. Without a key of its own, the run
// creates tenants (accounts of its own, see docs/control-api.md), does everything in them, and
// deletes them at the end: their clocks, queued subjects, faults and data go with them. Given a
// key, it scopes every control call to that account and moves the account's clock back at the
// end by as much as it moved it.

// ownAccounts gives the run its accounts on target (changing target's keys and control client)
// and returns what undoes it at the end of the run.
func ownAccounts(ctx context.Context, target *Target, runID string) (func(), error) {
	if target.Control == nil {
		return func() {}, nil
	}
	c := target.Control
	ctl := &Control{BaseURL: c.BaseURL, Token: c.Token, HTTP: c.HTTP, APIKey: target.APIKey}
	target.Control = ctl
	if target.APIKey != "" {
		return func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = ctl.RestoreClock(ctx)
		}, nil
	}
	admin := &Control{BaseURL: c.BaseURL, Token: c.Token, HTTP: c.HTTP} // creates and deletes tenants
	var created []Tenant
	undo := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		for _, tn := range created {
			_ = admin.DeleteTenant(ctx, tn.AccountID)
		}
	}
	a, err := admin.CreateTenant(ctx, "verifeye-contract "+runID)
	var ce *ControlError
	if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
		return nil, errors.New("no API key given, and the mock has no tenants to run in (an older mock?): give --api-key")
	}
	if err != nil {
		return nil, fmt.Errorf("create a tenant for the run: %w", err)
	}
	created = append(created, a)
	target.APIKey, ctl.APIKey = a.APIKey, a.APIKey
	if target.APIKeyB == "" {
		b, err := admin.CreateTenant(ctx, "verifeye-contract "+runID+" second account")
		if err != nil {
			undo()
			return nil, fmt.Errorf("create a second tenant for the run: %w", err)
		}
		created = append(created, b)
		target.APIKeyB = b.APIKey
	}
	return undo, nil
}
