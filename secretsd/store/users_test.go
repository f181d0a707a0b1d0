package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s store.Store) {
		t.Parallel()
		if n, err := s.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("CountUsers on a new store = %d, %v", n, err)
		}
		bob, alice := newUser("u-bob"), newUser("u-alice")
		bob.Username, alice.Username = "bob", "alice"
		alice.Groups = nil
		alice.Disabled = true
		noErr(t, s.CreateUser(ctx, bob))
		noErr(t, s.CreateUser(ctx, alice))

		t.Run("get round-trips every field, times in UTC to the microsecond", func(t *testing.T) {
			got, err := s.GetUser(ctx, "u-bob")
			noErr(t, err)
			want := bob
			want.CreatedAt, want.UpdatedAt = us(t0), us(t0)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("GetUser =\n%+v\nwant\n%+v", got, want)
			}
			if got.CreatedAt.Location() != time.UTC {
				t.Fatalf("location %v, want UTC", got.CreatedAt.Location())
			}
		})
		t.Run("empty groups come back nil", func(t *testing.T) {
			got, err := s.GetUser(ctx, "u-alice")
			noErr(t, err)
			if got.Groups != nil || !got.Disabled {
				t.Fatalf("got groups %#v disabled %v", got.Groups, got.Disabled)
			}
		})
		t.Run("by username", func(t *testing.T) {
			got, err := s.GetUserByUsername(ctx, "alice")
			noErr(t, err)
			if got.ID != "u-alice" {
				t.Fatalf("got %s", got.ID)
			}
			_, err = s.GetUserByUsername(ctx, "mallory")
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("unknown id is not found", func(t *testing.T) {
			_, err := s.GetUser(ctx, "nobody")
			wantErr(t, err, store.ErrNotFound)
		})
		t.Run("taken username or id conflicts", func(t *testing.T) {
			dup := newUser("u-other")
			dup.Username = "bob"
			wantErr(t, s.CreateUser(ctx, dup), store.ErrConflict)
			wantErr(t, s.CreateUser(ctx, newUser("u-bob")), store.ErrConflict)
		})
		t.Run("list is ordered by username", func(t *testing.T) {
			all, err := s.ListUsers(ctx)
			noErr(t, err)
			if len(all) != 2 || all[0].Username != "alice" || all[1].Username != "bob" {
				t.Fatalf("ListUsers = %+v", all)
			}
			if n, _ := s.CountUsers(ctx); n != 2 {
				t.Fatalf("CountUsers = %d", n)
			}
		})
		t.Run("update replaces all but id and created_at", func(t *testing.T) {
			u := bob
			u.Username, u.Email, u.PasswordHash = "robert", "r@example.com", "$argon2id$new"
			u.Role, u.Team, u.Groups, u.Disabled = "Admin", "sec", []string{"admins"}, true
			u.CreatedAt = t0.Add(time.Hour) // ignored
			u.UpdatedAt = t0.Add(2 * time.Hour)
			noErr(t, s.UpdateUser(ctx, u))
			got, err := s.GetUser(ctx, "u-bob")
			noErr(t, err)
			u.CreatedAt, u.UpdatedAt = us(t0), us(t0.Add(2*time.Hour))
			if !reflect.DeepEqual(got, u) {
				t.Fatalf("after update\n%+v\nwant\n%+v", got, u)
			}
		})
		t.Run("update to a taken username conflicts", func(t *testing.T) {
			u, _ := s.GetUser(ctx, "u-bob")
			u.Username = "alice"
			wantErr(t, s.UpdateUser(ctx, u), store.ErrConflict)
		})
		t.Run("update of an unknown user is not found", func(t *testing.T) {
			wantErr(t, s.UpdateUser(ctx, newUser("ghost")), store.ErrNotFound)
		})
	})
}
