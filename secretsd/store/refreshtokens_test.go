package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func refresh(sessionID, userID, value string, issued time.Time) store.RefreshToken {
	return store.RefreshToken{Hash: []byte(value), SessionID: sessionID, UserID: userID, IssuedAt: issued, ExpiresAt: issued.Add(7 * 24 * time.Hour)}
}

func TestRotateRefreshToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustSession(t, s, "u1", "s1", t0)
		first := refresh("s1", "u1", "rt-1", t0)
		noErr(t, s.CreateRefreshToken(ctx, first))
		at := t0.Add(time.Hour)

		t.Run("duplicate hash conflicts; unknown session refused", func(t *testing.T) {
			wantErr(t, s.CreateRefreshToken(ctx, first), store.ErrConflict)
			wantErr(t, s.CreateRefreshToken(ctx, refresh("ghost", "u1", "rt-ghost", t0)), store.ErrNotFound)
		})

		second := refresh("s1", "u1", "rt-2", at)
		second.ExpiresAt = t0.Add(30 * 24 * time.Hour)
		old, err := s.RotateRefreshToken(ctx, first.Hash, second, at)
		noErr(t, err)
		want := first
		want.IssuedAt, want.ExpiresAt, want.UsedAt = us(first.IssuedAt), us(first.ExpiresAt), us(at)
		if !reflect.DeepEqual(old, want) {
			t.Fatalf("rotate returned\n%+v\nwant\n%+v", old, want)
		}
		t.Run("the session's expiry follows its newest token", func(t *testing.T) {
			x, _ := s.GetSession(ctx, "s1")
			if !x.ExpiresAt.Equal(us(second.ExpiresAt)) {
				t.Fatalf("session expires %v, want %v", x.ExpiresAt, second.ExpiresAt)
			}
		})
		t.Run("presenting a used token is ErrReused with the old token", func(t *testing.T) {
			got, err := s.RotateRefreshToken(ctx, first.Hash, refresh("s1", "u1", "rt-attacker", at), at.Add(time.Minute))
			wantErr(t, err, store.ErrReused)
			if got.SessionID != "s1" || got.UserID != "u1" || !got.UsedAt.Equal(us(at)) {
				t.Fatalf("ErrReused came with %+v", got)
			}
			// Nothing was stored for the attacker.
			_, err = s.RotateRefreshToken(ctx, []byte("rt-attacker"), refresh("s1", "u1", "x", at), at)
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("the new token rotates in turn", func(t *testing.T) {
			_, err := s.RotateRefreshToken(ctx, second.Hash, refresh("", "", "rt-3", at), at)
			noErr(t, err)
		})
		t.Run("unknown token", func(t *testing.T) {
			_, err := s.RotateRefreshToken(ctx, []byte("never"), refresh("s1", "u1", "rt-n", at), at)
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("expired token", func(t *testing.T) {
			late := us(t0.Add(8 * 24 * time.Hour))
			_, err := s.RotateRefreshToken(ctx, []byte("rt-3"), refresh("s1", "u1", "rt-late", late), late)
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("after reuse the family is revoked and nothing rotates", func(t *testing.T) {
			noErr(t, s.RevokeSession(ctx, "s1", at, "refresh_reuse"))
			_, err := s.RotateRefreshToken(ctx, []byte("rt-3"), refresh("s1", "u1", "rt-4", at), at)
			wantErr(t, err, store.ErrNotFound)
			_, err = s.RotateRefreshToken(ctx, first.Hash, refresh("s1", "u1", "rt-5", at), at)
			wantErr(t, err, store.ErrNotFound)
		})
	})
}

func TestRotateRefreshTokenRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustSession(t, s, "u1", "s1", t0)
		noErr(t, s.CreateRefreshToken(ctx, refresh("s1", "u1", "rt", t0)))
		reused := make(chan int, 20)
		wins := race(t, 20, func(i int) (bool, error) {
			_, err := s.RotateRefreshToken(ctx, []byte("rt"), refresh("s1", "u1", fmt.Sprint("next-", i), t0), t0)
			if errors.Is(err, store.ErrReused) {
				reused <- i
				return false, nil
			}
			return err == nil, err
		})
		if wins != 1 || len(reused) != 19 {
			t.Fatalf("%d rotations won and %d saw ErrReused; want 1 and 19", wins, len(reused))
		}
	})
}
