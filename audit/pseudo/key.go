package pseudo

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MinKeySize is the shortest accepted secret: 32 bytes, the HMAC-SHA256 block
// strength (RFC 2104 section 3 recommends at least the hash output length).
const MinKeySize = 32

// ErrBadKey is returned for a key that is too short or has an unusable id.
var ErrBadKey = errors.New("bad pseudonymisation key")

// Key is one HMAC key and the id written in front of every pseudonym it makes.
type Key struct {
	// ID is 1 to 16 characters of [a-z0-9], e.g. "p1". It is public.
	ID string
	// Secret is at least MinKeySize random bytes. It never goes into the trail.
	Secret []byte
}

func (k Key) validate() error {
	if k.ID == "" || len(k.ID) > 16 || strings.IndexFunc(k.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) >= 0 {
		return fmt.Errorf("%w: id %q must be 1 to 16 characters of a-z and 0-9", ErrBadKey, k.ID)
	}
	if len(k.Secret) < MinKeySize {
		return fmt.Errorf("%w: key %q has %d bytes, want at least %d", ErrBadKey, k.ID, len(k.Secret), MinKeySize)
	}
	return nil
}

// KeyFromFile reads a key whose secret is stored base64-encoded (standard
// alphabet, padding optional) in the file at path, apart from the trail.
func KeyFromFile(id, path string) (Key, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("reading pseudonymisation key %q: %w", id, err)
	}
	text := strings.TrimRight(strings.TrimSpace(string(raw)), "=")
	secret, err := base64.RawStdEncoding.DecodeString(text)
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q in %s is not base64", ErrBadKey, id, path)
	}
	k := Key{ID: id, Secret: secret}
	if err := k.validate(); err != nil {
		return Key{}, err
	}
	return k, nil
}

// LoadOrCreateKey reads the key at path like KeyFromFile, first creating the
// file (0600, directory 0700) with 32 random bytes when absent. Processes
// starting together (gateway and secretsd share the key so that one person
// has one pseudonym in both) all end up with the same key: the file is
// written under a temporary name and linked into place, and the loser of the
// race reads the winner's.
func LoadOrCreateKey(id, path string) (Key, error) { panic("not implemented yet") }
