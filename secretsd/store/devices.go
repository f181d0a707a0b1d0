package store

import (
	"context"
	"fmt"
	"time"
)

const deviceCols = `id, user_id, kind, name, secret, credential_id, confirmed, last_step, sign_count, created_at, last_used_at`

func scanDevice(row interface{ Scan(...any) error }) (Device, error) {
	var (
		d     Device
		count int64
	)
	err := row.Scan(&d.ID, &d.UserID, &d.Kind, &d.Name, &d.Secret, &d.CredentialID, &d.Confirmed,
		&d.LastStep, &count, scanTime(&d.CreatedAt), scanTime(&d.LastUsedAt))
	d.SignCount = uint32(count)
	return d, err
}

func (s *sqlStore) CreateDevice(ctx context.Context, d Device) error {
	var confirmedAt any
	if d.Confirmed {
		confirmedAt = s.d.time(d.CreatedAt)
	}
	_, err := s.exec(ctx, s.w, `INSERT INTO mfa_devices (`+deviceCols+`, confirmed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.UserID, d.Kind, d.Name, optBytes(d.Secret), optBytes(d.CredentialID), d.Confirmed,
		d.LastStep, int64(d.SignCount), s.d.time(d.CreatedAt), s.d.optTime(d.LastUsedAt), confirmedAt)
	return wrap(err, fmt.Sprintf("creating device %s of user %s", d.ID, d.UserID))
}

func (s *sqlStore) ListDevices(ctx context.Context, userID string) ([]Device, error) {
	what := "listing devices of user " + userID
	rows, err := s.query(ctx, s.db, `SELECT `+deviceCols+` FROM mfa_devices WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, wrap(err, what)
	}
	return collect(rows, scanDevice, what)
}

func (s *sqlStore) GetDevice(ctx context.Context, userID, id string) (Device, error) {
	d, err := scanDevice(s.queryRow(ctx, s.db, `SELECT `+deviceCols+` FROM mfa_devices WHERE user_id = ? AND id = ?`, userID, id))
	return d, wrap(err, fmt.Sprintf("device %s of user %s", id, userID))
}

func (s *sqlStore) ConfirmDevice(ctx context.Context, userID, id string, at time.Time) error {
	n, err := s.exec(ctx, s.w, `UPDATE mfa_devices SET confirmed = ?, confirmed_at = COALESCE(confirmed_at, ?)
		WHERE user_id = ? AND id = ?`, true, s.d.time(at), userID, id)
	if err != nil {
		return wrap(err, "confirming device "+id)
	}
	if n == 0 {
		return notFound(fmt.Sprintf("device %s of user %s", id, userID))
	}
	return nil
}

func (s *sqlStore) DeleteDevice(ctx context.Context, userID, id string) error {
	n, err := s.exec(ctx, s.w, `DELETE FROM mfa_devices WHERE user_id = ? AND id = ?`, userID, id)
	if err != nil {
		return wrap(err, "deleting device "+id)
	}
	if n == 0 {
		return notFound(fmt.Sprintf("device %s of user %s", id, userID))
	}
	return nil
}

func (s *sqlStore) DeleteDevices(ctx context.Context, userID string) (int, error) {
	n, err := s.exec(ctx, s.w, `DELETE FROM mfa_devices WHERE user_id = ?`, userID)
	return int(n), wrap(err, "deleting devices of user "+userID)
}

// AdvanceTOTPStep is one conditional UPDATE: of two nodes verifying the same
// code at once, only one sees its row change.
func (s *sqlStore) AdvanceTOTPStep(ctx context.Context, id string, step int64, at time.Time) (bool, error) {
	n, err := s.exec(ctx, s.w, `UPDATE mfa_devices SET last_step = ?, last_used_at = ? WHERE id = ? AND last_step < ?`,
		step, s.d.time(at), id, step)
	if err != nil {
		return false, wrap(err, "advancing the TOTP step of device "+id)
	}
	if n == 1 {
		return true, nil
	}
	return false, s.deviceExists(ctx, id)
}

// UpdateSignCount is a compare-and-set in one UPDATE.
func (s *sqlStore) UpdateSignCount(ctx context.Context, id string, old, new uint32, at time.Time) (bool, error) {
	n, err := s.exec(ctx, s.w, `UPDATE mfa_devices SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
		int64(new), s.d.time(at), id, int64(old))
	if err != nil {
		return false, wrap(err, "updating the sign count of device "+id)
	}
	if n == 1 {
		return true, nil
	}
	return false, s.deviceExists(ctx, id)
}

// deviceExists is nil when the device exists, ErrNotFound when not.
func (s *sqlStore) deviceExists(ctx context.Context, id string) error {
	var one int
	err := s.queryRow(ctx, s.db, `SELECT 1 FROM mfa_devices WHERE id = ?`, id).Scan(&one)
	return wrap(err, "device "+id)
}
