package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/portcullis/portcullis/internal/sqlitefile"
	// also registers the pure-Go "sqlite" database/sql driver
)

// readConns is the size of the read pool: queries, scans and After run
// beside Sync thanks to WAL.
const readConns = 4

// openDB returns two pools on path: reads (query_only) and writes (one
// connection: SQLite runs one write transaction at a time).
func openDB(ctx context.Context, path string) (reads, writes *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("audit index: options: Path is required")
	}
	// Larger pages: fewer b-tree splits per ingested row (set before WAL;
	// a no-op on an existing file).
	if err := sqlitefile.Prepare(ctx, path, "PRAGMA page_size = 16384"); err != nil {
		return nil, nil, fmt.Errorf("audit index: %w", err)
	}
	pragmas := []string{
		// The index can be rebuilt from the files: a power loss may cost
		// the last transactions, which the next Sync reads again.
		"synchronous(NORMAL)",
		"cache_size(-16384)", // 16 MiB per connection
		"temp_store(MEMORY)",
	}
	dsn := func(more ...string) string {
		return sqlitefile.DSN(path, append(slices.Clone(pragmas), more...)...)
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
