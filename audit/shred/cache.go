package shred

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"time"
)

// minSweep is the cache size at which expired entries are first swept out.
const minSweep = 1024

// key returns subject's cipher from the cache or the database; create makes
// the key when the subject has none. ErrErased when it has none and !create.
func (k *Keys) key(subject string, create bool) (cipher.AEAD, error) {
	now := k.clock.Now()
	k.mu.Lock()
	c, ok := k.cache[subject]
	epoch := k.erasures
	k.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.aead, nil
	}
	raw, err := loadKey(k.db, subject, create)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(raw)
	clear(raw)
	if err != nil {
		return nil, fmt.Errorf("audit shred: the stored key of a subject is unusable: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("audit shred: %w", err)
	}
	k.mu.Lock()
	if k.erasures == epoch {
		k.cache[subject] = cachedKey{aead: aead, expires: now.Add(CacheTTL)}
		if len(k.cache) >= k.nextSweep {
			k.sweep(now)
		}
	}
	k.mu.Unlock()
	return aead, nil
}

// sweep drops expired entries so the cache stays about the size of the
// subjects seen within CacheTTL. Called with mu held.
func (k *Keys) sweep(now time.Time) {
	for s, c := range k.cache {
		if !now.Before(c.expires) {
			delete(k.cache, s)
		}
	}
	k.nextSweep = max(2*len(k.cache), minSweep)
}
