package security

import (
	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/redisconn"
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

// options are the settings as internal/redisconn, which secretsd reads its
// [redis] with too, takes them.
func (c RedisConfig) options() redisconn.Options {
	return redisconn.Options{URL: c.URL, Mode: c.Mode}
}

// NewRedisClient builds the client the app uses for c (see redisconn.New):
// a standalone server, a Cluster or Sentinel behind one interface, that
// honours its callers' context deadlines. It dials nothing.
func NewRedisClient(c RedisConfig) (redis.UniversalClient, error) {
	return c.options().New()
}

func acquireRedis(c RedisConfig) (*sharedRedis, error) {
	o := c.options()
	key := o.EffectiveMode() + " " + o.URL
	v, _, err := redisPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		client, err := o.New()
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
