#!/bin/bash
# lancre store copy: the demo's store copied into another store; lancre.conf
# pointed at the copy, `openssl ocsp` and `openssl crl` get the same bytes as
# before and `sign --once` signs nothing.  A copy of a few hundred thousand
# rows killed with SIGKILL mid-copy and run again goes on where it stopped,
# and ends identical to an uninterrupted copy.  Targets that are not empty,
# or are the store itself, are refused.
# The source is SQLite (the operator's case: moving off it); the target is
# another SQLite file, then a PostgreSQL database of a server of the
# script's own (scripts/pg.sh, stopped by its PID on exit), whose checksums
# must be the SQLite copy's.
. "$(dirname "$0")/lib.sh"

D=$T/demo
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PGD=$T/pg # under $T (0755, so that lancre's users reach the socket)
spid=
stop_serve() {
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=
}
trap 'stop_serve; "$ROOT/scripts/pg.sh" stop "$PGD" >/dev/null 2>&1; lib_exit' EXIT

expect 0 "lancre store copy --help" "$LANCRE" store copy --help
has "$OUT" '^usage: lancre store copy' "prints its usage"
expect 2 "lancre store alone is a usage error" "$LANCRE" store
has "$ERR" '^usage: lancre store copy' "with the usage on stderr"
expect 2 "lancre store copy without --to" "$LANCRE" store copy -d "$T"
has "$ERR" '^lancre store copy: give --to LOCATION' "says what is missing"

"$LANCRE" demo -d "$D" --listen 127.0.0.1:1 --no-serve >/dev/null || not_ok "the demo builds"
C=$D/certs
revoked=$(sqlite3 "$D/lancre.db" "select hex(c.serial) from certificates c join issuers i on i.id = c.issuer_id where c.status = 1 and i.name = 'e1' limit 1")

# What the server answers: the OCSP responses' bytes and statuses, the CRLs' bytes.
answers() {
	local out=$1 P A pid
	mkdir -p "$out"
	start_serve || not_ok "lancre serve starts"
	spid=$pid
	openssl ocsp -issuer "$C/e1.pem" -cert "$C/localhost.pem" -url "http://127.0.0.1:$P/ocsp" \
		-CAfile "$C/root.pem" -no_nonce -respout "$out/good.der" >"$out/good.txt" 2>&1
	openssl ocsp -issuer "$C/e1.pem" -serial "0x$revoked" -url "http://127.0.0.1:$P/ocsp" \
		-CAfile "$C/root.pem" -no_nonce -respout "$out/revoked.der" >"$out/revoked.txt" 2>&1
	for crl in e1/1 e1 r1/1; do
		curl -sf -o "$out/${crl/\//-}.crl" "http://127.0.0.1:$P/crl/$crl.crl"
		openssl crl -inform DER -in "$out/${crl/\//-}.crl" -noout -text >"$out/${crl/\//-}.txt" 2>&1
	done
	stop_serve
}
answers "$T/before"
has "$T/before/good.txt" ': good$' "before: openssl ocsp says localhost is good"
has "$T/before/revoked.txt" ': revoked$' "before: and the revoked serial revoked"
has "$T/before/e1-1.txt" 'X509v3 CRL Number' "before: openssl crl reads e1's shard 1"

# copy_and_switch NAME LOCATION: the demo's store (lancre.db) copied into LOCATION and
# verified, lancre.conf pointed at it; sign --once signs nothing, the server answers
# the same bytes.  lancre.conf is left pointing at LOCATION.
copy_and_switch() {
	local name=$1 to=$2 f
	conf_set "$D/lancre.conf" store store lancre.db
	expect 0 "[$name] the store is copied" "$LANCRE" store copy -d "$D" --to "$to"
	has "$OUT" "^Copied the store into " "[$name] it says so"
	has "$OUT" '^  certificates +1001 rows  sha256 [0-9a-f]{64}$' "[$name] with the certificates' count and checksum"
	has "$OUT" '^  ocsp responses +2002 rows' "[$name] every OCSP response"
	has "$OUT" '^Counts and checksums match' "[$name] verified"
	cp "$OUT" "$T/first-$name.out"
	expect 0 "[$name] a second run finds the copy finished and verifies it again" "$LANCRE" store copy -d "$D" --to "$to"
	has "$OUT" 'already holds a finished copy' "[$name] says so"
	same "[$name] with the same checksums" "$(grep sha256 "$OUT")" "$(grep sha256 "$T/first-$name.out")"

	conf_set "$D/lancre.conf" store store "$to"
	expect 0 "[$name] sign --once on the copy" "$LANCRE" sign -d "$D" --once
	has "$OUT" '^Signed 0 responses for 0 certificates .*; signed 0 CRLs' "[$name] signs nothing: nothing looks changed or due"
	answers "$T/after-$name"
	for f in good.der revoked.der e1-1.crl e1.crl r1-1.crl; do
		if cmp -s "$T/before/$f" "$T/after-$name/$f" && [ -s "$T/after-$name/$f" ]; then ok "[$name] the copy serves the same $f"; else not_ok "[$name] the copy serves the same $f"; fi
	done
	same "[$name] openssl ocsp says the same of localhost" "$(cat "$T/after-$name/good.txt")" "$(cat "$T/before/good.txt")"
	same "[$name] and of the revoked serial" "$(cat "$T/after-$name/revoked.txt")" "$(cat "$T/before/revoked.txt")"
	same "[$name] openssl crl reads the same CRL" "$(cat "$T/after-$name/e1-1.txt")" "$(cat "$T/before/e1-1.txt")"
}
copy_and_switch sqlite sqlite:copy.db

# Refusals: the store in use, a target with something else in it.
expect 2 "copying a store onto itself is refused" "$LANCRE" store copy -d "$D" --to sqlite:copy.db
has "$ERR" '^lancre store copy: --to names the store .* already uses' "says why"
expect 1 "a target that is not empty is refused" "$LANCRE" store copy -d "$D" --to lancre.db
one_line_error "store copy"
has "$ERR" 'not empty' "it says the target is not empty"
conf_set "$D/lancre.conf" store store lancre.db
# Beside a running signer of DIR (it holds DIR/sign.lock): refused, nothing made.
"$LANCRE" sign -d "$D" >"$T/sign.out" 2>&1 &
sgpid=$!
# (its lock taken: sign.lock among its open files; a probe with flock(1) could take
# the lock at the moment the signer asks for it and make it give up)
for _ in $(seq 1 $((100 * TF))); do
	ls -l "/proc/$sgpid/fd" 2>/dev/null | grep -q 'sign\.lock$' && break
	sleep 0.05
done
sleep 0.2
expect 1 "a copy beside a running signer is refused" "$LANCRE" store copy -d "$D" --to sqlite:locked.db
has "$ERR" 'signer' "it names the signer"
if [ -e "$D/locked.db" ]; then not_ok "nothing is made"; else ok "nothing is made"; fi
kill -TERM "$sgpid" 2>/dev/null
wait "$sgpid" 2>/dev/null

# A few hundred thousand rows (made with SQL: the copy's speed, not the intake's),
# killed with SIGKILL mid-copy, resumed, and compared with an uninterrupted copy.
B=$T/big
N=${COPY_CERTS:-200000}
"$LANCRE" init -d "$B" >/dev/null
"$LANCRE" issuer add -d "$B" e1 "$C/e1.pem" "$D/keys/e1.key" >/dev/null
sqlite3 "$B/lancre.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
	INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
	shard, fingerprint, added_at, changed_at, change_seq)
	SELECT 1, randomblob(16), 0, 1000 + i, i % 50 = 0, CASE WHEN i % 50 = 0 THEN 500 END,
	CASE WHEN i % 50 = 0 THEN 1 END, 1, randomblob(32), 1, 1, 1 + i / 1000 FROM n;
	UPDATE meta SET value = 1 + $N / 1000 WHERE key = 'change_seq';"
# (read-only, and only once it exists: sqlite3 would create an empty file, which no store is)
# kill_and_resume NAME LOCATION MARK: a copy of the big store into LOCATION killed with
# SIGKILL once MARK (a command printing the target's copy_step and copy_done) says some
# certificates are in, then run again to the end; its checksums into $T/resumed-NAME.sums.
kill_and_resume() {
	local name=$1 to=$2 mark=$3 cpid killed= _
	"$LANCRE" store copy -d "$B" --to "$to" >"$T/killed.out" 2>&1 &
	cpid=$!
	for _ in $(seq 1 $((600 * TF))); do
		set -- $($mark)
		# step 2 is the certificates: killed once some batches are in, well before the end
		if [ "${1:-0}" = 2 ] && [ "${2:-0}" -gt 0 ]; then
			kill -KILL "$cpid" && killed=$2
			break
		fi
		sleep 0.02
	done
	wait "$cpid" 2>/dev/null
	if [ -n "$killed" ]; then ok "[$name] the copy was killed mid-copy (after certificate id $killed)"; else not_ok "[$name] the copy was killed mid-copy ($(cat "$T/killed.out"))"; fi
	set -- $($mark)
	if [ "${1:-0}" = 2 ] && [ "${2:-0}" -lt "$N" ]; then ok "[$name] the target marks a copy in progress ($*)"; else not_ok "[$name] the target marks a copy in progress ($*)"; fi
	expect 0 "[$name] run again, the copy goes on" "$LANCRE" store copy -d "$B" --to "$to"
	has "$OUT" "^Resumed the copy into " "[$name] it says it resumed"
	has "$OUT" "^  certificates +$N rows" "[$name] every certificate is there"
	grep sha256 "$OUT" >"$T/resumed-$name.sums"
}
# (read-only, and only once it exists: sqlite3 would create an empty file, which no store is)
sqlite_mark() { [ -s "$B/resumed.db" ] && sqlite3 "file:$B/resumed.db?mode=ro" "select coalesce((select value from meta where key = 'copy_step'), 0) || ' ' || coalesce((select value from meta where key = 'copy_done'), 0)" 2>/dev/null; }
kill_and_resume sqlite sqlite:resumed.db sqlite_mark
expect 0 "an uninterrupted copy" "$LANCRE" store copy -d "$B" --to sqlite:whole.db
grep sha256 "$OUT" >"$T/whole.sums"
same "the resumed copy's checksums are the uninterrupted one's" "$(cat "$T/resumed-sqlite.sums")" "$(cat "$T/whole.sums")"
q="select id, issuer_id, hex(serial), not_before, not_after, status, revoked_at, reason, shard, hex(fingerprint), added_at, changed_at, change_seq, is_ca from certificates order by id"
same "and its rows are the same, byte for byte" "$(sqlite3 "$B/resumed.db" "$q" | md5sum)" "$(sqlite3 "$B/whole.db" "$q" | md5sum)"
same "so is its meta (counters, marks)" "$(sqlite3 "$B/resumed.db" 'select * from meta order by key')" "$(sqlite3 "$B/whole.db" 'select * from meta order by key')"
q=${q/changed_at, /} # when a row last changed: not part of the contract, not copied
same "and the source's (but changed_at)" "$(sqlite3 "$B/resumed.db" "$q" | md5sum)" "$(sqlite3 "$B/lancre.db" "$q" | md5sum)"

# The same into PostgreSQL: its own server (scripts/pg.sh), stopped by its PID on exit.
# lancre's users (lancre-signer, lancre-server as root) cannot read root's passfile: they
# come in by the unix socket, which pg.sh's server trusts.
mkdir -m 755 "$PGD"
if "$ROOT/scripts/pg.sh" start "$PGD" >"$T/pg.out" 2>&1; then
	. "$PGD/env"
	chmod 755 "$PGD" "$PGD/sock"
	PORT=${LANCRE_TEST_PG##*:}
	PORT=${PORT%%/*}
	psql -q "$LANCRE_TEST_PG" -c 'CREATE DATABASE demo_copy' -c 'CREATE DATABASE big_copy' >/dev/null
	pg_url() { echo "postgresql://postgres@/$1?host=$PGD/sock&port=$PORT"; }
	copy_and_switch postgresql "$(pg_url demo_copy)"
	pg_mark() { psql -qAt "postgresql://postgres@127.0.0.1:$PORT/big_copy" -c "select coalesce((select value from meta where key = 'copy_step'), 0) || ' ' || coalesce((select value from meta where key = 'copy_done'), 0)" 2>/dev/null; }
	kill_and_resume postgresql "$(pg_url big_copy)" pg_mark
	same "[postgresql] its checksums are those of the uninterrupted copy into SQLite" "$(cat "$T/resumed-postgresql.sums")" "$(cat "$T/whole.sums")"
	expect 1 "[postgresql] a target holding a copy of another store is refused" "$LANCRE" store copy -d "$B" --to "$(pg_url demo_copy)"
	has "$ERR" 'copy of another store' "[postgresql] it says so"
else
	not_ok "PostgreSQL starts (scripts/pg.sh start)"
	sed 's/^/#   /' "$T/pg.out"
fi

# A source changed after the copy: verifying again fails, naming the table.
sqlite3 "$B/lancre.db" "UPDATE certificates SET reason = 4 WHERE id = 50"
expect 1 "a copy that no longer matches its source fails verification" "$LANCRE" store copy -d "$B" --to sqlite:whole.db
one_line_error "store copy"
has "$ERR" 'differs from the source in certificates' "naming the table"
has "$OUT" 'DIFFERS: the copy has' "and the report shows which checksum differs"
echo "1..$n"
