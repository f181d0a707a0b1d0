package identity

import (
	"fmt"
	"slices"
	"strings"
)

// API token scopes. The set is closed: CreateAPIToken refuses any other.
//
//	scope            an API token holding it may
//	---------------  ---------------------------------------------------------------
//	Admin, Operator, act with at most that role: the effective role is the lowest
//	Developer,       of the owner's role and every role scope (never above the
//	Auditor, Viewer  owner's). Without a role scope the token has the owner's role.
//	users:read       list and read users (the effective role must be Admin)
//	users:write      create, change, disable users and reset their MFA (Admin);
//	                 implies users:read
//	tokens:read      list its owner's API tokens
//	tokens:write     create and revoke its owner's API tokens (a token it creates
//	                 never has more than its own scopes); implies tokens:read
//	sessions:revoke  log out, revoke tokens, sessions, users: its owner's, or
//	                 anyone's when the effective role is Admin
//	keys:rotate      rotate the access-token signing key (Admin)
//
// Everything else is refused to API tokens (deny by default): with no action
// scope a token can only tell who it is (Me). Managing second factors and
// step-up need a session, never an API token, whatever its scopes: a token
// that leaked must not be able to enrol the thief's authenticator.
const (
	ScopeUsersRead      = "users:read"
	ScopeUsersWrite     = "users:write"
	ScopeTokensRead     = "tokens:read"
	ScopeTokensWrite    = "tokens:write"
	ScopeSessionsRevoke = "sessions:revoke"
	ScopeKeysRotate     = "keys:rotate"
)

// ActionScopes lists the action scopes, in the order CreateAPIToken stores them.
var ActionScopes = []string{ScopeUsersRead, ScopeUsersWrite, ScopeTokensRead, ScopeTokensWrite, ScopeSessionsRevoke, ScopeKeysRotate}

// maxScopes bounds the scopes of one token (there are only 11 distinct ones).
const maxScopes = 16

// ParseScopes validates, canonicalises (role names spelt as in Roles, action
// scopes lower-case), de-duplicates and orders scopes: roles first by
// privilege, then actions in ActionScopes order. Errors wrap ErrInvalidInput.
func ParseScopes(scopes []string) ([]string, error) {
	if len(scopes) > maxScopes {
		return nil, fmt.Errorf("%w: scopes: at most %d", ErrInvalidInput, maxScopes)
	}
	var roles []Role
	var actions []string
	for _, raw := range scopes {
		s := strings.TrimSpace(raw)
		if r, err := ParseRole(s); err == nil {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
			continue
		}
		a := strings.ToLower(s)
		if !slices.Contains(ActionScopes, a) {
			return nil, fmt.Errorf("%w: scopes: %q is neither a role (%s) nor one of %s",
				ErrInvalidInput, truncate(raw, 32), roleNames(), strings.Join(ActionScopes, ", "))
		}
		if !slices.Contains(actions, a) {
			actions = append(actions, a)
		}
	}
	out := make([]string, 0, len(roles)+len(actions))
	for _, r := range Roles {
		if slices.Contains(roles, r) {
			out = append(out, string(r))
		}
	}
	for _, a := range ActionScopes {
		if slices.Contains(actions, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// effectiveRole is the role an API token acts with: the owner's role lowered
// by each role scope.
func effectiveRole(owner Role, scopes []string) Role {
	r := owner
	for _, s := range scopes {
		if limit := Role(s); limit.Valid() {
			r = r.atMost(limit)
		}
	}
	return r
}

// roleLimit returns the lowest role scope, or "" when there is none.
func roleLimit(scopes []string) Role {
	var limit Role
	for _, s := range scopes {
		if r := Role(s); r.Valid() && (limit == "" || r.rank() < limit.rank()) {
			limit = r
		}
	}
	return limit
}

// action is something an actor asks the service to do.
type action int

const (
	actWhoAmI         action = iota // read one's own account
	actFactors                      // manage one's own second factors
	actStepUp                       // step up one's own session
	actRevokeOwn                    // logout, revoke one's own tokens and sessions
	actRevokeAny                    // revoke anyone's (Admin)
	actTokensRead                   // list one's own API tokens
	actTokensWrite                  // create and revoke one's own API tokens
	actTokensWriteAny               // revoke anyone's API token (Admin)
	actUsersRead                    // list and read users (Admin)
	actUsersWrite                   // create and change users, reset MFA (Admin)
	actKeysRotate                   // rotate the signing key (Admin)
)

// rule says who may do an action: whether it needs the Admin role, whether a
// session is required (no API token at all), and otherwise which scopes let
// an API token do it.
type rule struct {
	admin       bool
	sessionOnly bool
	scopes      []string // any one of them; nil: no API token may
	name        string   // for error messages
}

var rules = map[action]rule{
	actWhoAmI:         {name: "read your account", scopes: []string{}},
	actFactors:        {name: "manage second factors", sessionOnly: true},
	actStepUp:         {name: "step up", sessionOnly: true},
	actRevokeOwn:      {name: "revoke your tokens and sessions", scopes: []string{ScopeSessionsRevoke}},
	actRevokeAny:      {name: "revoke other users' tokens and sessions", admin: true, scopes: []string{ScopeSessionsRevoke}},
	actTokensRead:     {name: "list API tokens", scopes: []string{ScopeTokensRead, ScopeTokensWrite}},
	actTokensWrite:    {name: "create or revoke API tokens", scopes: []string{ScopeTokensWrite}},
	actTokensWriteAny: {name: "revoke other users' API tokens", admin: true, scopes: []string{ScopeTokensWrite}},
	actUsersRead:      {name: "read users", admin: true, scopes: []string{ScopeUsersRead, ScopeUsersWrite}},
	actUsersWrite:     {name: "manage users", admin: true, scopes: []string{ScopeUsersWrite}},
	actKeysRotate:     {name: "rotate signing keys", admin: true, scopes: []string{ScopeKeysRotate}},
}

// authorize decides whether a may do act. Deny by default: an unknown
// action, an actor without a user, or a rule not met is refused.
func authorize(a Actor, act action) error {
	if a.UserID == "" {
		return ErrUnauthenticated
	}
	r, ok := rules[act]
	if !ok {
		return fmt.Errorf("%w: unknown action", ErrForbidden)
	}
	if r.admin && a.Role != RoleAdmin {
		return fmt.Errorf("%w: only an Admin may %s", ErrForbidden, r.name)
	}
	if !a.APIToken {
		if a.SessionID == "" {
			// Neither a session nor an API token: not an actor Authenticate makes.
			return fmt.Errorf("%w: no session", ErrForbidden)
		}
		return nil
	}
	if r.sessionOnly {
		return fmt.Errorf("%w: an API token may not %s; log in", ErrForbidden, r.name)
	}
	if r.scopes == nil {
		return fmt.Errorf("%w: an API token may not %s", ErrForbidden, r.name)
	}
	if len(r.scopes) == 0 {
		return nil
	}
	for _, s := range r.scopes {
		if slices.Contains(a.Scopes, s) {
			return nil
		}
	}
	return fmt.Errorf("%w: this API token may not %s (it needs the scope %s)", ErrForbidden, r.name, strings.Join(r.scopes, " or "))
}

// grantable checks that an actor may give scopes to a new API token: a role
// scope no higher than the actor's role, Admin-only action scopes only for an
// Admin, and, when the actor is itself an API token, only action scopes it
// holds. It returns the scopes the new token gets: an API token that is
// limited to a role passes that limit on.
func grantable(a Actor, scopes []string) ([]string, error) {
	for _, s := range scopes {
		if r := Role(s); r.Valid() {
			if r.rank() > a.Role.rank() {
				return nil, fmt.Errorf("%w: scopes: %s is above your role %s", ErrForbidden, r, a.Role)
			}
			continue
		}
		switch s {
		case ScopeUsersRead, ScopeUsersWrite, ScopeKeysRotate:
			if a.Role != RoleAdmin {
				return nil, fmt.Errorf("%w: scopes: only an Admin may grant %s", ErrForbidden, s)
			}
		}
		if a.APIToken && !slices.Contains(a.Scopes, s) && (s != ScopeTokensRead || !slices.Contains(a.Scopes, ScopeTokensWrite)) {
			return nil, fmt.Errorf("%w: scopes: this API token cannot grant %s, which it does not hold", ErrForbidden, s)
		}
	}
	if a.APIToken {
		if limit := roleLimit(a.Scopes); limit != "" && roleLimit(scopes) == "" {
			return ParseScopes(append(slices.Clone(scopes), string(limit)))
		}
	}
	return scopes, nil
}
