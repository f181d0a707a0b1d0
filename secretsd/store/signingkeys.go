package store

import (
	"context"
	"time"
)

const signingKeyCols = `id, algorithm, private_key, public_key, created_at, retired_at, publish_until`

func scanSigningKey(row interface{ Scan(...any) error }) (SigningKey, error) {
	var k SigningKey
	err := row.Scan(&k.ID, &k.Algorithm, &k.Private, &k.Public, scanTime(&k.CreatedAt), scanTime(&k.RetiredAt), scanTime(&k.PublishUntil))
	return k, err
}

func (s *sqlStore) CreateSigningKey(ctx context.Context, k SigningKey) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO signing_keys (`+signingKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.Private, k.Public, s.d.time(k.CreatedAt), s.d.optTime(k.RetiredAt), s.d.optTime(k.PublishUntil))
	return wrap(err, "creating signing key "+k.ID)
}

func (s *sqlStore) ListSigningKeys(ctx context.Context) ([]SigningKey, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+signingKeyCols+` FROM signing_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, wrap(err, "listing signing keys")
	}
	return collect(rows, scanSigningKey, "listing signing keys")
}

func (s *sqlStore) RetireSigningKey(ctx context.Context, id string, at, publishUntil time.Time) error {
	n, err := s.exec(ctx, s.w, `UPDATE signing_keys SET retired_at = ?, publish_until = ? WHERE id = ?`,
		s.d.time(at), s.d.time(publishUntil), id)
	if err != nil {
		return wrap(err, "retiring signing key "+id)
	}
	if n == 0 {
		return notFound("signing key " + id)
	}
	return nil
}

func (s *sqlStore) DeleteSigningKeysRetiredBefore(ctx context.Context, t time.Time) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND publish_until < ?`, s.d.time(t))
	return int(n), wrap(err, "deleting retired signing keys")
}
