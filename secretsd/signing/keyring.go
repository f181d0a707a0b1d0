package signing

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/portcullis/portcullis/internal/token"
	"github.com/portcullis/portcullis/secretsd/store"
)

// keyState is an immutable snapshot of the keys, swapped as a whole on
// every reload so that readers never lock.
type keyState struct {
	// active signs; nil only before the first key exists.
	active *activeKey
	// keys are the published public keys: the active one first, then
	// newest first (ties by kid), which makes the JWKS deterministic.
	keys []*publicKey
	byID map[string]*publicKey
	// set verifies tokens; nil when there are no keys.
	set *token.KeySet
}

// publicKey is one key as the JWKS publishes it.
type publicKey struct {
	kid, alg  string
	stored    []byte // the store's public JWK, to skip parsing an unchanged key again
	jwk       []byte // the public members only, as published
	createdAt time.Time
	// publishUntil is when a retired key leaves the JWKS; zero while the
	// key is active in the store.
	publishUntil time.Time
}

// publishedAt reports whether the key is in the JWKS at now.
func (p *publicKey) publishedAt(now time.Time) bool {
	return p.publishUntil.IsZero() || now.Before(p.publishUntil)
}

// activeKey is the key that signs, parsed once when it becomes active.
type activeKey struct {
	kid, alg  string
	createdAt time.Time
	// header is the base64url-encoded protected header, the same for every
	// token the key signs.
	header string
	sigLen int
	sign   func(signingInput []byte) ([]byte, error)
}

// newer orders keys for "which active key signs": the latest CreatedAt,
// and of two created at the same instant the greater kid, so that every
// node picks the same one.
func newer(a, b *store.SigningKey) bool {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

// reloadLocked reads the keys from the store and swaps in a new state.
// Keys unchanged since the last load are reused, so a periodic reload
// neither parses every key again nor opens the active private key again.
func (k *Keyring) reloadLocked(ctx context.Context) error {
	stored, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("signing: loading keys: %w", err)
	}
	prev := k.state.Load()
	now := k.clock.Now()

	var newest *store.SigningKey
	for i := range stored {
		if s := &stored[i]; s.RetiredAt.IsZero() && (newest == nil || newer(s, newest)) {
			newest = s
		}
	}
	next := &keyState{byID: make(map[string]*publicKey, len(stored))}
	for i := range stored {
		s := &stored[i]
		if !s.PublishUntil.IsZero() && !now.Before(s.PublishUntil) {
			continue // past its publication; Maintain deletes it
		}
		pk, err := publicKeyOf(s, prev.byID[s.ID])
		if err != nil {
			if s == newest {
				return fmt.Errorf("signing: active key %s: %w", s.ID, err)
			}
			k.log.Error().Err(err).Str("kid", s.ID).Msg("leaving an unreadable signing key out of the JWKS")
			continue
		}
		next.keys = append(next.keys, pk)
		next.byID[pk.kid] = pk
	}
	if newest != nil {
		if a := prev.active; a != nil && a.kid == newest.ID {
			next.active = a
		} else if next.active, err = k.openActive(ctx, newest, next.byID[newest.ID]); err != nil {
			return fmt.Errorf("signing: active key %s: %w", newest.ID, err)
		}
	}
	activeID := ""
	if next.active != nil {
		activeID = next.active.kid
	}
	slices.SortFunc(next.keys, func(a, b *publicKey) int {
		switch {
		case a.kid == activeID:
			return -1
		case b.kid == activeID:
			return 1
		}
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(a.kid, b.kid)
	})
	if len(next.keys) > 0 {
		set, skipped, err := token.ParseKeySet(jwksDocument(next.keys), prev.set)
		for _, sk := range skipped {
			k.log.Error().Str("key", sk.String()).Msg("a published signing key cannot verify tokens")
		}
		if err != nil {
			return fmt.Errorf("signing: building the verification key set: %w", err)
		}
		next.set = set
	}
	k.state.Store(next)
	return nil
}

// publicKeyOf reads a stored public JWK, reusing prev when the stored bytes
// are unchanged. It republishes only the public members, whatever the
// stored document holds.
func publicKeyOf(s *store.SigningKey, prev *publicKey) (*publicKey, error) {
	if prev != nil && bytes.Equal(prev.stored, s.Public) && prev.alg == s.Algorithm {
		pk := *prev
		pk.createdAt, pk.publishUntil = s.CreatedAt, s.PublishUntil
		return &pk, nil
	}
	key, err := jwk.ParseKey(s.Public)
	if err != nil {
		return nil, fmt.Errorf("parsing the public JWK: %w", err)
	}
	if key.KeyID() != s.ID {
		return nil, fmt.Errorf("the public JWK has kid %q", key.KeyID())
	}
	if a := key.Algorithm(); a == nil || a.String() != s.Algorithm {
		return nil, fmt.Errorf("the public JWK is not for %s", s.Algorithm)
	}
	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("reading the public JWK: %w", err)
	}
	out, err := json.Marshal(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding the public JWK: %w", err)
	}
	return &publicKey{
		kid:          s.ID,
		alg:          s.Algorithm,
		stored:       bytes.Clone(s.Public),
		jwk:          out,
		createdAt:    s.CreatedAt,
		publishUntil: s.PublishUntil,
	}, nil
}

// openActive unseals the private key of s and prepares it for signing. The
// private key must match the published one, so that a store row whose
// halves were swapped cannot make tokens nobody can verify.
func (k *Keyring) openActive(ctx context.Context, s *store.SigningKey, pub *publicKey) (*activeKey, error) {
	if pub == nil {
		return nil, fmt.Errorf("its public JWK is unusable")
	}
	plain, err := k.sealer.Open(ctx, s.Private, privateKeyAAD(s.ID))
	if err != nil {
		return nil, fmt.Errorf("opening the sealed private key: %w", err)
	}
	defer clear(plain)
	key, err := jwk.ParseKey(plain)
	if err != nil {
		// The library's message could quote key material: say only what failed.
		return nil, fmt.Errorf("the unsealed private key is not a JWK")
	}
	var raw any
	if err := key.Raw(&raw); err != nil {
		return nil, fmt.Errorf("the unsealed private key is unreadable")
	}
	priv, ok := raw.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("the unsealed key is not a private key")
	}
	pubKey, err := jwk.ParseKey(pub.jwk)
	if err != nil {
		return nil, fmt.Errorf("parsing the public JWK: %w", err)
	}
	var pubRaw any
	if err := pubKey.Raw(&pubRaw); err != nil {
		return nil, fmt.Errorf("reading the public JWK: %w", err)
	}
	if eq, ok := priv.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pubRaw) {
		return nil, fmt.Errorf("the private key does not match the published public key")
	}
	sign, sigLen, err := signerFor(s.Algorithm, priv)
	if err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{s.Algorithm, s.ID, "at+jwt"})
	if err != nil {
		return nil, err
	}
	return &activeKey{
		kid:       s.ID,
		alg:       s.Algorithm,
		createdAt: s.CreatedAt,
		header:    base64.RawURLEncoding.EncodeToString(hdr),
		sigLen:    sigLen,
		sign:      sign,
	}, nil
}
