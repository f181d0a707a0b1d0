package mfa

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
)

// attemptLimiter counts second-factor attempts per user in a fixed window
// that starts with the first attempt. acquire counts one attempt and refuses
// it (*TooManyAttempts) once more than max were counted in the window;
// refund gives back an attempt that turned out not to be a failure.
// Counting before checking is what bounds concurrent guesses: each one holds
// its count while it is checked.
type attemptLimiter interface {
	acquire(ctx context.Context, userID string) error
	refund(ctx context.Context, userID string, log zerolog.Logger)
}

// AttemptsKey is the Redis key of a user's attempt counter.
func AttemptsKey(userID string) string { return "portcullis:mfa:attempts:" + userID }

// redisAttempts shares the counters between secretsd nodes. Redis expires
// the key, so the window follows Redis's clock.
type redisAttempts struct {
	client redis.UniversalClient
	max    int64
	window time.Duration
}

func newRedisAttempts(c redis.UniversalClient, max int, window time.Duration) *redisAttempts {
	return &redisAttempts{client: c, max: int64(max), window: window}
}

// acquireScript counts an attempt and starts the window on the first one
// (or on a key that somehow lost its expiry), atomically. It returns the
// count and the milliseconds left in the window.
var acquireScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// refundScript gives an attempt back unless the window has ended meanwhile
// (a DECR on a missing key would create one without expiry).
var refundScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
`)

func (r *redisAttempts) acquire(ctx context.Context, userID string) error {
	res, err := acquireScript.Run(ctx, r.client, []string{AttemptsKey(userID)}, r.window.Milliseconds()).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	if err != nil {
		return fmt.Errorf("mfa: counting an attempt in redis: %v: %w", err, ErrUnavailable)
	}
	if res[0] > r.max {
		return &TooManyAttempts{RetryAfter: max(time.Duration(res[1])*time.Millisecond, time.Millisecond)}
	}
	return nil
}

func (r *redisAttempts) refund(ctx context.Context, userID string, log zerolog.Logger) {
	if err := refundScript.Run(ctx, r.client, []string{AttemptsKey(userID)}).Err(); err != nil {
		// The attempt stays counted: the user may be refused a little early,
		// never let through.
		log.Warn().Err(err).Str("user_id", userID).Msg("giving back a second-factor attempt in redis")
	}
}

// maxTrackedUsers bounds the in-process counters. Only users who passed the
// password step reach the counter, so the bound is never met in practice;
// if it is, new users are refused (ErrUnavailable) rather than old counters
// forgotten, which an attacker could use to reset his own.
const maxTrackedUsers = 100_000

// memoryAttempts keeps the counters in this process (one secretsd node).
type memoryAttempts struct {
	clock  clock.Clock
	max    int
	window time.Duration

	mu      sync.Mutex
	entries map[string]*attemptWindow
}

type attemptWindow struct {
	count int
	ends  time.Time
}

func newMemoryAttempts(clk clock.Clock, max int, window time.Duration) *memoryAttempts {
	return &memoryAttempts{clock: clk, max: max, window: window, entries: make(map[string]*attemptWindow)}
}

func (m *memoryAttempts) acquire(_ context.Context, userID string) error {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.entries[userID]
	if w != nil && !now.Before(w.ends) {
		delete(m.entries, userID)
		w = nil
	}
	if w == nil {
		if len(m.entries) >= maxTrackedUsers {
			m.prune(now)
			if len(m.entries) >= maxTrackedUsers {
				return fmt.Errorf("mfa: %d users' attempts tracked in memory: %w", len(m.entries), ErrUnavailable)
			}
		}
		w = &attemptWindow{ends: now.Add(m.window)}
		m.entries[userID] = w
	}
	w.count++
	if w.count > m.max {
		return &TooManyAttempts{RetryAfter: w.ends.Sub(now)}
	}
	return nil
}

func (m *memoryAttempts) refund(_ context.Context, userID string, _ zerolog.Logger) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.entries[userID]; w != nil && w.count > 0 {
		w.count--
	}
}

func (m *memoryAttempts) prune(now time.Time) {
	for id, w := range m.entries {
		if !now.Before(w.ends) {
			delete(m.entries, id)
		}
	}
}
