// Package testenv gives integration tests the real parts they run against: a
// Redis server, the built Caddy binary running a Caddyfile, and an upstream.
// Nothing here skips: when a part is missing the test fails and says what is
// missing and how `make test` would provide it.
package testenv
