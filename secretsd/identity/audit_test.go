package identity_test

import (
	"context"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// Privileged actions are recorded before they take effect: when the audit
// trail is down they fail with ErrAuditFailed and change nothing.
func TestPrivilegedActionsFailWithoutAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)
		devTok := e.login(t, "dev", userPassword)
		e.enrollTOTP(t, e.actor(t, devTok), "phone")
		kid := e.keys.ActiveKeyID()
		other := e.login(t, adminName, adminPassword) // a session for the admin to revoke

		e.audit.fail.Store(true)
		_, err := e.svc.CreateUser(ctx, e.admin, identity.NewUser{Username: "new", Password: userPassword, Role: identity.RoleViewer})
		isErr(t, "CreateUser", err, identity.ErrAuditFailed)
		_, err = e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Disabled: ptr(true), Role: ptr(identity.RoleViewer)})
		isErr(t, "UpdateUser", err, identity.ErrAuditFailed)
		isErr(t, "ResetMFA", e.svc.ResetMFA(ctx, e.admin, dev.ID), identity.ErrAuditFailed)
		_, err = e.svc.RotateSigningKey(ctx, e.admin)
		isErr(t, "RotateSigningKey", err, identity.ErrAuditFailed)
		isErr(t, "RevokeUser of another user", e.svc.RevokeUser(ctx, e.admin, dev.ID), identity.ErrAuditFailed)
		isErr(t, "RevokeSession of another user", e.svc.RevokeSession(ctx, e.actor(t, other), devTok.SessionID), identity.ErrAuditFailed)

		// Unprivileged actions go on (their events are logged instead).
		e.challenge(t, "dev", userPassword)
		e.audit.fail.Store(false)

		if _, err := st.GetUserByUsername(ctx, "new"); err == nil {
			t.Error("the user was created")
		}
		u, err := e.svc.GetUser(ctx, e.admin, dev.ID)
		noErr(t, "GetUser", err)
		if u.Disabled || u.Role != identity.RoleDeveloper || !u.MFAEnabled {
			t.Errorf("user changed: %+v", u)
		}
		e.actor(t, devTok) // not revoked
		if e.keys.ActiveKeyID() != kid {
			t.Error("the signing key was rotated")
		}
		entries, _, err := e.svc.RevocationsAfter(ctx, 0, 0)
		noErr(t, "RevocationsAfter", err)
		if len(entries) != 0 {
			t.Errorf("revocations recorded: %+v", entries)
		}

		fresh := newBareEnv(t, storetest.SQLite(t))
		fresh.audit.fail.Store(true)
		_, err = fresh.svc.Bootstrap(ctx, "root", adminPassword)
		isErr(t, "Bootstrap", err, identity.ErrAuditFailed)
		fresh.audit.fail.Store(false)
		_, err = fresh.svc.Bootstrap(ctx, "root", adminPassword)
		noErr(t, "Bootstrap once the audit trail is back", err)
	})
}
