package authz

import (
	"hash/maphash"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/portcullis/portcullis/internal/principal"
)

// cacheSlots bounds each entity cache: a direct-mapped table, so memory is
// fixed whatever the number of distinct users or paths, and a lookup is one
// hash and one atomic load, without locks.
const cacheSlots = 4096

// slotCache caches values built from a key. A colliding key simply
// replaces the slot. Values must be immutable: they are shared by requests.
type slotCache[K comparable, V any] struct {
	seed  maphash.Seed
	slots [cacheSlots]atomic.Pointer[cacheEntry[K, V]]
}

type cacheEntry[K comparable, V any] struct {
	key K
	val V
}

func newSlotCache[K comparable, V any]() *slotCache[K, V] {
	return &slotCache[K, V]{seed: maphash.MakeSeed()}
}

func (c *slotCache[K, V]) get(key K, build func() V) V {
	slot := &c.slots[maphash.Comparable(c.seed, key)%cacheSlots]
	if e := slot.Load(); e != nil && e.key == key {
		return e.val
	}
	v := build()
	slot.Store(&cacheEntry[K, V]{key: key, val: v})
	return v
}

// userKey identifies everything userEntity reads from a principal. Each
// part is length-prefixed, so no choice of claim values (a sub containing
// a separator, say) can make two different principals share a key.
func userKey(p *principal.Principal) string {
	n := len(p.Subject) + len(p.Role) + len(p.Team) + len(p.ClientID) + 4*8
	for _, g := range p.Groups {
		n += len(g) + 8
	}
	b := make([]byte, 0, n)
	part := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	part(p.Subject)
	part(p.Role)
	part(p.Team)
	part(p.ClientID)
	for _, g := range p.Groups {
		part(g)
	}
	return string(b)
}

// contextKey is everything contextRecord reads, at the one-second
// granularity of the context's time attributes.
type contextKey struct {
	ip         netip.Addr
	mfa        bool
	breakGlass bool
	age        int64
	method     string
	unix       int64
}

// mappedResource is a path's resource and its entity.
type mappedResource struct {
	res     Resource
	ent     types.Entity
	display string // Decision.Resource
}
