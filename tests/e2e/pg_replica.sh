#!/bin/bash
# A node that reads from a streaming replica (issue 18, "nodes may read from a
# streaming replica"; docs/OPERATOR.md, [store] server_store).  The store is on a
# primary; a hot standby streams from it (scripts/pg.sh standby: pg_basebackup,
# then WAL streaming), and node B's lancre.conf names the standby as its
# server_store.  B serves what was signed on the primary; a revocation made on
# the primary reaches B through the standby, which refuses LISTEN, so B falls
# back to its tick; while B serves, the primary has no connection from it; with
# the standby stopped B keeps answering, and once it is back B catches up on
# what changed meanwhile.  A node started late on the standby serves everything.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGP=$T/primary
PGS=$T/standby
pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$ROOT/scripts/pg.sh" stop "$PGS" 2>/dev/null
	"$ROOT/scripts/pg.sh" stop "$PGP"
	lib_exit
}
if ! "$ROOT/scripts/pg.sh" start "$PGP" >/dev/null 2>"$T/pg.err"; then
	not_ok "start PostgreSQL: $(tail -n 1 "$T/pg.err")"
	echo "1..$n"
	exit 1
fi
trap stop_all EXIT
expect 0 "a hot standby of it, streaming (scripts/pg.sh standby)" \
	"$ROOT/scripts/pg.sh" standby "$PGP" "$PGS"
# url DIR DB: database DB of the server in DIR, through its unix socket.
url() { echo "postgresql://postgres@/$2?host=$1/sock&port=$(cat "$1/port")"; }
# sql DIR QUERY: one value from the server in DIR, database nodes.
sql() { psql -X -q -A -t "$(url "$1" nodes)" -c "$2"; }
psql -X -q "$(url "$PGP" postgres)" -c "create database nodes" || not_ok "create database"

DA=$T/a
DB=$T/b
expect 0 "the signer's side: lancre init --store (the primary)" \
	"$LANCRE" init -d "$DA" --store "$(url "$PGP" nodes)"
mkdir -p "$DB"
cp "$DA/lancre.conf" "$DB/lancre.conf"
chown -R "$(stat -c %u:%g "$DA")" "$DB"
conf_set "$DB/lancre.conf" store server_store "$(url "$PGS" nodes)"
mkca root
mkca e1 root ec
expect 0 "issuer add" "$LANCRE" issuer add -d "$DA" e1 "$T/e1.pem" "$T/e1.key"
for i in 1 2 3; do mkleaf "c$i" e1; done
expect 0 "cert add c1 c2" "$LANCRE" cert add -d "$DA" "$T/c1.pem" "$T/c2.pem"
expect 0 "sign --once on the primary" "$LANCRE" sign -d "$DA" --once
same "the standby is one (pg_is_in_recovery)" "$(sql "$PGS" 'select pg_is_in_recovery()')" t
# replayed: until the standby has replayed everything the primary has written so far (a
# node started on a standby still behind lancre's schema refuses it: it cannot migrate a
# read-only store); prints the primary's position.
replayed() {
	local lsn i
	lsn=$(sql "$PGP" 'select pg_current_wal_lsn()')
	for i in $(seq 1 $((200 * TF))); do
		[ "$(sql "$PGS" "select pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
		sleep 0.05
	done
	echo "primary at $lsn, standby replayed to $(sql "$PGS" 'select pg_last_wal_replay_lsn()')"
	return 1
}
why=$(replayed) && ok "the standby replayed what the primary wrote" ||
	not_ok "the standby replayed what the primary wrote: $why"

# backends DIR: client connections to database nodes on the server in DIR, but ours.
backends() {
	sql "$1" "select count(*) from pg_stat_activity where datname = 'nodes'
		and backend_type = 'client backend' and pid <> pg_backend_pid()"
}

D=$DB
start_serve 20 || not_ok "node B's lancre serve answers /healthz: $(tail -n 3 "$T/serve.err")"
PB=$P
pids+=("$pid")
serve_b=$pid
mv "$T/serve.err" "$T/b.err"
ms=$(until_e1_status "$PB" c1 good 10) && ok "B serves c1 good, signed on the primary, read from the standby (${ms} ms)" ||
	not_ok "B serves c1 good (now: $(e1_status "$PB" c1))"
same "B has no connection to the primary" "$(backends "$PGP")" 0
[ "$(backends "$PGS")" -ge 1 ] && ok "B reads from the standby ($(backends "$PGS") connections)" ||
	not_ok "B reads from the standby: $(backends "$PGS") connections"

# A revocation on the primary; B learns of it through the standby's replay, without
# LISTEN (refused in recovery): its tick.
"$LANCRE" revoke -d "$DA" --reason keyCompromise "$T/c1.pem" >/dev/null || not_ok "revoke c1"
expect 0 "sign --once" "$LANCRE" sign -d "$DA" --once
ms=$(until_e1_status "$PB" c1 revoked 5) && ok "revoked on the primary, served revoked by B within 5 s (${ms} ms)" ||
	not_ok "B serves c1 revoked within 5 s (now: $(e1_status "$PB" c1))"
same "B still has no connection to the primary" "$(backends "$PGP")" 0

# The standby stops: B answers what it has.  Meanwhile the primary changes.
"$ROOT/scripts/pg.sh" down "$PGS" || not_ok "stop the standby"
sleep 1
[ "$(e1_status "$PB" c1)" = revoked ] && [ "$(e1_status "$PB" c2)" = good ] &&
	ok "standby down: B still answers c1 revoked, c2 good" ||
	not_ok "standby down: B answers c1 $(e1_status "$PB" c1), c2 $(e1_status "$PB" c2)"
"$LANCRE" revoke -d "$DA" --reason superseded "$T/c2.pem" >/dev/null || not_ok "revoke c2"
expect 0 "cert add c3 while the standby is down" "$LANCRE" cert add -d "$DA" "$T/c3.pem"
expect 0 "sign --once" "$LANCRE" sign -d "$DA" --once
kill -0 "$serve_b" 2>/dev/null && ok "B's server is still running" || not_ok "B's server is running"

# It comes back and catches up from the primary's WAL; B reconnects and catches up too.
"$ROOT/scripts/pg.sh" up "$PGS" || not_ok "restart the standby"
ms=$(until_e1_status "$PB" c2 revoked 15) && ok "standby back: B serves c2 revoked (${ms} ms)" ||
	not_ok "standby back: B serves c2 revoked (now: $(e1_status "$PB" c2))"
ms=$(until_e1_status "$PB" c3 good 5) && ok "and c3, added meanwhile, good (${ms} ms)" ||
	not_ok "standby back: B serves c3 good (now: $(e1_status "$PB" c3))"
same "B still has no connection to the primary" "$(backends "$PGP")" 0

# A node started late on the standby serves everything.
DC=$T/c
mkdir -p "$DC"
cp "$DB/lancre.conf" "$DC/lancre.conf"
chown -R "$(stat -c %u:%g "$DA")" "$DC"
D=$DC
start_serve 20 || not_ok "node C's lancre serve answers /healthz: $(tail -n 3 "$T/serve.err")"
pids+=("$pid")
[ "$(e1_status "$P" c1)" = revoked ] && [ "$(e1_status "$P" c2)" = revoked ] && [ "$(e1_status "$P" c3)" = good ] &&
	ok "a node started late on the standby: c1, c2 revoked, c3 good" ||
	not_ok "late node C: c1 $(e1_status "$P" c1), c2 $(e1_status "$P" c2), c3 $(e1_status "$P" c3)"
# What B serves is what the primary stored: the full CRL the signer published.
curl -s -o "$T/b.crl" "http://127.0.0.1:$PB/crl/e1.crl"
expect 0 "B's full CRL verifies (openssl crl)" openssl crl -inform DER -in "$T/b.crl" -CAfile "$T/e1.pem" -noout
expect 0 "B serves the full CRL the signer published" cmp "$T/b.crl" "$DA/public/crl/e1.crl"

# A node started on a standby that has not replayed lancre's schema yet (its replay held
# with pg_wal_replay_pause() while the primary migrates: here a store made after the
# pause) waits for it, says once what it waits for, and serves as soon as the replay
# goes on.  It used to refuse to start: it cannot migrate a read-only store.
# psql_on DIR DB SQL: one value from database DB of the server in DIR.
psql_on() { psql -X -q -A -t "$(url "$1" "$2")" -c "$3"; }
psql_on "$PGP" postgres "create database late" >/dev/null || not_ok "create database late"
why=$(replayed) || not_ok "the standby has database late: $why"
psql_on "$PGS" postgres "select pg_wal_replay_pause()" >/dev/null
DL=$T/late
expect 0 "with the standby's replay paused, lancre init --store on the primary (migrates)" \
	"$LANCRE" init -d "$DL" --store "$(url "$PGP" late)"
need=$(psql_on "$PGP" late "select max(version) from lancre_schema")
DM=$T/m
mkdir -p "$DM"
cp "$DL/lancre.conf" "$DM/lancre.conf"
chown -R "$(stat -c %u:%g "$DL")" "$DM"
conf_set "$DM/lancre.conf" store server_store "$(url "$PGS" late)"
P=$(free_port)
A=$(free_port)
"$LANCRE" serve -d "$DM" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
	>"$T/m.out" 2>"$T/m.err" &
pid_m=$!
pids+=("$pid_m")
sleep $((3 * TF))
kill -0 "$pid_m" 2>/dev/null && ok "node M on the paused standby is still running after 3 s" ||
	not_ok "node M on the paused standby is running: $(cat "$T/m.err")"
# Bound but not accepting yet: a request waits in the kernel's queue, hence the time limit.
curl -s -m 1 -o /dev/null "http://127.0.0.1:$A/healthz" &&
	not_ok "node M answers before the standby has its schema" ||
	ok "node M does not answer before the standby has its schema"
same "node M says once what it waits for (the standby's schema version vs the one it needs)" \
	"$(cat "$T/m.err")" \
	"lancre serve: waiting for the standby to replay the schema migration: it has schema version 0, this lancre needs $need (trying again every 2 s at most)"
psql_on "$PGS" postgres "select pg_wal_replay_resume()" >/dev/null
t0=$(date +%s%N)
for i in $(seq 1 $((200 * TF))); do
	curl -s -m 1 -o /dev/null "http://127.0.0.1:$A/healthz" && break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/healthz")" = 200 ] &&
	ok "replay resumed: node M answers /healthz 200 (${ms} ms; it tries every 2 s at most)" ||
	not_ok "replay resumed: node M answers /healthz: $(cat "$T/m.err")"
same "and said nothing more" "$(grep -c 'waiting for the standby' "$T/m.err")" 1
kill -TERM "$pid_m"
wait "$pid_m"
same "node M exits 0 on SIGTERM" "$?" 0
# A stop while it waits ends the wait.
psql_on "$PGP" postgres "create database later" >/dev/null || not_ok "create database later"
why=$(replayed) || not_ok "the standby has database later: $why"
psql_on "$PGS" postgres "select pg_wal_replay_pause()" >/dev/null
DL=$T/later
"$LANCRE" init -d "$DL" --store "$(url "$PGP" later)" >/dev/null || not_ok "init later"
conf_set "$DM/lancre.conf" store server_store "$(url "$PGS" later)"
# (The ports first: a command substitution on the line would leave a shell between us and
# lancre, which the SIGTERM would reach instead.)
P=$(free_port)
A=$(free_port)
"$LANCRE" serve -d "$DM" --listen "127.0.0.1:$P" --admin "127.0.0.1:$A" --threads 2 \
	>"$T/m.out" 2>"$T/m.err" &
pid_m=$!
pids+=("$pid_m")
for i in $(seq 1 $((100 * TF))); do
	[ -s "$T/m.err" ] && break
	sleep 0.05
done
kill -TERM "$pid_m"
wait_gone "$pid_m" 5
[ "$st" = 0 ] && ok "SIGTERM while node M waits for the standby: it exits 0 at once" ||
	not_ok "SIGTERM while node M waits for the standby: it exits 0 at once ($st): $(cat "$T/m.err")"
psql_on "$PGS" postgres "select pg_wal_replay_resume()" >/dev/null
echo "1..$n"
