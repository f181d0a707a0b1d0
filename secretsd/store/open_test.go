package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestOpenMigratesIdempotently(t *testing.T) {
	t.Parallel()
	storetest.EachConfig(t, func(t *testing.T, cfg store.Config) {
		t.Parallel()
		ctx := context.Background()
		for i := range 3 {
			s, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatalf("open #%d: %v", i+1, err)
			}
			if err := s.Ping(ctx); err != nil {
				t.Fatalf("ping: %v", err)
			}
			if got := s.Driver(); got != cfg.Driver {
				t.Errorf("Driver() = %q, want %q", got, cfg.Driver)
			}
			if err := s.CreateUser(ctx, newUser(fmt.Sprint("u", i))); err != nil {
				t.Fatalf("create user after open #%d: %v", i+1, err)
			}
			if n, err := s.CountUsers(ctx); err != nil || n != i+1 {
				t.Fatalf("CountUsers = %d, %v; want %d (data kept across opens)", n, err, i+1)
			}
			s.Close()
		}
	})
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	t.Parallel()
	storetest.EachConfig(t, func(t *testing.T, cfg store.Config) {
		t.Parallel()
		const nodes = 4
		errs := make(chan error, nodes)
		for range nodes {
			go func() {
				s, err := store.Open(context.Background(), cfg)
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for range nodes {
			if err := <-errs; err != nil {
				t.Errorf("a node starting at the same time failed: %v", err)
			}
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	storetest.EachConfig(t, func(t *testing.T, cfg store.Config) {
		t.Parallel()
		ctx := context.Background()
		s, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()

		future := store.SchemaVersion() + 1
		var db *sql.DB
		table := "schema_migrations"
		var insert string
		switch cfg.Driver {
		case store.DriverSQLite:
			db, err = sql.Open("sqlite", cfg.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			insert = fmt.Sprintf("INSERT INTO %s (version, name, applied_at) VALUES (%d, 'from_the_future', 0)", table, future)
		default:
			db = storetest.PostgresDB(t)
			insert = fmt.Sprintf("INSERT INTO %q.%s (version, name, applied_at) VALUES (%d, 'from_the_future', now())", cfg.Schema, table, future)
		}
		if _, err := db.ExecContext(ctx, insert); err != nil {
			t.Fatal(err)
		}

		_, err = store.Open(ctx, cfg)
		if !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("open of a newer schema: err = %v, want ErrSchemaTooNew", err)
		}
		t.Logf("error: %v", err)
	})
}

func TestOpenSQLiteFileIsPrivate(t *testing.T) {
	t.Parallel()
	cfg := storetest.SQLiteConfig(t)
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{cfg.Path, cfg.Path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group/other access", p, perm)
		}
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]store.Config{
		"unknown driver":       {Driver: "mysql"},
		"sqlite without path":  {Driver: store.DriverSQLite},
		"postgres without dsn": {Driver: store.DriverPostgres},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := store.Open(context.Background(), cfg); err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
		})
	}
}
