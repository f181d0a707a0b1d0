#!/usr/bin/env bash
# make bench: bare reverse_proxy against the full gateway chain under wrk, in
# one run on this machine; then secretsd's logins and token refreshes per
# signing algorithm; then the Go benchmarks of each handler and of secretsd.
# Prints the tables and writes them to .build/bench.txt. Only 127.0.0.1 is
# loaded; every process started here is stopped on exit.
#
# Knobs (environment): BENCH_DURATION (6s per measured run, gateway and
# secretsd refresh), BENCH_ROUNDS (3), BENCH_WARMUP (2s), BENCH_TOKENS (100000
# distinct tokens), BENCH_ALG (RS256, of the gateway's tokens), BENCH_GOTIME
# (-benchtime of the Go benchmarks, 100ms). Arguments go to `loadbench run`.
set -euo pipefail
cd "$(dirname "$0")/.."

# The load tools, from Debian: wrk for throughput (closed loop), hey for
# latency at a fixed rate below saturation (open loop).
for tool in wrk hey; do
	command -v "$tool" >/dev/null && continue
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "bench.sh: installing Debian's $tool" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool"; } >/dev/null 2>&1
	fi
	command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing and could not be installed (need root and apt-get); install $tool" >&2; exit 1; }
done

# redis.sh and postgres.sh may start a private Redis and PostgreSQL and set
# an EXIT trap to stop them; keep that trap and add ours. PostgreSQL is for
# the PostgreSQL variants of secretsd's Go benchmarks (store, mfa): they take
# a few seconds and show what a round trip to the database costs beside
# SQLite.
source scripts/redis.sh
source scripts/postgres.sh
redis_trap=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
work=$(mktemp -d -t portcullis-bench.XXXXXX)
cleanup() {
	# loadbench stops the gateways, secretsd and the upstream it started;
	# this is for a run interrupted before it could.
	if [[ -n ${loadbench_pid:-} ]] && kill -0 "$loadbench_pid" 2>/dev/null; then
		kill -TERM "$loadbench_pid" 2>/dev/null || true
		wait "$loadbench_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
	eval "$redis_trap"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p .build
echo "bench.sh: building .build/caddy, .build/demo-upstream, .build/secretsd, .build/loadbench" >&2
go build -o .build/caddy ./cmd/caddy
go build -o .build/demo-upstream ./cmd/demo-upstream
go build -o .build/secretsd ./cmd/secretsd
go build -o .build/loadbench ./cmd/loadbench

.build/loadbench run \
	-workdir "$work" \
	-caddy .build/caddy -upstream .build/demo-upstream -hey "$(command -v hey)" \
	-policies "$PWD/policies" \
	-redis "$REDIS_URL" \
	-clk-tck "$(getconf CLK_TCK)" \
	-duration "${BENCH_DURATION:-6s}" -rounds "${BENCH_ROUNDS:-3}" -warmup "${BENCH_WARMUP:-2s}" \
	-tokens "${BENCH_TOKENS:-100000}" -alg "${BENCH_ALG:-RS256}" \
	-out .build/bench.txt "$@" &
loadbench_pid=$!
wait "$loadbench_pid"
loadbench_pid=
echo "bench.sh: gateway part done after ${SECONDS}s" >&2

echo >&2
echo "bench.sh: secretsd: logins and token refreshes per signing algorithm" >&2
mkdir -p "$work/secretsd"
.build/loadbench secretsd \
	-workdir "$work/secretsd" -secretsd .build/secretsd \
	-clk-tck "$(getconf CLK_TCK)" \
	-duration "${BENCH_DURATION:-6s}" -rounds "${BENCH_ROUNDS:-3}" -warmup "${BENCH_WARMUP:-2s}" \
	-out .build/bench.txt &
loadbench_pid=$!
wait "$loadbench_pid"
loadbench_pid=
echo "bench.sh: end-to-end parts done after ${SECONDS}s" >&2

echo >&2
echo "bench.sh: Go benchmarks per handler, of the audit trail and of secretsd (-benchtime ${BENCH_GOTIME:-100ms})" >&2
export PORTCULLIS_CADDY=$PWD/.build/caddy
# Only the packages that have benchmarks: linking the test binary of every
# Caddy module package would cost minutes. The first run builds the audit
# index's 10-million-event database under $TMPDIR (about 13 GB, many minutes;
# later runs reuse it), hence the long timeout.
mapfile -t bench_pkgs < <(grep -rl --include='*_test.go' -E '^func Benchmark' audit internal caddymodules secretsd | xargs -n1 dirname | sort -u | sed 's|^|./|')
go test -run '^$' -bench . -benchmem -benchtime "${BENCH_GOTIME:-100ms}" -timeout 45m \
	"${bench_pkgs[@]}" >"$work/gobench.txt" 2>&1 || {
	cat "$work/gobench.txt"
	echo "bench.sh: go test -bench failed" >&2
	exit 1
}
{
	echo
	echo "Go benchmarks per handler and of secretsd: go test -run '^\$' -bench . -benchmem -benchtime ${BENCH_GOTIME:-100ms} ${bench_pkgs[*]}"
	grep -E '^(pkg:|Benchmark)' "$work/gobench.txt" | grep -v -- '--- ' || true
	echo
	.build/loadbench gobench "$work/gobench.txt"
} | tee -a .build/bench.txt
echo "bench.sh: done in ${SECONDS}s; the report is in .build/bench.txt" >&2
