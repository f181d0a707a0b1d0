package kek

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// LocalKeySize is the size of a local master key: AES-256.
const LocalKeySize = 32

// Local seals with AES-256-GCM under one master key held in memory: the
// embedded default, read from a key file (LoadOrCreateLocalKeyFile) or from
// the environment (ParseLocalKey).
type Local struct {
	aead cipher.AEAD
	id   string
}

// NewLocal returns a Sealer for a 32-byte master key. The key is not kept;
// only its AES key schedule is.
func NewLocal(key []byte) (*Local, error) {
	if len(key) != LocalKeySize {
		return nil, fmt.Errorf("kek: a local master key is %d bytes, got %d", LocalKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kek: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("kek: %w", err)
	}
	return &Local{aead: aead, id: localKeyID(key)}, nil
}

// ParseLocalKey reads a master key given as base64 text (standard or URL
// alphabet, padded or not), e.g. from an environment variable. The error
// never repeats the text.
func ParseLocalKey(s string) (*Local, error) {
	key, err := decodeKey(s)
	if err != nil {
		return nil, err
	}
	return NewLocal(key)
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil {
			if len(key) != LocalKeySize {
				return nil, fmt.Errorf("kek: a local master key is %d bytes, base64-encoded; this one decodes to %d bytes", LocalKeySize, len(key))
			}
			return key, nil
		}
	}
	return nil, fmt.Errorf("kek: a local master key is %d random bytes, base64-encoded (e.g. head -c %d /dev/urandom | base64); this is not base64", LocalKeySize, LocalKeySize)
}

// localKeyID fingerprints the key: 64 bits of a domain-separated SHA-256,
// enough to tell keys apart, useless for recovering one.
func localKeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("portcullis kek local key id\x00"))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// KeyID is the key's fingerprint.
func (l *Local) KeyID() string { return l.id }

// String names the key without revealing it, so a Local printed by mistake
// shows no key material.
func (l *Local) String() string { return "kek.Local(" + l.id + ")" }

// GoString is String, for %#v.
func (l *Local) GoString() string { return l.String() }

// Seal encrypts plaintext with a fresh random 96-bit nonce. aad is
// authenticated, not stored: Open needs the same aad.
func (l *Local) Seal(_ context.Context, plaintext, aad []byte) ([]byte, error) {
	hdr, err := appendHeader(nil, l.id)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(hdr), len(hdr)+nonceSize+len(plaintext)+l.aead.Overhead())
	copy(out, hdr)
	nonce := out[len(hdr) : len(hdr)+nonceSize]
	out = out[:len(hdr)+nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("kek: reading a nonce: %w", err)
	}
	return l.aead.Seal(out, nonce, plaintext, additionalData(hdr, aad)), nil
}

// Open decrypts a value sealed by Seal under this key with the same aad.
func (l *Local) Open(_ context.Context, ciphertext, aad []byte) ([]byte, error) {
	env, err := parseEnvelope(ciphertext)
	if err != nil {
		return nil, err
	}
	if env.keyID != l.id {
		return nil, fmt.Errorf("kek: sealed by key %q, this secretsd holds key %q: %w", env.keyID, l.id, ErrUnknownKey)
	}
	pt, err := l.aead.Open(nil, env.nonce, env.sealed, additionalData(env.header, aad))
	if err != nil {
		return nil, fmt.Errorf("kek: opening a value sealed by key %q: %w", env.keyID, ErrAuthentication)
	}
	return pt, nil
}

var _ Sealer = (*Local)(nil)
