package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

//go:embed gcra.lua
var gcraSource string

// gcraScript is sent to Redis once (SCRIPT LOAD, see RedisStore.Load) and then
// called by its SHA1 with EVALSHA; Run falls back to EVAL, which caches it
// again, when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
var gcraScript = redis.NewScript(gcraSource)

// RedisStore keeps buckets in Redis, shared by every gateway instance that
// uses the same Redis and key prefix.
type RedisStore struct {
	client redis.UniversalClient
	prefix string
	// perZone is set for Redis Cluster, where one script may only touch keys
	// of one hash slot: each zone is then its own EVALSHA, all sent in one
	// pipeline (still one round trip per node), and zones count independently.
	perZone bool
}

// NewRedisStore returns a store on client whose keys start with prefix
// (DefaultKeyPrefix when empty).
func NewRedisStore(client redis.UniversalClient, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	_, cluster := client.(*redis.ClusterClient)
	return &RedisStore{client: client, prefix: prefix, perZone: cluster}
}

// Prefix is the store's key prefix.
func (s *RedisStore) Prefix() string { return s.prefix }

// Load sends the script to Redis (SCRIPT LOAD) so that requests carry only
// its SHA1. It is an optimisation: Take works without it.
func (s *RedisStore) Load(ctx context.Context) error {
	if err := gcraScript.Load(ctx, s.client).Err(); err != nil {
		return fmt.Errorf("loading the rate limit script: %w", err)
	}
	return nil
}

// Take counts one request in each zone, keys[i] being its key in zones[i],
// in one round trip, and fills out[i] with zone i's decision. It reports
// whether every zone allowed the request; if one did not, none counted it.
func (s *RedisStore) Take(ctx context.Context, zones []*Zone, keys []string, out []Decision) (bool, error) {
	rkeys := make([]string, len(zones))
	for i, z := range zones {
		rkeys[i] = RedisKey(s.prefix, z.Name, keys[i])
	}
	if s.perZone && len(zones) > 1 {
		return s.takePipelined(ctx, zones, rkeys, out)
	}
	args := make([]any, 0, 2*len(zones))
	for _, z := range zones {
		args = append(args, z.g.interval, z.g.tolerance)
	}
	res, err := gcraScript.Run(ctx, s.client, rkeys, args...).Int64Slice()
	if err != nil {
		return false, fmt.Errorf("rate limit script: %w", err)
	}
	return parseResult(res, out)
}

// takePipelined is Take on Redis Cluster; rkeys are the zones' Redis keys.
func (s *RedisStore) takePipelined(ctx context.Context, zones []*Zone, rkeys []string, out []Decision) (bool, error) {
	run := func(eval func(pipe redis.Pipeliner, keys []string, args ...any) *redis.Cmd) ([]*redis.Cmd, error) {
		cmds := make([]*redis.Cmd, len(zones))
		_, err := s.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, z := range zones {
				cmds[i] = eval(pipe, rkeys[i:i+1], z.g.interval, z.g.tolerance)
			}
			return nil
		})
		return cmds, err
	}
	cmds, err := run(func(p redis.Pipeliner, k []string, a ...any) *redis.Cmd { return gcraScript.EvalSha(ctx, p, k, a...) })
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		cmds, err = run(func(p redis.Pipeliner, k []string, a ...any) *redis.Cmd { return gcraScript.Eval(ctx, p, k, a...) })
	}
	if err != nil {
		return false, fmt.Errorf("rate limit script: %w", err)
	}
	all := true
	for i, c := range cmds {
		res, err := c.Int64Slice()
		if err != nil {
			return false, fmt.Errorf("rate limit script: %w", err)
		}
		ok, err := parseResult(res, out[i:i+1])
		if err != nil {
			return false, err
		}
		all = all && ok
	}
	return all, nil
}

var errBadReply = errors.New("rate limit script: unexpected reply")

func parseResult(res []int64, out []Decision) (bool, error) {
	if len(res) != 1+4*len(out) {
		return false, errBadReply
	}
	for i := range out {
		r := res[1+4*i:]
		out[i] = Decision{Allowed: r[0] == 1, Remaining: r[1], RetryAfter: micros(r[2]), Reset: micros(r[3])}
	}
	return res[0] == 1, nil
}
