package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		k1 := store.SigningKey{ID: "k1", Algorithm: "RS256", Private: []byte("sealed-1"), Public: []byte(`{"kty":"RSA"}`), CreatedAt: t0}
		k2 := store.SigningKey{ID: "k2", Algorithm: "ES256", Private: []byte("sealed-2"), Public: []byte(`{"kty":"EC"}`), CreatedAt: t0.Add(time.Hour)}
		noErr(t, s.CreateSigningKey(ctx, k1))
		noErr(t, s.CreateSigningKey(ctx, k2))
		wantErr(t, s.CreateSigningKey(ctx, k1), store.ErrConflict)

		keys, err := s.ListSigningKeys(ctx)
		noErr(t, err)
		w1, w2 := k1, k2
		w1.CreatedAt, w2.CreatedAt = us(w1.CreatedAt), us(w2.CreatedAt)
		if !reflect.DeepEqual(keys, []store.SigningKey{w2, w1}) {
			t.Fatalf("ListSigningKeys =\n%+v\nwant newest first", keys)
		}

		retired, until := t0.Add(time.Hour), t0.Add(time.Hour+15*time.Minute)
		noErr(t, s.RetireSigningKey(ctx, "k1", retired, until))
		wantErr(t, s.RetireSigningKey(ctx, "nope", retired, until), store.ErrNotFound)
		keys, _ = s.ListSigningKeys(ctx)
		if !keys[1].RetiredAt.Equal(us(retired)) || !keys[1].PublishUntil.Equal(us(until)) || !keys[0].RetiredAt.IsZero() {
			t.Fatalf("after retire: %+v", keys)
		}

		for _, tc := range []struct {
			name string
			at   time.Time
			want int
		}{
			{"still published", until, 0},
			{"past publish-until; the active key stays", until.Add(time.Second), 1},
			{"nothing left to delete", until.Add(time.Hour), 0},
		} {
			n, err := s.DeleteSigningKeysRetiredBefore(ctx, tc.at)
			if err != nil || n != tc.want {
				t.Fatalf("%s: deleted %d, %v; want %d", tc.name, n, err, tc.want)
			}
		}
		if keys, _ = s.ListSigningKeys(ctx); len(keys) != 1 || keys[0].ID != "k2" {
			t.Fatalf("left: %+v", keys)
		}
	})
}
