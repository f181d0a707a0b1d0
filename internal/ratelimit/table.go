package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

// DefaultMaxKeys bounds a zone's in-process table: about 40 bytes a key, so
// the default costs at most a few MB per zone whatever the traffic.
const DefaultMaxKeys = 100_000

// DefaultSweepInterval is how often a Table's sweeper drops full buckets.
const DefaultSweepInterval = time.Minute

const (
	shardBits  = 6
	shardCount = 1 << shardBits
	// evictSample is how many entries a full shard looks at to make room.
	evictSample = 16
)

// Table is the in-process bucket store of one zone: a sharded map from a
// 64-bit hash of the key to its TAT. Hashing keeps every entry the same small
// size whatever the key (an 8 KB API-key header costs 16 bytes) and lets the
// decision run without allocating; the seed is per process, so nobody can
// craft keys that collide, and an accidental collision (2⁻⁶⁴) only shares a
// bucket.
//
// The table never holds more than MaxKeys entries: a full shard first drops
// full buckets it comes across, else the bucket closest to full among a small
// sample — the one whose loss changes least. A background sweeper (Start)
// drops every full bucket periodically.
type Table struct {
	g           gcra
	limit       Limit
	seed        maphash.Seed
	maxPerShard int
	shards      [shardCount]shard
	stop        chan struct{}
	stopOnce    sync.Once
}

type shard struct {
	mu sync.Mutex
	m  map[uint64]int64
	_  [48]byte // one shard per 64-byte cache line: no false sharing between locks
}

// NewTable returns an empty table for limit holding at most maxKeys buckets
// (DefaultMaxKeys when maxKeys ≤ 0). The caller validates limit.
func NewTable(limit Limit, maxKeys int) *Table {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	t := &Table{
		g:           limit.gcra(),
		limit:       limit,
		seed:        maphash.MakeSeed(),
		maxPerShard: max(1, (maxKeys+shardCount-1)/shardCount),
		stop:        make(chan struct{}),
	}
	for i := range t.shards {
		t.shards[i].m = make(map[uint64]int64)
	}
	return t
}

// Limit returns the table's limit.
func (t *Table) Limit() Limit { return t.limit }

// hash maps a key to its bucket id.
func (t *Table) hash(key string) uint64 { return maphash.String(t.seed, key) }

// take counts one event for bucket h at now (µs).
func (t *Table) take(h uint64, now int64) Decision {
	s := &t.shards[h&(shardCount-1)]
	s.mu.Lock()
	prev, ok := s.m[h]
	next, d := t.g.step(prev, now)
	if d.Allowed {
		if !ok && len(s.m) >= t.maxPerShard {
			s.makeRoom(now)
		}
		s.m[h] = next
	}
	s.mu.Unlock()
	return d
}

// undo gives back the event that take allowed on bucket h when another zone
// refused the request: one interval comes off the TAT, whoever else counted
// in the bucket meanwhile, and a bucket that becomes full is dropped.
func (t *Table) undo(h uint64, now int64) {
	s := &t.shards[h&(shardCount-1)]
	s.mu.Lock()
	if cur, ok := s.m[h]; ok {
		if back := cur - t.g.interval; back > now {
			s.m[h] = back
		} else {
			delete(s.m, h)
		}
	}
	s.mu.Unlock()
}

// Take counts one event for key at now and returns the zone's decision. It
// is safe for concurrent use.
func (t *Table) Take(key string, now time.Time) Decision {
	return t.take(t.hash(key), now.UnixMicro())
}

// makeRoom drops one entry: an already full bucket if the sample has one,
// else the one closest to full. Go's map iteration starts at a random place,
// so the sample differs each time. Called with s.mu held.
func (s *shard) makeRoom(now int64) {
	var victim uint64
	oldest := int64(-1)
	n := 0
	for h, tat := range s.m {
		if tat <= now {
			delete(s.m, h)
			return
		}
		if oldest < 0 || tat < oldest {
			victim, oldest = h, tat
		}
		if n++; n == evictSample {
			break
		}
	}
	if oldest >= 0 {
		delete(s.m, victim)
	}
}

// Sweep drops every bucket that is full again at now (its TAT has passed),
// which is the same as never having been seen. It returns how many it dropped.
func (t *Table) Sweep(now time.Time) int {
	us := now.UnixMicro()
	dropped := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for h, tat := range s.m {
			if tat <= us {
				delete(s.m, h)
				dropped++
			}
		}
		s.mu.Unlock()
	}
	return dropped
}

// Len is the number of buckets held.
func (t *Table) Len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// StartSweeper sweeps the table every interval, reading the time from now,
// until Close.
func (t *Table) StartSweeper(interval time.Duration, now func() time.Time) {
	if interval <= 0 {
		interval = DefaultSweepInterval
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				t.Sweep(now())
			case <-t.stop:
				return
			}
		}
	}()
}

// Close stops the sweeper. It is idempotent.
func (t *Table) Close() error {
	t.stopOnce.Do(func() { close(t.stop) })
	return nil
}
