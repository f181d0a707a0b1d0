#!/usr/bin/env bash
# The whole suite, with the real parts it needs: Redis and PostgreSQL (found
# or started), Debian's oathtool (an independent TOTP generator the MFA tests
# compare against), and our Caddy binary built once for every package's
# integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/redis.sh
source scripts/postgres.sh

if ! command -v oathtool >/dev/null; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "test.sh: installing Debian's oathtool" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oathtool; } >/dev/null 2>&1
	fi
	command -v oathtool >/dev/null || { echo "test.sh: oathtool is missing and could not be installed; the TOTP tests need it" >&2; exit 1; }
fi

mkdir -p .build
go build -o .build/caddy ./cmd/caddy
go build -o .build/secretsd ./cmd/secretsd
export PORTCULLIS_CADDY=$PWD/.build/caddy PORTCULLIS_SECRETSD=$PWD/.build/secretsd

go test -count=1 -timeout 20m "$@" ./...
