#!/bin/bash
# bench/import.sh BUILD_DIR - how fast `lancre cert add` records a CA's
# certificates (issue 2: one million in at most 60 s).
#
#   N=1000000 RUNS=3 bench/import.sh build
#
# Makes a root and a P-256 intermediate with the openssl CLI, N leaf
# certificates with BUILD/lancre-gencerts (carrying the URLs `lancre urls`
# hands out, so intake also reads each CRL Distribution Point), then times
# `lancre cert add -q` RUNS times, each into a fresh data directory, and
# checks after every run that the store holds exactly N certificates.
#
# Results are compared with what the machine's crypto allows: intake must
# verify one ECDSA P-256 signature per certificate, so `openssl speed -multi
# <cores> ecdsap256` verify/s is the bound for the import, and sign/s the
# bound for the generator.  Ratios are ours / openssl's (1.0 = at the bound).
#
# The binaries are copied at the start, so that a rebuild of BUILD_DIR while
# the benchmark runs (a shared checkout) cannot mix two versions in one
# result.  Load averages before and after are printed: on a small shared
# machine a busy neighbour halves every number, openssl's bound included.
#
# Progress goes to stderr; the result lines alone go to stdout (bench/run.sh
# collects them).  Exit status 1 on any failure or wrong count; a missed goal
# is reported, not an error.  Work files live in bench/out/ and are removed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RUNS=${RUNS:-3}
GOAL_SECS=60   # issue 2: 1M certificates
GOAL_COUNT=1000000

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint N "$N"
posint RUNS "$RUNS"

need openssl openssl
need sqlite3 sqlite3
need /usr/bin/time time
need nproc coreutils

bench_setup import "$1" lancre lancre-gencerts
lancre=$work/bin/lancre
gencerts=$work/bin/lancre-gencerts

# --- A root and an intermediate (the issuer lancre serves). -----------------
say "making the root and the intermediate"
bench_root
bench_int int p256 "lancre bench E1"

# A data directory with the issuer registered (not timed).
new_dir() {
	"$lancre" init -d "$1" >/dev/null
	"$lancre" issuer add -d "$1" e1 int.pem int.key >/dev/null
}

# The URLs lancre gives e1's certificates ("crl: <prefix>1.crl" with one shard).
new_dir urls
urls=$("$lancre" urls -d urls --issuer e1)
ocsp=$(printf '%s\n' "$urls" | sed -n 's/^ocsp: //p')
cai=$(printf '%s\n' "$urls" | sed -n 's/^ca issuers: //p')
crl=$(printf '%s\n' "$urls" | sed -n 's/^crl: //p')
crl_prefix=${crl%1.crl}
[ -n "$ocsp" ] && [ -n "$cai" ] && [ "$crl_prefix" != "$crl" ] ||
	die "unexpected \`lancre urls\` output: $urls"
rm -rf urls

# --- The crypto bounds. ------------------------------------------------------
say "openssl speed -seconds 3 -multi $cores ecdsap256"
speed=$(openssl speed -seconds 3 -multi "$cores" ecdsap256 2>/dev/null | grep 'nistp256' | tail -1)
ossl_sign=$(printf '%s\n' "$speed" | awk '{ print $(NF - 1) }')
ossl_verify=$(printf '%s\n' "$speed" | awk '{ print $NF }')
case $ossl_verify in '' | *[!0-9.]*) die "cannot read openssl speed output: $speed" ;; esac

# --- Test data. --------------------------------------------------------------
say "generating $N certificates"
"$gencerts" --issuer-cert int.pem --issuer-key int.key \
	--count "$N" --out certs.der --ocsp-url "$ocsp" --ca-issuers-url "$cai" \
	--crl-url-prefix "$crl_prefix" 2>gen.log ||
	{ cat gen.log >&2; die "lancre-gencerts failed"; }
cat gen.log >&2
# Its own summary line: "lancre-gencerts: N certificates in S s (R/s), ...".
gen_secs=$(sed -n 's/^lancre-gencerts: [0-9]* certificates in \([0-9.]*\) s .*/\1/p' gen.log)
[ -n "$gen_secs" ] || die "cannot read lancre-gencerts' summary line"

# Before timing anything: the first certificate must parse and chain to the root.
openssl x509 -inform DER -in certs.der -out first.pem ||
	die "the first generated certificate does not parse"
openssl verify -CAfile root.pem -untrusted int.pem first.pem >&2 ||
	die "the first generated certificate does not verify"

# --- The import, RUNS times. -------------------------------------------------
: >runs
for r in $(seq 1 "$RUNS"); do
	new_dir "d$r"
	sync
	say "run $r/$RUNS: lancre cert add -q -d d$r certs.der"
	/usr/bin/time -f '%e %M' -o "import.time" "$lancre" cert add -q -d "d$r" certs.der ||
		die "run $r: lancre cert add failed"
	got=$(sqlite3 "d$r/lancre.db" 'select count(*) from certificates')
	[ "$got" = "$N" ] || die "run $r: the store holds $got certificates, expected $N"
	read -r secs rss_kb <<<"$(tail -1 import.time)"
	say "run $r/$RUNS: $secs s, peak RSS $((rss_kb / 1024)) MB, $got certificates stored"
	echo "$secs $rss_kb" >>runs
	rm -rf "d$r"
done

# --- Results. ------------------------------------------------------------------
median=$(sort -n runs | awk '{ v[NR] = $1 } END {
	print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
rss_mb=$(awk '$2 > m { m = $2 } END { printf "%.0f", m / 1024 }' runs)

awk -v n="$N" -v g="$gen_secs" -v s="$ossl_sign" -v c="$cores" 'BEGIN {
	rate = g > 0 ? n / g : 0
	printf "gencerts: %d certs in %.2f s (%.0f/s); openssl sign bound %.0f/s (%d cores); " \
	    "ratio %.2f\n", n, g, rate, s, c, rate / s }'
awk -v n="$N" -v m="$median" -v r="$RUNS" -v v="$ossl_verify" -v c="$cores" -v rss="$rss_mb" \
    'BEGIN {
	rate = m > 0 ? n / m : 0
	printf "import: %d certs in %.1f s (%.0f/s), median of %d; openssl verify bound " \
	    "%.0f/s (%d cores); ratio %.2f; peak RSS %d MB\n", n, m, rate, r, v, c, rate / v, rss }'
awk -v n="$N" -v m="$median" -v goal="$GOAL_SECS" -v gc="$GOAL_COUNT" 'BEGIN {
	t = m * gc / n
	printf "goal: %d certs imported in <= %d s: %s (%.1f s%s)\n", gc, goal,
	    t <= goal ? "met" : "MISSED", t, n == gc ? "" : sprintf(", scaled from %d", n) }'
echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
