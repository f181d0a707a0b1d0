package kek

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreateLocalKeyFile reads the master key from path, creating it on
// first start: 32 random bytes, base64 text, mode 0600, in a directory created
// 0700. It refuses a key file that group or others may read: a leaked master
// key opens every secret in the store.
//
// Two processes starting together agree on one key: the new file is written
// aside and linked into place, which fails if the other got there first.
func LoadOrCreateLocalKeyFile(path string) (*Local, error) {
	l, err := loadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return l, err
	}
	if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	return loadKeyFile(path)
}

func loadKeyFile(path string) (*Local, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("kek: reading master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("kek: reading master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("kek: master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("kek: master key file %s has mode %04o, readable by group or others; "+
			"fix with: chmod 600 %s (and consider the key exposed)", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024)) // the file is 45 bytes; more is not a key
	if err != nil {
		return nil, fmt.Errorf("kek: reading master key file %s: %w", path, err)
	}
	l, err := ParseLocalKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("kek: master key file %s: %w", path, err)
	}
	return l, nil
}

func createKeyFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("kek: creating the directory of the master key file: %w", err)
	}
	key := make([]byte, LocalKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("kek: generating a master key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".master-key-*") // mode 0600
	if err != nil {
		return fmt.Errorf("kek: creating master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kek: writing master key file: %w", err)
	}
	// link, unlike rename, never replaces an existing key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("kek: creating master key file %s: %w", path, err)
	}
	// Make the new name durable too, so a crash cannot lose the key that
	// sealed what the store holds.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
