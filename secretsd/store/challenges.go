package store

import (
	"context"
	"time"
)

const challengeCols = `id, user_id, purpose, data, expires_at`

func (s *sqlStore) PutChallenge(ctx context.Context, c Challenge) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO challenges (`+challengeCols+`) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.UserID, c.Purpose, c.Data, s.d.time(c.ExpiresAt))
	return wrap(err, "storing a "+c.Purpose+" challenge")
}

func (s *sqlStore) GetChallenge(ctx context.Context, id []byte, purpose string, now time.Time) (Challenge, error) {
	var c Challenge
	err := s.queryRow(ctx, s.db, `SELECT `+challengeCols+` FROM challenges WHERE id = ? AND purpose = ? AND expires_at > ?`,
		id, purpose, s.d.time(now)).Scan(&c.ID, &c.UserID, &c.Purpose, &c.Data, scanTime(&c.ExpiresAt))
	return c, wrap(err, purpose+" challenge")
}

// DeleteChallenge is one DELETE: of concurrent callers, one removes the row.
func (s *sqlStore) DeleteChallenge(ctx context.Context, id []byte) (bool, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM challenges WHERE id = ?`, id)
	if err != nil {
		return false, wrap(err, "deleting a challenge")
	}
	return n == 1, nil
}

func (s *sqlStore) PruneChallenges(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM challenges WHERE expires_at <= ?`, s.d.time(now))
	return int(n), wrap(err, "pruning challenges")
}
