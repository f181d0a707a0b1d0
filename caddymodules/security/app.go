// Package security is the "portcullis" Caddy app: the state that every gateway
// handler of a Caddy instance shares — the Redis client, the JWKS key sets and
// the revocation mirror. It is configured once with the `portcullis` global
// option; when it is not configured, everything runs in memory on one node.
package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(App{})
}

// AppName is the Caddy app ID that handlers look up with ctx.App.
const AppName = "portcullis"

// App holds the gateway's shared state.
type App struct {
	// Redis, when set, makes limits, revocations and other shared state common
	// to every gateway instance that points at the same Redis. When unset, the
	// gateway keeps that state in process (one node only). It cannot be
	// combined with revocation_feed: Redis carries revocations itself.
	Redis *RedisConfig `json:"redis,omitempty"`

	// RevocationFeed, for gateways without Redis, is the URL of secretsd's
	// revocation feed (e.g. http://127.0.0.1:8200/v1/revocations). The
	// revocation mirror long-polls it, so that a revocation made in secretsd
	// is refused here as soon as secretsd answers (well within a second),
	// and fails closed like with Redis: tokens are refused (503) once no
	// poll has succeeded for revocation_max_staleness. Placeholders such as
	// {env.SECRETSD_URL} are expanded. Default: none (without Redis, the
	// mirror then holds only revocations published in this process).
	RevocationFeed string `json:"revocation_feed,omitempty"`

	// RevocationFeedToken is sent to the feed as `Authorization: Bearer
	// <token>`, when secretsd requires one ([revocation] feed_token).
	// Placeholders are expanded at provisioning, so that
	// {env.PORTCULLIS_FEED_TOKEN} or {file./run/secrets/feed_token} keeps the
	// token out of the config; it is never logged. Requires revocation_feed.
	// Default: none.
	RevocationFeedToken string `json:"revocation_feed_token,omitempty"`

	// JWKS is the default key source for jwt_auth handlers that name none: a
	// file path or an http(s) URL of a JSON Web Key Set (RFC 7517).
	JWKS string `json:"jwks,omitempty"`

	// JWKSRefresh is how often a URL key set is fetched again in the
	// background. Default: 5m.
	JWKSRefresh caddy.Duration `json:"jwks_refresh,omitempty"`

	// RevocationResync is how often the revocation mirror reloads the whole
	// revocation list from Redis, in addition to the pub/sub feed. Without
	// Redis (in memory or with revocation_feed, whose feed resumes from
	// where it stopped), how often expired revocations are dropped.
	// Default: 5s.
	RevocationResync caddy.Duration `json:"revocation_resync,omitempty"`

	// RevocationMaxStaleness bounds how long the mirror may go without a
	// successful refresh (a load from Redis, or an answer of the
	// revocation_feed); beyond it, token checks fail closed. With
	// revocation_feed, a poll is held open for at most half of it (and at
	// most 25s), so an idle gateway costs one request per that. Default: 30s.
	RevocationMaxStaleness caddy.Duration `json:"revocation_max_staleness,omitempty"`

	// Audit, when set, opens the gateway's audit trail: the `audit` handler
	// writes one event per request to it and cedar_authz records every
	// policy load before it takes effect. Default: no trail (and the `audit`
	// handler cannot be used).
	Audit *AuditConfig `json:"audit,omitempty"`

	redis       *sharedRedis
	revocations *sharedMirror // revocations.go
	logger      *zap.Logger
	keySets     []string     // keySetPool entries acquired for jwt_auth (keysets.go)
	audit       *sharedTrail // audit.go
}

// RedisConfig says how to reach Redis.
type RedisConfig struct {
	// URL is a redis:// or rediss:// URL. Its password (and, in sentinel
	// mode, the password= query parameter) is never logged.
	URL string `json:"url"`

	// Mode is "standalone" (default), "cluster" (the URL may list more nodes
	// with addr= query parameters) or "sentinel" (the URL names the master with
	// master_name= and the sentinels with addr=).
	Mode string `json:"mode,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  AppName,
		New: func() caddy.Module { return new(App) },
	}
}

// Default durations, exported so handlers and docs agree.
const (
	DefaultJWKSRefresh            = 5 * time.Minute
	DefaultRevocationResync       = 5 * time.Second
	DefaultRevocationMaxStaleness = 30 * time.Second
)

// Provision connects the shared state.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	if err := a.checkRevocationSource(); err != nil {
		return err
	}
	if a.JWKSRefresh <= 0 {
		a.JWKSRefresh = caddy.Duration(DefaultJWKSRefresh)
	}
	if a.RevocationResync <= 0 {
		a.RevocationResync = caddy.Duration(DefaultRevocationResync)
	}
	if a.RevocationMaxStaleness <= 0 {
		a.RevocationMaxStaleness = caddy.Duration(DefaultRevocationMaxStaleness)
	}
	if a.Redis != nil {
		r, err := acquireRedis(*a.Redis)
		if err != nil {
			return fmt.Errorf("portcullis: redis: %w", err)
		}
		a.redis = r
		o := a.Redis.options()
		a.logger.Info("shared state in redis", zap.String("redis", o.Redacted()), zap.String("mode", o.EffectiveMode()))
	} else if a.RevocationFeed != "" {
		a.logger.Info("no redis configured: shared state is in process (single node), revocations come from secretsd's feed")
	} else {
		a.logger.Info("no redis configured: shared state is in process (single node)")
	}
	if a.Audit != nil {
		if err := a.provisionAudit(ctx); err != nil {
			return err
		}
	}
	return a.provisionRevocations(ctx)
}

// Validate checks the configuration.
func (a *App) Validate() error {
	if a.RevocationMaxStaleness < a.RevocationResync {
		return errors.New("portcullis: revocation_max_staleness must be at least revocation_resync")
	}
	return a.checkRevocationSource()
}

// Start implements caddy.App.
func (a *App) Start() error { return nil }

// Stop implements caddy.App.
func (a *App) Stop() error { return nil }

// Cleanup releases what Provision acquired.
func (a *App) Cleanup() error {
	a.releaseRevocations() // before the Redis client it uses
	a.releaseKeySets()
	err := a.releaseAudit()
	if a.redis != nil {
		_, rerr := redisPool.Delete(a.redis.key)
		err = errors.Join(err, rerr)
	}
	return err
}

// RedisClient returns the shared Redis client, or nil when the gateway runs in memory.
func (a *App) RedisClient() redis.UniversalClient {
	if a.redis == nil {
		return nil
	}
	return a.redis.client
}

// Logger returns the app's logger.
func (a *App) Logger() *zap.Logger { return a.logger }

// FromContext returns the app of the Caddy config being provisioned,
// instantiating it with defaults when the config has no `portcullis` option.
func FromContext(ctx caddy.Context) (*App, error) {
	v, err := ctx.App(AppName)
	if err != nil {
		return nil, fmt.Errorf("loading the portcullis app: %w", err)
	}
	return v.(*App), nil
}

// Ping reports whether Redis answers (nil when there is no Redis).
func (a *App) Ping(ctx context.Context) error {
	if a.redis == nil {
		return nil
	}
	return a.redis.client.Ping(ctx).Err()
}

var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.Validator    = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
