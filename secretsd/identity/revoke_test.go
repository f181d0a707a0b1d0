package identity_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestRevocation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)
		other := e.createUser(t, "other", identity.RoleDeveloper)

		t.Run("a token by jti", func(t *testing.T) {
			tok := e.login(t, "dev", userPassword)
			a := e.actor(t, tok)
			sibling, err := e.svc.Refresh(ctx, tok.RefreshToken, identity.ClientInfo{})
			noErr(t, "Refresh", err)
			noErr(t, "RevokeToken", e.svc.RevokeToken(ctx, a, a.TokenID))
			_, err = e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate a revoked token", err, identity.ErrUnauthenticated)
			e.actor(t, sibling) // another token of the session still works
			if !e.pub.has(revocation.KindToken, a.TokenID) {
				t.Error("the jti was not published")
			}
		})
		t.Run("a session", func(t *testing.T) {
			tok := e.login(t, "dev", userPassword)
			keep := e.login(t, "dev", userPassword)
			noErr(t, "RevokeSession", e.svc.RevokeSession(ctx, e.actor(t, keep), tok.SessionID))
			_, err := e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate in a revoked session", err, identity.ErrUnauthenticated)
			_, err = e.svc.Refresh(ctx, tok.RefreshToken, identity.ClientInfo{})
			isErr(t, "Refresh in a revoked session", err, identity.ErrUnauthenticated)
			e.actor(t, keep)
		})
		t.Run("logout", func(t *testing.T) {
			tok := e.login(t, "dev", userPassword)
			noErr(t, "Logout", e.svc.Logout(ctx, e.actor(t, tok)))
			_, err := e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate after logout", err, identity.ErrUnauthenticated)
			if len(e.audit.find(identity.AuditLogout, identity.OutcomeSuccess)) != 1 {
				t.Error("logout not audited")
			}
		})
		t.Run("a user", func(t *testing.T) {
			one, two := e.login(t, "dev", userPassword), e.login(t, "dev", userPassword)
			a := e.actor(t, one)
			api, err := e.svc.CreateAPIToken(ctx, a, identity.NewAPIToken{Name: "ci"})
			noErr(t, "CreateAPIToken", err)
			noErr(t, "RevokeUser", e.svc.RevokeUser(ctx, a, dev.ID))
			for _, bearer := range []string{one.AccessToken, two.AccessToken, api.Token} {
				_, err := e.svc.Authenticate(ctx, bearer)
				isErr(t, "Authenticate after the user was revoked", err, identity.ErrUnauthenticated)
			}
			_, err = e.svc.Refresh(ctx, two.RefreshToken, identity.ClientInfo{})
			isErr(t, "Refresh after the user was revoked", err, identity.ErrUnauthenticated)
			if !e.pub.has(revocation.KindUser, dev.ID) {
				t.Error("the user revocation was not published")
			}
			e.nextSecond()
			e.actor(t, e.login(t, "dev", userPassword)) // a new login works
		})
		t.Run("of someone else is refused to a developer", func(t *testing.T) {
			e.nextSecond()
			mine := e.actor(t, e.login(t, "dev", userPassword))
			theirs := e.login(t, "other", userPassword)
			theirActor := e.actor(t, theirs)
			isErr(t, "RevokeSession of another user", e.svc.RevokeSession(ctx, mine, theirs.SessionID), identity.ErrForbidden)
			isErr(t, "RevokeToken of another user", e.svc.RevokeToken(ctx, mine, theirActor.TokenID), identity.ErrForbidden)
			isErr(t, "RevokeUser of another user", e.svc.RevokeUser(ctx, mine, other.ID), identity.ErrForbidden)
			e.actor(t, theirs)
		})
		t.Run("of anyone by an admin", func(t *testing.T) {
			e.nextSecond()
			tok := e.login(t, "other", userPassword)
			a := e.actor(t, tok)
			noErr(t, "admin RevokeToken", e.svc.RevokeToken(ctx, e.admin, a.TokenID))
			_, err := e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate a token an admin revoked", err, identity.ErrUnauthenticated)
			tok = e.login(t, "other", userPassword)
			noErr(t, "admin RevokeSession", e.svc.RevokeSession(ctx, e.admin, tok.SessionID))
			_, err = e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate in a session an admin revoked", err, identity.ErrUnauthenticated)
			tok = e.login(t, "other", userPassword)
			noErr(t, "admin RevokeUser", e.svc.RevokeUser(ctx, e.admin, other.ID))
			_, err = e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate a user an admin revoked", err, identity.ErrUnauthenticated)
			if len(e.audit.find(identity.AuditRevokeUser, identity.OutcomeSuccess)) < 2 {
				t.Error("user revocations not audited")
			}
		})
		t.Run("of unknown things", func(t *testing.T) {
			isErr(t, "RevokeSession unknown", e.svc.RevokeSession(ctx, e.admin, "nope"), identity.ErrNotFound)
			isErr(t, "RevokeUser unknown", e.svc.RevokeUser(ctx, e.admin, "nope"), identity.ErrNotFound)
			isErr(t, "RevokeToken with a space", e.svc.RevokeToken(ctx, e.admin, "a b"), identity.ErrInvalidInput)
			isErr(t, "RevokeToken empty", e.svc.RevokeToken(ctx, e.admin, ""), identity.ErrInvalidInput)
		})
	})
}

// A revocation made on one node is refused by Authenticate on another node
// sharing the store, at its next request.
func TestRevocationReachesOtherNodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		a := newEnv(t, st)
		b := newBareEnv(t, st, sameNode(a))
		a.createUser(t, "dev", identity.RoleDeveloper)
		tok := a.login(t, "dev", userPassword)
		actor := b.actor(t, tok) // node b has synced its copy once
		noErr(t, "RevokeToken on node a", a.svc.RevokeToken(ctx, actor, actor.TokenID))
		_, err := b.svc.Authenticate(ctx, tok.AccessToken)
		isErr(t, "Authenticate on node b", err, identity.ErrUnauthenticated)
	})
}

func TestRevocationFailsClosedWhenRedisFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.createUser(t, "dev", identity.RoleDeveloper)
	tok := e.login(t, "dev", userPassword)
	e.pub.fail.Store(true)
	err := e.svc.Logout(ctx, e.actor(t, tok))
	if err == nil || !strings.Contains(err.Error(), "publishing") {
		t.Fatalf("Logout with Redis down = %v, want an error to retry", err)
	}
	// The store has it regardless: this node and the feed refuse the token.
	_, err = e.svc.Authenticate(ctx, tok.AccessToken)
	isErr(t, "Authenticate after a half-published logout", err, identity.ErrUnauthenticated)
	entries, _, err := e.svc.RevocationsAfter(ctx, 0, 0)
	noErr(t, "RevocationsAfter", err)
	if len(entries) != 1 || entries[0].Kind != revocation.KindSession || entries[0].ID != tok.SessionID {
		t.Fatalf("feed entries %+v, want the session", entries)
	}
	// The retry succeeds once Redis is back.
	e.pub.fail.Store(false)
	noErr(t, "RevokeSession retry", e.svc.RevokeSession(ctx, e.admin, tok.SessionID))
	if !e.pub.has(revocation.KindSession, tok.SessionID) {
		t.Error("the retried revocation was not published")
	}
}

// With a real Redis, revocations land in the sorted set every gateway's
// mirror reads.
func TestRevocationsArePublishedToRedis(t *testing.T) {
	t.Parallel()
	client := testenv.RedisClient(t)
	keys := revocation.Keys{Prefix: "identity-test-" + strings.ToLower(rand.Text()[:10])}
	clk := clock.NewManual(t0)
	pub := revocation.NewRedisPublisher(client, keys, clk)
	e := newEnv(t, storetest.SQLite(t), withPublisher(pub), func(c *envConfig) { c.clock = clk })
	ctx := context.Background()
	dev := e.createUser(t, "dev", identity.RoleDeveloper)
	a := e.actor(t, e.login(t, "dev", userPassword))
	noErr(t, "RevokeToken", e.svc.RevokeToken(ctx, a, a.TokenID))
	noErr(t, "RevokeUser", e.svc.RevokeUser(ctx, e.admin, dev.ID))

	members, err := client.ZRange(ctx, keys.Set(), 0, -1).Result()
	noErr(t, "ZRANGE", err)
	if !slices.Contains(members, "jti:"+a.TokenID) {
		t.Errorf("redis set %v lacks the token", members)
	}
	if !slices.ContainsFunc(members, func(m string) bool { return strings.HasPrefix(m, "sub:") && strings.HasSuffix(m, ":"+dev.ID) }) {
		t.Errorf("redis set %v lacks the user", members)
	}
}
