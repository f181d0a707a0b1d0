package security

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
)

// mirrorPool keeps one revocation mirror per Redis or feed configuration (and
// one for memory mode) across config reloads: Caddy provisions the new config before
// it cleans up the old one, so a reload neither reloads the list nor drops
// the revocations an in-memory gateway holds.
var mirrorPool = caddy.NewUsagePool()

type sharedMirror struct {
	key    string
	mirror *revocation.Mirror
}

func (s *sharedMirror) Destruct() error {
	s.mirror.Stop()
	return nil
}

// mirrorStartTimeout bounds how long provisioning waits for the first load;
// if Redis (or secretsd's feed) does not answer by then the gateway starts
// anyway and refuses tokens (503) until the mirror has loaded.
const mirrorStartTimeout = 3 * time.Second

// provisionRevocations acquires the mirror for this config and exposes its
// metrics on the config's registry.
func (a *App) provisionRevocations(ctx caddy.Context) error {
	var client redis.UniversalClient
	var feed *revocation.FeedConfig
	key, source := "memory", "memory"
	durations := fmt.Sprintf("resync=%s max_staleness=%s", time.Duration(a.RevocationResync), time.Duration(a.RevocationMaxStaleness))
	switch {
	case a.redis != nil:
		client, source = a.redis.client, "redis"
		key = a.redis.key + " " + durations
	case a.RevocationFeed != "":
		var err error
		if feed, err = a.feedConfig(); err != nil {
			return err
		}
		// The token is part of the identity of the mirror (a reload with a
		// new token must use it) but is kept out of the key by a digest.
		sum := sha256.Sum256([]byte(feed.Token))
		source = "feed"
		key = fmt.Sprintf("feed %s token=%x %s", feed.URL, sum[:8], durations)
		a.logger.Info("revocations from secretsd's feed", zap.String("revocation_feed", redactURL(feed.URL)),
			zap.Bool("feed_token", feed.Token != ""))
	}
	v, _, err := mirrorPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		// The mirror outlives this config, so it logs with the process
		// logger rather than this config's.
		logger := caddy.Log().Named("portcullis.revocation")
		m := revocation.NewMirror(revocation.MirrorConfig{
			Redis:        client,
			Feed:         feed,
			Resync:       time.Duration(a.RevocationResync),
			MaxStaleness: time.Duration(a.RevocationMaxStaleness),
			Logger:       logger,
		})
		sctx, cancel := context.WithTimeout(context.Background(), mirrorStartTimeout)
		defer cancel()
		if err := m.Start(sctx); err != nil {
			logger.Warn("revocation mirror could not load the list yet; tokens are refused until it does", zap.Error(err))
		}
		logger.Info("revocation mirror started", zap.String("source", source), zap.Bool("in_memory", m.InMemory()),
			zap.Duration("resync", time.Duration(a.RevocationResync)),
			zap.Duration("max_staleness", time.Duration(a.RevocationMaxStaleness)))
		return &sharedMirror{key: key, mirror: m}, nil
	})
	if err != nil {
		return fmt.Errorf("portcullis: revocation mirror: %w", err)
	}
	a.revocations = v.(*sharedMirror)
	registerRevocationMetrics(ctx.GetMetricsRegistry(), a.revocations.mirror, a.logger)
	return nil
}

// checkRevocationSource refuses a config naming two sources of revocations,
// or a feed token without a feed.
func (a *App) checkRevocationSource() error {
	if a.Redis != nil && a.RevocationFeed != "" {
		return errors.New("portcullis: redis and revocation_feed are mutually exclusive: " +
			"with redis, revocations come from redis; the feed from secretsd is for gateways without it")
	}
	if a.RevocationFeedToken != "" && a.RevocationFeed == "" {
		return errors.New("portcullis: revocation_feed_token is set without revocation_feed")
	}
	return nil
}

// feedConfig expands the placeholders of the feed options and checks them.
func (a *App) feedConfig() (*revocation.FeedConfig, error) {
	repl := caddy.NewReplacer()
	feed := &revocation.FeedConfig{
		URL:   repl.ReplaceKnown(a.RevocationFeed, ""),
		Token: repl.ReplaceKnown(a.RevocationFeedToken, ""),
	}
	if err := feed.Validate(); err != nil {
		return nil, fmt.Errorf("portcullis: revocation_feed: %w", err)
	}
	if a.RevocationFeedToken != "" && feed.Token == "" {
		// Said without the configured value, which may be the token.
		return nil, errors.New("portcullis: revocation_feed_token expands to nothing: is the environment variable or file it names set?")
	}
	return feed, nil
}

// redactURL is a URL without its password, for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable url)"
	}
	return u.Redacted()
}

// releaseRevocations gives back the mirror; the last config to do so stops it.
func (a *App) releaseRevocations() {
	if a.revocations == nil {
		return
	}
	if _, err := mirrorPool.Delete(a.revocations.key); err != nil {
		a.logger.Warn("stopping the revocation mirror", zap.Error(err))
	}
	a.revocations = nil
}

// Revocations returns the revocation mirror that jwt_auth consults on every
// request. It is never nil: before provisioning (or after cleanup) it refuses
// every token with revocation.ErrStale.
func (a *App) Revocations() revocation.Checker {
	if a.revocations == nil {
		return unavailable{}
	}
	return a.revocations.mirror
}

// RevocationPublisher returns a publisher whose revocations this gateway's
// mirror sees: through Redis when configured (every gateway on that Redis
// sees them too), else in process only (with revocation_feed, revocations
// are made in secretsd). secretsd builds its own revocation.RedisPublisher on
// the same Redis.
func (a *App) RevocationPublisher() revocation.Publisher {
	if a.revocations == nil {
		return unavailable{}
	}
	return a.revocations.mirror.Publisher()
}

// unavailable stands in for a mirror that does not exist, failing closed.
type unavailable struct{}

var errNoMirror = errors.New("portcullis: the revocation mirror is not provisioned")

func (unavailable) Check(*principal.Principal) error { return revocation.ErrStale }

func (unavailable) RevokeToken(context.Context, string, time.Time) error { return errNoMirror }

func (unavailable) RevokeSession(context.Context, string, time.Time) error { return errNoMirror }

func (unavailable) RevokeUser(context.Context, string, time.Time, time.Time) error {
	return errNoMirror
}

// registerRevocationMetrics exposes the mirror's figures, read at scrape time.
// Each config has its own registry, so registering again on reload is fine.
func registerRevocationMetrics(reg prometheus.Registerer, m *revocation.Mirror, logger *zap.Logger) {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "portcullis", Subsystem: "revocation", Name: name, Help: help}
	}
	boolean := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	collectors := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("entries", "Revocations held in the gateway's local mirror.")),
			func() float64 { return float64(m.Stats().Entries) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("last_sync_age_seconds",
			"Seconds since the revocation list was last loaded in full from Redis or secretsd's feed last answered (+Inf: never).")),
			func() float64 {
				last := m.Stats().LastSync
				if last.IsZero() {
					return math.Inf(1)
				}
				return time.Since(last).Seconds()
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("stale",
			"1 while the mirror is stale and every token is refused (fail closed).")),
			func() float64 { return boolean(m.Stats().Stale) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("feed_subscribed",
			"1 while the feed of revocations is up: the Redis pub/sub subscription, or secretsd's feed answering.")),
			func() float64 { return boolean(m.Stats().FeedSubscribed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("stale_refusals_total",
			"Tokens refused because the revocation mirror was stale.")),
			func() float64 { return float64(m.Stats().StaleRefusals) }),
	}
	for _, c := range collectors {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			logger.Warn("registering revocation metrics", zap.Error(err))
		}
	}
}

var (
	_ revocation.Checker   = unavailable{}
	_ revocation.Publisher = unavailable{}
)
