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

import "errors"

var (
	// ErrErased is returned by Open when the subject's key has been deleted.
	ErrErased = errors.New("audit shred: the subject's key has been erased")
	// ErrMalformed is returned by Open for a value that is not a sealed value.
	ErrMalformed = errors.New("audit shred: malformed sealed value")
)

// Keys is the per-subject key store. It is safe for concurrent use.
type Keys struct{}

// OpenKeys opens (creating, 0600, with its directory 0700) the key store at path.
func OpenKeys(path string) (*Keys, error) { panic("not implemented yet") }

// Close closes the store.
func (k *Keys) Close() error { panic("not implemented yet") }

// Seal encrypts fields (e.g. {"user.name": "alice", "source.ip": "192.0.2.7"})
// under subject's key, creating the key on first use. The result is
// "s1." + subject + "." + base64url(nonce || ciphertext), with subject as
// additional data so a sealed value cannot be moved to another subject. The
// JSON encoding of fields is deterministic (keys sorted).
func (k *Keys) Seal(subject string, fields map[string]string) (string, error) {
	panic("not implemented yet")
}

// Open decrypts a value made by Seal. ErrErased when the key was deleted,
// ErrMalformed when sealed does not parse or does not authenticate.
func (k *Keys) Open(sealed string) (map[string]string, error) { panic("not implemented yet") }

// Erase deletes subject's key; every value sealed for the subject becomes
// unreadable, in this process at once and in others sharing the file within
// CacheTTL. It reports whether a key existed; erasing twice is not an error.
func (k *Keys) Erase(subject string) (bool, error) { panic("not implemented yet") }
