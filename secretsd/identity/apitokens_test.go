package identity_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)
		session := e.actor(t, e.login(t, "dev", userPassword))

		created, err := e.svc.CreateAPIToken(ctx, session, identity.NewAPIToken{
			Name: "ci", Scopes: []string{"tokens:read", "viewer"}, TTL: 24 * time.Hour,
		})
		noErr(t, "CreateAPIToken", err)
		if !strings.HasPrefix(created.Token, "pcat_") || created.Prefix != created.Token[:12] ||
			!slices.Equal(created.Scopes, []string{"Viewer", "tokens:read"}) || !created.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("created %+v", created.APIToken)
		}

		// Use: the actor is the owner, with the role lowered by the scope.
		e.clock.Advance(time.Minute)
		a, err := e.svc.Authenticate(ctx, created.Token)
		noErr(t, "Authenticate with the API token", err)
		if a.UserID != dev.ID || !a.APIToken || a.Role != identity.RoleViewer || a.SessionID != "" || a.TokenID != created.ID {
			t.Fatalf("API token actor %+v", a)
		}

		// List: never the value, with the last use.
		list, err := e.svc.ListAPITokens(ctx, a)
		noErr(t, "ListAPITokens", err)
		if len(list) != 1 || list[0].ID != created.ID || !list[0].LastUsedAt.Equal(e.clock.Now()) {
			t.Fatalf("list %+v: want the token, last used now", list)
		}
		// The last use is written at most once a minute.
		e.clock.Advance(30 * time.Second)
		_, err = e.svc.Authenticate(ctx, created.Token)
		noErr(t, "Authenticate again", err)
		list, _ = e.svc.ListAPITokens(ctx, a)
		if !list[0].LastUsedAt.Equal(e.clock.Now().Add(-30 * time.Second)) {
			t.Errorf("last use %s written again within a minute", list[0].LastUsedAt)
		}

		// Scopes are enforced.
		_, err = e.svc.CreateAPIToken(ctx, a, identity.NewAPIToken{Name: "child"})
		isErr(t, "a token without tokens:write creates a token", err, identity.ErrForbidden)
		_, err = e.svc.EnrollTOTP(ctx, a, "phone")
		isErr(t, "an API token enrols a factor", err, identity.ErrForbidden)
		_, err = e.svc.BeginStepUp(ctx, a, identity.ClientInfo{})
		isErr(t, "an API token steps up", err, identity.ErrForbidden)
		isErr(t, "an API token logs out", e.svc.Logout(ctx, a), identity.ErrForbidden)

		// Name conflicts among live tokens; bad input is refused.
		_, err = e.svc.CreateAPIToken(ctx, session, identity.NewAPIToken{Name: "ci"})
		isErr(t, "a second live token named ci", err, identity.ErrConflict)
		for _, in := range []identity.NewAPIToken{
			{Name: ""}, {Name: "bad\nname"}, {Name: "x", Scopes: []string{"root"}}, {Name: "x", TTL: time.Second}, {Name: "x", TTL: -time.Hour},
		} {
			_, err := e.svc.CreateAPIToken(ctx, session, in)
			isErr(t, "CreateAPIToken with bad input", err, identity.ErrInvalidInput)
		}
		_, err = e.svc.CreateAPIToken(ctx, session, identity.NewAPIToken{Name: "x", Scopes: []string{"users:write"}})
		isErr(t, "a developer grants users:write", err, identity.ErrForbidden)

		// Revoke: refused from then on, listed as revoked, name free again.
		noErr(t, "RevokeAPIToken", e.svc.RevokeAPIToken(ctx, session, created.ID))
		_, err = e.svc.Authenticate(ctx, created.Token)
		isErr(t, "Authenticate with a revoked API token", err, identity.ErrUnauthenticated)
		list, _ = e.svc.ListAPITokens(ctx, session)
		if len(list) != 1 || list[0].RevokedAt.IsZero() {
			t.Errorf("list after revoking %+v", list)
		}
		_, err = e.svc.CreateAPIToken(ctx, session, identity.NewAPIToken{Name: "ci"})
		noErr(t, "reusing the name of a revoked token", err)
		isErr(t, "revoking an unknown token", e.svc.RevokeAPIToken(ctx, session, "nope"), identity.ErrNotFound)
		if len(e.audit.find(identity.AuditAPITokenCreate, identity.OutcomeSuccess)) != 2 || len(e.audit.find(identity.AuditAPITokenRevoke, identity.OutcomeSuccess)) != 1 {
			t.Error("API token creation and revocation not audited")
		}
		for _, ev := range e.audit.all() {
			for _, v := range ev.Details {
				if s, ok := v.(string); ok && strings.HasPrefix(s, "pcat_") && len(s) > 12 {
					t.Errorf("audit event %s carries a token value", ev.Action)
				}
			}
		}

		// Expiry.
		short, err := e.svc.CreateAPIToken(ctx, session, identity.NewAPIToken{Name: "short", TTL: time.Hour})
		noErr(t, "CreateAPIToken", err)
		e.clock.Advance(time.Hour)
		_, err = e.svc.Authenticate(ctx, short.Token)
		isErr(t, "Authenticate with an expired API token", err, identity.ErrUnauthenticated)

		for _, bad := range []string{"pcat_", "pcat_unknown", "", strings.Repeat("a", 9000)} {
			_, err := e.svc.Authenticate(ctx, bad)
			isErr(t, "Authenticate with garbage", err, identity.ErrUnauthenticated)
		}
	})
}

func TestAPITokenScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.createUser(t, "dev", identity.RoleDeveloper)
	token := func(owner identity.Actor, scopes ...string) identity.Actor {
		t.Helper()
		c, err := e.svc.CreateAPIToken(ctx, owner, identity.NewAPIToken{Name: strings.Join(scopes, ",") + "-" + owner.TokenID[:4], Scopes: scopes})
		noErr(t, "CreateAPIToken", err)
		a, err := e.svc.Authenticate(ctx, c.Token)
		noErr(t, "Authenticate", err)
		return a
	}

	reader := token(e.admin, "users:read")
	_, err := e.svc.ListUsers(ctx, reader)
	noErr(t, "ListUsers with users:read", err)
	_, err = e.svc.CreateUser(ctx, reader, identity.NewUser{Username: "x", Password: userPassword, Role: identity.RoleViewer})
	isErr(t, "CreateUser with users:read", err, identity.ErrForbidden)

	writer := token(e.admin, "users:write")
	_, err = e.svc.CreateUser(ctx, writer, identity.NewUser{Username: "made-by-token", Password: userPassword, Role: identity.RoleViewer})
	noErr(t, "CreateUser with users:write", err)
	_, err = e.svc.RotateSigningKey(ctx, writer)
	isErr(t, "RotateSigningKey with users:write", err, identity.ErrForbidden)

	limited := token(e.admin, "Developer", "users:write")
	if limited.Role != identity.RoleDeveloper {
		t.Fatalf("admin token limited to Developer acts as %s", limited.Role)
	}
	_, err = e.svc.ListUsers(ctx, limited)
	isErr(t, "ListUsers with an admin token limited to Developer", err, identity.ErrForbidden)

	rotator := token(e.admin, "keys:rotate")
	before := e.keys.ActiveKeyID()
	kid, err := e.svc.RotateSigningKey(ctx, rotator)
	noErr(t, "RotateSigningKey with keys:rotate", err)
	if kid == before || e.keys.ActiveKeyID() != kid {
		t.Errorf("rotation gave %s (before %s, active %s)", kid, before, e.keys.ActiveKeyID())
	}

	// A token that may create tokens never creates a stronger one.
	devSession := e.actor(t, e.login(t, "dev", userPassword))
	maker := token(devSession, "Viewer", "tokens:write")
	child := token(maker, "tokens:read")
	if child.Role != identity.RoleViewer || !slices.Contains(child.Scopes, "Viewer") {
		t.Errorf("child of a Viewer-limited token: role %s scopes %v", child.Role, child.Scopes)
	}
	_, err = e.svc.CreateAPIToken(ctx, maker, identity.NewAPIToken{Name: "stronger", Scopes: []string{"Developer"}})
	isErr(t, "a Viewer-limited token creating a Developer token", err, identity.ErrForbidden)
	_, err = e.svc.CreateAPIToken(ctx, maker, identity.NewAPIToken{Name: "wider", Scopes: []string{"sessions:revoke"}})
	isErr(t, "a token granting a scope it lacks", err, identity.ErrForbidden)

	// An admin revokes anyone's API token; a developer only their own.
	revoker := token(devSession, "sessions:revoke")
	isErr(t, "a developer revoking the admin's token", e.svc.RevokeAPIToken(ctx, devSession, reader.TokenID), identity.ErrNotFound)
	noErr(t, "the admin revoking the developer's token", e.svc.RevokeAPIToken(ctx, e.admin, revoker.TokenID))
	_, err = e.svc.Authenticate(ctx, "pcat_"+strings.Repeat("A", 43))
	isErr(t, "a well-formed unknown token", err, identity.ErrUnauthenticated)
}
