package ratelimit

// ForcePerZone makes a standalone store behave as on Redis Cluster (one
// EVALSHA per zone, pipelined), so that path runs against a real server.
func (s *RedisStore) ForcePerZone() { s.perZone = true }
