package identity_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestRefreshRotates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		first := e.login(t, "dev", userPassword)

		e.clock.Advance(10 * time.Minute)
		second, err := e.svc.Refresh(ctx, first.RefreshToken, identity.ClientInfo{})
		noErr(t, "Refresh", err)
		if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.SessionID != first.SessionID {
			t.Fatalf("refresh did not rotate within the session: %+v", second)
		}
		p := e.claims(t, second.AccessToken)
		if !p.AuthTime.Equal(t0) || !slices.Equal(p.AMR, []string{"pwd"}) || p.ACR != identity.ACRPassword {
			t.Errorf("refreshed token auth_time %s amr %v acr %q: a refresh must keep the login's", p.AuthTime, p.AMR, p.ACR)
		}
		if !p.IssuedAt.Equal(e.clock.Now()) || !p.Expiry.Equal(e.clock.Now().Add(15*time.Minute)) {
			t.Errorf("refreshed token iat %s exp %s: want now and now+15m", p.IssuedAt, p.Expiry)
		}
		e.actor(t, second)

		third, err := e.svc.Refresh(ctx, second.RefreshToken, identity.ClientInfo{})
		noErr(t, "second Refresh", err)
		e.actor(t, third)
		if len(e.audit.find(identity.AuditRefresh, identity.OutcomeSuccess)) != 2 {
			t.Error("refreshes not audited")
		}

		for _, bad := range []string{"", "pcrt_unknown", "not-a-refresh-token", third.AccessToken} {
			_, err := e.svc.Refresh(ctx, bad, identity.ClientInfo{})
			isErr(t, "Refresh with "+bad, err, identity.ErrUnauthenticated)
		}
	})
}

func TestRefreshReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		first := e.login(t, "dev", userPassword)
		second, err := e.svc.Refresh(ctx, first.RefreshToken, identity.ClientInfo{})
		noErr(t, "Refresh", err)

		// The first token comes back: someone else holds the family.
		_, err = e.svc.Refresh(ctx, first.RefreshToken, identity.ClientInfo{IP: "198.51.100.7"})
		isErr(t, "replaying a rotated refresh token", err, identity.ErrRefreshReused)

		// The legitimate holder's newer token stops working too, and so do
		// the session's access tokens.
		_, err = e.svc.Refresh(ctx, second.RefreshToken, identity.ClientInfo{})
		isErr(t, "refreshing with the newest token of a revoked family", err, identity.ErrUnauthenticated)
		for _, tok := range []identity.Tokens{first, second} {
			_, err := e.svc.Authenticate(ctx, tok.AccessToken)
			isErr(t, "Authenticate with an access token of the revoked family", err, identity.ErrUnauthenticated)
		}
		sess, err := st.GetSession(ctx, first.SessionID)
		noErr(t, "GetSession", err)
		if sess.RevokedAt.IsZero() || sess.RevokeReason != "refresh_reuse" {
			t.Errorf("session %+v not revoked for refresh reuse", sess)
		}
		if !e.pub.has(revocation.KindSession, first.SessionID) {
			t.Error("the session's revocation was not published")
		}
		evs := e.audit.find(identity.AuditRefreshReuse, identity.OutcomeFailure)
		if len(evs) != 1 || evs[0].Session != first.SessionID || evs[0].Details["ip"] != "198.51.100.7" {
			t.Fatalf("reuse audit events %+v", evs)
		}
		// Other sessions of the user are untouched.
		e.actor(t, e.login(t, "dev", userPassword))
	})
}

func TestRefreshOfADisabledUserIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	dev := e.createUser(t, "dev", identity.RoleDeveloper)
	tok := e.login(t, "dev", userPassword)
	// Disable behind the service's back (as another tool might): the refresh
	// itself must notice, and end the session.
	u, err := e.store.GetUser(ctx, dev.ID)
	noErr(t, "GetUser", err)
	u.Disabled = true
	noErr(t, "UpdateUser", e.store.UpdateUser(ctx, u))
	_, err = e.svc.Refresh(ctx, tok.RefreshToken, identity.ClientInfo{})
	isErr(t, "Refresh of a disabled user", err, identity.ErrUnauthenticated)
	sess, err := e.store.GetSession(ctx, tok.SessionID)
	noErr(t, "GetSession", err)
	if sess.RevokedAt.IsZero() {
		t.Error("the disabled user's session was not revoked")
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	e.createUser(t, "dev", identity.RoleDeveloper)
	tok := e.login(t, "dev", userPassword)
	e.clock.Advance(7*24*time.Hour + time.Second)
	_, err := e.svc.Refresh(context.Background(), tok.RefreshToken, identity.ClientInfo{})
	isErr(t, "Refresh after 7 days", err, identity.ErrUnauthenticated)
}
