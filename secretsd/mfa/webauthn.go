package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portcullis/portcullis/secretsd/store"
)

// Challenge purposes of the WebAuthn ceremonies.
const (
	purposeRegister = "webauthn_register"
	purposeLogin    = "webauthn_login"
)

// maxWebAuthnResponse bounds the JSON of an attestation or assertion
// response; a packed attestation with its certificate chain is a few KiB.
const maxWebAuthnResponse = 32 << 10

// webauthnAAD binds a sealed credential record to its device row.
func webauthnAAD(deviceID string) []byte { return []byte("webauthn:" + deviceID) }

// ceremony is the server side of a WebAuthn ceremony, kept in
// store.Challenges under the SHA-256 of the handle given to the client. It
// holds nothing secret (the challenge is sent to the client anyway), so it
// is stored as is.
type ceremony struct {
	Session webauthn.SessionData `json:"session"`
	Name    string               `json:"name,omitempty"` // registration: the new device's name
}

// webauthnUser adapts a user to go-webauthn. The user handle is the user id:
// opaque, stable, and no personal data (WebAuthn §14.6.1).
type webauthnUser struct {
	u     User
	creds []webauthn.Credential
}

func (w webauthnUser) WebAuthnID() []byte { return []byte(w.u.ID) }
func (w webauthnUser) WebAuthnName() string {
	if w.u.Username != "" {
		return w.u.Username
	}
	return w.u.ID
}
func (w webauthnUser) WebAuthnDisplayName() string                { return w.WebAuthnName() }
func (w webauthnUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// BeginWebAuthnRegistration starts a registration ceremony; it returns the
// PublicKeyCredentialCreationOptions (JSON, for navigator.credentials.create)
// and a handle to finish it with.
func (s *Service) BeginWebAuthnRegistration(ctx context.Context, u User, name string) (options json.RawMessage, handle string, err error) {
	if err := checkUser(u); err != nil {
		return nil, "", err
	}
	name, err = s.newDeviceName(ctx, u.ID, store.DeviceWebAuthn, name)
	if err != nil {
		return nil, "", err
	}
	devices, err := s.store.ListDevices(ctx, u.ID)
	if err != nil {
		return nil, "", fmt.Errorf("mfa: listing devices: %w", err)
	}
	// The authenticator refuses to register a second credential for this
	// user when it already holds one of these.
	var exclude []protocol.CredentialDescriptor
	for _, d := range devices {
		if d.Kind == store.DeviceWebAuthn && len(d.CredentialID) > 0 {
			exclude = append(exclude, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: d.CredentialID})
		}
	}
	creation, session, err := s.webauthn.BeginRegistration(webauthnUser{u: u}, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, "", fmt.Errorf("mfa: starting webauthn registration: %w", err)
	}
	options, err = json.Marshal(creation.Response)
	if err != nil {
		return nil, "", fmt.Errorf("mfa: encoding webauthn creation options: %w", err)
	}
	handle, err = s.putCeremony(ctx, u.ID, purposeRegister, ceremony{Session: *session, Name: name})
	if err != nil {
		return nil, "", err
	}
	return options, handle, nil
}

// FinishWebAuthnRegistration verifies the authenticator's attestation
// response (JSON) and stores the credential.
func (s *Service) FinishWebAuthnRegistration(ctx context.Context, u User, handle string, response json.RawMessage) (Device, error) {
	if err := checkUser(u); err != nil {
		return Device{}, err
	}
	c, err := s.takeCeremony(ctx, u.ID, handle, purposeRegister)
	if err != nil {
		return Device{}, err
	}
	parsed, err := decodeAttestation(response)
	if err != nil {
		return Device{}, err
	}
	cred, err := s.webauthn.CreateCredential(webauthnUser{u: u}, c.Session, parsed)
	if err != nil {
		s.log.Warn().Str("user_id", u.ID).Str("reason", webauthnReason(err)).Msg("webauthn registration refused")
		return Device{}, fmt.Errorf("mfa: webauthn registration: %w", ErrInvalidCode)
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return Device{}, fmt.Errorf("mfa: encoding the webauthn credential: %w", err)
	}
	d := store.Device{
		ID:           newID(),
		UserID:       u.ID,
		Kind:         store.DeviceWebAuthn,
		Name:         c.Name,
		CredentialID: cred.ID,
		Confirmed:    true,
		SignCount:    cred.Authenticator.SignCount,
		CreatedAt:    s.now(),
	}
	if d.Secret, err = s.sealer.Seal(ctx, record, webauthnAAD(d.ID)); err != nil {
		return Device{}, fmt.Errorf("mfa: sealing the webauthn credential: %w", err)
	}
	if err := s.createDevice(ctx, d); err != nil {
		return Device{}, err
	}
	s.log.Info().Str("user_id", u.ID).Str("device_id", d.ID).Msg("webauthn device registered")
	return toDevice(d), nil
}

// BeginWebAuthnLogin starts an assertion ceremony for the user's WebAuthn
// devices; it returns the PublicKeyCredentialRequestOptions (JSON) and a
// handle that Verify needs with the assertion.
func (s *Service) BeginWebAuthnLogin(ctx context.Context, u User) (options json.RawMessage, handle string, err error) {
	if err := checkUser(u); err != nil {
		return nil, "", err
	}
	_, creds, err := s.webauthnCredentials(ctx, u.ID)
	if err != nil {
		return nil, "", err
	}
	if len(creds) == 0 {
		return nil, "", fmt.Errorf("mfa: user has no webauthn device: %w", ErrNoFactor)
	}
	assertion, session, err := s.webauthn.BeginLogin(webauthnUser{u: u, creds: creds})
	if err != nil {
		return nil, "", fmt.Errorf("mfa: starting webauthn login: %w", err)
	}
	options, err = json.Marshal(assertion.Response)
	if err != nil {
		return nil, "", fmt.Errorf("mfa: encoding webauthn request options: %w", err)
	}
	handle, err = s.putCeremony(ctx, u.ID, purposeLogin, ceremony{Session: *session})
	if err != nil {
		return nil, "", err
	}
	return options, handle, nil
}

// verifyWebAuthn checks an assertion against the ceremony the handle names,
// then moves the credential's signature counter forward.
func (s *Service) verifyWebAuthn(ctx context.Context, u User, assertion json.RawMessage, handle string) ([]string, error) {
	devices, creds, err := s.webauthnCredentials(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("mfa: user has no webauthn device: %w", ErrNoFactor)
	}
	c, err := s.takeCeremony(ctx, u.ID, handle, purposeLogin)
	if err != nil {
		return nil, err
	}
	parsed, err := decodeAssertion(assertion)
	if err != nil {
		return nil, err
	}
	cred, err := s.webauthn.ValidateLogin(webauthnUser{u: u, creds: creds}, c.Session, parsed)
	if err != nil {
		s.log.Warn().Str("user_id", u.ID).Str("reason", webauthnReason(err)).Msg("webauthn assertion refused")
		return nil, fmt.Errorf("mfa: webauthn: %w", ErrInvalidCode)
	}
	var d store.Device
	for _, dev := range devices {
		if bytes.Equal(dev.CredentialID, cred.ID) {
			d = dev
		}
	}
	if d.ID == "" { // go-webauthn matched a credential we did not give it
		return nil, fmt.Errorf("mfa: webauthn: %w", ErrInvalidCode)
	}
	counter := parsed.Response.AuthenticatorData.Counter
	// WebAuthn §6.1.1: a counter that does not move past the stored one
	// (unless both are zero: an authenticator without a counter) means two
	// authenticators hold this credential's private key.
	if cred.Authenticator.CloneWarning {
		s.log.Warn().Str("user_id", u.ID).Str("device_id", d.ID).Uint32("stored", d.SignCount).Uint32("presented", counter).
			Msg("webauthn signature counter did not increase: possible cloned authenticator, assertion refused")
		return nil, fmt.Errorf("mfa: webauthn: %w", ErrInvalidCode)
	}
	// Compare-and-set: of two assertions checked at once against the same
	// stored counter, only one moves it.
	ok, err := s.store.UpdateSignCount(ctx, d.ID, d.SignCount, counter, s.now())
	if err != nil {
		return nil, fmt.Errorf("mfa: updating the webauthn signature counter: %w", err)
	}
	if !ok {
		s.log.Warn().Str("user_id", u.ID).Str("device_id", d.ID).Msg("webauthn signature counter changed during verification, assertion refused")
		return nil, fmt.Errorf("mfa: webauthn: %w", ErrInvalidCode)
	}
	return amrWebAuthn(parsed.Response.AuthenticatorData.Flags), nil
}

// webauthnCredentials opens the user's confirmed WebAuthn credentials. The
// signature counter comes from the store's column, which moves on every use,
// not from the sealed record, which is written once.
func (s *Service) webauthnCredentials(ctx context.Context, userID string) ([]store.Device, []webauthn.Credential, error) {
	all, err := s.store.ListDevices(ctx, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("mfa: listing devices: %w", err)
	}
	var (
		devices []store.Device
		creds   []webauthn.Credential
	)
	for _, d := range all {
		if d.Kind != store.DeviceWebAuthn || !d.Confirmed {
			continue
		}
		record, err := s.sealer.Open(ctx, d.Secret, webauthnAAD(d.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("mfa: opening the credential of webauthn device %s: %w", d.ID, err)
		}
		var cred webauthn.Credential
		if err := json.Unmarshal(record, &cred); err != nil {
			return nil, nil, fmt.Errorf("mfa: decoding the credential of webauthn device %s: %w", d.ID, err)
		}
		cred.Authenticator.SignCount = d.SignCount
		cred.Authenticator.CloneWarning = false
		devices = append(devices, d)
		creds = append(creds, cred)
	}
	return devices, creds, nil
}

// putCeremony stores a ceremony and returns its handle: 256 random bits,
// of which the store keeps only the SHA-256, so a read of the database
// does not yield a usable handle.
func (s *Service) putCeremony(ctx context.Context, userID, purpose string, c ceremony) (string, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("mfa: encoding webauthn session: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("mfa: drawing a webauthn handle: %w", err)
	}
	handle := base64.RawURLEncoding.EncodeToString(raw)
	id := sha256.Sum256([]byte(handle))
	if err := s.store.PutChallenge(ctx, store.Challenge{
		ID:        id[:],
		UserID:    userID,
		Purpose:   purpose,
		Data:      data,
		ExpiresAt: s.now().Add(ceremonyTTL),
	}); err != nil {
		return "", fmt.Errorf("mfa: storing webauthn session: %w", err)
	}
	return handle, nil
}

// takeCeremony finds the ceremony of a handle and deletes it: a handle is
// good for one attempt, right or wrong. A handle of another user is refused
// without being spent.
func (s *Service) takeCeremony(ctx context.Context, userID, handle, purpose string) (ceremony, error) {
	invalid := fmt.Errorf("mfa: unknown, expired or used webauthn handle: %w", ErrInvalidCode)
	if handle == "" || len(handle) > 128 {
		return ceremony{}, invalid
	}
	id := sha256.Sum256([]byte(handle))
	ch, err := s.store.GetChallenge(ctx, id[:], purpose, s.now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && ch.UserID != userID) {
		return ceremony{}, invalid
	}
	if err != nil {
		return ceremony{}, fmt.Errorf("mfa: reading webauthn session: %w", err)
	}
	deleted, err := s.store.DeleteChallenge(ctx, id[:])
	if err != nil {
		return ceremony{}, fmt.Errorf("mfa: spending webauthn session: %w", err)
	}
	if !deleted {
		return ceremony{}, invalid
	}
	var c ceremony
	if err := json.Unmarshal(ch.Data, &c); err != nil {
		return ceremony{}, fmt.Errorf("mfa: decoding webauthn session: %w", err)
	}
	return c, nil
}

// decodeAttestation parses an attestation response (what
// navigator.credentials.create returns, as JSON) from an untrusted client.
func decodeAttestation(raw []byte) (*protocol.ParsedCredentialCreationData, error) {
	if len(raw) == 0 || len(raw) > maxWebAuthnResponse {
		return nil, fmt.Errorf("mfa: webauthn attestation of %d bytes: %w", len(raw), ErrInvalidCode)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("mfa: webauthn attestation: %s: %w", webauthnReason(err), ErrInvalidCode)
	}
	return parsed, nil
}

// decodeAssertion parses an assertion response (what
// navigator.credentials.get returns, as JSON) from an untrusted client.
func decodeAssertion(raw []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(raw) == 0 || len(raw) > maxWebAuthnResponse {
		return nil, fmt.Errorf("mfa: webauthn assertion of %d bytes: %w", len(raw), ErrInvalidCode)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("mfa: webauthn assertion: %s: %w", webauthnReason(err), ErrInvalidCode)
	}
	return parsed, nil
}

// webauthnReason is go-webauthn's account of a refusal, for logs: its
// details name the check that failed, never key material.
func webauthnReason(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		if perr.DevInfo != "" {
			return perr.Details + ": " + perr.DevInfo
		}
		return perr.Details
	}
	return err.Error()
}
