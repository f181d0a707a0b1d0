// Package e2e holds the end-to-end tests that run the programs together as an
// operator would: secretsd (on SQLite and on PostgreSQL, with and without
// Redis), the gateway built from this repository on its own Caddyfile, and
// the demo upstream, driven over HTTP through the secretsd client.
package e2e
