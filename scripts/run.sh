#!/usr/bin/env bash
# make run: secretsd and the gateway (./Caddyfile) in front of the bundled
# demo upstream, on embedded defaults: SQLite and a local master key in
# .run/, no Redis (the gateway follows secretsd's revocation feed and
# verifies tokens against its JWKS URL). Builds everything into .build/;
# secretsd and the upstream run in the background, Caddy in the foreground;
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p .build .run
echo "run.sh: building .build/caddy, .build/secretsd, .build/demo-upstream, .build/portcullis" >&2
go build -o .build/caddy ./cmd/caddy
go build -o .build/secretsd ./cmd/secretsd
go build -o .build/demo-upstream ./cmd/demo-upstream
go build -o .build/portcullis ./cmd/portcullis

# secretsd's defaults keep its state in ./.run (secretsd --help lists them).
export SECRETSD_SERVER_LISTEN=${SECRETSD_SERVER_LISTEN:-127.0.0.1:8200}
export SECRETSD_LOG_FORMAT=${SECRETSD_LOG_FORMAT:-console}
secretsd_url=http://$SECRETSD_SERVER_LISTEN

# What the repo's Caddyfile reads, with its defaults.
export PORTCULLIS_JWKS=${PORTCULLIS_JWKS:-$secretsd_url/.well-known/jwks.json}
export PORTCULLIS_REVOCATION_FEED=${PORTCULLIS_REVOCATION_FEED:-$secretsd_url/v1/revocations}
export PORTCULLIS_UPSTREAM=${PORTCULLIS_UPSTREAM:-127.0.0.1:9000}
export PORTCULLIS_LISTEN=${PORTCULLIS_LISTEN:-:8080}

pids=()
# Background jobs of a script ignore Ctrl-C, so they are stopped explicitly.
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null || true' EXIT

.build/secretsd serve &
pids+=($!)
.build/demo-upstream -listen "$PORTCULLIS_UPSTREAM" &
pids+=($!)

answers() { # host:port
	local host=${1%:*} port=${1##*:}
	(exec 3<>"/dev/tcp/${host:-127.0.0.1}/$port") 2>/dev/null
}
for what in "secretsd $SECRETSD_SERVER_LISTEN ${pids[0]}" "demo-upstream $PORTCULLIS_UPSTREAM ${pids[1]}"; do
	read -r name addr pid <<<"$what"
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || { echo "run.sh: $name did not start (is $addr in use?)" >&2; exit 1; }
		answers "$addr" && break
		sleep 0.05
	done
done

cat >&2 <<MSG
run.sh: secretsd on $secretsd_url, demo upstream on http://$PORTCULLIS_UPSTREAM, gateway on $PORTCULLIS_LISTEN
run.sh: first time? create the first admin:  .build/secretsd bootstrap --username admin
run.sh: then log in with:                    .build/portcullis login --username admin   (README: the walk-through)
run.sh: both programs write the audit trail in .run/audit (keys in .run/audit-keys, created on first start);
run.sh: search and check it as an Admin or Auditor: .build/portcullis audit query | audit verify
MSG
.build/caddy run --config Caddyfile --adapter caddyfile
