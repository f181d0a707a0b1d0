#!/usr/bin/env bash
# make run: the gateway on ./Caddyfile in front of the bundled demo upstream,
# with embedded defaults (no Redis). Builds everything into .build/, creates a
# development signing key in .run/ once, starts the demo upstream in the
# background and Caddy in the foreground; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p .build
echo "run.sh: building .build/caddy, .build/demo-upstream, .build/portcullis" >&2
go build -o .build/caddy ./cmd/caddy
go build -o .build/demo-upstream ./cmd/demo-upstream
go build -o .build/portcullis ./cmd/portcullis

# The key signs the walk-through's tokens; the JWKS is what the gateway
# verifies them against. Kept between runs.
.build/portcullis dev keys --dir .run

# What the repo's Caddyfile reads, with its defaults.
export PORTCULLIS_JWKS=${PORTCULLIS_JWKS:-./.run/jwks.json}
export PORTCULLIS_UPSTREAM=${PORTCULLIS_UPSTREAM:-127.0.0.1:9000}
export PORTCULLIS_LISTEN=${PORTCULLIS_LISTEN:-:8080}

.build/demo-upstream -listen "$PORTCULLIS_UPSTREAM" &
upstream_pid=$!
# A background job of a script ignores Ctrl-C, so it is stopped explicitly.
trap 'kill "$upstream_pid" 2>/dev/null; wait "$upstream_pid" 2>/dev/null || true' EXIT

upstream_answers() {
	local host=${PORTCULLIS_UPSTREAM%:*} port=${PORTCULLIS_UPSTREAM##*:}
	(exec 3<>"/dev/tcp/${host:-127.0.0.1}/$port") 2>/dev/null
}
for _ in $(seq 100); do
	kill -0 "$upstream_pid" 2>/dev/null || { echo "run.sh: the demo upstream did not start (is $PORTCULLIS_UPSTREAM in use?)" >&2; exit 1; }
	upstream_answers && break
	sleep 0.05
done

cat >&2 <<MSG
run.sh: demo upstream on http://$PORTCULLIS_UPSTREAM; gateway on $PORTCULLIS_LISTEN
run.sh: get a token with:  TOKEN=\$(.build/portcullis dev token --dir .run --sub alice --role Developer --amr pwd,otp)
MSG
.build/caddy run --config Caddyfile --adapter caddyfile
