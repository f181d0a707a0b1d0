package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxRevocationWait is the longest long poll the server accepts.
const MaxRevocationWait = 30 * time.Second

// RotateKeys makes secretsd sign with a new key now (Admin); it returns the
// new key id. The old public key stays in the JWKS until its tokens expire.
func (c *Client) RotateKeys(ctx context.Context) (string, error) {
	var res struct {
		KID string `json:"kid"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/keys/rotate", want: http.StatusOK, out: &res})
	return res.KID, err
}

// JWKS returns the published key set, as served (parse it with jwx).
func (c *Client) JWKS(ctx context.Context) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, call{method: http.MethodGet, path: "/.well-known/jwks.json", want: http.StatusOK, out: &raw})
	return raw, err
}

// Revocations reads the revocation feed after cursor, waiting up to wait
// (at most MaxRevocationWait) for an entry to appear. after=0 returns every
// entry still in force. With a feed token configured on the server, call it
// on WithBearer(feedToken).
func (c *Client) Revocations(ctx context.Context, after int64, wait time.Duration) (RevocationBatch, error) {
	if wait < 0 || wait > MaxRevocationWait {
		return RevocationBatch{}, fmt.Errorf("revocations: wait %s is outside [0, %s]", wait, MaxRevocationWait)
	}
	q := url.Values{"after": {strconv.FormatInt(after, 10)}}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var res RevocationBatch
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/revocations", query: q, want: http.StatusOK, out: &res, extra: wait})
	return res, err
}

// Health reads /healthz. A 503 (a part is down) is a *Error; the body's
// parts are then in its Details only when the server put them there.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var res Health
	err := c.do(ctx, call{method: http.MethodGet, path: "/healthz", want: http.StatusOK, out: &res})
	return res, err
}
