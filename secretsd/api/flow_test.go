package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/client"
	"github.com/portcullis/portcullis/secretsd/store"
)

func TestLoginReturnsTokens(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		admin, tokens := h.bootstrapAdmin()
		if tokens.AccessToken == "" || tokens.RefreshToken == "" || tokens.TokenType != "Bearer" ||
			tokens.SessionID == "" || tokens.ExpiresIn != 900 || !tokens.ExpiresAt.Equal(h.Clock.Now().Add(15*time.Minute)) {
			t.Fatalf("tokens = %+v", tokens)
		}
		me, err := h.as(tokens.AccessToken).WhoAmI(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if me.User.ID != admin.ID || me.User.Role != "Admin" || me.SessionID != tokens.SessionID ||
			me.TokenID == "" || me.APIToken || !slices.Contains(me.AMR, "pwd") {
			t.Fatalf("whoami = %+v", me)
		}

		// Wrong password and unknown user get the same answer.
		_, err = h.Client.Login(h.ctx(), "admin", "wrong password!!")
		wrongPassword := wantCode(t, err, client.CodeInvalidCredentials)
		_, err = h.Client.Login(h.ctx(), "nobody", "wrong password!!")
		unknownUser := wantCode(t, err, client.CodeInvalidCredentials)
		if wrongPassword.Status != 401 || wrongPassword.Message != unknownUser.Message {
			t.Fatalf("wrong password %+v and unknown user %+v answered differently", wrongPassword, unknownUser)
		}
	})
}

func TestLoginWithTOTPThenStepUp(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		secret := h.enrolTOTP(admin.AccessToken)

		res, err := h.Client.Login(h.ctx(), "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		if res.Tokens != nil || res.MFA == nil || !res.MFA.Offers(client.MethodTOTP) || res.MFA.MFAToken == "" {
			t.Fatalf("login of a user with TOTP = %+v, want a challenge offering totp", res)
		}

		// A wrong code is refused and the challenge stays usable.
		_, err = h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof("000000"))
		wantCode(t, err, client.CodeInvalidMFA)
		_, err = h.Client.VerifyMFA(h.ctx(), "not-a-challenge", client.TOTPProof(h.code(secret)))
		wantCode(t, err, client.CodeInvalidChallenge)

		tokens, err := h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof(h.code(secret)))
		if err != nil {
			t.Fatalf("verify with the right code: %v", err)
		}
		me, err := h.as(tokens.AccessToken).WhoAmI(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(me.AMR, "otp") || !slices.Contains(me.AMR, "pwd") {
			t.Fatalf("amr after TOTP = %v, want pwd and otp", me.AMR)
		}
		// The challenge is single-use.
		_, err = h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof(h.code(secret)))
		wantCode(t, err, client.CodeInvalidChallenge)

		// Step-up: later, a fresh factor gives a fresh auth_time.
		h.Clock.Advance(10 * time.Minute)
		ch, err := h.as(tokens.AccessToken).StepUp(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		stepped, err := h.as(tokens.AccessToken).StepUpVerify(h.ctx(), ch.MFAToken, client.TOTPProof(h.code(secret)))
		if err != nil {
			t.Fatalf("step-up verify: %v", err)
		}
		if stepped.RefreshToken != "" || stepped.SessionID != tokens.SessionID {
			t.Fatalf("step-up tokens = %+v: want an access token of the same session only", stepped)
		}
		after, err := h.as(stepped.AccessToken).WhoAmI(h.ctx())
		if err != nil {
			t.Fatal(err)
		}
		if !after.AuthTime.Equal(h.Clock.Now()) || !after.AuthTime.After(me.AuthTime) {
			t.Fatalf("auth_time after step-up = %v (before %v, now %v)", after.AuthTime, me.AuthTime, h.Clock.Now())
		}
	})
}

func TestTooManyMFAAttemptsGet429WithRetryAfter(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		secret := h.enrolTOTP(admin.AccessToken)
		res, err := h.Client.Login(h.ctx(), "admin", adminPassword)
		if err != nil || res.MFA == nil {
			t.Fatalf("login: %+v, %v", res, err)
		}
		for range 5 {
			_, err := h.Client.VerifyMFA(h.ctx(), res.MFA.MFAToken, client.TOTPProof("000000"))
			wantCode(t, err, client.CodeInvalidMFA)
		}
		body := []byte(`{"mfa_token":"` + res.MFA.MFAToken + `","method":"totp","code":"` + h.code(secret) + `"}`)
		r := h.request(http.MethodPost, "/v1/auth/mfa/verify", "", "application/json", body)
		wantError(t, r, http.StatusTooManyRequests, "too_many_attempts")
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 300 {
			t.Fatalf("Retry-After = %q, want seconds within the 5-minute window", r.Header.Get("Retry-After"))
		}
	})
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, first := h.bootstrapAdmin()

		second, err := h.Client.Refresh(h.ctx(), first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken || second.SessionID != first.SessionID {
			t.Fatalf("refresh did not rotate: %+v", second)
		}
		if _, err := h.as(second.AccessToken).WhoAmI(h.ctx()); err != nil {
			t.Fatalf("refreshed access token refused: %v", err)
		}

		// The first refresh token comes back: reuse. The whole family goes.
		_, err = h.Client.Refresh(h.ctx(), first.RefreshToken)
		wantCode(t, err, client.CodeInvalidGrant)
		_, err = h.Client.Refresh(h.ctx(), second.RefreshToken)
		wantCode(t, err, client.CodeInvalidGrant)
		_, err = h.as(second.AccessToken).WhoAmI(h.ctx())
		wantCode(t, err, client.CodeUnauthorized)

		_, err = h.Client.Refresh(h.ctx(), "prt_unknown")
		wantCode(t, err, client.CodeInvalidGrant)
	})
}

func TestLogoutRefusesTheToken(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, tokens := h.bootstrapAdmin()
		if err := h.as(tokens.AccessToken).Logout(h.ctx()); err != nil {
			t.Fatal(err)
		}
		r := h.request(http.MethodGet, "/v1/auth/whoami", tokens.AccessToken, "", nil)
		wantError(t, r, http.StatusUnauthorized, "unauthorized")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}
		_, err := h.Client.Refresh(h.ctx(), tokens.RefreshToken)
		wantCode(t, err, client.CodeInvalidGrant)
	})
}

func TestRevoke(t *testing.T) {
	eachStore(t, func(t *testing.T, sc store.Config) {
		h := start(t, sc)
		_, admin := h.bootstrapAdmin()
		h.createUser(admin.AccessToken, "dev", "Developer")
		dev := h.login("dev", "dev-password-1")
		devMe, err := h.as(dev.AccessToken).WhoAmI(h.ctx())
		if err != nil {
			t.Fatal(err)
		}

		// A Developer may not revoke the admin's session.
		err = h.as(dev.AccessToken).Revoke(h.ctx(), client.Revocation{SessionID: admin.SessionID})
		wantCode(t, err, client.CodeForbidden)
		// Exactly one of the three.
		r := h.request(http.MethodPost, "/v1/auth/revoke", dev.AccessToken, "application/json", []byte(`{"token_id":"a","user_id":"b"}`))
		wantError(t, r, http.StatusBadRequest, "invalid_request")

		// Revoking one token refuses it and leaves the session.
		if err := h.as(dev.AccessToken).Revoke(h.ctx(), client.Revocation{TokenID: devMe.TokenID}); err != nil {
			t.Fatal(err)
		}
		_, err = h.as(dev.AccessToken).WhoAmI(h.ctx())
		wantCode(t, err, client.CodeUnauthorized)
		fresh, err := h.Client.Refresh(h.ctx(), dev.RefreshToken)
		if err != nil {
			t.Fatalf("the session should survive a token revocation: %v", err)
		}

		// The Admin revokes every token of the developer.
		if err := h.as(admin.AccessToken).Revoke(h.ctx(), client.Revocation{UserID: devMe.User.ID}); err != nil {
			t.Fatal(err)
		}
		_, err = h.as(fresh.AccessToken).WhoAmI(h.ctx())
		wantCode(t, err, client.CodeUnauthorized)
	})
}
