package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlStore is the one Store implementation, over database/sql; d carries what
// differs between SQLite and PostgreSQL.
type sqlStore struct {
	db    *sql.DB
	d     dialect
	stmts stmtCache
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.d.name, err)
	}
	return nil
}

func (s *sqlStore) Close() error {
	s.stmts.close()
	return s.db.Close()
}

func (s *sqlStore) Driver() string { return s.d.name }

func (s *sqlStore) exec(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	res, err := s.on(ctx, q, query).ExecContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *sqlStore) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return s.on(ctx, q, query).QueryContext(ctx, s.d.rebind(query), args...)
}

func (s *sqlStore) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return s.on(ctx, q, query).QueryRowContext(ctx, s.d.rebind(query), args...)
}

// on returns what runs query on q: its prepared statement when the dialect
// caches them and one is ready, else q itself.
func (s *sqlStore) on(ctx context.Context, q querier, query string) querier {
	if !s.d.prepare {
		return q
	}
	st := s.stmts.get(s.db, s.d.rebind(query))
	if st == nil {
		return q
	}
	if tx, ok := q.(*sql.Tx); ok {
		// database/sql prepares it once per connection and keeps it.
		return preparedQuerier{tx.StmtContext(ctx, st)}
	}
	return preparedQuerier{st}
}

// inTx runs fn in a transaction, committed when fn returns nil. On SQLite the
// transaction holds the write lock from its start (see openSQLite).
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", classify(err))
	}
	return nil
}

// wrap gives err the context what and maps the database's constraint errors
// to the package's sentinels: unique violation → ErrConflict, missing row or
// missing referenced row → ErrNotFound.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", what, classify(err))
}

func classify(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return ErrConflict
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errMissingReference
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return ErrConflict
		case "23503": // foreign_key_violation
			return errMissingReference
		}
	}
	return err
}

var errMissingReference = fmt.Errorf("the user or session it belongs to does not exist: %w", ErrNotFound)

// notFound reports that what (an id, never a secret) does not exist.
func notFound(what string) error { return fmt.Errorf("store: %s: %w", what, ErrNotFound) }

var _ Store = (*sqlStore)(nil)
