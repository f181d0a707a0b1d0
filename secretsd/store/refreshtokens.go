package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const refreshCols = `hash, session_id, user_id, issued_at, expires_at, used_at`

func scanRefresh(row interface{ Scan(...any) error }) (RefreshToken, error) {
	var t RefreshToken
	err := row.Scan(&t.Hash, &t.SessionID, &t.UserID, scanTime(&t.IssuedAt), scanTime(&t.ExpiresAt), scanTime(&t.UsedAt))
	return t, err
}

func (s *sqlStore) CreateRefreshToken(ctx context.Context, t RefreshToken) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO refresh_tokens (`+refreshCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Hash, t.SessionID, t.UserID, s.d.time(t.IssuedAt), s.d.time(t.ExpiresAt), s.d.optTime(t.UsedAt))
	return wrap(err, "creating a refresh token of session "+t.SessionID)
}

// RotateRefreshToken marks the old token used with one conditional UPDATE,
// so that of concurrent rotations exactly one wins and every other sees
// ErrReused. next inherits the old token's session and user when it names
// none, and the session's expiry follows the newest token.
func (s *sqlStore) RotateRefreshToken(ctx context.Context, oldHash []byte, next RefreshToken, at time.Time) (RefreshToken, error) {
	var old RefreshToken
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		old, err = scanRefresh(s.queryRow(ctx, tx, `UPDATE refresh_tokens SET used_at = ?
			WHERE hash = ? AND used_at IS NULL AND expires_at > ?
			AND EXISTS (SELECT 1 FROM sessions WHERE sessions.id = refresh_tokens.session_id AND sessions.revoked_at IS NULL)
			RETURNING `+refreshCols, s.d.time(at), oldHash, s.d.time(at)))
		if isNoRows(err) {
			return s.whyNotRotated(ctx, tx, oldHash, at, &old)
		}
		if err != nil {
			return wrap(err, "rotating a refresh token")
		}
		if next.SessionID == "" {
			next.SessionID = old.SessionID
		}
		if next.UserID == "" {
			next.UserID = old.UserID
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO refresh_tokens (`+refreshCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			next.Hash, next.SessionID, next.UserID, s.d.time(next.IssuedAt), s.d.time(next.ExpiresAt), nil); err != nil {
			return wrap(err, "storing the rotated refresh token of session "+next.SessionID)
		}
		_, err = s.exec(ctx, tx, `UPDATE sessions SET expires_at = ? WHERE id = ? AND expires_at < ?`,
			s.d.time(next.ExpiresAt), next.SessionID, s.d.time(next.ExpiresAt))
		return wrap(err, "extending session "+next.SessionID)
	})
	return old, err
}

// whyNotRotated tells ErrReused (with the token, in *old) from ErrNotFound
// after the conditional UPDATE changed nothing.
func (s *sqlStore) whyNotRotated(ctx context.Context, tx *sql.Tx, hash []byte, at time.Time, old *RefreshToken) error {
	var revoked time.Time
	t, err := scanRefreshAndRevoked(s.queryRow(ctx, tx, `SELECT r.hash, r.session_id, r.user_id, r.issued_at, r.expires_at, r.used_at, s.revoked_at
		FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.hash = ?`, hash), &revoked)
	switch {
	case isNoRows(err):
		return notFound("refresh token")
	case err != nil:
		return wrap(err, "rotating a refresh token")
	case !revoked.IsZero():
		return notFound("refresh token of revoked session " + t.SessionID)
	case !t.ExpiresAt.After(at):
		return notFound("expired refresh token of session " + t.SessionID)
	case !t.UsedAt.IsZero():
		*old = t
		return fmt.Errorf("store: refresh token of session %s: %w", t.SessionID, ErrReused)
	}
	return fmt.Errorf("store: refresh token of session %s changed during rotation", t.SessionID)
}

func scanRefreshAndRevoked(row *sql.Row, revoked *time.Time) (RefreshToken, error) {
	var t RefreshToken
	err := row.Scan(&t.Hash, &t.SessionID, &t.UserID, scanTime(&t.IssuedAt), scanTime(&t.ExpiresAt), scanTime(&t.UsedAt), scanTime(revoked))
	return t, err
}
