package store

import "context"

// InitSetting inserts unless present, then reads back what is stored. On
// PostgreSQL a concurrent insert of the same name waits for the first to
// commit and then does nothing; SQLite has one writer at a time. Either way
// every caller reads the one value that won.
func (s *sqlStore) InitSetting(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := s.exec(ctx, s.w, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, value); err != nil {
		return nil, wrap(err, "initialising setting "+name)
	}
	return s.Setting(ctx, name)
}

func (s *sqlStore) Setting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.queryRow(ctx, s.db, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, wrap(err, "setting "+name)
}
