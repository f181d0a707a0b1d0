package client_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/internal/testenv"
	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/mfa/mfatest"
)

// These tests call every operation of API.md on the real secretsd, so that
// the client and the server cannot drift apart from the contract.

func code(t *testing.T, secret string, ahead time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now().Add(ahead), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextSecond waits for the next whole second of the wall clock: JWT times
// are whole seconds, and there is no event to await instead.
func nextSecond() { time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) }

// login logs in without a second factor and returns an authenticated client.
func login(t *testing.T, c *client.Client, username, password string) (*client.Client, client.Tokens) {
	t.Helper()
	res, err := c.Login(t.Context(), username, password)
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	if res.Tokens == nil {
		t.Fatalf("login %s: a challenge (%v), want tokens", username, res.MFA.Methods)
	}
	return c.WithBearer(res.Tokens.AccessToken), *res.Tokens
}

func TestClientAgainstSecretsd(t *testing.T) {
	t.Parallel()
	srv := testenv.StartSecretsd(t, testenv.SecretsdOptions{})
	srv.Bootstrap("admin", "admin password, long enough")
	ctx := t.Context()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	if h, err := c.Health(ctx); err != nil || h.Status != "ok" || h.Store != "ok" {
		t.Fatalf("health: %+v, %v", h, err)
	}
	if _, err := c.Login(ctx, "admin", "wrong"); !client.IsCode(err, client.CodeInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	admin, _ := login(t, c, "admin", "admin password, long enough")

	// Users.
	bob, err := admin.CreateUser(ctx, client.NewUser{Username: "bob", Password: "bob's password, long enough", Role: "Viewer", Team: "ops", Groups: []string{"g1"}})
	if err != nil || bob.ID == "" || bob.Role != "Viewer" || bob.Team != "ops" {
		t.Fatalf("create: %+v, %v", bob, err)
	}
	if _, err := admin.CreateUser(ctx, client.NewUser{Username: "bob", Password: "x long enough password", Role: "Viewer"}); !client.IsCode(err, client.CodeConflict) {
		t.Errorf("duplicate user: %v", err)
	}
	if got, err := admin.GetUser(ctx, bob.ID); err != nil || got.Username != "bob" {
		t.Errorf("get: %+v, %v", got, err)
	}
	if _, err := admin.GetUser(ctx, "no-such-id"); !client.IsCode(err, client.CodeNotFound) {
		t.Errorf("get unknown: %v", err)
	}
	role, pw := "Developer", "bob's new password, long enough"
	if got, err := admin.UpdateUser(ctx, bob.ID, client.UserChange{Role: &role, Password: &pw}); err != nil || got.Role != "Developer" {
		t.Errorf("update: %+v, %v", got, err)
	}
	if users, err := admin.ListUsers(ctx); err != nil || len(users) != 2 {
		t.Errorf("list: %+v, %v", users, err)
	}
	// A password change revokes every token of bob issued before it; iat
	// has whole seconds, so log in from the next second on.
	nextSecond()
	bobC, _ := login(t, c, "bob", pw)
	if _, err := bobC.ListUsers(ctx); !client.IsCode(err, client.CodeForbidden) {
		t.Errorf("a Developer listed users: %v", err)
	}

	// TOTP for bob, then a login through the challenge.
	enr, err := bobC.EnrollTOTP(ctx, "phone")
	if err != nil || !strings.HasPrefix(enr.URI, "otpauth://totp/") || enr.Secret == "" || len(enr.QRPNG) < 8 || string(enr.QRPNG[1:4]) != "PNG" || enr.Device.Confirmed {
		t.Fatalf("enroll: %+v, %v", enr.Device, err)
	}
	if dev, err := bobC.ConfirmTOTP(ctx, enr.Device.ID, code(t, enr.Secret, 0)); err != nil || !dev.Confirmed {
		t.Fatalf("confirm: %+v, %v", dev, err)
	}
	res, err := c.Login(ctx, "bob", pw)
	if err != nil || res.MFA == nil || !res.MFA.Offers(client.MethodTOTP) {
		t.Fatalf("login with TOTP: %+v, %v", res, err)
	}
	if _, err := c.VerifyMFA(ctx, res.MFA.MFAToken, client.TOTPProof("000000")); !client.IsCode(err, client.CodeInvalidMFA) {
		t.Errorf("wrong code: %v", err)
	}
	bobTokens, err := c.VerifyMFA(ctx, res.MFA.MFAToken, client.TOTPProof(code(t, enr.Secret, 30*time.Second)))
	if err != nil || bobTokens.RefreshToken == "" {
		t.Fatalf("verify: %v", err)
	}
	bobC = c.WithBearer(bobTokens.AccessToken)

	// Backup codes and step-up.
	codes, err := bobC.GenerateBackupCodes(ctx)
	if err != nil || len(codes) != 10 {
		t.Fatalf("backup codes: %v, %v", codes, err)
	}
	ch, err := bobC.StepUp(ctx)
	if err != nil || !ch.Offers(client.MethodBackupCode) {
		t.Fatalf("step-up: %+v, %v", ch, err)
	}
	stepped, err := bobC.StepUpVerify(ctx, ch.MFAToken, client.BackupCodeProof(codes[0]))
	if err != nil || stepped.RefreshToken != "" || stepped.SessionID != bobTokens.SessionID {
		t.Fatalf("step-up verify: %+v, %v", stepped, err)
	}
	if devs, err := bobC.Devices(ctx); err != nil || len(devs.Devices) != 1 || devs.BackupCodesLeft != 9 {
		t.Errorf("devices: %+v, %v", devs, err)
	}

	// Refresh rotates; the spent token ends the session.
	rotated, err := c.Refresh(ctx, bobTokens.RefreshToken)
	if err != nil || rotated.RefreshToken == bobTokens.RefreshToken {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := c.Refresh(ctx, bobTokens.RefreshToken); !client.IsCode(err, client.CodeInvalidGrant) {
		t.Fatalf("reuse: %v", err)
	}
	if _, err := c.Refresh(ctx, rotated.RefreshToken); !client.IsCode(err, client.CodeInvalidGrant) {
		t.Errorf("the family survived reuse: %v", err)
	}

	// Too many wrong codes: 429 with Retry-After.
	var last error
	for range 6 {
		res, err := c.Login(ctx, "bob", pw)
		if err != nil || res.MFA == nil {
			t.Fatalf("login: %v", err)
		}
		if _, last = c.VerifyMFA(ctx, res.MFA.MFAToken, client.TOTPProof("000000")); client.IsCode(last, client.CodeTooManyAttempts) {
			break
		}
	}
	var e *client.Error
	if !errors.As(last, &e) || e.Code != client.CodeTooManyAttempts || e.Status != 429 || e.RetryAfter <= 0 {
		t.Errorf("after repeated failures: %v (%+v)", last, e)
	}

	// Admin resets bob's factors and revokes his tokens.
	if err := admin.ResetMFA(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := admin.GetUser(ctx, bob.ID); got.MFAEnabled {
		t.Error("mfa_enabled after a reset")
	}

	// Revocations and their feed.
	start, err := c.Revocations(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	me, err := admin.WhoAmI(ctx)
	if err != nil || me.User.Username != "admin" || me.TokenID == "" {
		t.Fatalf("whoami: %+v, %v", me, err)
	}
	if err := admin.Revoke(ctx, client.Revocation{TokenID: me.TokenID}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.WhoAmI(ctx); !client.IsCode(err, client.CodeUnauthorized) {
		t.Errorf("a revoked token still works: %v", err)
	}
	batch, err := c.Revocations(ctx, start.Cursor, 5*time.Second)
	if err != nil || batch.Cursor <= start.Cursor || len(batch.Entries) == 0 {
		t.Fatalf("feed after %d: %+v, %v", start.Cursor, batch, err)
	}
	found := false
	for _, m := range batch.Entries {
		en, err := revocation.ParseMessage(m)
		if err != nil {
			t.Errorf("feed entry %q: %v", m, err)
		}
		found = found || (en.Kind == revocation.KindToken && en.ID == me.TokenID)
	}
	if !found {
		t.Errorf("the feed lacks the revoked jti: %v", batch.Entries)
	}

	admin, _ = login(t, c, "admin", "admin password, long enough")
	bobC, _ = login(t, c, "bob", pw)
	if err := admin.Revoke(ctx, client.Revocation{UserID: bob.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := bobC.WhoAmI(ctx); !client.IsCode(err, client.CodeUnauthorized) {
		t.Errorf("bob's token survived the revocation of all his tokens: %v", err)
	}

	// API tokens.
	created, err := admin.CreateAPIToken(ctx, client.NewAPIToken{Name: "ci", TTL: time.Hour})
	if err != nil || created.Token == "" || created.ExpiresAt.IsZero() {
		t.Fatalf("create token: %+v, %v", created, err)
	}
	tok := c.WithBearer(created.Token)
	if me, err := tok.WhoAmI(ctx); err != nil || !me.APIToken {
		t.Errorf("whoami with the API token: %+v, %v", me, err)
	}
	list, err := admin.ListAPITokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != created.ID || list[0].LastUsedAt.IsZero() {
		t.Errorf("list tokens: %+v, %v", list, err)
	}
	if err := admin.RevokeAPIToken(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tok.WhoAmI(ctx); !client.IsCode(err, client.CodeUnauthorized) {
		t.Errorf("revoked API token: %v", err)
	}

	// Keys.
	before, err := c.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kid, err := admin.RotateKeys(ctx)
	if err != nil || kid == "" {
		t.Fatalf("rotate: %q, %v", kid, err)
	}
	after, err := c.JWKS(ctx)
	if err != nil || !strings.Contains(string(after), kid) || len(after) <= len(before) {
		t.Errorf("JWKS after rotation lacks %s: %s", kid, after)
	}

	// WebAuthn with a software authenticator: register, then sign in.
	adminMe, err := admin.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rp := virtualwebauthn.RelyingParty{Name: "Portcullis", ID: "localhost", Origin: srv.URL}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(adminMe.User.ID)})
	cred := mfatest.Credential(t)
	auth.AddCredential(cred)
	reg, err := admin.BeginWebAuthnRegistration(ctx, "yubikey")
	if err != nil || reg.Handle == "" {
		t.Fatalf("webauthn begin: %+v, %v", reg, err)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(reg.Options))
	if err != nil {
		t.Fatalf("creation options: %v\n%s", err, reg.Options)
	}
	att := virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *opts)
	if _, err := admin.FinishWebAuthnRegistration(ctx, "bogus-handle", json.RawMessage(att)); err == nil {
		t.Error("finish with an unknown handle succeeded")
	}
	dev, err := admin.FinishWebAuthnRegistration(ctx, reg.Handle, json.RawMessage(att))
	if err != nil || dev.Kind != "webauthn" || !dev.Confirmed {
		t.Fatalf("webauthn finish: %+v, %v", dev, err)
	}
	res, err = c.Login(ctx, "admin", "admin password, long enough")
	if err != nil || res.MFA == nil || !res.MFA.Offers(client.MethodWebAuthn) || len(res.MFA.WebAuthn) == 0 {
		t.Fatalf("login with WebAuthn: %+v, %v", res, err)
	}
	aopts, err := virtualwebauthn.ParseAssertionOptions(string(res.MFA.WebAuthn))
	if err != nil {
		t.Fatalf("request options: %v\n%s", err, res.MFA.WebAuthn)
	}
	cred.Counter = 1
	assertion := virtualwebauthn.CreateAssertionResponse(rp, auth, cred, *aopts)
	if _, err := c.VerifyMFA(ctx, res.MFA.MFAToken, client.Proof{Method: client.MethodWebAuthn, Assertion: json.RawMessage(assertion)}); err != nil {
		t.Fatalf("webauthn verify: %v", err)
	}

	// The last factor of an Admin cannot be removed.
	if err := admin.RemoveDevice(ctx, dev.ID); !client.IsCode(err, client.CodeLastFactor) {
		t.Errorf("removing the Admin's last factor: %v", err)
	}
	if err := admin.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.WhoAmI(ctx); !client.IsCode(err, client.CodeUnauthorized) {
		t.Errorf("after logout: %v", err)
	}
}
