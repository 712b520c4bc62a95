# test/lib.sh: shared shell helpers for test/run.sh, test/demo.sh and the
# benchmarks.  Source it; it defines functions and sets no options.
#
#   bs_install_deps PKG...   apt-get install what is missing (as root)
#   bs_build_install         make && make install (as root)
#   bs_cluster_start DIR     initdb + start a private cluster as `postgres`
#                            on a unix socket in DIR; exports PGHOST/PGPORT
#   bs_cluster_stop          stop it; callers call it from their own EXIT
#                            trap, set before bs_cluster_start

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

bs_say() { printf '\n==> %s\n' "$*"; }

# Install the Debian packages that are missing.
bs_install_deps() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
		return 1
	fi
	bs_say "installing ${missing[*]}"
	if [ -z "${BS_APT_UPDATED:-}" ]; then
		apt-get update -qq >/dev/null || return 1
		BS_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || return 1
}

# Build and install the extension into the server's directories.
bs_build_install() {
	make -s PG_CONFIG="$PG_BIN/pg_config" ${BS_MAKE_FLAGS:-} >/dev/null || return 1
	make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null || return 1
}

# Run a command as the postgres user (PostgreSQL refuses to run as root).
bs_as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- env PATH="$PG_BIN:$PATH" "$@"
	else
		env PATH="$PG_BIN:$PATH" "$@"
	fi
}

# Start a throwaway cluster in DIR (created, owned by postgres) with a unix
# socket there; extra postgresql.conf lines may follow as arguments.
bs_cluster_start() {
	BS_CLUSTER_DIR=$1
	shift
	mkdir -p "$BS_CLUSTER_DIR"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$BS_CLUSTER_DIR"
	bs_as_pg initdb -D "$BS_CLUSTER_DIR/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$BS_CLUSTER_DIR/initdb.log" 2>&1 || {
		cat "$BS_CLUSTER_DIR/initdb.log" >&2
		return 1
	}
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$BS_CLUSTER_DIR'"
		echo "port = ${BS_PORT:-54329}"
		echo "fsync = off"
		echo "max_prepared_transactions = 10"
		local line
		for line in "$@"; do echo "$line"; done
	} >>"$BS_CLUSTER_DIR/data/postgresql.conf"
	bs_as_pg pg_ctl -D "$BS_CLUSTER_DIR/data" -l "$BS_CLUSTER_DIR/server.log" -w -t 60 start >/dev/null || {
		cat "$BS_CLUSTER_DIR/server.log" >&2
		return 1
	}
	export PGHOST=$BS_CLUSTER_DIR PGPORT=${BS_PORT:-54329} PGUSER=postgres
}

bs_cluster_stop() {
	[ -n "${BS_CLUSTER_DIR:-}" ] || return 0
	if [ -f "$BS_CLUSTER_DIR/data/postmaster.pid" ]; then
		bs_as_pg pg_ctl -D "$BS_CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 ||
			kill -9 "$(head -1 "$BS_CLUSTER_DIR/data/postmaster.pid")" 2>/dev/null
	fi
	[ -n "${BS_KEEP:-}" ] || rm -rf "$BS_CLUSTER_DIR"
	BS_CLUSTER_DIR=
}
