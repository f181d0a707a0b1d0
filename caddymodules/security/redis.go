package security

import (
	"fmt"
	"net/url"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
)

// redisPool keeps one client per Redis configuration across config reloads:
// Caddy provisions the new config before it stops the old one, and a reload
// must not drop the connections the limiter and the revocation mirror use.
var redisPool = caddy.NewUsagePool()

type sharedRedis struct {
	key    string
	client redis.UniversalClient
}

func (s *sharedRedis) Destruct() error { return s.client.Close() }

func (c RedisConfig) mode() string {
	if c.Mode == "" {
		return "standalone"
	}
	return c.Mode
}

// redacted is the URL without its password, for logs.
func (c RedisConfig) redacted() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// NewRedisClient builds a UniversalClient from the configuration, so that a
// standalone server, a Cluster and Sentinel all work behind one interface.
//
// Every client honours its callers' context deadlines (ContextTimeoutEnabled),
// so that rate_limit's per-request Redis budget (100ms by default) holds when
// Redis hangs instead of refusing connections; without it go-redis ignores
// the deadline and waits out its own 3s read timeout.
func NewRedisClient(c RedisConfig) (redis.UniversalClient, error) {
	switch c.mode() {
	case "standalone":
		o, err := redis.ParseURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", c.redacted(), err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewClient(o), nil
	case "cluster":
		o, err := redis.ParseClusterURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", c.redacted(), err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewClusterClient(o), nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(c.URL)
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", c.redacted(), err)
		}
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(o), nil
	default:
		return nil, fmt.Errorf("unknown redis mode %q (want standalone, cluster or sentinel)", c.Mode)
	}
}

func acquireRedis(c RedisConfig) (*sharedRedis, error) {
	key := c.mode() + " " + c.URL
	v, _, err := redisPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		client, err := NewRedisClient(c)
		if err != nil {
			return nil, err
		}
		return &sharedRedis{key: key, client: client}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sharedRedis), nil
}
