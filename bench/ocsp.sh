#!/bin/bash
# bench/ocsp.sh BUILD_DIR - how fast lancre pre-signs OCSP responses, per key
# type and for a million certificates, and how fast the server's index finds
# them (issue 3).
#
#   RUNS=3 bench/ocsp.sh build                          # about 8 minutes on 2 cores
#   OCSP_N=5000 N=50000 RUNS=1 bench/ocsp.sh build      # a quick try
#
# 1. Signing rate per issuer key type (P-256, P-384, RSA-2048, Ed25519): an
#    intermediate of that type (made with the openssl CLI under a P-256 root),
#    N leaves from BUILD/lancre-gencerts, imported (not timed); then
#    `lancre sign --once` with `[ocsp] sha256 = no` (one response per
#    certificate), timed RUNS times, each on a fresh copy of the imported data
#    directory.  The bound is `openssl speed -multi <cores>` sign/s for the
#    same key type, measured before the first run and after each run; a
#    run's bound is the mean of the measures just before and just after it
#    (the machine's speed drifts by 20% within minutes: one measure at the
#    start swung the ratio by as much).  The ratio (goal for P-256: >= 0.8) is
#    the median of the runs' ratios, each against its own bound; the ratio of
#    the median rate to the median bound is printed beside it.  The engine
#    below gets its bound the same way.  openssl is measured twice each time: by default `openssl
#    speed` divides by its CPU (user) time, which time taken by other
#    processes and the hypervisor does not lower, while lancre's rate is
#    signatures per second of wall time, which it does; `openssl speed
#    -elapsed` divides by wall time, as lancre's rate does.  The ratio (and
#    the goal) is wall against wall; the ratio against the CPU-time figure is
#    printed beside it, and so is one per CPU-second: responses per second of
#    lancre's CPU time (user + system) / openssl's signatures per second of
#    one core's CPU time.  The wall ratios also count cores lancre left idle
#    (serial phases); the CPU ratio does not.  All are printed with the share
#    of the cores lancre and other processes used meanwhile.
#    N per type: OCSP_N if set, else 100000 for P-256 and Ed25519, 20000 for
#    RSA-2048 and 10000 for P-384 (both sign at ~2,100-2,300/s on 2 cores, and
#    a P-384 import also verifies at that rate).
#    Then, on the same data directory, `lancre-ocspbench sign --count N --runs
#    RUNS`: the same key signs N responses with lancre's signing engine (OCSP
#    template + one sigctx per thread, one thread per core) and nothing is
#    read from or written to the store.  Its "engine <type>" line gives that
#    rate (median of RUNS), its ratio to the same openssl bound, and per
#    CPU-second (responses per second of its CPU time / openssl's signatures
#    per second of one core).  What separates it from the sign line is what
#    the store (SQLite) and the signer around the engine cost.  That cost
#    alone: `lancre-ocspbench put` RUNS times, each on a fresh copy of the
#    imported directory, reads the certificates and writes responses of the
#    same size as the signer does, signing nothing; its "store <type>" line
#    gives the CPU per response (reads, writes) beside the engine's.
# 2. One million P-256 certificates (OCSP_BIG_N, else N, else 1000000):
#    `lancre sign --once` with the default configuration (SHA-1 and SHA-256
#    CertIDs: 2 responses per certificate), then with sha256 = no; the
#    difference is what the SHA-256 variants cost, in seconds and in stored
#    bytes.  OCSP_BIG_RUNS runs each (default 1: one pair of runs takes about
#    3 minutes on 2 cores).  Then every response of the first is made due and
#    `lancre sign --once` re-signs them all (the refresh path: due ranges read,
#    old responses replaced), once.
# 3. Lookups: BUILD/lancre-ocspbench on the directory of step 2 (both
#    variants): loads the index as the server does, draws OCSP_REQUESTS
#    stored serials at random, builds real SHA-1 requests for them and times
#    OCSP_LOOKUPS lookups RUNS times on one thread: the hash table alone
#    (ocsp_index_find), DER parse + lookup (ocsp_answer_der, a POST) and
#    URL/base64 decoding + parse + lookup (ocsp_answer_get, a GET).  Also the
#    index's memory against the responses' bytes.
#
# As in bench/import.sh: binaries are copied at the start, load averages are
# printed before and after, progress goes to stderr and result lines to
# stdout, work files live in bench/out/ and are removed, exit status 1 on a
# failure or a wrong count, and a missed goal is reported, not an error.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
OCSP_N=${OCSP_N:-}
OCSP_TYPES=${OCSP_TYPES:-p256 p384 rsa2048 ed25519}
OCSP_BIG_N=${OCSP_BIG_N:-${N:-1000000}}
OCSP_BIG_RUNS=${OCSP_BIG_RUNS:-1}
OCSP_REQUESTS=${OCSP_REQUESTS:-100000}
OCSP_LOOKUPS=${OCSP_LOOKUPS:-1000000}
GOAL_RATIO=0.8 # issue 3: P-256 signing at >= 0.8 of openssl's sign rate


[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
posint RUNS "$RUNS"
[ -z "$OCSP_N" ] || posint OCSP_N "$OCSP_N"
posint OCSP_BIG_N "$OCSP_BIG_N"
posint OCSP_BIG_RUNS "$OCSP_BIG_RUNS"
posint OCSP_REQUESTS "$OCSP_REQUESTS"
posint OCSP_LOOKUPS "$OCSP_LOOKUPS"
for t in $OCSP_TYPES; do
	case $t in p256 | p384 | rsa2048 | ed25519) ;; *) die "unknown key type $t in OCSP_TYPES" ;; esac
done


need openssl openssl
need sqlite3 sqlite3
need /usr/bin/time time
need nproc coreutils

bench_setup ocsp "$1" lancre lancre-gencerts lancre-ocspbench
lancre=$work/bin/lancre
gencerts=$work/bin/lancre-gencerts
ocspbench=$work/bin/lancre-ocspbench

# Means of "lancre% others%" and the median of "lancre_cpu_secs" in file $1.
cpu_means() {
	awk '{ a += $1; b += $2 } END { printf "%.0f %.0f ", a / NR, b / NR }' "$1"
	cut -d' ' -f3 "$1" | median
}

tck=$(getconf CLK_TCK)

# openssl speed -multi <cores> ALG, then the same with -elapsed: "sign/s
# sign/s": per second of openssl's CPU time, then per second of wall time.
speed() {
	local alg=$1 pat line flag out=
	case $alg in
	ecdsap256) pat='nistp256' ;;
	ecdsap384) pat='nistp384' ;;
	rsa2048) pat='^rsa 2048 bits' ;;
	ed25519) pat='Ed25519' ;;
	esac
	for flag in "" -elapsed; do
		say "openssl speed $flag -seconds 3 -multi $cores $alg"
		line=$(openssl speed $flag -seconds 3 -multi "$cores" "$alg" 2>/dev/null |
		    grep -E "$pat" | tail -1)
		set -- $line
		[ $# -ge 2 ] || die "cannot read openssl speed $alg output: $line"
		shift $(($# - 2))
		case "$1$2" in '' | *[!0-9.]*) die "cannot read openssl speed $alg output: $line" ;; esac
		out="$out${out:+ }$1"
	done
	echo "$out"
}

# "cpu wall" lines on stdin, measured one after another: the mean of each two
# neighbours, the bound for what ran between them.
bounds() {
	awk 'NR > 1 { printf "%.1f %.1f\n", (c + $1) / 2, (w + $2) / 2 } { c = $1; w = $2 }'
}

# --- The root (P-256) and one intermediate per key type. --------------------
say "making the root and the intermediates"
bench_root
make_int() {
	bench_int "$1" "$1" "lancre bench $1"
}

# A data directory with issuer e1 = intermediate $2 and $3 of its certificates
# imported, with [ocsp] sha256 = $4 (yes|no).
make_dir() {
	local d=$1 t=$2 n=$3 sha256=$4
	"$lancre" init -d "$d" >/dev/null
	"$lancre" issuer add -d "$d" e1 "$work/$t.pem" "$work/$t.key" >/dev/null
	set_sha256 "$d" "$sha256"
	say "$t: generating $n certificates"
	"$gencerts" --issuer-cert "$t.pem" --issuer-key "$t.key" --count "$n" \
		--out "$t.certs.der" 2>gen.log || { cat gen.log >&2; die "lancre-gencerts failed"; }
	cat gen.log >&2
	openssl x509 -inform DER -in "$t.certs.der" -out first.pem ||
		die "$t: the first generated certificate does not parse"
	openssl verify -CAfile root.pem -untrusted "$t.pem" first.pem >/dev/null ||
		die "$t: the first generated certificate does not verify"
	say "$t: importing them (not timed)"
	/usr/bin/time -f '%e' -o import.time "$lancre" cert add -q -d "$d" "$t.certs.der" ||
		die "$t: lancre cert add failed"
	say "$t: imported in $(cat import.time) s"
	rm -f "$t.certs.der"
	got=$(sqlite3 "$d/lancre.db" 'select count(*) from certificates')
	[ "$got" = "$n" ] || die "$t: the store holds $got certificates, expected $n"
}

set_sha256() {
	local d=$1 v=$2
	sed -i "s/^sha256 = .*/sha256 = $v/" "$d/lancre.conf"
	grep -q "^sha256 = $v\$" "$d/lancre.conf" || die "cannot set [ocsp] sha256 = $v in $d"
}

# Time `lancre sign --once` on a fresh copy of template $1, expecting $2
# responses; appends "secs" to file $3 and "cores_used_by_lancre% others%
# lancre_cpu_secs" to $3.cpu.  The copy is left as $4 if given.
sign_run() {
	local tmpl=$1 want=$2 out=$3 keep=${4:-} d=run got secs m_before m_after
	rm -rf "$d"
	cp -a "$tmpl" "$d"
	sync
	m_before=$(machine_busy)
	/usr/bin/time -f '%e %U %S' -o sign.time "$lancre" sign -d "$d" --once >sign.log 2>&1 ||
		{ cat sign.log >&2; die "lancre sign failed"; }
	m_after=$(machine_busy)
	read -r secs usr sys <<<"$(tail -1 sign.time)"
	got=$(sqlite3 "$d/lancre.db" 'select count(*) from ocsp_responses')
	[ "$got" = "$want" ] || die "$tmpl: the store holds $got responses, expected $want"
	cpu=$(awk -v w="$secs" -v u="$usr" -v s="$sys" -v a="$m_before" -v b="$m_after" -v t="$tck" \
	    -v c="$cores" 'BEGIN {
		others = (b - a) / t - u - s
		if (others < 0) others = 0
		printf "%.0f %.0f %.2f", 100 * (u + s) / (w * c), 100 * others / (w * c), u + s }')
	read -r c_ours c_others c_secs <<<"$cpu"
	say "  $(cat sign.log) (wall $secs s, CPU $c_secs s; of the $cores cores: $c_ours% lancre," \
		"$c_others% other processes)"
	echo "$secs" >>"$out"
	echo "$cpu" >>"$out.cpu"
	if [ -n "$keep" ]; then
		rm -rf "$keep"
		mv "$d" "$keep"
	else
		rm -rf "$d"
	fi
}

# --- 1. Signing rate per key type. ---------------------------------------------
p256_ratio=
for t in $OCSP_TYPES; do
	case $t in
	p256) alg=ecdsap256 n=${OCSP_N:-100000} ;;
	p384) alg=ecdsap384 n=${OCSP_N:-10000} ;;
	rsa2048) alg=rsa2048 n=${OCSP_N:-20000} ;;
	ed25519) alg=ed25519 n=${OCSP_N:-100000} ;;
	esac
	make_int "$t"
	make_dir "tmpl-$t" "$t" "$n" no
	: >"sign-$t.runs"
	: >"sign-$t.runs.cpu"
	speed "$alg" >"speed-$t.runs"
	for r in $(seq 1 "$RUNS"); do
		say "$t: run $r/$RUNS: lancre sign --once, $n certificates, sha256 = no"
		keep=
		[ "$r" != "$RUNS" ] || keep=last-$t
		sign_run "tmpl-$t" "$n" "sign-$t.runs" "$keep"
		speed "$alg" >>"speed-$t.runs"
	done
	say "$t: lancre-ocspbench sign: $n responses x $RUNS, the signing engine alone (no store)"
	"$ocspbench" sign -d "last-$t" --count "$n" --runs "$RUNS" >"engine-$t.out" ||
		die "$t: lancre-ocspbench sign failed"
	speed "$alg" >"speed-$t.engine"
	bytes=$(sqlite3 "last-$t/lancre.db" 'select sum(length(der)) from ocsp_responses')
	say "$t: lancre-ocspbench put: the store alone, $RUNS runs on fresh copies"
	: >"put-$t.runs"
	for r in $(seq 1 "$RUNS"); do
		rm -rf put-run
		cp -a "tmpl-$t" put-run
		"$ocspbench" put -d put-run --bytes "$((bytes / n))" >put.out ||
			die "$t: lancre-ocspbench put failed"
		say "  $(cat put.out)"
		# "put: ...; CPU per response: read R us, write W us, together T us"
		sed -n 's/.*read \([0-9.]*\) us, write \([0-9.]*\) us, together \([0-9.]*\) us$/\1 \2 \3/p' \
		    put.out >>"put-$t.runs"
	done
	[ "$(wc -l <"put-$t.runs")" = "$RUNS" ] || die "$t: cannot read lancre-ocspbench put output"
	rm -rf put-run "last-$t" "tmpl-$t"
	med=$(median <"sign-$t.runs")
	say "$t: openssl speed sign/s, measured before, between and after the runs: per CPU" \
	    "time $(cut -d' ' -f1 "speed-$t.runs" | runs_list), per wall time" \
	    "$(cut -d' ' -f2 "speed-$t.runs" | runs_list)"
	# Each run's bound: the mean of the measures just before and just after it
	# (the machine drifts); "cpu wall" per run.
	bounds <"speed-$t.runs" >"bound-$t.runs"
	ossl_cpu=$(median <"bound-$t.runs")
	ossl_wall=$(cut -d' ' -f2 "bound-$t.runs" | median)
	pairs=$(paste -d' ' "sign-$t.runs" "bound-$t.runs" |
	    awk -v n="$n" '{ printf "%.2f\n", ($1 > 0 && $3 > 0) ? n / $1 / $3 : 0 }')
	line=$(awk -v t="$t" -v n="$n" -v m="$med" -v r="$RUNS" -v runs="$(runs_list <"sign-$t.runs")" \
	    -v s="$ossl_cpu" -v w="$ossl_wall" -v c="$cores" -v b="$bytes" \
	    -v pm="$(median <<<"$pairs")" -v pl="$(runs_list <<<"$pairs")" \
	    -v cpu="$(cpu_means "sign-$t.runs.cpu")" 'BEGIN {
		rate = m > 0 ? n / m : 0
		split(cpu, u, " ")
		printf "sign %s: %d responses (SHA-1 CertIDs) in %.2f s, median of %d (%s): " \
		    "%.0f/s; openssl sign bound %.0f/s wall-clock, %.0f/s per CPU time (%d cores); " \
		    "ratio %.2f (each run against its own bound: %s); ratio of the medians %.2f " \
		    "(%.2f against the CPU-time figure), per CPU-second %.2f; %.0f bytes/response; " \
		    "lancre used %d%% of the cores, others %d%%\n", t, n, m, r, runs, rate, w, s, c,
		    pm, pl, rate / w, rate / s, (n / u[3]) / (s / c), b / n, u[1], u[2] }')
	echo "$line"
	# "sign: ...: <rate>/s; CPU <median CPU seconds> s (...)"
	read -r e_rate e_cpu <<<"$(sed -n 's/^sign: .*: \([0-9]*\)\/s; CPU \([0-9.]*\) s .*/\1 \2/p' \
	    "engine-$t.out")"
	[ -n "$e_cpu" ] || die "$t: cannot read lancre-ocspbench sign output: $(cat "engine-$t.out")"
	# The engine's bound: the measures just before and just after it.
	read -r e_bcpu e_bwall <<<"$(tail -1 "speed-$t.runs" | cat - "speed-$t.engine" | bounds)"
	awk -v t="$t" -v n="$n" -v r="$e_rate" -v cpu="$e_cpu" -v s="$e_bcpu" -v w="$e_bwall" \
	    -v c="$cores" 'BEGIN {
		printf "engine %s: %.0f/s signing only (no store), ratio %.2f of openssl speed " \
		    "(%.2f against the CPU-time figure), per CPU-second %.2f\n", t, r, r / w, r / s,
		    (cpu > 0) ? (n / cpu) / (s / c) : 0 }'
	[ "$t" = p256 ] && p256_ratio=$(median <<<"$pairs")
	awk -v t="$t" -v n="$n" -v cpu="$e_cpu" -v rd="$(cut -d' ' -f1 "put-$t.runs" | median)" \
	    -v wr="$(cut -d' ' -f2 "put-$t.runs" | median)" \
	    -v both="$(cut -d' ' -f3 "put-$t.runs" | median)" 'BEGIN {
		sig = cpu * 1e6 / n
		printf "store %s: %.2f us of CPU per response (read %.2f, write %.2f; medians), " \
		    "beside %.1f us to sign one (the engine): %.0f%% on top\n", t, both, rd, wr, sig,
		    100 * both / sig }'
done
if [ -n "$p256_ratio" ]; then
	awk -v r="$p256_ratio" -v g="$GOAL_RATIO" 'BEGIN {
		printf "goal: P-256 signing at >= %.1f of openssl sign/s (wall-clock, both): %s (%.2f)\n", g,
		    (r >= g) ? "met" : "MISSED", r }'
fi

# --- 2. One million P-256 certificates, both CertID variants and SHA-1 only. ---
[ -f p256.pem ] || make_int p256
make_dir tmpl-big p256 "$OCSP_BIG_N" yes
cp -a tmpl-big tmpl-big1
set_sha256 tmpl-big1 no
: >big2.runs
: >big1.runs
: >big2.runs.cpu
: >big1.runs.cpu
: >speed-big.runs
speed ecdsap256 >speed-big.runs
for r in $(seq 1 "$OCSP_BIG_RUNS"); do
	say "1M: run $r/$OCSP_BIG_RUNS: lancre sign --once, $OCSP_BIG_N certificates, sha256 = yes"
	keep=
	[ "$r" != "$OCSP_BIG_RUNS" ] || keep=big2
	sign_run tmpl-big "$((2 * OCSP_BIG_N))" big2.runs "$keep"
	speed ecdsap256 >>speed-big.runs
	say "1M: run $r/$OCSP_BIG_RUNS: lancre sign --once, $OCSP_BIG_N certificates, sha256 = no"
	sign_run tmpl-big1 "$OCSP_BIG_N" big1.runs
	speed ecdsap256 >>speed-big.runs
done
rm -rf tmpl-big tmpl-big1
# Each run's bound from the measures around it: odd lines for sha256 = yes, even for no.
bounds <speed-big.runs >bound-big.runs
ossl_cpu=$(awk 'NR % 2 == 1' bound-big.runs | median)
ossl_wall=$(awk 'NR % 2 == 1 { print $2 }' bound-big.runs | median)
ossl1_cpu=$(awk 'NR % 2 == 0' bound-big.runs | median)
ossl1_wall=$(awk 'NR % 2 == 0 { print $2 }' bound-big.runs | median)
read -r bytes1 bytes2 <<<"$(sqlite3 -separator ' ' big2/lancre.db "select
	(select sum(length(der)) from ocsp_responses where hash_alg = 1),
	(select sum(length(der)) from ocsp_responses where hash_alg = 2)")"
db_mb=$(du -m big2/lancre.db | cut -f1)
m2=$(median <big2.runs)
m1=$(median <big1.runs)
# big_line WHAT RESPONSES RUNS_FILE CPU_BOUND WALL_BOUND: the result line of a
# 1M run: its median time (and each run) from RUNS_FILE, the rate, the ratios
# to openssl's bounds, and the cores used (RUNS_FILE.cpu).
big_line() {
	awk -v what="$1" -v resp="$2" -v m="$(median <"$3")" -v r="$(wc -l <"$3")" \
	    -v runs="$(runs_list <"$3")" -v s="$4" -v w="$5" -v c="$cores" \
	    -v cpu="$(cpu_means "$3.cpu")" 'BEGIN {
		rate = m > 0 ? resp / m : 0
		split(cpu, u, " ")
		printf "%s: %d responses in %.1f s, median of %d (%s): %.0f/s; openssl sign bound " \
		    "%.0f/s wall-clock, %.0f/s per CPU time (%d cores); ratio %.2f (%.2f against " \
		    "the CPU-time figure), per CPU-second %.2f; lancre used %d%% of the cores, " \
		    "others %d%%\n", what, resp, m, r, runs, rate, w, s, c, rate / w, rate / s,
		    (resp / u[3]) / (s / c), u[1], u[2] }'
}
big_line "sign $OCSP_BIG_N P-256 certs, SHA-1 + SHA-256 CertIDs" "$((2 * OCSP_BIG_N))" \
	big2.runs "$ossl_cpu" "$ossl_wall"
big_line "sign $OCSP_BIG_N P-256 certs, SHA-1 CertIDs only" "$OCSP_BIG_N" big1.runs \
	"$ossl1_cpu" "$ossl1_wall"
awk -v n="$OCSP_BIG_N" -v m1="$m1" -v m2="$m2" -v b1="$bytes1" -v b2="$bytes2" -v db="$db_mb" \
    'BEGIN {
	printf "sha256 variants: +%.1f s (x%.2f the SHA-1-only time), +%.0f MB of responses " \
	    "(SHA-1 %.0f MB, SHA-256 %.0f MB: %.0f and %.0f bytes each); lancre.db %d MB with both\n",
	    m2 - m1, (m1 > 0) ? m2 / m1 : 0, b2 / 1e6, b1 / 1e6, b2 / 1e6, b1 / n, b2 / n, db }'

# The same million refreshed at once, as after an outage longer than the refresh
# margin: every response of big2 made due, then re-signed (the due ranges read,
# each old response replaced).
say "1M: every response due: lancre sign --once re-signs them"
cp -a big2 tmpl-due
sqlite3 tmpl-due/lancre.db "UPDATE ocsp_due SET due_at = 0;
	UPDATE ocsp_responses SET due_at = 0 WHERE hash_alg = 1" || die "cannot make tmpl-due due"
: >due.runs
: >due.runs.cpu
speed ecdsap256 >speed-due.runs
sign_run tmpl-due "$((2 * OCSP_BIG_N))" due.runs
grep -q "^Signed $((2 * OCSP_BIG_N)) responses" sign.log ||
	die "the refresh did not re-sign every response: $(cat sign.log)"
speed ecdsap256 >>speed-due.runs
rm -rf tmpl-due
read -r due_cpu due_wall <<<"$(bounds <speed-due.runs)"
big_line "refresh $OCSP_BIG_N P-256 certs, all due, SHA-1 + SHA-256 CertIDs" \
	"$((2 * OCSP_BIG_N))" due.runs "$due_cpu" "$due_wall"

# --- 3. Lookups in the index of step 2. ------------------------------------------
say "lancre-ocspbench bench: $OCSP_REQUESTS requests, $OCSP_LOOKUPS lookups x $RUNS"
"$ocspbench" bench -d big2 --requests "$OCSP_REQUESTS" --lookups "$OCSP_LOOKUPS" \
	--runs "$RUNS" >lookups.out || die "lancre-ocspbench failed"
sed 's/^/lookup /' lookups.out
rm -rf big2

echo "load: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after (1, 5, 15 min averages)"
