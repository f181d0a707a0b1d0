// Package mfastepup is the `mfa_stepup` Caddy handler: on the routes it is
// placed on (Caddy matchers), it demands that the access token verified by
// jwt_auth shows multi-factor authentication (amr lists an allowed method, or
// acr is at least a level) no older than max_age. Otherwise it answers with the
// RFC 9470 step-up challenge:
//
//	401 Unauthorized
//	WWW-Authenticate: Bearer realm="portcullis", error="insufficient_user_authentication",
//	    error_description="...", acr_values="...", max_age="900"
//
// and a JSON body naming where to step up.
//
// Caddyfile:
//
//	mfa_stepup [<matcher>] {
//	    methods     otp hwk webauthn        # amr values that count (default: mfa otp hwk swk fido webauthn sms)
//	    acr         urn:portcullis:acr:mfa  # or a minimum acr level (optional)
//	    acr_levels  <weakest> ... <strongest>
//	    max_age     15m                     # default 15m; 0 disables the recency check
//	    step_up_url https://id.example.com/v1/auth/step-up
//	}
package mfastepup

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/httperr"
	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/stepup"
)

func init() {
	caddy.RegisterModule(MFAStepUp{})
}

// DefaultMaxAge is how recent the authentication must be when max_age is not set.
const DefaultMaxAge = 15 * time.Minute

// MFAStepUp requires a strong and recent authentication event.
type MFAStepUp struct {
	// Methods are the amr values (RFC 8176) that count as multi-factor.
	// Default: mfa, otp, hwk, swk, fido, webauthn, sms.
	Methods []string `json:"methods,omitempty"`

	// ACR, when set, also accepts tokens whose acr is this level or a stronger
	// one of ACRLevels, and is announced in the challenge's acr_values.
	ACR string `json:"acr,omitempty"`

	// ACRLevels orders acr values from weakest to strongest. Default:
	// urn:portcullis:acr:pwd, urn:portcullis:acr:mfa, urn:portcullis:acr:phr.
	ACRLevels []string `json:"acr_levels,omitempty"`

	// MaxAge bounds the age of auth_time. Default: 15m. A negative value (the
	// Caddyfile's `max_age 0`) disables the recency check.
	MaxAge caddy.Duration `json:"max_age,omitempty"`

	// StepUpURL tells the client where to authenticate again; it is returned
	// in the JSON body. Default: none.
	StepUpURL string `json:"step_up_url,omitempty"`

	req   stepup.Requirement
	clock clock.Clock
}

// CaddyModule returns the Caddy module information.
func (MFAStepUp) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.mfa_stepup",
		New: func() caddy.Module { return new(MFAStepUp) },
	}
}

// Provision builds the requirement from the configuration.
func (m *MFAStepUp) Provision(caddy.Context) error {
	m.req = m.requirement()
	if m.clock == nil {
		m.clock = clock.System
	}
	return nil
}

func (m *MFAStepUp) requirement() stepup.Requirement {
	r := stepup.Requirement{Methods: m.Methods, MinACR: m.ACR, ACRLevels: m.ACRLevels}
	if len(r.Methods) == 0 {
		r.Methods = stepup.DefaultMethods
	}
	if len(r.ACRLevels) == 0 {
		r.ACRLevels = stepup.DefaultACRLevels
	}
	switch {
	case m.MaxAge == 0:
		r.MaxAge = DefaultMaxAge
	case m.MaxAge > 0:
		r.MaxAge = time.Duration(m.MaxAge)
	}
	return r
}

// Validate checks the configuration.
func (m *MFAStepUp) Validate() error {
	if err := m.requirement().Validate(); err != nil {
		return fmt.Errorf("mfa_stepup: %w", err)
	}
	return nil
}

// ServeHTTP passes the request on only when the token shows a strong and
// recent enough authentication.
func (m *MFAStepUp) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	p, _ := principal.FromContext(r.Context())
	outcome := m.req.Check(p, m.clock.Now())
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("http.portcullis.mfa.result", string(outcome))
	}
	if rep := auditreport.FromContext(r.Context()); rep != nil {
		rep.StepUp = &auditreport.StepUp{Required: true, Satisfied: outcome == stepup.Satisfied, Outcome: string(outcome)}
		switch outcome {
		case stepup.Satisfied:
		case stepup.MissingPrincipal:
			rep.Deny("mfa_stepup", auditreport.ReasonUnauthenticated)
		default:
			rep.Deny("mfa_stepup", auditreport.ReasonStepUpRequired)
		}
	}
	switch outcome {
	case stepup.Satisfied:
		return next.ServeHTTP(w, r)
	case stepup.MissingPrincipal:
		// jwt_auth did not run before us: a configuration error, and never a pass.
		w.Header().Set("WWW-Authenticate", `Bearer realm="portcullis"`)
		return httperr.Write(w, httperr.New(http.StatusUnauthorized, "unauthenticated", "an authenticated user is required"))
	}
	w.Header().Set("WWW-Authenticate", m.req.Challenge(outcome))
	details := map[string]any{"reason": string(outcome)}
	if m.StepUpURL != "" {
		details["step_up_url"] = m.StepUpURL
	}
	if acrs := m.req.AcceptableACRs(); len(acrs) > 0 {
		details["acr_values"] = acrs
	}
	if m.req.MaxAge > 0 {
		details["max_age"] = strconv.FormatInt(int64(m.req.MaxAge/time.Second), 10)
	}
	return httperr.Write(w, httperr.Body{
		Status:  http.StatusUnauthorized,
		Code:    "insufficient_user_authentication",
		Message: outcome.Description(),
		Details: details,
	})
}

var (
	_ caddy.Provisioner           = (*MFAStepUp)(nil)
	_ caddy.Validator             = (*MFAStepUp)(nil)
	_ caddyhttp.MiddlewareHandler = (*MFAStepUp)(nil)
)
