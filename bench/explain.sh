#!/bin/bash
# bench/explain.sh BUILD_DIR - `lancre explain` of a million-entry CRL next to
# `openssl crl -noout -text` on the same file (issue 17: lancre in at most half
# openssl's time), and the CRL diff of two million-entry CRLs (at most 3 s and
# twice the two CRLs' size in memory), in the same run.
#
#   N=1000000 RUNS=5 bench/explain.sh build
#
# The CRLs are lancre's own: N revoked certificates written straight into a
# store with sqlite3 (random 16-byte serials, reasons in turn, expired a day
# ago so that no OCSP response is signed, as bench/crl.sh does), signed by
# `lancre sign --once` into OLD; then N/100 more revoked in a copy of that
# store, signed into NEW (a sound change: serials added, number and
# thisUpdate up).  They are kept in bench/out/explain-cache/N/ and reused by later runs
# (remove the directory to make new ones).  Timed, RUNS times, alternating:
# `lancre explain --issuer int.pem NEW` (text, to /dev/null; it also checks the
# signature and runs every CRL lint rule) and `openssl crl -inform DER -noout
# -text -in NEW` (to /dev/null), then `lancre explain --issuer int.pem OLD
# NEW`; wall time and peak RSS from /usr/bin/time, medians printed.  The diff
# must exit 0 (sound) and report N/100 serials added.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-5}
posint N "$N"
posint RUNS "$RUNS"
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
need /usr/bin/time time

bench_setup explain "$1" lancre
L=$work/bin/lancre
say "load before: $load_before"
cache=$root/bench/out/explain-cache/$N

# Started as root, lancre works as lancre-signer: so does sqlite3 on its store.
signer=()
if [ "$(id -u)" -eq 0 ] && id lancre-signer >/dev/null 2>&1; then
	chmod 755 "$work"
	signer=(runuser -u lancre-signer --)
fi

# insert COUNT: COUNT revoked, expired certificates of issuer 1 into D's store.
insert() {
	local now
	now=$(date +%s)
	"${signer[@]}" sqlite3 D/lancre.db <<SQL
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $1)
INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
    shard, fingerprint, added_at, changed_at, change_seq)
SELECT 1, X'01' || randomblob(15), $now - 30 * 86400, $now - 86400, 1, $now - 2 * 86400,
    (CASE x % 4 WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE 5 END), 1, randomblob(32), $now,
    $now, (SELECT value + 1 FROM meta WHERE key = 'change_seq') FROM n;
UPDATE meta SET value = value + 1 WHERE key = 'change_seq';
COMMIT;
SQL
}

make_crls() {
	say "making two CRLs of $N and $((N + N / 100)) entries in $cache"
	bench_root
	bench_int int p256 bench-e1
	[ ${#signer[@]} -eq 0 ] || chown lancre-signer int.key
	"$L" init -d D >/dev/null
	sed -i "s/^full = yes$/full = no/" D/lancre.conf
	"$L" issuer add -d D e1 int.pem int.key >/dev/null
	insert "$N"
	# A later CRL of the same store would drop entries that expired before the first one
	# (lancre lists a revoked certificate until it expires): the newer CRL is signed from a
	# copy of the store with the same N entries and N/100 more.
	cp -a D D2
	"$L" sign -d D --once >/dev/null
	cp D/public/crl/e1/1.crl old.crl
	sleep 1 # thisUpdate has a resolution of one second
	rm -rf D
	mv D2 D
	insert $((N / 100))
	"$L" sign -d D --once >/dev/null
	cp D/public/crl/e1/1.crl new.crl
	count=$(openssl crl -inform DER -in new.crl -noout -text | grep -c 'Serial Number:')
	[ "$count" = "$((N + N / 100))" ] || die "the newer CRL has $count entries, not $((N + N / 100))"
	openssl crl -inform DER -in new.crl -CAfile int.pem -noout -verify 2>&1 | grep -q 'verify OK' ||
		die "the newer CRL does not verify"
	mkdir -p "$cache"
	cp old.crl new.crl int.pem "$cache/"
}
[ -f "$cache/new.crl" ] || make_crls
cp "$cache/old.crl" "$cache/new.crl" "$cache/int.pem" . 2>/dev/null || true

# timed NAME COMMAND...: run once under /usr/bin/time, append wall seconds, CPU seconds
# (user + system: what a loaded machine distorts least) and peak KB to NAME.s/.cpu/.kb.
timed() {
	local name=$1 s m u y
	shift
	/usr/bin/time -f '%e %M %U %S' -o "t.$name" "$@" >/dev/null 2>"err.$name" || true
	read -r s m u y <"t.$name"
	echo "$s" >>"$name.s"
	awk -v u="$u" -v y="$y" 'BEGIN{print u + y}' >>"$name.cpu"
	echo "$m" >>"$name.kb"
	say "$name: ${s} s (CPU $(tail -1 "$name.cpu") s), $((m / 1024)) MB"
}
for i in $(seq 1 "$RUNS"); do
	timed explain "$L" explain --issuer int.pem new.crl
	timed openssl openssl crl -inform DER -noout -text -in new.crl
	timed diff "$L" explain --issuer int.pem old.crl new.crl
done
"$L" explain --issuer int.pem new.crl | grep -q '^signature: verifies with the issuer' ||
	die "explain did not verify the CRL"
"$L" explain --issuer int.pem old.crl new.crl >diff.txt || die "the diff is not sound (exit $?)"
grep -q "adds $((N / 100)) serials, removes 0 and changes 0 entries" diff.txt ||
	die "the diff does not report $((N / 100)) serials added: $(sed -n 3p diff.txt)"

es=$(median <explain.s); em=$(($(median <explain.kb) / 1024)); ec=$(median <explain.cpu)
os=$(median <openssl.s); om=$(($(median <openssl.kb) / 1024)); oc=$(median <openssl.cpu)
ds=$(median <diff.s); dm=$(($(median <diff.kb) / 1024)); dc=$(median <diff.cpu)
both=$((($(stat -c %s old.crl) + $(stat -c %s new.crl)) / 1048576))
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "explain: $((N + N / 100))-entry CRL ($(($(stat -c %s new.crl) / 1048576)) MB): lancre explain ${es} s (CPU ${ec} s), ${em} MB peak; openssl crl -text ${os} s (CPU ${oc} s), ${om} MB peak; time ratio $(awk -v a="$es" -v b="$os" 'BEGIN{printf "%.2f", a/b}'), CPU ratio $(awk -v a="$ec" -v b="$oc" 'BEGIN{printf "%.2f", a/b}') (median of $RUNS: $(runs_list <explain.s) vs $(runs_list <openssl.s))"
echo "goal: explain in <= 0.5 x openssl's time: $(awk -v a="$es" -v b="$os" 'BEGIN{print (a <= 0.5 * b) ? "MET" : "MISSED"}')"
echo "diff: $N -> $((N + N / 100)) entries: ${ds} s (CPU ${dc} s), ${dm} MB peak (the two CRLs: ${both} MB) (median of $RUNS: $(runs_list <diff.s))"
echo "goal: diff in <= 3 s and <= 2 x the CRLs' size: $(awk -v s="$ds" -v m="$dm" -v b="$both" 'BEGIN{print (s <= 3 && m <= 2 * b) ? "MET" : "MISSED"}')"
