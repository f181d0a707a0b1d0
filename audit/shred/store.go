package shred

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a statement waits for another process's write.
const busyTimeout = 10 * time.Second

const keySize = 32 // AES-256

const schema = `CREATE TABLE IF NOT EXISTS subject_keys (
	subject    TEXT PRIMARY KEY,
	key        BLOB NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID`

// openDB opens the SQLite key file, private from its first byte.
func openDB(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("audit shred: the key store needs a file path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit shred: creating the directory of %s: %w", path, err)
	}
	// SQLite gives its -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit shred: opening %s: %w", path, err)
	}
	f.Close()
	q := url.Values{"_pragma": {
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		// Deleted key bytes are overwritten with zeros, in the file and
		// in the WAL frames the delete writes.
		"secure_delete(ON)",
		"synchronous(FULL)",
	}}
	// BEGIN IMMEDIATE: the create transaction takes the write lock up front
	// instead of failing with SQLITE_BUSY when it upgrades from a read.
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit shred: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), busyTimeout)
	defer cancel()
	if err := useWAL(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit shred: %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit shred: creating the key table in %s: %w", path, err)
	}
	return db, nil
}

// useWAL switches the file to WAL mode (a property of the file). On a fresh
// file another process opening it at the same moment can make the switch fail
// with SQLITE_BUSY at once, without the busy handler, so it is retried.
func useWAL(ctx context.Context, db *sql.DB) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("stays in journal mode %q, want wal", mode)
		case !isBusy(err):
			return fmt.Errorf("switching to WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("switching to WAL: %w", err)
		case <-time.After(wait):
		}
	}
}

func isBusy(err error) bool {
	var le *sqlite.Error
	return errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_BUSY
}

// loadKey reads subject's key; with create it first makes one when absent.
// Several processes may create the same subject's key at once: INSERT OR
// IGNORE keeps the first, and every one of them then reads that one.
func loadKey(db *sql.DB, subject string, create bool) ([]byte, error) {
	var raw []byte
	err := db.QueryRow(`SELECT key FROM subject_keys WHERE subject = ?`, subject).Scan(&raw)
	switch {
	case err == nil:
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("audit shred: reading a subject key: %w", err)
	case !create:
		return nil, ErrErased
	default:
		if raw, err = createKey(db, subject); err != nil {
			return nil, err
		}
	}
	if len(raw) != keySize {
		return nil, fmt.Errorf("audit shred: a stored subject key has %d bytes, want %d", len(raw), keySize)
	}
	return raw, nil
}

func createKey(db *sql.DB, subject string) ([]byte, error) {
	fresh := make([]byte, keySize)
	rand.Read(fresh) // never fails (crypto/rand, Go 1.24+)
	defer clear(fresh)
	tx, err := db.Begin()
	if err != nil {
		return nil, fmt.Errorf("audit shred: creating a subject key: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT OR IGNORE INTO subject_keys (subject, key, created_at) VALUES (?, ?, ?)`,
		subject, fresh, time.Now().Unix()); err != nil {
		return nil, fmt.Errorf("audit shred: creating a subject key: %w", err)
	}
	var raw []byte
	if err := tx.QueryRow(`SELECT key FROM subject_keys WHERE subject = ?`, subject).Scan(&raw); err != nil {
		return nil, fmt.Errorf("audit shred: reading the new subject key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("audit shred: creating a subject key: %w", err)
	}
	return raw, nil
}

// deleteKey removes subject's key. The WAL is then checkpointed and
// truncated so the key's old page images do not linger in the -wal file;
// that is best effort (a reader in another process can hold it back), the
// next checkpoint finishes it.
func deleteKey(db *sql.DB, subject string) (bool, error) {
	res, err := db.Exec(`DELETE FROM subject_keys WHERE subject = ?`, subject)
	if err != nil {
		return false, fmt.Errorf("audit shred: erasing a subject key: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("audit shred: erasing a subject key: %w", err)
	}
	if n > 0 {
		_, _ = db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return n > 0, nil
}
