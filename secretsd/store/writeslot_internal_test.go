package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Writes go through the write slot and the writer connection only: the
// read pool refuses them, so a write that bypassed the slot would fail in
// the tests rather than wait in SQLite's busy handler in production.
func TestSQLiteReadPoolRefusesWrites(t *testing.T) {
	t.Parallel()
	s, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "secretsd.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ss := s.(*sqlStore)
	if _, err := ss.db.Exec(`INSERT INTO settings (name, value) VALUES ('k', 'v')`); err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
	if _, err := ss.exec(context.Background(), ss.w, `INSERT INTO settings (name, value) VALUES ('k', 'v')`); err != nil {
		t.Fatalf("a write through the writer: %v", err)
	}
}

func TestWriteSlotWaitsInTurnAndGivesUpWithItsContext(t *testing.T) {
	t.Parallel()
	w := newWriteSlot(sqliteDialect)
	if err := w.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error)
	go func() { got <- w.acquire(ctx) }()
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire while taken, context cancelled: %v, want context.Canceled", err)
	}
	second := make(chan error)
	go func() { second <- w.acquire(context.Background()) }()
	w.release()
	if err := <-second; err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	w.release()

	if pg := newWriteSlot(postgresDialect); pg != nil {
		t.Fatal("PostgreSQL got a write slot")
	}
}
