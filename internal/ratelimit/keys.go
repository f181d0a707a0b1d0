package ratelimit

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
)

// The Redis key layout of the limiter, in one place:
//
//	<prefix><zone>:<digest>
//
//   - prefix is the configured key prefix, DefaultKeyPrefix unless set, so
//     several deployments can share one Redis;
//   - zone is the zone's name, so zones never share buckets even when their
//     keys are equal (an IP in per_ip and the same text in per_user);
//   - digest is base64url(SHA-256(key))[:22], 128 bits: the key value itself
//     (a client IP, a user id, an API key header) is never written to Redis,
//     keys have a fixed length whatever the client sends, and every gateway
//     instance computes the same name.
//
// Each key holds one integer, the bucket's TAT in microseconds of Redis' TIME,
// with a PEXPIRE equal to the time until the bucket is full again.
//
// Zone names are global to the Redis (and to a Caddy process for in-process
// state): two handlers that declare the same zone name with the same limit
// share its buckets.

// DefaultKeyPrefix prefixes every limiter key in Redis.
const DefaultKeyPrefix = "portcullis:ratelimit:"

// ZoneNamePattern is what a zone name may look like: it is used in Redis keys
// and in the RateLimit headers' quoted strings, so it is kept plain.
var ZoneNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidZoneName reports whether name can name a zone.
func ValidZoneName(name string) error {
	if !ZoneNamePattern.MatchString(name) {
		return fmt.Errorf("zone name %q must be 1 to 64 letters, digits, '_', '.' or '-'", name)
	}
	return nil
}

// RedisKey is the Redis key of key's bucket in zone.
func RedisKey(prefix, zone, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + zone + ":" + base64.RawURLEncoding.EncodeToString(sum[:16])
}
