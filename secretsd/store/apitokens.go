package store

import (
	"context"
	"fmt"
	"time"
)

const apiTokenCols = `id, user_id, name, hash, prefix, scopes_json, created_at, expires_at, last_used_at, revoked_at`

func scanAPIToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &t.Prefix, scanList(&t.Scopes),
		scanTime(&t.CreatedAt), scanTime(&t.ExpiresAt), scanTime(&t.LastUsedAt), scanTime(&t.RevokedAt))
	return t, err
}

func (s *sqlStore) CreateAPIToken(ctx context.Context, t APIToken) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO api_tokens (`+apiTokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hash, t.Prefix, list(t.Scopes), s.d.time(t.CreatedAt),
		s.d.optTime(t.ExpiresAt), s.d.optTime(t.LastUsedAt), s.d.optTime(t.RevokedAt))
	return wrap(err, fmt.Sprintf("creating API token %s of user %s", t.ID, t.UserID))
}

func (s *sqlStore) ListAPITokens(ctx context.Context, userID string) ([]APIToken, error) {
	what := "listing API tokens"
	q := `SELECT ` + apiTokenCols + ` FROM api_tokens`
	var args []any
	if userID != "" {
		what += " of user " + userID
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.query(ctx, s.db, q+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, wrap(err, what)
	}
	return collect(rows, scanAPIToken, what)
}

func (s *sqlStore) GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	t, err := scanAPIToken(s.queryRow(ctx, s.db, `SELECT `+apiTokenCols+` FROM api_tokens WHERE hash = ?`, hash))
	return t, wrap(err, "API token")
}

func (s *sqlStore) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	n, err := s.exec(ctx, s.w, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, s.d.time(at), id)
	if err != nil {
		return wrap(err, "touching API token "+id)
	}
	if n == 0 {
		return notFound("API token " + id)
	}
	return nil
}

// RevokeAPIToken is idempotent: a revoked token keeps its first revocation time.
func (s *sqlStore) RevokeAPIToken(ctx context.Context, userID, id string, at time.Time) error {
	q := `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`
	args := []any{s.d.time(at), id}
	if userID != "" {
		q += ` AND user_id = ?`
		args = append(args, userID)
	}
	n, err := s.exec(ctx, s.w, q, args...)
	if err != nil {
		return wrap(err, "revoking API token "+id)
	}
	if n == 0 {
		return notFound("API token " + id)
	}
	return nil
}
