package store_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustUser(t, s, "u2")
		old := mustSession(t, s, "u1", "s-old", t0)
		mustSession(t, s, "u1", "s-new", t0.Add(time.Hour))
		mustSession(t, s, "u2", "s-u2", t0)
		expired := mustSession(t, s, "u1", "s-expired", t0.Add(-8*24*time.Hour))
		now := t0.Add(2 * time.Hour)

		t.Run("get round-trips", func(t *testing.T) {
			got, err := s.GetSession(ctx, "s-old")
			noErr(t, err)
			want := old
			want.AuthTime, want.CreatedAt, want.ExpiresAt = us(want.AuthTime), us(want.CreatedAt), us(want.ExpiresAt)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("GetSession =\n%+v\nwant\n%+v", got, want)
			}
			_, err = s.GetSession(ctx, "nope")
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("duplicate id conflicts; unknown user refused", func(t *testing.T) {
			wantErr(t, s.CreateSession(ctx, old), store.ErrConflict)
			x := old
			x.ID, x.UserID = "s-ghost", "ghost"
			wantErr(t, s.CreateSession(ctx, x), store.ErrNotFound)
		})
		t.Run("list: active only, newest first", func(t *testing.T) {
			got, err := s.ListSessions(ctx, "u1", now)
			noErr(t, err)
			if ids := sessionIDs(got); !slices.Equal(ids, []string{"s-new", "s-old"}) {
				t.Fatalf("ListSessions = %v (expired %s must not show)", ids, expired.ID)
			}
		})
		t.Run("step-up updates auth time, amr, acr", func(t *testing.T) {
			at := now.Add(time.Minute)
			noErr(t, s.UpdateSessionAuth(ctx, "s-old", at, []string{"pwd", "hwk"}, "phr"))
			got, _ := s.GetSession(ctx, "s-old")
			if !got.AuthTime.Equal(us(at)) || !slices.Equal(got.AMR, []string{"pwd", "hwk"}) || got.ACR != "phr" {
				t.Fatalf("after step-up %+v", got)
			}
			wantErr(t, s.UpdateSessionAuth(ctx, "nope", at, nil, ""), store.ErrNotFound)
		})
		t.Run("revoke is idempotent and keeps the first reason", func(t *testing.T) {
			noErr(t, s.CreateRefreshToken(ctx, refresh("s-new", "u1", "rt-new", now)))
			noErr(t, s.RevokeSession(ctx, "s-new", now, "logout"))
			noErr(t, s.RevokeSession(ctx, "s-new", now.Add(time.Hour), "admin"))
			got, _ := s.GetSession(ctx, "s-new")
			if !got.RevokedAt.Equal(us(now)) || got.RevokeReason != "logout" {
				t.Fatalf("revoked session %+v", got)
			}
			if _, err := s.RotateRefreshToken(ctx, []byte("rt-new"), refresh("s-new", "u1", "rt-next", now), now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refresh of a revoked session: %v, want ErrNotFound", err)
			}
			wantErr(t, s.RevokeSession(ctx, "nope", now, "logout"), store.ErrNotFound)
			if got, _ := s.ListSessions(ctx, "u1", now); !slices.Equal(sessionIDs(got), []string{"s-old"}) {
				t.Fatalf("ListSessions after revoke = %v", sessionIDs(got))
			}
		})
		t.Run("revoke all of a user's", func(t *testing.T) {
			mustSession(t, s, "u1", "s-3", now)
			noErr(t, s.CreateRefreshToken(ctx, refresh("s-3", "u1", "rt-3", now)))
			ids, err := s.RevokeUserSessions(ctx, "u1", now, "admin")
			noErr(t, err)
			slices.Sort(ids)
			// s-new was revoked already; the expired one is revoked too (harmless).
			if !slices.Equal(ids, []string{"s-3", "s-expired", "s-old"}) {
				t.Fatalf("RevokeUserSessions = %v", ids)
			}
			if got, _ := s.ListSessions(ctx, "u1", now); len(got) != 0 {
				t.Fatalf("%d sessions left", len(got))
			}
			if got, _ := s.ListSessions(ctx, "u2", now); len(got) != 1 {
				t.Fatal("another user's session was revoked")
			}
			if _, err := s.RotateRefreshToken(ctx, []byte("rt-3"), refresh("s-3", "u1", "rt-3b", now), now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refresh after revoke-all: %v, want ErrNotFound", err)
			}
			ids, err = s.RevokeUserSessions(ctx, "u1", now, "admin")
			if err != nil || len(ids) != 0 {
				t.Fatalf("second RevokeUserSessions = %v, %v; want none", ids, err)
			}
		})
	})
}

func sessionIDs(ss []store.Session) []string {
	var ids []string
	for _, x := range ss {
		ids = append(ids, x.ID)
	}
	return ids
}
