package mfa

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/rs/zerolog"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/kek"
	"github.com/portcullis/portcullis/secretsd/store"
)

// Defaults of Config.
const (
	DefaultIssuer        = "Portcullis"
	DefaultSkew          = 1
	DefaultMaxAttempts   = 5
	DefaultAttemptWindow = 5 * time.Minute
	DefaultRPID          = "localhost"
)

// maxSkew bounds Config.Skew: every step of the window is a code an
// attacker may hit, and 10 steps is already five minutes each way.
const maxSkew = 10

// ceremonyTTL is how long a WebAuthn ceremony's server state lives: the
// options we send ask the browser for the same timeout.
const ceremonyTTL = 5 * time.Minute

// The amr values (RFC 8176 §2) each method establishes. Every list holds
// "mfa" so that the gateway's mfa_stepup (internal/stepup.DefaultMethods)
// accepts a token carrying any of them.
//
// A backup code is "otp", like TOTP: RFC 8176 defines "otp" as a one-time
// password, which a single-use, server-generated code is. "kba"
// (knowledge-based authentication) means answers the user knows, such as
// security questions; a printed code is something the user has, so calling
// it "kba" would mislead a policy that weighs factors.
//
// WebAuthn is "hwk" (proof of possession of a hardware-secured key), plus
// "user" when the authenticator reports user verification (PIN or
// biometric): a touch alone proves presence, not who is touching.
func amrTOTP() []string       { return []string{"otp", "mfa"} }
func amrBackupCode() []string { return []string{"otp", "mfa"} }
func amrWebAuthn(flags protocol.AuthenticatorFlags) []string {
	if flags.UserVerified() {
		return []string{"hwk", "user", "mfa"}
	}
	return []string{"hwk", "mfa"}
}

// New returns a Service.
func New(cfg Config, st store.Store, sealer kek.Sealer, clk clock.Clock, log zerolog.Logger) (*Service, error) {
	if st == nil || sealer == nil {
		return nil, errors.New("mfa: a store and a sealer are required")
	}
	if clk == nil {
		clk = clock.System
	}
	cfg = withDefaults(cfg)
	if cfg.Skew > maxSkew {
		return nil, fmt.Errorf("mfa: a TOTP skew of %d steps accepts codes %s old; at most %d", cfg.Skew, time.Duration(cfg.Skew)*totpPeriod*time.Second, maxSkew)
	}
	if cfg.MaxAttempts < 1 || cfg.AttemptWindow <= 0 {
		return nil, fmt.Errorf("mfa: max attempts (%d) and attempt window (%s) must be positive", cfg.MaxAttempts, cfg.AttemptWindow)
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPDisplayName,
		RPOrigins:     cfg.RPOrigins,
		// No attestation: we trust the key the user registers, not its maker;
		// asking for attestation only adds a privacy prompt.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementDiscouraged,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: ceremonyTTL, TimeoutUVD: ceremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: webauthn relying party %q: %w", cfg.RPID, err)
	}
	s := &Service{
		cfg:      cfg,
		store:    st,
		sealer:   sealer,
		clock:    clk,
		log:      log.With().Str("component", "mfa").Logger(),
		webauthn: wa,
	}
	if cfg.Redis != nil {
		s.attempts = newRedisAttempts(cfg.Redis, cfg.MaxAttempts, cfg.AttemptWindow)
	} else {
		s.attempts = newMemoryAttempts(clk, cfg.MaxAttempts, cfg.AttemptWindow)
	}
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Skew == 0 {
		cfg.Skew = DefaultSkew
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.AttemptWindow == 0 {
		cfg.AttemptWindow = DefaultAttemptWindow
	}
	if cfg.RPID == "" {
		cfg.RPID = DefaultRPID
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = cfg.Issuer
	}
	if len(cfg.RPOrigins) == 0 {
		cfg.RPOrigins = []string{"https://" + cfg.RPID}
	}
	return cfg
}

// Verify checks a proof against the user's factors, counting failures:
// ErrTooManyAttempts (*TooManyAttempts) once over the limit, even for a right
// code. handle is the one BeginWebAuthnLogin returned (WebAuthn only). It
// returns the amr values the proof establishes.
//
// An attempt is counted before the proof is checked and given back when it
// succeeds or could not be a guess (no factor of that kind, a store error):
// so concurrent guesses on several nodes never get more than MaxAttempts
// wrong answers checked per window.
func (s *Service) Verify(ctx context.Context, u User, p Proof, handle string) (amr []string, err error) {
	if u.ID == "" {
		return nil, errors.New("mfa: verify: empty user id")
	}
	method, err := proofMethod(p)
	if err != nil {
		return nil, err
	}
	if err := s.attempts.acquire(ctx, u.ID); err != nil {
		var tma *TooManyAttempts
		if errors.As(err, &tma) {
			s.log.Warn().Str("user_id", u.ID).Str("method", method).Dur("retry_after", tma.RetryAfter).
				Msg("second factor refused: too many failed attempts")
		} else {
			s.log.Error().Err(err).Str("user_id", u.ID).Msg("second-factor attempt counter unavailable")
		}
		return nil, err
	}
	switch method {
	case MethodTOTP:
		amr, err = s.verifyTOTP(ctx, u, p.Code)
	case MethodBackupCode:
		amr, err = s.verifyBackupCode(ctx, u, p.BackupCode)
	case MethodWebAuthn:
		amr, err = s.verifyWebAuthn(ctx, u, p.Assertion, handle)
	}
	if err == nil || !errors.Is(err, ErrInvalidCode) {
		s.attempts.refund(ctx, u.ID, s.log)
	}
	ev := s.log.Info()
	if err != nil {
		ev = s.log.Warn().Err(err)
	}
	ev.Str("user_id", u.ID).Str("method", method).Bool("ok", err == nil).Msg("second factor verification")
	return amr, err
}

// proofMethod is the method of a proof: Method when set, else the one field
// that is filled. A proof whose fields contradict its method is invalid.
func proofMethod(p Proof) (string, error) {
	has := map[string]bool{
		MethodTOTP:       p.Code != "",
		MethodBackupCode: p.BackupCode != "",
		MethodWebAuthn:   len(p.Assertion) != 0,
	}
	n := 0
	for _, set := range has {
		if set {
			n++
		}
	}
	method := p.Method
	if method == "" && n == 1 {
		for m, set := range has {
			if set {
				method = m
			}
		}
	}
	switch method {
	case MethodTOTP, MethodBackupCode, MethodWebAuthn:
	default:
		return "", fmt.Errorf("mfa: unknown method %q (want %q, %q or %q): %w", method, MethodTOTP, MethodWebAuthn, MethodBackupCode, ErrInvalidCode)
	}
	if n != 1 || !has[method] {
		return "", fmt.Errorf("mfa: a %s proof must carry exactly its own field: %w", method, ErrInvalidCode)
	}
	return method, nil
}

// newID returns a random identifier (128 bits, base32).
func newID() string { return rand.Text() }

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

func checkUser(u User) error {
	if u.ID == "" {
		return errors.New("mfa: empty user id")
	}
	return nil
}
