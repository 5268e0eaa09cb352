#!/bin/bash
# pg_wrap.sh - $LANCRE for tests/run.sh's PostgreSQL pass: the e2e scripts run
# unchanged with their stores in the run's PostgreSQL server.
#
#   pg_wrap.sh init ARGS...   CREATE DATABASE lancre_e2e_<tag>__<pid>_<n> (a new,
#                             empty one for each init), then exec the real lancre as
#                             `init --store URL ARGS...`
#   pg_wrap.sh demo ARGS...   the same for a demo that makes its directory
#                             (`demo --store URL ARGS...`); one that reuses a
#                             directory (DIR/lancre.conf exists) is left alone
#   pg_wrap.sh ARGS...        exec the real lancre as is (same PID: scripts that
#                             wait for or signal $! see lancre itself)
#   pg_wrap.sh --drop-all     drop every lancre_e2e_<tag>__* database (after each
#                             script)
#
# <tag> is $LANCRE_PG_E2E_TAG, the script's name (tests/run.sh sets it): two scripts
# that run at once each drop only their own databases.
# The real lancre is $LANCRE_PG_REAL; the server is $LANCRE_TEST_PG (scripts/pg.sh).
# lancre reads no variable of its own for this: the store's location is
# lancre.conf's, written by `lancre init --store`, as an operator would.
#
# The URL reaches the server by its unix socket (DIR/sock), where pg.sh lets
# local connections in without a password: started as root, each lancre
# process runs as its own user (lancre-signer, lancre-server), and libpq
# refuses a password file any other user can read, so no one file could serve
# both.  The TCP and password-file path, under the sandbox, is pg_run.sh's.
# An init that names its own --store, or asks for --help, is left alone.
set -u
: "${LANCRE_TEST_PG:?pg_wrap.sh: no PostgreSQL server (LANCRE_TEST_PG)}"
: "${LANCRE_TEST_PG_DIR:?pg_wrap.sh: no PostgreSQL server (LANCRE_TEST_PG_DIR)}"

port=${LANCRE_TEST_PG#*@*:}
port=${port%%/*}
# By the unix socket too: a script may run lancre as another user (procs.sh runs
# init as lancre-signer), who cannot read the run's password file.
psql_admin() {
	psql "postgresql://postgres@/postgres?host=$LANCRE_TEST_PG_DIR/sock&port=$port" \
		-X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

tag=${LANCRE_PG_E2E_TAG:-}
case $tag in *[!a-z0-9_]*) echo "pg_wrap.sh: LANCRE_PG_E2E_TAG '$tag' is not a script's name" >&2; exit 1 ;; esac

if [ "${1:-}" = --drop-all ]; then
	# The LIKE pattern of the tag's databases ('_' escaped; "__" ends the tag, so that
	# serve's pattern is not also serve_cache's).
	prefix=$(printf 'lancre_e2e_%s__' "$tag" | sed 's/_/\\_/g')
	for db in $(psql_admin -c "select datname from pg_database where datname like '$prefix%'"); do
		psql_admin -c "drop database \"$db\" with (force)" || exit 1
	done
	exit 0
fi

real=${LANCRE_PG_REAL:?pg_wrap.sh: set LANCRE_PG_REAL to the lancre binary}
cmd=${1:-}
case $cmd in init | demo) ;; *) exec "$real" "$@" ;; esac
dir=./lancre-demo # demo's default (init's is never left to it by the scripts)
prev=""
for a in "$@"; do
	case $a in --store | --store=* | --help | -h) exec "$real" "$@" ;; esac
	case $prev in -d | --dir) dir=$a ;; esac
	case $a in --dir=*) dir=${a#--dir=} ;; -d?*) dir=${a#-d} ;; esac
	prev=$a
done
if [ "$cmd" = demo ] && [ -e "$dir/lancre.conf" ]; then
	exec "$real" "$@"
fi

db=lancre_e2e_${tag}__$$_$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
psql_admin -c "create database $db" >/dev/null || {
	echo "pg_wrap.sh: cannot create database $db" >&2
	exit 1
}
shift
exec "$real" "$cmd" --store "postgresql://postgres@/$db?host=$LANCRE_TEST_PG_DIR/sock&port=$port" "$@"
