package identity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

type feedAnswer struct {
	entries []revocation.Entry
	cursor  int64
	err     error
}

// longPoll starts RevocationsAfter on svc and returns where its answer comes.
func longPoll(ctx context.Context, svc *identity.Service, cursor int64) <-chan feedAnswer {
	ch := make(chan feedAnswer, 1)
	go func() {
		es, c, err := svc.RevocationsAfter(ctx, cursor, identity.MaxFeedWait)
		ch <- feedAnswer{es, c, err}
	}()
	return ch
}

// await receives the answer; the bound only turns a hang into a failure.
func await(t *testing.T, ch <-chan feedAnswer) feedAnswer {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(20 * time.Second):
		t.Fatal("the long poll did not answer")
		return feedAnswer{}
	}
}

func TestRevocationFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)

		entries, cursor, err := e.svc.RevocationsAfter(ctx, 0, 0)
		noErr(t, "RevocationsAfter on an empty log", err)
		if len(entries) != 0 || cursor != 0 {
			t.Fatalf("empty log: %v, cursor %d", entries, cursor)
		}

		tok := e.login(t, "dev", userPassword)
		a := e.actor(t, tok)
		noErr(t, "RevokeToken", e.svc.RevokeToken(ctx, a, a.TokenID))
		noErr(t, "Logout", e.svc.Logout(ctx, a))
		noErr(t, "RevokeUser", e.svc.RevokeUser(ctx, e.admin, dev.ID))

		entries, cursor, err = e.svc.RevocationsAfter(ctx, 0, time.Second)
		noErr(t, "RevocationsAfter", err)
		if len(entries) != 3 || cursor <= 0 {
			t.Fatalf("entries %+v cursor %d, want 3 entries", entries, cursor)
		}
		until := e.clock.Now().Add(15 * time.Minute)
		want := []revocation.Entry{
			{Kind: revocation.KindToken, ID: a.TokenID, Until: until},
			{Kind: revocation.KindSession, ID: tok.SessionID, Until: until},
			{Kind: revocation.KindUser, ID: dev.ID, Before: e.clock.Now(), Until: until},
		}
		for i, w := range want {
			g := entries[i]
			if g.Kind != w.Kind || g.ID != w.ID || !g.Before.Equal(w.Before) || !g.Until.Equal(w.Until) {
				t.Errorf("entry %d = %+v, want %+v", i, g, w)
			}
			if _, err := revocation.ParseMessage(g.Message()); err != nil {
				t.Errorf("entry %d does not survive the wire format: %v", i, err)
			}
		}

		// Nothing after the cursor: wait zero answers at once.
		more, same, err := e.svc.RevocationsAfter(ctx, cursor, 0)
		noErr(t, "RevocationsAfter at the end", err)
		if len(more) != 0 || same != cursor {
			t.Fatalf("at the end: %v, cursor %d (want %d)", more, same, cursor)
		}

		// A cursor beyond the end belongs to another log (a recreated
		// database): the answer is this log's end, so the gateway starts over.
		for _, wait := range []time.Duration{0, time.Second} {
			none, end, err := e.svc.RevocationsAfter(ctx, cursor+1000, wait)
			noErr(t, "RevocationsAfter beyond the end", err)
			if len(none) != 0 || end != cursor {
				t.Fatalf("beyond the end (wait %v): %v, cursor %d; want the log's end %d", wait, none, end, cursor)
			}
		}

		// A long poll wakes on the next revocation made here.
		answer := longPoll(ctx, e.svc, cursor)
		e.nextSecond()
		next := e.login(t, "dev", userPassword)
		noErr(t, "Logout", e.svc.Logout(ctx, e.actor(t, next)))
		got := await(t, answer)
		noErr(t, "long poll", got.err)
		if len(got.entries) != 1 || got.entries[0].ID != next.SessionID || got.cursor <= cursor {
			t.Fatalf("long poll answered %+v, cursor %d; want the new session after %d", got.entries, got.cursor, cursor)
		}

		// Entries no longer in force are left out.
		e.clock.Set(until.Add(time.Second / 2))
		old, _, err := e.svc.RevocationsAfter(ctx, 0, 0)
		noErr(t, "RevocationsAfter later", err)
		if len(old) != 1 || old[0].ID != next.SessionID {
			t.Errorf("once the first three expired the feed holds %+v", old)
		}
	})
}

// A long poll on one node sees a revocation made on another node sharing
// the store (by polling it), and a cancelled poll returns.
func TestRevocationFeedAcrossNodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		a := newEnv(t, st)
		b := newBareEnv(t, st, sameNode(a))
		ctx := context.Background()
		a.createUser(t, "dev", identity.RoleDeveloper)
		tok := a.login(t, "dev", userPassword)

		answer := longPoll(ctx, b.svc, 0)
		noErr(t, "Logout on node a", a.svc.Logout(ctx, a.actor(t, tok)))
		got := await(t, answer)
		noErr(t, "long poll on node b", got.err)
		if len(got.entries) != 1 || got.entries[0].ID != tok.SessionID {
			t.Fatalf("node b's long poll answered %+v", got.entries)
		}

		cctx, cancel := context.WithCancel(ctx)
		answer = longPoll(cctx, b.svc, got.cursor)
		cancel()
		if got := await(t, answer); !errors.Is(got.err, context.Canceled) || len(got.entries) != 0 {
			t.Fatalf("cancelled long poll = %+v", got)
		}
		_, _, err := b.svc.RevocationsAfter(ctx, -1, 0)
		isErr(t, "negative cursor", err, identity.ErrInvalidInput)
	})
}
