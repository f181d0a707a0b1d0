// Package storetest gives tests a real, fresh, private store: a SQLite file in
// the test's temporary directory, or a PostgreSQL schema of its own on the
// test server, removed when the test ends.
//
// PostgreSQL comes from $PG_DSN, else postgres://postgres@127.0.0.1:5432/test
// (scripts/postgres.sh provides one for make test). A test that asks for
// PostgreSQL fails, never skips, when none answers.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/portcullis/portcullis/secretsd/store"
)

// DefaultPostgresDSN is used when $PG_DSN is unset.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// maxConns keeps each test's pool small: many tests and packages run in
// parallel against one server with a limited number of connections.
const maxConns = 4

// PostgresDSN is $PG_DSN, or DefaultPostgresDSN.
func PostgresDSN() string {
	if dsn := os.Getenv("PG_DSN"); dsn != "" {
		return dsn
	}
	return DefaultPostgresDSN
}

// Each runs fn as two subtests, "sqlite" and "postgres", each with a fresh
// store.
func Each(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	EachConfig(t, func(t *testing.T, cfg store.Config) {
		fn(t, open(t, cfg))
	})
}

// EachConfig runs fn as two subtests, "sqlite" and "postgres", each with the
// Config of a fresh, empty database that fn may open (several times, too).
func EachConfig(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Helper()
	t.Run(store.DriverSQLite, func(t *testing.T) { fn(t, SQLiteConfig(t)) })
	t.Run(store.DriverPostgres, func(t *testing.T) { fn(t, PostgresConfig(t)) })
}

// SQLite returns a store on a fresh SQLite file in t.TempDir(), closed when
// the test ends.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	return open(t, SQLiteConfig(t))
}

// Postgres returns a store on a fresh PostgreSQL schema, closed and dropped
// when the test ends. It fails the test when PostgreSQL is not reachable.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	return open(t, PostgresConfig(t))
}

// SQLiteConfig returns the Config of a SQLite file in t.TempDir() that does
// not exist yet.
func SQLiteConfig(t testing.TB) store.Config {
	t.Helper()
	return store.Config{Driver: store.DriverSQLite, Path: filepath.Join(t.TempDir(), "secretsd.db"), MaxOpenConns: maxConns}
}

// PostgresConfig returns the Config of a PostgreSQL schema with a unique name
// that does not exist yet (store.Open creates it); the schema is dropped when
// the test ends. It fails the test when PostgreSQL is not reachable.
func PostgresConfig(t testing.TB) store.Config {
	t.Helper()
	db := admin(t)
	schema := "storetest_" + randomHex(t, 8)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("storetest: dropping schema %s: %v", schema, err)
		}
	})
	return store.Config{Driver: store.DriverPostgres, DSN: PostgresDSN(), Schema: schema, MaxOpenConns: maxConns}
}

// PostgresDB returns a database/sql handle (driver "pgx") on the test server,
// shared by the whole test binary, for tests that must reach under the store
// (e.g. to fake a newer schema version). It fails the test when PostgreSQL is
// not reachable. Do not close it.
func PostgresDB(t testing.TB) *sql.DB {
	t.Helper()
	return admin(t)
}

func open(t testing.TB, cfg store.Config) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: opening %s store: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var (
	adminOnce sync.Once
	adminDB   *sql.DB
	adminErr  error
)

// admin is one small pool per test binary, used to probe the server and to
// drop test schemas.
func admin(t testing.TB) *sql.DB {
	t.Helper()
	adminOnce.Do(func() {
		dsn := PostgresDSN()
		db, err := sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(2)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err = db.PingContext(ctx)
			cancel()
		}
		if err != nil {
			if db != nil {
				db.Close()
			}
			adminErr = fmt.Errorf("PostgreSQL not reachable at %s: %v; make test needs one "+
				"(set PG_DSN, or run a server on 127.0.0.1:5432 with trust auth and a database \"test\"; scripts/postgres.sh starts one)",
				redact(dsn), err)
			return
		}
		adminDB = db
	})
	if adminErr != nil {
		t.Fatal("storetest: " + adminErr.Error())
	}
	return adminDB
}

// redact hides a password in a URL-form DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "$PG_DSN"
	}
	return u.Redacted()
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return hex.EncodeToString(b)
}
