package shred

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/internal/sqlitefile"
)

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
	ctx, cancel := context.WithTimeout(context.Background(), sqlitefile.BusyTimeout)
	defer cancel()
	if err := sqlitefile.Prepare(ctx, path); err != nil {
		return nil, fmt.Errorf("audit shred: %w", err)
	}
	db, err := sql.Open("sqlite", sqlitefile.DSN(path,
		// Deleted key bytes are overwritten with zeros, in the file and
		// in the WAL frames the delete writes.
		"secure_delete(ON)",
		"synchronous(FULL)",
	))
	if err != nil {
		return nil, fmt.Errorf("audit shred: opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit shred: creating the key table in %s: %w", path, err)
	}
	return db, nil
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
