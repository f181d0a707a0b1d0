package identity_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func TestBootstrapRunsOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newBareEnv(t, st)
		ctx := context.Background()
		_, err := e.svc.Bootstrap(ctx, "root", "short")
		isErr(t, "Bootstrap with a short password", err, identity.ErrInvalidInput)

		// Several at once (two nodes, two commands): exactly one admin.
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = e.svc.Bootstrap(ctx, "admin"+string(rune('a'+i)), adminPassword) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, identity.ErrAlreadyBootstrapped):
				t.Errorf("concurrent Bootstrap: %v", err)
			}
		}
		users, err := st.ListUsers(ctx)
		noErr(t, "ListUsers", err)
		if ok != 1 || len(users) != 1 || users[0].Role != "Admin" {
			t.Fatalf("%d bootstraps succeeded, users %+v; want exactly one Admin", ok, users)
		}
		_, err = e.svc.Bootstrap(ctx, "late", adminPassword)
		isErr(t, "Bootstrap once users exist", err, identity.ErrAlreadyBootstrapped)
		if len(e.audit.find(identity.AuditUserBootstrap, identity.OutcomeSuccess)) == 0 {
			t.Error("bootstrap not audited")
		}
	})
}

func TestAdminOperationsAreRefusedToOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	victim := e.createUser(t, "victim", identity.RoleViewer)
	for _, role := range []identity.Role{identity.RoleDeveloper, identity.RoleOperator, identity.RoleViewer, identity.RoleAuditor} {
		name := strings.ToLower(string(role))
		e.createUser(t, name, role)
		a := e.actor(t, e.login(t, name, userPassword))
		ops := map[string]error{}
		_, ops["CreateUser"] = e.svc.CreateUser(ctx, a, identity.NewUser{Username: "new-" + name, Password: userPassword, Role: identity.RoleAdmin})
		_, ops["ListUsers"] = e.svc.ListUsers(ctx, a)
		_, ops["GetUser"] = e.svc.GetUser(ctx, a, victim.ID)
		_, ops["UpdateUser"] = e.svc.UpdateUser(ctx, a, a.UserID, identity.UserChange{Role: ptr(identity.RoleAdmin)})
		ops["ResetMFA"] = e.svc.ResetMFA(ctx, a, victim.ID)
		_, ops["RotateSigningKey"] = e.svc.RotateSigningKey(ctx, a)
		ops["RevokeUser"] = e.svc.RevokeUser(ctx, a, victim.ID)
		for op, err := range ops {
			isErr(t, string(role)+" "+op, err, identity.ErrForbidden)
		}
		if me, _ := e.svc.Me(ctx, a); me.Role != role {
			t.Errorf("%s changed their own role to %s", role, me.Role)
		}
	}
	if _, err := e.store.GetUserByUsername(ctx, "new-developer"); !errors.Is(err, store.ErrNotFound) {
		t.Error("a refused CreateUser created the user")
	}
}

func TestUserAdministration(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)

		t.Run("create refuses bad input naming the field", func(t *testing.T) {
			for field, in := range map[string]identity.NewUser{
				"username": {Username: "not valid!", Password: userPassword, Role: identity.RoleViewer},
				"password": {Username: "ok", Password: "short", Role: identity.RoleViewer},
				"role":     {Username: "ok", Password: userPassword, Role: "Root"},
				"team":     {Username: "ok", Password: userPassword, Role: identity.RoleViewer, Team: "a team"},
				"groups":   {Username: "ok", Password: userPassword, Role: identity.RoleViewer, Groups: []string{"ok", ""}},
				"email":    {Username: "ok", Password: userPassword, Role: identity.RoleViewer, Email: "Bob <bob@example.com>"},
			} {
				_, err := e.svc.CreateUser(ctx, e.admin, in)
				if !errors.Is(err, identity.ErrInvalidInput) || !strings.Contains(err.Error(), field) {
					t.Errorf("bad %s: CreateUser = %v, want ErrInvalidInput naming %q", field, err, field)
				}
			}
			_, err := e.svc.CreateUser(ctx, e.admin, identity.NewUser{Username: "DEV", Password: userPassword, Role: identity.RoleViewer})
			isErr(t, "a taken username, in another case", err, identity.ErrConflict)
		})
		t.Run("list and get", func(t *testing.T) {
			users, err := e.svc.ListUsers(ctx, e.admin)
			noErr(t, "ListUsers", err)
			if len(users) != 2 || users[0].Username != "dev" || users[1].Username != "root" {
				t.Fatalf("users %+v", users)
			}
			got, err := e.svc.GetUser(ctx, e.admin, dev.ID)
			noErr(t, "GetUser", err)
			if got.Role != identity.RoleDeveloper || got.Team != "platform" || len(got.Groups) != 1 {
				t.Errorf("GetUser = %+v", got)
			}
			_, err = e.svc.GetUser(ctx, e.admin, "nope")
			isErr(t, "GetUser unknown", err, identity.ErrNotFound)
		})
		t.Run("a role change applies at once", func(t *testing.T) {
			tok := e.login(t, "dev", userPassword)
			u, err := e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Role: ptr(identity.RoleOperator), Team: ptr("ops")})
			noErr(t, "UpdateUser role", err)
			if u.Role != identity.RoleOperator || u.Team != "ops" {
				t.Fatalf("updated %+v", u)
			}
			_, err = e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "a token with the old role", err, identity.ErrUnauthenticated)
			e.nextSecond()
			if p := e.claims(t, e.login(t, "dev", userPassword).AccessToken); p.Role != "Operator" || p.Team != "ops" {
				t.Errorf("new token role %s team %s", p.Role, p.Team)
			}
		})
		t.Run("a password change ends sessions", func(t *testing.T) {
			tok := e.login(t, "dev", userPassword)
			_, err := e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Password: ptr("a brand new password")})
			noErr(t, "UpdateUser password", err)
			_, err = e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "a token from before the password change", err, identity.ErrUnauthenticated)
			_, err = e.svc.Login(ctx, "dev", userPassword, identity.ClientInfo{})
			isErr(t, "the old password", err, identity.ErrInvalidCredentials)
			e.nextSecond()
			e.login(t, "dev", "a brand new password")
			_, err = e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Password: ptr("   ")})
			isErr(t, "a blank password", err, identity.ErrInvalidInput)
			_, err = e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{})
			isErr(t, "an empty change", err, identity.ErrInvalidInput)
		})
		t.Run("disabling revokes everything", func(t *testing.T) {
			e.nextSecond()
			tok := e.login(t, "dev", "a brand new password")
			api, err := e.svc.CreateAPIToken(ctx, e.actor(t, tok), identity.NewAPIToken{Name: "ci"})
			noErr(t, "CreateAPIToken", err)
			u, err := e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Disabled: ptr(true)})
			noErr(t, "disabling", err)
			if !u.Disabled {
				t.Fatal("not disabled")
			}
			for _, bearer := range []string{tok.AccessToken, api.Token} {
				_, err := e.svc.Authenticate(ctx, bearer)
				isErr(t, "a token of a disabled user", err, identity.ErrUnauthenticated)
			}
			_, err = e.svc.Refresh(ctx, tok.RefreshToken, identity.ClientInfo{})
			isErr(t, "refreshing for a disabled user", err, identity.ErrUnauthenticated)
			_, err = e.svc.Login(ctx, "dev", "a brand new password", identity.ClientInfo{})
			isErr(t, "a disabled user logging in", err, identity.ErrInvalidCredentials)

			_, err = e.svc.UpdateUser(ctx, e.admin, dev.ID, identity.UserChange{Disabled: ptr(false)})
			noErr(t, "enabling", err)
			e.nextSecond()
			e.login(t, "dev", "a brand new password")
			_, err = e.svc.Authenticate(ctx, api.Token)
			isErr(t, "an API token revoked by the disable", err, identity.ErrUnauthenticated)
		})
		t.Run("the last admin stays", func(t *testing.T) {
			_, err := e.svc.UpdateUser(ctx, e.admin, e.admin.UserID, identity.UserChange{Disabled: ptr(true)})
			isErr(t, "disabling the last admin", err, identity.ErrConflict)
			_, err = e.svc.UpdateUser(ctx, e.admin, e.admin.UserID, identity.UserChange{Role: ptr(identity.RoleViewer)})
			isErr(t, "demoting the last admin", err, identity.ErrConflict)
			e.actor(t, e.login(t, adminName, adminPassword))
		})
		t.Run("reset MFA", func(t *testing.T) {
			e.nextSecond()
			a := e.actor(t, e.login(t, "dev", "a brand new password"))
			e.enrollTOTP(t, a, "phone")
			e.challenge(t, "dev", "a brand new password")
			noErr(t, "ResetMFA", e.svc.ResetMFA(ctx, e.admin, dev.ID))
			e.login(t, "dev", "a brand new password")
			if got, _ := e.svc.GetUser(ctx, e.admin, dev.ID); got.MFAEnabled {
				t.Error("MFA still enabled after the reset")
			}
			isErr(t, "ResetMFA of an unknown user", e.svc.ResetMFA(ctx, e.admin, "nope"), identity.ErrNotFound)
		})
		for _, action := range []string{identity.AuditUserCreate, identity.AuditUserUpdate, identity.AuditUserMFAReset} {
			if len(e.audit.find(action, identity.OutcomeSuccess)) == 0 {
				t.Errorf("%s not audited", action)
			}
		}
	})
}
