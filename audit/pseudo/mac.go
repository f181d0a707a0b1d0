package pseudo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/netip"
	"sync"
)

// macKey is a Key with a pool of HMAC states for it. hmac.New hashes the key
// into its inner and outer pads on every call and allocates; a pooled state
// only needs Reset, which restores the saved pads. The trail pseudonymises
// several values per event, so this is most of its pseudonymisation cost.
type macKey struct {
	Key
	pool sync.Pool // of *macState
}

// macState is one HMAC and a scratch buffer for its input and output, kept
// together so that a sum allocates nothing but its result string.
type macState struct {
	h   hash.Hash
	buf []byte
	mac [sha256.Size]byte
}

func newMACKey(k Key) *macKey {
	mk := &macKey{Key: Key{ID: k.ID, Secret: append([]byte(nil), k.Secret...)}}
	mk.pool.New = func() any {
		return &macState{h: hmac.New(sha256.New, mk.Secret), buf: make([]byte, 0, 128)}
	}
	return mk
}

// sum is keyID ":" base64url(HMAC-SHA256(secret, domain 0x00 value)). The
// domain separates kinds of value; the 0x00 cannot occur in a field name, so
// no two (domain, value) pairs share an input.
func (k *macKey) sum(domain, value string) string {
	s := k.start(domain)
	return k.finish(s, append(s.buf, value...))
}

// sumAddr is sum(domain, a.String()) without making the string.
func (k *macKey) sumAddr(domain string, a netip.Addr) string {
	s := k.start(domain)
	return k.finish(s, a.AppendTo(s.buf))
}

// start takes a state from the pool and begins its input: domain 0x00.
func (k *macKey) start(domain string) *macState {
	s := k.pool.Get().(*macState)
	s.buf = append(append(s.buf[:0], domain...), 0)
	return s
}

// finish hashes in (the whole input, in s's buffer), returns the pseudonym
// and gives s back.
func (k *macKey) finish(s *macState, in []byte) string {
	s.h.Reset()
	s.h.Write(in)
	// The input is done with: the output goes into the same buffer.
	out := append(in[:0], k.ID...)
	out = append(out, ':')
	out = base64.RawURLEncoding.AppendEncode(out, s.h.Sum(s.mac[:0]))
	str := string(out)
	if cap(out) <= 4096 { // a huge value must not pin its buffer in the pool
		s.buf = out[:0]
		k.pool.Put(s)
	}
	return str
}
