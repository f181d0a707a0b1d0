package store

import (
	"context"
	"database/sql"
	"time"
)

const sessionCols = `id, user_id, client_id, auth_time, amr_json, acr, created_at, expires_at, revoked_at, revoke_reason`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var x Session
	err := row.Scan(&x.ID, &x.UserID, &x.ClientID, scanTime(&x.AuthTime), scanList(&x.AMR), &x.ACR,
		scanTime(&x.CreatedAt), scanTime(&x.ExpiresAt), scanTime(&x.RevokedAt), &x.RevokeReason)
	return x, err
}

func (s *sqlStore) CreateSession(ctx context.Context, x Session) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO sessions (`+sessionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.UserID, x.ClientID, s.d.time(x.AuthTime), list(x.AMR), x.ACR,
		s.d.time(x.CreatedAt), s.d.time(x.ExpiresAt), s.d.optTime(x.RevokedAt), x.RevokeReason)
	return wrap(err, "creating session "+x.ID)
}

func (s *sqlStore) GetSession(ctx context.Context, id string) (Session, error) {
	x, err := scanSession(s.queryRow(ctx, s.db, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
	return x, wrap(err, "session "+id)
}

func (s *sqlStore) ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error) {
	what := "listing sessions of user " + userID
	rows, err := s.query(ctx, s.db, `SELECT `+sessionCols+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, userID, s.d.time(now))
	if err != nil {
		return nil, wrap(err, what)
	}
	return collect(rows, scanSession, what)
}

func (s *sqlStore) UpdateSessionAuth(ctx context.Context, id string, authTime time.Time, amr []string, acr string) error {
	n, err := s.exec(ctx, s.w, `UPDATE sessions SET auth_time = ?, amr_json = ?, acr = ? WHERE id = ?`,
		s.d.time(authTime), list(amr), acr, id)
	if err != nil {
		return wrap(err, "updating session "+id)
	}
	if n == 0 {
		return notFound("session " + id)
	}
	return nil
}

func (s *sqlStore) RevokeSession(ctx context.Context, id string, at time.Time, reason string) error {
	what := "revoking session " + id
	return s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := s.exec(ctx, tx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL`,
			s.d.time(at), reason, id)
		if err != nil {
			return wrap(err, what)
		}
		if n == 0 {
			var one int
			if err := s.queryRow(ctx, tx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one); err != nil {
				return wrap(err, "session "+id)
			}
		}
		_, err = s.exec(ctx, tx, `DELETE FROM refresh_tokens WHERE session_id = ?`, id)
		return wrap(err, what)
	})
}

func (s *sqlStore) RevokeUserSessions(ctx context.Context, userID string, at time.Time, reason string) ([]string, error) {
	what := "revoking sessions of user " + userID
	var ids []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ids = nil // a retried fn starts over
		rows, err := s.query(ctx, tx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
			WHERE user_id = ? AND revoked_at IS NULL RETURNING id`, s.d.time(at), reason, userID)
		if err != nil {
			return wrap(err, what)
		}
		ids, err = collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, what)
		if err != nil {
			return err
		}
		// Every refresh token of a revoked session is dead; dropping them all
		// also catches sessions revoked earlier.
		_, err = s.exec(ctx, tx, `DELETE FROM refresh_tokens WHERE user_id = ?
			AND session_id IN (SELECT id FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL)`, userID, userID)
		return wrap(err, what)
	})
	return ids, err
}
