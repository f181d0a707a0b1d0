package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const userCols = `id, username, email, password_hash, role, team, groups_json, disabled, created_at, updated_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.PasswordHash, &u.Role, &u.Team,
		scanList(&u.Groups), &u.Disabled, scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt))
	return u, err
}

func (s *sqlStore) CreateUser(ctx context.Context, u User) error {
	_, err := s.exec(ctx, s.w, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.Email, u.PasswordHash, u.Role, u.Team, list(u.Groups), u.Disabled,
		s.d.time(u.CreatedAt), s.d.time(u.UpdatedAt))
	return wrap(err, fmt.Sprintf("creating user %s", u.ID))
}

func (s *sqlStore) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, wrap(err, fmt.Sprintf("user %s", id))
}

func (s *sqlStore) GetUserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, s.db, `SELECT `+userCols+` FROM users WHERE username = ?`, username))
	// The username stays out of the error: it may reach a log from a login
	// attempt for an account that does not exist.
	return u, wrap(err, "user by username")
}

func (s *sqlStore) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.query(ctx, s.db, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, wrap(err, "listing users")
	}
	return collect(rows, scanUser, "listing users")
}

func (s *sqlStore) UpdateUser(ctx context.Context, u User) error {
	n, err := s.exec(ctx, s.w, `UPDATE users SET username = ?, email = ?, password_hash = ?, role = ?, team = ?,
		groups_json = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		u.Username, u.Email, u.PasswordHash, u.Role, u.Team, list(u.Groups), u.Disabled, s.d.time(u.UpdatedAt), u.ID)
	if err != nil {
		return wrap(err, fmt.Sprintf("updating user %s", u.ID))
	}
	if n == 0 {
		return notFound("user " + u.ID)
	}
	return nil
}

func (s *sqlStore) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, s.db, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, wrap(err, "counting users")
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, what)
	}
	return out, nil
}

// isNoRows reports whether err is a missing row, for the callers that turn
// it into a false rather than an error.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
