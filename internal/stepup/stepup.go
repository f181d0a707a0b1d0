// Package stepup decides whether a verified access token shows strong and
// recent enough user authentication for a route, and describes the challenge
// of RFC 9470 (OAuth 2.0 Step Up Authentication Challenge) when it does not.
package stepup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
)

// The authentication context class ladder that secretsd issues in `acr`,
// weakest first. A requirement of "at least" a level accepts it and every
// level after it.
var DefaultACRLevels = []string{
	"urn:portcullis:acr:pwd", // password only
	"urn:portcullis:acr:mfa", // password plus a second factor
	"urn:portcullis:acr:phr", // phishing-resistant (WebAuthn / hardware key)
}

// DefaultMethods are the amr values (RFC 8176 §2) that count as a second factor.
var DefaultMethods = []string{"mfa", "otp", "hwk", "swk", "fido", "webauthn", "sms"}

// Requirement is what a route demands of the token's authentication event.
type Requirement struct {
	// Methods: the token passes the strength check when its amr lists one of them.
	Methods []string
	// MinACR, when set, also lets a token pass the strength check when its acr
	// is this level or a higher one of ACRLevels.
	MinACR string
	// ACRLevels orders the acr values, weakest first.
	ACRLevels []string
	// MaxAge, when positive, bounds how old auth_time may be.
	MaxAge time.Duration
}

// Outcome is why a token passed or failed.
type Outcome string

// The outcomes of Check.
const (
	Satisfied        Outcome = "satisfied"
	MissingMFA       Outcome = "missing_mfa"
	StaleAuth        Outcome = "stale_authentication"
	MissingAuthTime  Outcome = "missing_auth_time"
	MissingPrincipal Outcome = "missing_principal"
)

// Validate reports configuration mistakes.
func (r Requirement) Validate() error {
	if len(r.Methods) == 0 && r.MinACR == "" {
		return fmt.Errorf("no amr method and no acr level would satisfy the requirement")
	}
	if r.MinACR != "" && !slices.Contains(r.ACRLevels, r.MinACR) {
		return fmt.Errorf("acr %q is not one of the levels %s", r.MinACR, strings.Join(r.ACRLevels, " "))
	}
	if r.MaxAge < 0 {
		return fmt.Errorf("max_age must not be negative")
	}
	return nil
}

// Check evaluates p against the requirement at now. A missing principal fails
// closed.
func (r Requirement) Check(p *principal.Principal, now time.Time) Outcome {
	if p == nil {
		return MissingPrincipal
	}
	if !r.strongEnough(p) {
		return MissingMFA
	}
	if r.MaxAge > 0 {
		if p.AuthTime.IsZero() {
			return MissingAuthTime
		}
		// A future auth_time beyond the token's own validity is nonsense; treat
		// any auth_time after now as now (jwt_auth already bounds iat skew).
		if now.Sub(p.AuthTime) > r.MaxAge {
			return StaleAuth
		}
	}
	return Satisfied
}

func (r Requirement) strongEnough(p *principal.Principal) bool {
	if p.HasAMR(r.Methods...) {
		return true
	}
	if r.MinACR == "" || p.ACR == "" {
		return false
	}
	have := slices.Index(r.ACRLevels, p.ACR)
	return have >= 0 && have >= slices.Index(r.ACRLevels, r.MinACR)
}

// AcceptableACRs are the acr values that satisfy the requirement, for the
// challenge's acr_values parameter (RFC 9470 §3).
func (r Requirement) AcceptableACRs() []string {
	if r.MinACR == "" {
		return nil
	}
	return r.ACRLevels[slices.Index(r.ACRLevels, r.MinACR):]
}

// Challenge is the value of the WWW-Authenticate header for a failed check,
// as RFC 9470 §3 lays it out: error, error_description, and acr_values and/or
// max_age telling the client what a new token must show.
func (r Requirement) Challenge(o Outcome) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="`)
	b.WriteString(o.Description())
	b.WriteByte('"')
	if acrs := r.AcceptableACRs(); len(acrs) > 0 {
		b.WriteString(`, acr_values="`)
		b.WriteString(strings.Join(acrs, " "))
		b.WriteByte('"')
	}
	if r.MaxAge > 0 {
		b.WriteString(`, max_age="`)
		b.WriteString(strconv.FormatInt(int64(r.MaxAge/time.Second), 10))
		b.WriteByte('"')
	}
	return b.String()
}

// Description is a human sentence for the outcome; it names no internals.
func (o Outcome) Description() string {
	switch o {
	case MissingMFA:
		return "A different authentication level is required"
	case StaleAuth, MissingAuthTime:
		return "More recent authentication is required"
	case MissingPrincipal:
		return "An authenticated user is required"
	default:
		return "Authentication is sufficient"
	}
}
