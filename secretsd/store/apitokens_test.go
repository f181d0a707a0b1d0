package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func apiToken(userID, id, name string, created time.Time) store.APIToken {
	return store.APIToken{ID: id, UserID: userID, Name: name, Hash: []byte("hash-" + id), Prefix: "pct_" + id[:2],
		Scopes: []string{"Developer", "secrets:read"}, CreatedAt: created}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		mustUser(t, s, "u1")
		mustUser(t, s, "u2")
		ci := apiToken("u1", "t1", "ci", t0)
		ci.ExpiresAt = t0.Add(90 * 24 * time.Hour)
		noErr(t, s.CreateAPIToken(ctx, ci))
		noErr(t, s.CreateAPIToken(ctx, apiToken("u1", "t2", "deploy", t0.Add(time.Minute))))
		noErr(t, s.CreateAPIToken(ctx, apiToken("u2", "t3", "ci", t0.Add(2*time.Minute))))

		t.Run("get by hash round-trips", func(t *testing.T) {
			got, err := s.GetAPITokenByHash(ctx, []byte("hash-t1"))
			noErr(t, err)
			want := ci
			want.CreatedAt, want.ExpiresAt = us(want.CreatedAt), us(want.ExpiresAt)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("GetAPITokenByHash =\n%+v\nwant\n%+v", got, want)
			}
			_, err = s.GetAPITokenByHash(ctx, []byte("nope"))
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("list: one user's or everyone's, newest first", func(t *testing.T) {
			got, err := s.ListAPITokens(ctx, "u1")
			noErr(t, err)
			if len(got) != 2 || got[0].ID != "t2" || got[1].ID != "t1" {
				t.Fatalf("ListAPITokens(u1) = %+v", got)
			}
			all, err := s.ListAPITokens(ctx, "")
			noErr(t, err)
			if len(all) != 3 || all[0].ID != "t3" {
				t.Fatalf("ListAPITokens(all) = %+v", all)
			}
		})
		t.Run("a name is unique per user among active tokens", func(t *testing.T) {
			wantErr(t, s.CreateAPIToken(ctx, apiToken("u1", "t4", "ci", t0)), store.ErrConflict)
			dupHash := apiToken("u1", "t5", "other", t0)
			dupHash.Hash = []byte("hash-t1")
			wantErr(t, s.CreateAPIToken(ctx, dupHash), store.ErrConflict)
		})
		t.Run("touch records last use", func(t *testing.T) {
			at := t0.Add(time.Hour)
			noErr(t, s.TouchAPIToken(ctx, "t1", at))
			got, _ := s.GetAPITokenByHash(ctx, []byte("hash-t1"))
			if !got.LastUsedAt.Equal(us(at)) {
				t.Fatalf("LastUsedAt = %v", got.LastUsedAt)
			}
			wantErr(t, s.TouchAPIToken(ctx, "nope", at), store.ErrNotFound)
		})
		t.Run("revoke: own token, anyone's as admin, never another user's", func(t *testing.T) {
			at := t0.Add(2 * time.Hour)
			wantErr(t, s.RevokeAPIToken(ctx, "u2", "t1", at), store.ErrNotFound)
			wantErr(t, s.RevokeAPIToken(ctx, "u1", "nope", at), store.ErrNotFound)
			noErr(t, s.RevokeAPIToken(ctx, "u1", "t1", at))
			noErr(t, s.RevokeAPIToken(ctx, "", "t3", at))
			noErr(t, s.RevokeAPIToken(ctx, "u1", "t1", at.Add(time.Hour))) // idempotent
			got, _ := s.GetAPITokenByHash(ctx, []byte("hash-t1"))
			if !got.RevokedAt.Equal(us(at)) {
				t.Fatalf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, at)
			}
			if all, _ := s.ListAPITokens(ctx, ""); len(all) != 3 {
				t.Fatalf("revoked tokens must stay listed, got %d", len(all))
			}
		})
		t.Run("a revoked token's name can be reused", func(t *testing.T) {
			noErr(t, s.CreateAPIToken(ctx, apiToken("u1", "t6", "ci", t0.Add(3*time.Hour))))
		})
		t.Run("unknown user refused", func(t *testing.T) {
			wantErr(t, s.CreateAPIToken(ctx, apiToken("ghost", "t7", "x", t0)), store.ErrNotFound)
		})
	})
}
