package identity_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestLoginWithoutMFAIssuesPasswordTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		dev := e.createUser(t, "Dev.One", identity.RoleDeveloper)
		if dev.Username != "dev.one" || dev.MFAEnabled {
			t.Fatalf("created user %+v: want the normalised username and no MFA", dev)
		}

		tok := e.login(t, "  DEV.ONE ", userPassword)
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || !strings.HasPrefix(tok.RefreshToken, "pcrt_") || tok.SessionID == "" {
			t.Fatalf("tokens %+v: want a Bearer token of 15 minutes, a pcrt_ refresh token and a session", tok)
		}
		p := e.claims(t, tok.AccessToken)
		if p.Subject != dev.ID || p.SessionID != tok.SessionID || p.ClientID != identity.DefaultClientID ||
			p.Role != "Developer" || p.Team != "platform" || !slices.Equal(p.Groups, []string{"oncall"}) {
			t.Errorf("claims %+v do not describe the user and session", p)
		}
		if !slices.Equal(p.AMR, []string{"pwd"}) || p.ACR != identity.ACRPassword || !p.AuthTime.Equal(t0) || !p.Expiry.Equal(t0.Add(15*time.Minute)) {
			t.Errorf("claims amr %v acr %q auth_time %s exp %s: want a password login now", p.AMR, p.ACR, p.AuthTime, p.Expiry)
		}

		a := e.actor(t, tok)
		if a.UserID != dev.ID || a.Role != identity.RoleDeveloper || a.SessionID != tok.SessionID || a.APIToken {
			t.Errorf("actor %+v", a)
		}
		me, err := e.svc.Me(context.Background(), a)
		noErr(t, "Me", err)
		if me.ID != dev.ID {
			t.Errorf("Me = %+v", me)
		}
		if ev := e.audit.find(identity.AuditLogin, identity.OutcomeSuccess); len(ev) < 2 || ev[len(ev)-1].Subject != dev.ID {
			t.Errorf("no audited login of %s: %+v", dev.ID, ev)
		}
	})
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		off := e.createUser(t, "gone", identity.RoleDeveloper)
		disabled := true
		_, err := e.svc.UpdateUser(ctx, e.admin, off.ID, identity.UserChange{Disabled: &disabled})
		noErr(t, "disabling", err)

		var first string
		for _, tc := range []struct{ name, username, password string }{
			{"an unknown user", "nobody", userPassword},
			{"a wrong password", "dev", userPassword + "!"},
			{"a disabled user with the right password", "gone", userPassword},
			{"a malformed username", "not a name!", userPassword},
			{"an empty password", "dev", ""},
		} {
			res, err := e.svc.Login(ctx, tc.username, tc.password, identity.ClientInfo{})
			if !errors.Is(err, identity.ErrInvalidCredentials) || res.Tokens != nil || res.Challenge != nil {
				t.Fatalf("%s: Login = %+v, %v; want ErrInvalidCredentials only", tc.name, res, err)
			}
			if first == "" {
				first = err.Error()
			} else if err.Error() != first {
				t.Errorf("%s: error %q differs from %q", tc.name, err, first)
			}
			if strings.Contains(err.Error(), tc.password) && tc.password != "" {
				t.Errorf("%s: the error repeats the password", tc.name)
			}
		}
		// The right password still works, and no failure audit names a password.
		e.login(t, "dev", userPassword)
		for _, ev := range e.audit.all() {
			for _, v := range ev.Details {
				if s, ok := v.(string); ok && strings.Contains(s, userPassword) {
					t.Errorf("audit event %s carries a password", ev.Action)
				}
			}
		}
		if n := len(e.audit.find(identity.AuditLogin, identity.OutcomeFailure)); n != 5 {
			t.Errorf("%d failed logins audited, want 5", n)
		}
	})
}

func TestLoginWithTOTP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		secret := e.enrollTOTP(t, e.actor(t, e.login(t, "dev", userPassword)), "phone")

		ch := e.challenge(t, "dev", userPassword)
		if !slices.Equal(ch.Methods, []string{mfa.MethodTOTP}) || ch.Token == "" || !ch.ExpiresAt.Equal(e.clock.Now().Add(5*time.Minute)) || ch.WebAuthn != nil {
			t.Fatalf("challenge %+v: want TOTP only, expiring in 5 minutes", ch)
		}
		e.clock.Advance(10 * time.Second)
		tok, err := e.svc.VerifyMFA(ctx, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)}, identity.ClientInfo{})
		noErr(t, "VerifyMFA", err)
		p := e.claims(t, tok.AccessToken)
		if p.ACR != identity.ACRMultiFactor || !p.HasAMR("otp") || !p.HasAMR("pwd") || !p.AuthTime.Equal(e.clock.Now()) {
			t.Errorf("claims amr %v acr %q auth_time %s: want pwd+otp, acr mfa, auth_time now", p.AMR, p.ACR, p.AuthTime)
		}
		if tok.RefreshToken == "" {
			t.Error("no refresh token after MFA")
		}
		me, err := e.svc.Me(ctx, e.actor(t, tok))
		noErr(t, "Me", err)
		if !me.MFAEnabled {
			t.Error("user with a confirmed TOTP device is not MFAEnabled")
		}
		if len(e.audit.find(identity.AuditMFAVerify, identity.OutcomeSuccess)) != 1 {
			t.Error("successful MFA verification not audited")
		}
	})
}

func TestMFAChallenge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		secret := e.enrollTOTP(t, e.actor(t, e.login(t, "dev", userPassword)), "phone")
		totpProof := func() mfa.Proof { return mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)} }

		t.Run("is single use", func(t *testing.T) {
			ch := e.challenge(t, "dev", userPassword)
			_, err := e.svc.VerifyMFA(ctx, ch.Token, totpProof(), identity.ClientInfo{})
			noErr(t, "first VerifyMFA", err)
			e.clock.Advance(30 * time.Second) // a fresh code: only the challenge is spent
			_, err = e.svc.VerifyMFA(ctx, ch.Token, totpProof(), identity.ClientInfo{})
			isErr(t, "second VerifyMFA", err, identity.ErrInvalidChallenge)
		})
		t.Run("expires", func(t *testing.T) {
			ch := e.challenge(t, "dev", userPassword)
			e.clock.Advance(5*time.Minute + time.Second)
			_, err := e.svc.VerifyMFA(ctx, ch.Token, totpProof(), identity.ClientInfo{})
			isErr(t, "VerifyMFA after expiry", err, identity.ErrInvalidChallenge)
		})
		t.Run("unknown token is refused", func(t *testing.T) {
			for _, tok := range []string{"", "nope", strings.Repeat("x", 10000)} {
				_, err := e.svc.VerifyMFA(ctx, tok, totpProof(), identity.ClientInfo{})
				isErr(t, "VerifyMFA", err, identity.ErrInvalidChallenge)
			}
		})
		t.Run("a step-up challenge does not complete a login", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			tok, err := e.svc.VerifyMFA(ctx, e.challenge(t, "dev", userPassword).Token, totpProof(), identity.ClientInfo{})
			noErr(t, "VerifyMFA", err)
			su, err := e.svc.BeginStepUp(ctx, e.actor(t, tok), identity.ClientInfo{})
			noErr(t, "BeginStepUp", err)
			e.clock.Advance(30 * time.Second)
			_, err = e.svc.VerifyMFA(ctx, su.Token, totpProof(), identity.ClientInfo{})
			isErr(t, "VerifyMFA with a step-up challenge", err, identity.ErrInvalidChallenge)
		})
		t.Run("the sixth failed attempt is too many", func(t *testing.T) {
			e.clock.Advance(30 * time.Second)
			ch := e.challenge(t, "dev", userPassword)
			right := e.code(t, secret)
			wrong := "000000"
			if right == wrong {
				wrong = "111111"
			}
			for i := range 5 {
				_, err := e.svc.VerifyMFA(ctx, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: wrong}, identity.ClientInfo{})
				isErr(t, "wrong code "+string(rune('1'+i)), err, mfa.ErrInvalidCode)
			}
			_, err := e.svc.VerifyMFA(ctx, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: right}, identity.ClientInfo{})
			var tma *mfa.TooManyAttempts
			if !errors.As(err, &tma) || tma.RetryAfter <= 0 {
				t.Fatalf("sixth attempt (with the right code) = %v, want *mfa.TooManyAttempts with a retry time", err)
			}
			evs := e.audit.find(identity.AuditMFAVerify, identity.OutcomeFailure)
			if len(evs) == 0 || evs[len(evs)-1].Reason != "too_many_attempts" {
				t.Errorf("too many attempts not audited: %+v", evs)
			}
			// Once the window has passed, the user can complete a login again.
			e.clock.Advance(5 * time.Minute)
			_, err = e.svc.VerifyMFA(ctx, e.challenge(t, "dev", userPassword).Token, totpProof(), identity.ClientInfo{})
			noErr(t, "VerifyMFA after the window", err)
		})
	})
}

func TestBackupCodeCompletesALogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	ctx := context.Background()
	e.createUser(t, "dev", identity.RoleDeveloper)
	a := e.actor(t, e.login(t, "dev", userPassword))
	e.enrollTOTP(t, a, "phone")
	codes, err := e.svc.GenerateBackupCodes(ctx, a)
	noErr(t, "GenerateBackupCodes", err)
	if len(codes) != 10 {
		t.Fatalf("%d backup codes, want 10", len(codes))
	}
	ch := e.challenge(t, "dev", userPassword)
	if !slices.Contains(ch.Methods, mfa.MethodBackupCode) {
		t.Fatalf("methods %v lack backup_code", ch.Methods)
	}
	tok, err := e.svc.VerifyMFA(ctx, ch.Token, mfa.Proof{Method: mfa.MethodBackupCode, BackupCode: codes[0]}, identity.ClientInfo{})
	noErr(t, "VerifyMFA with a backup code", err)
	if p := e.claims(t, tok.AccessToken); p.ACR != identity.ACRMultiFactor || !p.HasAMR("otp") {
		t.Errorf("backup code login: amr %v acr %q", p.AMR, p.ACR)
	}
	_, err = e.svc.VerifyMFA(ctx, e.challenge(t, "dev", userPassword).Token, mfa.Proof{Method: mfa.MethodBackupCode, BackupCode: codes[0]}, identity.ClientInfo{})
	isErr(t, "reusing a backup code", err, mfa.ErrInvalidCode)
}

func TestAdminWithoutFactorLogsInWithPasswordOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	// Admin requires MFA, but the bootstrap admin has none yet: the login
	// must still succeed, with a password-only token, so they can enrol.
	if !slices.Equal(e.admin.AMR, []string{"pwd"}) {
		t.Fatalf("admin amr %v, want [pwd]", e.admin.AMR)
	}
	e.enrollTOTP(t, e.admin, "phone")
	e.challenge(t, adminName, adminPassword)
	// The last factor of an Admin cannot be removed.
	devs, err := e.svc.Devices(context.Background(), e.admin)
	noErr(t, "Devices", err)
	err = e.svc.RemoveDevice(context.Background(), e.admin, devs[0].ID)
	isErr(t, "removing the admin's last factor", err, mfa.ErrLastFactor)
}

func TestLoginRehashesWeakerHashes(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	weak := newEnv(t, st)
	dev := weak.createUser(t, "dev", identity.RoleDeveloper)

	stronger := testArgon2
	stronger.Memory, stronger.Iterations = 128, 2
	strong := newBareEnv(t, st, withArgon2(stronger), sameNode(weak))
	strong.login(t, "dev", userPassword)
	u, err := st.GetUser(context.Background(), dev.ID)
	noErr(t, "GetUser", err)
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Fatalf("hash %q was not remade with the configured parameters", u.PasswordHash[:30])
	}
	strong.login(t, "dev", userPassword)
	weak.login(t, "dev", userPassword)
}
