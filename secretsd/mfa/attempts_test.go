package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

// wrongCode is a code that is not the right one at the env's time.
func wrongCode(t testing.TB, secret string, at time.Time) string {
	right := codeAt(t, secret, at)
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", i)
		if c != right && c != codeAt(t, secret, at.Add(-30*time.Second)) && c != codeAt(t, secret, at.Add(30*time.Second)) {
			return c
		}
	}
}

func wantTooMany(t testing.TB, err error) time.Duration {
	t.Helper()
	var tma *mfa.TooManyAttempts
	if !errors.As(err, &tma) || !errors.Is(err, mfa.ErrTooManyAttempts) {
		t.Fatalf("error = %v, want *TooManyAttempts", err)
	}
	return tma.RetryAfter
}

// In-process counters (no Redis): five failures in five minutes, then even
// a right code is refused until the window ends.
func TestAttemptLimitInMemory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), mfa.Config{})
	_, secret := e.enrolTOTP(t, e.user, "phone")
	start := e.clock.Now()
	for i := range 5 {
		_, err := e.verifyCode(e.user, wrongCode(t, secret, e.clock.Now()))
		wantErr(t, err, mfa.ErrInvalidCode)
		if i == 0 {
			e.clock.Advance(time.Minute)
		}
	}
	_, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now()))
	if got := wantTooMany(t, err); got != 4*time.Minute {
		t.Errorf("RetryAfter %s, want 4m0s (the window began with the first failure)", got)
	}
	// Other users are not affected.
	other := newUser(t, e.store, true)
	_, otherSecret := e.enrolTOTP(t, other, "phone")
	if _, err := e.verifyCode(other, codeAt(t, otherSecret, e.clock.Now())); err != nil {
		t.Fatalf("another user refused: %v", err)
	}
	e.clock.Set(start.Add(5 * time.Minute))
	if _, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now())); err != nil {
		t.Fatalf("right code refused once the window ended: %v", err)
	}
}

// Successes (and proofs for a factor the user lacks) are not failures.
func TestAttemptLimitCountsOnlyFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), mfa.Config{MaxAttempts: 2})
	_, secret := e.enrolTOTP(t, e.user, "phone")
	for range 5 {
		if _, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now())); err != nil {
			t.Fatal(err)
		}
		_, err := e.useBackupCode(e.user, "abcde-fghjk")
		wantErr(t, err, mfa.ErrNoFactor)
		e.clock.Advance(30 * time.Second)
	}
	_, err := e.verifyCode(e.user, wrongCode(t, secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrInvalidCode)
	_, err = e.verifyCode(e.user, wrongCode(t, secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrInvalidCode)
	_, err = e.verifyCode(e.user, codeAt(t, secret, e.clock.Now()))
	wantTooMany(t, err)
}

// With Redis the counters are shared: failures on one node lock the user
// out on another.
func TestAttemptLimitSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	st := storetest.SQLite(t)
	a := newEnv(t, st, mfa.Config{Redis: rdb})
	b := newEnvWith(t, st, a.sealer, a.clock, mfa.Config{Redis: rdb})
	_, secret := a.enrolTOTP(t, a.user, "phone")
	t.Cleanup(func() { rdb.Del(context.Background(), mfa.AttemptsKey(a.user.ID)) })
	for i := range 5 {
		node := []*env{a, b}[i%2]
		_, err := node.verifyCode(a.user, wrongCode(t, secret, a.clock.Now()))
		wantErr(t, err, mfa.ErrInvalidCode)
	}
	for _, node := range []*env{a, b} {
		_, err := node.verifyCode(a.user, codeAt(t, secret, a.clock.Now()))
		if got := wantTooMany(t, err); got <= 0 || got > 5*time.Minute {
			t.Errorf("RetryAfter %s, want within the 5-minute window", got)
		}
	}
	ttl, err := rdb.PTTL(context.Background(), mfa.AttemptsKey(a.user.ID)).Result()
	if err != nil || ttl <= 0 || ttl > 5*time.Minute {
		t.Errorf("the counter's TTL is %s (%v), want the window", ttl, err)
	}
}

// The window is Redis's: once the key expires, the user may try again.
func TestAttemptLimitRedisWindowExpires(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	e := newEnv(t, storetest.SQLite(t), mfa.Config{Redis: rdb, MaxAttempts: 1, AttemptWindow: 300 * time.Millisecond})
	_, secret := e.enrolTOTP(t, e.user, "phone")
	_, err := e.verifyCode(e.user, wrongCode(t, secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrInvalidCode)
	_, err = e.verifyCode(e.user, codeAt(t, secret, e.clock.Now()))
	wantTooMany(t, err)
	testenv.WaitFor(t, 5*time.Second, "the attempt counter to expire", func() bool {
		n, err := rdb.Exists(context.Background(), mfa.AttemptsKey(e.user.ID)).Result()
		return err == nil && n == 0
	})
	if _, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now())); err != nil {
		t.Fatalf("right code refused after the window: %v", err)
	}
}

// Redis down: MFA fails closed, even for a right code.
func TestAttemptLimitRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	e := newEnv(t, storetest.SQLite(t), mfa.Config{Redis: rdb})
	_, secret := e.enrolTOTP(t, e.user, "phone")
	if _, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now())); err != nil {
		t.Fatalf("with Redis up: %v", err)
	}
	srv.Stop()
	e.clock.Advance(30 * time.Second)
	_, err := e.verifyCode(e.user, codeAt(t, secret, e.clock.Now()))
	wantErr(t, err, mfa.ErrUnavailable)
}
