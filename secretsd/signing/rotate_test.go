package signing_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// storeIDs lists the kids in the store.
func storeIDs(t testing.TB, st store.Store) []string {
	t.Helper()
	keys, err := st.ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	slices.Sort(ids)
	return ids
}

func jwksIDs(t testing.TB, n *node) []string {
	t.Helper()
	jwks, err := n.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	return kids(t, jwks)
}

func TestRotationKeepsOldKeyPublishedUntilItsTokensExpired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		cfg := signing.Config{Algorithm: signing.EdDSA, MaxTokenTTL: 15 * time.Minute, Leeway: time.Minute}
		n := newNode(t, st, newSealer(t), cfg)
		// A second node that stays at an earlier time, where the old key's
		// tokens have not expired, to see what dropping the key does to them.
		early := newNode(t, st, n.sealer, cfg)

		oldKID := n.ActiveKeyID()
		c := claims(t0)
		oldTok := n.sign(t, c)

		newKID, err := n.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if newKID == oldKID || n.ActiveKeyID() != newKID {
			t.Fatalf("after Rotate: active %s, returned %s, old %s", n.ActiveKeyID(), newKID, oldKID)
		}
		if got := decodeSegment(t, n.sign(t, claims(t0)), 0)["kid"]; got != newKID {
			t.Fatalf("new tokens are signed by %v, want %s", got, newKID)
		}
		if got, want := jwksIDs(t, n), []string{newKID, oldKID}; !slices.Equal(got, want) {
			t.Fatalf("JWKS after rotation = %v, want %v (active first)", got, want)
		}
		old := n.storedKey(t, oldKID)
		if !old.RetiredAt.Equal(t0) || !old.PublishUntil.Equal(t0.Add(16*time.Minute)) {
			t.Fatalf("old key retired at %s until %s, want %s until %s", old.RetiredAt, old.PublishUntil, t0, t0.Add(16*time.Minute))
		}
		if _, err := n.Verify(oldTok, issuer, audience); err != nil {
			t.Fatalf("a token of the retired key: %v", err)
		}

		// Up to PublishUntil the old key stays, even through maintenance.
		n.clock.Set(t0.Add(16*time.Minute - time.Second))
		if err := n.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := jwksIDs(t, n); !slices.Contains(got, oldKID) {
			t.Fatalf("JWKS before PublishUntil = %v, lacks %s", got, oldKID)
		}

		// At PublishUntil it leaves the JWKS at once, and maintenance
		// deletes it.
		n.clock.Set(t0.Add(16 * time.Minute))
		if got := jwksIDs(t, n); !slices.Equal(got, []string{newKID}) {
			t.Fatalf("JWKS at PublishUntil = %v, want only %s", got, newKID)
		}
		n.clock.Set(t0.Add(16*time.Minute + time.Second))
		if err := n.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if got := storeIDs(t, st); !slices.Equal(got, []string{newKID}) {
			t.Fatalf("store after maintenance = %v, want only %s", got, newKID)
		}

		// A token of the dropped key fails even where it has not expired.
		early.clock.Set(t0.Add(5 * time.Minute))
		if _, err := early.Verify(oldTok, issuer, audience); err != nil {
			t.Fatalf("before the reload the early node still knows the old key: %v", err)
		}
		if err := early.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := early.Verify(oldTok, issuer, audience); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("a token of a dropped key: %v, want ErrUnknownKey", err)
		}
	})
}

func TestScheduledRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		n := newNode(t, st, newSealer(t), signing.Config{Algorithm: signing.ES256, RotateEvery: 24 * time.Hour})
		first := n.ActiveKeyID()
		n.clock.Set(t0.Add(24*time.Hour - time.Second))
		if err := n.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if n.ActiveKeyID() != first {
			t.Fatal("rotated before RotateEvery")
		}
		n.clock.Set(t0.Add(24 * time.Hour))
		if err := n.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		second := n.ActiveKeyID()
		if second == first {
			t.Fatal("not rotated at RotateEvery")
		}
		if got := jwksIDs(t, n); !slices.Equal(got, []string{second, first}) {
			t.Fatalf("JWKS = %v, want [%s %s]", got, second, first)
		}
	})
}

func TestNoScheduledRotationWhenRotateEveryIsZero(t *testing.T) {
	t.Parallel()
	n := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.EdDSA})
	first := n.ActiveKeyID()
	n.clock.Set(t0.Add(10 * 365 * 24 * time.Hour))
	if err := n.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n.ActiveKeyID() != first {
		t.Fatal("rotated without RotateEvery")
	}
}

func TestSecondNodeSeesRotationAfterReload(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sealer := newSealer(t)
		a := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
		b := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
		if a.ActiveKeyID() != b.ActiveKeyID() {
			t.Fatalf("the second node made its own key (%s, %s) instead of loading the first", a.ActiveKeyID(), b.ActiveKeyID())
		}
		kid, err := a.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tok := a.sign(t, claims(t0))
		if b.ActiveKeyID() == kid {
			t.Fatal("b changed keys without reloading")
		}
		if err := b.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if b.ActiveKeyID() != kid {
			t.Fatalf("b signs with %s after the reload, want %s", b.ActiveKeyID(), kid)
		}
		if _, err := b.Verify(tok, issuer, audience); err != nil {
			t.Fatalf("b verifies a's new token: %v", err)
		}
		ja, _ := a.JWKS()
		jb, _ := b.JWKS()
		if string(ja) != string(jb) {
			t.Fatalf("the nodes publish different sets:\n%s\n%s", ja, jb)
		}
	})
}

// Two nodes rotating at once leave two active keys in the store: the newest
// signs on every node, the other is retired and stays published.
func TestTwoActiveKeysNewestSigns(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sealer := newSealer(t)
		a := newNode(t, st, sealer, signing.Config{Algorithm: signing.ES256})
		older := a.ActiveKeyID()
		oldTok := a.sign(t, claims(t0))

		// Another node's key, made a second later and stored without
		// retiring a's, as a node that stopped mid-rotation leaves it.
		other := newNode(t, storetest.SQLite(t), sealer, signing.Config{Algorithm: signing.ES256})
		other.clock.Set(t0.Add(time.Second))
		if _, err := other.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		newer := other.storedKey(t, other.ActiveKeyID())
		if err := st.CreateSigningKey(ctx, newer); err != nil {
			t.Fatal(err)
		}

		a.clock.Set(t0.Add(2 * time.Second))
		if err := a.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if a.ActiveKeyID() != newer.ID {
			t.Fatalf("a signs with %s, want the newest %s", a.ActiveKeyID(), newer.ID)
		}
		if got := jwksIDs(t, a); !slices.Equal(got, []string{newer.ID, older}) {
			t.Fatalf("JWKS = %v, want [%s %s]", got, newer.ID, older)
		}
		if _, err := a.Verify(oldTok, issuer, audience); err != nil {
			t.Fatalf("a token of the superseded key: %v", err)
		}
		sk := a.storedKey(t, older)
		if want := t0.Add(2*time.Second + signing.DefaultMaxTokenTTL + signing.DefaultLeeway); sk.RetiredAt.IsZero() || !sk.PublishUntil.Equal(want) {
			t.Fatalf("superseded key retired at %s until %s, want until %s", sk.RetiredAt, sk.PublishUntil, want)
		}
	})
}

func TestNewRotatesToTheConfiguredAlgorithm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		sealer := newSealer(t)
		rs := newNode(t, st, sealer, signing.Config{Algorithm: signing.RS256})
		rsTok := rs.sign(t, claims(t0))
		ed := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
		if ed.ActiveKeyID() == rs.ActiveKeyID() {
			t.Fatal("New kept the RS256 key although EdDSA is configured")
		}
		if alg := decodeSegment(t, ed.sign(t, claims(t0)), 0)["alg"]; alg != signing.EdDSA {
			t.Fatalf("alg = %v, want EdDSA", alg)
		}
		if got := jwksIDs(t, ed); !slices.Equal(got, []string{ed.ActiveKeyID(), rs.ActiveKeyID()}) {
			t.Fatalf("JWKS = %v: the RS256 key must stay published", got)
		}
		if _, err := ed.Verify(rsTok, issuer, audience); err != nil {
			t.Fatalf("a token of the retired RS256 key: %v", err)
		}
		// Starting again with the same algorithm keeps the key.
		again := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
		if again.ActiveKeyID() != ed.ActiveKeyID() {
			t.Fatal("New rotated although the algorithm did not change")
		}
	})
}

func TestRunMaintainsOnEachTick(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	sealer := newSealer(t)
	ticks := make(chan time.Time) // unbuffered: a send returns once Run is waiting again
	a := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA, Ticks: ticks})
	b := newNode(t, st, sealer, signing.Config{Algorithm: signing.EdDSA})
	kid, err := b.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	ticks <- t0
	ticks <- t0 // received only after the first pass finished
	if a.ActiveKeyID() != kid {
		t.Fatalf("after a tick a signs with %s, want %s", a.ActiveKeyID(), kid)
	}
	cancel()
	<-done
}

// A token signed by another node just after it rotated names a kid this node
// has not loaded yet: Verify reloads the keys for it (rate-limited) rather
// than refusing until the next Run pass.
func TestVerifyReloadsForAKeyAnotherNodeJustMade(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sealer := newSealer(t)
		a := newNode(t, st, sealer, signing.Config{Algorithm: signing.ES256})
		b := newNode(t, st, sealer, signing.Config{Algorithm: signing.ES256})
		stranger := newNode(t, storetest.SQLite(t), newSealer(t), signing.Config{Algorithm: signing.ES256})

		// An unknown kid uses up the reload allowance...
		if _, err := b.Verify(stranger.sign(t, claims(t0)), issuer, audience); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("a stranger's token: %v, want ErrUnknownKey", err)
		}
		if _, err := a.Rotate(ctx); err != nil {
			t.Fatal(err)
		}
		tok := a.sign(t, claims(t0))
		// ...so right after it a new kid is refused without a reload,
		if _, err := b.Verify(tok, issuer, audience); !errors.Is(err, token.ErrUnknownKey) {
			t.Fatalf("within the reload limit: %v, want ErrUnknownKey", err)
		}
		// and once the limit allows, it reloads and accepts the token.
		b.clock.Set(t0.Add(10 * time.Second))
		if _, err := b.Verify(tok, issuer, audience); err != nil {
			t.Fatalf("a token of the key a just made: %v", err)
		}
		if b.ActiveKeyID() != a.ActiveKeyID() {
			t.Fatalf("after the reload b signs with %s, want %s", b.ActiveKeyID(), a.ActiveKeyID())
		}
	})
}
