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
//
// Reads run on db, writes on w: statements that write through exec(ctx, s.w,
// ...), transactions (which all write) through inTx. On PostgreSQL w is db;
// on SQLite w is the one writer connection and db refuses writes (see
// openSQLite).
type sqlStore struct {
	db     *sql.DB
	w      *sql.DB
	d      dialect
	stmts  stmtCache     // of db
	wstmts stmtCache     // of w, when it is not db
	writes *writeSlot    // nil unless the dialect has oneWriter
	ckpt   *checkpointer // nil unless the dialect has oneWriter
}

func newSQLStore(reads, writes *sql.DB, d dialect) *sqlStore {
	s := &sqlStore{db: reads, w: writes, d: d, writes: newWriteSlot(d)}
	if d.oneWriter {
		s.ckpt = startCheckpointer(reads)
	}
	return s
}

// beginWrite waits for this store's turn to write (see writeSlot).
func (s *sqlStore) beginWrite(ctx context.Context) error { return s.writes.acquire(ctx) }

// endWrite ends the turn that beginWrite gave.
func (s *sqlStore) endWrite() {
	s.writes.release()
	s.ckpt.wrote()
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *sqlStore) Ping(ctx context.Context) error {
	for _, db := range s.pools() {
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s: %w", s.d.name, err)
		}
	}
	return nil
}

// Close stops the background work first (checkpoints, preparing
// statements): it uses the pools, and must not go on after Close returns.
func (s *sqlStore) Close() error {
	s.ckpt.stop()
	s.stmts.close()
	s.wstmts.close()
	var errs []error
	for _, db := range s.pools() {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}

func (s *sqlStore) pools() []*sql.DB {
	if s.w == s.db {
		return []*sql.DB{s.db}
	}
	return []*sql.DB{s.db, s.w}
}

func (s *sqlStore) Driver() string { return s.d.name }

// exec runs a statement that writes, on s.w or in a transaction. Outside a
// transaction it takes the write slot for the statement; inTx holds it
// already.
func (s *sqlStore) exec(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	if _, inTx := q.(*sql.Tx); !inTx {
		if err := s.beginWrite(ctx); err != nil {
			return 0, err
		}
		defer s.endWrite()
	}
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
	query = s.d.rebind(query)
	switch q := q.(type) {
	case *sql.Tx: // on w, as every transaction
		if st := s.wstmts.get(s.w, query); st != nil {
			// database/sql prepares it once per connection and keeps it.
			return preparedQuerier{q.StmtContext(ctx, st)}
		}
	case *sql.DB:
		c := &s.stmts
		if q == s.w {
			c = &s.wstmts
		}
		if st := c.get(q, query); st != nil {
			return preparedQuerier{st}
		}
	}
	return q
}

// inTx runs fn in a transaction, committed when fn returns nil. On SQLite the
// transaction holds the write lock from its start (see openSQLite), and the
// write slot before that.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.beginWrite(ctx); err != nil {
		return err
	}
	defer s.endWrite()
	tx, err := s.w.BeginTx(ctx, nil)
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
