package identity

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
)

// The actor's own second factors. Each needs a session: an API token never
// manages factors (see the scope table in authorize.go). Package mfa applies
// the factor rules (names, the last factor of a user who requires MFA).

// factorOwner authorizes a and returns its enabled account.
func (s *Service) factorOwner(ctx context.Context, a Actor) (store.User, error) {
	if err := authorize(a, actFactors); err != nil {
		return store.User{}, err
	}
	return s.enabledUser(ctx, a.UserID)
}

// EnrollTOTP adds an unconfirmed TOTP device; it counts once ConfirmTOTP
// verified a first code.
func (s *Service) EnrollTOTP(ctx context.Context, a Actor, name string) (mfa.TOTPEnrollment, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return mfa.TOTPEnrollment{}, err
	}
	e, err := s.deps.MFA.EnrollTOTP(ctx, s.mfaUser(u), name)
	if err != nil {
		return mfa.TOTPEnrollment{}, fmt.Errorf("enrolling a TOTP device: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFAEnroll, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
		Details: map[string]any{"kind": store.DeviceTOTP, "device": e.Device.ID, "name": e.Device.Name}})
	return e, nil
}

// ConfirmTOTP confirms a TOTP device with a first valid code.
func (s *Service) ConfirmTOTP(ctx context.Context, a Actor, deviceID, code string) (mfa.Device, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return mfa.Device{}, err
	}
	d, err := s.deps.MFA.ConfirmTOTP(ctx, s.mfaUser(u), deviceID, code)
	if err != nil {
		s.record(ctx, Event{Action: AuditMFAConfirm, Outcome: OutcomeFailure, Reason: reasonInvalidFactor, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
			Details: map[string]any{"device": deviceID}})
		return mfa.Device{}, fmt.Errorf("confirming a TOTP device: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFAConfirm, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
		Details: map[string]any{"kind": d.Kind, "device": d.ID, "name": d.Name}})
	return d, nil
}

// BeginWebAuthnRegistration starts registering a WebAuthn authenticator.
func (s *Service) BeginWebAuthnRegistration(ctx context.Context, a Actor, name string) (options json.RawMessage, handle string, err error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return nil, "", err
	}
	options, handle, err = s.deps.MFA.BeginWebAuthnRegistration(ctx, s.mfaUser(u), name)
	if err != nil {
		return nil, "", fmt.Errorf("starting a WebAuthn registration: %w", err)
	}
	return options, handle, nil
}

// FinishWebAuthnRegistration verifies the attestation and stores the device.
func (s *Service) FinishWebAuthnRegistration(ctx context.Context, a Actor, handle string, response json.RawMessage) (mfa.Device, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return mfa.Device{}, err
	}
	d, err := s.deps.MFA.FinishWebAuthnRegistration(ctx, s.mfaUser(u), handle, response)
	if err != nil {
		s.record(ctx, Event{Action: AuditMFAEnroll, Outcome: OutcomeFailure, Reason: "registration_refused", ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
			Details: map[string]any{"kind": store.DeviceWebAuthn}})
		return mfa.Device{}, fmt.Errorf("finishing a WebAuthn registration: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFAEnroll, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
		Details: map[string]any{"kind": d.Kind, "device": d.ID, "name": d.Name}})
	return d, nil
}

// Devices lists the actor's devices.
func (s *Service) Devices(ctx context.Context, a Actor) ([]mfa.Device, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return nil, err
	}
	ds, err := s.deps.MFA.Devices(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("listing devices: %w", err)
	}
	return ds, nil
}

// BackupCodesLeft counts the actor's unused backup codes.
func (s *Service) BackupCodesLeft(ctx context.Context, a Actor) (int, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return 0, err
	}
	n, err := s.deps.MFA.BackupCodesLeft(ctx, u.ID)
	if err != nil {
		return 0, fmt.Errorf("counting backup codes: %w", err)
	}
	return n, nil
}

// RemoveDevice removes one of the actor's devices; mfa.ErrLastFactor when it
// is the last factor of a user whose role requires MFA.
func (s *Service) RemoveDevice(ctx context.Context, a Actor, deviceID string) error {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return err
	}
	if err := s.deps.MFA.RemoveDevice(ctx, s.mfaUser(u), deviceID); err != nil {
		return fmt.Errorf("removing a device: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFARemove, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
		Details: map[string]any{"device": deviceID}})
	return nil
}

// GenerateBackupCodes replaces the actor's backup codes with new ones,
// returned once.
func (s *Service) GenerateBackupCodes(ctx context.Context, a Actor) ([]string, error) {
	u, err := s.factorOwner(ctx, a)
	if err != nil {
		return nil, err
	}
	codes, err := s.deps.MFA.GenerateBackupCodes(ctx, s.mfaUser(u))
	if err != nil {
		return nil, fmt.Errorf("generating backup codes: %w", err)
	}
	s.record(ctx, Event{Action: AuditMFABackupCodes, Outcome: OutcomeSuccess, ActorID: u.ID, Subject: u.ID, Session: a.SessionID,
		Details: map[string]any{"count": len(codes)}})
	return codes, nil
}
