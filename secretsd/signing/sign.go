package signing

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// jtiBytes is the entropy of a generated jti: 128 bits, so that ids never
// collide across nodes without coordination.
const jtiBytes = 16

var b64 = base64.RawURLEncoding

// Sign issues a token signed with the active key, header typ "at+jwt"
// (RFC 9068 §2.1) and kid. It returns the compact serialisation (RFC 7515
// §7.1) and the jti.
//
// The claims are written as JSON directly rather than through a generic
// JWT builder: signing is on the path of every login and refresh, and the
// only work per call beyond the signature is one pass over the claims.
func (k *Keyring) Sign(c Claims) (token, jti string, err error) {
	active := k.state.Load().active
	if active == nil {
		return "", "", errors.New("signing: no active key")
	}
	now := k.clock.Now()
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	if err := k.checkClaims(&c, now); err != nil {
		return "", "", err
	}
	if c.TokenID == "" {
		var id [jtiBytes]byte
		if _, err := rand.Read(id[:]); err != nil {
			return "", "", fmt.Errorf("signing: generating a jti: %w", err)
		}
		c.TokenID = b64.EncodeToString(id[:])
	}
	payload, err := appendClaims(make([]byte, 0, 512), &c)
	if err != nil {
		return "", "", err
	}

	inputLen := len(active.header) + 1 + b64.EncodedLen(len(payload))
	out := make([]byte, inputLen, inputLen+1+b64.EncodedLen(active.sigLen))
	n := copy(out, active.header)
	out[n] = '.'
	b64.Encode(out[n+1:], payload)
	sig, err := active.sign(out)
	if err != nil {
		return "", "", fmt.Errorf("signing: signing with key %s: %w", active.kid, err)
	}
	out = append(out, '.')
	out = b64.AppendEncode(out, sig)
	return string(out), c.TokenID, nil
}

// checkClaims refuses claims that would make a token the gateway rejects,
// or one that outlives the publication of its key.
func (k *Keyring) checkClaims(c *Claims, now time.Time) error {
	switch {
	case c.Issuer == "":
		return fmt.Errorf("%w: no issuer", ErrInvalidClaims)
	case c.Subject == "":
		return fmt.Errorf("%w: no subject", ErrInvalidClaims)
	case len(c.Audience) == 0:
		return fmt.Errorf("%w: no audience", ErrInvalidClaims)
	case c.Expiry.IsZero():
		return fmt.Errorf("%w: no expiry", ErrInvalidClaims)
	case c.Expiry.Unix() <= c.IssuedAt.Unix():
		return fmt.Errorf("%w: expiry %s is not after issued-at %s", ErrInvalidClaims,
			c.Expiry.UTC().Format(time.RFC3339), c.IssuedAt.UTC().Format(time.RFC3339))
	case c.Expiry.After(now.Add(k.cfg.MaxTokenTTL)):
		// A retired key is published for MaxTokenTTL only: a longer-lived
		// token would stop verifying before it expires.
		return fmt.Errorf("%w: expiry is more than the maximum token lifetime (%s) away", ErrInvalidClaims, k.cfg.MaxTokenTTL)
	}
	for _, a := range c.Audience {
		if a == "" {
			return fmt.Errorf("%w: empty audience", ErrInvalidClaims)
		}
	}
	return nil
}
