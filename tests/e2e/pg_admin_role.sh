#!/bin/bash
# The admin API's own PostgreSQL role (issue 19, "it writes intake into the
# store and nothing else"): the role made by docs/OPERATOR.md's lines ("A role
# for the admin API"), named in [store] admin_store, records, revokes, answers
# GET and ?wait=served through `lancre run`'s admin process, with its audit
# rows; as that role, psql may not read where the keys are (issuer_keys), nor
# write what the signer signs (ocsp_responses, crls, signed_revoked), nor
# change or delete an audit row; in the catalog it holds exactly the
# privileges the GRANT lists.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGD=$T/pg
if ! "$ROOT/scripts/pg.sh" start "$PGD" >/dev/null 2>"$T/pg.err"; then
	not_ok "start PostgreSQL: $(tail -n 1 "$T/pg.err")"
	echo "1..$n"
	exit 1
fi
run_pid=
stop_all() {
	[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
	"$ROOT/scripts/pg.sh" stop "$PGD"
	lib_exit
}
trap stop_all EXIT
. "$PGD/env"
psql -X -q "$LANCRE_TEST_PG" -c "create database admrole" || not_ok "create database"
SOCK="host=$PGD/sock&port=$(cat "$PGD/port")"
URL="postgresql://postgres@/admrole?$SOCK"
ADM="postgresql://lancre_admin@/admrole?$SOCK"
OWNER="${LANCRE_TEST_PG%/postgres}/admrole"

D=$T/data
expect 0 "lancre init --store postgresql://" "$LANCRE" init -d "$D" --store "$URL"
# The role as docs/OPERATOR.md makes it, its lines as written there, for the database
# "admrole" instead of "lancre".
awk '/^    CREATE ROLE lancre_admin LOGIN;/,/^$/' "$ROOT/docs/OPERATOR.md" |
	sed 's/ DATABASE lancre / DATABASE admrole /' >"$T/role.sql"
grep -q 'GRANT SELECT' "$T/role.sql" || not_ok "docs/OPERATOR.md has no role lancre_admin to make"
psql -X -q -v ON_ERROR_STOP=1 "$OWNER" -f "$T/role.sql" ||
	not_ok "create the admin API's role as docs/OPERATOR.md says"
conf_set "$D/lancre.conf" store admin_store "$ADM"
conf_set "$D/lancre.conf" crl delay 2s
mkca root
mkca e1 root ec
expect 0 "issuer add" "$LANCRE" issuer add -d "$D" e1 "$T/e1.pem" "$T/e1.key"
mkleaf a e1
mkleaf b e1
"$LANCRE" token add -d "$D" ci --scope intake,revoke,read >"$T/ci.token"
TOK=$(cat "$T/ci.token")

start_run
run_pid=$pid
[ -n "$adminp" ] && ok "lancre run started an admin process" || not_ok "no admin process: $(tail -n 3 "$T/run.err")"
U=http://127.0.0.1:$API/api/v1
api() {
	local path=$2 method=$1
	shift 2
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOK" "$@" "$U/$path")
}
# The admin process's session is the role's (pg_stat_activity, by its application).
for i in $(seq 1 $((40 * TF))); do api GET status; [ "$code" = 200 ] && break; sleep 0.05; done
same "GET status as lancre_admin: 200" "$code" 200
roles=$(psql -X -q -A -t "$OWNER" -c "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity WHERE datname = 'admrole' AND usename = 'lancre_admin'")
same "the admin process is connected as lancre_admin" "$roles" lancre_admin
api POST "certificates?wait=served&timeout=30" --data-binary @"$T/a.pem"
same "a certificate recorded and served: 200" "$code" 200
[ "$code" = 200 ] || sed 's/^/# /' "$T/body"
has "$T/body" '"added":1' "added 1"
same "the public server answers good for it" "$(e1_status "$P" a)" good
sa=$(serial_of "$T/a.pem")
api POST "revocations?wait=served&timeout=30" -d "{\"issuer\": \"e1\", \"serial\": \"$sa\", \"reason\": \"keyCompromise\"}"
same "revoked and served: 200" "$code" 200
[ "$code" = 200 ] || sed 's/^/# /' "$T/body"
same "the public server answers revoked" "$(e1_status "$P" a)" revoked
api GET "certificates/e1/$sa"
same "GET the certificate (its response and CRL read): 200" "$code" 200
has "$T/body" '"status":"revoked"' "it says revoked"
api POST certificates --data-binary @"$T/b.pem"
same "another certificate: 200" "$code" 200
same "the audit trail has its rows, by the token" \
	"$(psql -X -q -A -t "$OWNER" -c "SELECT string_agg(action || ' ' || actor, ',' ORDER BY id) FROM audit WHERE actor LIKE 'token:%'")" \
	"cert.add token:ci,cert.revoke token:ci,cert.add token:ci"
"$LANCRE" audit -d "$D" --verify >/dev/null 2>&1 && ok "and the chain verifies" || not_ok "audit --verify fails"

# What the role may not do.
run psql -X -q "$ADM" -c "SELECT key_ref FROM issuer_keys"
has "$ERR" 'permission denied' "lancre_admin cannot read where the keys are"
run psql -X -q "$ADM" -c "DELETE FROM ocsp_responses"
has "$ERR" 'permission denied' "lancre_admin cannot write responses"
run psql -X -q "$ADM" -c "UPDATE crls SET next_update = 0"
has "$ERR" 'permission denied' "nor CRLs"
run psql -X -q "$ADM" -c "SELECT count(*) FROM signed_revoked"
has "$ERR" 'permission denied' "nor read what the signer signed revoked"
run psql -X -q "$ADM" -c "UPDATE audit SET actor = 'x'"
has "$ERR" 'permission denied' "nor change an audit row"
run psql -X -q "$ADM" -c "DELETE FROM audit"
has "$ERR" 'permission denied' "nor delete one"
run psql -X -q "$ADM" -c "DELETE FROM certificates WHERE status = 0"
has "$ERR" 'permission denied' "nor delete a certificate"
run psql -X -q "$ADM" -c "INSERT INTO tokens (name, scopes, hash, created) VALUES ('x', 7, '\\x00', 0)"
has "$ERR" 'permission denied' "nor make itself a token"
# meta (migration 7's row-level security): it reads none of the signer's rows, and of
# the rows it reads it moves change_seq only (an UPDATE of another row finds none).
same "nor read the signer's rows in meta (the owner sees $(psql -X -q -A -t "$OWNER" -c "SELECT count(*) FROM meta WHERE key LIKE 'signs:%' OR key LIKE 'signed\\_%'"))" \
	"$(psql -X -q -A -t "$ADM" -c "SELECT count(*) FROM meta WHERE key LIKE 'signs:%' OR key LIKE 'signed\\_%'" 2>&1)" 0
same "nor move a counter but change_seq" \
	"$(psql -X -q -A -t "$ADM" -c "WITH u AS (UPDATE meta SET value = value + 1 WHERE key IN ('ocsp_seq', 'key_seq', 'signed_change_seq') RETURNING key) SELECT count(*) FROM u" 2>&1)" 0
# In the catalog: every privilege the role holds on lancre's tables and sequences, exactly
# the GRANT's (a table a newer lancre adds gets nothing until granted).
got=$(psql -X -q -A -t -v ON_ERROR_STOP=1 "$OWNER" <<'SQL' | tr '\n' ' '
SELECT p FROM (
SELECT c.relname || ':' || p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname !~ '_[0-9]+$'
    AND has_table_privilege('lancre_admin', c.oid, p)
UNION ALL SELECT c.relname || ':' || p FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
    unnest(ARRAY['USAGE', 'UPDATE']) p
  WHERE n.nspname = 'public' AND c.relkind = 'S' AND has_sequence_privilege('lancre_admin', c.oid, p)
UNION ALL SELECT 'schema:CREATE' WHERE has_schema_privilege('lancre_admin', 'public', 'CREATE')
UNION ALL SELECT 'database:' || p FROM unnest(ARRAY['CREATE', 'TEMPORARY']) p
  WHERE has_database_privilege('lancre_admin', 'admrole', p)
) AS t (p) ORDER BY p COLLATE "C";
SQL
)
same "lancre_admin's privileges are the GRANT's, no more" "$got" \
	"audit:INSERT audit_head:SELECT audit_head:UPDATE certificates:INSERT certificates:SELECT certificates:UPDATE certificates_id_seq:USAGE crls:SELECT issuers:SELECT lancre_schema:SELECT meta:SELECT meta:UPDATE ocsp_responses:SELECT tokens:SELECT "

kill -TERM "$run_pid"
wait_gone "$run_pid" 15
run_pid=
same "SIGTERM: lancre run exits 0" "$st" 0
