package token

import (
	"sync"

	"github.com/portcullis/portcullis/internal/principal"
)

// cache remembers verified tokens by the SHA-256 of the token string. It is
// bounded: each shard evicts its oldest insertion (FIFO) when full, so 100,000
// distinct tokens cost no more memory than CacheSize of them. It stores the
// compact Principal and the key that verified it, never the token.
type cache struct {
	shards []cacheShard
	mask   uint8
}

type cacheEntry struct {
	p        *principal.Principal
	key      *Key
	deadline int64 // unix nanoseconds of exp + leeway
}

type cacheShard struct {
	mu      sync.RWMutex
	entries map[[32]byte]cacheEntry
	ring    [][32]byte // insertion order; ring[next] is the oldest once full
	next    int
	_       [40]byte // keep shards on separate cache lines
}

func newCache(size int) *cache {
	n := 16
	for n > 1 && size/n < 16 {
		n /= 2
	}
	per := (size + n - 1) / n
	c := &cache{shards: make([]cacheShard, n), mask: uint8(n - 1)}
	for i := range c.shards {
		c.shards[i].entries = make(map[[32]byte]cacheEntry, min(per, 1024))
		c.shards[i].ring = make([][32]byte, 0, per)
	}
	return c
}

func (c *cache) shard(h *[32]byte) *cacheShard { return &c.shards[h[0]&c.mask] }

func (c *cache) get(h *[32]byte) (cacheEntry, bool) {
	s := c.shard(h)
	s.mu.RLock()
	e, ok := s.entries[*h]
	s.mu.RUnlock()
	return e, ok
}

func (c *cache) put(h *[32]byte, e cacheEntry) {
	s := c.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[*h]; ok {
		s.entries[*h] = e
		return
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, *h)
	} else {
		// The evicted slot may name an entry already removed, or one that
		// was re-inserted later: deleting it then is only an early miss.
		delete(s.entries, s.ring[s.next])
		s.ring[s.next] = *h
		s.next = (s.next + 1) % len(s.ring)
	}
	s.entries[*h] = e
}

func (c *cache) remove(h *[32]byte) {
	s := c.shard(h)
	s.mu.Lock()
	delete(s.entries, *h)
	s.mu.Unlock()
}

func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}
