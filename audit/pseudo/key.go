package pseudo

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
func LoadOrCreateKey(id, path string) (Key, error) {
	// Check the id first: a bad id must not leave a new key file behind.
	if err := (Key{ID: id, Secret: make([]byte, MinKeySize)}).validate(); err != nil {
		return Key{}, err
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return KeyFromFile(id, path)
	}
	if err := createKeyFile(path); err != nil {
		return Key{}, fmt.Errorf("creating pseudonymisation key %q: %w", id, err)
	}
	return KeyFromFile(id, path)
}

// createKeyFile writes MinKeySize random bytes, base64, to path unless a file
// is there already. The file is complete and fsynced under a temporary name
// before os.Link gives it its name, which fails if another process linked
// first; that process's key then stands.
func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	secret := make([]byte, MinKeySize)
	rand.Read(secret) // crypto/rand never fails (Go 1.24+)
	data := []byte(base64.StdEncoding.EncodeToString(secret) + "\n")
	clear(secret)
	defer clear(data)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil // another process won the race; its key stands
		}
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
