package store

import (
	"context"
	"database/sql"
	"time"
)

func (s *sqlStore) ReplaceBackupCodes(ctx context.Context, userID string, hashes [][]byte, at time.Time) error {
	what := "replacing backup codes of user " + userID
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM backup_codes WHERE user_id = ?`, userID); err != nil {
			return wrap(err, what)
		}
		for _, h := range hashes {
			if _, err := s.exec(ctx, tx, `INSERT INTO backup_codes (user_id, hash, created_at) VALUES (?, ?, ?)`,
				userID, h, s.d.time(at)); err != nil {
				return wrap(err, what)
			}
		}
		return nil
	})
}

// UseBackupCode is one conditional UPDATE: of concurrent callers presenting
// the same code, one changes the row.
func (s *sqlStore) UseBackupCode(ctx context.Context, userID string, hash []byte, at time.Time) (bool, error) {
	n, err := s.exec(ctx, s.w, `UPDATE backup_codes SET used_at = ? WHERE user_id = ? AND hash = ? AND used_at IS NULL`,
		s.d.time(at), userID, hash)
	if err != nil {
		return false, wrap(err, "using a backup code of user "+userID)
	}
	return n == 1, nil
}

func (s *sqlStore) CountBackupCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, wrap(err, "counting backup codes of user "+userID)
}

func (s *sqlStore) DeleteBackupCodes(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, s.w, `DELETE FROM backup_codes WHERE user_id = ?`, userID)
	return wrap(err, "deleting backup codes of user "+userID)
}
