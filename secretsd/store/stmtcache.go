package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query text. On SQLite parsing
// and planning a statement costs about as much as running it; PostgreSQL
// needs no cache here because pgx keeps its own per connection.
//
// A statement missing from the cache is prepared in the background: the
// caller may hold the pool's last free connection inside a transaction, and
// preparing on the pool would then wait for it.
//
// close cancels and waits for those background preparations. database/sql's
// Close does not wait for a connection in use: one still preparing after the
// store's Close keeps (or even opens) a SQLite connection, which writes the
// -wal and -shm files beside the database, e.g. into a test's temporary
// directory while it is being removed.
type stmtCache struct {
	mu        sync.Mutex
	stmts     map[string]*sql.Stmt // nil value: being prepared
	closed    bool
	preparing sync.WaitGroup
	ctx       context.Context // of the background preparations, cancelled by close
	cancel    context.CancelFunc
}

func (c *stmtCache) get(db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.stmts[query]
	if ok || c.closed {
		return st
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
	c.stmts[query] = nil
	c.preparing.Go(func() { c.prepare(db, query) })
	return nil
}

func (c *stmtCache) prepare(db *sql.DB, query string) {
	st, err := db.PrepareContext(c.ctx, query)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		delete(c.stmts, query) // try again next time; the direct call reports errors
	case c.closed:
		st.Close()
	default:
		c.stmts[query] = st
	}
}

// close closes the cached statements once no preparation is running; call
// it before closing the pool.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true // no preparation starts after this
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.preparing.Wait() // prepare needs c.mu to finish
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// preparedQuerier runs a prepared statement through the querier interface;
// the query text is already in the statement.
type preparedQuerier struct{ st *sql.Stmt }

func (p preparedQuerier) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return p.st.ExecContext(ctx, args...)
}

func (p preparedQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return p.st.QueryContext(ctx, args...)
}

func (p preparedQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return p.st.QueryRowContext(ctx, args...)
}
