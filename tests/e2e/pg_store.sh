#!/bin/bash
# The PostgreSQL store end to end: lancre init --store postgresql://... on a
# server of its own (scripts/pg.sh: initdb in $T, a free loopback port, the
# password in a 0600 passfile), then the commands that manage issuers and
# certificates (issuer, cert add, revoke, cert list, status) against it; a
# password in the URL, a foreign database and an existing store are refused
# with one line.  Skipped only when no PostgreSQL server is installed.
. "$(dirname "$0")/lib.sh"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "ok 1 # skip postgresql-15 is not installed"
	exit 0
fi
PGD=$T/pg
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
"$ROOT/scripts/pg.sh" start "$PGD" >/dev/null || { not_ok "a PostgreSQL server starts"; exit 1; }
# Stopped by its PID whatever happens, before lib_exit removes $T.
pg_exit() {
	kill -TERM "$(cat "$PGD/pid")" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$(cat "$PGD/pid")" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$(cat "$PGD/pid")" 2>/dev/null
	lib_exit
}
trap pg_exit EXIT
. "$PGD/env"
# Run as root, a command that writes the store becomes lancre-signer (procs), which
# must read the password file; root (psql here) reads it whoever owns it.
signer_owns "$PGPASSFILE"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
SERVER=${LANCRE_TEST_PG%/postgres}
psql "$LANCRE_TEST_PG" -c "CREATE DATABASE lancre" -c "CREATE DATABASE other" -c "CREATE DATABASE spare" ||
	not_ok "test databases created"
URL=$SERVER/lancre

D=$T/data
expect 0 "lancre init --store postgresql://" "$LANCRE" init -d "$D" --store "$URL"
has "$OUT" "the PostgreSQL store" "init says which store it made"
has "$D/lancre.conf" "^store = $URL\$" "lancre.conf points at the database"
[ ! -e "$D/lancre.db" ] && ok "no SQLite file beside it" || not_ok "no SQLite file beside it"
same "the schema is in the database, every version once" \
	"$(psql "$URL" -Atc 'select count(*) = max(version) and min(version) = 1 from lancre_schema')" t

mkca root
mkca e1 root ec
mkca r1 root rsa
expect 0 "issuer add e1" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
expect 0 "issuer add r1" "$LANCRE" issuer add -d "$D" r1 "$T/r1.pem" "$T/r1.key"
expect 1 "issuer add e1 again" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
one_line_error "issuer add e1 again: one line"
has "$ERR" "already registered as issuer 'e1'" "says it is registered already"
same "the key references are in issuer_keys, not in issuers" \
	"$(psql "$URL" -Atc "select count(*) from issuer_keys where key_ref like '%e1.key'")" 1
expect 0 "issuer list" "$LANCRE" issuer list -d "$D"
has "$OUT" "e1" "lists e1"
has "$OUT" "r1" "lists r1"

mkleaf a e1 0a01 && mkleaf b e1 0b02 && mkleaf c r1 0c03
expect 0 "cert add" "$LANCRE" cert add -d "$D" "$T/a.pem" "$T/b.pem" "$T/c.pem"
expect 0 "cert add again: duplicates" "$LANCRE" cert add -d "$D" "$T/a.pem"
same "three certificates in the database" "$(psql "$URL" -Atc 'select count(*) from certificates')" 3
expect 0 "revoke b" "$LANCRE" revoke -d "$D" --reason keyCompromise "$T/b.pem"
same "b is revoked in the database, reason 1" \
	"$(psql "$URL" -Atc "select status, reason from certificates where serial = '\\x0b02'")" "1|1"
expect 0 "cert list" "$LANCRE" cert list -d "$D"
same "a header and one line per certificate" "$(wc -l <"$OUT")" 4
has "$OUT" "^0a01 e1 [0-9T:-]+Z good$" "a good one"
has "$OUT" "^0b02 e1 [0-9T:-]+Z revoked [0-9T:-]+Z keyCompromise$" "the revoked one with its reason"
has "$OUT" "^0c03 r1 " "the other issuer's"
expect 0 "cert list --revoked" "$LANCRE" cert list -d "$D" --revoked
same "only the revocation" "$(tail -n +2 "$OUT" | cut -d' ' -f1)" "0b02"
expect 0 "status of the revoked one" "$LANCRE" status -d "$D" "$T/b.pem"
has "$OUT" '^status: revoked$' "status: revoked"
expect 0 "status of a good one" "$LANCRE" status -d "$D" "$T/a.pem"
has "$OUT" '^status: good$' "status: good"
expect 0 "status of a serial never recorded" "$LANCRE" status -d "$D" --issuer e1 0fff
has "$OUT" '^status: unknown$' "status: unknown"
# Revocation is final in the database too, whoever writes.
run psql "$URL" -c "update certificates set status = 0 where serial = '\\x0b02'"
[ "$rc" -ne 0 ] && has "$ERR" "revocation is final" "un-revoking by hand is refused by the trigger" ||
	not_ok "un-revoking by hand is refused"

expect 1 "a password in the URL is refused" "$LANCRE" init -d "$T/pw" --store "postgresql://postgres:hunter2@127.0.0.1/spare"
one_line_error "a password does not go in lancre.conf"
has "$ERR" "a password does not go in lancre.conf" "says: a password does not go in lancre.conf"
if grep -q hunter2 "$ERR"; then not_ok "the password is not repeated"; else ok "the password is not repeated"; fi
[ ! -e "$T/pw/lancre.conf" ] && ok "no lancre.conf written" || not_ok "no lancre.conf written"
expect 1 "init of a database that is a store already" "$LANCRE" init -d "$T/again" --store "$URL"
one_line_error "already holds a lancre store"
has "$ERR" "already holds a lancre store" "says: already holds a lancre store"
psql "$SERVER/other" -c "create table t (x int)"
expect 1 "init of a database with tables of its own" "$LANCRE" init -d "$T/other" --store "$SERVER/other"
one_line_error "not empty"
has "$ERR" "not empty" "says: not empty"
conf_set "$D/lancre.conf" store store "$SERVER/spare"
expect 1 "a database without lancre's schema" "$LANCRE" issuer list -d "$D"
one_line_error "not a lancre store: run lancre init --store URL first"
has "$ERR" "not a lancre store: run lancre init --store URL first" "says: not a lancre store: run lancre init --store URL first"
conf_set "$D/lancre.conf" store store "postgresql://postgres@127.0.0.1:1/lancre"
expect 1 "a server that is not there" "$LANCRE" issuer list -d "$D"
one_line_error "cannot connect to PostgreSQL"
has "$ERR" "cannot connect to PostgreSQL" "says: cannot connect to PostgreSQL"
echo "1..$n"
