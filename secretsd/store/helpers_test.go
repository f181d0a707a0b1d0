package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/store"
)

// t0 has a nanosecond part on purpose: stores keep microseconds.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func us(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func newUser(id string) store.User {
	return store.User{
		ID: id, Username: "user-" + id, Email: id + "@example.com",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		Role:         "Developer", Team: "platform", Groups: []string{"ops", "dev"},
		CreatedAt: t0, UpdatedAt: t0,
	}
}

var ctx = context.Background()

// race runs fn n times concurrently, released together, and returns how many
// calls reported true; it fails the test on any error.
func race(t *testing.T, n int, fn func(i int) (bool, error)) int {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		wins  atomic.Int32
	)
	for i := range n {
		wg.Go(func() {
			<-start
			ok, err := fn(i)
			if err != nil {
				t.Errorf("racer %d: %v", i, err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

func mustUser(t *testing.T, s store.Store, id string) store.User {
	t.Helper()
	u := newUser(id)
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func mustSession(t *testing.T, s store.Store, userID, id string, created time.Time) store.Session {
	t.Helper()
	x := store.Session{
		ID: id, UserID: userID, ClientID: "portcullis-cli", AuthTime: created,
		AMR: []string{"pwd", "otp"}, ACR: "mfa", CreatedAt: created, ExpiresAt: created.Add(7 * 24 * time.Hour),
	}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	return x
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
