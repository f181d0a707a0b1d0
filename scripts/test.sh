#!/usr/bin/env bash
# The whole suite, with the real parts it needs: Redis (found or started) and
# our Caddy binary built once for every package's integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/redis.sh

mkdir -p .build
go build -o .build/caddy ./cmd/caddy
export PORTCULLIS_CADDY=$PWD/.build/caddy

# -p 1 keeps the gateway integration tests, which run real processes and
# measure shared limits, from competing for the 2 cores with each other.
go test -count=1 -timeout 20m "$@" ./...
