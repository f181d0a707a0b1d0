package trail

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

const pemType = "PRIVATE KEY" // PKCS#8, RFC 5958 / RFC 7468 section 10

// LoadOrCreateSigner reads the Ed25519 private key at path (PKCS#8 PEM),
// creating it 0600 (directory 0700) when absent; concurrent callers get the
// same key.
//
// A new key is written whole under a temporary name and hard-linked to path:
// the link fails if another process got there first, and then that process's
// key is read instead, so processes starting together agree on one key and
// nobody ever reads a half-written file.
func LoadOrCreateSigner(path string) (ed25519.PrivateKey, error) {
	if path == "" {
		return nil, errors.New("audit trail: signing key: no path given")
	}
	key, err := readSigner(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit trail: signing key: creating %s: %w", dir, err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit trail: signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("audit trail: signing key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})
	clear(der)
	tmp, err := writeTemp(dir, filepath.Base(path), data, 0o600)
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return readSigner(path) // lost the race: use the winner's key
		}
		return nil, fmt.Errorf("audit trail: signing key: creating %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return priv, nil
}

// readSigner reads and parses the key file; the error wraps os.ErrNotExist
// when there is none. Errors never quote the file's bytes.
func readSigner(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit trail: reading signing key: %w", err)
	}
	defer clear(data)
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("audit trail: signing key %s: not a PEM %q block", path, pemType)
	}
	defer clear(block.Bytes)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit trail: signing key %s: not a PKCS#8 private key", path)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit trail: signing key %s: a %T, not an Ed25519 key", path, k)
	}
	return priv, nil
}
