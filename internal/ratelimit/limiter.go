package ratelimit

import (
	"context"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
)

// DefaultRedisTimeout bounds one Redis decision: past it the request is
// decided in process, so a Redis that hangs never stalls the gateway by more.
const DefaultRedisTimeout = 100 * time.Millisecond

// Zone is one named limit with its in-process buckets.
type Zone struct {
	Name  string
	table *Table
	g     gcra
}

// NewZone names table's limit. The table holds the zone's in-process state
// (the whole state in memory mode, the fallback when Redis fails).
func NewZone(name string, table *Table) *Zone {
	return &Zone{Name: name, table: table, g: table.g}
}

// Limit is the zone's limit.
func (z *Zone) Limit() Limit { return z.table.limit }

// Source says which store decided a request.
type Source uint8

const (
	// FromMemory: in-memory mode, no Redis configured.
	FromMemory Source = iota
	// FromRedis: the shared Redis buckets.
	FromRedis
	// FromFallback: Redis is configured but failed or its circuit is open,
	// so the in-process buckets decided.
	FromFallback
)

// Observer hears about the Redis circuit. Its methods must be fast and safe
// for concurrent use; RedisDown and RedisUp are called once per transition.
type Observer interface {
	RedisDown(err error)
	RedisUp()
}

// Limiter decides requests against their zones, in Redis when it has a
// RedisStore and Redis answers, else in process.
type Limiter struct {
	clock   clock.Clock
	redis   *RedisStore
	timeout time.Duration
	circuit circuit
}

// Options configure a Limiter; the zero value is in-memory mode on the system
// clock.
type Options struct {
	// Clock is read for in-process decisions and the circuit's backoff.
	// Default: clock.System.
	Clock clock.Clock
	// Redis, when set, holds the shared buckets.
	Redis *RedisStore
	// RedisTimeout bounds each Redis decision. Default: DefaultRedisTimeout.
	RedisTimeout time.Duration
	// Observer hears about Redis going down and coming back. Optional.
	Observer Observer
	// MinBackoff and MaxBackoff bound how long the circuit stays open after a
	// failure before Redis is tried again; it doubles on each failed probe.
	// Defaults: DefaultMinBackoff, DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// NewLimiter returns a limiter.
func NewLimiter(o Options) *Limiter {
	if o.Clock == nil {
		o.Clock = clock.System
	}
	if o.RedisTimeout <= 0 {
		o.RedisTimeout = DefaultRedisTimeout
	}
	l := &Limiter{clock: o.Clock, redis: o.Redis, timeout: o.RedisTimeout}
	l.circuit.init(o.Observer, o.MinBackoff, o.MaxBackoff)
	return l
}

// Allow counts one request in every zone, keys[i] being its key in zones[i],
// fills out[i] with each zone's decision and reports whether all allowed it.
// A request is counted in all zones or none. out must have len(zones).
func (l *Limiter) Allow(ctx context.Context, zones []*Zone, keys []string, out []Decision) (bool, Source) {
	if l.redis == nil {
		return allowInProcess(zones, keys, out, l.clock.Now().UnixMicro()), FromMemory
	}
	now := l.clock.Now()
	if l.circuit.tryRedis(now) {
		rctx, cancel := context.WithTimeout(ctx, l.timeout)
		ok, err := l.redis.Take(rctx, zones, keys, out)
		cancel()
		if err == nil {
			l.circuit.succeeded()
			return ok, FromRedis
		}
		if ctx.Err() == nil { // not the client going away
			l.circuit.failed(now, err)
		} else {
			l.circuit.abandoned()
		}
	}
	return allowInProcess(zones, keys, out, now.UnixMicro()), FromFallback
}

// RedisHealthy reports whether the circuit is closed (Redis in use).
func (l *Limiter) RedisHealthy() bool { return l.redis != nil && !l.circuit.open.Load() }

// allowInProcess is Allow on the zones' tables: each zone takes in turn, and
// if one refuses, those that allowed give their event back.
func allowInProcess(zones []*Zone, keys []string, out []Decision, now int64) bool {
	if len(zones) == 1 { // the common case: nothing to undo
		z := zones[0]
		out[0] = z.table.take(z.table.hash(keys[0]), now)
		return out[0].Allowed
	}
	var hashes [8]uint64
	all := true
	for i, z := range zones {
		h := z.table.hash(keys[i])
		if i < len(hashes) {
			hashes[i] = h
		}
		out[i] = z.table.take(h, now)
		all = all && out[i].Allowed
	}
	if !all {
		for i, z := range zones {
			if out[i].Allowed {
				h := z.table.hash(keys[i])
				if i < len(hashes) {
					h = hashes[i]
				}
				z.table.undo(h, now)
			}
		}
	}
	return all
}
