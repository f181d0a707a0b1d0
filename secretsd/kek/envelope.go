package kek

import (
	"errors"
	"fmt"
)

// Errors of Open, for errors.Is.
var (
	// ErrMalformed: the value is not a sealed value of a known format.
	ErrMalformed = errors.New("not a sealed value")
	// ErrUnknownKey: the value was sealed by a key this Sealer does not hold.
	ErrUnknownKey = errors.New("sealed by an unknown key")
	// ErrAuthentication: the value was altered, or is opened with other
	// additional data than it was sealed with.
	ErrAuthentication = errors.New("authentication failed")
)

// A sealed value, version 1:
//
//	byte    version (1)
//	byte    n, the length of the key id (1..255)
//	n bytes key id (what KeyID returned when it was sealed)
//	12      GCM nonce
//	rest    AES-256-GCM ciphertext and 16-byte tag
//
// The version and key id let backends and key rotation (the KMS issue) find
// the key that opens an old value. Header and caller aad are both
// authenticated, so neither can be swapped.
const (
	formatV1  = 1
	nonceSize = 12
	tagSize   = 16
)

type envelope struct {
	header []byte // version, key id length, key id
	keyID  string
	nonce  []byte
	sealed []byte // ciphertext and tag
}

func appendHeader(b []byte, keyID string) ([]byte, error) {
	if len(keyID) == 0 || len(keyID) > 255 {
		return nil, fmt.Errorf("kek: key id of %d bytes, want 1..255", len(keyID))
	}
	b = append(b, formatV1, byte(len(keyID)))
	return append(b, keyID...), nil
}

// parseEnvelope splits a sealed value; it never panics, whatever b holds.
func parseEnvelope(b []byte) (envelope, error) {
	if len(b) < 2 {
		return envelope{}, fmt.Errorf("kek: %d bytes: %w", len(b), ErrMalformed)
	}
	if b[0] != formatV1 {
		return envelope{}, fmt.Errorf("kek: format version %d: %w", b[0], ErrMalformed)
	}
	n := int(b[1])
	if n == 0 || len(b) < 2+n+nonceSize+tagSize {
		return envelope{}, fmt.Errorf("kek: truncated: %w", ErrMalformed)
	}
	hdr := b[:2+n]
	return envelope{
		header: hdr,
		keyID:  string(b[2 : 2+n]),
		nonce:  b[2+n : 2+n+nonceSize],
		sealed: b[2+n+nonceSize:],
	}, nil
}

// additionalData is what GCM authenticates besides the plaintext: the header
// (self-delimiting, so the concatenation is unambiguous) and the caller's aad.
func additionalData(hdr, aad []byte) []byte {
	ad := make([]byte, 0, len(hdr)+len(aad))
	ad = append(ad, hdr...)
	return append(ad, aad...)
}
