#!/bin/bash
# lancre store copy: the demo's store copied into another store; lancre.conf
# pointed at the copy, `openssl ocsp` and `openssl crl` get the same bytes as
# before and `sign --once` signs nothing.  A copy of a few hundred thousand
# rows killed with SIGKILL mid-copy and run again goes on where it stopped,
# and ends identical to an uninterrupted copy.  Targets that are not empty,
# or are the store itself, are refused.
# The source is SQLite (the operator's case: moving off it); the target is
# another SQLite file here, and a PostgreSQL database when STORE_COPY_PG=1
# and a server is at hand (LANCRE_TEST_PG, scripts/pg.sh).
. "$(dirname "$0")/lib.sh"

D=$T/demo
spid=
stop_serve() {
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=
}
trap 'stop_serve; lib_exit' EXIT

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

expect 0 "the store is copied" "$LANCRE" store copy -d "$D" --to sqlite:copy.db
has "$OUT" '^Copied the store into sqlite:copy.db' "it says so"
has "$OUT" '^  certificates +1001 rows  sha256 [0-9a-f]{64}$' "with the certificates' count and checksum"
has "$OUT" '^  ocsp responses +2002 rows' "every OCSP response"
has "$OUT" '^Counts and checksums match' "verified"
cp "$OUT" "$T/first.out"
expect 0 "a second run finds the copy finished and verifies it again" "$LANCRE" store copy -d "$D" --to sqlite:copy.db
has "$OUT" 'already holds a finished copy' "says so"
same "with the same checksums" "$(grep sha256 "$OUT")" "$(grep sha256 "$T/first.out")"

conf_set "$D/lancre.conf" store store copy.db
expect 0 "sign --once on the copy" "$LANCRE" sign -d "$D" --once
has "$OUT" '^Signed 0 responses for 0 certificates .*; signed 0 CRLs' "signs nothing: nothing looks changed or due"
answers "$T/after"
for f in good.der revoked.der e1-1.crl e1.crl r1-1.crl; do
	if cmp -s "$T/before/$f" "$T/after/$f" && [ -s "$T/after/$f" ]; then ok "the copy serves the same $f"; else not_ok "the copy serves the same $f"; fi
done
same "openssl ocsp says the same of localhost" "$(cat "$T/after/good.txt")" "$(cat "$T/before/good.txt")"
same "and of the revoked serial" "$(cat "$T/after/revoked.txt")" "$(cat "$T/before/revoked.txt")"
same "openssl crl reads the same CRL" "$(cat "$T/after/e1-1.txt")" "$(cat "$T/before/e1-1.txt")"

# Refusals: the store in use, a target with something else in it.
expect 2 "copying a store onto itself is refused" "$LANCRE" store copy -d "$D" --to sqlite:copy.db
has "$ERR" '^lancre store copy: --to names the store .* already uses' "says why"
expect 1 "a target that is not empty is refused" "$LANCRE" store copy -d "$D" --to lancre.db
one_line_error "store copy"
has "$ERR" 'not empty' "it says the target is not empty"
conf_set "$D/lancre.conf" store store lancre.db

# A few hundred thousand rows (made with SQL: the copy's speed, not the intake's),
# killed with SIGKILL mid-copy, resumed, and compared with an uninterrupted copy.
B=$T/big
N=${COPY_CERTS:-300000}
"$LANCRE" init -d "$B" >/dev/null
"$LANCRE" issuer add -d "$B" e1 "$C/e1.pem" "$D/keys/e1.key" >/dev/null
sqlite3 "$B/lancre.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
	INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
	shard, fingerprint, added_at, changed_at, change_seq)
	SELECT 1, randomblob(16), 0, 1000 + i, i % 50 = 0, CASE WHEN i % 50 = 0 THEN 500 END,
	CASE WHEN i % 50 = 0 THEN 1 END, 1, randomblob(32), 1, 1, 1 + i / 1000 FROM n;
	UPDATE meta SET value = 1 + $N / 1000 WHERE key = 'change_seq';"
# (read-only, and only once it exists: sqlite3 would create an empty file, which no store is)
mark() { [ -s "$B/resumed.db" ] && sqlite3 "file:$B/resumed.db?mode=ro" "select coalesce((select value from meta where key = 'copy_step'), 0) || ' ' || coalesce((select value from meta where key = 'copy_done'), 0)" 2>/dev/null; }
"$LANCRE" store copy -d "$B" --to sqlite:resumed.db >"$T/killed.out" 2>&1 &
cpid=$!
killed=
for _ in $(seq 1 $((400 * TF))); do
	set -- $(mark)
	# step 2 is the certificates: killed once some batches are in, well before the end
	if [ "${1:-0}" = 2 ] && [ "${2:-0}" -gt 0 ]; then
		kill -KILL "$cpid" && killed=$2
		break
	fi
	sleep 0.02
done
wait "$cpid" 2>/dev/null
if [ -n "$killed" ]; then ok "the copy was killed mid-copy (after certificate id $killed)"; else not_ok "the copy was killed mid-copy ($(cat "$T/killed.out"))"; fi
set -- $(mark)
if [ "${1:-0}" = 2 ] && [ "${2:-0}" -lt "$N" ]; then ok "the target marks a copy in progress ($*)"; else not_ok "the target marks a copy in progress ($*)"; fi
expect 0 "run again, the copy goes on" "$LANCRE" store copy -d "$B" --to sqlite:resumed.db
has "$OUT" '^Resumed the copy into sqlite:resumed.db' "it says it resumed"
has "$OUT" "^  certificates +$N rows" "every certificate is there"
grep sha256 "$OUT" >"$T/resumed.sums"
expect 0 "an uninterrupted copy" "$LANCRE" store copy -d "$B" --to sqlite:whole.db
same "the resumed copy's checksums are the uninterrupted one's" "$(cat "$T/resumed.sums")" "$(grep sha256 "$OUT")"
q="select id, issuer_id, hex(serial), not_before, not_after, status, revoked_at, reason, shard, hex(fingerprint), added_at, changed_at, change_seq, is_ca from certificates order by id"
same "and its rows are the same, byte for byte" "$(sqlite3 "$B/resumed.db" "$q" | md5sum)" "$(sqlite3 "$B/whole.db" "$q" | md5sum)"
same "so is its meta (counters, marks)" "$(sqlite3 "$B/resumed.db" 'select * from meta order by key')" "$(sqlite3 "$B/whole.db" 'select * from meta order by key')"
q=${q/changed_at, /} # when a row last changed: not part of the contract, not copied
same "and the source's (but changed_at)" "$(sqlite3 "$B/resumed.db" "$q" | md5sum)" "$(sqlite3 "$B/lancre.db" "$q" | md5sum)"

# A source changed after the copy: verifying again fails, naming the table.
sqlite3 "$B/lancre.db" "UPDATE certificates SET reason = 4 WHERE id = 50"
expect 1 "a copy that no longer matches its source fails verification" "$LANCRE" store copy -d "$B" --to sqlite:whole.db
one_line_error "store copy"
has "$ERR" 'differs from the source in certificates' "naming the table"
has "$OUT" 'DIFFERS: the copy has' "and the report shows which checksum differs"
echo "1..$n"
