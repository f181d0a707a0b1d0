package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/store"
)

// TestLogsHoldNoSecrets runs a full flow, including failures, and then
// looks for every secret that crossed the API in the log: passwords, TOTP
// secrets and codes, challenge, access, refresh and API tokens, backup codes,
// and a query-string value.
func TestLogsHoldNoSecrets(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		var secrets []string
		keep := func(s ...string) { secrets = append(secrets, s...) }
		keep(adminPassword)

		_, first := h.bootstrapAdmin()
		keep(first.AccessToken, first.RefreshToken)

		e, err := h.as(first.AccessToken).EnrollTOTP(h.ctx(), "phone")
		if err != nil {
			t.Fatal(err)
		}
		keep(e.Secret, e.URI)
		enrolCode := h.code(e.Secret)
		keep(`"` + enrolCode + `"`)
		if _, err := h.as(first.AccessToken).ConfirmTOTP(h.ctx(), e.Device.ID, enrolCode); err != nil {
			t.Fatal(err)
		}
		h.Clock.Advance(30 * time.Second)

		codes, err := h.as(first.AccessToken).GenerateBackupCodes(h.ctx())
		if err != nil || len(codes) != 10 {
			t.Fatalf("backup codes: %v, %v", codes, err)
		}
		keep(codes...)

		const wrongPassword = "wrong-password-that-must-not-be-logged"
		keep(wrongPassword)
		_, err = h.Client.Login(h.ctx(), "admin", wrongPassword)
		wantCode(t, err, client.CodeInvalidCredentials)

		res, err := h.Client.Login(h.ctx(), "admin", adminPassword)
		if err != nil || res.MFA == nil {
			t.Fatalf("login: %+v, %v", res, err)
		}
		keep(res.MFA.MFAToken)
		_, err = h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof("999999"))
		wantCode(t, err, client.CodeInvalidMFA)
		loginCode := h.code(e.Secret)
		keep(`"` + loginCode + `"`)
		tokens, err := h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof(loginCode))
		if err != nil {
			t.Fatal(err)
		}
		keep(tokens.AccessToken, tokens.RefreshToken)

		refreshed, err := h.Client.Refresh(h.ctx(), tokens.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		keep(refreshed.AccessToken, refreshed.RefreshToken)
		_, err = h.Client.Refresh(h.ctx(), tokens.RefreshToken) // reuse
		wantCode(t, err, client.CodeInvalidGrant)

		res, err = h.Client.Login(h.ctx(), "admin", adminPassword)
		if err != nil || res.MFA == nil {
			t.Fatalf("login: %+v, %v", res, err)
		}
		keep(res.MFA.MFAToken)
		viaBackup, err := h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.BackupCodeProof(codes[0]))
		if err != nil {
			t.Fatalf("backup code: %v", err)
		}
		keep(viaBackup.AccessToken, viaBackup.RefreshToken)

		api, err := h.as(viaBackup.AccessToken).CreateAPIToken(h.ctx(), client.NewAPIToken{Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		keep(api.Token)
		if _, err := h.as(api.Token).WhoAmI(h.ctx()); err != nil {
			t.Fatal(err)
		}
		newUserPassword := "a-new-users-password-1"
		keep(newUserPassword)
		if _, err := h.as(viaBackup.AccessToken).CreateUser(h.ctx(), client.NewUser{Username: "dev", Password: newUserPassword, Role: "Developer"}); err != nil {
			t.Fatal(err)
		}
		const garbageBearer = "garbage-bearer-credential-value"
		keep(garbageBearer)
		wantError(t, h.request(http.MethodGet, "/v1/auth/whoami", garbageBearer, "", nil), 401, "unauthorized")
		const querySecret = "query-string-secret-value"
		keep(querySecret)
		h.request(http.MethodGet, "/v1/revocations?after=0&token="+querySecret, "", "", nil)
		if err := h.as(viaBackup.AccessToken).Logout(h.ctx()); err != nil {
			t.Fatal(err)
		}

		logs := h.logs.String()
		if !strings.Contains(logs, `"route":"POST /v1/auth/login"`) {
			t.Fatalf("the log lacks the request lines this test expects:\n%s", logs)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(logs, s) {
				t.Errorf("the log holds a secret %.12q…", s)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line is not JSON: %q", line)
			}
			if m["message"] == "request" && (m["request_id"] == nil || m["route"] == nil || m["status"] == nil) {
				t.Errorf("request line lacks its fields: %q", line)
			}
		}
	})
}
