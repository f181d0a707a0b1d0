package forward

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

type fileCursors struct{ dir string }

// FileCursors keeps each cursor in <dir>/<name>.cursor, written atomically
// (temporary file, fsync, rename).
func FileCursors(dir string) (Cursors, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit forward: cursor directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("audit forward: cursor directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("audit forward: cursor directory %s is not a directory", dir)
	}
	return fileCursors{dir: dir}, nil
}

// Load returns 0 for a destination that has no cursor yet. A cursor file that
// does not hold exactly what Save writes is an error, not a restart from 0:
// that would send the whole trail again.
func (c fileCursors) Load(name string) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	path := filepath.Join(c.dir, name+".cursor")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("audit forward: reading cursor: %w", err)
	}
	n, err := parseCursor(b)
	if err != nil {
		return 0, fmt.Errorf("audit forward: cursor file %s: %w", path, err)
	}
	return n, nil
}

func (c fileCursors) Save(name string, cursor int64) error {
	if err := checkName(name); err != nil {
		return err
	}
	if cursor < 0 {
		return fmt.Errorf("audit forward: cursor %d of %q is negative", cursor, name)
	}
	return writeFileAtomic(c.dir, name+".cursor", strconv.AppendInt(nil, cursor, 10))
}

// parseCursor reads a file's content: a decimal cursor and a newline.
func parseCursor(b []byte) (int64, error) {
	if len(b) < 2 || b[len(b)-1] != '\n' {
		return 0, errors.New("is not a cursor (want digits and a newline)")
	}
	digits := b[:len(b)-1]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, errors.New("is not a cursor (want digits and a newline)")
		}
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return 0, errors.New("holds a cursor out of range")
	}
	return n, nil
}

// writeFileAtomic replaces dir/name with data and a newline: a reader sees
// the old cursor or the new one, and after a crash one of them is there whole.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("audit forward: writing cursor %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("audit forward: writing cursor %s: %w", name, err)
	}
	return nil
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
