// Package redisconn turns a Redis URL and a deployment mode into a go-redis
// client. The gateway (the portcullis Caddy app) and secretsd share Redis —
// revocations, limits, MFA attempt counters — so they read the same settings
// the same way, here, and name their Redis in logs without its password.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The deployment modes of Redis.
const (
	// ModeStandalone is one server (or a proxy in front of several): the
	// URL is redis://, rediss:// or unix://.
	ModeStandalone = "standalone"
	// ModeCluster is a Redis Cluster: the URL names one node and may list
	// more with addr= query parameters.
	ModeCluster = "cluster"
	// ModeSentinel is a primary watched by Sentinel: the URL names a
	// sentinel, the others with addr=, and the primary with master_name=.
	ModeSentinel = "sentinel"
)

var (
	// ErrUnknownMode is returned for a mode other than the three above.
	ErrUnknownMode = errors.New("unknown redis mode")
	// ErrInvalidURL is returned for a URL the mode's parser refuses.
	ErrInvalidURL = errors.New("invalid redis url")
)

// Options say how to reach Redis.
type Options struct {
	// URL is a redis://, rediss:// (or, standalone, unix://) URL with the
	// go-redis query parameters (dial_timeout=, pool_size=, addr=, ...).
	// It may hold a password: it is never logged or put in an error.
	URL string
	// Mode is ModeStandalone, ModeCluster or ModeSentinel; empty means
	// ModeStandalone.
	Mode string
}

// EffectiveMode is Mode, or ModeStandalone when it is empty.
func (o Options) EffectiveMode() string {
	if o.Mode == "" {
		return ModeStandalone
	}
	return o.Mode
}

// Validate checks the mode and parses the URL for it. It dials nothing.
func (o Options) Validate() error {
	_, err := o.parse()
	return err
}

// New builds the client for the mode, so that a standalone server, a
// Cluster and Sentinel all work behind one interface. It dials nothing: the
// first command connects.
//
// Every client honours its callers' context deadlines
// (ContextTimeoutEnabled), so that a per-request Redis budget (the rate
// limiter's 100ms, a secretsd request's deadline) holds when Redis hangs
// instead of refusing connections; without it go-redis ignores the deadline
// and waits out its own 3s read timeout.
func (o Options) New() (redis.UniversalClient, error) {
	build, err := o.parse()
	if err != nil {
		return nil, err
	}
	return build(), nil
}

// parse checks the options and returns how to build their client.
func (o Options) parse() (func() redis.UniversalClient, error) {
	mode := o.EffectiveMode()
	switch mode {
	case ModeStandalone, ModeCluster, ModeSentinel:
	default:
		return nil, fmt.Errorf("%w %q (want standalone, cluster or sentinel)", ErrUnknownMode, o.Mode)
	}
	// go-redis returns url.Parse's error as it is, and that quotes the
	// whole URL, password included: parse first and say less.
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: does not parse as a URL (want redis://[user:password@]host:port/db)", ErrInvalidURL)
	}
	// "redis:host:6379" parses with no host, and go-redis would quietly
	// dial localhost:6379 instead.
	if u.Opaque != "" {
		return nil, fmt.Errorf("%w: %s has no // before the host (want redis://[user:password@]host:port/db)", ErrInvalidURL, u.Scheme+":")
	}
	invalid := func(err error) error {
		// go-redis' own messages name a scheme, a path, a query parameter
		// or its value, never the userinfo.
		return fmt.Errorf("%w %s (%s): %s", ErrInvalidURL, o.Redacted(), mode, strings.TrimPrefix(err.Error(), "redis: "))
	}
	switch mode {
	case ModeCluster:
		c, err := redis.ParseClusterURL(o.URL)
		if err != nil {
			return nil, invalid(err)
		}
		c.ContextTimeoutEnabled = true
		return func() redis.UniversalClient { return redis.NewClusterClient(c) }, nil
	case ModeSentinel:
		f, err := redis.ParseFailoverURL(o.URL)
		if err != nil {
			return nil, invalid(err)
		}
		if f.MasterName == "" {
			// Without it go-redis builds a client that fails at the first
			// command; say so while the configuration is read.
			return nil, invalid(errors.New("master_name= must name the primary the sentinels watch"))
		}
		f.ContextTimeoutEnabled = true
		return func() redis.UniversalClient { return redis.NewFailoverClient(f) }, nil
	default:
		s, err := redis.ParseURL(o.URL)
		if err != nil {
			return nil, invalid(err)
		}
		s.ContextTimeoutEnabled = true
		return func() redis.UniversalClient { return redis.NewClient(s) }, nil
	}
}

// redactedValue stands where a password was, as url.URL.Redacted writes it.
const redactedValue = "xxxxx"

// Redacted is the URL without its passwords, for logs and errors: the
// userinfo's, and the password= query parameter that sentinel mode reads as
// the primary's password.
func (o Options) Redacted() string {
	u, err := url.Parse(o.URL)
	if err != nil {
		return "(unparseable url)"
	}
	if u.Opaque != "" {
		return u.Scheme + ":" + redactedValue
	}
	if u.RawQuery != "" {
		// Rewrite pair by pair rather than through url.Values, which
		// drops the pairs it cannot decode and would re-order the rest.
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			k, _, _ := strings.Cut(p, "=")
			if key, err := url.QueryUnescape(k); err != nil || strings.EqualFold(key, "password") {
				pairs[i] = k + "=" + redactedValue
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	return u.Redacted()
}
