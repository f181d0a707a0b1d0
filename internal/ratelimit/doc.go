// Package ratelimit is the gateway's rate limiter: the GCRA (generic cell
// rate algorithm) over buckets kept either in Redis, shared by every gateway
// instance, or in process.
//
// # Algorithm
//
// A zone allows Events per Window with bursts of up to Burst events (Burst
// defaults to Events, so a fresh client may spend a whole window's quota at
// once; over any span of length d at most Burst + d/T events pass). GCRA
// keeps one number
// per bucket, the theoretical arrival time (TAT): the instant at which the
// bucket would be full again. With emission interval T = Window/Events and
// tolerance τ = Burst×T, an event at time now is allowed when
//
//	max(TAT, now) + T − τ ≤ now
//
// and then TAT becomes max(TAT, now) + T. A denied event changes nothing, so
// a client hammering a closed bucket does not push its own reset further out.
// Because state is one integer with a natural expiry (TAT − now), a bucket
// that has not been touched since it filled up is the same as an absent one:
// Redis keys carry that as their PEXPIRE and the in-process table sweeps them.
//
// All times are integer microseconds, in Go and in the Lua script alike, so
// both stores compute identical decisions. T is Window/Events rounded to the
// nearest microsecond (at least 1 µs).
//
// # Several zones
//
// A request is counted in all its zones or in none: if one zone refuses it,
// the zones that would have allowed it are left untouched (as nginx's
// limit_req does), so a client throttled per IP does not also drain its
// per-user quota with requests that never reach the upstream.
//
// # Stores
//
//   - RedisStore evaluates every zone of a request in one EVALSHA of the GCRA
//     script (one round trip). The script reads Redis' own clock (TIME), so
//     instances whose clocks disagree still share exact limits; Redis 7 replicates
//     script effects, not the script, so calling TIME before writing is safe.
//     Keys are laid out as documented in keys.go and expire when the bucket is
//     full again, so idle clients leave nothing behind.
//   - Table is the in-process store: a sharded map from a 64-bit hash of the key
//     to its TAT, bounded in size (MaxKeys per zone), swept of full buckets.
//
// Limiter combines them: Redis when configured, with a circuit that falls back
// to the in-process table for as long as Redis fails, and probes Redis again
// after a short, growing backoff.
package ratelimit
