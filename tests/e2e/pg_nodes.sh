#!/bin/bash
# Two nodes on one PostgreSQL database (issue 18, "Many servers"): node A runs
# `lancre run` (signer and server), node B only `lancre serve`, each with its
# own data directory and its own in-memory index.  A revocation made on A is
# served revoked by B within 2 s (B learns of it through LISTEN/NOTIFY, not by
# polling); with the database stopped both keep answering what they have, and
# once it is back they reconnect and a new revocation reaches both.  A node
# started late loads everything.  An idle node's server does not poll the
# database every tick (no polling storm).
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGD=$T/pg
if ! "$ROOT/scripts/pg.sh" start "$PGD" >/dev/null 2>"$T/pg.err"; then
	not_ok "start PostgreSQL: $(tail -n 1 "$T/pg.err")"
	echo "1..$n"
	exit 1
fi
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$ROOT/scripts/pg.sh" stop "$PGD"
	lib_exit
}
trap stop_all EXIT
. "$PGD/env"
psql -X -q "$LANCRE_TEST_PG" -c "create database nodes" || not_ok "create database"
URL="postgresql://postgres@/nodes?host=$PGD/sock&port=$(cat "$PGD/port")"

DA=$T/a
DB=$T/b
expect 0 "node A: lancre init --store postgresql://" "$LANCRE" init -d "$DA" --store "$URL"
# Node B shares A's store: the same lancre.conf (its own directory for what it writes),
# its server reading as a role that may only read what it serves (docs/OPERATOR.md).
mkdir -p "$DB"
cp "$DA/lancre.conf" "$DB/lancre.conf"
chown -R "$(stat -c %u:%g "$DA")" "$DB" # as root, owned as lancre init makes a directory
# The role as docs/OPERATOR.md makes it ("A role that may only read"): its lines as written
# there, for the database "nodes" instead of "lancre".
awk '/^    CREATE ROLE lancre_server LOGIN;/,/^$/' "$ROOT/docs/OPERATOR.md" |
	sed 's/ DATABASE lancre / DATABASE nodes /' >"$T/role.sql"
grep -q 'GRANT SELECT' "$T/role.sql" || not_ok "docs/OPERATOR.md has no role lancre_server to make"
psql -X -q -v ON_ERROR_STOP=1 "${LANCRE_TEST_PG%/postgres}/nodes" -f "$T/role.sql" ||
	not_ok "create the read-only role as docs/OPERATOR.md says"
RO="postgresql://lancre_server@/nodes?host=$PGD/sock&port=$(cat "$PGD/port")"
conf_set "$DB/lancre.conf" store server_store "$RO"
mkca root
mkca e1 root ec
expect 0 "issuer add on A" "$LANCRE" issuer add -d "$DA" e1 "$T/e1.pem" "$T/e1.key"
for i in 1 2 3; do mkleaf "c$i" e1; done
expect 0 "cert add on A" "$LANCRE" cert add -d "$DA" "$T/c1.pem" "$T/c2.pem"

D=$DA
start_run
PA=$P
pids+=("$pid")
run_a=$pid
D=$DB
start_serve 20 || not_ok "node B's lancre serve answers /healthz: $(tail -n 3 "$T/serve.err")"
PB=$P
AB=$A
pids+=("$pid")
serve_b=$pid
mv "$T/serve.err" "$T/b.err" # B keeps writing there; node C's start_serve reuses serve.err


ms=$(until_e1_status "$PB" c1 good 10) && ok "B serves A's signed response for c1: good (${ms} ms)" ||
	not_ok "B serves c1 good (now: $(e1_status "$PB" c1))"
[ "$(e1_status "$PA" c1)" = good ] && ok "A too" || not_ok "A serves c1 good"

# A revocation on A, served revoked by B within 2 s.
"$LANCRE" revoke -d "$DA" --reason keyCompromise "$T/c1.pem" >/dev/null || not_ok "revoke c1 on A"
ms=$(until_e1_status "$PB" c1 revoked 2) && ok "revoked on A, served revoked by B within 2 s (${ms} ms)" ||
	not_ok "B serves c1 revoked within 2 s (now: $(e1_status "$PB" c1))"

# What B's role may do: read what it serves, nothing else.  In the catalog, for every
# table (partitions too) and sequence of the database: no write of any kind, no SELECT
# on what only the signer needs, no table of its own (nor a temporary one).
# role_can ROLE: one line per privilege ROLE has that a server's role must not.
role_can() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "${LANCRE_TEST_PG%/postgres}/nodes" -v r="$1" <<'SQL'
SELECT c.relname || ' ' || p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND has_table_privilege(:'r', c.oid, p)
UNION ALL SELECT c.relname || ' SELECT' FROM pg_class c
  WHERE c.relname IN ('issuer_keys', 'signed_revoked', 'tokens', 'audit', 'audit_head')
    AND has_table_privilege(:'r', c.oid, 'SELECT')
UNION ALL SELECT c.relname || ' ' || p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    unnest(ARRAY['USAGE', 'UPDATE']) p
  WHERE n.nspname = 'public' AND c.relkind = 'S' AND has_sequence_privilege(:'r', c.oid, p)
UNION ALL SELECT 'schema public CREATE' WHERE has_schema_privilege(:'r', 'public', 'CREATE')
UNION ALL SELECT 'database ' || p FROM unnest(ARRAY['CREATE', 'TEMPORARY']) p
  WHERE has_database_privilege(:'r', 'nodes', p);
SQL
}
same "B's role (OPERATOR.md's GRANTs) can write nothing, nor read issuer_keys, signed_revoked, tokens or the audit trail" \
	"$(role_can lancre_server | tr '\n' ',')" ""
# The control: the owner's role has every kind, on every table (partitions too).
tables=$(psql -X -q -A -t "${LANCRE_TEST_PG%/postgres}/nodes" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')")
same "(control: the owner has all 11 kinds, each write on all $tables tables)" \
	"$(role_can postgres | awk '{ print $NF }' | sort | uniq -c | awk -v t="$tables" '{ printf "%s%s", s, ($2 ~ /^(INSERT|DELETE|TRUNCATE|TRIGGER|REFERENCES)$/ && $1 != t) ? $2 ":" $1 : $2; s = "," }')" \
	"CREATE,DELETE,INSERT,REFERENCES,SELECT,TEMPORARY,TRIGGER,TRUNCATE,UPDATE,USAGE"
run psql -X -q "$RO" -c "CREATE TEMPORARY TABLE t (i int)"
has "$ERR" 'permission denied' "B's role cannot make a temporary table"
run psql -X -q "$RO" -c "SELECT count(*) FROM signed_revoked"
has "$ERR" 'permission denied' "B's role cannot read what the signer signed revoked"
run psql -X -q "$RO" -c "UPDATE certificates SET status = 0"
has "$ERR" 'permission denied' "B's role cannot change a certificate"
run psql -X -q "$RO" -c "SELECT key_ref FROM issuer_keys"
has "$ERR" 'permission denied' "B's role cannot read where the keys are"
run psql -X -q "$RO" -c "SELECT hash FROM tokens"
has "$ERR" 'permission denied' "B's role cannot read the tokens' hashes"
run psql -X -q "$RO" -c "SELECT actor FROM audit"
has "$ERR" 'permission denied' "B's role cannot read the audit trail"
run psql -X -q "$RO" -c "UPDATE meta SET value = value + 1 WHERE key = 'ocsp_seq'"
has "$ERR" 'permission denied' "B's role cannot move a counter"
# meta's rows (migration 7's row-level security): the owner sees the signer's bookkeeping
# (what each holder signs, its name, its marks), B's role only what a server reads.
OWN="${LANCRE_TEST_PG%/postgres}/nodes"
signer_rows="key LIKE 'signs:%' OR key LIKE 'signed\\_%'"
n_own=$(psql -X -q -A -t "$OWN" -c "SELECT count(*) FROM meta WHERE $signer_rows")
[ "${n_own:-0}" -gt 0 ] && ok "the owner sees the signer's rows in meta ($n_own)" ||
	not_ok "the owner sees the signer's rows in meta: '$n_own'"
same "B's role sees none of them" "$(psql -X -q -A -t "$RO" -c "SELECT count(*) FROM meta WHERE $signer_rows" 2>&1)" 0
same "B's role sees only the counters, key states and refusal counts a server reads" \
	"$(psql -X -q -A -t "$RO" -c "SELECT string_agg(DISTINCT regexp_replace(key, '_[0-9]+$', '_N'), ' ' ORDER BY regexp_replace(key, '_[0-9]+$', '_N')) FROM meta" 2>&1)" \
	"change_seq crl_seq issuer_seq key_ok_N key_seq ocsp_seq"
# The notification names only what a server follows (LISTEN needs no grant: the holders'
# names were told to any role that could connect).  psql prints what its own session was
# sent, after each statement; every row of meta is written as it is.
psql -X -q "$OWN" -c "LISTEN lancre_changes" -c "UPDATE meta SET value = value" -c "SELECT 1" \
	>"$T/notify.out" 2>&1
same "a write of every row of meta notifies only the counters a server follows" \
	"$(grep -o 'payload "[^"]*"' "$T/notify.out" | sort | tr '\n' ' ')" \
	'payload "crl_seq" payload "issuer_seq" payload "key_seq" payload "ocsp_seq" '

# The database stops: both nodes keep answering what they have.
"$ROOT/scripts/pg.sh" down "$PGD" || not_ok "stop PostgreSQL"
sleep 1
[ "$(e1_status "$PB" c1)" = revoked ] && ok "database down: B still answers c1 revoked" ||
	not_ok "database down: B answers c1: $(e1_status "$PB" c1)"
[ "$(e1_status "$PA" c2)" = good ] && ok "database down: A still answers c2 good" ||
	not_ok "database down: A answers c2: $(e1_status "$PA" c2)"
kill -0 "$serve_b" 2>/dev/null && ok "B's server is still running" || not_ok "B's server is running"

# It comes back; a revocation made now reaches B (the nodes reconnect and catch up).
"$ROOT/scripts/pg.sh" up "$PGD" || not_ok "restart PostgreSQL"
"$LANCRE" revoke -d "$DA" --reason superseded "$T/c2.pem" >/dev/null 2>"$T/revoke2.err" ||
	not_ok "revoke c2 on A after the restart: $(cat "$T/revoke2.err")"
ms=$(until_e1_status "$PB" c2 revoked 15) && ok "after the restart: c2 revoked on A, served by B (${ms} ms)" ||
	not_ok "after the restart B serves c2 revoked (now: $(e1_status "$PB" c2))"
[ "$(e1_status "$PA" c2)" = revoked ] && ok "and by A" || not_ok "A serves c2 revoked"

# A node started late loads everything.
expect 0 "cert add c3 on A" "$LANCRE" cert add -d "$DA" "$T/c3.pem"
until_e1_status "$PA" c3 good 10 >/dev/null || not_ok "A serves c3 good"
DC=$T/c
mkdir -p "$DC"
cp "$DA/lancre.conf" "$DC/lancre.conf"
chown -R "$(stat -c %u:%g "$DA")" "$DC"
D=$DC
start_serve 20 || not_ok "node C's lancre serve answers /healthz: $(tail -n 3 "$T/serve.err")"
pids+=("$pid")
[ "$(e1_status "$P" c1)" = revoked ] && [ "$(e1_status "$P" c2)" = revoked ] && [ "$(e1_status "$P" c3)" = good ] &&
	ok "a node started late serves everything: c1, c2 revoked, c3 good" ||
	not_ok "late node C: c1 $(e1_status "$P" c1), c2 $(e1_status "$P" c2), c3 $(e1_status "$P" c3)"
# The CRL that lists c1 is served by B as A's signer stored it.
curl -s -o "$T/b.crl" "http://127.0.0.1:$PB/crl/e1/1.crl"
curl -s -o "$T/a.crl" "http://127.0.0.1:$PA/crl/e1/1.crl"
cmp -s "$T/a.crl" "$T/b.crl" && ok "B serves the same CRL as A" || not_ok "B serves the same CRL as A"
expect 0 "openssl crl verifies it" openssl crl -inform DER -in "$T/b.crl" -CAfile "$T/e1.pem" -noout
# Everything else B serves, as its role reads it: the issuer, the about page, the metrics;
# and nothing its server asked was refused.
same "B serves the issuer, the about page and its metrics" \
	"$(for u in "$PB/issuer/e1" "$PB/?lang=en" "$AB/metrics"; do curl -s -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$u"; done)" "200 200 200 "
if grep -qi 'permission denied\|refused' "$T/b.err"; then not_ok "B's server was refused: $(grep -i -m1 'permission denied\|refused' "$T/b.err")"; else ok "B's server was refused nothing by its role"; fi
# No polling storm: with A stopped, nodes B and C only serve; each waits for a
# notification and reads the counters on its own only every 5 s (PG_CHANGES_RECHECK_MS),
# where polling every 250 ms would be 20 reads of 4 counters per node in 5 s.  Counted
# in the database's own log of every statement (pg_stat_database would also count
# autovacuum's transactions and the stopped node's, flushed late).
kill "$run_a"
wait "$run_a" 2>/dev/null
psql -X -q "$LANCRE_TEST_PG" -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
from=$(stat -c %s "$PGD/server.log")
sleep 5
stmts=$(tail -c +"$((from + 1))" "$PGD/server.log" | grep -c 'LOG:  \(statement\|execute\)')
[ "$stmts" -le 24 ] && ok "two idle nodes: $stmts statements in 5 s (polling every 250 ms: 160)" ||
	not_ok "two idle nodes: $stmts statements in 5 s"
echo "1..$n"
