package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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
	// MaxOpenConns caps the connection pool. Default: 8 for sqlite, 16 for
	// postgres.
	MaxOpenConns int
}

// sqliteBusyTimeout is how long a SQLite writer waits for another writer
// (another connection of this pool or another process) before failing.
const sqliteBusyTimeout = 10 * time.Second

// Open connects to the database described by cfg, applies any pending
// migrations, and returns the Store. It refuses a database whose schema is
// newer than this binary knows (ErrSchemaTooNew).
func Open(ctx context.Context, cfg Config) (Store, error) {
	var (
		db  *sql.DB
		d   dialect
		err error
	)
	switch cfg.Driver {
	case DriverSQLite, "":
		db, err = openSQLite(cfg)
		d = sqliteDialect
	case DriverPostgres:
		db, err = openPostgres(cfg)
		d = postgresDialect
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want %q or %q)", cfg.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", d.name, err)
	}
	if err := migrate(ctx, db, d, cfg.Schema); err != nil {
		db.Close()
		return nil, err
	}
	return &sqlStore{db: db, d: d}, nil
}

func openSQLite(cfg Config) (*sql.DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("store: sqlite needs a database file path")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, fmt.Errorf("store: creating the directory of %s: %w", cfg.Path, err)
	}
	// Create the file ourselves so that it is private from the first byte;
	// SQLite gives its -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(cfg.Path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", cfg.Path, err)
	}
	f.Close()

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)") // durable across application crashes in WAL mode
	q.Add("_pragma", "foreign_keys(1)")
	// BEGIN IMMEDIATE takes the write lock up front. With the default
	// deferred BEGIN, two transactions that read and then write deadlock and
	// one fails with SQLITE_BUSY at once, without waiting for busy_timeout.
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: cfg.Path, RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", cfg.Path, err)
	}
	n := cfg.MaxOpenConns
	if n <= 0 {
		n = 8
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return db, nil
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
