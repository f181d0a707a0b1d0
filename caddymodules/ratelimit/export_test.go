package ratelimit

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// ProvisionWith provisions the handler with client as the portcullis app's
// Redis (nil: in-memory mode), for tests that run the handler in process.
func (h *RateLimit) ProvisionWith(ctx caddy.Context, client redis.UniversalClient) error {
	return h.provision(ctx, client)
}
