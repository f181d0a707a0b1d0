package revocation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/clock"
)

// publishScript stores one entry and announces it, atomically (a script runs
// without interleaving, so a mirror that loads the set right after sees the
// entry, and one that is subscribed hears it).
//
//	KEYS[1] the set
//	ARGV[1] member, ARGV[2] until (ms), ARGV[3] forget entries scored below (ms),
//	ARGV[4] now (ms), ARGV[5] grace (ms), ARGV[6] channel, ARGV[7] message
//
// The score only grows (an entry revoked twice keeps the later until). ZADD GT
// would say that in one word but needs Redis 6.2; this works on older servers.
// The TTL is relative to the writer's clock, so a writer whose clock lags
// Redis's cannot make the key expire early.
var publishScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not current) or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = tonumber(top[2]) + tonumber(ARGV[5]) - tonumber(ARGV[4])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], math.floor(ttl))
end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1
`)

// RedisPublisher writes revocations to Redis for every gateway's mirror.
type RedisPublisher struct {
	client redis.UniversalClient
	keys   Keys
	clock  clock.Clock
}

// NewRedisPublisher returns a publisher on client; clk may be nil for the
// system clock.
func NewRedisPublisher(client redis.UniversalClient, keys Keys, clk clock.Clock) *RedisPublisher {
	if clk == nil {
		clk = clock.System
	}
	return &RedisPublisher{client: client, keys: keys, clock: clk}
}

// RevokeToken implements Publisher.
func (p *RedisPublisher) RevokeToken(ctx context.Context, jti string, until time.Time) error {
	return p.publish(ctx, Entry{Kind: KindToken, ID: jti, Until: until})
}

// RevokeSession implements Publisher.
func (p *RedisPublisher) RevokeSession(ctx context.Context, sid string, until time.Time) error {
	return p.publish(ctx, Entry{Kind: KindSession, ID: sid, Until: until})
}

// RevokeUser implements Publisher.
func (p *RedisPublisher) RevokeUser(ctx context.Context, sub string, before, until time.Time) error {
	return p.publish(ctx, Entry{Kind: KindUser, ID: sub, Before: before, Until: until})
}

func (p *RedisPublisher) publish(ctx context.Context, e Entry) error {
	now := p.clock.Now()
	if err := e.validate(now); err != nil {
		return err
	}
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	err := publishScript.Run(ctx, p.client, []string{p.keys.Set()},
		e.Member(), ms(e.Until), ms(now.Add(-Grace)), ms(now),
		strconv.FormatInt(Grace.Milliseconds(), 10), p.keys.Channel(), e.Message()).Err()
	if err != nil {
		return fmt.Errorf("revoking %s %q in redis: %w", e.Kind, e.ID, err)
	}
	return nil
}

var _ Publisher = (*RedisPublisher)(nil)
