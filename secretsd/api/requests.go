package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/secretsd/identity"
	"github.com/portcullis/portcullis/secretsd/mfa"
)

// The request bodies of API.md. Fields tagged `required:"true"` must be
// present and not empty; decodeJSON checks them, and each check method below
// adds the rules that span fields.

type loginRequest struct {
	Username string `json:"username" required:"true"`
	Password string `json:"password" required:"true"`
}

type proofRequest struct {
	MFAToken   string          `json:"mfa_token" required:"true"`
	Method     string          `json:"method" required:"true"`
	Code       string          `json:"code"`
	BackupCode string          `json:"backup_code"`
	Assertion  json.RawMessage `json:"assertion"`
}

// proof checks that the field of the method is there and no other.
func (p proofRequest) proof() (mfa.Proof, error) {
	out := mfa.Proof{Method: p.Method, Code: p.Code, BackupCode: p.BackupCode}
	if len(p.Assertion) > 0 && string(p.Assertion) != "null" {
		out.Assertion = p.Assertion
	}
	var need string
	switch p.Method {
	case mfa.MethodTOTP:
		need = "code"
		if p.Code == "" {
			break
		}
		if p.BackupCode != "" || out.Assertion != nil {
			return out, onlyField(p.Method, need)
		}
		return out, nil
	case mfa.MethodBackupCode:
		need = "backup_code"
		if p.BackupCode == "" {
			break
		}
		if p.Code != "" || out.Assertion != nil {
			return out, onlyField(p.Method, need)
		}
		return out, nil
	case mfa.MethodWebAuthn:
		need = "assertion"
		if out.Assertion == nil {
			break
		}
		if p.Code != "" || p.BackupCode != "" {
			return out, onlyField(p.Method, need)
		}
		return out, nil
	default:
		return out, newError(http.StatusBadRequest, codeInvalidRequest,
			fmt.Sprintf("field \"method\": %q is not a method (want totp, backup_code or webauthn)", p.Method)).
			with("field", "method")
	}
	return out, newError(http.StatusBadRequest, codeInvalidRequest,
		fmt.Sprintf("missing required field: %s (method %s)", need, p.Method)).with("fields", []string{need})
}

func onlyField(method, field string) error {
	return newError(http.StatusBadRequest, codeInvalidRequest,
		fmt.Sprintf("method %s takes only the field %q", method, field))
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token" required:"true"`
}

type revokeRequest struct {
	TokenID   string `json:"token_id"`
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
}

func (r revokeRequest) check() error {
	n := 0
	for _, v := range []string{r.TokenID, r.SessionID, r.UserID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return newError(http.StatusBadRequest, codeInvalidRequest,
			"give exactly one of token_id, session_id and user_id").
			with("fields", []string{"token_id", "session_id", "user_id"})
	}
	return nil
}

type nameRequest struct {
	Name string `json:"name" required:"true"`
}

type codeRequest struct {
	Code string `json:"code" required:"true"`
}

type webauthnFinishRequest struct {
	Handle   string          `json:"handle" required:"true"`
	Response json.RawMessage `json:"response" required:"true"`
}

type createTokenRequest struct {
	Name   string   `json:"name" required:"true"`
	Scopes []string `json:"scopes"`
	TTL    string   `json:"ttl"`
}

func (c createTokenRequest) toNew() (identity.NewAPIToken, error) {
	out := identity.NewAPIToken{Name: c.Name, Scopes: c.Scopes}
	if c.TTL != "" {
		d, err := time.ParseDuration(c.TTL)
		if err != nil || d <= 0 {
			return out, newError(http.StatusBadRequest, codeInvalidRequest,
				fmt.Sprintf("field \"ttl\": %q is not a positive duration (e.g. \"720h\")", c.TTL)).with("field", "ttl")
		}
		out.TTL = d
	}
	return out, nil
}

type createUserRequest struct {
	Username string   `json:"username" required:"true"`
	Password string   `json:"password" required:"true"`
	Email    string   `json:"email"`
	Role     string   `json:"role" required:"true"`
	Team     string   `json:"team"`
	Groups   []string `json:"groups"`
}

func (c createUserRequest) toNew() identity.NewUser {
	return identity.NewUser{Username: c.Username, Password: c.Password, Email: c.Email,
		Role: identity.Role(c.Role), Team: c.Team, Groups: c.Groups}
}

type updateUserRequest struct {
	Role     *string   `json:"role"`
	Team     *string   `json:"team"`
	Groups   *[]string `json:"groups"`
	Disabled *bool     `json:"disabled"`
	Password *string   `json:"password"`
}

func (u updateUserRequest) toChange() (identity.UserChange, error) {
	ch := identity.UserChange{Team: u.Team, Groups: u.Groups, Disabled: u.Disabled, Password: u.Password}
	if u.Role != nil {
		role := identity.Role(*u.Role)
		ch.Role = &role
	}
	if u.Role == nil && u.Team == nil && u.Groups == nil && u.Disabled == nil && u.Password == nil {
		return ch, newError(http.StatusBadRequest, codeInvalidRequest,
			"nothing to change: give at least one of role, team, groups, disabled, password")
	}
	return ch, nil
}
