package identity_test

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/mfa"
	"github.com/portcullis/portcullis/secretsd/signing"
	"github.com/portcullis/portcullis/secretsd/store"
)

// t0 is the manual clock's start: a whole second (iat has whole seconds)
// at the start of a TOTP step.
var t0 = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// testArgon2 keeps the tests fast; production uses identity.DefaultArgon2.
var testArgon2 = identity.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

const (
	issuer        = "https://secretsd.test"
	adminName     = "root"
	adminPassword = "root password, long enough"
	userPassword  = "a developer's password"
)

// env is one secretsd node's identity service over real parts: a store,
// the signing keyring, the MFA service, a manual clock, and an auditor that
// records (and can be made to fail).
type env struct {
	svc    *identity.Service
	store  store.Store
	clock  *clock.Manual
	keys   *signing.Keyring
	mfa    *mfa.Service
	audit  *recorder
	pub    *fakePublisher
	sealer kek.Sealer
	admin  identity.Actor
}

type envOption func(*envConfig)

type envConfig struct {
	algorithm string
	argon2    identity.Argon2Params
	publisher revocation.Publisher
	clock     *clock.Manual
	sealer    kek.Sealer
}

func withAlgorithm(alg string) envOption { return func(c *envConfig) { c.algorithm = alg } }
func withArgon2(p identity.Argon2Params) envOption {
	return func(c *envConfig) { c.argon2 = p }
}

// sameNode shares another env's sealer and clock: a second secretsd node on
// the same store.
func sameNode(other *env) envOption {
	return func(c *envConfig) { c.sealer, c.clock = other.sealer, other.clock }
}
func withPublisher(p revocation.Publisher) envOption {
	return func(c *envConfig) { c.publisher = p }
}

// newBareEnv builds the service on st without any user.
func newBareEnv(t testing.TB, st store.Store, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{algorithm: signing.ES256, argon2: testArgon2}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = clock.NewManual(t0)
	}
	if cfg.sealer == nil {
		key := make([]byte, kek.LocalKeySize)
		rand.Read(key)
		s, err := kek.NewLocal(key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.sealer = s
	}
	ctx := context.Background()
	keys, err := signing.New(ctx, signing.Config{Algorithm: cfg.algorithm}, st, cfg.sealer, cfg.clock)
	if err != nil {
		t.Fatalf("signing.New: %v", err)
	}
	m, err := mfa.New(mfa.Config{RPID: "localhost", RPOrigins: []string{"https://localhost"}}, st, cfg.sealer, cfg.clock, zerolog.Nop())
	if err != nil {
		t.Fatalf("mfa.New: %v", err)
	}
	e := &env{store: st, clock: cfg.clock, keys: keys, mfa: m, audit: &recorder{}, sealer: cfg.sealer}
	pub := cfg.publisher
	if pub == nil {
		e.pub = &fakePublisher{}
		pub = e.pub
	}
	e.svc, err = identity.New(identity.Config{Issuer: issuer, Argon2: cfg.argon2}, identity.Deps{
		Store: st, Keys: keys, MFA: m, Revocations: pub, Audit: e.audit, Clock: cfg.clock, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	return e
}

// newEnv is newBareEnv with the first admin bootstrapped and logged in.
func newEnv(t testing.TB, st store.Store, opts ...envOption) *env {
	t.Helper()
	e := newBareEnv(t, st, opts...)
	if _, err := e.svc.Bootstrap(context.Background(), adminName, adminPassword); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	e.admin = e.actor(t, e.login(t, adminName, adminPassword))
	return e
}

// createUser makes an account through the admin and returns it.
func (e *env) createUser(t testing.TB, username string, role identity.Role) identity.User {
	t.Helper()
	u, err := e.svc.CreateUser(context.Background(), e.admin, identity.NewUser{
		Username: username, Password: userPassword, Role: role, Team: "platform", Groups: []string{"oncall"},
	})
	if err != nil {
		t.Fatalf("CreateUser %s: %v", username, err)
	}
	return u
}

// login logs in with a password and expects tokens (no second factor).
func (e *env) login(t testing.TB, username, password string) identity.Tokens {
	t.Helper()
	res, err := e.svc.Login(context.Background(), username, password, identity.ClientInfo{IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("Login %s: %v", username, err)
	}
	if res.Tokens == nil {
		t.Fatalf("Login %s: got a challenge, want tokens", username)
	}
	return *res.Tokens
}

// challenge logs in with a password and expects an MFA challenge.
func (e *env) challenge(t testing.TB, username, password string) identity.Challenge {
	t.Helper()
	res, err := e.svc.Login(context.Background(), username, password, identity.ClientInfo{})
	if err != nil {
		t.Fatalf("Login %s: %v", username, err)
	}
	if res.Challenge == nil {
		t.Fatalf("Login %s: got tokens, want a challenge", username)
	}
	return *res.Challenge
}

// actor authenticates tokens' access token.
func (e *env) actor(t testing.TB, tok identity.Tokens) identity.Actor {
	t.Helper()
	a, err := e.svc.Authenticate(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return a
}

// claims verifies an access token and returns what the gateway would see.
func (e *env) claims(t testing.TB, accessToken string) *principal.Principal {
	t.Helper()
	p, err := e.keys.Verify(accessToken, issuer, identity.DefaultAudience)
	if err != nil {
		t.Fatalf("verifying an access token: %v", err)
	}
	return p
}

// enrollTOTP adds and confirms a TOTP device for the actor and returns its
// secret. The clock then moves to the next step, so that the next code is a
// fresh one (a code is accepted once).
func (e *env) enrollTOTP(t testing.TB, a identity.Actor, name string) string {
	t.Helper()
	ctx := context.Background()
	en, err := e.svc.EnrollTOTP(ctx, a, name)
	if err != nil {
		t.Fatalf("EnrollTOTP: %v", err)
	}
	if !strings.HasPrefix(en.URI, "otpauth://totp/") || len(en.QRPNG) == 0 {
		t.Fatalf("enrolment without URI or QR code: %q", en.URI)
	}
	if _, err := e.svc.ConfirmTOTP(ctx, a, en.Device.ID, e.code(t, en.Secret)); err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	return en.Secret
}

// code is the TOTP code of secret at the manual clock's time, generated
// independently of package mfa.
func (e *env) code(t testing.TB, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextSecond moves the clock on by a second: a user revocation refuses every
// token issued in its second (iat has whole seconds), so a test that logs in
// again after one must let a second pass, as a person would.
func (e *env) nextSecond() { e.clock.Advance(time.Second) }

// recorder is an Auditor that keeps events, and fails when told to.
type recorder struct {
	mu      sync.Mutex
	events  []identity.Event
	fail    atomic.Bool
	discard atomic.Bool // benchmarks keep nothing
}

func (r *recorder) Record(_ context.Context, e identity.Event) error {
	if r.fail.Load() {
		return errors.New("audit store down")
	}
	if r.discard.Load() {
		return nil
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return nil
}

// find returns the events of an action with an outcome.
func (r *recorder) find(action, outcome string) []identity.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []identity.Event
	for _, e := range r.events {
		if e.Action == action && e.Outcome == outcome {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) all() []identity.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// fakePublisher records what would go to Redis, and fails when told to.
type fakePublisher struct {
	mu      sync.Mutex
	entries []revocation.Entry
	fail    atomic.Bool
}

func (p *fakePublisher) add(e revocation.Entry) error {
	if p.fail.Load() {
		return errors.New("redis down")
	}
	p.mu.Lock()
	p.entries = append(p.entries, e)
	p.mu.Unlock()
	return nil
}

func (p *fakePublisher) RevokeToken(_ context.Context, jti string, until time.Time) error {
	return p.add(revocation.Entry{Kind: revocation.KindToken, ID: jti, Until: until})
}

func (p *fakePublisher) RevokeSession(_ context.Context, sid string, until time.Time) error {
	return p.add(revocation.Entry{Kind: revocation.KindSession, ID: sid, Until: until})
}

func (p *fakePublisher) RevokeUser(_ context.Context, sub string, before, until time.Time) error {
	return p.add(revocation.Entry{Kind: revocation.KindUser, ID: sub, Before: before, Until: until})
}

func (p *fakePublisher) has(kind revocation.Kind, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.entries, func(e revocation.Entry) bool { return e.Kind == kind && e.ID == id })
}

// isErr fails the test unless err wraps want.
func isErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// noErr fails the test on an error.
func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
