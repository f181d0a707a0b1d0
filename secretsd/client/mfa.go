package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Devices lists the bearer's second factors and how many backup codes are left.
func (c *Client) Devices(ctx context.Context) (Devices, error) {
	var res Devices
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/mfa/devices", want: http.StatusOK, out: &res})
	return res, err
}

// RemoveDevice removes one of the bearer's factors; removing the last factor
// of a user whose role requires MFA is a *Error with code last_factor.
func (c *Client) RemoveDevice(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/mfa/devices/" + url.PathEscape(id), want: http.StatusNoContent})
}

// EnrollTOTP adds an unconfirmed TOTP device; confirm it with ConfirmTOTP.
func (c *Client) EnrollTOTP(ctx context.Context, name string) (TOTPEnrollment, error) {
	var res TOTPEnrollment
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/mfa/totp", want: http.StatusCreated,
		body: map[string]string{"name": name}, out: &res})
	return res, err
}

// ConfirmTOTP confirms a TOTP device with a first code from it.
func (c *Client) ConfirmTOTP(ctx context.Context, deviceID, code string) (Device, error) {
	var res struct {
		Device Device `json:"device"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/mfa/totp/" + url.PathEscape(deviceID) + "/confirm",
		want: http.StatusOK, body: map[string]string{"code": code}, out: &res})
	return res.Device, err
}

// BeginWebAuthnRegistration starts registering a WebAuthn authenticator.
func (c *Client) BeginWebAuthnRegistration(ctx context.Context, name string) (WebAuthnRegistration, error) {
	var res WebAuthnRegistration
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/mfa/webauthn/register", want: http.StatusOK,
		body: map[string]string{"name": name}, out: &res})
	return res, err
}

// FinishWebAuthnRegistration completes it with the authenticator's
// attestation response (the JSON of navigator.credentials.create).
func (c *Client) FinishWebAuthnRegistration(ctx context.Context, handle string, response json.RawMessage) (Device, error) {
	var res struct {
		Device Device `json:"device"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/mfa/webauthn/register/finish", want: http.StatusCreated,
		body: map[string]any{"handle": handle, "response": response}, out: &res})
	return res.Device, err
}

// GenerateBackupCodes replaces the bearer's backup codes with ten new ones,
// returned once.
func (c *Client) GenerateBackupCodes(ctx context.Context) ([]string, error) {
	var res struct {
		Codes []string `json:"codes"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/mfa/backup-codes", want: http.StatusCreated, out: &res})
	return res.Codes, err
}
