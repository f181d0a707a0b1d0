package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"modernc.org/sqlite" // also registers the pure-Go "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a connection waits for another process's lock
// (e.g. `portcullis audit query` reading while secretsd syncs).
const busyTimeout = 10 * time.Second

// readConns is the size of the read pool: queries, scans and After run
// beside Sync thanks to WAL.
const readConns = 4

// openDB returns two pools on path: reads (query_only) and writes (one
// connection: SQLite runs one write transaction at a time).
func openDB(ctx context.Context, path string) (reads, writes *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("audit index: options: Path is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("audit index: creating the directory of %s: %w", path, err)
	}
	// Create the file ourselves so it is private from the first byte; SQLite
	// gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit index: opening %s: %w", path, err)
	}
	f.Close()
	if err := useWAL(ctx, path); err != nil {
		return nil, nil, err
	}
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		// The index can be rebuilt from the files: a power loss may cost
		// the last transactions, which the next Sync reads again.
		"synchronous(NORMAL)",
		"cache_size(-16384)", // 16 MiB per connection
		"temp_store(MEMORY)",
	}
	dsn := func(more ...string) string {
		q := url.Values{"_pragma": append(slices.Clone(pragmas), more...)}
		// BEGIN IMMEDIATE: take the write lock up front rather than fail
		// with SQLITE_BUSY on the upgrade from read to write.
		q.Set("_txlock", "immediate")
		return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
	}
	writes, err = sql.Open("sqlite", dsn())
	if err != nil {
		return nil, nil, fmt.Errorf("audit index: opening %s: %w", path, err)
	}
	writes.SetMaxOpenConns(1)
	writes.SetMaxIdleConns(1)
	writes.SetConnMaxIdleTime(0)
	reads, err = sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		writes.Close()
		return nil, nil, fmt.Errorf("audit index: opening %s: %w", path, err)
	}
	reads.SetMaxOpenConns(readConns)
	reads.SetMaxIdleConns(readConns)
	return reads, writes, nil
}

// useWAL switches the file to WAL once, retrying while another process holds
// the lock: SQLite skips its busy handler on that upgrade.
func useWAL(ctx context.Context, path string) error {
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())},
	}.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("audit index: opening %s: %w", path, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var mode string
		// Larger pages: fewer b-tree splits per ingested row (a no-op on an
		// existing file).
		_, err := db.ExecContext(ctx, "PRAGMA page_size = 16384")
		if err == nil {
			err = db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		}
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			return fmt.Errorf("audit index: %s stays in journal mode %q, want wal", path, mode)
		case !isBusy(err):
			return fmt.Errorf("audit index: opening %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("audit index: opening %s: %w", path, err)
		case <-time.After(wait):
		}
	}
}

// migrate creates the schema, refusing a file written by another version.
func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("audit index: reading the schema version: %w", err)
	}
	if v != 0 && v != schemaVersion {
		return fmt.Errorf("audit index: the file has schema version %d, this program writes %d: delete it to rebuild", v, schemaVersion)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit index: creating the schema: %w", err)
	}
	defer tx.Rollback()
	for _, stmt := range slices.Concat(schema, secondaryIndexes, []string{fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)}) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("audit index: creating the schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit index: creating the schema: %w", err)
	}
	return nil
}

// isBusy reports SQLITE_BUSY and its extended codes.
func isBusy(err error) bool {
	var le *sqlite.Error
	return errors.As(err, &le) && le.Code()&0xff == sqlite3.SQLITE_BUSY
}
