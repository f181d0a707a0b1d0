package client

import (
	"context"
	"net/http"
	"net/url"
)

// The user administration of API.md; the bearer must be an Admin.

// ListUsers lists every account.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var res struct {
		Users []User `json:"users"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/users", want: http.StatusOK, out: &res})
	return res.Users, err
}

// CreateUser creates an account; an existing username is a *Error with code conflict.
func (c *Client) CreateUser(ctx context.Context, in NewUser) (User, error) {
	return c.user(ctx, call{method: http.MethodPost, path: "/v1/users", want: http.StatusCreated, body: in})
}

// GetUser returns one account by id.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	return c.user(ctx, call{method: http.MethodGet, path: "/v1/users/" + url.PathEscape(id), want: http.StatusOK})
}

// UpdateUser changes an account; disabling it revokes all its tokens.
func (c *Client) UpdateUser(ctx context.Context, id string, ch UserChange) (User, error) {
	return c.user(ctx, call{method: http.MethodPatch, path: "/v1/users/" + url.PathEscape(id), want: http.StatusOK, body: ch})
}

// ResetMFA removes every second factor of an account.
func (c *Client) ResetMFA(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/users/" + url.PathEscape(id) + "/mfa/reset", want: http.StatusNoContent})
}

func (c *Client) user(ctx context.Context, k call) (User, error) {
	var res struct {
		User User `json:"user"`
	}
	k.out = &res
	err := c.do(ctx, k)
	return res.User, err
}
