package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// Circuit backoff defaults: a dead Redis costs one failed attempt per backoff
// period instead of one per request, and a Redis that comes back is in use
// again within DefaultMaxBackoff.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 2 * time.Second
)

// circuit decides whether a request tries Redis. Closed (Redis healthy):
// every request does. After a failure it opens: requests use the in-process
// tables until the backoff has passed, then one request probes Redis; success
// closes the circuit, failure opens it again for twice as long.
type circuit struct {
	open    atomic.Bool
	probing atomic.Bool
	retryAt atomic.Int64 // unix µs when a probe may go

	mu       sync.Mutex // serialises transitions
	backoff  time.Duration
	min, max time.Duration
	observer Observer
}

func (c *circuit) init(o Observer, min, max time.Duration) {
	if min <= 0 {
		min = DefaultMinBackoff
	}
	if max < min {
		max = DefaultMaxBackoff
		if max < min {
			max = min
		}
	}
	c.min, c.max, c.backoff, c.observer = min, max, min, o
}

// tryRedis reports whether this request should go to Redis.
func (c *circuit) tryRedis(now time.Time) bool {
	if !c.open.Load() {
		return true
	}
	if now.UnixMicro() < c.retryAt.Load() {
		return false
	}
	return c.probing.CompareAndSwap(false, true) // one probe at a time
}

func (c *circuit) succeeded() {
	if !c.open.Load() {
		return
	}
	c.mu.Lock()
	if c.open.Load() {
		c.open.Store(false)
		c.backoff = c.min
		c.probing.Store(false)
		if c.observer != nil {
			c.observer.RedisUp()
		}
	}
	c.mu.Unlock()
}

func (c *circuit) failed(now time.Time, err error) {
	c.mu.Lock()
	wasOpen := c.open.Load()
	if wasOpen && !c.probing.Load() {
		// A request sent before the circuit opened failing late: the
		// circuit already knows.
		c.mu.Unlock()
		return
	}
	if wasOpen {
		c.backoff = min(c.backoff*2, c.max)
	} else {
		c.backoff = c.min
	}
	c.retryAt.Store(now.Add(c.backoff).UnixMicro())
	c.open.Store(true)
	c.probing.Store(false)
	if !wasOpen && c.observer != nil {
		c.observer.RedisDown(err)
	}
	c.mu.Unlock()
}

// abandoned ends a probe that told nothing (the client went away).
func (c *circuit) abandoned() { c.probing.Store(false) }
