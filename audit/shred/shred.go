// Package shred makes personal audit values erasable without touching the
// hash-chained bytes (crypto-shredding): values that must stay readable later
// are sealed with AES-256-GCM under a random key of the subject's own, and
// deleting that key erases them for good while the chain still verifies.
//
// Keys live in a SQLite file kept apart from the trail (0600, secure_delete
// on, so a deleted key's bytes are overwritten in the file). Several
// processes on one host may share the file. A subject is named by its
// pseudonym (package audit/pseudo), so the key store holds no raw identity.
package shred

import (
	"crypto/cipher"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
)

var (
	// ErrErased is returned by Open when the subject's key has been deleted.
	ErrErased = errors.New("audit shred: the subject's key has been erased")
	// ErrMalformed is returned by Open for a value that is not a sealed value.
	ErrMalformed = errors.New("audit shred: malformed sealed value")
	// ErrBadSubject is returned by Seal for a subject that is not a pseudonym.
	ErrBadSubject = errors.New("audit shred: bad subject")
)

// CacheTTL is how long a key stays cached in a process: Seal on the request
// path then costs no database read, and an Erase made by another process
// sharing the file takes effect here within this time.
const CacheTTL = 30 * time.Second

// Keys is the per-subject key store. It is safe for concurrent use.
type Keys struct {
	db    *sql.DB
	clock clock.Clock

	mu    sync.Mutex
	cache map[string]cachedKey
	// erasures counts Erase calls; a key read from the database is cached
	// only if no Erase ran meanwhile, so a concurrent Seal cannot put back a
	// key just erased.
	erasures  uint64
	nextSweep int
}

type cachedKey struct {
	aead    cipher.AEAD
	expires time.Time
}

// OpenKeys opens (creating, 0600, with its directory 0700) the key store at path.
func OpenKeys(path string) (*Keys, error) { return OpenKeysWithClock(path, clock.System) }

// OpenKeysWithClock is OpenKeys with the clock that ages cached keys.
func OpenKeysWithClock(path string, c clock.Clock) (*Keys, error) {
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	return &Keys{db: db, clock: c, cache: map[string]cachedKey{}, nextSweep: minSweep}, nil
}

// Close closes the store.
func (k *Keys) Close() error {
	if err := k.db.Close(); err != nil {
		return fmt.Errorf("audit shred: closing the key store: %w", err)
	}
	return nil
}

// Seal encrypts fields (e.g. {"user.name": "alice", "source.ip": "192.0.2.7"})
// under subject's key, creating the key on first use. The result is
// "s1." + subject + "." + base64url(nonce || ciphertext), with subject as
// additional data so a sealed value cannot be moved to another subject. The
// JSON encoding of fields is deterministic (keys sorted).
func (k *Keys) Seal(subject string, fields map[string]string) (string, error) {
	if err := checkSubject(subject); err != nil {
		return "", err
	}
	aead, err := k.key(subject, true)
	if err != nil {
		return "", err
	}
	return seal(aead, subject, fields)
}

// Open decrypts a value made by Seal. ErrErased when the key was deleted,
// ErrMalformed when sealed does not parse or does not authenticate.
func (k *Keys) Open(sealed string) (map[string]string, error) {
	subject, box, err := parseSealed(sealed)
	if err != nil {
		return nil, err
	}
	aead, err := k.key(subject, false)
	if err != nil {
		return nil, err
	}
	return open(aead, subject, box)
}

// Erase deletes subject's key; every value sealed for the subject becomes
// unreadable, in this process at once and in others sharing the file within
// CacheTTL. It reports whether a key existed; erasing twice is not an error.
func (k *Keys) Erase(subject string) (bool, error) {
	if err := checkSubject(subject); err != nil {
		return false, err
	}
	k.mu.Lock()
	delete(k.cache, subject)
	k.erasures++
	k.mu.Unlock()
	existed, err := deleteKey(k.db, subject)
	k.mu.Lock()
	delete(k.cache, subject) // in case a Seal cached it while the delete ran
	k.erasures++
	k.mu.Unlock()
	return existed, err
}
