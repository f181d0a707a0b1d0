#!/usr/bin/env bash
# Sourced by the test and bench scripts: exports PG_DSN for the PostgreSQL
# store tests. $PG_DSN when set, else the server on 127.0.0.1:5432 when it
# answers (trust auth, database "test"), else a private cluster on a free
# port, installed from Debian's packages if need be and stopped when the
# calling script exits. make test fails rather than skips without one.

pg_answers() { # host port
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb ]] && { echo "$d"; return 0; }
	done
	return 1
}

ensure_pg_server() {
	pg_bin >/dev/null && return 0
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "postgres.sh: installing Debian's postgresql" >&2
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >/dev/null 2>&1
	fi
	pg_bin >/dev/null || {
		echo "postgres.sh: PostgreSQL is not reachable on 127.0.0.1:5432 and could not be installed (need root and apt-get); start one or set PG_DSN" >&2
		return 1
	}
}

# Chains a command onto the EXIT trap that an earlier sourced script may have set.
add_exit_trap() {
	local prev
	prev=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
	# shellcheck disable=SC2064
	trap "$1${prev:+; $prev}" EXIT
}

if [[ -z ${PG_DSN:-} ]]; then
	if pg_answers 127.0.0.1 5432; then
		export PG_DSN="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	else
		ensure_pg_server || exit 1
		bin=$(pg_bin)
		pg_port=$(free_port)
		pg_dir=$(mktemp -d)
		# initdb and postgres refuse to run as root.
		run_pg=()
		if [[ $(id -u) -eq 0 ]]; then
			chown postgres "$pg_dir"
			run_pg=(runuser -u postgres --)
		fi
		"${run_pg[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust >"$pg_dir/initdb.log" 2>&1 ||
			{ echo "postgres.sh: initdb failed (see $pg_dir/initdb.log)" >&2; exit 1; }
		"${run_pg[@]}" "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" -w start >/dev/null ||
			{ echo "postgres.sh: private PostgreSQL did not start (see $pg_dir/log)" >&2; exit 1; }
		"${run_pg[@]}" "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres test
		export PG_DSN="postgres://postgres@127.0.0.1:$pg_port/test?sslmode=disable"
		add_exit_trap "${run_pg[*]} $bin/pg_ctl -D $pg_dir/data -m immediate stop >/dev/null 2>&1; rm -rf $pg_dir"
		echo "postgres.sh: started a private PostgreSQL on port $pg_port" >&2
	fi
fi
echo "postgres.sh: using ${PG_DSN%%\?*}" >&2
