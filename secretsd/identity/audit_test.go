package identity_test

import (
	"context"
	"maps"
	"testing"

	"github.com/portcullis/portcullis/audit/event"

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

// Every identity event is written under a catalogue action: the constants
// are the catalogue's names, and the one identity-only action maps to one.
func TestAuditActionsAreInTheCatalogue(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		identity.AuditLogin, identity.AuditMFAVerify, identity.AuditStepUp, identity.AuditLogout,
		identity.AuditRefresh, identity.AuditRefreshReuse, identity.AuditRevokeToken, identity.AuditRevokeSession,
		identity.AuditRevokeUser, identity.AuditAPITokenCreate, identity.AuditAPITokenRevoke, identity.AuditUserCreate,
		identity.AuditUserUpdate, identity.AuditUserMFAReset, identity.AuditKeyRotate, identity.AuditMFAEnroll,
		identity.AuditMFAConfirm, identity.AuditMFARemove, identity.AuditMFABackupCodes,
	} {
		if _, ok := event.Lookup(name); !ok {
			t.Errorf("%q is not in the audit catalogue", name)
		}
	}
	cases := []struct {
		name  string
		in    identity.Event
		want  string
		extra map[string]string
	}{
		{"bootstrap is user.create marked bootstrap", identity.Event{Action: identity.AuditUserBootstrap}, "user.create", map[string]string{"bootstrap": "true"}},
		{"too many MFA attempts is the alert", identity.Event{Action: identity.AuditMFAVerify, Outcome: "failure", Reason: "too_many_attempts"},
			"auth.mfa.too_many_attempts", map[string]string{"during": "auth.mfa.verify"}},
		{"too many step-up attempts is the alert", identity.Event{Action: identity.AuditStepUp, Outcome: "failure", Reason: "too_many_attempts"},
			"auth.mfa.too_many_attempts", map[string]string{"during": "auth.step_up"}},
		{"a wrong code is a failed verify", identity.Event{Action: identity.AuditMFAVerify, Outcome: "failure", Reason: "invalid_factor"}, "auth.mfa.verify", nil},
		{"a catalogue action is itself", identity.Event{Action: identity.AuditLogin}, "auth.login", nil},
	}
	for _, c := range cases {
		a, extra, ok := identity.ResolveAction(c.in)
		if !ok || a.Name != c.want || !maps.Equal(extra, c.extra) {
			t.Errorf("%s: ResolveAction = %q %v %v, want %q %v", c.name, a.Name, extra, ok, c.want, c.extra)
		}
	}
	if _, _, ok := identity.ResolveAction(identity.Event{Action: "user.teleport"}); ok {
		t.Error("an action outside the catalogue resolved")
	}
}

// Privileged actions are recorded with Durable set, so the auditor writes
// them before they take effect; per-request events are not.
func TestPrivilegedEventsAreDurable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	_, err := e.svc.CreateUser(ctx, e.admin, identity.NewUser{Username: "new", Password: userPassword, Role: identity.RoleViewer})
	noErr(t, "CreateUser", err)
	created := e.audit.find(identity.AuditUserCreate, identity.OutcomeSuccess)
	if len(created) != 1 || !created[0].Durable {
		t.Errorf("user.create events = %+v, want one durable", created)
	}
	e.login(t, "new", userPassword)
	for _, l := range e.audit.find(identity.AuditLogin, identity.OutcomeSuccess) {
		if l.Durable {
			t.Errorf("a login is per-request, not durable: %+v", l)
		}
	}
}
