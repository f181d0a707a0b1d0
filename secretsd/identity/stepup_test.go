package identity_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/stepup"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

func TestStepUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		e.createUser(t, "dev", identity.RoleDeveloper)
		tok := e.login(t, "dev", userPassword)
		a := e.actor(t, tok)

		_, err := e.svc.BeginStepUp(ctx, a, identity.ClientInfo{})
		isErr(t, "BeginStepUp without a factor", err, mfa.ErrNoFactor)

		otherSession := e.actor(t, e.login(t, "dev", userPassword))
		secret := e.enrollTOTP(t, a, "phone")
		// The password-only token fails the gateway's MFA requirement.
		req := stepup.Requirement{Methods: stepup.DefaultMethods, MinACR: identity.ACRMultiFactor, ACRLevels: stepup.DefaultACRLevels, MaxAge: 5 * time.Minute}
		if got := req.Check(e.claims(t, tok.AccessToken), e.clock.Now()); got != stepup.MissingMFA {
			t.Fatalf("password-only token: %s, want %s", got, stepup.MissingMFA)
		}

		ch, err := e.svc.BeginStepUp(ctx, a, identity.ClientInfo{})
		noErr(t, "BeginStepUp", err)
		if !slices.Equal(ch.Methods, []string{mfa.MethodTOTP}) {
			t.Fatalf("step-up methods %v", ch.Methods)
		}
		// Another session of the same user cannot use this challenge.
		_, err = e.svc.StepUp(ctx, otherSession, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)}, identity.ClientInfo{})
		isErr(t, "StepUp from another session", err, identity.ErrInvalidChallenge)

		e.clock.Advance(20 * time.Second)
		up, err := e.svc.StepUp(ctx, a, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)}, identity.ClientInfo{})
		noErr(t, "StepUp", err)
		if up.RefreshToken != "" || up.SessionID != tok.SessionID {
			t.Errorf("step-up tokens %+v: want an access token of the same session only", up)
		}
		p := e.claims(t, up.AccessToken)
		if !p.AuthTime.Equal(e.clock.Now()) || !p.HasAMR("pwd") || !p.HasAMR("otp") || p.ACR != identity.ACRMultiFactor {
			t.Errorf("stepped-up claims auth_time %s amr %v acr %q", p.AuthTime, p.AMR, p.ACR)
		}
		if got := req.Check(p, e.clock.Now()); got != stepup.Satisfied {
			t.Errorf("stepped-up token: %s, want %s", got, stepup.Satisfied)
		}
		// The challenge is spent; the session remembers the step-up.
		e.clock.Advance(30 * time.Second)
		_, err = e.svc.StepUp(ctx, a, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)}, identity.ClientInfo{})
		isErr(t, "StepUp with a spent challenge", err, identity.ErrInvalidChallenge)
		refreshed, err := e.svc.Refresh(ctx, tok.RefreshToken, identity.ClientInfo{})
		noErr(t, "Refresh", err)
		if rp := e.claims(t, refreshed.AccessToken); !rp.AuthTime.Equal(p.AuthTime) || rp.ACR != identity.ACRMultiFactor {
			t.Errorf("refresh after step-up: auth_time %s acr %q", rp.AuthTime, rp.ACR)
		}
		if len(e.audit.find(identity.AuditStepUp, identity.OutcomeSuccess)) != 1 {
			t.Error("step-up not audited")
		}

		// A revoked session cannot step up.
		ch, err = e.svc.BeginStepUp(ctx, otherSession, identity.ClientInfo{})
		noErr(t, "BeginStepUp", err)
		noErr(t, "Logout", e.svc.Logout(ctx, otherSession))
		_, err = e.svc.StepUp(ctx, otherSession, ch.Token, mfa.Proof{Method: mfa.MethodTOTP, Code: e.code(t, secret)}, identity.ClientInfo{})
		isErr(t, "StepUp in a revoked session", err, identity.ErrUnauthenticated)
	})
}
