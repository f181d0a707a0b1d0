package signing

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/token"
)

// A token naming an unknown kid makes Verify reload the keys, at most once
// per unknownKeyReloadEvery, waiting at most unknownKeyReloadTimeout.
const (
	unknownKeyReloadEvery   = 10 * time.Second
	unknownKeyReloadTimeout = 5 * time.Second
)

// maxVerifiers bounds the verifiers kept per (issuer, audience): callers
// pass their configured values, so a handful is the norm.
const maxVerifiers = 32

// Verify checks a token this keyring issued (signature with a published key,
// typ at+jwt, issuer, audience, expiry) and returns its claims. Revocation is
// the caller's concern.
//
// The checks are the gateway's (internal/token), so secretsd never accepts a
// token the gateway would refuse or the reverse: the algorithm comes from the
// key, never the header; typ must be at+jwt; exp, nbf and iat are checked
// with token.DefaultLeeway; only keys published at this moment count.
// Errors wrap ErrInvalidToken and the token.Err* kind.
func (k *Keyring) Verify(tok, issuer, audience string) (*principal.Principal, error) {
	v, err := k.verifiers.get(k, issuer, audience)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	p, err := v.Verify(tok)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return p, nil
}

// verifierCache holds one token.Verifier per (issuer, audience); they all
// read the keys through the Keyring, so none is rebuilt on rotation.
type verifierCache struct {
	m sync.Map // [2]string → *token.Verifier
	n atomic.Int32
}

func (c *verifierCache) get(k *Keyring, issuer, audience string) (*token.Verifier, error) {
	key := [2]string{issuer, audience}
	if v, ok := c.m.Load(key); ok {
		return v.(*token.Verifier), nil
	}
	v, err := token.NewVerifier(token.Config{
		Issuer:     issuer,
		Audiences:  []string{audience},
		Algorithms: []string{RS256, ES256, EdDSA},
		Leeway:     token.DefaultLeeway,
		Keys:       (*publishedKeys)(k),
		Clock:      k.clock,
	})
	if err != nil {
		return nil, err
	}
	if c.n.Add(1) <= maxVerifiers {
		if prev, loaded := c.m.LoadOrStore(key, v); loaded {
			return prev.(*token.Verifier), nil
		}
	}
	return v, nil
}

// publishedKeys is the Keyring seen as the verifier's token.KeyProvider: the
// keys of the current state that are published now. A retired key past its
// PublishUntil stops verifying at once, even before Run deletes it.
type publishedKeys Keyring

func (p *publishedKeys) Key(kid string) (*token.Key, error) {
	k := (*Keyring)(p)
	st := k.state.Load()
	if kid != "" && st.byID[kid] == nil && k.reloadForUnknownKey() {
		st = k.state.Load()
	}
	if st.set == nil {
		return nil, &token.Error{Kind: token.ErrUnknownKey, Detail: "no key is published"}
	}
	key, err := st.set.Key(kid)
	if err != nil {
		return nil, err
	}
	if pk := st.byID[key.ID]; pk == nil || !pk.publishedAt(k.clock.Now()) {
		return nil, &token.Error{Kind: token.ErrUnknownKey, Detail: "the key is no longer published"}
	}
	return key, nil
}

// reloadForUnknownKey reloads the keys when a token names a kid this node
// does not know, which is what a token signed by another node just after
// it rotated looks like, so that such a token verifies at once rather than
// after the next Run pass. At most one reload per unknownKeyReloadEvery, so
// that made-up kids cannot turn Verify into load on the database. It
// reports whether it reloaded.
func (k *Keyring) reloadForUnknownKey() bool {
	if !k.unknownKeyReloads.AllowN(k.clock.Now(), 1) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), unknownKeyReloadTimeout)
	defer cancel()
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.reloadLocked(ctx); err != nil {
		k.log.Error().Err(err).Msg("reloading signing keys for an unknown kid")
		return false
	}
	return true
}

func (p *publishedKeys) Has(key *token.Key) bool {
	st := (*Keyring)(p).state.Load()
	return st.set != nil && st.set.Has(key)
}
