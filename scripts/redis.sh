#!/usr/bin/env bash
# Sourced by the test and bench scripts: makes sure redis-server is installed
# (the tests start private servers to kill them) and exports REDIS_URL:
# $REDIS_URL when set, else 127.0.0.1:6379 when it answers, else a private
# redis-server on a free port that is stopped when the calling script exits.

redis_answers() { # host port
	# In a subshell, so that the probe's redirections (fd 3, and stderr for
	# "connection refused") never outlive it.
	local reply
	reply=$( (exec 3<>"/dev/tcp/$1/$2" && printf 'PING\r\n' >&3 && read -r -t 2 line <&3 && printf '%s' "$line") 2>/dev/null) || return 1
	[[ $reply == +PONG* ]]
}

ensure_redis_server() {
	command -v redis-server >/dev/null && return 0
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "redis.sh: installing Debian's redis-server" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >/dev/null 2>&1
	fi
	command -v redis-server >/dev/null || {
		echo "redis.sh: redis-server is missing and could not be installed (need root and apt-get); install Redis or set REDIS_URL" >&2
		return 1
	}
}

free_port() {
	local p
	for p in $(shuf -i 20000-40000 -n 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	return 1
}

ensure_redis_server || exit 1
if [[ -z ${REDIS_URL:-} ]]; then
	if redis_answers 127.0.0.1 6379; then
		export REDIS_URL=redis://127.0.0.1:6379/0
	else
		port=$(free_port)
		redis_dir=$(mktemp -d)
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" --daemonize yes --pidfile "$redis_dir/pid" --logfile "$redis_dir/log" >/dev/null
		for _ in $(seq 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
		redis_answers 127.0.0.1 "$port" || { echo "redis.sh: private redis-server did not start (see $redis_dir/log)" >&2; exit 1; }
		export REDIS_URL=redis://127.0.0.1:$port/0
		trap 'kill "$(cat "$redis_dir/pid")" 2>/dev/null; rm -rf "$redis_dir"' EXIT
		echo "redis.sh: started a private redis-server on port $port" >&2
	fi
fi
echo "redis.sh: using $REDIS_URL" >&2
