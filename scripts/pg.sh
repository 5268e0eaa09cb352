#!/bin/bash
# pg.sh - a throwaway PostgreSQL 15 server for the tests and benchmarks.
#
#   scripts/pg.sh start DIR   initdb in DIR/data, start on a free loopback port,
#                             write DIR/env (sourceable) and print its lines
#   scripts/pg.sh stop DIR    stop the server by its PID (TERM, then KILL after
#                             10 s) and remove DIR
#   scripts/pg.sh down DIR    stop the server (a fast shutdown: its clients are
#                             cut off), keeping DIR: a database gone away
#   scripts/pg.sh up DIR      start it again, on the same port
#   scripts/pg.sh standby PRIMARY DIR
#                             a streaming replica of the server in PRIMARY
#                             (pg_basebackup over its unix socket), a hot
#                             standby started on a free loopback port in DIR;
#                             stop, down and up take DIR as for any server
#
# DIR/env sets LANCRE_TEST_PG (a postgresql:// URL of the superuser's
# maintenance database, no password in it) and PGPASSFILE (DIR/passfile,
# 0600, where the password is).  TCP connections need that password
# (scram-sha-256): lancre is tested the way an operator runs it, with the
# password in a file, never in the URL.  The server listens on 127.0.0.1
# only, and on a unix socket in DIR/sock, where local connections need no
# password (DIR is 0711 so that every user reaches it: lancre's own users,
# lancre-server and lancre-signer, when the tests start lancre as root).
# fsync is off: a test server's data need not survive the machine.
# LANCRE_PG_OPTS adds postgres options ("-c NAME=VALUE ..."; the benchmarks size
# shared_buffers with it) to start and up.
#
# initdb and postgres refuse to run as root: as root they run as the
# Debian package's user "postgres" (DIR is given to it); as anyone else, as
# themselves.
set -euo pipefail

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_server DIR PORT: the server itself in the background, not a shell or runuser
# around it (they would not pass a TERM on): DIR/pid is the postmaster's PID, what
# stop and down signal.  Returns once it accepts connections.
run_server() {
	local dir=$1 port=$2 i
	set -- "$PGBIN/postgres" -D "$dir/data" -p "$port" -k "$dir/sock" \
		-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
		-c full_page_writes=off -c max_connections=200 ${LANCRE_PG_OPTS:-}
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups --inh-caps=-all -- "$@" \
			>>"$dir/server.log" 2>&1 &
	else
		"$@" >>"$dir/server.log" 2>&1 &
	fi
	echo $! >"$dir/pid"
	for i in $(seq 1 100); do
		"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
		sleep 0.1
	done
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "pg.sh: the server did not start" >&2; exit 1; }
}

# halt DIR SIGNAL: signal the postmaster and wait until it is gone (KILL after 10 s).
halt() {
	local pid i
	pid=$(cat "$1/pid")
	kill "-$2" "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

start() {
	local dir=$1 port pw i
	[ -x "$PGBIN/initdb" ] || { echo "pg.sh: no PostgreSQL server (apt-get install postgresql-15)" >&2; exit 1; }
	mkdir -p "$dir/sock"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
	chmod 711 "$dir"
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	(umask 077 && printf '%s\n' "$pw" >"$dir/pw")
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pw"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" -A scram-sha-256 \
		--auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/pw"
	port=$(free_port)
	echo "$port" >"$dir/port"
	run_server "$dir" "$port"
	(umask 077 && printf '127.0.0.1:%s:*:postgres:%s\n' "$port" "$pw" >"$dir/passfile")
	[ "$(id -u)" -eq 0 ] && chown root: "$dir/passfile"
	cat >"$dir/env" <<EOF
export LANCRE_TEST_PG=postgresql://postgres@127.0.0.1:$port/postgres
export PGPASSFILE=$dir/passfile
export LANCRE_TEST_PG_DIR=$dir
EOF
	cat "$dir/env"
}

# standby PRIMARY DIR: a copy of PRIMARY's cluster taken with pg_basebackup -R (its
# replication settings written for it), started as a hot standby that streams
# from PRIMARY.  The copy keeps PRIMARY's users and passwords; DIR/env reaches it.
standby() {
	local primary=$1 dir=$2 port
	primary=$(cd "$primary" && pwd)
	mkdir -p "$dir/sock"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
	chmod 711 "$dir"
	as_owner "$PGBIN/pg_basebackup" -D "$dir/data" -R -X stream -c fast -U postgres \
		-h "$primary/sock" -p "$(cat "$primary/port")" >"$dir/basebackup.log" 2>&1 ||
		{ cat "$dir/basebackup.log" >&2; exit 1; }
	port=$(free_port)
	echo "$port" >"$dir/port"
	run_server "$dir" "$port"
	cp "$primary/passfile" "$dir/passfile"
	sed -i "s/^127.0.0.1:[0-9]*:/127.0.0.1:$port:/" "$dir/passfile"
	cat >"$dir/env" <<EOF
export LANCRE_TEST_PG=postgresql://postgres@127.0.0.1:$port/postgres
export PGPASSFILE=$dir/passfile
export LANCRE_TEST_PG_DIR=$dir
EOF
	cat "$dir/env"
}

stop() {
	local dir=$1
	[ -f "$dir/pid" ] && halt "$dir" TERM
	rm -rf "$dir"
}

case ${1:-} in
start) start "${2:?usage: pg.sh start DIR}" ;;
stop) stop "${2:?usage: pg.sh stop DIR}" ;;
down) halt "${2:?usage: pg.sh down DIR}" INT ;;
up) run_server "${2:?usage: pg.sh up DIR}" "$(cat "$2/port")" ;;
standby) standby "${2:?usage: pg.sh standby PRIMARY DIR}" "${3:?usage: pg.sh standby PRIMARY DIR}" ;;
*)
	echo "usage: scripts/pg.sh start|stop|down|up DIR, or standby PRIMARY DIR" >&2
	exit 2
	;;
esac
