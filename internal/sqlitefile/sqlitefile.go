// Package sqlitefile opens SQLite database files (the pure-Go modernc
// driver) the way every Portcullis store does: private from the first byte,
// in WAL mode, with write transactions that take their lock up front.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a connection waits for another connection's or
// process's lock before failing with SQLITE_BUSY.
const BusyTimeout = 10 * time.Second

// Prepare creates path's directory (0700) and the file itself (0600) when
// absent, so the database is private from its first byte (SQLite gives its
// -wal and -shm files the mode of the database file), and switches the file
// to WAL mode. extra statements (PRAGMAs that must run before WAL, e.g. the
// page size) run first on the same connection.
func Prepare(ctx context.Context, path string, extra ...string) error {
	if path == "" {
		return errors.New("no database file path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	f.Close()
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	return useWAL(ctx, db, path, extra)
}

// useWAL switches the file to WAL, which then persists in the file.
// Switching a fresh file needs an exclusive lock, and SQLite answers
// SQLITE_BUSY at once, without its busy handler, when another connection
// (another process opening the same new file) holds a shared lock it would
// otherwise deadlock with; so the switch is retried until BusyTimeout.
func useWAL(ctx context.Context, db *sql.DB, path string, extra []string) error {
	ctx, cancel := context.WithTimeout(ctx, BusyTimeout)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var err error
		for _, stmt := range extra {
			if _, err = db.ExecContext(ctx, stmt); err != nil {
				break
			}
		}
		var mode string
		if err == nil {
			err = db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		}
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("%s stays in journal mode %q, want wal", path, mode)
		case !IsBusy(err):
			return fmt.Errorf("switching %s to WAL: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("switching %s to WAL: %w", path, err)
		case <-time.After(wait):
		}
	}
}

// DSN is the driver's data source name for path: busy_timeout first, then
// pragmas, each run on every new connection, and BEGIN IMMEDIATE, so a
// transaction that reads then writes takes the write lock up front instead
// of failing with SQLITE_BUSY on the upgrade (which skips the busy handler).
func DSN(path string, pragmas ...string) string {
	q := url.Values{"_pragma": append([]string{fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds())}, pragmas...)}
	q.Set("_txlock", "immediate")
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
}

// IsBusy reports SQLITE_BUSY and its extended codes.
func IsBusy(err error) bool {
	var le *sqlite.Error
	return errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_BUSY
}
