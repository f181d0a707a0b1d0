package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/portcullis/portcullis/internal/sqlitefile"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// Drivers accepted in Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config selects and tunes the database.
type Config struct {
	// Driver is "sqlite" (the embedded default, also chosen when empty) or
	// "postgres" (for several secretsd nodes sharing one database).
	Driver string
	// Path is the SQLite database file. It is created with mode 0600 (and its
	// directory 0700) when absent. Required for sqlite.
	Path string
	// DSN is the PostgreSQL connection string, URL or key=value form.
	// Required for postgres.
	DSN string
	// Schema is the PostgreSQL schema that holds secretsd's tables. It is
	// created when absent and put first on every connection's search_path.
	// Empty: the server's default search_path (normally "public").
	Schema string
	// MaxOpenConns caps the connection pool. Default: 8 for sqlite, of
	// which one is the writer's (with 1: a reader and the writer), 16 for
	// postgres.
	MaxOpenConns int
}

// Open connects to the database described by cfg, applies any pending
// migrations, and returns the Store. It refuses a database whose schema is
// newer than this binary knows (ErrSchemaTooNew).
func Open(ctx context.Context, cfg Config) (Store, error) {
	var (
		reads, writes *sql.DB
		d             dialect
		err           error
	)
	switch cfg.Driver {
	case DriverSQLite, "":
		reads, writes, err = openSQLite(ctx, cfg)
		d = sqliteDialect
	case DriverPostgres:
		reads, err = openPostgres(cfg)
		writes = reads
		d = postgresDialect
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want %q or %q)", cfg.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	s := newSQLStore(reads, writes, d)
	if err := writes.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", d.name, err)
	}
	if err := migrate(ctx, writes, d, cfg.Schema); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite returns two pools on the database file: reads, of
// cfg.MaxOpenConns-1 connections that refuse to write, and writes, of one
// connection. SQLite runs one write transaction at a time, so one connection
// is all writes can use; having it to themselves means the writer whose turn
// it is (see writeSlot) never waits for a connection held by readers, and in
// WAL mode the readers go on beside it.
func openSQLite(ctx context.Context, cfg Config) (reads, writes *sql.DB, err error) {
	if cfg.Path == "" {
		return nil, nil, errors.New("store: sqlite needs a database file path")
	}
	if err := sqlitefile.Prepare(ctx, cfg.Path); err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	pragmas := []string{
		"synchronous(NORMAL)", // durable across application crashes in WAL mode
		"foreign_keys(1)",
	}
	dsn := func(more ...string) string {
		return sqlitefile.DSN(cfg.Path, append(slices.Clone(pragmas), more...)...)
	}
	// The writer leaves most of the checkpointing to the checkpointer (see
	// there).
	writes, err = sql.Open("sqlite", dsn(fmt.Sprintf("wal_autocheckpoint(%d)", sqliteWriterCheckpoint)))
	if err != nil {
		return nil, nil, fmt.Errorf("store: opening %s: %w", cfg.Path, err)
	}
	writes.SetMaxOpenConns(1)
	writes.SetMaxIdleConns(1)
	// A write through the read pool would bypass the write slot and wait
	// in the busy handler again: query_only makes it fail instead.
	reads, err = sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		writes.Close()
		return nil, nil, fmt.Errorf("store: opening %s: %w", cfg.Path, err)
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	n = max(n-1, 1) // one is the writer's
	reads.SetMaxOpenConns(n)
	reads.SetMaxIdleConns(n)
	return reads, writes, nil
}

func openPostgres(cfg Config) (*sql.DB, error) {
	if cfg.DSN == "" {
		return nil, errors.New("store: postgres needs a DSN")
	}
	pc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, errors.New("store: the postgres DSN does not parse")
	}
	if cfg.Schema != "" {
		pc.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	db := stdlib.OpenDB(*pc)
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 16
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(min(n, 4))
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}
