package identity_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/mfa/mfatest"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

var rp = virtualwebauthn.RelyingParty{Name: "Portcullis", ID: "localhost", Origin: "https://localhost"}

// A login completed with a WebAuthn authenticator is phishing-resistant.
func TestLoginWithWebAuthn(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st)
		ctx := context.Background()
		dev := e.createUser(t, "dev", identity.RoleDeveloper)
		a := e.actor(t, e.login(t, "dev", userPassword))

		auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(dev.ID)})
		cred := mfatest.Credential(t)
		auth.AddCredential(cred)
		opts, handle, err := e.svc.BeginWebAuthnRegistration(ctx, a, "yubikey")
		noErr(t, "BeginWebAuthnRegistration", err)
		parsed, err := virtualwebauthn.ParseAttestationOptions(string(opts))
		noErr(t, "parsing creation options", err)
		_, err = e.svc.FinishWebAuthnRegistration(ctx, a, handle, json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *parsed)))
		noErr(t, "FinishWebAuthnRegistration", err)

		ch := e.challenge(t, "dev", userPassword)
		if !slices.Contains(ch.Methods, mfa.MethodWebAuthn) || len(ch.WebAuthn) == 0 {
			t.Fatalf("challenge %+v: want WebAuthn with request options", ch)
		}
		req, err := virtualwebauthn.ParseAssertionOptions(string(ch.WebAuthn))
		noErr(t, "parsing request options", err)
		cred.Counter = 1
		assertion := json.RawMessage(virtualwebauthn.CreateAssertionResponse(rp, auth, cred, *req))
		tok, err := e.svc.VerifyMFA(ctx, ch.Token, mfa.Proof{Method: mfa.MethodWebAuthn, Assertion: assertion}, identity.ClientInfo{})
		noErr(t, "VerifyMFA with an assertion", err)
		if p := e.claims(t, tok.AccessToken); p.ACR != identity.ACRPhishingResistant || !p.HasAMR("hwk") || !p.HasAMR("pwd") {
			t.Errorf("WebAuthn login: amr %v acr %q", p.AMR, p.ACR)
		}

		// The same assertion cannot complete another login.
		ch2 := e.challenge(t, "dev", userPassword)
		_, err = e.svc.VerifyMFA(ctx, ch2.Token, mfa.Proof{Method: mfa.MethodWebAuthn, Assertion: assertion}, identity.ClientInfo{})
		isErr(t, "replaying an assertion", err, mfa.ErrInvalidCode)
	})
}
