// Package ratelimit is the `rate_limit` Caddy HTTP handler
// (http.handlers.rate_limit): the first link of the gateway chain. It is a thin
// adapter over internal/ratelimit, which holds the algorithm (GCRA) and the
// stores; read that package for how decisions are made.
//
// # Caddyfile
//
//	rate_limit
//
// alone limits each client IP to 100 requests per minute (zone "default").
// The full form declares one or more zones; a request passes only if every
// zone allows it, and is counted in all of them or in none:
//
//	rate_limit {
//	    key_prefix    <prefix>     # Redis key prefix; default "portcullis:ratelimit:"
//	    redis_timeout <duration>   # per-request Redis deadline; default 100ms
//	    zone <name> {
//	        key      <placeholder> # default {remote_host}
//	        events   <n>           # default 100
//	        window   <duration>    # default 1m
//	        burst    <n>           # default = events
//	        max_keys <n>           # in-process buckets kept at most; default 100000
//	    }
//	}
//
// For example, 100 requests a minute per IP and 1000 per API key:
//
//	rate_limit {
//	    zone per_ip {
//	        key    {remote_host}
//	        events 100
//	        window 1m
//	    }
//	    zone per_key {
//	        key    {header.X-Api-Key}
//	        events 1000
//	        window 1m
//	    }
//	}
//
// A key is any Caddy placeholder or text with placeholders. {remote_host} is
// the TCP peer; behind a trusted proxy use {client_ip}. rate_limit runs before
// jwt_auth in the default order, so {http.auth.user.id} is only set when a
// second rate_limit is placed after jwt_auth in a route block.
//
// Zone names (letters, digits, '_', '.', '-') are global: two rate_limit
// handlers declaring the same zone with the same limit share its buckets, in
// Redis and in process.
//
// # Empty keys
//
// When a zone's key is empty for a request (the header is absent, the user is
// not authenticated), the request is counted in that zone under its client IP
// ({remote_host}) instead, and portcullis_ratelimit_empty_key_total{zone}
// counts it. Skipping the zone would let a client escape a per-key limit by
// omitting the key; one shared bucket for everyone without a key would let one
// client lock out all the others.
//
// # Storage
//
// With `redis` set in the portcullis global option, buckets live in Redis and
// every gateway instance shares exact limits (one EVALSHA per request; key
// layout in internal/ratelimit/keys.go). If Redis fails or does not answer
// within redis_timeout, the request is decided by the in-process buckets of
// this instance; the transition is logged once each way, every such decision
// counts in portcullis_ratelimit_fallback_total, and Redis is probed again
// after a short, growing backoff (100ms to 2s). Without Redis, the same
// algorithm runs in process. In-process buckets survive config reloads.
//
// # Responses
//
// Every response carries the IETF RateLimit headers
// (draft-ietf-httpapi-ratelimit-headers-10):
//
//	RateLimit-Policy: "per_ip";q=100;w=60, "per_key";q=1000;w=60
//	RateLimit: "per_ip";r=97;t=3
//
// RateLimit-Policy lists every zone (q: events, w: window in seconds, rounded
// up). RateLimit names the most restrictive zone: the one with the fewest
// remaining events, or on refusal the one that refused for longest. Its t is
// the seconds until the client can make progress: until the bucket is full
// again while r > 0, until the next request passes when r = 0.
//
// A refused request gets 429 with Retry-After (seconds, rounded up) and the
// JSON error body of internal/httperr with code "rate_limited".
//
// # Metrics
//
//   - portcullis_ratelimit_decisions_total{zone,outcome}: outcome is allowed or
//     denied, per zone;
//   - portcullis_ratelimit_fallback_total: requests decided in process because
//     Redis failed or its circuit was open;
//   - portcullis_ratelimit_redis_transitions_total{to}: Redis going down / up;
//   - portcullis_ratelimit_empty_key_total{zone}: see Empty keys.
package ratelimit
