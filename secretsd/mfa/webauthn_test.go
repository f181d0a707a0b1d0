package mfa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/mfa/mfatest"
	"github.com/portcullis/portcullis/secretsd/store"
	"github.com/portcullis/portcullis/secretsd/store/storetest"
)

const (
	rpID     = "localhost"
	rpOrigin = "https://localhost"
)

var rp = virtualwebauthn.RelyingParty{Name: "Portcullis", ID: rpID, Origin: rpOrigin}

// key is a software authenticator holding one credential for one user.
type key struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func newKey(t testing.TB, u mfa.User) *key {
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(u.ID)})
	cred := mfatest.Credential(t)
	auth.AddCredential(cred)
	return &key{auth: auth, cred: cred}
}

// register runs the registration ceremony from the origin of r.
func (e *env) register(t testing.TB, u mfa.User, k *key, r virtualwebauthn.RelyingParty, name string) (mfa.Device, error) {
	t.Helper()
	ctx := context.Background()
	opts, handle, err := e.svc.BeginWebAuthnRegistration(ctx, u, name)
	if err != nil {
		t.Fatalf("BeginWebAuthnRegistration: %v", err)
	}
	parsed, err := virtualwebauthn.ParseAttestationOptions(string(opts))
	if err != nil {
		t.Fatalf("the creation options do not parse: %v\n%s", err, opts)
	}
	if parsed.RelyingPartyID != rpID || parsed.UserID != u.ID || parsed.UserName != u.Username {
		t.Fatalf("creation options for %+v", parsed)
	}
	resp := virtualwebauthn.CreateAttestationResponse(r, k.auth, k.cred, *parsed)
	return e.svc.FinishWebAuthnRegistration(ctx, u, handle, json.RawMessage(resp))
}

// beginLogin starts an assertion ceremony and returns its options and handle.
func (e *env) beginLogin(t testing.TB, u mfa.User) (virtualwebauthn.AssertionOptions, string) {
	t.Helper()
	opts, handle, err := e.svc.BeginWebAuthnLogin(context.Background(), u)
	if err != nil {
		t.Fatalf("BeginWebAuthnLogin: %v", err)
	}
	parsed, err := virtualwebauthn.ParseAssertionOptions(string(opts))
	if err != nil {
		t.Fatalf("the request options do not parse: %v\n%s", err, opts)
	}
	return *parsed, handle
}

// sign has the key answer the options with its counter set to counter.
func (k *key) sign(r virtualwebauthn.RelyingParty, opts virtualwebauthn.AssertionOptions, counter uint32) json.RawMessage {
	c := k.cred
	c.Counter = counter
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(r, k.auth, c, opts))
}

func (e *env) verifyAssertion(u mfa.User, assertion json.RawMessage, handle string) ([]string, error) {
	return e.svc.Verify(context.Background(), u, mfa.Proof{Method: mfa.MethodWebAuthn, Assertion: assertion}, handle)
}

func TestWebAuthnRegisterThenLogin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		e := newEnv(t, st, mfa.Config{})
		k := newKey(t, e.user)
		d, err := e.register(t, e.user, k, rp, "yubikey")
		if err != nil {
			t.Fatalf("registration refused: %v", err)
		}
		if d.Kind != "webauthn" || !d.Confirmed || d.Name != "yubikey" {
			t.Errorf("registered device %+v", d)
		}
		stored, err := st.GetDevice(context.Background(), e.user.ID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored.CredentialID, k.cred.ID) {
			t.Error("the credential id is not stored in clear for lookup")
		}
		if json.Valid(stored.Secret) || bytes.Contains(stored.Secret, k.cred.ID) {
			t.Error("the credential record is not sealed")
		}

		for i, counter := range []uint32{1, 2, 7} {
			opts, handle := e.beginLogin(t, e.user)
			if len(opts.AllowCredentials) != 1 {
				t.Fatalf("allowCredentials %v", opts.AllowCredentials)
			}
			amr, err := e.verifyAssertion(e.user, k.sign(rp, opts, counter), handle)
			if err != nil {
				t.Fatalf("login %d refused: %v", i, err)
			}
			if !slices.Equal(amr, []string{"hwk", "user", "mfa"}) {
				t.Errorf("amr %v, want [hwk user mfa] (the key verified the user)", amr)
			}
		}
		stored, _ = st.GetDevice(context.Background(), e.user.ID, d.ID)
		if stored.SignCount != 7 || stored.LastUsedAt.IsZero() {
			t.Errorf("after logins: sign count %d, last used %v", stored.SignCount, stored.LastUsedAt)
		}
		if m, _ := e.svc.Methods(context.Background(), e.user.ID); !slices.Equal(m, []string{mfa.MethodWebAuthn}) {
			t.Errorf("methods %v", m)
		}
	})
}

func TestWebAuthnWithoutUserVerification(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), mfa.Config{})
	k := newKey(t, e.user)
	k.auth.Options.UserNotVerified = true
	if _, err := e.register(t, e.user, k, rp, ""); err != nil {
		t.Fatal(err)
	}
	opts, handle := e.beginLogin(t, e.user)
	amr, err := e.verifyAssertion(e.user, k.sign(rp, opts, 1), handle)
	if err != nil || !slices.Equal(amr, []string{"hwk", "mfa"}) {
		t.Fatalf("Verify = %v, %v; want [hwk mfa]", amr, err)
	}
}

// A counter-less authenticator (always 0) is accepted: WebAuthn §6.1.1.
func TestWebAuthnZeroCounterAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t), mfa.Config{})
	k := newKey(t, e.user)
	if _, err := e.register(t, e.user, k, rp, ""); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		opts, handle := e.beginLogin(t, e.user)
		if _, err := e.verifyAssertion(e.user, k.sign(rp, opts, 0), handle); err != nil {
			t.Fatalf("zero counter refused: %v", err)
		}
	}
}

func TestWebAuthnRefusals(t *testing.T) {
	t.Parallel()
	evil := virtualwebauthn.RelyingParty{Name: "Portcullis", ID: rpID, Origin: "https://evil.example"}
	cases := []struct {
		name string
		// attack gets a user with a registered key whose counter is at 5, and
		// returns the outcome of its attempt.
		attack func(t *testing.T, e *env, k *key) error
	}{
		{"assertion from a wrong origin is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, k.sign(evil, opts, 6), handle)
			return err
		}},
		{"assertion for a wrong RP ID is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, k.sign(virtualwebauthn.RelyingParty{ID: "evil.example", Origin: rpOrigin}, opts, 6), handle)
			return err
		}},
		{"replayed assertion on the same handle is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			a := k.sign(rp, opts, 6)
			if _, err := e.verifyAssertion(e.user, a, handle); err != nil {
				t.Fatalf("first use refused: %v", err)
			}
			_, err := e.verifyAssertion(e.user, a, handle)
			return err
		}},
		{"replayed assertion on a new handle is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			a := k.sign(rp, opts, 6)
			if _, err := e.verifyAssertion(e.user, a, handle); err != nil {
				t.Fatalf("first use refused: %v", err)
			}
			_, handle2 := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, a, handle2)
			return err
		}},
		{"cloned authenticator (counter going backwards) is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, k.sign(rp, opts, 3), handle)
			return err
		}},
		{"cloned authenticator (counter not moving) is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, k.sign(rp, opts, 5), handle)
			return err
		}},
		{"assertion by another user's credential is refused", func(t *testing.T, e *env, k *key) error {
			other := newUser(t, e.store, false)
			ok := newKey(t, other)
			if _, err := e.register(t, other, ok, rp, ""); err != nil {
				t.Fatal(err)
			}
			opts, handle := e.beginLogin(t, e.user)
			ok.auth.Options.UserHandle = []byte(e.user.ID)
			_, err := e.verifyAssertion(e.user, ok.sign(rp, opts, 9), handle)
			return err
		}},
		{"another user's handle is refused", func(t *testing.T, e *env, k *key) error {
			other := newUser(t, e.store, false)
			ok := newKey(t, other)
			if _, err := e.register(t, other, ok, rp, ""); err != nil {
				t.Fatal(err)
			}
			opts, handle := e.beginLogin(t, other)
			_, err := e.verifyAssertion(e.user, k.sign(rp, opts, 6), handle)
			return err
		}},
		{"expired handle is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			e.clock.Advance(5*time.Minute + time.Second)
			_, err := e.verifyAssertion(e.user, k.sign(rp, opts, 6), handle)
			return err
		}},
		{"registration handle is refused for login", func(t *testing.T, e *env, k *key) error {
			_, regHandle, err := e.svc.BeginWebAuthnRegistration(context.Background(), e.user, "spare")
			if err != nil {
				t.Fatal(err)
			}
			opts, _ := e.beginLogin(t, e.user)
			_, err = e.verifyAssertion(e.user, k.sign(rp, opts, 6), regHandle)
			return err
		}},
		{"tampered signature is refused", func(t *testing.T, e *env, k *key) error {
			opts, handle := e.beginLogin(t, e.user)
			var a map[string]any
			json.Unmarshal(k.sign(rp, opts, 6), &a)
			resp := a["response"].(map[string]any)
			sig := []byte(resp["signature"].(string))
			sig[len(sig)/2] ^= 1
			resp["signature"] = string(sig)
			b, _ := json.Marshal(a)
			_, err := e.verifyAssertion(e.user, b, handle)
			return err
		}},
		{"malformed assertion is refused", func(t *testing.T, e *env, k *key) error {
			_, handle := e.beginLogin(t, e.user)
			_, err := e.verifyAssertion(e.user, json.RawMessage(`{"id":"x","type":"public-key"}`), handle)
			return err
		}},
	}
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, st, mfa.Config{MaxAttempts: 100})
				k := newKey(t, e.user)
				d, err := e.register(t, e.user, k, rp, "key")
				if err != nil {
					t.Fatal(err)
				}
				opts, handle := e.beginLogin(t, e.user)
				if _, err := e.verifyAssertion(e.user, k.sign(rp, opts, 5), handle); err != nil {
					t.Fatalf("setup login refused: %v", err)
				}
				before, _ := st.GetDevice(context.Background(), e.user.ID, d.ID)
				wantErr(t, tc.attack(t, e, k), mfa.ErrInvalidCode)
				after, _ := st.GetDevice(context.Background(), e.user.ID, d.ID)
				if after.SignCount < before.SignCount {
					t.Errorf("sign count moved back from %d to %d", before.SignCount, after.SignCount)
				}
			})
		}
	})
}

func TestWebAuthnRegistrationRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, st, mfa.Config{})

		k := newKey(t, e.user)
		_, err := e.register(t, e.user, k, virtualwebauthn.RelyingParty{ID: rpID, Origin: "https://evil.example"}, "")
		wantErr(t, err, mfa.ErrInvalidCode)

		opts, handle, err := e.svc.BeginWebAuthnRegistration(ctx, e.user, "")
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ := virtualwebauthn.ParseAttestationOptions(string(opts))
		resp := json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, k.auth, k.cred, *parsed))
		other := newUser(t, st, false)
		_, err = e.svc.FinishWebAuthnRegistration(ctx, other, handle, resp)
		wantErr(t, err, mfa.ErrInvalidCode)
		if _, err := e.svc.FinishWebAuthnRegistration(ctx, e.user, handle, resp); err != nil {
			t.Fatalf("the owner's finish refused after another user tried its handle: %v", err)
		}
		_, err = e.svc.FinishWebAuthnRegistration(ctx, e.user, handle, resp)
		wantErr(t, err, mfa.ErrInvalidCode)

		// The registered credential is excluded from the next registration.
		opts, _, err = e.svc.BeginWebAuthnRegistration(ctx, e.user, "")
		if err != nil {
			t.Fatal(err)
		}
		parsed, _ = virtualwebauthn.ParseAttestationOptions(string(opts))
		if !k.cred.IsExcludedForAttestation(*parsed) {
			t.Error("the registered credential is not in excludeCredentials")
		}

		_, _, err = e.svc.BeginWebAuthnRegistration(ctx, e.user, "Security key")
		wantErr(t, err, mfa.ErrNameTaken)
		wantErr(t, err, store.ErrConflict)
		_, _, err = e.svc.BeginWebAuthnLogin(ctx, other)
		wantErr(t, err, mfa.ErrNoFactor)
	})
}
