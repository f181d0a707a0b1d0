package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestChallenges(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		c := store.Challenge{ID: []byte("c1"), UserID: "u1", Purpose: "mfa_login", Data: []byte(`{"methods":["totp"]}`), ExpiresAt: t0.Add(5 * time.Minute)}
		noErr(t, s.PutChallenge(ctx, c))
		noErr(t, s.PutChallenge(ctx, store.Challenge{ID: []byte("c2"), Purpose: "webauthn_login", ExpiresAt: t0.Add(time.Minute)}))
		wantErr(t, s.PutChallenge(ctx, c), store.ErrConflict)

		for _, tc := range []struct {
			name    string
			id      string
			purpose string
			now     time.Time
			found   bool
		}{
			{"live, right purpose", "c1", "mfa_login", t0, true},
			{"wrong purpose", "c1", "step_up", t0, false},
			{"expired", "c1", "mfa_login", t0.Add(5 * time.Minute), false},
			{"unknown", "nope", "mfa_login", t0, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.GetChallenge(ctx, []byte(tc.id), tc.purpose, tc.now)
				if !tc.found {
					wantErr(t, err, store.ErrNotFound)
					return
				}
				noErr(t, err)
				if !bytes.Equal(got.ID, c.ID) || got.UserID != "u1" || got.Purpose != c.Purpose ||
					!bytes.Equal(got.Data, c.Data) || !got.ExpiresAt.Equal(us(c.ExpiresAt)) {
					t.Fatalf("GetChallenge = %+v", got)
				}
			})
		}

		t.Run("delete reports whether this call deleted it", func(t *testing.T) {
			if ok, err := s.DeleteChallenge(ctx, []byte("nope")); err != nil || ok {
				t.Fatalf("delete unknown = %v, %v", ok, err)
			}
			noErr(t, s.PutChallenge(ctx, store.Challenge{ID: []byte("race"), Purpose: "mfa_login", ExpiresAt: t0.Add(time.Minute)}))
			wins := race(t, 20, func(int) (bool, error) { return s.DeleteChallenge(ctx, []byte("race")) })
			if wins != 1 {
				t.Fatalf("%d callers deleted the challenge, want 1", wins)
			}
		})
		t.Run("prune deletes expired ones", func(t *testing.T) {
			n, err := s.PruneChallenges(ctx, t0.Add(2*time.Minute))
			if err != nil || n != 1 {
				t.Fatalf("PruneChallenges = %d, %v; want 1 (c2)", n, err)
			}
			if _, err := s.GetChallenge(ctx, []byte("c1"), "mfa_login", t0); err != nil {
				t.Fatalf("a live challenge was pruned: %v", err)
			}
		})
	})
}
