package client

import (
	"context"
	"net/http"
	"net/url"
)

// CreateAPIToken creates a long-lived API token for the bearer; its value is
// in the answer only.
func (c *Client) CreateAPIToken(ctx context.Context, in NewAPIToken) (CreatedAPIToken, error) {
	body := struct {
		NewAPIToken
		TTL string `json:"ttl,omitempty"`
	}{NewAPIToken: in}
	if in.TTL > 0 {
		body.TTL = in.TTL.String()
	}
	var res CreatedAPIToken
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/tokens", want: http.StatusCreated, body: body, out: &res})
	return res, err
}

// ListAPITokens lists the bearer's API tokens.
func (c *Client) ListAPITokens(ctx context.Context) ([]APIToken, error) {
	var res struct {
		Tokens []APIToken `json:"tokens"`
	}
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/tokens", want: http.StatusOK, out: &res})
	return res.Tokens, err
}

// RevokeAPIToken revokes one of the bearer's API tokens.
func (c *Client) RevokeAPIToken(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/tokens/" + url.PathEscape(id), want: http.StatusNoContent})
}
