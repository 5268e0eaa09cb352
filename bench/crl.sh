#!/bin/bash
# bench/crl.sh BUILD_DIR - building and signing a CRL with a million entries
# (issue 5: at most 3 s and 150 MB), against `openssl ca -gencrl` on the same
# revoked serials, in the same run.
#
#   N=1000000 RUNS=3 bench/crl.sh build
#
# The N revoked certificates are written straight into a fresh lancre store
# with sqlite3 (random 16-byte serials, expired a day ago so that the OCSP
# signer skips them, reasons in turn), and the same serials into an `openssl
# ca` index.txt.  Timed: `lancre sign --once` (one shard, [crl] full = no: one
# N-entry CRL) and `openssl ca -gencrl`, each RUNS times, wall time and peak
# RSS from /usr/bin/time; medians and ratios (lancre / openssl) are printed,
# with the CRL's bytes per entry.  Both CRLs are checked: openssl crl -verify,
# and the entry count.  Result lines go to stdout; work files are removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-3}
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
need /usr/bin/time time

bench_setup crl "$1" lancre
W=$work
L=$work/bin/lancre
say "load before: $load_before"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
openssl req -x509 -new -key root.key -subj /CN=bench-root -days 365 -out root.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key 2>/dev/null
openssl req -new -key int.key -subj /CN=bench-e1 -out int.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -set_serial 2 -days 365 -extfile int.ext -out int.pem 2>/dev/null
"$L" init -d D >/dev/null
sed -i 's/^full = yes$/full = no/' D/lancre.conf # a key set twice is refused
"$L" issuer add -d D e1 int.pem int.key >/dev/null
now=$(date +%s)
say "writing $N revoked certificates"
sqlite3 D/lancre.db <<SQL
BEGIN;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $N)
INSERT INTO certificates (issuer_id, serial, not_before, not_after, status, revoked_at, reason,
    shard, fingerprint, added_at, changed_at, change_seq)
SELECT 1, X'01' || randomblob(15), $now - 30 * 86400, $now - 86400, 1, $now - 2 * 86400,
    (CASE x % 4 WHEN 0 THEN 1 WHEN 1 THEN 3 WHEN 2 THEN 4 ELSE 5 END), 1, randomblob(32), $now,
    $now, 1 FROM n;
UPDATE meta SET value = 1 WHERE key = 'change_seq';
COMMIT;
SQL
exp=$(date -u -d @$((now - 86400)) +%y%m%d%H%M%SZ)
rev=$(date -u -d @$((now - 2 * 86400)) +%y%m%d%H%M%SZ)
sqlite3 D/lancre.db "select upper(hex(serial)) from certificates" |
	awk -v e="$exp" -v r="$rev" 'BEGIN{OFS="\t"} {print "R", e, r ",keyCompromise", $1, "unknown", "/CN=x"}' >index.txt
mkdir -p ca && echo 01 >crlnumber
cat >ca.cnf <<CNF
[ca]
default_ca = bench
[bench]
database = $W/index.txt
crlnumber = $W/crlnumber
default_md = sha256
default_crl_days = 7
CNF

for i in $(seq 1 "$RUNS"); do
	sqlite3 D/lancre.db 'delete from crls'
	/usr/bin/time -f '%e %M' -o t.lancre "$L" sign -d D --once >/dev/null
	read -r s m <t.lancre
	echo "$s" >>lancre.s
	echo "$m" >>lancre.kb
	say "lancre run $i: ${s} s, $((m / 1024)) MB"
	/usr/bin/time -f '%e %M' -o t.openssl openssl ca -config ca.cnf -gencrl -keyfile int.key -cert int.pem -out openssl.crl 2>/dev/null
	read -r s m <t.openssl
	echo "$s" >>openssl.s
	echo "$m" >>openssl.kb
	say "openssl run $i: ${s} s, $((m / 1024)) MB"
done
cp D/public/crl/e1/1.crl lancre.crl
openssl crl -inform DER -in lancre.crl -CAfile int.pem -noout -verify 2>&1 | grep -q 'verify OK' || die "lancre's CRL does not verify"
openssl crl -in openssl.crl -CAfile int.pem -noout -verify 2>&1 | grep -q 'verify OK' || die "openssl's CRL does not verify"
count=$(openssl crl -inform DER -in lancre.crl -noout -text | grep -c 'Serial Number:')
[ "$count" = "$N" ] || die "lancre's CRL has $count entries, not $N"
ls_=$(median <lancre.s); lm=$(($(median <lancre.kb) / 1024))
os=$(median <openssl.s); om=$(($(median <openssl.kb) / 1024))
bytes=$(stat -c %s lancre.crl)
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "crl: $N entries: lancre ${ls_} s, ${lm} MB peak; openssl ca -gencrl ${os} s, ${om} MB peak; time ratio $(awk -v a="$ls_" -v b="$os" 'BEGIN{printf "%.2f", a/b}'), memory ratio $(awk -v a="$lm" -v b="$om" 'BEGIN{printf "%.2f", a/b}'); $(awk -v a="$bytes" -v n="$N" 'BEGIN{printf "%.1f", a/n}') bytes/entry (median of $RUNS)"
echo "goal: $N-entry CRL in <= 3 s and <= 150 MB: $(awk -v s="$ls_" -v m="$lm" 'BEGIN{print (s <= 3 && m <= 150) ? "MET" : "MISSED"}')"
