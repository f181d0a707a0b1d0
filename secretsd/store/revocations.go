package store

import (
	"context"
	"database/sql"
	"time"
)

const revocationCols = `seq, kind, value, before_at, until_at, created_at`

func scanRevocation(row interface{ Scan(...any) error }) (Revocation, error) {
	var r Revocation
	err := row.Scan(&r.Seq, &r.Kind, &r.Value, scanTime(&r.Before), scanTime(&r.Until), scanTime(&r.CreatedAt))
	return r, err
}

// AddRevocation appends to the log. Gateways read it with "after the last
// seq I saw", which only works if no entry with a smaller seq becomes visible
// after one with a larger seq. SQLite has one writer at a time, so that
// holds; on PostgreSQL two transactions could take seq 4 and 5 and commit 5
// first, so appends take a table lock that serialises them (readers are not
// blocked).
func (s *sqlStore) AddRevocation(ctx context.Context, r Revocation) (int64, error) {
	var seq int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d == postgresDialect {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE revocations IN EXCLUSIVE MODE`); err != nil {
				return wrap(err, "locking the revocation log")
			}
		}
		err := s.queryRow(ctx, tx, `INSERT INTO revocations (kind, value, before_at, until_at, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING seq`,
			r.Kind, r.Value, s.d.optTime(r.Before), s.d.optTime(r.Until), s.d.time(r.CreatedAt)).Scan(&seq)
		return wrap(err, "adding a revocation")
	})
	return seq, err
}

// RevocationsAfter leaves out entries no longer in force (Until before now);
// an entry with no Until stays in force.
func (s *sqlStore) RevocationsAfter(ctx context.Context, after int64, now time.Time, limit int) ([]Revocation, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, s.db, `SELECT `+revocationCols+` FROM revocations
		WHERE seq > ? AND (until_at IS NULL OR until_at >= ?) ORDER BY seq LIMIT ?`,
		after, s.d.time(now), limit)
	if err != nil {
		return nil, wrap(err, "reading revocations")
	}
	return collect(rows, scanRevocation, "reading revocations")
}

func (s *sqlStore) PruneRevocations(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM revocations WHERE until_at < ?`, s.d.time(now))
	return int(n), wrap(err, "pruning revocations")
}

func (s *sqlStore) LastRevocationSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, s.db, `SELECT COALESCE(MAX(seq), 0) FROM revocations`).Scan(&seq)
	return seq, wrap(err, "reading the end of the revocation log")
}
