package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/store"
)

func TestFactors(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		as := h.as(admin.AccessToken)

		// Enrolment shows the secret once, with a URI and a PNG QR code.
		r := h.request(http.MethodPost, "/v1/mfa/totp", admin.AccessToken, "application/json", []byte(`{"name":"phone"}`))
		if r.Status != http.StatusCreated {
			t.Fatalf("enrol: %d %s", r.Status, r.Body)
		}
		var e struct {
			Device client.Device `json:"device"`
			URI    string        `json:"uri"`
			Secret string        `json:"secret"`
			QRPNG  string        `json:"qr_png"`
		}
		if err := json.Unmarshal(r.Body, &e); err != nil {
			t.Fatal(err)
		}
		pngBytes, err := base64.StdEncoding.DecodeString(e.QRPNG)
		if err != nil {
			t.Fatalf("qr_png is not base64: %v", err)
		}
		if _, err := png.Decode(bytes.NewReader(pngBytes)); err != nil {
			t.Fatalf("qr_png is not a PNG: %v", err)
		}
		if !strings.HasPrefix(e.URI, "otpauth://totp/") || e.Secret == "" || e.Device.Confirmed || e.Device.Kind != "totp" {
			t.Fatalf("enrolment = %+v", e)
		}
		_, err = as.ConfirmTOTP(h.ctx(), e.Device.ID, "000000")
		wantCode(t, err, client.CodeInvalidMFA)
		_, err = as.ConfirmTOTP(h.ctx(), "no-such-device", h.code(e.Secret))
		wantCode(t, err, client.CodeNotFound)
		confirmed, err := as.ConfirmTOTP(h.ctx(), e.Device.ID, h.code(e.Secret))
		if err != nil || !confirmed.Confirmed {
			t.Fatalf("confirm = %+v, %v", confirmed, err)
		}
		_, err = as.EnrollTOTP(h.ctx(), "phone")
		wantCode(t, err, client.CodeConflict)

		devices, err := as.Devices(h.ctx())
		if err != nil || len(devices.Devices) != 1 || devices.BackupCodesLeft != 0 {
			t.Fatalf("devices = %+v, %v", devices, err)
		}
		if strings.Contains(string(h.request(http.MethodGet, "/v1/mfa/devices", admin.AccessToken, "", nil).Body), e.Secret) {
			t.Fatal("the device list holds the TOTP secret")
		}

		// An Admin must keep a factor: the only one cannot go.
		err = as.RemoveDevice(h.ctx(), e.Device.ID)
		wantCode(t, err, client.CodeLastFactor)
		err = as.RemoveDevice(h.ctx(), "no-such-device")
		wantCode(t, err, client.CodeNotFound)

		codes, err := as.GenerateBackupCodes(h.ctx())
		if err != nil || len(codes) != 10 {
			t.Fatalf("backup codes = %v, %v", codes, err)
		}
		devices, _ = as.Devices(h.ctx())
		if devices.BackupCodesLeft != 10 {
			t.Fatalf("backup codes left = %d", devices.BackupCodesLeft)
		}

		// WebAuthn registration starts with options and a handle; a
		// response that is no attestation is refused.
		reg, err := as.BeginWebAuthnRegistration(h.ctx(), "key")
		if err != nil || reg.Handle == "" || !json.Valid(reg.Options) || !strings.Contains(string(reg.Options), "challenge") {
			t.Fatalf("webauthn registration = %+v, %v", reg, err)
		}
		_, err = as.FinishWebAuthnRegistration(h.ctx(), reg.Handle, json.RawMessage(`{"id":"x","type":"public-key"}`))
		wantCode(t, err, client.CodeInvalidMFA)

		// A Developer needs no factor, so theirs can go; step-up without
		// one is refused with a clear reason.
		h.createUser(admin.AccessToken, "dev", "Developer")
		dev := h.login("dev", "dev-password-1")
		_, err = h.as(dev.AccessToken).StepUp(h.ctx())
		wantCode(t, err, client.CodeConflict)
		h.enrolTOTP(dev.AccessToken)
		list, _ := h.as(dev.AccessToken).Devices(h.ctx())
		if err := h.as(dev.AccessToken).RemoveDevice(h.ctx(), list.Devices[0].ID); err != nil {
			t.Fatalf("a Developer removing their only factor: %v", err)
		}
	})
}
