package security

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/revocation"
)

// mirrorPool keeps one revocation mirror per Redis configuration (and one for
// memory mode) across config reloads: Caddy provisions the new config before
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
// if Redis does not answer by then the gateway starts anyway and refuses
// tokens (503) until the mirror has loaded.
const mirrorStartTimeout = 3 * time.Second

// provisionRevocations acquires the mirror for this config and exposes its
// metrics on the config's registry.
func (a *App) provisionRevocations(ctx caddy.Context) error {
	var client redis.UniversalClient
	key := "memory"
	if a.redis != nil {
		client = a.redis.client
		key = fmt.Sprintf("%s resync=%s max_staleness=%s", a.redis.key,
			time.Duration(a.RevocationResync), time.Duration(a.RevocationMaxStaleness))
	}
	v, _, err := mirrorPool.LoadOrNew(key, func() (caddy.Destructor, error) {
		// The mirror outlives this config, so it logs with the process
		// logger rather than this config's.
		logger := caddy.Log().Named("portcullis.revocation")
		m := revocation.NewMirror(revocation.MirrorConfig{
			Redis:        client,
			Resync:       time.Duration(a.RevocationResync),
			MaxStaleness: time.Duration(a.RevocationMaxStaleness),
			Logger:       logger,
		})
		sctx, cancel := context.WithTimeout(context.Background(), mirrorStartTimeout)
		defer cancel()
		if err := m.Start(sctx); err != nil {
			logger.Warn("revocation mirror could not load the list yet; tokens are refused until it does", zap.Error(err))
		}
		logger.Info("revocation mirror started", zap.Bool("in_memory", m.InMemory()),
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
// sees them too), else in process. secretsd builds its own
// revocation.RedisPublisher on the same Redis.
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
			"Seconds since the revocation list was last loaded in full (+Inf: never).")),
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
			"1 while the Redis pub/sub feed of revocations is subscribed.")),
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
