package ratelimit

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/auditreport"
	"github.com/portcullis/portcullis/internal/httperr"
	rl "github.com/portcullis/portcullis/internal/ratelimit"
)

func init() {
	caddy.RegisterModule(RateLimit{})
}

// DefaultZoneName names the zone of a bare `rate_limit`.
const DefaultZoneName = "default"

// DefaultKey is the key of a zone that sets none: the client's IP address.
const DefaultKey = "{http.request.remote.host}"

// nowFunc is the time the in-process sweepers read.
var nowFunc = time.Now

// RateLimit limits request rates per zone (see the package doc).
type RateLimit struct {
	// Zones are the limits a request must all pass. Default: one zone named
	// "default" allowing 100 requests per minute per client IP.
	Zones []*Zone `json:"zones,omitempty"`

	// KeyPrefix starts every Redis key of these zones, so that several
	// deployments can share one Redis. Default: "portcullis:ratelimit:".
	KeyPrefix string `json:"key_prefix,omitempty"`

	// RedisTimeout bounds the Redis round trip of one request; past it, the
	// request is decided in process. Default: 100ms.
	RedisTimeout caddy.Duration `json:"redis_timeout,omitempty"`

	zones        []*rl.Zone
	limiter      *rl.Limiter
	policyHeader string
	tableKeys    []string
	allowed      []prometheus.Counter
	denied       []prometheus.Counter
	emptyKey     []prometheus.Counter
	metrics      *metrics
	logger       *zap.Logger
}

// Zone is one named limit.
type Zone struct {
	// Name identifies the zone in headers, metrics and Redis keys: 1 to 64
	// letters, digits, '_', '.' or '-'. Required.
	Name string `json:"name"`

	// Key is the placeholder (or text with placeholders) whose value names a
	// client's bucket, e.g. {http.request.header.X-Api-Key}. An empty value
	// falls back to the client IP. Default: {http.request.remote.host}.
	Key string `json:"key,omitempty"`

	// Events is how many requests a Window allows. Default: 100.
	Events int `json:"events,omitempty"`

	// Window is the span Events are counted over. Default: 1m.
	Window caddy.Duration `json:"window,omitempty"`

	// Burst is how many requests may arrive at once. Default: Events.
	Burst int `json:"burst,omitempty"`

	// MaxKeys bounds the in-process buckets of the zone (in memory mode and
	// as Redis fallback); beyond it, the buckets closest to full are
	// forgotten. Default: 100000.
	MaxKeys int `json:"max_keys,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (RateLimit) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.rate_limit",
		New: func() caddy.Module { return new(RateLimit) },
	}
}

func (z *Zone) limit() rl.Limit {
	return rl.Limit{Events: z.Events, Window: time.Duration(z.Window), Burst: z.Burst}
}

func (z *Zone) applyDefaults() {
	if z.Key == "" {
		z.Key = DefaultKey
	}
	if z.Events == 0 {
		z.Events = rl.DefaultEvents
	}
	if z.Window == 0 {
		z.Window = caddy.Duration(rl.DefaultWindow)
	}
}

// validate checks a zone once defaults are applied.
func (z *Zone) validate() error {
	if err := rl.ValidZoneName(z.Name); err != nil {
		return err
	}
	if err := z.limit().Validate(); err != nil {
		return fmt.Errorf("zone %s: %w", z.Name, err)
	}
	if z.MaxKeys < 0 {
		return fmt.Errorf("zone %s: max_keys must not be negative, got %d", z.Name, z.MaxKeys)
	}
	return nil
}

// Provision sets up the zones and their stores.
func (h *RateLimit) Provision(ctx caddy.Context) error {
	app, err := security.FromContext(ctx)
	if err != nil {
		return fmt.Errorf("rate_limit: %w", err)
	}
	return h.provision(ctx, app.RedisClient())
}

// provision is Provision with the app's Redis client (nil: in memory).
func (h *RateLimit) provision(ctx caddy.Context, client redis.UniversalClient) error {
	h.logger = ctx.Logger()
	if len(h.Zones) == 0 {
		h.Zones = []*Zone{{Name: DefaultZoneName}}
	}
	if h.RedisTimeout <= 0 {
		h.RedisTimeout = caddy.Duration(rl.DefaultRedisTimeout)
	}
	h.metrics = registerMetrics(ctx.GetMetricsRegistry())
	seen := make(map[string]bool, len(h.Zones))
	policies := make([]string, 0, len(h.Zones))
	for _, z := range h.Zones {
		z.applyDefaults()
		if err := z.validate(); err != nil {
			return fmt.Errorf("rate_limit: %w", err)
		}
		if seen[z.Name] {
			return fmt.Errorf("rate_limit: zone %s is declared twice", z.Name)
		}
		seen[z.Name] = true
		key := tableKey(z.Name, z.limit(), z.MaxKeys)
		table, err := acquireTable(key, z.limit(), z.MaxKeys)
		if err != nil {
			return fmt.Errorf("rate_limit: zone %s: %w", z.Name, err)
		}
		h.tableKeys = append(h.tableKeys, key)
		h.zones = append(h.zones, rl.NewZone(z.Name, table))
		h.allowed = append(h.allowed, h.metrics.decisions.WithLabelValues(z.Name, "allowed"))
		h.denied = append(h.denied, h.metrics.decisions.WithLabelValues(z.Name, "denied"))
		h.emptyKey = append(h.emptyKey, h.metrics.emptyKey.WithLabelValues(z.Name))
		policies = append(policies, policyItem(z))
	}
	h.policyHeader = strings.Join(policies, ", ")

	opts := rl.Options{RedisTimeout: time.Duration(h.RedisTimeout), Observer: (*observer)(h)}
	if client != nil {
		opts.Redis = rl.NewRedisStore(client, h.KeyPrefix)
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		if err := opts.Redis.Load(lctx); err != nil {
			// Not fatal: the first request loads it, or falls back meanwhile.
			h.logger.Warn("rate_limit: redis did not take the script yet", zap.Error(err))
		}
		cancel()
	}
	h.limiter = rl.NewLimiter(opts)
	return nil
}

// Validate is done in Provision (zones need defaults first).
func (h *RateLimit) Validate() error { return nil }

// Cleanup releases the zones' in-process state (kept if the new config uses it).
func (h *RateLimit) Cleanup() error {
	for _, k := range h.tableKeys {
		_, _ = tables.Delete(k)
	}
	return nil
}

var (
	policyField    = textproto.CanonicalMIMEHeaderKey("RateLimit-Policy")
	rateLimitField = textproto.CanonicalMIMEHeaderKey("RateLimit")
)

// maxStackZones is how many zones a request is decided for without
// allocating.
const maxStackZones = 4

// ServeHTTP decides the request and either passes it on or answers 429.
func (h *RateLimit) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	n := len(h.zones)
	var keyBuf [maxStackZones]string
	var outBuf [maxStackZones]rl.Decision
	keys, out := keyBuf[:0], outBuf[:0]
	if n > maxStackZones {
		keys, out = make([]string, 0, n), make([]rl.Decision, 0, n)
	}
	keys, out = keys[:n], out[:n]
	var repl *caddy.Replacer
	for i, z := range h.Zones {
		var k string
		if z.Key == DefaultKey {
			k = remoteHost(r)
		} else {
			if repl == nil {
				repl, _ = r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
			}
			if repl != nil {
				k = repl.ReplaceAll(z.Key, "")
			}
			if k == "" {
				k = remoteHost(r)
				h.emptyKey[i].Inc()
			}
		}
		keys[i] = k
	}

	ok, src := h.limiter.Allow(r.Context(), h.zones, keys, out)
	if src == rl.FromFallback {
		h.metrics.fallback.Inc()
	}
	for i := range out {
		if out[i].Allowed {
			h.allowed[i].Inc()
		} else {
			h.denied[i].Inc()
		}
	}
	// Assigned under their canonical keys: Header.Set would canonicalize
	// "RateLimit" on every request.
	hdr := w.Header()
	hdr[policyField] = []string{h.policyHeader}
	i := mostRestrictive(out, ok)
	hdr[rateLimitField] = []string{rateLimitItem(h.zones[i].Name, out[i])}
	if rep := auditreport.FromContext(r.Context()); rep != nil {
		h.report(rep, i, out[i], ok)
	}
	if ok {
		return next.ServeHTTP(w, r)
	}
	retry := ceilSeconds(out[i].RetryAfter)
	hdr.Set("Retry-After", strconv.FormatInt(retry, 10))
	if ce := h.logger.Check(zap.DebugLevel, "rate limited"); ce != nil {
		// The key is not logged: it may be an API key or personal data.
		ce.Write(zap.String("zone", h.zones[i].Name), zap.Int64("retry_after", retry))
	}
	return httperr.Write(w, httperr.Body{
		Status:  http.StatusTooManyRequests,
		Code:    "rate_limited",
		Message: fmt.Sprintf("too many requests: limit of zone %s reached, retry in %d s", h.zones[i].Name, retry),
		Details: map[string]any{"zone": h.zones[i].Name, "retry_after": retry},
	})
}

// report tells the audit handler the verdict of zone i, the one the
// RateLimit field names.
func (h *RateLimit) report(rep *auditreport.Report, i int, d rl.Decision, ok bool) {
	rep.RateLimit = &auditreport.RateLimit{
		Zone:      h.zones[i].Name,
		Limit:     int64(h.Zones[i].Events),
		Remaining: d.Remaining,
		Limited:   !ok,
	}
	if !ok {
		rep.RateLimit.RetryAfterMS = d.RetryAfter.Milliseconds()
		rep.Deny("rate_limit", auditreport.ReasonRateLimited)
	}
}

// remoteHost is {http.request.remote.host} without the replacer's cost.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// observer logs and counts the Redis circuit's transitions.
type observer RateLimit

func (o *observer) RedisDown(err error) {
	o.metrics.transitions.WithLabelValues("down").Inc()
	o.logger.Warn("rate_limit: redis unreachable, enforcing limits per instance until it answers again", zap.Error(err))
}

func (o *observer) RedisUp() {
	o.metrics.transitions.WithLabelValues("up").Inc()
	o.logger.Info("rate_limit: redis answers again, limits are shared again")
}

// Interface guards.
var (
	_ caddy.Provisioner           = (*RateLimit)(nil)
	_ caddy.Validator             = (*RateLimit)(nil)
	_ caddy.CleanerUpper          = (*RateLimit)(nil)
	_ caddyhttp.MiddlewareHandler = (*RateLimit)(nil)
	_ rl.Observer                 = (*observer)(nil)
)
