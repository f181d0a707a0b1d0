package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Login checks a username and password: tokens, or an MFA challenge to
// complete with VerifyMFA. A wrong password is a *Error with code
// invalid_credentials.
func (c *Client) Login(ctx context.Context, username, password string) (LoginResult, error) {
	var res LoginResult
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/auth/login", want: http.StatusOK,
		body: map[string]string{"username": username, "password": password}, out: &res})
	if err != nil {
		return LoginResult{}, err
	}
	if (res.Tokens == nil) == (res.MFA == nil) {
		return LoginResult{}, errors.New("POST /v1/auth/login: the answer holds neither tokens nor a challenge, or both")
	}
	return res, nil
}

// VerifyMFA completes a login challenge.
func (c *Client) VerifyMFA(ctx context.Context, mfaToken string, p Proof) (Tokens, error) {
	return c.tokens(ctx, "/v1/auth/mfa/verify", proofBody(mfaToken, p))
}

// Refresh exchanges a refresh token for new tokens (with a new refresh
// token: the old one is spent). An unknown, expired, revoked or reused one
// is a *Error with code invalid_grant.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	return c.tokens(ctx, "/v1/auth/refresh", map[string]string{"refresh_token": refreshToken})
}

// Logout revokes the session of the bearer token.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/auth/logout", want: http.StatusNoContent})
}

// StepUp starts a step-up for the bearer's session.
func (c *Client) StepUp(ctx context.Context) (Challenge, error) {
	var res struct {
		MFA *Challenge `json:"mfa"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/auth/step-up", want: http.StatusOK, out: &res})
	if err != nil {
		return Challenge{}, err
	}
	if res.MFA == nil {
		return Challenge{}, errors.New("POST /v1/auth/step-up: the answer holds no challenge")
	}
	return *res.MFA, nil
}

// StepUpVerify completes a step-up: a new access token with fresh auth_time
// and amr, and no refresh token.
func (c *Client) StepUpVerify(ctx context.Context, mfaToken string, p Proof) (Tokens, error) {
	return c.tokens(ctx, "/v1/auth/step-up/verify", proofBody(mfaToken, p))
}

// WhoAmI describes the bearer.
func (c *Client) WhoAmI(ctx context.Context) (WhoAmI, error) {
	var res WhoAmI
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/auth/whoami", want: http.StatusOK, out: &res})
	return res, err
}

// Revoke revokes a token, a session or every token of a user.
func (c *Client) Revoke(ctx context.Context, r Revocation) error {
	n := 0
	for _, v := range []string{r.TokenID, r.SessionID, r.UserID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("revoke: name exactly one of a token id, a session id and a user id (got %d)", n)
	}
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/auth/revoke", want: http.StatusNoContent, body: r})
}

func (c *Client) tokens(ctx context.Context, path string, body any) (Tokens, error) {
	var res struct {
		Tokens *Tokens `json:"tokens"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: path, want: http.StatusOK, body: body, out: &res})
	if err != nil {
		return Tokens{}, err
	}
	if res.Tokens == nil || res.Tokens.AccessToken == "" {
		return Tokens{}, fmt.Errorf("POST %s: the answer holds no access token", path)
	}
	return *res.Tokens, nil
}

func proofBody(mfaToken string, p Proof) any {
	return struct {
		MFAToken string `json:"mfa_token"`
		Proof
	}{mfaToken, p}
}
