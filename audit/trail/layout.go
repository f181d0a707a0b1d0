package trail

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/portcullis/portcullis/audit/event"
)

// namePattern is what a writer or a class directory may be called. It cannot
// name "." or "..", and it is the same rule audit/index reads the root with.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// reservedNames are directories of the root that are not writers: the legal
// holds of audit/retention live in <root>/holds/.
var reservedNames = map[string]bool{"holds": true}

// lockFile in <root>/<writer>/ is held (flock) by the Trail that writes there.
const lockFile = ".lock"

func checkWriter(name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("audit trail: writer %q: want 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit", name)
	}
	if reservedNames[name] {
		return fmt.Errorf("audit trail: writer %q: the name is reserved for the trail root's %s directory", name, name)
	}
	return nil
}

// ChainDir is <root>/<writer>/<class>.
func ChainDir(root, writer string, class event.Retention) string {
	return filepath.Join(root, writer, string(class))
}

// Chains lists every chain under root, sorted by writer then class. Entries
// that are not writer/class directories (holds/, key and lock files) are
// skipped.
func Chains(root string) ([]ChainRef, error) {
	writers, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("audit trail: listing %s: %w", root, err)
	}
	var out []ChainRef
	for _, w := range writers {
		if !w.IsDir() || checkWriter(w.Name()) != nil {
			continue
		}
		classes, err := os.ReadDir(filepath.Join(root, w.Name()))
		if err != nil {
			return nil, fmt.Errorf("audit trail: listing writer %s: %w", w.Name(), err)
		}
		for _, c := range classes {
			if !c.IsDir() || !namePattern.MatchString(c.Name()) {
				continue
			}
			class := event.Retention(c.Name())
			out = append(out, ChainRef{Writer: w.Name(), Class: class, Dir: ChainDir(root, w.Name(), class)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Writer != out[j].Writer {
			return out[i].Writer < out[j].Writer
		}
		return out[i].Class < out[j].Class
	})
	return out, nil
}

// PublicKey reads writer's checkpoint public key from under root.
func PublicKey(root, writer string) (ed25519.PublicKey, error) {
	if err := checkWriter(writer); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, writer, PublicKeyFile))
	if err != nil {
		return nil, fmt.Errorf("audit trail: writer %s: reading %s: %w", writer, PublicKeyFile, err)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit trail: writer %s: %s is not a base64 Ed25519 public key", writer, PublicKeyFile)
	}
	return ed25519.PublicKey(key), nil
}

// writePublicKey puts pub in <dir>/checkpoint.pub unless it is there already,
// replacing the file atomically (temporary file, fsync, rename) so a reader
// never sees half a key.
func writePublicKey(dir string, pub ed25519.PublicKey) error {
	want := []byte(base64.StdEncoding.EncodeToString(pub) + "\n")
	path := filepath.Join(dir, PublicKeyFile)
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, want) {
		return nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit trail: reading %s: %w", path, err)
	}
	tmp, err := writeTemp(dir, PublicKeyFile, want, 0o644)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("audit trail: writing %s: %w", path, err)
	}
	return syncDir(dir)
}

// writeTemp writes data, fsynced, to a new temporary file in dir named after
// name, and returns its path.
func writeTemp(dir, name string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("audit trail: creating %s: %w", name, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
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
		os.Remove(tmp)
		return "", fmt.Errorf("audit trail: writing %s: %w", name, err)
	}
	return tmp, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit trail: syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit trail: syncing %s: %w", dir, err)
	}
	return nil
}
